/* The snapshot reader: every API quirk it must tolerate, every malformed input it must reject. */
#include "testutil.h"

#include "jdoc.h"
#include "jsonutil.h"
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

/* A small, complete snapshot; tests change it with JSON Patch operations. */
static const char BASE[] =
    "{\"schema\":\"sdrs-preflight/snapshot@1\",\"fetched_at\":\"2026-11-25T12:00:00Z\","
    "\"tool_version\":\"0.1.0\",\"project_id\":\"p1\",\"endpoints\":{\"sdrs\":\"https://x\"},"
    "\"server_group\":{\"id\":\"11111111-2222-3333-4444-555555555555\",\"name\":\"pg\","
    "\"status\":\"protected\",\"priority_station\":\"source\",\"replication_num\":1,"
    "\"protected_instance_num\":1,\"disaster_recovery_drill_num\":0,\"description\":null,"
    "\"created_at\":\"2019-05-22 08:16:54.413\"},"
    "\"protected_instances\":[{\"id\":\"pi1\",\"status\":\"protected\",\"source_server\":\"s1\","
    "\"target_server\":\"t1\",\"priority_station\":\"source\","
    "\"server_group_id\":\"11111111222233334444555555555555\",\"metadata\":{},"
    "\"attachment\":[{\"replication\":\"r1\",\"device\":\"/dev/vda\"}]}],"
    "\"replications\":[{\"id\":\"r1\",\"status\":\"protected\",\"fault_level\":\"0\","
    "\"replication_status\":\"active\",\"progress\":100,\"priority_station\":\"source\","
    "\"record_metadata\":{\"volume_size\":\"10\",\"bootable\":true,\"multiattach\":false},"
    "\"created_at\":\"2018-05-04T03:43:24.108526\"}],"
    "\"disaster_recovery_drills\":[],"
    "\"servers\":{\"s1\":{\"http_status\":200,\"server\":{\"id\":\"s1\",\"status\":\"ACTIVE\","
    "\"locked\":false,\"OS-EXT-STS:power_state\":1,\"metadata\":{\"os_type\":\"Linux\"}}},"
    "\"t1\":{\"http_status\":200,\"server\":{\"id\":\"t1\",\"status\":\"SHUTOFF\","
    "\"metadata\":{}}}},"
    "\"fetch_errors\":[]}";

/* Loads BASE after applying the patch (a JSON array of operations, or NULL). */
static int load(const char *patch, struct snapshot **out, struct err *e)
{
    struct json_object *doc = NULL, *ops = NULL;
    const char *text;
    int rc;

    ck_assert_int_eq(jsonutil_parse(BASE, strlen(BASE), "base", 64, &doc, e), 0);
    if (patch) {
        ck_assert_msg(jsonutil_parse(patch, strlen(patch), "patch", 64, &ops, e) == 0, "%s",
                      e->msg);
        ck_assert_msg(jsonutil_patch(doc, ops, e) == 0, "%s", e->msg);
    }
    text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    rc = snapshot_load_buffer(text, strlen(text), "test.json", NULL, out, e);
    json_object_put(ops);
    json_object_put(doc);
    return rc;
}

static struct snapshot *load_ok(const char *patch)
{
    struct snapshot *s = NULL;
    struct err e = {0};

    ck_assert_msg(load(patch, &s, &e) == 0, "load failed: %s", e.msg);
    return s;
}

/* True when some problem's where equals `where` and its message contains `needle`. */
static bool has_problem(const struct snapshot *s, const char *where, const char *needle)
{
    for (size_t i = 0; i < s->problems.n; i++)
        if ((!where || strcmp(s->problems.items[i].where, where) == 0) &&
            strstr(s->problems.items[i].message, needle))
            return true;
    return false;
}

static void dump_problems(const struct snapshot *s)
{
    for (size_t i = 0; i < s->problems.n; i++)
        fprintf(stderr, "  problem %s: %s\n", s->problems.items[i].where,
                s->problems.items[i].message);
}

/* The value at a JSON Pointer ("/replications/0/progress") in a snapshot's document. */
static struct jval *path(struct jval *root, const char *ptr)
{
    struct jval *v = root;

    while (*ptr == '/') {
        char part[128];
        size_t n = strcspn(ptr + 1, "/");
        ck_assert(n < sizeof part);
        memcpy(part, ptr + 1, n);
        part[n] = '\0';
        v = jv_is(v, JT_ARRAY) ? jv_at(v, (size_t)strtoul(part, NULL, 10)) : jv_get(v, part);
        ck_assert_msg(v != NULL, "no %s", ptr);
        ptr += n + 1;
    }
    return v;
}

/* The value at a JSON Pointer in a json-c document (the test's own inputs). */
static struct json_object *cpath(struct json_object *root, const char *ptr)
{
    struct json_object *v = NULL;

    ck_assert_msg(json_pointer_get(root, ptr, &v) == 0, "no %s", ptr);
    return v;
}

START_TEST(base_is_clean)
{
    struct snapshot *s = load_ok(NULL);

    dump_problems(s);
    ck_assert_uint_eq(s->problems.n, 0);
    ck_assert_str_eq(s->project_id, "p1");
    ck_assert_int_eq(s->now, 1795608000LL);
    ck_assert_uint_eq(strlen(s->sha256), 64);
    snapshot_free(s);
}
END_TEST

START_TEST(numbers_as_strings_and_strings_as_numbers)
{
    struct snapshot *s =
        load_ok("[{\"op\":\"replace\",\"path\":\"/replications/0/fault_level\","
                "\"value\":\"5\"},"
                "{\"op\":\"replace\",\"path\":\"/replications/0/progress\","
                "\"value\":\"99\"},"
                "{\"op\":\"replace\",\"path\":\"/server_group/replication_num\","
                "\"value\":1.0},"
                "{\"op\":\"add\",\"path\":\"/server_group/name\",\"value\":\"42\"}]");
    struct jval *v;

    ck_assert_uint_eq(s->problems.n, 0);
    v = path(s->root, "/replications/0/fault_level");
    ck_assert(jv_is(v, JT_INT));
    ck_assert_int_eq(v->u.i, 5);
    ck_assert_int_eq(path(s->root, "/replications/0/progress")->u.i, 99);
    ck_assert(jv_is(path(s->root, "/replications/0/record_metadata/volume_size"), JT_INT));
    ck_assert_int_eq(path(s->root, "/replications/0/record_metadata/volume_size")->u.i, 10);
    ck_assert(jv_is(path(s->root, "/server_group/replication_num"), JT_INT));
    ck_assert_str_eq(jv_str(path(s->root, "/server_group/name")), "42");
    snapshot_free(s);

    s = load_ok("[{\"op\":\"replace\",\"path\":\"/replications/0/fault_level\",\"value\":5}]");
    ck_assert_int_eq(path(s->root, "/replications/0/fault_level")->u.i, 5);
    snapshot_free(s);
}
END_TEST

