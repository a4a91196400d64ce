/* --format markdown: a change-ticket summary in GitHub/GitLab flavoured Markdown. The verdict as a
 * heading, the target, what blocks (findings with an evidence table each, expired waivers), what
 * could not be decided, warnings, notes, waivers applied, a one-line count and the inputs' digests.
 *
 * Rule- and API-supplied text is escaped so that it stays inside its paragraph or table cell:
 * Markdown punctuation gets a backslash, < and > become entities (no raw HTML), control characters
 * become spaces and bytes that are not UTF-8 become U+FFFD. */
#include "report.h"
#include "report_exec.h"
#include "report_group.h"
#include "textout.h"

#include "version.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* True for a character that would end a line or a table row, that a terminal or a viewer would
 * act on or hide, or that is not a character: the one list of util_char_unsafe (C0 with tab and
 * newlines, DEL, C1, bidi controls, U+2028/9, U+FEFF, U+FFFE/F). */
static bool is_control(const char *p, size_t n)
{
    unsigned long cp;

    return util_utf8_next(p, n, &cp) == n && util_char_unsafe(cp);
}

/* Returns the length of the character at p. When it is not UTF-8 or is a control character,
 * appends its replacement (U+FFFD, or a space) and sets *done. */
static size_t put_unsafe(struct textout *o, const char *p, bool *done)
{
    size_t n = util_utf8_len(p);

    *done = n == 0 || is_control(p, n);
    if (*done)
        textout_put(o, n == 0 ? REPLACEMENT : " ");
    return n == 0 ? 1 : n;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

/* Appends untrusted text s (NULL as "") escaped for a paragraph, list item, heading or table cell:
 * it cannot start a block (heading, list, quote, code block), open emphasis, a link, a code span,
 * an entity or HTML, nor end the cell or the line. */
static void put_md(struct textout *o, const char *s)
{
    const char *p = s ? s : "";
    const char *digits;

    while (*p == ' ' || (util_utf8_len(p) == 1 && is_control(p, 1)))
        p++; /* leading blanks could make an indented code block */
    for (digits = p; is_digit(*digits); digits++)
        ;
    if (digits > p && (*digits == '.' || *digits == ')')) {
        o->rc = o->rc ? o->rc : buf_add(o->b, p, (size_t)(digits - p));
        textout_put(o, "\\");
        p = digits; /* "1." would start an ordered list */
    } else if (*p == '#' || *p == '-' || *p == '+' || *p == '=') {
        textout_put(o, "\\");
    }
    while (*p && !o->rc) {
        bool done;
        size_t n = put_unsafe(o, p, &done);

        if (done) {
            p += n;
            continue;
        }
        if (n > 1) {
            o->rc = buf_add(o->b, p, n);
        } else if (*p == '<') {
            textout_put(o, "&lt;");
        } else if (*p == '>') {
            textout_put(o, "&gt;");
        } else if (*p == '&' && (is_alpha(p[1]) || p[1] == '#')) {
            textout_put(o, "&amp;");
        } else if (*p == '_' && p > s && is_alnum(p[-1]) && is_alnum(p[1])) {
            textout_put(o, "_"); /* snake_case: an underscore inside a word opens no emphasis */
        } else if (strchr("\\`*_[]|~", *p)) {
            char esc[3] = {'\\', *p, '\0'};
            textout_put(o, esc);
        } else {
            o->rc = buf_add(o->b, p, 1);
        }
        p += n;
    }
}

/* Appends s as a code span (identifiers, paths, digests): a fence longer than any run of backticks
 * inside, padded when s starts or ends with one; in a table cell | is escaped (GFM reads \| inside
 * code spans in tables as |); control characters and bytes that are not UTF-8 replaced as in
 * put_md. */
static void put_code(struct textout *o, const char *s, bool cell)
{
    size_t run = 0, longest = 0, len = strlen(s);
    bool pad = len > 0 && (s[0] == '`' || s[len - 1] == '`' || (s[0] == ' ' && s[len - 1] == ' '));

    if (len == 0) {
        textout_put(o, "(empty)");
        return;
    }
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    for (size_t i = 0; i <= longest; i++)
        textout_put(o, "`");
    if (pad)
        textout_put(o, " ");
    for (const char *p = s; *p && !o->rc;) {
        bool done;
        size_t n = put_unsafe(o, p, &done);

        if (!done && *p == '|' && cell)
            textout_put(o, "\\|");
        else if (!done)
            o->rc = buf_add(o->b, p, n);
        p += n;
    }
    if (pad)
        textout_put(o, " ");
    for (size_t i = 0; i <= longest; i++)
        textout_put(o, "`");
}

/* An evidence string in a table cell; an empty one says so. */
static void put_md_value(struct textout *o, const char *s)
{
    if (*s)
        put_md(o, s);
    else
        textout_put(o, "(empty)");
}

static void put_evidence_row(struct textout *o, const struct evidence *ev)
{
    textout_put(o, "| ");
    put_md(o, ev->key);
    textout_put(o, " | ");
    textout_evidence(o, ev, put_md_value);
    textout_put(o, " |\n");
}

/* A finding as a paragraph, then its evidence table: resource, observed, expected, then the
 * other keys in the order the rule gave them (sorted by the engine). */
static void put_finding(struct textout *o, const struct finding *f)
{
    static const char *const first[] = {"observed", "expected"};

    put_md(o, f->message);
    textout_put(o, "\n\n");
    if (!f->resource && f->nev == 0)
        return;
    textout_put(o, "| Evidence | Value |\n| --- | --- |\n");
    if (f->resource) {
        textout_put(o, "| resource | ");
        put_code(o, f->resource, true);
        textout_put(o, " |\n");
    }
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < f->nev; i++)
            if (strcmp(f->ev[i].key, first[k]) == 0)
                put_evidence_row(o, &f->ev[i]);
    for (size_t i = 0; i < f->nev; i++)
        if (strcmp(f->ev[i].key, first[0]) && strcmp(f->ev[i].key, first[1]))
            put_evidence_row(o, &f->ev[i]);
    textout_put(o, "\n");
}

