/* --format text: for people. The verdict first, then what blocks, then warnings and notes, then a
 * one-line count. Rule-supplied text is printed with control characters replaced. */
#include "report.h"
#include "report_exec.h"
#include "report_group.h"
#include "textout.h"

#include "version.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define C_RESET   "\033[0m"
#define C_BOLD    "\033[1m"
#define C_RED     "\033[1;31m"
#define C_GREEN   "\033[1;32m"
#define C_YELLOW  "\033[1;33m"
#define C_MAGENTA "\033[1;35m"
#define C_CYAN    "\033[36m"
#define C_DIM     "\033[2m"

/* Untrusted text (from rules or the API): the one sanitiser of what a person reads
 * (util_put_clean: C0, DEL, C1, bidi controls, line separators become spaces). */
static void put_text(struct textout *o, const char *s)
{
    textout_put_clean(o, s);
}

static void color(struct textout *o, const char *code)
{
    if (o->color)
        textout_put(o, code);
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

static void put_evidence_line(struct textout *o, int width, const char *key,
                              const struct evidence *ev, const char *text)
{
    textout_putf(o, "           %-*s  ", width, key);
    if (ev)
        textout_evidence(o, ev, put_text);
    else
        put_text(o, text);
    textout_put(o, "\n");
}

/* A finding's message, resource and (when full) its evidence. */
static void put_finding(struct textout *o, const struct finding *f, bool full)
{
    static const char *const first[] = {"observed", "expected"};

    int width = 8; /* "resource", "observed", "expected" */

    for (size_t i = 0; i < f->nev; i++)
        if ((int)strlen(f->ev[i].key) > width)
            width = (int)strlen(f->ev[i].key);
    textout_put(o, "         ");
    put_text(o, f->message);
    textout_put(o, "\n");
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

static void put_rule_head(struct textout *o, const char *tag, const char *code,
                          const struct rule_result *res)
{
    textout_put(o, "  ");
    color(o, code);
    textout_put(o, tag);
    color(o, C_RESET);
    textout_put(o, " ");
    color(o, C_BOLD);
    put_text(o, res->meta.id);
    color(o, C_RESET);
    textout_put(o, "  ");
    put_text(o, res->meta.title);
    textout_put(o, "\n");
}

#define FOLD_TEXT  150 /* characters of a group's message on its one line */
#define FOLD_NAMES 3   /* resources named on it */

/* s cut to at most max bytes on a character boundary, with "…" when cut. */
static void put_cut(struct textout *o, const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n <= max) {
        put_text(o, s);
        return;
    }
    n = util_utf8_prefix(s, max);
    textout_putn_clean(o, s, n);
    textout_put(o, "…");
}

/* Up to max resources of group g, "name (short id)", then "and N more". */
static void put_members(struct textout *o, const struct rule_result *res,
                        const struct finding_group *g, size_t max)
{
    const char **ids = calloc(g->n, sizeof *ids);
    struct short_ids s = {0, false};

    if (ids) {
        for (size_t k = 0; k < g->n; k++)
            ids[k] = report_resource_id(res->findings[g->members[k]].resource);
        s = report_short_ids(ids, g->n, 8);
    }
    for (size_t k = 0; k < g->n && k < max; k++) {
        const struct finding *f = &res->findings[g->members[k]];
        char label[200], id[120];
        report_finding_label(f, label, sizeof label);
        report_short_id(report_resource_id(f->resource), s, id, sizeof id);
        textout_put(o, k ? ", " : "");
        if (label[0]) {
            put_text(o, label);
            textout_put(o, " (");
            put_text(o, id);
            textout_put(o, ")");
        } else {
            put_text(o, id[0] ? id : "(no resource)");
        }
    }
    if (g->n > max)
        textout_putf(o, " and %zu more", g->n - max);
    free(ids);
}

/* The findings of res at lvl, one line per group of findings that say the same thing. */
static void put_folded(struct textout *o, const struct rule_result *res,
                       const struct finding_group *g, size_t ng, enum level lvl)
{
    for (size_t i = 0; i < ng; i++) {
        if (g[i].level != lvl)
            continue;
        textout_put(o, "         ");
        if (g[i].n == 1) {
            put_text(o, res->findings[g[i].members[0]].message);
        } else {
            if (g[i].noun[0])
                textout_putf(o, "%zu %ss: ", g[i].n, g[i].noun);
            else
                textout_putf(o, "%zu× ", g[i].n);
            put_cut(o, g[i].template_text + g[i].rest, FOLD_TEXT);
            textout_put(o, " — ");
            put_members(o, res, &g[i], FOLD_NAMES);
        }
        textout_put(o, "\n");
    }
}

/* Prints every rule that has findings at `lvl`, with those findings (in full, with their evidence,
 * when full; else folded, one line per group). Returns how many rules. */
static size_t put_section(struct textout *o, const struct report *r, enum level lvl,
                          const char *title, bool full)
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
            textout_put(o, "\n");
            color(o, C_BOLD);
            textout_put(o, title);
            color(o, C_RESET);
            textout_put(o, "\n");
        }
        put_rule_head(o, tag, code, res);
        if (full) {
            for (size_t k = 0; k < res->nfindings; k++)
                if (res->findings[k].level == lvl)
                    put_finding(o, &res->findings[k], true);
        } else {
            put_folded(o, res, r->groups[i], r->ngroups[i], lvl);
        }
        if (res->meta.remediation && (lvl == LEVEL_FAIL || lvl == LEVEL_WARN)) {
            textout_put(o, "         fix: ");
            put_text(o, res->meta.remediation);
            textout_put(o, "\n");
        }
    }
    return shown;
}

