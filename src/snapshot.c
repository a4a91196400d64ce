#include "snapshot.h"

#include "jdoc.h"
#include "vocab.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum fkind { F_STR, F_INT, F_BOOL, F_OBJ, F_ARR };

/* One field the rules rely on. `key` may name a member of a member ("metadata.__system__frozen";
 * only the first dot separates, so "metadata.metering.imagetype" would be key "metering.imagetype"
 * of "metadata"). Parents come before their children in each table. */
struct field_spec {
    const char *key;
    enum fkind kind;
    bool required;
};

static const struct field_spec group_fields[] = {
    {"id", F_STR, true},
    {"status", F_STR, true},
    {"priority_station", F_STR, true},
    {"name", F_STR, false},
    {"progress", F_INT, false},
    {"protected_instance_num", F_INT, false},
    {"replication_num", F_INT, false},
    {"disaster_recovery_drill_num", F_INT, false},
    {"source_availability_zone", F_STR, false},
    {"target_availability_zone", F_STR, false},
    {NULL, F_STR, false},
};

static const struct field_spec instance_fields[] = {
    {"id", F_STR, true},
    {"status", F_STR, true},
    {"source_server", F_STR, true},
    {"target_server", F_STR, true},
    {"name", F_STR, false},
    {"priority_station", F_STR, false},
    {"server_group_id", F_STR, false},
    {"progress", F_INT, false},
    {"attachment", F_ARR, false},
    {"tags", F_ARR, false},
    {"metadata", F_OBJ, false},
    {"metadata.__system__frozen", F_BOOL, false},
    {NULL, F_STR, false},
};

static const struct field_spec pair_fields[] = {
    {"id", F_STR, true},
    {"status", F_STR, true},
    {"name", F_STR, false},
    {"replication_status", F_STR, false},
    {"fault_level", F_INT, false},
    {"progress", F_INT, false},
    {"priority_station", F_STR, false},
    {"server_group_id", F_STR, false},
    {"volume_ids", F_STR, false},
    {"attachment", F_ARR, false},
    {"record_metadata", F_OBJ, false},
    {"record_metadata.volume_size", F_INT, false},
    {"record_metadata.multiattach", F_BOOL, false},
    {"record_metadata.bootable", F_BOOL, false},
    {NULL, F_STR, false},
};

static const struct field_spec drill_fields[] = {
    {"id", F_STR, true},
    {"status", F_STR, false},
    {"name", F_STR, false},
    {"server_group_id", F_STR, false},
    {"drill_servers", F_ARR, false},
    {NULL, F_STR, false},
};

static const struct field_spec server_fields[] = {
    {"id", F_STR, true},
    {"status", F_STR, true},
    {"name", F_STR, false},
    {"locked", F_BOOL, false},
    {"key_name", F_STR, false},
    {"OS-EXT-STS:power_state", F_INT, false},
    {"OS-EXT-STS:vm_state", F_STR, false},
    {"OS-EXT-AZ:availability_zone", F_STR, false},
    {"metadata", F_OBJ, false},
    {"metadata.os_type", F_STR, false},
    {"metadata.image_name", F_STR, false},
    {"metadata.EcmResStatus", F_STR, false},
    {NULL, F_STR, false},
};

static const struct field_spec volume_fields[] = {
    {"id", F_STR, true},
    {"status", F_STR, true},
    {"name", F_STR, false},
    {"size", F_INT, false},
    {"bootable", F_BOOL, false},
    {"multiattach", F_BOOL, false},
    {"availability_zone", F_STR, false},
    {"volume_type", F_STR, false},
    {"attachments", F_ARR, false},
    {"metadata", F_OBJ, false},
    {NULL, F_STR, false},
};

/* each flavor of a zone's list */
static const struct field_spec flavor_fields[] = {
    {"id", F_STR, true},   {"name", F_STR, false},           {"vcpus", F_INT, false},
    {"ram", F_INT, false}, {"os_extra_specs", F_OBJ, false}, {NULL, F_STR, false},
};

/* each zone of a flavor's capacity (Huawei Cloud) */
static const struct field_spec capacity_fields[] = {
    {"availability_zone", F_STR, true},
    {"prefer", F_BOOL, true},
    {"region_id", F_STR, false},
    {NULL, F_STR, false},
};