static bool has_level(const struct rule_result *res, enum level lvl)
{
    for (size_t i = 0; i < res->nfindings; i++)
        if (res->findings[i].level == lvl)
            return true;
    return false;
}

static void put_rule_heading(struct textout *o, const struct rule_result *res)
{
    textout_put(o, "#### ");
    put_md(o, res->meta.id);
    textout_put(o, " · ");
    put_md(o, res->meta.title);
    textout_putf(o, " (%s)\n\n", severity_name(res->meta.severity));
}

/* The size a GitHub or GitLab comment takes, and how much of it blocking findings may fill in
 * full (with evidence tables) and then as one line each. */
#define MD_LIMIT          65536
#define MD_FULL_BUDGET    40000
#define MD_COMPACT_BUDGET 54000
#define MD_NAMES          30 /* resources named per group or table row */
#define MD_PROBLEMS       40 /* problems listed */

/* What had to be shortened to fit MD_LIMIT. */
struct md_cut {
    size_t compact;  /* blocking findings shown as one line */
    size_t omitted;  /* blocking findings not listed */
    size_t problems; /* problems not listed */
};

/* Up to max resources, "name (`short id`)", then "and N more". */
static void put_md_members(struct textout *o, const struct finding *const *f, size_t n, size_t max)
{
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    struct short_ids s = {0, false};

    if (ids) {
        for (size_t k = 0; k < n; k++)
            ids[k] = report_resource_id(f[k]->resource);
        s = report_short_ids(ids, n, 8);
    }
    for (size_t k = 0; k < n && k < max; k++) {
        char label[200], id[120];
        report_finding_label(f[k], label, sizeof label);
        report_short_id(report_resource_id(f[k]->resource), s, id, sizeof id);
        textout_put(o, k ? ", " : "");
        if (label[0]) {
            put_md(o, label);
            textout_put(o, " ");
        }
        if (id[0])
            put_code(o, id, false);
    }
    if (n > max)
        textout_putf(o, " and %zu more", n - max);
    free(ids);
}