/* " 5", "+5" and "5 " are not spellings of 5: a blank or sign variant of a number is a problem,
 * never a silent match of a documented value. */
START_TEST(number_strings_are_exact)
{
    static const char *const variants[] = {"\" 5\"", "\"+5\"", "\"5 \"", "\"5.0\"", "\"0x5\""};

    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        char patch[256];
        struct snapshot *s;

        snprintf(patch, sizeof patch,
                 "[{\"op\":\"replace\",\"path\":\"/replications/0/fault_level\",\"value\":%s}]",
                 variants[i]);
        s = load_ok(patch);
        ck_assert_msg(s->problems.n == 1, "%s: %zu problems", variants[i], s->problems.n);
        ck_assert_str_eq(s->problems.items[0].where, "$.replications[0].fault_level");
        ck_assert_ptr_null(jv_get(jv_at(s->replications, 0), "fault_level"));
        snapshot_free(s);
    }
}
END_TEST

START_TEST(booleans_as_strings)
{
    static const struct {
        const char *value;
        bool want;
    } cases[] = {{"\"true\"", true},
                 {"true", true},
                 {"\"false\"", false},
                 {"false", false},
                 {"\"\"", false}};
    /* not documented spellings: a problem, and the field is gone */
    static const char *const undocumented[] = {"\"TRUE\"", "\"True\"", "\"1\"",
                                               "0",        "1",        "\"yes\""};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char patch[256];
        struct snapshot *s;
        struct jval *v;

        snprintf(patch, sizeof patch,
                 "[{\"op\":\"add\",\"path\":\"/protected_instances/0/metadata/__system__frozen\","
                 "\"value\":%s}]",
                 cases[i].value);
        s = load_ok(patch);
        ck_assert_uint_eq(s->problems.n, 0);
        v = path(s->root, "/protected_instances/0/metadata/__system__frozen");
        ck_assert_msg(jv_is(v, JT_BOOL), "%s", cases[i].value);
        ck_assert_int_eq(v->u.b, cases[i].want);
        snapshot_free(s);
    }
    for (size_t i = 0; i < sizeof undocumented / sizeof undocumented[0]; i++) {
        char patch[256];
        struct snapshot *s;

        snprintf(patch, sizeof patch,
                 "[{\"op\":\"add\",\"path\":\"/protected_instances/0/metadata/__system__frozen\","
                 "\"value\":%s}]",
                 undocumented[i]);
        s = load_ok(patch);
        ck_assert_msg(s->problems.n == 1, "%s", undocumented[i]);
        ck_assert_str_eq(s->problems.items[0].where,
                         "$.protected_instances[0].metadata.__system__frozen");
        snapshot_free(s);
    }
}
END_TEST

START_TEST(nulls_and_missing_optional_fields)
{
    struct snapshot *s = load_ok("[{\"op\":\"replace\",\"path\":\"/replications/0/fault_level\","
                                 "\"value\":null},"
                                 "{\"op\":\"remove\",\"path\":\"/replications/0/progress\"},"
                                 "{\"op\":\"remove\",\"path\":\"/protected_instances/0/metadata\"},"
                                 "{\"op\":\"add\",\"path\":\"/server_group/replication_status\","
                                 "\"value\":null},"
                                 "{\"op\":\"add\",\"path\":\"/server_group/extra_field\","
                                 "\"value\":{\"nested\":[1,2,3]}}]");

    dump_problems(s);
    ck_assert_uint_eq(s->problems.n, 0);
    ck_assert_ptr_nonnull(path(s->root, "/server_group/extra_field/nested"));
    snapshot_free(s);
}
END_TEST

START_TEST(unusable_types_are_problems)
{
    struct snapshot *s =
        load_ok("[{\"op\":\"replace\",\"path\":\"/replications/0/fault_level\","
                "\"value\":\"abc\"},"
                "{\"op\":\"add\",\"path\":\"/protected_instances/0/metadata/"
                "__system__frozen\",\"value\":\"maybe\"},"
                "{\"op\":\"replace\",\"path\":\"/server_group/status\","
                "\"value\":{\"a\":1}},"
                "{\"op\":\"replace\",\"path\":\"/server_group/name\","
                "\"value\":42},"
                "{\"op\":\"replace\",\"path\":\"/protected_instances/0/source_server\","
                "\"value\":null}]");
    struct jval *pair = path(s->root, "/replications/0");

    ck_assert(has_problem(s, "$.replications[0].fault_level", "expected an integer, got string"));
    ck_assert(
        has_problem(s, "$.protected_instances[0].metadata.__system__frozen", "expected a boolean"));
    ck_assert(has_problem(s, "$.server_group.status", "expected a string, got object"));
    ck_assert(has_problem(s, "$.server_group.name", "expected a string, got number 42"));
    ck_assert(has_problem(s, "$.protected_instances[0].source_server", "required field is null"));
    /* the unusable value is gone, so a rule sees nil, never "abc" */
    ck_assert_ptr_null(jv_get(pair, "fault_level"));
    snapshot_free(s);
}
END_TEST