/* The parts (snapshot.h), each with the fields of its items that are checked. */
enum {
    P_GROUP,
    P_INSTANCES,
    P_PAIRS,
    P_DRILLS,
    P_SERVERS,
    P_IMAGES,
    P_VOLUMES,
    P_FLAVORS,
    P_CAPACITY
};
static const struct part_entry {
    struct snapshot_part part;
    const struct field_spec *fields; /* of the object, or of each list item; NULL: none */
} part_table[] = {
    [P_GROUP] = {{.key = "server_group",
                  .read = "group",
                  .kind = SNAPSHOT_PART_OBJECT,
                  .required = true,
                  .in_ctx = true,
                  .off = offsetof(struct snapshot, group)},
                 group_fields},
    [P_INSTANCES] = {{.key = "protected_instances",
                      .read = "instances",
                      .kind = SNAPSHOT_PART_LIST,
                      .required = true,
                      .in_ctx = true,
                      .api_path = "protected-instances",
                      .count_key = "protected_instance_num",
                      .noun = "protected instance",
                      .names = SNAPSHOT_NAMES_SERVERS,
                      .off = offsetof(struct snapshot, instances)},
                     instance_fields},
    [P_PAIRS] = {{.key = "replications",
                  .read = "replications",
                  .kind = SNAPSHOT_PART_LIST,
                  .required = true,
                  .in_ctx = true,
                  .api_path = "replications",
                  .count_key = "replication_num",
                  .noun = "replication pair",
                  .names = SNAPSHOT_NAMES_VOLUMES,
                  .off = offsetof(struct snapshot, replications)},
                 pair_fields},
    [P_DRILLS] = {{.key = "disaster_recovery_drills",
                   .read = "drills",
                   .kind = SNAPSHOT_PART_LIST,
                   .required = true,
                   .in_ctx = true,
                   .api_path = "disaster-recovery-drills",
                   .count_key = "disaster_recovery_drill_num",
                   .noun = "DR drill",
                   .names = SNAPSHOT_NAMES_DRILL_SERVERS,
                   .off = offsetof(struct snapshot, drills)},
                  drill_fields},
    [P_SERVERS] = {{.key = "servers",
                    .read = "servers",
                    .kind = SNAPSHOT_PART_MAP,
                    .required = true,
                    .noun = "server",
                    .service = "ECS",
                    .record = "server",
                    .gone_code = "Ecs.",
                    .off = offsetof(struct snapshot, servers)},
                   server_fields},
    [P_IMAGES] = {{.key = "images",
                   .read = "images",
                   .kind = SNAPSHOT_PART_MAP,
                   .noun = "image",
                   .off = offsetof(struct snapshot, images)},
                  NULL},
    [P_VOLUMES] = {{.key = "volumes",
                    .read = "volumes",
                    .kind = SNAPSHOT_PART_MAP,
                    .rule_needs = true,
                    .noun = "disk",
                    .service = "EVS",
                    .endpoint = "EVS",
                    .record = "volume",
                    .gone_code = "EVS.|404",
                    .gone_404_names_id = true,
                    .off = offsetof(struct snapshot, volumes)},
                   volume_fields},
    [P_FLAVORS] = {{.key = "flavors",
                    .read = "flavors",
                    .kind = SNAPSHOT_PART_MAP,
                    .rule_needs = true,
                    .in_ctx = true,
                    .noun = "flavor list",
                    .record = "flavors",
                    .record_is_list = true,
                    .item_key = "id",
                    .off = offsetof(struct snapshot, flavors)},
                   flavor_fields},
    [P_CAPACITY] = {{.key = "flavor_capacity",
                     .read = "flavor_capacity",
                     .kind = SNAPSHOT_PART_MAP,
                     .in_ctx = true,
                     .noun = "flavor capacity",
                     .record = "resources",
                     .record_is_list = true,
                     .item_key = "availability_zone",
                     .not_offered_404 = true,
                     .off = offsetof(struct snapshot, flavor_capacity)},
                    capacity_fields},
};

#define NPARTS (sizeof part_table / sizeof part_table[0])

size_t snapshot_part_count(void)
{
    return NPARTS;
}

const struct snapshot_part *snapshot_part_at(size_t i)
{
    return i < NPARTS ? &part_table[i].part : NULL;
}

const struct snapshot_part *snapshot_part_by_read(const char *read)
{
    for (size_t i = 0; read && i < NPARTS; i++)
        if (strcmp(part_table[i].part.read, read) == 0)
            return &part_table[i].part;
    return NULL;
}

struct jval *snapshot_part_value(const struct snapshot *s, const struct snapshot_part *p)
{
    return *(struct jval *const *)((const char *)s + p->off);
}

/* The member of s that holds part p. */
static struct jval **part_slot(struct snapshot *s, const struct snapshot_part *p)
{
    return (struct jval **)((char *)s + p->off);
}

/* A loader's working state. */
struct loader {
    struct snapshot *s;
    const struct snapshot_limits *lim;
    int rc; /* first allocation failure */
};

#define PATH_MAX_LEN 512

/* Where a value is: the place it is in (NULL: the top level, "$"), then one step, a field
 * (".name"), a member of a map (["key"]) or an element ([index]). The checks visit every field of
 * every object; a path is written out only when a problem names it. */
struct at {
    const struct at *up;
    const char *name; /* a field */
    const char *key;  /* else a map member */
    size_t index;     /* else an element */
};

static void at_put(const struct at *a, struct buf *b)
{
    if (!a) {
        buf_adds(b, "$");
        return;
    }
    at_put(a->up, b);
    if (a->name)
        buf_printf(b, ".%s", a->name);
    else if (a->key)
        buf_printf(b, "[\"%.200s\"]", a->key);
    else
        buf_printf(b, "[%zu]", a->index);
}

