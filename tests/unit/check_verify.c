/* The end-state check: a post-state snapshot against each action's documented effect. */
#include "testutil.h"

#include "jdoc.h"
#include "verify.h"

#include <stdio.h>
#include <string.h>

/* A post-state with the group, one instance and one pair in status/station, and its two servers. */
static struct snapshot *post(const char *group, const char *gstation, const char *member,
                             const char *mstation, const char *extra)
{
    struct snapshot *s = NULL;
    struct err e = {0};
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b,
               "{\"schema\":\"sdrs-preflight/snapshot@1\",\"fetched_at\":\"2026-11-25T12:00:00Z\","
               "\"project_id\":\"p1\",\"server_group\":{\"id\":\"g1\",\"name\":\"pg\","
               "\"status\":\"%s\",\"priority_station\":\"%s\",\"protected_instance_num\":1,"
               "\"replication_num\":1},"
               "\"protected_instances\":[{\"id\":\"pi1\",\"name\":\"db-01\",\"status\":\"%s\","
               "\"priority_station\":\"%s\",\"source_server\":\"s1\",\"target_server\":\"t1\"}],"
               "\"replications\":[{\"id\":\"r1\",\"name\":\"rp\",\"status\":\"%s\","
               "\"priority_station\":\"%s\"}],\"disaster_recovery_drills\":[],"
               "\"servers\":{\"s1\":{\"http_status\":200,\"server\":{\"id\":\"s1\",\"name\":"
               "\"ecs-a\",\"status\":\"ACTIVE\"}},\"t1\":{\"http_status\":200,\"server\":{"
               "\"id\":\"t1\",\"name\":\"ecs-b\",\"status\":\"SHUTOFF\"}}}%s}",
               group, gstation, member, mstation, member, mstation, extra);
    ck_assert_msg(snapshot_load_buffer(b.data, b.len, "post", NULL, &s, &e) == 0, "%s", e.msg);
    buf_free(&b);
    return s;
}

static void check(const char *action, const char *before, struct snapshot *s, size_t nfailed,
                  const char *describe)
{
    struct verify_result v;
    struct err e = {0};
    char text[600];

    ck_assert_int_eq(verify_end_state(action_spec(action), before, s, &v, &e), 0);
    verify_describe_failures(&v, text, sizeof text);
    ck_assert_msg(v.nfailed == nfailed, "%s: %zu failed: %s", action, v.nfailed, text);
    if (describe)
        ck_assert_msg(strstr(text, describe), "'%s' lacks '%s'", text, describe);
    verify_result_clear(&v);
    snapshot_free(s);
}

START_TEST(documented_end_states)
{
    check("failover", "source", post("failed-over", "target", "failed-over", "target", ""), 0,
          NULL);
    check("planned-failover", "target", post("protected", "source", "protected", "source", ""), 0,
          NULL);
    check("enable-protection", "target", post("protected", "target", "protected", "target", ""), 0,
          NULL);
    check("disable-protection", "source", post("available", "source", "available", "source", ""), 0,
          NULL);
}
END_TEST

START_TEST(differences_are_named)
{
    /* a job that said SUCCESS while nothing changed */
    check("failover", "source", post("protected", "source", "protected", "source", ""), 4,
          "group status: expected failed-over, found protected; group priority_station (was "
          "source): expected target, found source; protected instance db-01 (pi1): expected "
          "failed-over, production at target, found protected, production at source");
    /* the group moved, one pair did not */
    {
        struct snapshot *s = post("failed-over", "target", "failed-over", "target", "");
        struct jval *status = jv_get(jv_at(s->replications, 0), "status");
        status->u.s = "failing-over"; /* the test's own change to the document */
        status->n = (uint32_t)strlen(status->u.s);
        check("failover", "source", s, 1,
              "replication pair rp (r1): expected failed-over, production at target, found "
              "failing-over, production at target");
    }
    /* what was not read was not verified */
    check("failover", "source",
          post("failed-over", "target", "failed-over", "target",
               ",\"fetch_errors\":[{\"request\":\"GET /v1/p1/replications\",\"error\":\"HTTP "
               "503\"}]"),
          1, "the group read after the action: expected a complete read, found 1 problem");
}
END_TEST

START_TEST(servers_of_the_new_production_site)
{
    struct snapshot *s = post("failed-over", "target", "failed-over", "target", "");
    struct verify_result v;
    struct err e = {0};

    ck_assert_int_eq(verify_end_state(action_spec("failover"), "source", s, &v, &e), 0);
    ck_assert_uint_eq(v.nservers, 1);
    ck_assert_str_eq(v.servers[0].id, "t1");
    ck_assert_str_eq(v.servers[0].name, "ecs-b");
    ck_assert_int_eq(v.servers[0].power, VERIFY_STOPPED);
    ck_assert_uint_eq(v.nstopped, 1);
    ck_assert_str_eq(v.group_status, "failed-over");
    verify_result_clear(&v);
    snapshot_free(s);
    /* production did not move: no server list */
    s = post("available", "source", "available", "source", "");
    ck_assert_int_eq(verify_end_state(action_spec("disable-protection"), "source", s, &v, &e), 0);
    ck_assert_uint_eq(v.nservers, 0);
    verify_result_clear(&v);
    snapshot_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("end state");

    tcase_add_test(tc, documented_end_states);
    tcase_add_test(tc, differences_are_named);
    tcase_add_test(tc, servers_of_the_new_production_site);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
