/* --format text: for people. The verdict first, then what blocks, then warnings and notes, then a
 * one-line count. Rule-supplied text is printed with control characters replaced. */
#include "report.h"

#include "version.h"

#include <stdarg.h>
#include <string.h>

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_RED "\033[1;31m"
#define C_GREEN "\033[1;32m"
#define C_YELLOW "\033[1;33m"
#define C_MAGENTA "\033[1;35m"
#define C_CYAN "\033[36m"
#define C_DIM "\033[2m"

struct out {
    struct buf *b;
    bool color;
    int rc;
};

static void put(struct out *o, const char *s)
{
    if (!o->rc)
        o->rc = buf_adds(o->b, s);
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct out *o, const char *fmt, ...)
{
    va_list ap;

    if (o->rc)
        return;
    va_start(ap, fmt);
    o->rc = buf_vprintf(o->b, fmt, ap);
    va_end(ap);
}

/* Untrusted text (from rules or the API): control characters become spaces. */
static void put_text(struct out *o, const char *s)
{
    for (const char *p = s ? s : ""; *p && !o->rc; p++) {
        unsigned char c = (unsigned char)*p;
        char ch = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
        o->rc = buf_add(o->b, &ch, 1);
    }
}

static void color(struct out *o, const char *code)
{
    if (o->color)
        put(o, code);
}

static const char *level_tag(enum level l, const char **code)
{
    switch (l) {
    case LEVEL_ERROR:
        *code = C_MAGENTA;
        return "[ERROR]";
    case LEVEL_FAIL:
        *code = C_RED;
        return "[FAIL] ";
    case LEVEL_WARN:
        *code = C_YELLOW;
        return "[WARN] ";
    case LEVEL_INFO:
        break;
    }
    *code = C_CYAN;
    return "[INFO] ";
}

static const char *result_tag(enum result_kind k, const char **code)
{
    switch (k) {
    case RESULT_PASS:
        *code = C_GREEN;
        return "[PASS] ";
    case RESULT_FAIL:
        return level_tag(LEVEL_FAIL, code);
    case RESULT_WARN:
        return level_tag(LEVEL_WARN, code);
    case RESULT_INFO:
        return level_tag(LEVEL_INFO, code);
    case RESULT_SKIPPED:
        *code = C_DIM;
        return "[SKIP] ";
    case RESULT_WAIVED:
        *code = C_DIM;
        return "[WAIVE]";
    case RESULT_ERROR:
    case RESULT_KIND_COUNT:
        break;
    }
    return level_tag(LEVEL_ERROR, code);
}

static void put_value(struct out *o, const struct evidence *ev)
{
    switch (ev->type) {
    case EV_STRING:
        put_text(o, ev->s);
        break;
    case EV_INT:
        putf(o, "%lld", ev->i);
        break;
    case EV_NUMBER:
        putf(o, "%.15g", ev->d);
        break;
    case EV_BOOL:
        put(o, ev->b ? "true" : "false");
        break;
    }
}

static void put_evidence_line(struct out *o, int width, const char *key, const struct evidence *ev,
                              const char *text)
{
    putf(o, "           %-*s  ", width, key);
    if (ev)
        put_value(o, ev);
    else
        put_text(o, text);
    put(o, "\n");
}

/* A finding's message, resource and (when full) its evidence. */
static void put_finding(struct out *o, const struct finding *f, bool full)
{
    static const char *const first[] = {"observed", "expected"};

    int width = 8; /* "resource", "observed", "expected" */

    for (size_t i = 0; i < f->nev; i++)
        if ((int)strlen(f->ev[i].key) > width)
            width = (int)strlen(f->ev[i].key);
    put(o, "         ");
    put_text(o, f->message);
    put(o, "\n");
    if (f->resource)
        put_evidence_line(o, full ? width : 8, "resource", NULL, f->resource);
    if (!full)
        return;
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < f->nev; i++)
            if (strcmp(f->ev[i].key, first[k]) == 0)
                put_evidence_line(o, width, first[k], &f->ev[i], NULL);
    for (size_t i = 0; i < f->nev; i++)
        if (strcmp(f->ev[i].key, "observed") && strcmp(f->ev[i].key, "expected"))
            put_evidence_line(o, width, f->ev[i].key, &f->ev[i], NULL);
}

static void put_rule_head(struct out *o, const char *tag, const char *code,
                          const struct rule_result *res)
{
    put(o, "  ");
    color(o, code);
    put(o, tag);
    color(o, C_RESET);
    put(o, " ");
    color(o, C_BOLD);
    put_text(o, res->meta.id);
    color(o, C_RESET);
    put(o, "  ");
    put_text(o, res->meta.title);
    put(o, "\n");
}

/* Prints every rule that has findings at `lvl`, with those findings (with their evidence when
 * full). Returns how many rules. */
static size_t put_section(struct out *o, const struct report *r, enum level lvl, const char *title,
                          bool full)
{
    size_t shown = 0;

    for (size_t i = 0; i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];
        const char *code, *tag = level_tag(lvl, &code);
        bool any = false;

        if (res->result == RESULT_WAIVED)
            continue;
        for (size_t k = 0; k < res->nfindings; k++)
            any = any || res->findings[k].level == lvl;
        if (!any)
            continue;
        if (shown++ == 0) {
            put(o, "\n");
            color(o, C_BOLD);
            put(o, title);
            color(o, C_RESET);
            put(o, "\n");
        }
        put_rule_head(o, tag, code, res);
        for (size_t k = 0; k < res->nfindings; k++)
            if (res->findings[k].level == lvl)
                put_finding(o, &res->findings[k], full);
        if (res->meta.remediation && (lvl == LEVEL_FAIL || lvl == LEVEL_WARN)) {
            put(o, "         fix: ");
            put_text(o, res->meta.remediation);
            put(o, "\n");
        }
    }
    return shown;
}

