/* Reports: the verdict rules and the renderers, compared with golden files in tests/golden/.
 * SDRS_UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing). */
#include "testutil.h"

#include "jsonutil.h"
#include "report.h"
#include "report_group.h"

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
    struct report_inputs in = {
        .snap = s,
        .rules_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        .action = "failover",
        .fail_on_warning = fail_on_warning,
        .now = 1795608000};
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
                  "%s differs from the output:\n%s\n(run with SDRS_UPDATE_GOLDEN=1 to accept)", rel,
                  buf_str(got));
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
    buf_reset(&out);
    ck_assert_int_eq(report_render_junit(&r, &plain, &out), 0);
    ck_assert_ptr_null(strchr(out.data, '\033'));
    ck_assert_ptr_nonnull(strstr(out.data, "a tab\tand an escape \xEF\xBF\xBD[31m"));
    golden("synthetic.junit.xml", &out);
    buf_reset(&out);
    ck_assert_int_eq(report_render_markdown(&r, &plain, &out), 0);
    ck_assert_ptr_null(strchr(out.data, '\033'));
    golden("synthetic.md", &out);
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

/* Text meant to break XML or Markdown: markup, entities, line breaks that start blocks, control
 * characters, C1 controls, a non-character and bytes that are not UTF-8. */
#define HOSTILE                                                                                    \
    "]]></failure><x a='1'>&amp; \"q\"\r\n# heading\n1. list\n    code | cell | `tick` *em* "      \
    "<script>alert(1)</script> [link](javascript:x) \001\033[2J\x7f\xC2\x85\xEF\xBF\xBF\xFF\xC3"   \
    " csi\xC2\x9B"                                                                                 \
    "2J rlo\xE2\x80\xAE lri\xE2\x81\xA6 ls\xE2\x80\xA8 ps\xE2\x80\xA9 bom\xEF\xBB\xBF"             \
    " end"

static void hostile_meta(struct rule_result *r, const char *id, enum result_kind k)
{
    meta(r, id, SEVERITY_BLOCKER, k);
    free(r->meta.title);
    r->meta.title = dup("title " HOSTILE);
    free(r->meta.remediation);
    r->meta.remediation = dup("fix " HOSTILE);
}

/* True when s is UTF-8 without any of the one list of unsafe characters (util_char_unsafe: C0,
 * DEL, C1, bidi controls, U+2028/9, BOM, U+FFFE/F), tab and newline aside: what a person reads
 * in a terminal, a log viewer, a test view or a ticket. */
static bool clean(const char *s, size_t *at)
{
    size_t len = strlen(s);

    for (size_t i = 0; i < len;) {
        unsigned long cp;
        size_t n = util_utf8_next(s + i, len - i, &cp);
        if (n == 0 || (util_char_unsafe(cp) && cp != '\t' && cp != '\n')) {
            *at = i;
            return false;
        }
        i += n;
    }
    return true;
}

/* Renders, into out (initialised here), a report whose every rule-supplied text is hostile, with
 * a fetch error (the snapshot testcase), a waived rule with findings and --fail-on warning. */
static void render_hostile(int (*render)(const struct report *, const struct render_opts *,
                                         struct buf *),
                           struct buf *out)
{
    struct rule_result *res = calloc(5, sizeof *res);
    struct snapshot *s;
    struct finding *f;
    struct report r;