/* Everything that made the decision impossible; rule errors with the same message (several rules
 * that could not run for one missing part) share one line. */
#define TEXT_PROBLEMS 20 /* problem lines without -v */

static void put_errors(struct textout *o, const struct report *r, bool verbose)
{
    size_t lines = 0;

    if (r->errors.n == 0)
        return;
    textout_put(o, "\n");
    color(o, C_BOLD);
    textout_put(o, "Could not decide\n");
    color(o, C_RESET);
    for (size_t i = 0; i < r->errors.n; i++) {
        const struct problem *p = &r->errors.items[i];
        bool rule = strcmp(p->kind, "rule") == 0, seen = false;
        size_t same = 0;

        for (size_t k = 0; rule && k < i && !seen; k++)
            seen = strcmp(r->errors.items[k].kind, "rule") == 0 &&
                   strcmp(r->errors.items[k].message, p->message) == 0;
        if (seen)
            continue;
        if (!verbose && lines++ == TEXT_PROBLEMS) {
            textout_putf(o, "  … %zu more problem%s (-v or --format json lists every one)\n",
                         r->errors.n - i, r->errors.n - i == 1 ? "" : "s");
            break;
        }
        textout_put(o, "  ");
        color(o, C_MAGENTA);
        textout_put(o, "[ERROR]");
        color(o, C_RESET);
        textout_put(o, " ");
        put_text(o, p->kind);
        for (size_t k = i + 1; rule && k < r->errors.n; k++)
            if (strcmp(r->errors.items[k].kind, "rule") == 0 &&
                strcmp(r->errors.items[k].message, p->message) == 0)
                same++;
        if (same)
            textout_put(o, "s");
        if (p->where && *p->where) {
            textout_put(o, " ");
            put_text(o, p->where);
        }
        for (size_t k = i + 1; same && k < r->errors.n; k++)
            if (strcmp(r->errors.items[k].kind, "rule") == 0 &&
                strcmp(r->errors.items[k].message, p->message) == 0) {
                textout_put(o, ", ");
                put_text(o, r->errors.items[k].where);
            }
        textout_put(o, ": ");
        put_text(o, p->message);
        textout_put(o, "\n");
    }
}

/* Waivers: the expired ones that block this group first (blocking = true), or the rest. */
static void put_waivers(struct textout *o, const struct report *r, bool blocking)
{
    size_t shown = 0;

    for (size_t i = 0; i < r->nwaivers; i++) {
        const struct report_waiver *w = &r->waivers[i];
        bool blocks = w->state == WAIVER_EXPIRED && w->for_group;

        if (blocks != blocking)
            continue;
        if (shown++ == 0) {
            textout_put(o, "\n");
            color(o, C_BOLD);
            textout_put(o, blocking ? "Expired waivers (renew or remove them)\n" : "Waivers\n");
            color(o, C_RESET);
        }
        textout_put(o, "  ");
        color(o, blocks ? C_RED : w->state == WAIVER_APPLIED ? C_CYAN : C_DIM);
        textout_put(o, w->state == WAIVER_APPLIED   ? "[WAIVED] "
                       : blocks                     ? "[EXPIRED]"
                       : w->state == WAIVER_EXPIRED ? "[expired]"
                                                    : "[unused] ");
        color(o, C_RESET);
        textout_put(o, " ");
        put_text(o, w->rule);
        textout_put(o, " for ");
        put_text(o, strcmp(w->group, "*") == 0 ? "every group" : w->group);
        textout_put(o, ": ");
        put_text(o, w->reason);
        textout_put(o, " (approved by ");
        put_text(o, w->approved_by);
        textout_put(o, w->state == WAIVER_EXPIRED ? ", expired " : ", expires ");
        put_text(o, w->expires);
        if (w->ticket) {
            textout_put(o, ", ");
            put_text(o, w->ticket);
        }
        textout_put(o, ")");
        if (w->state == WAIVER_APPLIED)
            textout_putf(o, ": %zu result%s waived", w->results, w->results == 1 ? "" : "s");
        else if (w->state == WAIVER_UNUSED)
            textout_put(o, w->for_group ? ": no failing or warning result to waive"
                                        : ": not for this group");
        textout_put(o, "\n");
    }
}

