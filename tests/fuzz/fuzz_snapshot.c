/*
 * fuzz_snapshot: snapshot_load_buffer on arbitrary bytes, with the default limits and with tight
 * ones; a snapshot that loads is checked against snapshot.h and result.h, and every server and
 * image it names is looked up with snapshot_server and snapshot_image. The snapshot's own parser
 * (jdoc) must read what json-c reads, value for value, and accept nothing json-c refuses.
 */
#include "fuzz.h"

#include "jdoc.h"
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
    struct jval *srv = (struct jval *)1, *err = (struct jval *)1;
    enum server_state st = snapshot_server(s, id, &srv, &err);
    const char *name = id ? id : "(null)";

    FUZZ_ASSERT(st == SERVER_PRESENT || st == SERVER_DELETED || st == SERVER_MISSING,
                "server '%s': state %d", name, (int)st);
    FUZZ_ASSERT(server_state_name(st) != NULL, "no name for state %d", (int)st);
    FUZZ_ASSERT(!srv || jv_is(srv, JT_OBJECT), "server '%s' is not an object", name);
    FUZZ_ASSERT(!err || jv_is(err, JT_OBJECT), "error of '%s' is not an object", name);
    FUZZ_ASSERT(st != SERVER_PRESENT || srv, "server '%s' is present without an object", name);
    if (srv) {
        struct buf b;

        /* the image an ECS server was created from, as ctx.image() looks it up */
        snapshot_image(s, jv_get_str(jv_get(srv, "image"), "id"));
        buf_init(&b, 0); /* every byte reachable from it must be readable */
        FUZZ_ASSERT(jv_write(srv, &b) == 0, "server '%s' cannot be written", name);
        buf_free(&b);
    }
}

static void check_snapshot(const struct snapshot *s)
{
    static const char *const refs[] = {"source_server", "target_server"};
    struct jmem *m, *end;

    FUZZ_ASSERT(jv_is(s->root, JT_OBJECT), "root is not an object");
    FUZZ_ASSERT(strcmp(jv_get_str(s->root, "schema"), SNAPSHOT_SCHEMA) == 0, "wrong schema");
    FUZZ_ASSERT(strlen(s->sha256) == UTIL_SHA256_HEX - 1, "sha256 '%s'", s->sha256);
    FUZZ_ASSERT(!s->group || jv_is(s->group, JT_OBJECT), "group type");
    FUZZ_ASSERT(!s->instances || jv_is(s->instances, JT_ARRAY), "instances");
    FUZZ_ASSERT(!s->replications || jv_is(s->replications, JT_ARRAY), "pairs");
    FUZZ_ASSERT(!s->drills || jv_is(s->drills, JT_ARRAY), "drills type");
    FUZZ_ASSERT(!s->servers || jv_is(s->servers, JT_OBJECT), "servers type");
    FUZZ_ASSERT(!s->images || jv_is(s->images, JT_OBJECT), "images type");
    check_problems(&s->problems);

    check_server(s, NULL);
    check_server(s, "");
    FUZZ_ASSERT(snapshot_image(s, NULL) == NULL, "an image for a NULL id");
    for (m = jv_members(s->servers, &end); m < end; m++)
        if (!m->gone)
            check_server(s, m->key);
    for (m = jv_members(s->images, &end); m < end; m++) {
        if (m->gone)
            continue;
        FUZZ_ASSERT(snapshot_image(s, m->key) == (jv_is(&m->v, JT_OBJECT) ? &m->v : NULL),
                    "image '%s' is not the member of $.images", m->key);
    }
    for (size_t i = 0; i < jv_len(s->instances); i++)
        for (size_t k = 0; k < 2; k++)
            check_server(s, jv_get_str(jv_at(s->instances, i), refs[k]));
}

/* v (jdoc) holds what o (json-c) holds. Where json-c clamps an integer beyond the 64-bit range
 * (to INT64_MIN or UINT64_MAX), jdoc keeps it as a double: that is the one difference. */
