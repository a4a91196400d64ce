/* Waivers: the file format, what they apply to, expiry, and the verdict they lead to. */
#include "testutil.h"

#include "report.h"
#include "waivers.h"

#include <stdlib.h>
#include <string.h>

#define DAY          86400LL
#define T_2026_12_31 1798675200LL /* 2026-12-31T00:00:00Z */

static struct waivers *load(const char *json)
{
    struct waivers *w = NULL;
    struct err e = {0};

    ck_assert_msg(waivers_load_buffer(json, strlen(json), "w", &w, &e) == 0, "%s", e.msg);
    return w;
}

static void expect_invalid(const char *json, const char *needle)
{
    struct waivers *w = NULL;
    struct err e = {0};

    ck_assert_msg(waivers_load_buffer(json, strlen(json), "waivers 'w.json'", &w, &e) != 0,
                  "accepted: %s", json);
    ck_assert_ptr_null(w);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "'%s' lacks '%s'", e.msg, needle);
    ck_assert_ptr_nonnull(strstr(e.msg, "waivers 'w.json'"));
}

START_TEST(file_format)
{
    struct waivers *w = load("{\"waivers\": [{\"rule\": \"SDRS-009\", \"group\": \"*\", "
                             "\"reason\": \"r\", \"approved_by\": \"a\", \"expires\": "
                             "\"2026-12-31\", \"ticket\": \"CHG-1\", \"comment\": \"c\"}], "
                             "\"comment\": \"file\"}");

    ck_assert_uint_eq(w->n, 1);
    ck_assert_str_eq(w->items[0].rule, "SDRS-009");
    ck_assert_str_eq(w->items[0].ticket, "CHG-1");
    ck_assert_int_eq(w->items[0].expires_end, T_2026_12_31 + DAY);
    ck_assert_uint_eq(strlen(w->sha256), 64);
    waivers_free(w);
    w = load("{\"waivers\": []}");
    ck_assert_uint_eq(w->n, 0);
    waivers_free(w);

    expect_invalid("{", "not JSON");
    expect_invalid("[]", "expected {\"waivers\"");
    expect_invalid("{\"waiver\": []}", "expected {\"waivers\"");
    expect_invalid("{\"waivers\": [], \"extra\": 1}", "$.extra: unknown key");
    expect_invalid("{\"waivers\": [1]}", "$.waivers[0]: expected an object");
    expect_invalid("{\"waivers\": [{\"rule\": \"SDRS-1\", \"group\": \"*\", \"approved_by\": "
                   "\"a\", \"expires\": \"2026-12-31\"}]}",
                   "$.waivers[0].reason is required");
    expect_invalid("{\"waivers\": [{\"rule\": \"SDRS-1\", \"group\": \"*\", \"reason\": \"  \", "
                   "\"approved_by\": \"a\", \"expires\": \"2026-12-31\"}]}",
                   "reason must not be empty");
    expect_invalid("{\"waivers\": [{\"rule\": \"SDRS-1\", \"group\": \"*\", \"reason\": \"r\", "
                   "\"expires\": \"2026-12-31\"}]}",
                   "approved_by is required");
    expect_invalid("{\"waivers\": [{\"rule\": \"SDRS-1\", \"group\": \"*\", \"reason\": \"r\", "
                   "\"approved_by\": \"a\"}]}",
                   "expires is required");
    expect_invalid("{\"waivers\": [{\"rule\": \"SDRS-1\", \"group\": \"*\", \"reason\": \"r\", "
                   "\"approved_by\": \"a\", \"expires\": \"31.12.2026\"}]}",
                   "is not a date YYYY-MM-DD");
    expect_invalid("{\"waivers\": [{\"rule\": \"SDRS-1\", \"group\": \"*\", \"reason\": \"r\", "
                   "\"approved_by\": \"a\", \"expires\": \"2026-12-31T00:00:00Z\"}]}",
                   "is not a date");
    expect_invalid("{\"waivers\": [{\"rule\": 9, \"group\": \"*\", \"reason\": \"r\", "
                   "\"approved_by\": \"a\", \"expires\": \"2026-12-31\"}]}",
                   "rule: expected a string");
    expect_invalid("{\"waivers\": [{\"rule\": \"*\", \"group\": \"*\", \"reason\": \"r\", "
                   "\"approved_by\": \"a\", \"expires\": \"2026-12-31\"}]}",
                   "names one rule");
    expect_invalid("{\"waivers\": [{\"rule\": \"SDRS-1\", \"group\": \"*\", \"reason\": \"r\", "
                   "\"approved_by\": \"a\", \"expires\": \"2026-12-31\", \"until\": 1}]}",
                   "$.waivers[0].until: unknown key");
}
END_TEST