/* The findings of res at lvl folded: one bullet per group of findings that say the same thing. */
static void put_folded(struct textout *o, const struct rule_result *res,
                       const struct finding_group *g, size_t ng, enum level lvl)
{
    for (size_t i = 0; i < ng; i++) {
        const struct finding **members;
        if (g[i].level != lvl)
            continue;
        textout_put(o, "- ");
        if (g[i].n == 1) {
            put_md(o, res->findings[g[i].members[0]].message);
            textout_put(o, "\n");
            continue;
        }
        if (g[i].noun[0])
            textout_putf(o, "**%zu %ss:** ", g[i].n, g[i].noun);
        else
            textout_putf(o, "**%zu×** ", g[i].n);
        put_md(o, g[i].template_text + g[i].rest);
        textout_put(o, " — ");
        members = calloc(g[i].n, sizeof *members);
        if (members) {
            for (size_t k = 0; k < g[i].n; k++)
                members[k] = &res->findings[g[i].members[k]];
            put_md_members(o, members, g[i].n, MD_NAMES);
            free(members);
        }
        textout_put(o, "\n");
    }
    textout_put(o, "\n");
}

/* A blocking finding as one line, when the full ones have used their share. */
static void put_compact(struct textout *o, const struct finding *f)
{
    textout_put(o, "- ");
    if (f->resource) {
        put_code(o, f->resource, false);
        textout_put(o, ": ");
    }
    put_md(o, f->message);
    textout_put(o, "\n");
}

/* Every rule (not waived) with findings at lvl: a heading, those findings (blocking ones in full
 * with their evidence, as long as the budget lasts; others folded), the remediation and the docs.
 * Returns how many rules. */
static size_t put_rules_at(struct textout *o, const struct report *r, enum level lvl,
                           struct md_cut *cut)
{
    size_t shown = 0;

    for (size_t i = 0; i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];

        if (res->result == RESULT_WAIVED || !has_level(res, lvl))
            continue;
        shown++;
        put_rule_heading(o, res);
        if (lvl != LEVEL_FAIL) {
            put_folded(o, res, r->groups[i], r->ngroups[i], lvl);
        } else {
            bool list = false;
            for (size_t k = 0; k < res->nfindings; k++) {
                if (res->findings[k].level != lvl)
                    continue;
                if (o->b->len < MD_FULL_BUDGET) {
                    put_finding(o, &res->findings[k]);
                } else if (o->b->len < MD_COMPACT_BUDGET) {
                    put_compact(o, &res->findings[k]);
                    cut->compact++;
                    list = true;
                } else {
                    cut->omitted++;
                }
            }
            if (list)
                textout_put(o, "\n");
        }
        if (res->meta.remediation) {
            textout_put(o, "**Fix:** ");
            put_md(o, res->meta.remediation);
            textout_put(o, "\n\n");
        }
        if (res->meta.docs) {
            textout_put(o, "**Reference:** ");
            put_md(o, res->meta.docs);
            textout_put(o, "\n\n");
        }
    }
    return shown;
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