static bool same_value(const struct jval *v, struct json_object *o)
{
    switch ((enum jtype)v->type) {
    case JT_NULL:
        return o == NULL;
    case JT_BOOL:
        return json_object_is_type(o, json_type_boolean) && json_object_get_boolean(o) == v->u.b;
    case JT_INT:
        return json_object_is_type(o, json_type_int) && json_object_get_int64(o) == v->u.i &&
               (v->u.i < 0 || json_object_get_uint64(o) == (uint64_t)v->u.i);
    case JT_DOUBLE:
        if (json_object_is_type(o, json_type_int))
            /* -2^63 - 1 rounds to -2^63 as a double: at or below it, beyond an int64 */
            return v->u.d <= -9223372036854775808.0 || v->u.d >= 9223372036854775808.0;
        return json_object_is_type(o, json_type_double) && json_object_get_double(o) == v->u.d;
    case JT_STRING:
        return json_object_is_type(o, json_type_string) &&
               (size_t)json_object_get_string_len(o) == v->n &&
               memcmp(json_object_get_string(o), v->u.s, v->n) == 0;
    case JT_ARRAY:
        if (!json_object_is_type(o, json_type_array) || json_object_array_length(o) != v->n)
            return false;
        for (size_t i = 0; i < v->n; i++)
            if (!same_value(&v->u.a[i], json_object_array_get_idx(o, i)))
                return false;
        return true;
    case JT_OBJECT: {
        struct jmem *m, *end;
        if (!json_object_is_type(o, json_type_object) ||
            (size_t)json_object_object_length(o) != jv_len(v))
            return false;
        for (m = jv_members(v, &end); m < end; m++) {
            struct json_object *c;
            if (m->gone)
                continue;
            if (strlen(m->key) != m->klen || !json_object_object_get_ex(o, m->key, &c) ||
                !same_value(&m->v, c))
                return false;
        }
        return true;
    }
    }
    return false;
}

/* jdoc against json-c (jsonutil_parse_dup): what jdoc reads, json-c reads too, with the same values
 * and the same repeated key. jdoc may refuse more: an escaped lone surrogate, which json-c replaces
 * by U+FFFD, is not valid UTF-8 to it, and it takes no integer with a leading zero ("00"). A
 * snapshot this tool writes has neither (jsonutil holds numbers to RFC 8259 as jdoc does). */
static void same_as_json_c(const uint8_t *data, size_t size)
{
    struct json_object *o = NULL;
    struct jsonutil_dup cdup = {0};
    struct jdoc_dup jdup = {0};
    struct jdoc *d = NULL;
    struct err ce = {0}, je = {0};
    int crc = jsonutil_parse_dup((const char *)data, size, "fuzz", 64, &o, &cdup, &ce);
    int jrc = jdoc_parse((const char *)data, size, "fuzz", 64, &d, &jdup, &je);

    if (crc == ERR_NOMEM || jrc == ERR_NOMEM) {
        json_object_put(o);
        jdoc_free(d);
        return;
    }
    FUZZ_ASSERT(jrc || !crc, "jdoc reads what json-c refuses: %s", ce.msg);
    FUZZ_ASSERT(jrc != ERR_LIMIT || crc == ERR_LIMIT, "jdoc: %s; json-c: %s", je.msg, ce.msg);
    if (!jrc && !crc) {
        FUZZ_ASSERT(same_value(jdoc_root(d), o), "jdoc and json-c read different values");
        FUZZ_ASSERT(jdup.found == cdup.found, "a repeated key: jdoc %d, json-c %d", jdup.found,
                    cdup.found);
        FUZZ_ASSERT(!jdup.found || strcmp(jdup.key, cdup.key) == 0, "repeated key '%s' / '%s'",
                    jdup.key, cdup.key);
    }
    json_object_put(o);
    jdoc_free(d);
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
        return;
    }
    FUZZ_ASSERT(s != NULL, "successful load without a snapshot");
    check_snapshot(s);
    snapshot_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct snapshot_limits tight = {4096, 6, 2};

    load(data, size, NULL);
    load(data, size, &tight);
    same_as_json_c(data, size);
    return 0;
}