/* The path of a, with field (if not NULL) after it, in out. */
static const char *at_str(const struct at *a, const char *field, char *out, size_t size)
{
    struct buf b;

    buf_init(&b, 0);
    at_put(a, &b);
    if (field)
        buf_printf(&b, ".%s", field);
    snprintf(out, size, "%s", buf_str(&b));
    buf_free(&b);
    return out;
}

static void problem(struct loader *ld, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct loader *ld, const char *where, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (problem_add(&ld->s->problems, "snapshot", where, "%s", msg) && !ld->rc)
        ld->rc = ERR_NOMEM;
}

/* A short printable rendering of a JSON value for messages. */
static void excerpt(const struct jval *v, char *out, size_t size)
{
    struct buf b;

    buf_init(&b, 4096); /* a prefix is all a message shows */
    jv_write(v, &b);
    if (b.len + 1 <= size && b.len <= 40)
        snprintf(out, size, "%s", buf_str(&b));
    else /* cut on a character boundary */
        snprintf(out, size, "%.*s...", (int)util_utf8_prefix(buf_str(&b), 37), buf_str(&b));
    buf_free(&b);
}

/* The spellings of a boolean the API documents: "true", "false", and "" for not set (as
 * __system__frozen: "absent/empty = not frozen"). "True", "1" and the like are not documented. */
