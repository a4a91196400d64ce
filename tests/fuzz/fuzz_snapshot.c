/*
 * fuzz_snapshot: snapshot_load_buffer on arbitrary bytes, with the default limits and with tight
 * ones; a snapshot that loads is checked against snapshot.h and result.h, and every server and
 * image it names is looked up with snapshot_server and snapshot_image. The same document parsed
 * first and given to snapshot_load_tree (the live path) must load the same way.
 */
#include "fuzz.h"

#include "jsonutil.h"
#include "snapshot.h"

#include <string.h>

static void check_problems(const struct problem_list *pl)
{
    FUZZ_ASSERT(pl->n <= pl->cap, "problem list has %zu items but room for %zu", pl->n, pl->cap);
    for (size_t i = 0; i < pl->n; i++) {
        const struct problem *p = &pl->items[i];

        FUZZ_ASSERT(p->kind && p->where && p->message, "problem %zu has a NULL string", i);
        /* result.h: "Strings are NUL-terminated UTF-8." */
        FUZZ_ASSERT(util_utf8_valid(p->where, strlen(p->where)),
                    "problem %zu: 'where' is not valid UTF-8: %s", i, p->where);
        FUZZ_ASSERT(util_utf8_valid(p->message, strlen(p->message)),
                    "problem %zu: message is not valid UTF-8: %s", i, p->message);
    }
}

static void check_server(const struct snapshot *s, const char *id)
{
    struct json_object *srv = (struct json_object *)1, *err = (struct json_object *)1;
    enum server_state st = snapshot_server(s, id, &srv, &err);
    const char *name = id ? id : "(null)";

    FUZZ_ASSERT(st == SERVER_PRESENT || st == SERVER_DELETED || st == SERVER_MISSING,
                "server '%s': state %d", name, (int)st);
    FUZZ_ASSERT(server_state_name(st) != NULL, "no name for state %d", (int)st);
    FUZZ_ASSERT(!srv || json_object_is_type(srv, json_type_object), "server '%s' is not an object",
                name);
    FUZZ_ASSERT(!err || json_object_is_type(err, json_type_object),
                "error of '%s' is not an object", name);
    FUZZ_ASSERT(st != SERVER_PRESENT || srv, "server '%s' is present without an object", name);
    if (srv) {
        struct json_object *image;

        /* the image an ECS server was created from, as ctx.image() looks it up */
        if (jsonutil_get(srv, "image", &image))
            snapshot_image(s, jsonutil_get_str(image, "id"));
        json_object_to_json_string(srv); /* every byte reachable from it must be readable */
    }
}

static void check_snapshot(const struct snapshot *s)
{
    static const char *const refs[] = {"source_server", "target_server"};

    FUZZ_ASSERT(json_object_is_type(s->root, json_type_object), "root is not an object");
    FUZZ_ASSERT(strcmp(jsonutil_get_str(s->root, "schema"), SNAPSHOT_SCHEMA) == 0, "wrong schema");
    FUZZ_ASSERT(strlen(s->sha256) == UTIL_SHA256_HEX - 1, "sha256 '%s'", s->sha256);
    FUZZ_ASSERT(!s->group || json_object_is_type(s->group, json_type_object), "group type");
    FUZZ_ASSERT(!s->instances || json_object_is_type(s->instances, json_type_array), "instances");
    FUZZ_ASSERT(!s->replications || json_object_is_type(s->replications, json_type_array), "pairs");
    FUZZ_ASSERT(!s->drills || json_object_is_type(s->drills, json_type_array), "drills type");
    FUZZ_ASSERT(!s->servers || json_object_is_type(s->servers, json_type_object), "servers type");
    FUZZ_ASSERT(!s->images || json_object_is_type(s->images, json_type_object), "images type");
    check_problems(&s->problems);

    check_server(s, NULL);
    check_server(s, "");
    FUZZ_ASSERT(snapshot_image(s, NULL) == NULL, "an image for a NULL id");
    if (s->servers) {
        json_object_object_foreach(s->servers, key, val)
        {
            (void)val;
            check_server(s, key);
        }
    }
    if (s->images) {
        json_object_object_foreach(s->images, key, val)
        {
            struct json_object *img = snapshot_image(s, key);
            FUZZ_ASSERT(img == (json_object_is_type(val, json_type_object) ? val : NULL),
                        "image '%s' is not the member of $.images", key);
        }
    }
    for (size_t i = 0; s->instances && i < json_object_array_length(s->instances); i++) {
        struct json_object *pi = json_object_array_get_idx(s->instances, i);
        for (size_t k = 0; k < 2; k++)
            check_server(s, jsonutil_get_str(pi, refs[k]));
    }
}

/* The live path: the same document as a tree (snapshot_load_tree) must load exactly as its bytes
 * do: same outcome, same digest, same problems, same normalised document. */
static void same_as_tree(const uint8_t *data, size_t size, const struct snapshot_limits *lim,
                         int rc, const struct snapshot *s)
{
    struct json_object *root = NULL;
    struct snapshot *t = (struct snapshot *)1;
    struct err e = {0};
    int trc;

    if (jsonutil_parse((const char *)data, size, "fuzz", 1000, &root, &e) || !root ||
        (lim && lim->max_bytes && size > lim->max_bytes)) {
        json_object_put(root);
        return; /* not JSON, JSON null (never a fetched document), or refused before parsing */
    }
    trc = snapshot_load_tree(root, (const char *)data, size, "fuzz", lim, &t, &e);
    FUZZ_ASSERT(trc == rc, "bytes load %d, tree load %d (%s)", rc, trc, e.msg);
    if (trc) {
        FUZZ_ASSERT(t == NULL, "failed tree load left a snapshot");
        return;
    }
    FUZZ_ASSERT(strcmp(s->sha256, t->sha256) == 0, "digests differ");
    FUZZ_ASSERT(s->problems.n == t->problems.n, "%zu problems from bytes, %zu from the tree",
                s->problems.n, t->problems.n);
    for (size_t i = 0; i < s->problems.n; i++)
        FUZZ_ASSERT(strcmp(s->problems.items[i].message, t->problems.items[i].message) == 0,
                    "problem %zu differs: '%s' / '%s'", i, s->problems.items[i].message,
                    t->problems.items[i].message);
    FUZZ_ASSERT(json_object_equal(s->root, t->root), "normalised documents differ");
    snapshot_free(t);
}

static void load(const uint8_t *data, size_t size, const struct snapshot_limits *lim)
{
    struct snapshot *s = (struct snapshot *)1;
    struct err e = {0};
    int rc = snapshot_load_buffer((const char *)data, size, "fuzz", lim, &s, &e);

    if (rc) {
        FUZZ_ASSERT(s == NULL, "failed load (%d) left a snapshot", rc);
        FUZZ_ASSERT(rc < 0 && e.code == rc && e.msg[0], "failed load: rc %d, err %d '%s'", rc,
                    e.code, e.msg);
        same_as_tree(data, size, lim, rc, NULL);
        return;
    }
    FUZZ_ASSERT(s != NULL, "successful load without a snapshot");
    check_snapshot(s);
    same_as_tree(data, size, lim, rc, s);
    snapshot_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct snapshot_limits tight = {4096, 6, 2};

    load(data, size, NULL);
    load(data, size, &tight);
    return 0;
}