    s = snapshot_with(
        ",\"fetch_errors\":[{\"request\":\"GET /v1/x?a=<b>&c\",\"error\":\"timeout\"},"
        "{\"request\":\"GET /y\",\"error\":\"HTTP 500\"}]");
    hostile_meta(&res[0], "H-1", RESULT_FAIL);
    add_finding(&res[0], LEVEL_FAIL, "message " HOSTILE, "server/" HOSTILE, 1);
    f = &res[0].findings[0];
    free(f->ev[0].s);
    f->ev[0].s = dup("value " HOSTILE);
    free(f->ev[1].key);
    f->ev[1].key = dup("key|with`odd<chars>");
    hostile_meta(&res[1], "H-2", RESULT_WARN);
    add_finding(&res[1], LEVEL_WARN, HOSTILE, NULL, 0);
    hostile_meta(&res[2], "H-3", RESULT_WAIVED);
    res[2].waiver = dup("reason " HOSTILE);
    add_finding(&res[2], LEVEL_FAIL, "waived " HOSTILE, NULL, 0);
    hostile_meta(&res[3], "H-4", RESULT_ERROR);
    add_finding(&res[3], LEVEL_ERROR, "undecided " HOSTILE, NULL, 1);
    hostile_meta(&res[4], "H-5", RESULT_SKIPPED);
    res[4].skip_reason = dup("skip " HOSTILE);
    build(&r, s, res, 5, true);
    free(r.group_name);
    r.group_name = dup("pg.<b>&\"'|`x\033\xFF");
    buf_init(out, 0);
    ck_assert_int_eq(render(&r, NULL, out), 0);
    {
        size_t at = 0;
        ck_assert_msg(clean(out->data, &at), "unsafe character at %zu: ...%.60s", at,
                      out->data + (at > 30 ? at - 30 : 0));
    }
    report_clear(&r);
    snapshot_free(s);
}

/* The text report writes rule and API text through the one sanitiser. */
START_TEST(text_survives_hostile_text)
{
    struct buf out;

    render_hostile(report_render_text, &out);
    ck_assert_ptr_null(strstr(out.data, "\033[2J"));
    ck_assert_ptr_nonnull(strstr(out.data, "rlo  lri"));
    buf_free(&out);
}
END_TEST

START_TEST(junit_survives_hostile_text)
{
    struct buf out;

    render_hostile(report_render_junit, &out);
    ck_assert_ptr_null(strstr(out.data, "<x"));
    ck_assert_ptr_null(strstr(out.data, "<script"));
    ck_assert_ptr_null(strstr(out.data, "]]>"));
    ck_assert_ptr_nonnull(strstr(out.data, "classname=\"sdrs.pg__b______x__\""));
    /* fail and fail-on-warning warn, error and the snapshot problems, skipped and waived */
    ck_assert_ptr_nonnull(
        strstr(out.data, "tests=\"6\" failures=\"2\" errors=\"2\" skipped=\"2\""));
    ck_assert_ptr_nonnull(strstr(out.data, "<testcase name=\"snapshot\""));
    ck_assert_ptr_nonnull(strstr(out.data, "(and 1 more)"));
    ck_assert_ptr_nonnull(strstr(out.data, "GET /v1/x?a=&lt;b&gt;&amp;c"));
    golden("hostile.junit.xml", &out);
    buf_free(&out);
}
END_TEST

/* True when at is inside a code span of its line (a run of backticks not escaped with \ opens
 * a span that the next run of the same length closes). */
static bool in_code_span(const char *text, const char *at)
{
    const char *p = at;
    size_t open = 0;

    while (p > text && p[-1] != '\n')
        p--;
    while (p < at) {
        size_t run = 0;

        if (*p == '\\' && !open) {
            p += 2;
            continue;
        }
        while (p[run] == '`')
            run++;
        if (run && !open)
            open = run;
        else if (run && run == open)
            open = 0;
        p += run ? run : 1;
    }
    return open > 0;
}