static void put_verdict(struct textout *o, const struct report *r)
{
    const char *code = r->verdict == VERDICT_GO     ? C_GREEN
                       : r->verdict == VERDICT_NOGO ? C_RED
                                                    : C_MAGENTA;
    size_t nfail = report_count_findings(r, LEVEL_FAIL),
           nwarn = report_count_findings(r, LEVEL_WARN);

    color(o, code);
    textout_put(o, verdict_name(r->verdict));
    color(o, C_RESET);
    textout_put(o, "  ");
    put_text(o, r->action);
    textout_put(o, " of protection group ");
    if (r->group_name) {
        textout_put(o, "'");
        put_text(o, r->group_name);
        textout_put(o, "' ");
    }
    textout_put(o, "(");
    put_text(o, r->group_id ? r->group_id : "unknown id");
    textout_put(o, ")");
    switch (r->verdict) {
    case VERDICT_GO:
        textout_put(o, ": no blocking finding\n");
        break;
    case VERDICT_NOGO:
        if (nfail)
            textout_putf(o, ": %zu blocking finding%s", nfail, nfail == 1 ? "" : "s");
        else if (r->fail_on_warning && nwarn)
            textout_putf(o, ": %zu warning%s with --fail-on warning", nwarn, nwarn == 1 ? "" : "s");
        if (r->expired_waivers)
            textout_putf(o, "%s%zu expired waiver%s",
                         nfail || (r->fail_on_warning && nwarn) ? ", " : ": ", r->expired_waivers,
                         r->expired_waivers == 1 ? "" : "s");
        textout_put(o, "\n");
        break;
    case VERDICT_INDETERMINATE:
        textout_putf(o, ": could not decide (%zu problem%s)\n", r->errors.n,
                     r->errors.n == 1 ? "" : "s");
        break;
    }
    textout_put(o, "    status ");
    put_text(o, r->group_status ? r->group_status : "unknown");
    textout_put(o, ", production at ");
    put_text(o, r->priority_station ? r->priority_station : "unknown");
    if (r->ninstances >= 0)
        textout_putf(o, ", %lld instance%s", r->ninstances, r->ninstances == 1 ? "" : "s");
    if (r->npairs >= 0)
        textout_putf(o, ", %lld replication pair%s", r->npairs, r->npairs == 1 ? "" : "s");
    textout_put(o, "; data fetched ");
    put_text(o, r->fetched_at ? r->fetched_at : "at an unknown time");
    textout_put(o, "\n");
}

/* A column goes on a row's first line when every row's value for it is short. */
static bool short_column(const struct rule_table *tb, size_t c)
{
    for (size_t k = 0; k < tb->nrows; k++)
        if (strlen(tb->rows[k].values[c]) > 24)
            return false;
    return true;
}

/* The tables rules filled (ctx:row), e.g. SDRS-012's credential plan. In full with -v (every
 * column, the resources each row applies to); otherwise one line that says where it is. */
