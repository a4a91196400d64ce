/* Reports: the verdict rules and the renderers, compared with golden files in tests/golden/.
 * SDRS_UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing). */
#include "testutil.h"

#include "report.h"

#include <stdlib.h>
#include <string.h>

static char *dup(const char *s)
{
    return util_strdup(s);
}

static void add_finding(struct rule_result *r, enum level lvl, const char *msg, const char *res,
                        int nev)
{
    struct finding *f;

    r->findings = realloc(r->findings, (r->nfindings + 1) * sizeof *r->findings);
    f = &r->findings[r->nfindings++];
    memset(f, 0, sizeof *f);
    f->level = lvl;
    f->message = dup(msg);
    f->resource = res ? dup(res) : NULL;
    if (nev) {
        f->ev = calloc(4, sizeof *f->ev);
        f->ev[0] = (struct evidence){.key = dup("expected"), .type = EV_STRING, .s = dup("0 or 2")};
        f->ev[1] = (struct evidence){.key = dup("flag"), .type = EV_BOOL, .b = true};
        f->ev[2] = (struct evidence){.key = dup("observed"), .type = EV_INT, .i = 5};
        f->ev[3] = (struct evidence){.key = dup("ratio"), .type = EV_NUMBER, .d = 0.25};
        f->nev = 4;
    }
}

static void meta(struct rule_result *r, const char *id, enum severity sev, enum result_kind k)
{
    r->meta.id = dup(id);
    r->meta.title = dup("A rule title");
    r->meta.severity = sev;
    r->meta.all_actions = true;
    r->meta.source = dup("built-in");
    r->meta.remediation = dup("Do the documented thing.");
    r->meta.docs = dup("sdrs-api.md §6");
    r->result = k;
}

/* A report with every result kind, every evidence type and awkward text. */
static struct rule_result *synthetic(size_t *n)
{
    struct rule_result *r = calloc(7, sizeof *r);

    meta(&r[0], "SDRS-001", SEVERITY_BLOCKER, RESULT_PASS);
    meta(&r[1], "SDRS-004", SEVERITY_BLOCKER, RESULT_FAIL);
    add_finding(&r[1], LEVEL_FAIL, "pair \"r-1\" (r1): replication link broken (fault_level 5)",
                "replication/r1", 1);
    add_finding(&r[1], LEVEL_INFO, "a note with a tab\tand an escape \033[31m", NULL, 0);
    meta(&r[2], "SDRS-009", SEVERITY_WARNING, RESULT_WARN);
    add_finding(&r[2], LEVEL_WARN, "pair r2 is 87% synchronised — data may be lost",
                "replication/r2", 0);
    meta(&r[3], "SDRS-010", SEVERITY_INFO, RESULT_INFO);
    add_finding(&r[3], LEVEL_INFO, "pair r3 has fault_level 2", "replication/r3", 0);
    meta(&r[4], "SDRS-011", SEVERITY_BLOCKER, RESULT_SKIPPED);
    r[4].skip_reason = dup("does not apply to this action");
    meta(&r[5], "SDRS-012", SEVERITY_WARNING, RESULT_WAIVED);
    r[5].waiver = dup("accepted for change CHG-1");
    meta(&r[6], "X-ERR", SEVERITY_BLOCKER, RESULT_ERROR);
    r[6].meta.source = (free(r[6].meta.source), dup("/rules/x.lua"));
    r[6].error = dup("/rules/x.lua:3: attempt to index a nil value");
    *n = 7;
    return r;
}

static struct snapshot *snapshot_with(const char *extra)
{
    struct buf b;
    struct snapshot *s = NULL;
    struct err e = {0};

    buf_init(&b, 0);
    buf_printf(&b,
               "{\"schema\":\"sdrs-preflight/snapshot@1\",\"fetched_at\":\"2026-11-25T12:00:00Z\","
               "\"project_id\":\"p1\",\"server_group\":{\"id\":\"g1\",\"name\":\"pg-one\","
               "\"status\":\"protected\",\"priority_station\":\"source\"},"
               "\"protected_instances\":[],\"replications\":[],\"disaster_recovery_drills\":[],"
               "\"servers\":{}%s}",
               extra);
    ck_assert_msg(snapshot_load_buffer(b.data, b.len, "t.json", NULL, &s, &e) == 0, "%s", e.msg);
    buf_free(&b);
    return s;
}

static void build(struct report *r, struct snapshot *s, struct rule_result *res, size_t n,
                  bool fail_on_warning)
{
    struct report_inputs in = {s, NULL, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                               "failover", fail_on_warning, 1795608000};
    struct err e = {0};

    ck_assert_int_eq(report_build(r, &in, &res, n, &e), 0);
}

static void golden(const char *name, const struct buf *got)
{
    char rel[256];
    char *path;
    const char *update = getenv("SDRS_UPDATE_GOLDEN");
    struct buf want;
    struct err e = {0};

    snprintf(rel, sizeof rel, "tests/golden/%s", name);
    path = tu_src_path(rel);
    if (update && strcmp(update, "1") == 0) {
        ck_assert_int_eq(util_write_file_atomic(path, got->data, got->len, 0644, &e), 0);
        free(path);
        return;
    }
    buf_init(&want, 0);
    ck_assert_msg(util_read_file(path, 0, &want, &e) == 0, "%s (run with SDRS_UPDATE_GOLDEN=1)",
                  e.msg);
    ck_assert_msg(want.len == got->len && memcmp(want.data, got->data, got->len) == 0,
                  "%s differs from the output:\n%s\n(run with SDRS_UPDATE_GOLDEN=1 to accept)",
                  rel, buf_str(got));
    buf_free(&want);
    free(path);
}

