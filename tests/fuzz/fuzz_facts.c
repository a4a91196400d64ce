/*
 * fuzz_facts: the input through jsonutil_parse, then as a facts document (facts_from_json) and as a
 * JSON Patch (jsonutil_patch) applied to a copy of tests/fixtures/minimal.json, whose result goes
 * through the snapshot reader as a rule test case's patched snapshot would.
 */
#include "fuzz.h"

#include "facts.h"
#include "jsonutil.h"
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

static struct json_object *fixture;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct buf b;
    struct err e = {0};

    (void)argc;
    (void)argv;
    buf_init(&b, 0);
    if (util_read_file(FUZZ_FIXTURE, 0, &b, &e) ||
        jsonutil_parse(buf_str(&b), b.len, FUZZ_FIXTURE, 0, &fixture, &e))
        fuzz_fail(__FILE__, __LINE__, "%s", e.msg);
    buf_free(&b);
    return 0;
}

/* A copy of v's serialisation, to show that a borrowed value was left alone. */
static char *text_of(struct json_object *v)
{
    char *s = util_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));

    FUZZ_ASSERT(s, "out of memory");
    return s;
}

static void check_facts(struct json_object *v)
{
    struct facts *f = (struct facts *)1;
    struct json_object *first, *servers;
    struct err e = {0};
    int rc = facts_from_json(v, "facts 'fuzz'", &f, &e);

    if (rc) {
        FUZZ_ASSERT(!f && rc == ERR_PARSE && e.code == rc && e.msg[0], "rc %d err %d '%s'", rc,
                    e.code, e.msg);
        return;
    }
    /* facts.h: f->root is a normalised copy that always has both keys */
    FUZZ_ASSERT(f && f->root != v, "facts_from_json did not copy");
    FUZZ_ASSERT(json_object_object_length(f->root) == 2 &&
                    jsonutil_get(f->root, "first_switchover", &first) &&
                    jsonutil_get(f->root, "servers", &servers),
                "facts root is %s", json_object_to_json_string(f->root));
    FUZZ_ASSERT(!first || json_object_is_type(first, json_type_boolean), "first_switchover");
    FUZZ_ASSERT(json_object_is_type(servers, json_type_object), "servers is not an object");
    json_object_object_foreach(servers, id, srv)
    {
        struct json_object *ci = NULL;
        FUZZ_ASSERT(json_object_is_type(srv, json_type_object), "servers[\"%s\"]", id);
        FUZZ_ASSERT(!jsonutil_get(srv, "cloud_init", &ci) || !ci ||
                        json_object_is_type(ci, json_type_boolean),
                    "servers[\"%s\"].cloud_init", id);
    }
    facts_free(f);
}

static void check_patch(struct json_object *ops)
{
    struct json_object *root = NULL;
    struct snapshot *s = NULL;
    struct err e = {0};
    const char *text;
    size_t len;
    int rc;

    FUZZ_ASSERT(json_object_deep_copy(fixture, &root, NULL) == 0, "out of memory");
    rc = jsonutil_patch(root, ops, &e);
    FUZZ_ASSERT(rc == 0 || (rc < 0 && e.code == rc && e.msg[0]), "rc %d err %d '%s'", rc, e.code,
                e.msg);
    /* what is left (a failed patch may have applied its first operations) as a snapshot */
    text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &len);
    FUZZ_ASSERT(text, "out of memory");
    rc = snapshot_load_buffer(text, len, "patched", NULL, &s, &e);
    FUZZ_ASSERT(rc == 0 || rc == ERR_PARSE || rc == ERR_LIMIT, "snapshot rc %d: %s", rc, e.msg);
    snapshot_free(s);
    json_object_put(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *v = (struct json_object *)1;
    struct err e = {0};
    char *before;
    int rc = jsonutil_parse((const char *)data, size, "fuzz", JSONUTIL_DEFAULT_DEPTH, &v, &e);

    if (rc) {
        FUZZ_ASSERT(!v && rc < 0 && e.code == rc && e.msg[0], "rc %d err %d '%s'", rc, e.code,
                    e.msg);
        return 0;
    }
    before = text_of(v);
    check_facts(v);
    check_patch(v);
    {
        char *after = text_of(v);
        FUZZ_ASSERT(strcmp(before, after) == 0, "a borrowed value changed: %s -> %s", before,
                    after);
        free(after);
    }
    free(before);
    json_object_put(v);
    return 0;
}