static bool parse_bool_string(const char *s, bool *out)
{
    if (strcmp(s, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(s, "false") == 0 || *s == '\0') {
        *out = false;
        return true;
    }
    return false;
}

/* An integer the API sent as a string ("5", "100", "-1"): decimal digits only, no blanks or sign
 * other than '-'. " 5" or "+5" is not a spelling of 5. */
static bool parse_int_string(const char *s, long long *out)
{
    const char *d = *s == '-' ? s + 1 : s;

    return *d && strspn(d, "0123456789") == strlen(d) && util_parse_int(s, out);
}

/* Brings one field to its documented type, or removes it and reports the problem.
 * Returns false when the field was removed or is missing. */
static bool normalize_field(struct loader *ld, struct jval *obj, const struct at *at,
                            const char *key, enum fkind kind, bool required)
{
    struct jval *v;
    char where[PATH_MAX_LEN], ex[64];
    long long ival;
    double dval;
    bool bval;

    /* where is written only when a problem names it: this runs for every field of every object */
#define WHERE() at_str(at, key, where, sizeof where)
    v = jv_get(obj, key);
    if (!v || v->type == JT_NULL) {
        if (required)
            problem(ld, WHERE(), "required field is %s", v ? "null" : "missing");
        return false;
    }
    switch (kind) {
    case F_STR:
        /* No documented quirk sends numbers here: a number where a status or an id belongs is
         * broken data, not a spelling. */
        if (v->type == JT_STRING)
            return true;
        break;
    case F_INT:
        if (v->type == JT_INT)
            return true;
        if (v->type == JT_DOUBLE) {
            dval = v->u.d;
            if (dval >= -9007199254740992.0 && dval <= 9007199254740992.0 &&
                dval == (double)(long long)dval) {
                jv_set_int(v, (long long)dval);
                return true;
            }
        }
        if (v->type == JT_STRING) {
            if (*v->u.s == '\0') {
                jv_remove(obj, key); /* "" stands for "not set" */
                if (required)
                    problem(ld, WHERE(), "required field is empty");
                return false;
            }
            if (parse_int_string(v->u.s, &ival)) {
                jv_set_int(v, ival);
                return true;
            }
        }
        break;
    case F_BOOL:
        if (v->type == JT_BOOL)
            return true;
        if (v->type == JT_STRING && parse_bool_string(v->u.s, &bval)) {
            jv_set_bool(v, bval);
            return true;
        }
        break;
    case F_OBJ:
        if (v->type == JT_OBJECT)
            return true;
        break;
    case F_ARR:
        if (v->type == JT_ARRAY)
            return true;
        break;
    }
    excerpt(v, ex, sizeof ex);
    problem(ld, WHERE(), "expected %s, got %s %s",
            kind == F_STR    ? "a string"
            : kind == F_INT  ? "an integer"
            : kind == F_BOOL ? "a boolean"
            : kind == F_OBJ  ? "an object"
                             : "an array",
            jv_type_name(v), ex);
    jv_remove(obj, key);
    return false;
#undef WHERE
}

static void normalize_object(struct loader *ld, struct jval *obj, const struct at *at,
                             const struct field_spec *spec)
{
    for (; spec->key; spec++) {
        const char *dot = strchr(spec->key, '.');
        if (!dot) {
            normalize_field(ld, obj, at, spec->key, spec->kind, spec->required);
        } else {
            char parent[64];
            struct jval *p;
            size_t n = (size_t)(dot - spec->key);

            if (n >= sizeof parent)
                continue;
            memcpy(parent, spec->key, n);
            parent[n] = '\0';
            p = jv_get(obj, parent);
            if (!jv_is(p, JT_OBJECT))
                continue;
            normalize_field(ld, p, &(struct at){.up = at, .name = parent}, dot + 1, spec->kind,
                            spec->required);
        }
    }
}

/* Validates each element of a list part; elements must be objects. */
static void normalize_list(struct loader *ld, struct jval *arr, const struct at *at,
                           const struct field_spec *spec)
{
    size_t n = jv_len(arr);
    char path[PATH_MAX_LEN];

    if (n > ld->lim->max_items)
        problem(ld, at_str(at, NULL, path, sizeof path) + 2, "%zu entries exceed the limit of %zu",
                n, ld->lim->max_items);
    for (size_t i = 0; i < n; i++) {
        struct jval *el = jv_at(arr, i);
        struct at here = {.up = at, .index = i};
        if (!jv_is(el, JT_OBJECT)) {
            problem(ld, at_str(&here, NULL, path, sizeof path), "expected an object, got %s",
                    jv_type_name(el));
            continue;
        }
        normalize_object(ld, el, &here, spec);
    }
}

/* True when err's code is one of list ("EVS.|404": an entry ending in '.' is a prefix, compared
 * without case; any other must be the whole code): the service itself said "no such thing". */
static bool code_in(const struct jval *err, const char *list)
{
    const char *code = jv_get_str(err, "code");

    while (code && list && *list) {
        size_t n = strcspn(list, "|");
        if (n && (list[n - 1] == '.' ? strncasecmp(code, list, n) == 0
                                     : strlen(code) == n && strncmp(code, list, n) == 0))
            return true;
        list += n + (list[n] == '|');
    }
    return false;
}

/* True when a 404 record's error says the thing itself does not exist (part->gone_code). */
static bool says_gone(const struct snapshot_part *p, const struct jval *err, const char *id)
{
    const char *code = jv_get_str(err, "code"), *msg = jv_get_str(err, "message");

    if (!code_in(err, p->gone_code))
        return false;
    /* a bare number ("404") is any OpenStack-style 404: only one naming the id says "gone" */
    return !p->gone_404_names_id || strchr(code, '.') || (msg && id && strstr(msg, id));
}

/* The ids of one list or map seen so far, as id keys (util_id_key: one id however spelled), each
 * with the place it was first seen: an open-addressing table over the keys' text. */
struct idset {
    struct buf keys; /* the keys, each NUL-terminated */
    struct idslot {
        size_t off;   /* in keys, + 1 (0: free) */
        size_t first; /* the element or member where the id was first seen */
    } * slots;
    size_t n, cap;
};

static void idset_free(struct idset *set)
{
    buf_free(&set->keys);
    free(set->slots);
}

/* Adds key, first seen at first. Returns true when it was new; false when seen before (*earlier:
 * where) or out of memory (ld->rc). */
static bool idset_add(struct loader *ld, struct idset *set, const char *key, size_t first,
                      size_t *earlier)
{
    size_t len = strlen(key), k;

    if (2 * (set->n + 1) > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        struct idslot *t = calloc(cap, sizeof *t);
        if (!t) {
            ld->rc = ld->rc ? ld->rc : ERR_NOMEM;
            return false;
        }
        for (size_t i = 0; i < set->cap; i++) {
            const char *old;
            if (!set->slots[i].off)
                continue;
            old = set->keys.data + set->slots[i].off - 1;
            for (k = (size_t)util_hash(old, strlen(old)) & (cap - 1); t[k].off;
                 k = (k + 1) & (cap - 1))
                ;
            t[k] = set->slots[i];
        }
        free(set->slots);
        set->slots = t;
        set->cap = cap;
    }
    for (k = (size_t)util_hash(key, len) & (set->cap - 1); set->slots[k].off;
         k = (k + 1) & (set->cap - 1))
        if (strcmp(set->keys.data + set->slots[k].off - 1, key) == 0) {
            *earlier = set->slots[k].first;
            return false;
        }
    set->slots[k].off = set->keys.len + 1;
    set->slots[k].first = first;
    if (buf_add(&set->keys, key, len + 1)) {
        set->slots[k].off = 0;
        ld->rc = ld->rc ? ld->rc : ERR_NOMEM;
        return false;
    }
    set->n++;
    return true;
}

/* Records a problem when id is the same id as one seen before in set (util_id_key), else
 * remembers it as seen at first. at is where it is; where_first writes where the earlier one is.
 * what names the list. Returns true when the id was new. */
static bool check_unique(struct loader *ld, struct idset *set, const char *id, size_t first,
                         const struct at *at, const char *what,
                         const char *(*where_first)(const void *ctx, size_t first, char *out,
                                                    size_t size),
                         const void *ctx)
{
    char key[128], path[PATH_MAX_LEN], before[PATH_MAX_LEN];
    size_t earlier;

    if (!util_id_key(id, key, sizeof key)) {
        problem(ld, at_str(at, NULL, path, sizeof path),
                "id '%.80s...' is longer than any id the API issues", id);
        return false;
    }
    if (idset_add(ld, set, key, first, &earlier))
        return true;
    if (!ld->rc)
        problem(ld, at_str(at, NULL, path, sizeof path),
                "%s '%.100s' appears twice (also at %s): a list that repeats an id has lost "
                "another, so what it holds cannot be trusted",
                what, id, where_first(ctx, earlier, before, sizeof before));
    return false;
}

static size_t check_ids(struct loader *ld, struct jval *list, const struct at *at, const char *key,
                        const char *what);

/* The path of member i of a map at top (for check_unique). */
struct member_at {
    const struct at *top;
    struct jval *map;
};

static const char *member_path(const void *ctx, size_t i, char *out, size_t size)
{
    const struct member_at *ma = ctx;
    struct jmem *end, *m = jv_members(ma->map, &end) + i;

    return at_str(&(struct at){.up = ma->top, .key = m->key}, NULL, out, size);
}

/* The records of a map of API answers (servers, volumes, flavor lists): each {"http_status": n,
 * "<record>": the answer} or the error the service gave. Object records are checked with fields
 * (and their id against the key); array records (a zone's flavors) item by item. */
static void check_records(struct loader *ld, const struct snapshot_part *part, struct jval *map,
                          const struct field_spec *fields)
{
    char path[PATH_MAX_LEN];
    struct idset seen = {0};
    bool list = part->record_is_list;
    size_t count = 0;
    struct jmem *m, *end, *members = jv_members(map, &end);
    const struct at top = {.name = part->key};

    buf_init(&seen.keys, 0);
    for (m = members; m < end; m++) {
        struct jval *entry = &m->v, *rec, *err;
        const char *key = m->key;
        const struct at here = {.up = &top, .key = key};
        long long code;

        if (m->gone)
            continue;
        count++;
        check_unique(ld, &seen, key, (size_t)(m - members), &here, part->noun, member_path,
                     &(struct member_at){&top, map});
        if (!jv_is(entry, JT_OBJECT)) {
            problem(ld, at_str(&here, NULL, path, sizeof path), "expected an object, got %s",
                    jv_type_name(entry));
            continue;
        }
        if (!normalize_field(ld, entry, &here, "http_status", F_INT, true))
            continue;
        code = jv_get(entry, "http_status")->u.i;
        err = jv_get(entry, "error");
        if (code == 200) {
            const struct at sub = {.up = &here, .name = part->record};
            if (!normalize_field(ld, entry, &here, part->record, list ? F_ARR : F_OBJ, true))
                continue;
            rec = jv_get(entry, part->record);
            if (list) {
                normalize_list(ld, rec, &sub, fields);
                if (part->item_key)
                    check_ids(ld, rec, &sub, part->item_key, part->item_key);
                continue;
            }
            normalize_object(ld, rec, &sub, fields);
            const char *id = jv_get_str(rec, "id");
            if (id && !util_same_id(id, key))
                problem(ld, at_str(&sub, NULL, path, sizeof path),
                        "%s id '%.100s' does not match its key '%.100s'", part->noun, id, key);
        } else if (code == 404 && part->not_offered_404) {
            /* the cloud does not offer the call: no evidence, and nothing failed */
        } else if (code == 404 && part->gone_code && !says_gone(part, err, key)) {
            /* Only the service saying "no such thing" (its own error code) means deleted; a 404
             * from anything in between (a gateway's APIG.*, a proxy, no body) is a failure to
             * look. */
            const char *c = jv_get_str(err, "code");
            problem(ld, at_str(&here, NULL, path, sizeof path),
                    "%s '%.100s': HTTP 404 without an %s error code (%s%.60s): cannot tell "
                    "whether it was deleted",
                    part->noun, key, part->service, c ? "code " : "no code", c ? c : "");
        } else if (code != 404 || !part->gone_code) {
            const char *msg = jv_get_str(err, "message");
            problem(ld, at_str(&here, NULL, path, sizeof path),
                    "%s '%.100s' could not be read: HTTP %lld%s%.200s", part->noun, key, code,
                    msg ? ": " : "", msg ? msg : "");
        }
    }
    idset_free(&seen);
    if (count > ld->lim->max_items) {
        snprintf(path, sizeof path, "$.%s", part->key);
        problem(ld, path, "%zu %ss exceed the limit of %zu", count, part->noun, ld->lim->max_items);
    }
}

/* What the credential showed of itself: {"roles": ["te_admin", ...], "source": "..."}. A role
 * list that is not a list of names is not used (a rule reading it sees no caller). */
static void check_caller(struct loader *ld, struct jval *caller)
{
    static const struct field_spec fields[] = {
        {"roles", F_ARR, true}, {"source", F_STR, false}, {NULL, F_STR, false}};
    struct jval *roles;

    normalize_object(ld, caller, &(struct at){.name = "caller"}, fields);
    if (!(roles = jv_get(caller, "roles")))
        return;
    for (size_t i = 0; i < jv_len(roles); i++)
        if (!jv_is(jv_at(roles, i), JT_STRING)) {
            char path[64];
            snprintf(path, sizeof path, "$.caller.roles[%zu]", i);
            problem(ld, path, "expected a role name, got %s", jv_type_name(jv_at(roles, i)));
            jv_remove(caller, "roles");
            return;
        }
}

/* Each server an instance references must have a record. */
static void check_references(struct loader *ld)
{
    static const char *const refs[] = {"source_server", "target_server"};
    char path[PATH_MAX_LEN];
    size_t n = jv_len(ld->s->instances);

    for (size_t i = 0; i < n; i++) {
        struct jval *pi = jv_at(ld->s->instances, i);
        for (size_t k = 0; k < 2; k++) {
            const char *id = jv_get_str(pi, refs[k]);
            if (!id || !ld->s->servers)
                continue;
            if (!jv_get(ld->s->servers, id)) {
                snprintf(path, sizeof path, "$.protected_instances[%zu].%s", i, refs[k]);
                problem(ld, path, "server '%.100s' is not in $.servers", id);
            }
        }
    }
}

/* The path of element i's key field of a list at (for check_unique). */
struct element_at {
    const struct at *list;
    const char *key;
};

static const char *element_path(const void *ctx, size_t i, char *out, size_t size)
{
    const struct element_at *ea = ctx;

    return at_str(&(struct at){.up = ea->list, .index = i}, ea->key, out, size);
}

/* The ids of a list are unique; returns how many distinct ids it holds. */
static size_t check_ids(struct loader *ld, struct jval *list, const struct at *at, const char *key,
                        const char *what)
{
    struct idset seen = {0};
    size_t n = jv_len(list), distinct = 0;
    const struct element_at ea = {at, key};

    buf_init(&seen.keys, 0);
    for (size_t i = 0; i < n; i++) {
        const char *id = jv_get_str(jv_at(list, i), key);
        const struct at el = {.up = at, .index = i}, here = {.up = &el, .name = key};

        if (!id)
            continue; /* reported as a missing required field */
        if (check_unique(ld, &seen, id, i, &here, what, element_path, &ea))
            distinct++;
    }
    idset_free(&seen);
    return distinct;
}

/* Members of the group: unique ids, the same group id, and as many as the group says. */
static void check_membership(struct loader *ld)
{
    const char *gid = jv_get_str(ld->s->group, "id");
    char path[PATH_MAX_LEN];

    for (size_t k = 0; k < NPARTS; k++) {
        const struct snapshot_part *p = &part_table[k].part;
        struct jval *list = snapshot_part_value(ld->s, p), *cnt;
        size_t n, distinct;

        if (p->kind != SNAPSHOT_PART_LIST || !list)
            continue;
        n = jv_len(list);
        distinct = check_ids(ld, list, &(struct at){.name = p->key}, "id", p->noun);
        cnt = jv_get(ld->s->group, p->count_key);
        if (jv_is(cnt, JT_INT) && cnt->u.i != (long long)distinct) {
            snprintf(path, sizeof path, "$.server_group.%s", p->count_key);
            if (distinct == n)
                problem(ld, path, "the group has %lld %ss but the snapshot holds %zu", cnt->u.i,
                        p->noun, n);
            else
                problem(ld, path,
                        "the group has %lld %ss but the snapshot holds %zu distinct ids in %zu "
                        "entries",
                        cnt->u.i, p->noun, distinct, n);
        }
        for (size_t i = 0; gid && i < n; i++) {
            const char *owner = jv_get_str(jv_at(list, i), "server_group_id");
            if (owner && !util_same_id(owner, gid)) {
                snprintf(path, sizeof path, "$.%s[%zu].server_group_id", p->key, i);
                problem(ld, path, "belongs to group '%.100s', not to '%.100s'", owner, gid);
            }
        }
    }
}

static void check_fetch_errors(struct loader *ld, struct jval *fe)
{
    size_t n = jv_len(fe);
    char path[PATH_MAX_LEN];

    for (size_t i = 0; i < n; i++) {
        struct jval *el = jv_at(fe, i);
        const char *req = jv_get_str(el, "request");
        const char *msg = jv_get_str(el, "error");

        snprintf(path, sizeof path, "$.fetch_errors[%zu]", i);
        if (problem_add(&ld->s->problems, "fetch", req ? req : path, "%s",
                        msg ? msg : "the request failed") &&
            !ld->rc)
            ld->rc = ERR_NOMEM;
    }
}

/* Checks the type of a top-level member; absent and null are allowed (reported later as
 * missing where the part is required). Returns ERR_PARSE for the wrong type. */
static int top_type(struct snapshot *s, const char *key, enum jtype want, struct jval **out,
                    struct err *e)
{
    struct jval *v = jv_get(s->root, key);

    *out = NULL;
    if (!v || v->type == JT_NULL)
        return 0;
    if (v->type != want)
        return err_set(e, ERR_PARSE, "%s: $.%s: expected %s, got %s", s->name, key,
                       want == JT_OBJECT  ? "an object"
                       : want == JT_ARRAY ? "an array"
                                          : "a string",
                       jv_type_name(v));
    *out = v;
    return 0;
}

static int check_top_level(struct snapshot *s, struct jval **fetch_errors, struct err *e)
{
    struct jval *schema, *v;
    int rc;

    if (!jv_is(s->root, JT_OBJECT))
        return err_set(e, ERR_PARSE, "%s: not a snapshot: the top level is %s, not an object",
                       s->name, jv_type_name(s->root));
    if (!(schema = jv_get(s->root, "schema")))
        return err_set(e, ERR_PARSE, "%s: not a snapshot: $.schema is missing (expected \"%s\")",
                       s->name, SNAPSHOT_SCHEMA);
    if (!jv_is(schema, JT_STRING))
        return err_set(e, ERR_PARSE, "%s: $.schema: expected a string, got %s", s->name,
                       jv_type_name(schema));
    if (strcmp(schema->u.s, SNAPSHOT_SCHEMA) != 0)
        return err_set(e, ERR_PARSE, "%s: $.schema: unsupported schema \"%.80s\" (expected \"%s\")",
                       s->name, schema->u.s, SNAPSHOT_SCHEMA);
    for (size_t i = 0; i < NPARTS; i++) {
        const struct snapshot_part *p = &part_table[i].part;
        if ((rc = top_type(s, p->key, p->kind == SNAPSHOT_PART_LIST ? JT_ARRAY : JT_OBJECT,
                           part_slot(s, p), e)) != 0)
            return rc;
    }
    if ((rc = top_type(s, "fetch_errors", JT_ARRAY, fetch_errors, e)) ||
        (rc = top_type(s, "endpoints", JT_OBJECT, &v, e)) ||
        (rc = top_type(s, "fetched_at", JT_STRING, &v, e)) ||
        (rc = top_type(s, "tool_version", JT_STRING, &v, e)) ||
        (rc = top_type(s, "project_id", JT_STRING, &v, e)) ||
        (rc = top_type(s, "caller", JT_OBJECT, &s->caller, e)))
        return rc;
    s->project_id = jv_get_str(s->root, "project_id");
    s->fetched_at = jv_get_str(s->root, "fetched_at");
    return 0;
}

static int validate(struct snapshot *s, const struct snapshot_limits *lim, struct err *e)
{
    struct loader ld = {s, lim, 0};
    struct jval *fetch_errors = NULL;
    int rc = check_top_level(s, &fetch_errors, e);

    if (rc)
        return rc;
    if (fetch_errors)
        check_fetch_errors(&ld, fetch_errors);
    for (size_t i = 0; i < NPARTS; i++) {
        const struct snapshot_part *p = &part_table[i].part;
        char where[64];
        if (!p->required || snapshot_part_value(s, p))
            continue;
        snprintf(where, sizeof where, "$.%s", p->key);
        problem(&ld, where, "the snapshot has no %s (required for a decision)", p->key);
    }
    if (!s->fetched_at)
        problem(&ld, "$.fetched_at", "the snapshot has no fetched_at (required for a decision)");
    else if (!util_parse_time(s->fetched_at, &s->now))
        problem(&ld, "$.fetched_at", "'%.60s' is not a timestamp", s->fetched_at);
    for (size_t i = 0; i < NPARTS; i++) {
        const struct snapshot_part *p = &part_table[i].part;
        struct jval *v = snapshot_part_value(s, p);
        const struct at top = {.name = p->key};

        if (!v || !part_table[i].fields)
            continue;
        if (p->kind == SNAPSHOT_PART_OBJECT)
            normalize_object(&ld, v, &top, part_table[i].fields);
        else if (p->kind == SNAPSHOT_PART_LIST)
            normalize_list(&ld, v, &top, part_table[i].fields);
        else
            check_records(&ld, p, v, part_table[i].fields);
    }
    if (s->caller)
        check_caller(&ld, s->caller);
    if (s->instances)
        check_references(&ld);
    check_membership(&ld);
    if (ld.rc)
        return err_set(e, ld.rc, "out of memory");
    return 0;
}

/* The SHA-256 of a snapshot's bytes, taken beside the parse. */
#define DIGEST_APART_MIN (256 * 1024) /* bytes: the parse of 100 instances (594 KiB) takes 1 ms */
struct digest {
    const char *data;
    size_t len;
    char *out;
    int rc;
};

static void *digest_thread(void *arg)
{
    struct digest *d = arg;

    d->rc = util_sha256_hex(d->data, d->len, d->out);
    return NULL;
}

int snapshot_load_buffer(const char *data, size_t len, const char *label,
                         const struct snapshot_limits *lim, struct snapshot **out, struct err *e)
{
    static const struct snapshot_limits defaults = SNAPSHOT_LIMITS_DEFAULT;
    struct jdoc_dup dup = {0};
    struct snapshot *s;
    struct digest dg = {0};
    struct buf name;
    bool threaded = false;
    pthread_t th;
    int rc;

    *out = NULL;
    if (!lim)
        lim = &defaults;
    s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, ERR_NOMEM, "out of memory");
    buf_init(&name, 0);
    if (buf_printf(&name, "snapshot '%s'", util_path_label(label))) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto fail;
    }
    s->name = buf_take(&name);
    if (lim->max_bytes && len > lim->max_bytes) {
        rc = err_set(e, ERR_LIMIT, "%s: %zu bytes exceed the limit of %zu bytes", s->name, len,
                     lim->max_bytes);
        goto fail;
    }
    /* The digest is taken on a thread of its own while the text is parsed and checked (with
     * libcrypto's first use, as long as the parse of a large snapshot); without a thread, here.
     * A long parse keeps this processor: the digest starts on another (util_thread_start). A
     * short one ends at once and frees it for the digest, while the other may be busy loading
     * the rules (a check of one instance: 11.3 ms against 13.1 with the digest sent there). */
    dg = (struct digest){.data = data, .len = len, .out = s->sha256};
    threaded = (len >= DIGEST_APART_MIN ? util_thread_start(&th, digest_thread, &dg)
                                        : pthread_create(&th, NULL, digest_thread, &dg)) == 0;
    if (!threaded)
        digest_thread(&dg);
    rc = jdoc_parse(data, len, s->name, lim->max_depth, &s->doc, &dup, e);
    if (rc)
        goto fail;
    s->root = jdoc_root(s->doc);
    if (dup.found &&
        problem_add(&s->problems, "snapshot", dup.path,
                    "key \"%s\" appears twice: a reader of the file sees the first value, this "
                    "tool would read the last, so the snapshot is ambiguous",
                    dup.key)) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto fail;
    }
    rc = validate(s, lim, e);