static void put_errors(struct out *o, const struct report *r)
{
    if (r->errors.n == 0)
        return;
    put(o, "\n");
    color(o, C_BOLD);
    put(o, "Could not decide\n");
    color(o, C_RESET);
    for (size_t i = 0; i < r->errors.n; i++) {
        const struct problem *p = &r->errors.items[i];
        put(o, "  ");
        color(o, C_MAGENTA);
        put(o, "[ERROR]");
        color(o, C_RESET);
        put(o, " ");
        put_text(o, p->kind);
        if (p->where && *p->where) {
            put(o, " ");
            put_text(o, p->where);
        }
        put(o, ": ");
        put_text(o, p->message);
        put(o, "\n");
    }
}

static size_t count_level(const struct report *r, enum level lvl)
{
    size_t n = 0;

    for (size_t i = 0; i < r->nresults; i++)
        if (r->results[i].result != RESULT_WAIVED)
            for (size_t k = 0; k < r->results[i].nfindings; k++)
                n += r->results[i].findings[k].level == lvl;
    return n;
}

static void put_verdict(struct out *o, const struct report *r)
{
    const char *code = r->verdict == VERDICT_GO     ? C_GREEN
                       : r->verdict == VERDICT_NOGO ? C_RED
                                                    : C_MAGENTA;
    size_t nfail = count_level(r, LEVEL_FAIL), nwarn = count_level(r, LEVEL_WARN);

    color(o, code);
    put(o, verdict_name(r->verdict));
    color(o, C_RESET);
    put(o, "  ");
    put_text(o, r->action);
    put(o, " of protection group ");
    if (r->group_name) {
        put(o, "'");
        put_text(o, r->group_name);
        put(o, "' ");
    }
    put(o, "(");
    put_text(o, r->group_id ? r->group_id : "unknown id");
    put(o, ")");
    switch (r->verdict) {
    case VERDICT_GO:
        put(o, ": no blocking finding\n");
        break;
    case VERDICT_NOGO:
        if (nfail)
            putf(o, ": %zu blocking finding%s\n", nfail, nfail == 1 ? "" : "s");
        else
            putf(o, ": %zu warning%s with --fail-on warning\n", nwarn, nwarn == 1 ? "" : "s");
        break;
    case VERDICT_INDETERMINATE:
        putf(o, ": could not decide (%zu problem%s)\n", r->errors.n, r->errors.n == 1 ? "" : "s");
        break;
    }
    put(o, "    status ");
    put_text(o, r->group_status ? r->group_status : "unknown");
    put(o, ", production at ");
    put_text(o, r->priority_station ? r->priority_station : "unknown");
    if (r->ninstances >= 0)
        putf(o, ", %lld instance%s", r->ninstances, r->ninstances == 1 ? "" : "s");
    if (r->npairs >= 0)
        putf(o, ", %lld replication pair%s", r->npairs, r->npairs == 1 ? "" : "s");
    put(o, "; data fetched ");
    put_text(o, r->fetched_at ? r->fetched_at : "at an unknown time");
    put(o, "\n");
}

static void put_all_rules(struct out *o, const struct report *r)
{
    put(o, "\n");
    color(o, C_BOLD);
    put(o, "All rules\n");
    color(o, C_RESET);
    for (size_t i = 0; i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];
        const char *code, *tag = result_tag(res->result, &code);

        put_rule_head(o, tag, code, res);
        if (res->result == RESULT_SKIPPED && res->skip_reason) {
            put(o, "         ");
            put_text(o, res->skip_reason);
            put(o, "\n");
        }
        if (res->result == RESULT_WAIVED && res->waiver) {
            put(o, "         waived: ");
            put_text(o, res->waiver);
            put(o, "\n");
        }
    }
}

int report_render_text(const struct report *r, const struct render_opts *opts, struct buf *b)
{
    struct out o = {b, opts && opts->color, 0};
    const size_t *c = r->counts;
    bool verbose = opts && opts->verbose > 0;

    put_verdict(&o, r);
    if (opts && opts->quiet)
        return o.rc;
    put_errors(&o, r);
    put_section(&o, r, LEVEL_FAIL, "Blocking", true);
    put_section(&o, r, LEVEL_WARN, "Warnings", verbose);
    put_section(&o, r, LEVEL_INFO, "Notes", verbose);
    if (verbose)
        put_all_rules(&o, r);
    else if (count_level(r, LEVEL_WARN) + count_level(r, LEVEL_INFO) > 0)
        put(&o, "\n(evidence of warnings and notes: -v or --format json)\n");
    putf(&o, "\n%zu passed, %zu failed, %zu warned, %zu noted, %zu skipped, %zu waived, %zu errored",
         c[RESULT_PASS], c[RESULT_FAIL], c[RESULT_WARN], c[RESULT_INFO], c[RESULT_SKIPPED],
         c[RESULT_WAIVED], c[RESULT_ERROR]);
    putf(&o, " (%zu rules, %s %s)\n", r->nresults, SDRS_NAME, SDRS_VERSION);
    return o.rc;
}