static void put_title(struct textout *o, const struct report *r)
{
    static const char *const marks[] = {"✅", "⛔", "⚠️"};
    size_t nfail = report_count_findings(r, LEVEL_FAIL),
           nwarn = report_count_findings(r, LEVEL_WARN);

    /* under the execution's "Readiness for" heading, one level down */
    textout_putf(o, "%s %s %s — ", r->execution ? "####" : "##", marks[r->verdict],
                 verdict_name(r->verdict));
    put_md(o, r->action);
    textout_put(o, " of protection group ");
    if (r->group_name && *r->group_name)
        put_code(o, r->group_name, false);
    else if (r->group_id && *r->group_id)
        put_code(o, r->group_id, false);
    else
        textout_put(o, "(unknown)");
    textout_put(o, "\n\n");
    switch (r->verdict) {
    case VERDICT_GO:
        textout_put(o, "No blocking finding");
        if (nwarn)
            textout_putf(o, "; %zu warning%s to read before going ahead", nwarn, plural(nwarn));
        textout_put(o, ".\n\n");
        break;
    case VERDICT_NOGO:
        if (nfail)
            textout_putf(o, "%zu blocking finding%s", nfail, plural(nfail));
        else if (r->fail_on_warning && nwarn)
            textout_putf(o, "%zu warning%s, which block with `--fail-on warning`", nwarn,
                         plural(nwarn));
        if (r->expired_waivers)
            textout_putf(o, "%s%zu expired waiver%s",
                         nfail || (r->fail_on_warning && nwarn) ? "; " : "", r->expired_waivers,
                         plural(r->expired_waivers));
        textout_put(o, ".\n\n");
        break;
    case VERDICT_INDETERMINATE:
        textout_putf(o, "Could not decide: %zu problem%s.\n\n", r->errors.n, plural(r->errors.n));
        break;
    }
}

/* The execution of a post-execution report: outcome, end state, servers, job, next steps. */
static void put_execution(struct textout *o, const struct report *r)
{
    const struct report_execution *x = r->execution;
    const struct verify_result *v = &x->verify;
    char took[48];

    report_exec_duration(x->duration_ms, took, sizeof took);
    textout_putf(o, "## %s ", strcmp(x->outcome, "success") == 0 ? "✅" : "⛔");
    put_md(o, x->action);
    textout_putf(o, " %s — protection group ", report_exec_headline(x));
    if (r->group_name && *r->group_name)
        put_code(o, r->group_name, false);
    else
        put_code(o, r->group_id ? r->group_id : "unknown", false);
    textout_put(o, "\n\n");
    put_md(o, x->message);
    textout_putf(
        o, "\n\n| Execution | |\n| --- | --- |\n| Duration | %s (from the POST to the %s) |\n",
        took, x->checked ? "verified end state" : "end of the run");
    textout_putf(o, "| POSTs | %d |\n", x->posts);
    textout_put(o, "| Before | ");
    put_md(o, x->status_before);
    textout_put(o, ", production at ");
    put_md(o, x->station_before);
    textout_put(o, " |\n| After | ");
    put_md(o, x->status_after[0] ? x->status_after : "unknown");
    textout_put(o, ", production at ");
    put_md(o, x->station_after[0] ? x->station_after : "unknown");
    textout_put(o, " |\n");
    if (x->job_id[0]) {
        textout_put(o, "| Job | ");
        put_code(o, x->job_id, true);
        textout_put(o, " ");
        put_md(o, x->job_status);
        if (x->error_code[0]) {
            textout_put(o, " ");
            put_code(o, x->error_code, true);
        }
        textout_putf(o, " (%zu sub-jobs) |\n", x->subjobs_total);
    }
    textout_put(o, "\n");
    if (x->checked) {
        textout_put(o, "### End state\n\nExpected: ");
        put_md(o, x->effect);
        textout_put(o, ".\n\n| | Check | Expected | Found |\n| --- | --- | --- | --- |\n");
        for (size_t i = 0; i < v->nchecks; i++) {
            const struct verify_check *c = &v->checks[i];
            textout_putf(o, "| %s | ", c->ok ? "✅" : "⛔");
            put_md(o, c->what);
            textout_put(o, " | ");
            put_md(o, c->expected);
            textout_put(o, " | ");
            put_md(o, c->found);
            textout_put(o, " |\n");
        }
        textout_put(o, "\n");
    }
    if (v->nservers) {
        textout_putf(o,
                     "### Servers at the new production site (%s)\n\n%zu running, %zu stopped."
                     "\n\n| Power | Name | ID | Status |\n| --- | --- | --- | --- |\n",
                     v->station_after, v->nrunning, v->nstopped);
        for (size_t i = 0; i < v->nservers; i++) {
            const struct verify_server *s = &v->servers[i];
            textout_putf(o, "| %s | ", report_exec_power(s->power));
            put_md(o, s->name);
            textout_put(o, " | ");
            put_code(o, s->id, true);
            textout_put(o, " | ");
            put_md(o, s->status);
            textout_put(o, " |\n");
        }
        textout_put(o, "\n");
    }
    if (x->nnext) {
        textout_put(o, "### Next\n\n");
        for (size_t i = 0; i < x->nnext; i++) {
            textout_put(o, "- ");
            put_md(o, x->next[i]);
            textout_put(o, "\n");
        }
        if (x->next_command[0]) {
            textout_put(o, "- ");
            put_code(o, x->next_command, false);
            textout_put(o, "\n");
        }
        textout_put(o, "\n");
    }
    textout_put(o, "### Readiness for ");
    put_md(o, r->action);
    textout_put(o, "\n\n");
}