START_TEST(markdown_survives_hostile_text)
{
    struct buf out;

    render_hostile(report_render_markdown, &out);
    ck_assert_ptr_null(strchr(out.data, '\t'));
    /* raw < only inside code spans, where Markdown shows it as text */
    for (const char *lt = strchr(out.data, '<'); lt; lt = strchr(lt + 1, '<'))
        ck_assert_msg(in_code_span(out.data, lt), "%.60s", lt);
    ck_assert_ptr_null(strstr(out.data, "\n# heading"));
    ck_assert_ptr_null(strstr(out.data, "\n1. list"));
    ck_assert_ptr_null(strstr(out.data, "\n    code"));
    ck_assert_ptr_nonnull(
        strstr(out.data, "## ⚠️ INDETERMINATE — failover of protection group ``pg."));
    ck_assert_ptr_nonnull(strstr(out.data, "### Waivers applied"));
    /* every table row keeps its two columns: no unescaped | inside a cell */
    for (const char *line = out.data; *line;) {
        const char *end = strchr(line, '\n');
        size_t bars = 0;

        ck_assert_ptr_nonnull(end);
        if (*line == '|') {
            for (const char *p = line; p < end; p++)
                bars += *p == '|' && p[-1] != '\\';
            ck_assert_msg(bars == 3, "%.*s", (int)(end - line), line);
        }
        line = end + 1;
    }
    golden("hostile.md", &out);
    buf_free(&out);
}
END_TEST

START_TEST(markdown_leaves_out_empty_sections)
{
    struct snapshot *s = snapshot_with("");
    struct rule_result *res = calloc(1, sizeof *res);
    struct report r;
    struct buf out;

    meta(&res[0], "A-1", SEVERITY_BLOCKER, RESULT_PASS);
    build(&r, s, res, 1, false);
    buf_init(&out, 0);
    ck_assert_int_eq(report_render_markdown(&r, NULL, &out), 0);
    ck_assert_msg(strncmp(out.data, "## ✅ GO — failover of protection group `pg-one`\n", 52) == 0,
                  "%s", out.data);
    ck_assert_ptr_nonnull(strstr(out.data, "Nothing: no rule reports a blocking finding."));
    ck_assert_ptr_null(strstr(out.data, "### Waivers applied"));
    ck_assert_ptr_null(strstr(out.data, "### Could not decide"));
    ck_assert_ptr_null(strstr(out.data, "### Warnings"));
    ck_assert_ptr_nonnull(strstr(out.data, "| Facts SHA-256 | none |"));
    buf_reset(&out);
    ck_assert_int_eq(report_render_junit(&r, NULL, &out), 0);
    ck_assert_ptr_nonnull(
        strstr(out.data, "tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\""));
    ck_assert_ptr_null(strstr(out.data, "name=\"snapshot\""));
    buf_free(&out);
    report_clear(&r);
    snapshot_free(s);
}
END_TEST

START_TEST(expired_waivers_block_in_junit_and_markdown)
{
    static const char json[] = "{\"waivers\": [{\"rule\": \"A-2\", \"group\": \"*\", "
                               "\"reason\": \"known <lag>\", \"approved_by\": \"ops\", "
                               "\"expires\": \"2020-01-31\", \"ticket\": \"CHG-7\"}]}";
    struct snapshot *s = snapshot_with("");
    struct rule_result *res = calloc(2, sizeof *res);
    struct waivers *w = NULL;
    struct report_inputs in = {.rules_sha256 = "", .action = "failover", .now = 1795608000};
    struct report r;
    struct buf out;
    struct err e = {0};

    ck_assert_msg(waivers_load_buffer(json, sizeof json - 1, "w.json", &w, &e) == 0, "%s", e.msg);
    meta(&res[0], "A-1", SEVERITY_BLOCKER, RESULT_PASS);
    meta(&res[1], "A-2", SEVERITY_WARNING, RESULT_WARN);
    add_finding(&res[1], LEVEL_WARN, "lagging", "replication/r1", 0);
    in.snap = s;
    in.waivers = w;
    ck_assert_int_eq(report_build(&r, &in, &res, 2, &e), 0);
    ck_assert_int_eq(r.verdict, VERDICT_NOGO);
    buf_init(&out, 0);
    ck_assert_int_eq(report_render_junit(&r, NULL, &out), 0);
    ck_assert_ptr_nonnull(
        strstr(out.data, "tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\""));
    ck_assert_ptr_nonnull(strstr(out.data, "<testcase name=\"waivers\" classname=\"sdrs.pg-one\""));
    ck_assert_ptr_nonnull(strstr(out.data, "message=\"expired waiver for A-2: known &lt;lag&gt; "
                                           "(approved by ops, expired 2020-01-31, CHG-7)\""));
    buf_reset(&out);
    ck_assert_int_eq(report_render_markdown(&r, NULL, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.data, "\n1 expired waiver.\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "#### Expired waivers\n\nRenew or remove them:\n\n"
                                           "- **A-2** known &lt;lag&gt; (approved by ops, expired "
                                           "2020-01-31, CHG-7): 1 result\n"));
    ck_assert_ptr_null(strstr(out.data, "Nothing: no rule"));
    buf_free(&out);
    report_clear(&r);
    waivers_free(w);
    snapshot_free(s);
}
END_TEST