static void result(struct rule_result *r, const char *id, enum result_kind k)
{
    memset(r, 0, sizeof *r);
    r->meta.id = util_strdup(id);
    r->meta.title = util_strdup("t");
    r->meta.severity = SEVERITY_BLOCKER;
    r->meta.all_actions = true;
    r->result = k;
}

START_TEST(what_applies)
{
    struct waivers *w = load(
        "{\"waivers\": ["
        "{\"rule\": \"A-1\", \"group\": \"11111111-2222-3333-4444-555555555555\", \"reason\": "
        "\"fail waived\", \"approved_by\": \"a\", \"expires\": \"2026-12-31\"},"
        "{\"rule\": \"A-2\", \"group\": \"*\", \"reason\": \"warn waived\", \"approved_by\": "
        "\"a\", \"expires\": \"2026-12-31\"},"
        "{\"rule\": \"A-3\", \"group\": \"*\", \"reason\": \"never an error\", \"approved_by\": "
        "\"a\", \"expires\": \"2026-12-31\"},"
        "{\"rule\": \"A-4\", \"group\": \"*\", \"reason\": \"passes anyway\", \"approved_by\": "
        "\"a\", \"expires\": \"2026-12-31\"},"
        "{\"rule\": \"A-1\", \"group\": \"other\", \"reason\": \"other group\", \"approved_by\": "
        "\"a\", \"expires\": \"2026-12-31\"}]}");
    struct rule_result res[4];
    struct waiver_use uses[5];

    result(&res[0], "A-1", RESULT_FAIL);
    result(&res[1], "A-2", RESULT_WARN);
    result(&res[2], "A-3", RESULT_ERROR);
    result(&res[3], "A-4", RESULT_PASS);
    /* the 32-hex form of the group id matches the dashed one */
    ck_assert_int_eq(
        waivers_apply(w, "11111111222233334444555555555555", T_2026_12_31, res, 4, uses), 0);
    ck_assert_int_eq(res[0].result, RESULT_WAIVED);
    ck_assert_ptr_nonnull(strstr(res[0].waiver, "fail waived (approved by a, expires 2026-12-31)"));
    ck_assert_int_eq(res[1].result, RESULT_WAIVED);
    ck_assert_int_eq(res[2].result, RESULT_ERROR); /* could not decide stays undecided */
    ck_assert_int_eq(res[3].result, RESULT_PASS);
    ck_assert_int_eq(uses[0].state, WAIVER_APPLIED);
    ck_assert_uint_eq(uses[0].results, 1);
    ck_assert_int_eq(uses[1].state, WAIVER_APPLIED);
    ck_assert_int_eq(uses[2].state, WAIVER_UNUSED);
    ck_assert_int_eq(uses[3].state, WAIVER_UNUSED);
    ck_assert(uses[3].for_group);
    ck_assert_int_eq(uses[4].state, WAIVER_UNUSED);
    ck_assert(!uses[4].for_group);
    for (int i = 0; i < 4; i++)
        rule_result_clear(&res[i]);

    /* the day after the expiry date: nothing applies, both are expired */
    result(&res[0], "A-1", RESULT_FAIL);
    result(&res[1], "A-2", RESULT_WARN);
    ck_assert_int_eq(
        waivers_apply(w, "11111111-2222-3333-4444-555555555555", T_2026_12_31 + DAY, res, 2, uses),
        0);
    ck_assert_int_eq(res[0].result, RESULT_FAIL);
    ck_assert_int_eq(res[1].result, RESULT_WARN);
    ck_assert_int_eq(uses[0].state, WAIVER_EXPIRED);
    ck_assert_uint_eq(uses[0].results, 1);
    ck_assert_int_eq(uses[1].state, WAIVER_EXPIRED);
    ck_assert(uses[1].for_group);
    rule_result_clear(&res[0]);
    rule_result_clear(&res[1]);
    waivers_free(w);
}
END_TEST