START_TEST(timestamp_formats)
{
    static const struct {
        const char *s;
        long long t;
    } ok[] = {
        {"2019-05-22 08:16:54.413", 1558513014},    {"2018-05-09 22:11:45.0", 1525903905},
        {"2018-05-04T03:43:24.108526", 1525405404}, {"2018-04-19T01:55:30.443Z", 1524102930},
        {"2019-05-22T03:30:52Z", 1558495852},       {"2022-03-18 13:55:33.570000", 1647611733},
        {"2019-05-30 01:40:00.74", 1559180400},     {"20191115T033655Z", 1573789015},
        {"2019-05-22T05:30:52+02:00", 1558495852},  {"2026-12-31", 1798675200},
    };
    static const char *const bad[] = {"",           "yesterday",        "2019-13-01 00:00:00",
                                      "2019-02-30", "2019-05-22 08:16", "2019-05-22T08:16:54.",
                                      "2019-05-22x"};
    long long t;

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ck_assert_msg(util_parse_time(ok[i].s, &t), "cannot parse %s", ok[i].s);
        ck_assert_msg(t == ok[i].t, "%s -> %lld, want %lld", ok[i].s, t, ok[i].t);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!util_parse_time(bad[i], &t), "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(ids_with_and_without_dashes)
{
    /* BASE's instance names its group in 32-hex form; the group id is a dashed UUID. */
    struct snapshot *s = load_ok("[{\"op\":\"add\",\"path\":\"/replications/0/server_group_id\","
                                 "\"value\":\"11111111-2222-3333-4444-555555555555\"}]");

    ck_assert_uint_eq(s->problems.n, 0);
    snapshot_free(s);
    s = load_ok("[{\"op\":\"add\",\"path\":\"/replications/0/server_group_id\","
                "\"value\":\"99999999-2222-3333-4444-555555555555\"}]");
    ck_assert(has_problem(s, "$.replications[0].server_group_id", "belongs to group"));
    snapshot_free(s);
}
END_TEST

START_TEST(missing_parts_are_problems)
{
    static const char *const parts[] = {"server_group", "protected_instances", "replications",
                                        "disaster_recovery_drills", "servers"};

    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char patch[200], where[64];
        struct snapshot *s;

        snprintf(patch, sizeof patch, "[{\"op\":\"remove\",\"path\":\"/%s\"}]", parts[i]);
        snprintf(where, sizeof where, "$.%s", parts[i]);
        s = load_ok(patch);
        ck_assert_msg(has_problem(s, where, "required for a decision"), "%s", parts[i]);
        snapshot_free(s);
        snprintf(patch, sizeof patch, "[{\"op\":\"replace\",\"path\":\"/%s\",\"value\":null}]",
                 parts[i]);
        s = load_ok(patch);
        ck_assert_msg(has_problem(s, where, "required for a decision"), "null %s", parts[i]);
        snapshot_free(s);
    }
}
END_TEST

START_TEST(fetch_errors_and_missing_servers)
{
    struct snapshot *s = load_ok("[{\"op\":\"add\",\"path\":\"/fetch_errors/-\",\"value\":"
                                 "{\"request\":\"GET /v1/p1/replications\",\"error\":\"timeout\"}},"
                                 "{\"op\":\"remove\",\"path\":\"/servers/t1\"}]");

    ck_assert(has_problem(s, "GET /v1/p1/replications", "timeout"));
    ck_assert(has_problem(s, "$.protected_instances[0].target_server", "'t1' is not in $.servers"));
    snapshot_free(s);
}
END_TEST

START_TEST(counts_must_match)
{
    struct snapshot *s = load_ok("[{\"op\":\"replace\",\"path\":\"/server_group/replication_num\","
                                 "\"value\":3}]");

    ck_assert(has_problem(s, "$.server_group.replication_num", "has 3 replication pairs but"));
    snapshot_free(s);
}
END_TEST

START_TEST(server_states)
{
    struct snapshot *s = load_ok(
        "[{\"op\":\"replace\",\"path\":\"/servers/t1\",\"value\":{\"http_status\":404,\"error\":"
        "{\"code\":\"Ecs.0114\",\"message\":\"The ECS does not exist.\"}}},"
        "{\"op\":\"add\",\"path\":\"/servers/x1\",\"value\":{\"http_status\":\"200\",\"server\":"
        "{\"id\":\"x1\",\"status\":\"SOFT_DELETED\"}}},"
        "{\"op\":\"add\",\"path\":\"/servers/x2\",\"value\":{\"http_status\":500}}]");
    struct jval *srv, *err;

    ck_assert_int_eq(snapshot_server(s, "s1", &srv, &err), SERVER_PRESENT);
    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(snapshot_server(s, "t1", &srv, &err), SERVER_DELETED);
    ck_assert_ptr_null(srv);
    ck_assert_str_eq(jv_get_str(err, "code"), "Ecs.0114");
    ck_assert_int_eq(snapshot_server(s, "x1", &srv, &err), SERVER_DELETED);
    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(snapshot_server(s, "x2", &srv, &err), SERVER_MISSING);
    ck_assert_int_eq(snapshot_server(s, "nope", &srv, &err), SERVER_MISSING);
    ck_assert(has_problem(s, "$.servers[\"x2\"]", "HTTP 500"));
    snapshot_free(s);
}
END_TEST

/* A 404 decides "deleted" only with ECS's own error code; any other 404 is a failure to look. */
START_TEST(deleted_only_on_ecs_evidence)
{
    static const char *const not_ecs[] = {
        "{\"http_status\":404,\"error\":{\"code\":\"APIG.0101\",\"message\":\"no route\"}}",
        "{\"http_status\":404}",
        "{\"http_status\":404,\"error\":{\"message\":\"Not Found\"}}",
    };

    for (size_t i = 0; i < sizeof not_ecs / sizeof not_ecs[0]; i++) {
        char patch[400];
        struct snapshot *s;
        struct jval *srv, *err;

        snprintf(patch, sizeof patch,
                 "[{\"op\":\"replace\",\"path\":\"/servers/t1\",\"value\":%s}]", not_ecs[i]);
        s = load_ok(patch);
        ck_assert_int_eq(snapshot_server(s, "t1", &srv, &err), SERVER_MISSING);
        ck_assert_msg(has_problem(s, "$.servers[\"t1\"]", "cannot tell whether it was deleted"),
                      "%s", not_ecs[i]);
        snapshot_free(s);
    }
}
END_TEST