static void put_row_text(struct textout *o, const char *label, const char *value)
{
    textout_putf(o, "| %s | ", label);
    if (value && *value)
        put_md(o, value);
    else
        textout_put(o, "unknown");
    textout_put(o, " |\n");
}

static void put_row_code(struct textout *o, const char *label, const char *value, const char *none)
{
    textout_putf(o, "| %s | ", label);
    if (value && *value)
        put_code(o, value, true);
    else
        textout_put(o, none);
    textout_put(o, " |\n");
}

static void put_row_count(struct textout *o, const char *label, long long n)
{
    if (n >= 0)
        textout_putf(o, "| %s | %lld |\n", label, n);
    else
        textout_putf(o, "| %s | unknown |\n", label);
}

static void put_target(struct textout *o, const struct report *r)
{
    textout_put(o, "| Target | |\n| --- | --- |\n");
    put_row_code(o, "Group", r->group_name, "unknown");
    put_row_code(o, "ID", r->group_id, "unknown");
    put_row_code(o, "Project", r->project_id, "unknown");
    put_row_text(o, "Status", r->group_status);
    put_row_text(o, "Priority station", r->priority_station);
    put_row_count(o, "Instances", r->ninstances);
    put_row_count(o, "Replication pairs", r->npairs);
    put_row_text(o, "Data fetched at", r->fetched_at);
    textout_put(o, "\n");
}

static void put_errors(struct textout *o, const struct report *r, struct md_cut *cut)
{
    if (r->errors.n == 0)
        return;
    textout_put(o, "### Could not decide\n\n");
    for (size_t i = 0; i < r->errors.n; i++) {
        const struct problem *p = &r->errors.items[i];

        if (i == MD_PROBLEMS) {
            cut->problems = r->errors.n - MD_PROBLEMS;
            textout_putf(o, "- and %zu more\n", cut->problems);
            break;
        }
        textout_put(o, "- **");
        put_md(o, p->kind);
        textout_put(o, "**");
        if (p->where && *p->where) {
            textout_put(o, " ");
            put_code(o, p->where, false);
        }
        textout_put(o, ": ");
        put_md(o, p->message);
        textout_put(o, "\n");
    }
    textout_put(o, "\n");
}

static void put_notes(struct textout *o, const struct report *r)
{
    if (report_count_findings(r, LEVEL_INFO) == 0)
        return;
    textout_put(o, "### Notes\n\n");
    for (size_t i = 0; i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];

        if (res->result == RESULT_WAIVED || !has_level(res, LEVEL_INFO))
            continue;
        textout_put(o, "**");
        put_md(o, res->meta.id);
        textout_put(o, "** ");
        put_md(o, res->meta.title);
        textout_put(o, "\n\n");
        put_folded(o, res, r->groups[i], r->ngroups[i], LEVEL_INFO);
    }
}

/* The tables rules filled (ctx:row), e.g. SDRS-012's credential plan: one Markdown table each, a
 * row per distinct combination, with the resources it applies to. */