static void put_tables(struct textout *o, const struct report *r, bool verbose)
{
    for (size_t i = 0; i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];
        if (res->result == RESULT_ERROR || res->result == RESULT_SKIPPED)
            continue;
        for (size_t t = 0; t < res->ntables; t++) {
            const struct rule_table *tb = &res->tables[t];
            size_t refs = 0;
            for (size_t k = 0; k < tb->nrows; k++)
                refs += tb->rows[k].nrefs;
            textout_put(o, "\n");
            color(o, C_BOLD);
            put_text(o, tb->title);
            color(o, C_RESET);
            textout_put(o, " (");
            put_text(o, res->meta.id);
            textout_putf(o, "): %zu row%s for %zu resource%s%s\n", tb->nrows,
                         tb->nrows == 1 ? "" : "s", refs, refs == 1 ? "" : "s",
                         verbose ? "" : " (-v, --format markdown or json)");
            for (size_t k = 0; verbose && k < tb->nrows; k++) {
                const struct table_row *row = &tb->rows[k];
                const char **ids = calloc(row->nrefs ? row->nrefs : 1, sizeof *ids);
                struct short_ids s = {0, false};
                bool first = true;
                textout_putf(o, "  %zu. ", k + 1);
                for (size_t c = 0; c < tb->ncolumns; c++) {
                    if (!short_column(tb, c))
                        continue;
                    textout_put(o, first ? "" : ", ");
                    put_text(o, tb->columns[c]);
                    textout_put(o, " ");
                    put_text(o, row->values[c]);
                    first = false;
                }
                textout_putf(o, " (%zu)\n", row->nrefs);
                for (size_t c = 0; c < tb->ncolumns; c++) {
                    if (short_column(tb, c))
                        continue;
                    textout_put(o, "       ");
                    put_text(o, tb->columns[c]);
                    textout_put(o, ": ");
                    put_text(o, row->values[c]);
                    textout_put(o, "\n");
                }
                if (ids) {
                    for (size_t n = 0; n < row->nrefs; n++)
                        ids[n] = report_resource_id(row->refs[n].resource);
                    s = report_short_ids(ids, row->nrefs, 8);
                }
                textout_put(o, "       applies to: ");
                for (size_t n = 0; n < row->nrefs; n++) {
                    char id[120];
                    report_short_id(report_resource_id(row->refs[n].resource), s, id, sizeof id);
                    textout_put(o, n ? ", " : "");
                    if (row->refs[n].label) {
                        put_text(o, row->refs[n].label);
                        textout_put(o, " (");
                        put_text(o, id);
                        textout_put(o, ")");
                    } else {
                        put_text(o, id);
                    }
                }
                textout_put(o, "\n");
                free(ids);
            }
        }
    }
}

static void put_all_rules(struct textout *o, const struct report *r)
{
    textout_put(o, "\n");
    color(o, C_BOLD);
    textout_put(o, "All rules\n");
    color(o, C_RESET);
    for (size_t i = 0; i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];
        const char *code, *tag = result_tag(res->result, &code);

        put_rule_head(o, tag, code, res);
        if (res->result == RESULT_SKIPPED && res->skip_reason) {
            textout_put(o, "         ");
            put_text(o, res->skip_reason);
            textout_put(o, "\n");
        }
        if (res->result == RESULT_WAIVED && res->waiver) {
            textout_put(o, "         waived: ");
            put_text(o, res->waiver);
            textout_put(o, "\n");
        }
    }
}

/* The execution: the outcome first, then the end state against the documented one, the servers
 * of the new production site, the job, and what to do next. */