/* The EVS disks (volumes) follow the servers' rules: "gone" only on EVS's own 404 (an EVS.* code,
 * or Cinder's itemNotFound with the number 404), a string "true" is a boolean, the record's id
 * matches its key, and a snapshot without the part is not a problem (older versions). */
START_TEST(volume_records)
{
    struct snapshot *s = load_ok(
        "[{\"op\":\"add\",\"path\":\"/volumes\",\"value\":{"
        "\"v1\":{\"http_status\":200,\"volume\":{\"id\":\"v1\",\"status\":\"in-use\","
        "\"bootable\":\"true\",\"size\":\"10\",\"attachments\":[]}},"
        "\"v2\":{\"http_status\":404,\"error\":{\"code\":\"404\",\"message\":\"Volume v2 could "
        "not be found.\"}},"
        "\"v3\":{\"http_status\":404,\"error\":{\"code\":\"EVS.5404\",\"message\":\"gone\"}},"
        "\"v4\":{\"http_status\":404,\"error\":{\"code\":\"APIG.0101\",\"message\":\"no API\"}},"
        "\"v5\":{\"http_status\":403,\"error\":{\"code\":\"EVS.2056\",\"message\":\"deny\"}},"
        "\"v6\":{\"http_status\":200,\"volume\":{\"id\":\"other\",\"status\":\"in-use\"}},"
        "\"v7\":{\"http_status\":404,\"error\":{\"code\":\"404\",\"message\":\"Not Found\"}}}}]");
    struct jval *vol, *err;

    ck_assert_int_eq(snapshot_volume(s, "v1", &vol, &err), SERVER_PRESENT);
    ck_assert(jv_is(jv_get(vol, "bootable"), JT_BOOL));
    ck_assert(jv_is(jv_get(vol, "size"), JT_INT) && jv_get(vol, "size")->u.i == 10);
    ck_assert_int_eq(snapshot_volume(s, "v2", &vol, &err), SERVER_DELETED);
    ck_assert_int_eq(snapshot_volume(s, "v3", &vol, &err), SERVER_DELETED);
    ck_assert_int_eq(snapshot_volume(s, "v4", &vol, &err), SERVER_MISSING);
    ck_assert(has_problem(s, "$.volumes[\"v4\"]", "without an EVS error code"));
    ck_assert_int_eq(snapshot_volume(s, "v5", &vol, &err), SERVER_MISSING);
    ck_assert(has_problem(s, "$.volumes[\"v5\"]", "could not be read: HTTP 403"));
    ck_assert(has_problem(s, "$.volumes[\"v6\"].volume", "does not match its key"));
    /* a bare 404 that does not name the disk (a proxy, a route not served) is no deletion */
    ck_assert_int_eq(snapshot_volume(s, "v7", &vol, &err), SERVER_MISSING);
    ck_assert(has_problem(s, "$.volumes[\"v7\"]", "without an EVS error code"));
    ck_assert_int_eq(snapshot_volume(s, "nope", &vol, &err), SERVER_MISSING);
    snapshot_free(s);

    s = load_ok(NULL);
    ck_assert_ptr_null(s->volumes);
    ck_assert_ptr_null(s->flavors);
    ck_assert_int_eq((int)s->problems.n, 0);
    ck_assert_int_eq(snapshot_volume(s, "v1", &vol, &err), SERVER_MISSING);
    snapshot_free(s);
}
END_TEST

/* Flavor lists by zone: each flavor checked (vcpus a string in the API), a list that could not be
 * read is a problem, and a flavor list is never "gone". */
START_TEST(flavor_records)
{
    struct snapshot *s =
        load_ok("[{\"op\":\"add\",\"path\":\"/flavors\",\"value\":{"
                "\"az1\":{\"http_status\":200,\"flavors\":[{\"id\":\"s3.large.2\",\"vcpus\":\"2\","
                "\"ram\":4096,\"os_extra_specs\":{}},{\"id\":\"x\",\"vcpus\":\"two\"}]},"
                "\"az2\":{\"http_status\":404,\"error\":{\"code\":\"Ecs.0000\",\"message\":\"x\"}},"
                "\"az3\":{\"http_status\":200,\"flavors\":{}},"
                "\"az4\":{\"http_status\":200,\"flavors\":[{\"id\":\"f\",\"os_extra_specs\":{}},"
                "{\"id\":\"f\",\"os_extra_specs\":{\"cond:operation:status\":\"sellout\"}}]}}}]");
    struct jval *list = jv_get(jv_get(s->flavors, "az1"), "flavors");

    ck_assert(jv_is(jv_get(jv_at(list, 0), "vcpus"), JT_INT));
    ck_assert(has_problem(s, "$.flavors[\"az1\"].flavors[1].vcpus", "expected an integer"));
    ck_assert(has_problem(s, "$.flavors[\"az2\"]", "could not be read: HTTP 404"));
    ck_assert(has_problem(s, "$.flavors[\"az3\"].flavors", "expected an array"));
    /* a hostile list naming a flavor twice (on sale and sold out): which holds cannot be told */
    ck_assert(has_problem(s, "$.flavors[\"az4\"].flavors[1].id", "appears twice"));
    snapshot_free(s);
}
END_TEST

/* Huawei Cloud's flavor capacity by flavor id: a 404 is a cloud without the call (no problem),
 * other failures are problems; prefer is a boolean. */
START_TEST(capacity_records)
{
    struct snapshot *s = load_ok(
        "[{\"op\":\"add\",\"path\":\"/flavor_capacity\",\"value\":{"
        "\"f1\":{\"http_status\":200,\"resources\":[{\"availability_zone\":\"az1\","
        "\"prefer\":\"false\"},{\"availability_zone\":\"az2\",\"prefer\":\"maybe\"}]},"
        "\"f2\":{\"http_status\":404,\"error\":{\"code\":\"APIG.0101\",\"message\":\"no API\"}},"
        "\"f3\":{\"http_status\":500},"
        "\"f4\":{\"http_status\":200,\"resources\":[{\"availability_zone\":\"az1\",\"prefer\":true}"
        ","
        "{\"availability_zone\":\"az1\",\"prefer\":false}]}}}]");
    struct jval *list, *v;

    ck_assert_ptr_nonnull(s->flavor_capacity);
    list = jv_get(jv_get(s->flavor_capacity, "f1"), "resources");
    v = jv_get(jv_at(list, 0), "prefer");
    ck_assert(jv_is(v, JT_BOOL) && !v->u.b);
    ck_assert(
        has_problem(s, "$.flavor_capacity[\"f1\"].resources[1].prefer", "expected a boolean"));
    ck_assert(!has_problem(s, "$.flavor_capacity[\"f2\"]", ""));
    ck_assert(has_problem(s, "$.flavor_capacity[\"f3\"]", "could not be read: HTTP 500"));
    ck_assert(has_problem(s, "$.flavor_capacity[\"f4\"].resources[1].availability_zone",
                          "appears twice"));
    snapshot_free(s);
}
END_TEST