START_TEST(renderers_match_golden_files)
{
    struct snapshot *s = snapshot_with("");
    struct report r;
    size_t n;
    struct rule_result *res = synthetic(&n);
    struct buf out;
    struct render_opts plain = {0}, color = {.color = true}, verbose = {.verbose = 1};

    build(&r, s, res, n, false);
    ck_assert_int_eq(r.verdict, VERDICT_INDETERMINATE);
    buf_init(&out, 0);
    ck_assert_int_eq(report_render_text(&r, &plain, &out), 0);
    ck_assert_ptr_null(strchr(out.data, '\033'));
    golden("synthetic.txt", &out);
    buf_reset(&out);
    ck_assert_int_eq(report_render_text(&r, &color, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.data, "\033[1;35mINDETERMINATE\033[0m"));
    golden("synthetic.color.txt", &out);
    buf_reset(&out);
    ck_assert_int_eq(report_render_text(&r, &verbose, &out), 0);
    golden("synthetic.verbose.txt", &out);
    buf_reset(&out);
    ck_assert_int_eq(report_render_json(&r, &plain, &out), 0);
    golden("synthetic.json", &out);
    buf_free(&out);
    report_clear(&r);
    snapshot_free(s);
}
END_TEST

static enum verdict verdict_of(enum result_kind k, bool fail_on_warning, const char *extra,
                               int *exit_code)
{
    struct snapshot *s = snapshot_with(extra);
    struct rule_result *res = calloc(2, sizeof *res);
    struct report r;
    enum verdict v;

    meta(&res[0], "A-1", SEVERITY_BLOCKER, RESULT_PASS);
    meta(&res[1], "A-2", SEVERITY_BLOCKER, k);
    build(&r, s, res, 2, fail_on_warning);
    v = r.verdict;
    *exit_code = r.exit_code;
    report_clear(&r);
    snapshot_free(s);
    return v;
}

START_TEST(verdicts)
{
    int code;

    ck_assert_int_eq(verdict_of(RESULT_PASS, false, "", &code), VERDICT_GO);
    ck_assert_int_eq(code, 0);
    ck_assert_int_eq(verdict_of(RESULT_WARN, false, "", &code), VERDICT_GO);
    ck_assert_int_eq(verdict_of(RESULT_INFO, true, "", &code), VERDICT_GO);
    ck_assert_int_eq(verdict_of(RESULT_WAIVED, false, "", &code), VERDICT_GO);
    ck_assert_int_eq(verdict_of(RESULT_WARN, true, "", &code), VERDICT_NOGO);
    ck_assert_int_eq(code, 1);
    ck_assert_int_eq(verdict_of(RESULT_FAIL, false, "", &code), VERDICT_NOGO);
    ck_assert_int_eq(verdict_of(RESULT_ERROR, false, "", &code), VERDICT_INDETERMINATE);
    ck_assert_int_eq(code, 3);
    /* a snapshot problem makes even an all-pass evaluation INDETERMINATE */
    ck_assert_int_eq(verdict_of(RESULT_PASS, false,
                                ",\"fetch_errors\":[{\"request\":\"GET x\",\"error\":\"timeout\"}]",
                                &code),
                     VERDICT_INDETERMINATE);
    /* and so does a blocker failure next to missing data: never a confident answer */
    ck_assert_int_eq(verdict_of(RESULT_FAIL, false,
                                ",\"fetch_errors\":[{\"request\":\"GET x\",\"error\":\"timeout\"}]",
                                &code),
                     VERDICT_INDETERMINATE);
}
END_TEST

START_TEST(no_applicable_rule_is_indeterminate)
{
    struct snapshot *s = snapshot_with("");
    struct rule_result *res = calloc(1, sizeof *res);
    struct report r;

    meta(&res[0], "A-1", SEVERITY_BLOCKER, RESULT_SKIPPED);
    build(&r, s, res, 1, false);
    ck_assert_int_eq(r.verdict, VERDICT_INDETERMINATE);
    ck_assert_ptr_nonnull(strstr(r.errors.items[0].message, "no rule applies"));
    report_clear(&r);
    build(&r, s, NULL, 0, false);
    ck_assert_int_eq(r.verdict, VERDICT_INDETERMINATE);
    report_clear(&r);
    snapshot_free(s);
}
END_TEST

START_TEST(renderer_registry)
{
    ck_assert_ptr_nonnull(report_renderer("text"));
    ck_assert_ptr_nonnull(report_renderer("json"));
    ck_assert_ptr_null(report_renderer("xml"));
    ck_assert_ptr_null(report_renderer(NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");

    tcase_add_test(tc, renderers_match_golden_files);
    tcase_add_test(tc, verdicts);
    tcase_add_test(tc, no_applicable_rule_is_indeterminate);
    tcase_add_test(tc, renderer_registry);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