static void put_execution(struct textout *o, const struct report *r, bool quiet)
{
    const struct report_execution *x = r->execution;
    const struct verify_result *v = &x->verify;
    bool good = strcmp(x->outcome, "success") == 0;
    char took[48];

    report_exec_duration(x->duration_ms, took, sizeof took);
    color(o, good ? C_GREEN : C_RED);
    put_text(o, x->action);
    textout_put(o, " ");
    textout_put(o, report_exec_headline(x));
    color(o, C_RESET);
    textout_put(o, "  protection group ");
    if (r->group_name) {
        textout_put(o, "'");
        put_text(o, r->group_name);
        textout_put(o, "' ");
    }
    textout_put(o, "(");
    put_text(o, r->group_id ? r->group_id : "unknown id");
    textout_putf(o, "): %s from the POST to the %s\n", took,
                 x->checked ? "verified end state" : "end of the run");
    textout_put(o, "    ");
    put_text(o, x->message);
    textout_put(o, "\n");
    if (quiet)
        return;
    textout_put(o, "    before: ");
    put_text(o, x->status_before);
    textout_put(o, ", production at ");
    put_text(o, x->station_before);
    textout_put(o, "; after: ");
    put_text(o, x->status_after[0] ? x->status_after : "unknown");
    textout_put(o, ", production at ");
    put_text(o, x->station_after[0] ? x->station_after : "unknown");
    textout_putf(o, "; %d POST%s\n", x->posts, x->posts == 1 ? "" : "s");
    if (x->checked) {
        textout_put(o, "\n");
        color(o, C_BOLD);
        textout_put(o, "End state");
        color(o, C_RESET);
        textout_put(o, " (expected: ");
        put_text(o, x->effect);
        textout_put(o, ")\n");
        for (size_t i = 0; i < v->nchecks; i++) {
            const struct verify_check *c = &v->checks[i];
            color(o, c->ok ? C_GREEN : C_RED);
            textout_put(o, c->ok ? "  [ok]    " : "  [DIFF]  ");
            color(o, C_RESET);
            put_text(o, c->what);
            textout_put(o, ": ");
            if (c->ok) {
                put_text(o, c->found);
            } else {
                textout_put(o, "expected ");
                put_text(o, c->expected);
                textout_put(o, ", found ");
                put_text(o, c->found);
            }
            textout_put(o, "\n");
        }
    }
    if (v->nservers) {
        textout_put(o, "\n");
        color(o, C_BOLD);
        textout_put(o, "Servers at the new production site");
        color(o, C_RESET);
        textout_putf(o, " (%s): %zu running, %zu stopped", v->station_after, v->nrunning,
                     v->nstopped);
        if (v->nservers > v->nrunning + v->nstopped)
            textout_putf(o, ", %zu neither", v->nservers - v->nrunning - v->nstopped);
        textout_put(o, "\n");
        for (size_t i = 0; i < v->nservers; i++) {
            const struct verify_server *s = &v->servers[i];
            color(o, s->power == VERIFY_RUNNING ? C_GREEN : C_YELLOW);
            textout_putf(o, "  %-8s ", report_exec_power(s->power));
            color(o, C_RESET);
            put_text(o, s->name[0] ? s->name : "(no name)");
            textout_put(o, "  ");
            put_text(o, s->id);
            textout_put(o, "  ");
            put_text(o, s->status);
            textout_put(o, "\n");
        }
    }
    if (x->job_id[0]) {
        textout_put(o, "\nJob ");
        put_text(o, x->job_id);
        textout_put(o, " ");
        put_text(o, x->job_status[0] ? x->job_status : "(not read)");
        if (x->error_code[0]) {
            textout_put(o, " ");
            put_text(o, x->error_code);
        }
        if (x->fail_reason[0]) {
            textout_put(o, ": ");
            put_text(o, x->fail_reason);
        }
        textout_putf(o, " (%zu sub-job%s)\n", x->subjobs_total, x->subjobs_total == 1 ? "" : "s");
        for (size_t i = 0; i < x->nsubjobs; i++) {
            const struct report_subjob *sj = &x->subjobs[i];
            textout_put(o, "  ");
            put_text(o, sj->status);
            textout_put(o, "  ");
            put_text(o, sj->type);
            textout_put(o, "  ");
            put_text(o, sj->id);
            if (sj->error_code[0]) {
                textout_put(o, "  ");
                put_text(o, sj->error_code);
            }
            textout_put(o, "\n");
        }
    }
    if (x->nnext) {
        textout_put(o, "\n");
        color(o, C_BOLD);
        textout_put(o, "Next\n");
        color(o, C_RESET);
        for (size_t i = 0; i < x->nnext; i++) {
            textout_put(o, "  ");
            put_text(o, x->next[i]);
            textout_put(o, "\n");
        }
        if (x->next_command[0]) {
            textout_put(o, "  ");
            put_text(o, x->next_command);
            textout_put(o, "\n");
        }
    }
    textout_put(o, "\n");
    color(o, C_BOLD);
    textout_put(o, "Readiness for ");
    put_text(o, r->action);
    color(o, C_RESET);
    textout_put(o, " (the rules over the group as the action left it)\n");
}

int report_render_text(const struct report *r, const struct render_opts *opts, struct buf *b)
{
    struct textout o = {.b = b, .color = opts && opts->color};
    char counts[400];
    bool verbose = opts && opts->verbose > 0;

    if (r->execution)
        put_execution(&o, r, opts && opts->quiet);
    put_verdict(&o, r);
    if (opts && opts->quiet)
        return o.rc;
    put_errors(&o, r, verbose);
    put_section(&o, r, LEVEL_FAIL, "Blocking", true);
    put_waivers(&o, r, true);
    put_section(&o, r, LEVEL_WARN, "Warnings", verbose);
    put_section(&o, r, LEVEL_INFO, "Notes", verbose);
    put_waivers(&o, r, false);
    put_tables(&o, r, verbose);
    if (verbose)
        put_all_rules(&o, r);
    else if (report_count_findings(r, LEVEL_WARN) + report_count_findings(r, LEVEL_INFO) > 0)
        textout_put(&o, "\n(evidence of warnings and notes: -v or --format json)\n");
    report_counts_line(r, counts, sizeof counts);
    textout_putf(&o, "\n%s (%s %s)\n", counts, SDRS_NAME, SDRS_VERSION);
    return o.rc;
}