/* What the credential shows of its roles: a list of names, or nothing usable. */
START_TEST(caller_roles)
{
    struct snapshot *s = load_ok("[{\"op\":\"add\",\"path\":\"/caller\",\"value\":{\"roles\":"
                                 "[\"te_admin\",\"op_gated_x\"],\"source\":\"IAM\"}}]");
    ck_assert_ptr_nonnull(s->caller);
    ck_assert(jv_is(jv_get(s->caller, "roles"), JT_ARRAY) &&
              jv_len(jv_get(s->caller, "roles")) == 2);
    ck_assert_int_eq((int)s->problems.n, 0);
    snapshot_free(s);
    s = load_ok("[{\"op\":\"add\",\"path\":\"/caller\",\"value\":{\"roles\":[\"a\",7]}}]");
    ck_assert(has_problem(s, "$.caller.roles[1]", "expected a role name"));
    ck_assert_ptr_null(jv_get(s->caller, "roles"));
    snapshot_free(s);
}
END_TEST

/* A repeated id is found in a list long enough that its set of ids has grown (rehashed) several
 * times, and named with the place it was first seen. */
START_TEST(ids_are_unique_in_a_long_list)
{
    struct buf patch;
    struct snapshot *s;

    buf_init(&patch, 0);
    buf_adds(&patch, "[");
    for (int i = 0; i < 300; i++)
        buf_printf(&patch,
                   "{\"op\":\"add\",\"path\":\"/disaster_recovery_drills/-\",\"value\":{\"id\":"
                   "\"d-%03d\",\"status\":\"available\"}},",
                   i);
    buf_adds(&patch, "{\"op\":\"add\",\"path\":\"/disaster_recovery_drills/-\",\"value\":{"
                     "\"id\":\"D007\",\"status\":\"available\"}}]");
    s = load_ok(buf_str(&patch));
    ck_assert(
        has_problem(s, "$.disaster_recovery_drills[300].id",
                    "DR drill 'D007' appears twice (also at $.disaster_recovery_drills[7].id)"));
    for (size_t i = 0; i < s->problems.n; i++) /* no other id is taken for a repeat */
        ck_assert_msg(
            !strstr(s->problems.items[i].message, "appears twice") ||
                strcmp(s->problems.items[i].where, "$.disaster_recovery_drills[300].id") == 0,
            "%s: %s", s->problems.items[i].where, s->problems.items[i].message);
    snapshot_free(s);
    buf_free(&patch);
}
END_TEST

/* Every list holds each id once (UUID and 32-hex forms are the same id), and the group's *_num
 * counts distinct ids. */
START_TEST(ids_are_unique_in_every_list)
{
    static const struct {
        const char *patch, *where, *needle;
    } cases[] = {
        {"[{\"op\":\"add\",\"path\":\"/protected_instances/-\",\"value\":{\"id\":\"PI1\","
         "\"status\":\"protected\",\"source_server\":\"s1\",\"target_server\":\"t1\"}},"
         "{\"op\":\"replace\",\"path\":\"/server_group/protected_instance_num\",\"value\":2}]",
         "$.protected_instances[1].id",
         "protected instance 'PI1' appears twice (also at "
         "$.protected_instances[0].id)"},
        {"[{\"op\":\"add\",\"path\":\"/replications/-\",\"value\":{\"id\":\"r1\","
         "\"status\":\"protected\"}},"
         "{\"op\":\"replace\",\"path\":\"/server_group/replication_num\",\"value\":2}]",
         "$.replications[1].id", "replication pair 'r1' appears twice"},
        {"[{\"op\":\"add\",\"path\":\"/disaster_recovery_drills/-\",\"value\":{\"id\":"
         "\"d-1\",\"status\":\"available\"}},"
         "{\"op\":\"add\",\"path\":\"/disaster_recovery_drills/-\",\"value\":{\"id\":"
         "\"D1\",\"status\":\"available\"}},"
         "{\"op\":\"replace\",\"path\":\"/server_group/disaster_recovery_drill_num\",\"value\":2}]",
         "$.disaster_recovery_drills[1].id", "DR drill 'D1' appears twice"},
        {"[{\"op\":\"add\",\"path\":\"/servers/T-1\",\"value\":{\"http_status\":200,"
         "\"server\":{\"id\":\"T-1\",\"status\":\"ACTIVE\"}}}]",
         "$.servers[\"T-1\"]", "server 'T-1' appears twice (also at $.servers[\"t1\"])"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct snapshot *s = load_ok(cases[i].patch);
        ck_assert_msg(has_problem(s, cases[i].where, cases[i].needle), "case %zu", i);
        snapshot_free(s);
    }
}
END_TEST

/* One id listed twice in place of another: the counts agree with the entries, but not with the
 * distinct ids, and the duplicate is named. */
START_TEST(duplicate_in_place_of_another)
{
    struct snapshot *s =
        load_ok("[{\"op\":\"add\",\"path\":\"/replications/-\",\"value\":{\"id\":\"r1\","
                "\"status\":\"protected\"}},"
                "{\"op\":\"replace\",\"path\":\"/server_group/replication_num\",\"value\":2}]");

    ck_assert(has_problem(s, "$.replications[1].id", "appears twice"));
    ck_assert(has_problem(s, "$.server_group.replication_num", "1 distinct ids in 2 entries"));
    snapshot_free(s);
}
END_TEST

/* A key twice in one object: a reader sees the first value, json-c keeps the last. */
START_TEST(repeated_key_is_ambiguous)
{
    char text[sizeof BASE + 64];
    struct snapshot *s = NULL;
    struct err e = {0};

    /* the servers' t1 record gets a second "status": {"id":"t1","status":"SHUTOFF", ... } */
    snprintf(text, sizeof text, "%s", BASE);
    {
        char *at = strstr(text, "\"id\":\"t1\",\"status\":\"SHUTOFF\"");
        char tail[sizeof BASE];
        ck_assert_ptr_nonnull(at);
        at += strlen("\"id\":\"t1\",");
        snprintf(tail, sizeof tail, "%s", at);
        snprintf(at, sizeof text - (size_t)(at - text), "\"status\":\"DELETED\",%s", tail);
    }
    ck_assert_int_eq(snapshot_load_buffer(text, strlen(text), "dup.json", NULL, &s, &e), 0);
    ck_assert(has_problem(s, "$.servers.t1.server", "key \"status\" appears twice"));
    snapshot_free(s);
}
END_TEST

START_TEST(server_id_must_match_key)
{
    struct snapshot *s =
        load_ok("[{\"op\":\"replace\",\"path\":\"/servers/s1/server/id\",\"value\":\"zz\"}]");

    ck_assert(has_problem(s, "$.servers[\"s1\"].server", "does not match its key"));
    snapshot_free(s);
}
END_TEST

/* Inputs that are not snapshots: exit code 2, a message naming the file and the JSON path. */
static void expect_reject(const char *text, size_t len, const char *needle)
{
    struct snapshot *s = NULL;
    struct err e = {0};
    struct snapshot_limits lim = {1 << 20, 16, 100};
    int rc = snapshot_load_buffer(text, len, "bad.json", &lim, &s, &e);

    ck_assert_msg(rc != 0, "accepted: %.60s", text);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(e.msg, "snapshot 'bad.json'") != NULL, "message lacks the file: %s",
                  e.msg);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "message '%s' lacks '%s'", e.msg, needle);
}