static enum verdict verdict(const char *waivers_json, enum result_kind k, long long now,
                            size_t *expired)
{
    static const char snap_json[] =
        "{\"schema\":\"sdrs-preflight/snapshot@1\",\"fetched_at\":\"2026-11-25T12:00:00Z\","
        "\"server_group\":{\"id\":\"g1\",\"status\":\"protected\",\"priority_station\":\"source\"},"
        "\"protected_instances\":[],\"replications\":[],\"disaster_recovery_drills\":[],"
        "\"servers\":{}}";
    struct waivers *w = load(waivers_json);
    struct snapshot *s = NULL;
    struct rule_result *res = calloc(1, sizeof *res);
    struct report r;
    struct err e = {0};
    enum verdict v;

    ck_assert_int_eq(snapshot_load_buffer(snap_json, strlen(snap_json), "s", NULL, &s, &e), 0);
    result(&res[0], "A-1", k);
    ck_assert_int_eq(
        report_build(
            &r,
            &(struct report_inputs){
                .snap = s, .waivers = w, .rules_sha256 = "x", .action = "failover", .now = now},
            &res, 1, &e),
        0);
    v = r.verdict;
    *expired = r.expired_waivers;
    ck_assert_str_eq(r.waivers_sha256, w->sha256);
    report_clear(&r);
    snapshot_free(s);
    waivers_free(w);
    return v;
}

START_TEST(verdicts)
{
    static const char one[] = "{\"waivers\": [{\"rule\": \"A-1\", \"group\": \"g1\", \"reason\": "
                              "\"r\", \"approved_by\": \"a\", \"expires\": \"2026-12-31\"}]}";
    static const char other[] = "{\"waivers\": [{\"rule\": \"A-1\", \"group\": \"g2\", \"reason\": "
                                "\"r\", \"approved_by\": \"a\", \"expires\": \"2020-12-31\"}]}";
    size_t expired;

    ck_assert_int_eq(verdict(one, RESULT_FAIL, T_2026_12_31, &expired), VERDICT_GO);
    ck_assert_int_eq(verdict(one, RESULT_FAIL, T_2026_12_31 + DAY, &expired), VERDICT_NOGO);
    ck_assert_uint_eq(expired, 1);
    /* an expired waiver for this group blocks even when its rule passes: renew or remove it */
    ck_assert_int_eq(verdict(one, RESULT_PASS, T_2026_12_31 + DAY, &expired), VERDICT_NOGO);
    /* one for another group does not */
    ck_assert_int_eq(verdict(other, RESULT_PASS, T_2026_12_31, &expired), VERDICT_GO);
    ck_assert_uint_eq(expired, 0);
    /* and an error is never waived into a decision */
    ck_assert_int_eq(verdict(one, RESULT_ERROR, T_2026_12_31, &expired), VERDICT_INDETERMINATE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("waivers");
    TCase *tc = tcase_create("waivers");

    tcase_add_test(tc, file_format);
    tcase_add_test(tc, what_applies);
    tcase_add_test(tc, verdicts);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
