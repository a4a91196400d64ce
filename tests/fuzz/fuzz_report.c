/*
 * fuzz_report: a report built from a fuzzed snapshot (engine_run, report_build, with the waivers
 * of the input's "fuzz_waivers" member) and rendered by every renderer there is, with several
 * options. Every output is valid UTF-8 and the same bytes when rendered twice; the JSON report
 * parses back with the verdict; plain text, Markdown and JUnit XML carry no character of
 * util_char_unsafe's list (C0 but their line breaks, C1, bidi controls, line separators).
 */
#include "fuzz.h"

#include "jdoc.h"
#include "jsonutil.h"
#include "report.h"
#include "waivers.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_engine();
    return 0;
}

static void check_json(const struct report *r, const struct buf *out)
{
    struct json_object *root = NULL, *code = NULL;
    struct err e = {0};
    const char *verdict;

    if (jsonutil_parse(out->data, out->len, "json report", JSONUTIL_DEFAULT_DEPTH, &root, &e))
        fuzz_fail(__FILE__, __LINE__, "the JSON report does not parse: %s", e.msg);
    verdict = jsonutil_get_str(root, "verdict");
    FUZZ_ASSERT(verdict && strcmp(verdict, verdict_name(r->verdict)) == 0, "verdict %s, not %s",
                verdict ? verdict : "(none)", verdict_name(r->verdict));
    FUZZ_ASSERT(jsonutil_get(root, "exit_code", &code) &&
                    json_object_is_type(code, json_type_int) &&
                    json_object_get_int(code) == r->exit_code,
                "exit_code is not %d", r->exit_code);
    json_object_put(root);
}

/* Characters in out that a reader's terminal or viewer would act on, other than the C0 bytes in
 * `allowed`: the one list of util_char_unsafe (C0, DEL, C1, bidi controls, U+2028/U+2029, ...).
 * Bytes that are not UTF-8 are left to the UTF-8 check. */
static void check_controls(const char *format, const struct buf *out, const char *allowed)
{
    for (size_t i = 0; i < out->len;) {
        unsigned long cp;
        size_t n = util_utf8_next(out->data + i, out->len - i, &cp);
        if (!n) {
            i++;
            continue;
        }
        FUZZ_ASSERT(!util_char_unsafe(cp) || (cp && cp < 0x20 && strchr(allowed, (int)cp)),
                    "%s report: unsafe character U+%04lX at offset %zu", format, cp, i);
        i += n;
    }
}

/* What every output must be, and what some formats promise on top (see their files' heads). */
static void check_output(const char *format, const struct render_opts *o, const struct report *r,
                         const struct buf *out)
{
    if (strcmp(format, "json") == 0)
        check_json(r, out);
    else if (strcmp(format, "text") == 0 && !o->color)
        check_controls(format, out, "\n"); /* rule and API text is untrusted */
    else if (strcmp(format, "junit") == 0)
        check_controls(format, out, "\t\n\r"); /* XML 1.0 allows no others */
    else if (strcmp(format, "markdown") == 0) {
        check_controls(format, out, "\n");
        FUZZ_ASSERT(out->len <= 65536, "markdown report of %zu characters", out->len);
    }
    FUZZ_ASSERT(util_utf8_valid(buf_str(out), out->len), "%s report is not valid UTF-8", format);
}

static void render_all(const struct report *r)
{
    static const struct render_opts opts[] = {
        {false, 0, false},
        {true, 2, false},
        {false, 1, true},
    };

    /* every format of the one table that writes a report: a new one is fuzzed without a change */
    for (size_t f = 0; f < report_format_count(); f++) {
        const struct output_format *rd = report_format_at(f);

        if (!rd->report)
            continue;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
            struct buf a, b;
            int rc;

            buf_init(&a, 0);
            buf_init(&b, 0);
            rc = rd->report(r, &opts[k], &a);
            FUZZ_ASSERT(rc == 0, "renderer %s failed: %d", rd->name, rc);
            FUZZ_ASSERT(rd->report(r, &opts[k], &b) == 0 && a.len == b.len &&
                            memcmp(buf_str(&a), buf_str(&b), a.len) == 0,
                        "renderer %s gave different bytes for the same report", rd->name);
            check_output(rd->name, &opts[k], r, &a);
            buf_free(&a);
            buf_free(&b);
        }
    }
}

/* The input's "fuzz_waivers" member, when it is a valid waivers document. Owned. */
static struct waivers *waivers_of(const struct snapshot *s)
{
    struct jval *v = jv_get(s->root, "fuzz_waivers");
    struct waivers *w = NULL;
    struct buf text;
    int rc;

    if (!v)
        return NULL;
    buf_init(&text, 0);
    FUZZ_ASSERT(jv_write(v, &text) == 0, "out of memory");
    rc = waivers_load_buffer(buf_str(&text), text.len, "waivers 'fuzz'", &w, NULL);
    buf_free(&text);
    return rc ? NULL : w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_eval ev;
    struct report r;
    struct report_inputs in;
    struct waivers *w;
    struct err e = {0};
    int rc;

    if (!fuzz_eval_run(data, size, &ev))
        return 0;
    w = waivers_of(ev.snap);
    in = (struct report_inputs){.snap = ev.snap,
                                .facts = ev.facts,
                                .waivers = w,
                                .rules_sha256 = engine_rules_sha256(fuzz_engine()),
                                .action = ev.action,
                                .now = FUZZ_NOW};
    rc = report_build(&r, &in, &ev.results, ev.nresults, &e);
    FUZZ_ASSERT(rc == 0, "report_build failed (%d): %s", rc, e.msg);
    FUZZ_ASSERT(ev.results == NULL, "report_build did not take the results");
    FUZZ_ASSERT((r.verdict == VERDICT_INDETERMINATE) ==
                    (r.errors.n > 0 || r.counts[RESULT_ERROR] > 0),
                "verdict %s with %zu problems", verdict_name(r.verdict), r.errors.n);
    FUZZ_ASSERT(r.verdict != VERDICT_GO ||
                    (r.errors.n == 0 && r.counts[RESULT_FAIL] == 0 && r.counts[RESULT_ERROR] == 0),
                "GO with %zu problems and %zu failed rules", r.errors.n, r.counts[RESULT_FAIL]);
    render_all(&r);
    report_clear(&r);
    waivers_free(w);
    fuzz_eval_clear(&ev);
    return 0;
}
