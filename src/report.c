#include "report.h"
#include "report_group.h"

#include "fleet.h"
#include "jdoc.h"

#include <stdlib.h>
#include <string.h>

static const struct output_format formats[] = {
    {"text", report_render_text, fleet_render_text, rules_render_text},
    {"json", report_render_json, fleet_render_json, rules_render_json},
    {"junit", report_render_junit, NULL, NULL},
    {"markdown", report_render_markdown, NULL, NULL},
};

#define NFORMATS (sizeof formats / sizeof formats[0])

/* True when format f can write kind. */
static bool writes(const struct output_format *f, enum output_kind kind)
{
    switch (kind) {
    case OUTPUT_REPORT:
        return f->report != NULL;
    case OUTPUT_FLEET:
        return f->fleet != NULL;
    case OUTPUT_RULES:
        return f->rules != NULL;
    }
    return false;
}

size_t report_format_count(void)
{
    return NFORMATS;
}

const struct output_format *report_format_at(size_t i)
{
    return i < NFORMATS ? &formats[i] : NULL;
}

const struct output_format *report_format(const char *name)
{
    for (size_t i = 0; name && i < NFORMATS; i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

const struct output_format *report_format_for(const char *name, enum output_kind kind)
{
    const struct output_format *f = report_format(name);

    return f && writes(f, kind) ? f : NULL;
}

void report_format_names(enum output_kind kind, char *out, size_t size)
{
    size_t n = 0, total = 0, len = 0;

    for (size_t i = 0; i < NFORMATS; i++)
        total += writes(&formats[i], kind);
    out[0] = '\0';
    for (size_t i = 0; i < NFORMATS && len < size; i++) {
        if (!writes(&formats[i], kind))
            continue;
        n++;
        len += (size_t)snprintf(out + len, size - len, "%s%s",
                                n == 1       ? ""
                                : n == total ? " or "
                                             : ", ",
                                formats[i].name);
    }
}

const char *verdict_name(enum verdict v)
{
    switch (v) {
    case VERDICT_GO:
        return "GO";
    case VERDICT_NOGO:
        return "NO-GO";
    case VERDICT_INDETERMINATE:
        break;
    }
    return "INDETERMINATE";
}

static char *dup_str(struct jval *obj, const char *key, bool *ok)
{
    return util_strdup_ok(jv_get_str(obj, key), ok);
}

static long long count_of(struct jval *list)
{
    return list ? (long long)jv_len(list) : -1;
}

/* Adds to r->errors what makes the decision impossible: snapshot problems, rule errors, rules
 * that could not decide, and the absence of any applicable rule. */
static int collect_errors(struct report *r, const struct snapshot *snap)
{
    size_t applied = 0;
    int rc = 0;

    for (size_t i = 0; !rc && i < snap->problems.n; i++) {
        const struct problem *p = &snap->problems.items[i];
        rc = problem_add(&r->errors, p->kind, p->where, "%s", p->message);
    }
    for (size_t i = 0; !rc && i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];
        if (res->result != RESULT_SKIPPED)
            applied++;
        if (res->result != RESULT_ERROR)
            continue;
        if (res->error) {
            rc = problem_add(&r->errors, "rule", res->meta.id, "%s", res->error);
            continue;
        }
        for (size_t k = 0; !rc && k < res->nfindings; k++)
            if (res->findings[k].level == LEVEL_ERROR)
                rc = problem_add(&r->errors, "rule", res->meta.id, "could not decide: %s",
                                 res->findings[k].message);
    }
    if (!rc && applied == 0)
        rc = problem_add(&r->errors, "rules", "", "no rule applies to the action '%s'", r->action);
    return rc;
}

/* Applies the waivers to r's results and keeps what became of each. Returns 0 or ERR_NOMEM. */
static int take_waivers(struct report *r, const struct report_inputs *in)
{
    const struct waivers *w = in->waivers;
    struct waiver_use *uses = calloc(w->n ? w->n : 1, sizeof *uses);
    bool ok = true;

    memcpy(r->waivers_sha256, w->sha256, sizeof r->waivers_sha256);
    if (!uses || waivers_apply(w, r->group_id, in->now, r->results, r->nresults, uses)) {
        free(uses);
        return ERR_NOMEM;
    }
    r->waivers = calloc(w->n ? w->n : 1, sizeof *r->waivers);
    if (!r->waivers) {
        free(uses);
        return ERR_NOMEM;
    }
    r->nwaivers = w->n;
    for (size_t i = 0; i < w->n; i++) {
        struct report_waiver *rw = &r->waivers[i];
        const struct waiver *x = uses[i].w;

        rw->rule = util_strdup_ok(x->rule, &ok);
        rw->group = util_strdup_ok(x->group, &ok);
        rw->reason = util_strdup_ok(x->reason, &ok);
        rw->approved_by = util_strdup_ok(x->approved_by, &ok);
        rw->expires = util_strdup_ok(x->expires, &ok);
        rw->ticket = util_strdup_ok(x->ticket, &ok);
        rw->state = uses[i].state;
        rw->for_group = uses[i].for_group;
        rw->results = uses[i].results;
        if (rw->state == WAIVER_EXPIRED && rw->for_group)
            r->expired_waivers++;
    }
    free(uses);
    return ok ? 0 : ERR_NOMEM;
}

int report_build(struct report *r, const struct report_inputs *in, struct rule_result **results,
                 size_t nresults, struct err *e)
{
    const struct snapshot *snap = in->snap;
    bool ok = true;

    memset(r, 0, sizeof *r);
    util_format_time(in->now, r->generated_at, sizeof r->generated_at);
    r->action = util_strdup(in->action);
    r->project_id = snap->project_id ? util_strdup(snap->project_id) : NULL;
    r->group_id = dup_str(snap->group, "id", &ok);
    r->group_name = dup_str(snap->group, "name", &ok);
    r->group_status = dup_str(snap->group, "status", &ok);
    r->priority_station = dup_str(snap->group, "priority_station", &ok);
    r->fetched_at = snap->fetched_at ? util_strdup(snap->fetched_at) : NULL;
    r->ninstances = count_of(snap->instances);
    r->npairs = count_of(snap->replications);
    r->ndrills = count_of(snap->drills);
    r->fail_on_warning = in->fail_on_warning;
    memcpy(r->snapshot_sha256, snap->sha256, sizeof r->snapshot_sha256);
    snprintf(r->rules_sha256, sizeof r->rules_sha256, "%s",
             in->rules_sha256 ? in->rules_sha256 : "");
    if (in->facts)
        memcpy(r->facts_sha256, in->facts->sha256, sizeof r->facts_sha256);
    r->results = *results;
    r->nresults = nresults;
    *results = NULL;
    if (!r->action || (snap->project_id && !r->project_id) || (snap->fetched_at && !r->fetched_at))
        ok = false;
    if (!ok || collect_errors(r, snap) || (in->waivers && take_waivers(r, in))) {
        report_clear(r);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    r->groups = calloc(nresults ? nresults : 1, sizeof *r->groups);
    r->ngroups = calloc(nresults ? nresults : 1, sizeof *r->ngroups);
    for (size_t i = 0; ok && r->groups && r->ngroups && i < r->nresults; i++)
        ok = report_group_findings(&r->results[i], &r->groups[i], &r->ngroups[i]) == 0;
    if (!ok || !r->groups || !r->ngroups) {
        report_clear(r);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->nresults; i++)
        r->counts[r->results[i].result]++;
    if (r->errors.n > 0 || r->counts[RESULT_ERROR] > 0) {
        r->verdict = VERDICT_INDETERMINATE;
        r->exit_code = EXIT_INDETERMINATE;
    } else if (r->counts[RESULT_FAIL] > 0 || (r->fail_on_warning && r->counts[RESULT_WARN] > 0) ||
               r->expired_waivers > 0) {
        r->verdict = VERDICT_NOGO;
        r->exit_code = EXIT_NOGO;
    } else {
        r->verdict = VERDICT_GO;
        r->exit_code = EXIT_GO;
    }
    return 0;
}

void report_clear(struct report *r)
{
    free(r->action);
    free(r->project_id);
    free(r->group_id);
    free(r->group_name);
    free(r->group_status);
    free(r->priority_station);
    free(r->fetched_at);
    for (size_t i = 0; r->groups && r->ngroups && i < r->nresults; i++)
        report_groups_free(r->groups[i], r->ngroups[i]);
    free(r->groups);
    free(r->ngroups);
    rule_results_free(r->results, r->nresults);
    problem_list_clear(&r->errors);
    for (size_t i = 0; i < r->nwaivers; i++) {
        struct report_waiver *w = &r->waivers[i];
        free(w->rule);
        free(w->group);
        free(w->reason);
        free(w->approved_by);
        free(w->expires);
        free(w->ticket);
    }
    free(r->waivers);
    if (r->execution) {
        verify_result_clear(&r->execution->verify);
        free(r->execution);
    }
    memset(r, 0, sizeof *r);
}

static const char *or_unknown(const char *s)
{
    return s ? s : "unknown";
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

size_t report_changes(const struct report *before, const struct report *after, struct buf *out)
{
    size_t n = 0;

    if (!same(before->group_status, after->group_status))
        buf_printf(out, "%sstatus %s -> %s", n++ ? "; " : "", or_unknown(before->group_status),
                   or_unknown(after->group_status));
    if (!same(before->priority_station, after->priority_station))
        buf_printf(out, "%spriority_station %s -> %s", n++ ? "; " : "",
                   or_unknown(before->priority_station), or_unknown(after->priority_station));
    for (size_t i = 0; i < after->nresults; i++) {
        const struct rule_result *a = &after->results[i], *b = NULL;

        for (size_t k = 0; k < before->nresults; k++)
            if (strcmp(before->results[k].meta.id, a->meta.id) == 0)
                b = &before->results[k];
        if (a->meta.severity != SEVERITY_BLOCKER && a->result != RESULT_ERROR)
            continue;
        if (!b)
            buf_printf(out, "%s%s is new (%s)", n++ ? "; " : "", a->meta.id,
                       result_name(a->result));
        else if (b->result != a->result)
            buf_printf(out, "%s%s %s -> %s", n++ ? "; " : "", a->meta.id, result_name(b->result),
                       result_name(a->result));
    }
    if (after->errors.n > before->errors.n)
        buf_printf(out, "%s%zu new problem(s) reading the group", n++ ? "; " : "",
                   after->errors.n - before->errors.n);
    return n;
}

void report_counts_line(const struct report *r, char *out, size_t size)
{
    const size_t *c = r->counts;
    size_t fail = report_count_findings(r, LEVEL_FAIL), warn = report_count_findings(r, LEVEL_WARN),
           note = report_count_findings(r, LEVEL_INFO), prob = r->errors.n;
    char problems[80];

    if (prob)
        snprintf(problems, sizeof problems, "%zu problem%s made the decision impossible", prob,
                 prob == 1 ? "" : "s");
    else
        snprintf(problems, sizeof problems, "no problem");
    snprintf(out, size,
             "%zu rule%s: %zu passed, %zu failed, %zu warned, %zu noted, %zu skipped, %zu waived, "
             "%zu errored; findings: %zu blocking, %zu warning%s, %zu note%s; %s",
             r->nresults, r->nresults == 1 ? "" : "s", c[RESULT_PASS], c[RESULT_FAIL],
             c[RESULT_WARN], c[RESULT_INFO], c[RESULT_SKIPPED], c[RESULT_WAIVED], c[RESULT_ERROR],
             fail, warn, warn == 1 ? "" : "s", note, note == 1 ? "" : "s", problems);
}

void report_first_reason(const struct report *r, char *out, size_t size)
{
    out[0] = '\0';
    if (r->verdict == VERDICT_INDETERMINATE && r->errors.n) {
        const struct problem *p = &r->errors.items[0];
        snprintf(out, size, "%s%s%s: %s", p->kind, p->where && *p->where ? " " : "",
                 p->where ? p->where : "", p->message);
        return;
    }
    if (r->verdict != VERDICT_NOGO)
        return;
    for (enum level lvl = LEVEL_FAIL;; lvl = LEVEL_WARN) {
        for (size_t i = 0; i < r->nresults; i++) {
            const struct rule_result *res = &r->results[i];
            if (res->result == RESULT_WAIVED)
                continue;
            for (size_t k = 0; k < res->nfindings; k++) {
                const struct finding *f = &res->findings[k];
                if (f->level != lvl)
                    continue;
                snprintf(out, size, "%s%s%s: %s", res->meta.id, f->resource ? " " : "",
                         f->resource ? f->resource : "", f->message);
                return;
            }
        }
        if (lvl == LEVEL_WARN || !r->fail_on_warning)
            break;
    }
    for (size_t i = 0; i < r->nwaivers; i++)
        if (r->waivers[i].state == WAIVER_EXPIRED && r->waivers[i].for_group) {
            snprintf(out, size, "the waiver of %s expired on %s", r->waivers[i].rule,
                     r->waivers[i].expires);
            return;
        }
}

size_t report_count_findings(const struct report *r, enum level lvl)
{
    size_t n = 0;

    for (size_t i = 0; i < r->nresults; i++)
        if (r->results[i].result != RESULT_WAIVED)
            for (size_t k = 0; k < r->results[i].nfindings; k++)
                n += r->results[i].findings[k].level == lvl;
    return n;
}