START_TEST(rejects_what_is_not_a_snapshot)
{
    static const struct {
        const char *text;
        const char *needle;
    } cases[] = {
        {"", "empty"},
        {"   \n", "empty"},
        {"{\"schema\":", "ends in the middle"},
        {"{\"schema\":\"sdrs-preflight/snapshot@1\"} trailing",
         "not JSON: unexpected data after the value at line 1, column 40"},
        {"{\"a\" 1}", "line 1, column 6"},
        {"{\"a\":1,}", "not JSON"},
        {"[1,2]", "top level is array"},
        {"null", "top level is null"},
        {"{}", "$.schema is missing"},
        {"{\"schema\":3}", "$.schema: expected a string"},
        {"{\"schema\":\"sdrs-preflight/snapshot@2\"}", "unsupported schema"},
        {"{\"schema\":\"sdrs-preflight/snapshot@1\",\"protected_instances\":\"x\"}",
         "$.protected_instances: expected an array, got string"},
        {"{\"schema\":\"sdrs-preflight/snapshot@1\",\"servers\":[]}",
         "$.servers: expected an object, got array"},
        {"{\"schema\":\"sdrs-preflight/snapshot@1\",\"server_group\":true}",
         "$.server_group: expected an object"},
        {"{\"schema\":\"sdrs-preflight/snapshot@1\",\"fetch_errors\":{}}",
         "$.fetch_errors: expected an array"},
        {"{\"schema\":\"sdrs-preflight/snapshot@1\",\"fetched_at\":5}",
         "$.fetched_at: expected a string"},
        {"{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", "nesting too deep"},
        {"{\"a\":\"\xff\xfe\"}", "not JSON"},
        {"{\"a\":\"\xc0\xaf\"}", "not valid UTF-8"},
        {"{\"a\":\"\xed\xa0\x80\"}", "not valid UTF-8"},
        {"{\"a\":\"x\\u0000y\"}", "holds a NUL"},
        {"{\"\xc0\xaf\":1}", "key is not valid UTF-8"},
        {"{\"schema\":\"sdrs-preflight/snapshot@1\",\"x\":NaN}", "not JSON"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_reject(cases[i].text, strlen(cases[i].text), cases[i].needle);
    expect_reject("{\"schema\":\"sdrs-preflight/snapshot@1\"}\0{}", 41,
                  "unexpected data after the value");
}
END_TEST

START_TEST(size_limit)
{
    struct snapshot *s = NULL;
    struct err e = {0};
    struct snapshot_limits lim = {100, 64, 100};

    ck_assert_int_eq(snapshot_load_buffer(BASE, strlen(BASE), "big.json", &lim, &s, &e), ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(e.msg, "exceed the limit of 100 bytes"));
}
END_TEST

START_TEST(item_limit_is_a_problem)
{
    struct snapshot *s = NULL;
    struct err e = {0};
    struct snapshot_limits lim = {1 << 20, 64, 1};

    ck_assert_int_eq(snapshot_load_buffer(BASE, strlen(BASE), "t.json", &lim, &s, &e), 0);
    ck_assert(has_problem(s, "$.servers", "2 servers exceed the limit of 1"));
    snapshot_free(s);
}
END_TEST

START_TEST(unreadable_file)
{
    struct snapshot *s = NULL;
    struct err e = {0};

    ck_assert_int_ne(snapshot_load_file("/nonexistent/snap.json", NULL, &s, &e), 0);
    ck_assert_ptr_nonnull(strstr(e.msg, "cannot read '/nonexistent/snap.json'"));
}
END_TEST

/* The real example bodies from the public API reference, assembled into a snapshot, load
 * without any type problem (only membership problems: the examples belong to different groups). */
START_TEST(public_examples_load)
{
    const char *dir = tu_shared_dir();
    static const char *const files[] = {
        "docs/group-show.json", "docs/instance-list.json",        "docs/replication-list.json",
        "docs/drill-list.json", "otcextensions/replication.json", "otcextensions/instance.json"};
    struct json_object *parts[6] = {0};
    struct json_object *snap, *arr;
    struct snapshot *s = NULL;
    struct err e = {0};
    const char *text;

    if (!dir) {
        fprintf(stderr, "skipped: ../shared/api-examples is not present\n");
        return;
    }
    for (size_t i = 0; i < 6; i++) {
        char p[4096];
        struct buf b;
        buf_init(&b, 0);
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        ck_assert_msg(util_read_file(p, 0, &b, &e) == 0, "%s", e.msg);
        ck_assert_int_eq(jsonutil_parse(b.data, b.len, p, 64, &parts[i], &e), 0);
        buf_free(&b);
    }
    snap = json_object_new_object();
    json_object_object_add(snap, "schema", json_object_new_string(SNAPSHOT_SCHEMA));
    json_object_object_add(snap, "fetched_at", json_object_new_string("2026-11-25T12:00:00Z"));
    json_object_object_add(snap, "server_group", json_object_get(cpath(parts[0], "/server_group")));
    arr = json_object_get(cpath(parts[1], "/protected_instances"));
    json_object_array_add(arr, json_object_get(parts[5]));
    json_object_object_add(snap, "protected_instances", arr);
    arr = json_object_get(cpath(parts[2], "/replications"));
    json_object_array_add(arr, json_object_get(parts[4]));
    json_object_object_add(snap, "replications", arr);
    json_object_object_add(snap, "disaster_recovery_drills",
                           json_object_get(cpath(parts[3], "/disaster_recovery_drills")));
    json_object_object_add(snap, "servers", json_object_new_object());
    text = json_object_to_json_string(snap);
    ck_assert_int_eq(snapshot_load_buffer(text, strlen(text), "examples", NULL, &s, &e), 0);
    for (size_t i = 0; i < s->problems.n; i++) {
        const char *m = s->problems.items[i].message;
        ck_assert_msg(strstr(m, "belongs to group") || strstr(m, "is not in $.servers") ||
                          strstr(m, "but the snapshot holds"),
                      "unexpected problem %s: %s", s->problems.items[i].where, m);
    }
    /* otcextensions sends fault_level as the number 0, the docs as "0": both are integers now */
    ck_assert_int_eq(path(s->root, "/replications/0/fault_level")->u.i, 0);
    ck_assert_int_eq(path(s->root, "/replications/1/fault_level")->u.i, 0);
    ck_assert(jv_is(path(s->root, "/protected_instances/2/metadata/__system__frozen"), JT_BOOL));
    ck_assert(!path(s->root, "/protected_instances/2/metadata/__system__frozen")->u.b);
    snapshot_free(s);
    json_object_put(snap);
    for (size_t i = 0; i < 6; i++)
        json_object_put(parts[i]);
}
END_TEST

/* The snapshot's parser (jdoc) reads what json-c reads, value for value: what jdoc writes back
 * is, to json-c, the document it read itself. */
START_TEST(jdoc_reads_as_json_c_does)
{
    static const char *const docs[] = {
        BASE,
        "{\"a\":[1,-2,0,9223372036854775807,-9223372036854775808,1.5,-0.25,1e3,2E-2,true,false,"
        "null,\"\"],\"b\":{},\"c\":[],\"d\":{\"x\":{\"y\":[[],[{}]]}}}",
        "[\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u0001 \\u001f \\u00e9 \\u20ac "
        "\\ud83d\\ude00\",\"\xc3\xa9\xe2\x82\xac\"]",
        "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,"
        "\"k10\":{\"\\u006b\":\"\\u0000x\"}}",
        /* JSON's four blanks anywhere between tokens; no other byte is a blank */
        " \t\r\n{ \"a\" \t:\r\n [ 1 ,\t2 ,\n\n        {\"b\" :  null}  ] \n}\r\n",
        "{\"a\":\v1}",
        "{\"a\":\f1}",
        "[1,\x01 2]",
    };

    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        struct json_object *o = NULL, *back = NULL;
        struct jdoc *d = NULL;
        struct err e = {0};
        struct buf out;
        int crc = jsonutil_parse(docs[i], strlen(docs[i]), "c", 64, &o, &e);
        int jrc = jdoc_parse(docs[i], strlen(docs[i]), "j", 64, &d, NULL, &e);

        ck_assert_msg(crc == jrc, "%zu: json-c %d, jdoc %d (%s)", i, crc, jrc, e.msg);
        if (crc) {
            jdoc_free(d);
            continue;
        }
        buf_init(&out, 0);
        ck_assert_int_eq(jv_write(jdoc_root(d), &out), 0);
        ck_assert_int_eq(jsonutil_parse(out.data, out.len, "w", 64, &back, &e), 0);
        ck_assert_msg(json_object_equal(o, back), "%zu: %s", i, buf_str(&out));
        buf_free(&out);
        json_object_put(back);
        json_object_put(o);
        jdoc_free(d);
    }
    {
        /* the writer's escapes, exactly: the short forms, \u00XX for other controls, '/' as is */
        static const char in[] = "[\"q\\\" b\\\\ n\\n t\\t c\\u0001 s/\"]";
        struct jdoc *d = NULL;
        struct err e = {0};
        struct buf out;
        buf_init(&out, 0);
        ck_assert_int_eq(jdoc_parse(in, strlen(in), "w", 64, &d, NULL, &e), 0);
        ck_assert_int_eq(jv_write(jdoc_root(d), &out), 0);
        ck_assert_str_eq(buf_str(&out), in);
        buf_free(&out);
        jdoc_free(d);
    }
}
END_TEST

/* Nesting is held to the limit exactly where json-c's parser holds it. */
START_TEST(jdoc_depth_matches_json_c)
{
    for (int depth = 1; depth <= 8; depth++) {
        char text[128];
        size_t n = 0;

        for (int i = 0; i < depth; i++) {
            const char *open = i % 2 ? "[" : "{\"k\":";
            memcpy(text + n, open, strlen(open));
            n += strlen(open);
        }
        text[n++] = '1';
        for (int i = depth - 1; i >= 0; i--)
            text[n++] = i % 2 ? ']' : '}';
        for (int limit = 1; limit <= 10; limit++) {
            struct json_object *o = NULL;
            struct jdoc *d = NULL;
            struct err e = {0};
            bool c = jsonutil_parse(text, n, "t", limit, &o, &e) == 0;
            int rc = jdoc_parse(text, n, "t", limit, &d, NULL, &e);

            ck_assert_msg(c == (rc == 0), "depth %d, limit %d", depth, limit);
            ck_assert(c == (depth + 1 <= limit)); /* the 1 inside is a level */
            if (rc)
                ck_assert_int_eq(rc, ERR_LIMIT);
            json_object_put(o);
            jdoc_free(d);
        }
    }
}
END_TEST

/* A live fetch's bytes deeper than --max-depth are refused as a file's would be. */
START_TEST(depth_limit)
{
    struct snapshot *s = NULL;
    struct err e = {0};
    struct snapshot_limits lim = {1 << 20, 4, 100};

    ck_assert_int_eq(snapshot_load_buffer(BASE, strlen(BASE), "live", &lim, &s, &e), ERR_LIMIT);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(e.msg, "snapshot 'live': not JSON: nesting too deep"));
}
END_TEST