/* Grouping: findings that differ only in their resource are one group, its template the message
 * with the resource masked; an empty message is a group of its own, before or after others (the
 * key and template buffers serve every finding in turn). */
START_TEST(findings_group_by_template)
{
    char pair[] = "pair", status[] = "status", p1[] = "p-0001", p2[] = "p-0002", err[] = "error";
    char empty[] = "", m1[] = "pair p-0001 is broken", m2[] = "pair p-0002 is broken";
    char r1[] = "replication/p-0001", r2[] = "replication/p-0002";
    struct evidence ev[3] = {
        {.key = pair, .type = EV_STRING, .s = p1},
        {.key = pair, .type = EV_STRING, .s = p2},
        {.key = status, .type = EV_STRING, .s = err},
    };
    struct finding f[5] = {
        {.level = LEVEL_WARN, .message = empty},
        {.level = LEVEL_WARN, .message = m1, .resource = r1, .ev = &ev[0], .nev = 1},
        {.level = LEVEL_WARN, .message = empty},
        {.level = LEVEL_WARN, .message = m2, .resource = r2, .ev = &ev[1], .nev = 1},
        {.level = LEVEL_WARN, .message = m2, .resource = r2, .ev = &ev[2], .nev = 1},
    };
    struct rule_result res = {.findings = f, .nfindings = 5};
    struct finding_group *g = NULL;
    size_t n = 0;

    ck_assert_int_eq(report_group_findings(&res, &g, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(g[0].template_text, "");
    ck_assert_uint_eq(g[0].n, 2);
    ck_assert_uint_eq(g[0].members[1], 2);
    ck_assert_str_eq(g[1].template_text, "pair … is broken");
    ck_assert_uint_eq(g[1].n, 2);
    ck_assert_uint_eq(g[1].members[1], 3);
    ck_assert_uint_eq(g[2].n, 1); /* other evidence: a group of its own */
    ck_assert_uint_eq(g[2].members[0], 4);
    report_groups_free(g, n);
}
END_TEST

START_TEST(renderer_registry)
{
    char names[120];

    ck_assert_ptr_nonnull(report_format("text"));
    ck_assert(report_format("json")->report == report_render_json);
    ck_assert(report_format("junit")->report == report_render_junit);
    ck_assert(report_format("markdown")->report == report_render_markdown);
    ck_assert_ptr_null(report_format("xml"));
    ck_assert_ptr_null(report_format(NULL));
    /* what each format writes comes from the one table */
    ck_assert_ptr_nonnull(report_format_for("json", OUTPUT_FLEET));
    ck_assert_ptr_null(report_format_for("junit", OUTPUT_FLEET));
    ck_assert_ptr_null(report_format_for("markdown", OUTPUT_RULES));
    report_format_names(OUTPUT_REPORT, names, sizeof names);
    ck_assert_str_eq(names, "text, json, junit or markdown");
    report_format_names(OUTPUT_FLEET, names, sizeof names);
    ck_assert_str_eq(names, "text or json");
}
END_TEST

/* dst = prefix + s, cut to size (a cut character is just more bytes that are not UTF-8). */
static void cat(char *dst, size_t size, const char *prefix, const char *s)
{
    size_t a = strnlen(prefix, size - 1);
    size_t b = strnlen(s, size - 1 - a);

    memcpy(dst, prefix, a);
    memcpy(dst + a, s, b);
    dst[a + b] = '\0';
}

/* Attaches an execution to r, with text s in every field that comes from the API or the group. */
static void attach_execution(struct report *r, const char *s, bool good)
{
    struct report_execution *x = calloc(1, sizeof *x);
    struct verify_result *v = &x->verify;

    ck_assert_ptr_nonnull(x);
    snprintf(x->action, sizeof x->action, "failover");
    cat(x->outcome, sizeof x->outcome, "", good ? "success" : "unverified");
    x->verified = good;
    cat(x->message, sizeof x->message, "message ", s);
    x->duration_ms = 252000;
    x->posts = 1;
    x->http_status = 200;
    cat(x->job_id, sizeof x->job_id, "job-", s);
    snprintf(x->job_status, sizeof x->job_status, "SUCCESS");
    cat(x->error_code, sizeof x->error_code, "", good ? "" : s);
    x->nsubjobs = x->subjobs_total = 2;
    snprintf(x->subjobs[0].id, sizeof x->subjobs[0].id, "sub-1");
    snprintf(x->subjobs[0].type, sizeof x->subjobs[0].type, "failoverProtectionGroupRepNoCG");
    snprintf(x->subjobs[0].status, sizeof x->subjobs[0].status, "SUCCESS");
    cat(x->subjobs[1].id, sizeof x->subjobs[1].id, "sub-2 ", s);
    cat(x->subjobs[1].type, sizeof x->subjobs[1].type, "", s);
    snprintf(x->subjobs[1].status, sizeof x->subjobs[1].status, "SUCCESS");
    snprintf(x->status_before, sizeof x->status_before, "protected");
    snprintf(x->station_before, sizeof x->station_before, "source");
    cat(x->status_after, sizeof x->status_after, "", good ? "failed-over" : s);
    snprintf(x->station_after, sizeof x->station_after, "target");
    x->effect = "the group is failed-over, production moves to the other site and replication "
                "stops (sdrs-api.md §1.4, §6.1)";
    x->checked = true;
    v->nchecks = 2;
    v->checks = calloc(2, sizeof *v->checks);
    v->servers = calloc(2, sizeof *v->servers);
    ck_assert(v->checks && v->servers);
    snprintf(v->checks[0].what, sizeof v->checks[0].what, "group status");
    snprintf(v->checks[0].expected, sizeof v->checks[0].expected, "failed-over");
    cat(v->checks[0].found, sizeof v->checks[0].found, "", good ? "failed-over" : s);
    v->checks[0].ok = good;
    v->nfailed = !good;
    cat(v->checks[1].what, sizeof v->checks[1].what, "3 of 3 protected instances ", s);
    snprintf(v->checks[1].expected, sizeof v->checks[1].expected, "failed-over");
    snprintf(v->checks[1].found, sizeof v->checks[1].found, "failed-over");
    v->checks[1].ok = true;
    v->nservers = 2;
    v->nrunning = v->nstopped = 1;
    snprintf(v->station_after, sizeof v->station_after, "target");
    snprintf(v->servers[0].id, sizeof v->servers[0].id, "srv-1");
    snprintf(v->servers[0].name, sizeof v->servers[0].name, "ecs-web-01");
    snprintf(v->servers[0].status, sizeof v->servers[0].status, "ACTIVE");
    v->servers[0].power = VERIFY_RUNNING;
    snprintf(v->servers[1].id, sizeof v->servers[1].id, "srv-2");
    cat(v->servers[1].name, sizeof v->servers[1].name, "", s);
    snprintf(v->servers[1].status, sizeof v->servers[1].status, "SHUTOFF");
    v->servers[1].power = VERIFY_STOPPED;
    x->nnext = 2;
    cat(x->next[0], sizeof x->next[0], "Start the 1 stopped server ", s);
    snprintf(x->next[1], sizeof x->next[1], "replication has stopped");
    snprintf(x->next_command, sizeof x->next_command,
             "sdrs-preflight check pg-1 --action enable-protection");
    x->replication_stopped = good;
    snprintf(x->preflight_verdict, sizeof x->preflight_verdict, "GO");
    r->execution = x;
    r->exit_code = good ? EXIT_GO : EXIT_ACTION_FAILED;
}

/* A post-execution report in every format: the execution first, its goldens for review, and
 * hostile API text kept out of every format that a person reads. */
START_TEST(execution_in_every_format)
{
    static const struct {
        const char *name;
        int (*render)(const struct report *, const struct render_opts *, struct buf *);
    } formats[] = {{"text", report_render_text},
                   {"json", report_render_json},
                   {"junit.xml", report_render_junit},
                   {"md", report_render_markdown}};

    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        for (int hostile = 0; hostile < 2; hostile++) {
            struct snapshot *s = snapshot_with("");
            struct rule_result *res = calloc(1, sizeof *res);
            struct report r;
            struct buf out;
            char name[64];
            size_t at = 0;

            meta(&res[0], "SDRS-011", SEVERITY_BLOCKER, RESULT_PASS);
            build(&r, s, res, 1, false);
            attach_execution(&r, hostile ? HOSTILE : "db-01", !hostile);
            buf_init(&out, 0);
            ck_assert_int_eq(formats[f].render(&r, NULL, &out), 0);
            if (strcmp(formats[f].name, "json") == 0) {
                struct json_object *root = NULL, *x;
                struct err e = {0};
                ck_assert_msg(jsonutil_parse(out.data, out.len, "report", 64, &root, &e) == 0, "%s",
                              e.msg);
                ck_assert(jsonutil_get(root, "execution", &x));
                /* faithful, but for bytes that are not UTF-8 (they would make it not JSON) */
                if (!hostile)
                    ck_assert_str_eq(jsonutil_get_str(x, "message"), r.execution->message);
                else
                    ck_assert_ptr_nonnull(strstr(jsonutil_get_str(x, "message"), "\033[2J"));
                ck_assert_int_eq(json_object_get_int(json_object_object_get(root, "exit_code")),
                                 hostile ? 4 : 0);
                json_object_put(root);
            } else {
                ck_assert_msg(clean(out.data, &at), "%s: unsafe character at %zu: ...%.60s",
                              formats[f].name, at, out.data + (at > 30 ? at - 30 : 0));
            }
            if (strcmp(formats[f].name, "junit.xml") == 0)
                ck_assert_ptr_nonnull(strstr(out.data, hostile ? "tests=\"4\" failures=\"2\""
                                                               : "tests=\"4\" failures=\"0\""));
            if (!hostile) {
                snprintf(name, sizeof name, "executed.%s", formats[f].name);
                golden(name, &out);
            }
            buf_free(&out);
            report_clear(&r);
            snapshot_free(s);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");

    tcase_add_test(tc, renderers_match_golden_files);
    tcase_add_test(tc, verdicts);
    tcase_add_test(tc, no_applicable_rule_is_indeterminate);
    tcase_add_test(tc, junit_survives_hostile_text);
    tcase_add_test(tc, markdown_survives_hostile_text);
    tcase_add_test(tc, markdown_leaves_out_empty_sections);
    tcase_add_test(tc, expired_waivers_block_in_junit_and_markdown);
    tcase_add_test(tc, renderer_registry);
    tcase_add_test(tc, findings_group_by_template);
    tcase_add_test(tc, text_survives_hostile_text);
    tcase_add_test(tc, execution_in_every_format);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