fail:
    if (threaded)
        pthread_join(th, NULL); /* it reads data, which is the caller's once this returns */
    if (!rc && dg.rc)
        rc = err_set(e, dg.rc, "out of memory");
    if (rc) {
        snapshot_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int snapshot_load_file(const char *path, const struct snapshot_limits *lim, struct snapshot **out,
                       struct err *e)
{
    static const struct snapshot_limits defaults = SNAPSHOT_LIMITS_DEFAULT;
    struct buf b;
    int rc;

    *out = NULL;
    if (!lim)
        lim = &defaults;
    buf_init(&b, 0);
    rc = util_read_file(path, lim->max_bytes, &b, e);
    if (rc) {
        err_prefix(e, rc, "snapshot");
        buf_free(&b);
        return rc;
    }
    rc = snapshot_load_buffer(buf_str(&b), b.len, path, lim, out, e);
    buf_free(&b);
    return rc;
}

void snapshot_free(struct snapshot *s)
{
    if (!s)
        return;
    jdoc_free(s->doc);
    problem_list_clear(&s->problems);
    free(s->name);
    free(s);
}

/*
 * A command's last snapshot is left to the exit, which takes its pages back in one step. At most
 * one is held: the next one frees it. The static reference keeps it reachable, so valgrind and
 * LeakSanitizer do not count it as a leak.
 */
void snapshot_free_at_exit(struct snapshot *s)
{
    static struct snapshot *held;

    snapshot_free(held);
    held = s;
}

const char *server_state_name(enum server_state st)
{
    switch (st) {
    case SERVER_PRESENT:
        return "present";
    case SERVER_DELETED:
        return "deleted";
    case SERVER_MISSING:
        break;
    }
    return "missing";
}

/* A record of a map of API answers (snapshot_server, snapshot_volume). */
static enum server_state record_of(const struct snapshot_part *p, struct jval *map, const char *id,
                                   struct jval **obj, struct jval **error)
{
    struct jval *entry, *status, *o, *err;

    *obj = NULL;
    *error = NULL;
    entry = id ? jv_get(map, id) : NULL;
    if (!jv_is(entry, JT_OBJECT))
        return SERVER_MISSING;
    err = jv_get(entry, "error");
    if (jv_is(err, JT_OBJECT))
        *error = err;
    status = jv_get(entry, "http_status");
    if (!jv_is(status, JT_INT))
        return SERVER_MISSING;
    if (status->u.i == 404)
        return says_gone(p, err, id) ? SERVER_DELETED : SERVER_MISSING;
    o = jv_get(entry, p->record);
    if (status->u.i != 200 || !jv_is(o, JT_OBJECT))
        return SERVER_MISSING;
    *obj = o;
    return SERVER_PRESENT;
}

enum server_state snapshot_server(const struct snapshot *s, const char *id, struct jval **server,
                                  struct jval **error)
{
    enum server_state st = record_of(&part_table[P_SERVERS].part, s->servers, id, server, error);

    if (st == SERVER_PRESENT &&
        vocab_tagged("server.status", jv_get_str(*server, "status"), "gone"))
        return SERVER_DELETED;
    return st;
}

enum server_state snapshot_volume(const struct snapshot *s, const char *id, struct jval **volume,
                                  struct jval **error)
{
    return record_of(&part_table[P_VOLUMES].part, s->volumes, id, volume, error);
}

struct jval *snapshot_image(const struct snapshot *s, const char *id)
{
    struct jval *img = id ? jv_get(s->images, id) : NULL;

    return jv_is(img, JT_OBJECT) ? img : NULL;
}