/* Objects of more than JDOC_INDEX_MIN members are searched through their index: every key of a
 * map of 5,000 is found, a key not in it is not, a removed one is gone, and of a repeated key the
 * last value is read. */
START_TEST(jdoc_large_objects)
{
    struct buf text;
    struct jdoc *d = NULL;
    struct jdoc_dup dup;
    struct err e = {0};
    struct jval *root;
    char key[32];

    buf_init(&text, 0);
    buf_adds(&text, "{");
    for (int i = 0; i < 5000; i++)
        buf_printf(&text, "\"server-%d\":%d,", i, i);
    buf_adds(&text, "\"server-17\":-1}");
    ck_assert_int_eq(jdoc_parse(text.data, text.len, "t", 64, &d, &dup, &e), 0);
    ck_assert(dup.found);
    ck_assert_str_eq(dup.key, "server-17");
    ck_assert_str_eq(dup.path, "$");
    root = jdoc_root(d);
    ck_assert_uint_eq(jv_len(root), 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "server-%d", i);
        ck_assert_ptr_nonnull(jv_get(root, key));
        ck_assert_int_eq(jv_get(root, key)->u.i, i == 17 ? -1 : i);
    }
    ck_assert_ptr_null(jv_get(root, "server-5000"));
    ck_assert_ptr_null(jv_get(root, "server-"));
    ck_assert_ptr_null(jv_get(root, ""));
    jv_remove(root, "server-4999");
    ck_assert_ptr_null(jv_get(root, "server-4999"));
    ck_assert_uint_eq(jv_len(root), 4999);
    jdoc_free(d);
    buf_free(&text);

    /* a small object (no index), a repeated key deeper down: its path */
    {
        static const char small[] = "{\"a b\":[0,{\"k\":1,\"k\":2}]}";
        ck_assert_int_eq(jdoc_parse(small, strlen(small), "t", 64, &d, &dup, &e), 0);
    }
    ck_assert(dup.found);
    ck_assert_str_eq(dup.path, "$[\"a b\"][1]");
    ck_assert_int_eq(jv_get(jv_at(jv_get(jdoc_root(d), "a b"), 1), "k")->u.i, 2);
    ck_assert_uint_eq(jv_len(jv_at(jv_get(jdoc_root(d), "a b"), 1)), 1);
    jdoc_free(d);

    /* two keys repeated in one object: the one reported is the first by length, then bytes, as the
     * json-c reader's scan reports it, whatever order they came in */
    {
        static const char two[] = "{\"tags\":1,\"image\":1,\"tags\":2,\"image\":2,\"id\":0}";
        struct jsonutil_dup cdup;
        struct json_object *o = NULL;
        ck_assert_int_eq(jdoc_parse(two, strlen(two), "t", 64, &d, &dup, &e), 0);
        ck_assert_int_eq(jsonutil_parse_dup(two, strlen(two), "t", 64, &o, &cdup, &e), 0);
        ck_assert_str_eq(dup.key, "tags");
        ck_assert_str_eq(dup.key, cdup.key);
        json_object_put(o);
        jdoc_free(d);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("snapshot");
    TCase *quirks = tcase_create("quirks"), *problems = tcase_create("problems"),
          *reject = tcase_create("reject");

    tcase_add_test(quirks, base_is_clean);
    tcase_add_test(quirks, numbers_as_strings_and_strings_as_numbers);
    tcase_add_test(quirks, number_strings_are_exact);
    tcase_add_test(quirks, booleans_as_strings);
    tcase_add_test(quirks, nulls_and_missing_optional_fields);
    tcase_add_test(quirks, timestamp_formats);
    tcase_add_test(quirks, ids_with_and_without_dashes);
    tcase_add_test(quirks, public_examples_load);
    tcase_add_test(problems, unusable_types_are_problems);
    tcase_add_test(problems, missing_parts_are_problems);
    tcase_add_test(problems, fetch_errors_and_missing_servers);
    tcase_add_test(problems, counts_must_match);
    tcase_add_test(problems, server_states);
    tcase_add_test(problems, server_id_must_match_key);
    tcase_add_test(problems, deleted_only_on_ecs_evidence);
    tcase_add_test(problems, volume_records);
    tcase_add_test(problems, flavor_records);
    tcase_add_test(problems, caller_roles);
    tcase_add_test(problems, capacity_records);
    tcase_add_test(problems, ids_are_unique_in_every_list);
    tcase_add_test(problems, ids_are_unique_in_a_long_list);
    tcase_add_test(problems, duplicate_in_place_of_another);
    tcase_add_test(problems, repeated_key_is_ambiguous);
    tcase_add_test(problems, item_limit_is_a_problem);
    tcase_add_test(reject, rejects_what_is_not_a_snapshot);
    tcase_add_test(reject, size_limit);
    tcase_add_test(quirks, jdoc_reads_as_json_c_does);
    tcase_add_test(quirks, jdoc_depth_matches_json_c);
    tcase_add_test(quirks, jdoc_large_objects);
    tcase_add_test(reject, depth_limit);
    tcase_add_test(reject, unreadable_file);
    suite_add_tcase(s, quirks);
    suite_add_tcase(s, problems);
    suite_add_tcase(s, reject);
    return tu_run(s);
}