static void put_tables(struct textout *o, const struct report *r)
{
    for (size_t i = 0; i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];
        if (res->result == RESULT_ERROR || res->result == RESULT_SKIPPED)
            continue;
        for (size_t t = 0; t < res->ntables; t++) {
            const struct rule_table *tb = &res->tables[t];
            textout_put(o, "### ");
            put_md(o, tb->title);
            textout_put(o, " (");
            put_md(o, res->meta.id);
            textout_put(o, ")\n\n|");
            for (size_t c = 0; c < tb->ncolumns; c++) {
                textout_put(o, " ");
                put_md(o, tb->columns[c]);
                textout_put(o, " |");
            }
            textout_put(o, " Applies to |\n|");
            for (size_t c = 0; c <= tb->ncolumns; c++)
                textout_put(o, " --- |");
            textout_put(o, "\n");
            for (size_t k = 0; k < tb->nrows; k++) {
                const struct table_row *row = &tb->rows[k];
                const char **ids = calloc(row->nrefs ? row->nrefs : 1, sizeof *ids);
                struct short_ids s = {0, false};
                textout_put(o, "|");
                for (size_t c = 0; c < tb->ncolumns; c++) {
                    textout_put(o, " ");
                    put_md(o, row->values[c]);
                    textout_put(o, " |");
                }
                textout_putf(o, " %zu: ", row->nrefs);
                if (ids) {
                    for (size_t n = 0; n < row->nrefs; n++)
                        ids[n] = report_resource_id(row->refs[n].resource);
                    s = report_short_ids(ids, row->nrefs, 8);
                }
                for (size_t n = 0; n < row->nrefs && n < MD_NAMES; n++) {
                    char id[120];
                    report_short_id(report_resource_id(row->refs[n].resource), s, id, sizeof id);
                    textout_put(o, n ? ", " : "");
                    if (row->refs[n].label) {
                        put_md(o, row->refs[n].label);
                        textout_put(o, " ");
                    }
                    put_code(o, id, true);
                }
                if (row->nrefs > MD_NAMES)
                    textout_putf(o, " and %zu more", row->nrefs - MD_NAMES);
                textout_put(o, " |\n");
                free(ids);
            }
            textout_put(o, "\n");
        }
    }
}

/* Expired waivers for this group: they block until renewed or removed. Returns how many. */
static size_t put_expired_waivers(struct textout *o, const struct report *r)
{
    if (r->expired_waivers == 0)
        return 0;
    textout_put(o, "#### Expired waivers\n\nRenew or remove them:\n\n");
    for (size_t i = 0; i < r->nwaivers; i++) {
        const struct report_waiver *w = &r->waivers[i];

        if (w->state != WAIVER_EXPIRED || !w->for_group)
            continue;
        textout_put(o, "- **");
        put_md(o, w->rule);
        textout_put(o, "** ");
        put_md(o, w->reason);
        textout_put(o, " (approved by ");
        put_md(o, w->approved_by);
        textout_put(o, ", expired ");
        put_md(o, w->expires);
        if (w->ticket) {
            textout_put(o, ", ");
            put_md(o, w->ticket);
        }
        textout_putf(o, "): %zu result%s\n", w->results, plural(w->results));
    }
    textout_put(o, "\n");
    return r->expired_waivers;
}

/* Waived results, their reason and what the waiver hides; nothing when no rule was waived. */
static void put_waivers(struct textout *o, const struct report *r)
{
    if (r->counts[RESULT_WAIVED] == 0)
        return;
    textout_put(o, "### Waivers applied\n\n");
    for (size_t i = 0; i < r->nresults; i++) {
        const struct rule_result *res = &r->results[i];

        if (res->result != RESULT_WAIVED)
            continue;
        textout_put(o, "- **");
        put_md(o, res->meta.id);
        textout_put(o, "** ");
        put_md(o, res->meta.title);
        textout_putf(o, " (%s): ", severity_name(res->meta.severity));
        if (res->waiver)
            put_md(o, res->waiver);
        else
            textout_put(o, "no reason given");
        textout_put(o, "\n");
        for (size_t k = 0; k < res->nfindings; k++) {
            textout_putf(o, "  - %s: ", level_name(res->findings[k].level));
            put_md(o, res->findings[k].message);
            textout_put(o, "\n");
        }
    }
    textout_put(o, "\n");
}

static void put_inputs(struct textout *o, const struct report *r)
{
    textout_put(o, "### Inputs\n\n| Input | Value |\n| --- | --- |\n");
    put_row_code(o, "Snapshot SHA-256", r->snapshot_sha256, "none");
    put_row_code(o, "Rules SHA-256", r->rules_sha256, "none");
    put_row_code(o, "Facts SHA-256", r->facts_sha256, "none");
    put_row_code(o, "Waivers SHA-256", r->waivers_sha256, "none");
    put_row_text(o, "Data fetched at", r->fetched_at);
    put_row_text(o, "Report generated at", r->generated_at);
    textout_putf(o, "| Fail on | %s |\n", r->fail_on_warning ? "warning" : "blocker");
    textout_putf(o, "| Tool | %s %s |\n", SDRS_NAME, SDRS_VERSION);
}

/* The line that says what was shortened, and where everything is. */
static void put_cut_note(struct textout *o, const struct md_cut *cut)
{
    if (!cut->compact && !cut->omitted && !cut->problems)
        return;
    textout_put(o, "**Shortened to fit a comment:**");
    if (cut->compact)
        textout_putf(o, " %zu blocking finding%s shown without evidence;", cut->compact,
                     plural(cut->compact));
    if (cut->omitted)
        textout_putf(o, " %zu blocking finding%s not listed;", cut->omitted, plural(cut->omitted));
    if (cut->problems)
        textout_putf(o, " %zu problem%s not listed;", cut->problems, plural(cut->problems));
    textout_put(o, " the JSON report (`--format json`) has every finding with its evidence.\n\n");
}

/* Whatever happened above, the document stays within MD_LIMIT: cut at a line and say so. */
static void enforce_limit(struct buf *b, size_t start)
{
    static const char note[] =
        "\n**Shortened to fit a comment:** the report was cut here; the JSON report (`--format "
        "json`) has everything.\n";
    size_t keep;

    if (b->len - start <= MD_LIMIT)
        return;
    keep = start + MD_LIMIT - (sizeof note - 1);
    while (keep > start && b->data[keep - 1] != '\n')
        keep--;
    b->len = keep;
    b->data[keep] = '\0';
    buf_adds(b, note);
}

int report_render_markdown(const struct report *r, const struct render_opts *opts, struct buf *b)
{
    struct textout o = {.b = b};
    struct md_cut cut = {0};
    size_t start = b->len;
    char counts[400];
    size_t blocking;

    (void)opts;
    if (r->execution)
        put_execution(&o, r);
    put_title(&o, r);
    put_target(&o, r);
    textout_put(&o, "### What blocks\n\n");
    blocking = put_rules_at(&o, r, LEVEL_FAIL, &cut) + put_expired_waivers(&o, r);
    if (blocking == 0)
        textout_put(&o, r->verdict == VERDICT_NOGO
                            ? "No rule fails; the warnings below block because of "
                              "`--fail-on warning`.\n\n"
                            : "Nothing: no rule reports a blocking finding.\n\n");
    put_errors(&o, r, &cut);
    if (report_count_findings(r, LEVEL_WARN) > 0) {
        textout_put(&o, "### Warnings\n\n");
        put_rules_at(&o, r, LEVEL_WARN, &cut);
    }
    put_notes(&o, r);
    put_tables(&o, r);
    put_waivers(&o, r);
    report_counts_line(r, counts, sizeof counts);
    textout_putf(&o, "**Results:** %s.\n\n", counts);
    put_cut_note(&o, &cut);
    put_inputs(&o, r);
    if (!o.rc)
        enforce_limit(b, start);
    return o.rc;
}
