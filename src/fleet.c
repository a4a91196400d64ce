#include "fleet.h"

#include "jsonutil.h"
#include "version.h"

#include <stdlib.h>
#include <string.h>

struct report *fleet_add(struct fleet *f, const char *name)
{
    struct fleet_entry *e;

    if (f->n == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 16;
        struct fleet_entry *ni = realloc(f->items, ncap * sizeof *ni);
        if (!ni)
            return NULL;
        f->items = ni;
        f->cap = ncap;
    }
    e = &f->items[f->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = util_strdup(name)))
        return NULL;
    f->n++;
    return &e->rep;
}

int fleet_unevaluated(struct report *rep, const char *action, const char *group_id,
                      const char *kind, const char *message, long long now)
{
    memset(rep, 0, sizeof *rep);
    util_format_time(now, rep->generated_at, sizeof rep->generated_at);
    rep->action = util_strdup(action);
    rep->group_id = group_id ? util_strdup(group_id) : NULL;
    rep->verdict = VERDICT_INDETERMINATE;
    rep->exit_code = EXIT_INDETERMINATE;
    rep->ninstances = rep->npairs = rep->ndrills = -1;
    if (!rep->action || (group_id && !rep->group_id) ||
        problem_add(&rep->errors, kind, group_id ? group_id : "", "%s", message))
        return ERR_NOMEM;
    return 0;
}

void fleet_clear(struct fleet *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].name);
        report_clear(&f->items[i].rep);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

int fleet_exit_code(const struct fleet *f)
{
    int worst = f->n ? EXIT_GO : EXIT_INDETERMINATE;

    for (size_t i = 0; i < f->n; i++) {
        int c = f->items[i].rep.exit_code;
        if (c == EXIT_INDETERMINATE || (c == EXIT_NOGO && worst == EXIT_GO))
            worst = c;
    }
    return worst;
}

static int rank(enum verdict v)
{
    return v == VERDICT_INDETERMINATE ? 0 : v == VERDICT_NOGO ? 1 : 2;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct fleet_entry *x = *(const struct fleet_entry *const *)a;
    const struct fleet_entry *y = *(const struct fleet_entry *const *)b;

    if (rank(x->rep.verdict) != rank(y->rep.verdict))
        return rank(x->rep.verdict) - rank(y->rep.verdict);
    return strcmp(x->name, y->name);
}

/* Why one entry is not GO, in a few words. */
static void reason(const struct report *r, struct buf *out)
{
    size_t shown = 0;

    if (r->verdict == VERDICT_INDETERMINATE && r->errors.n) {
        const struct problem *p = &r->errors.items[0];
        buf_printf(out, ": %s%s%s: %.160s%s", p->kind, *p->where ? " " : "", p->where, p->message,
                   r->errors.n > 1 ? " (and more)" : "");
        return;
    }
    for (size_t i = 0; i < r->nresults && shown < 6; i++)
        if (r->results[i].result == RESULT_FAIL ||
            (r->fail_on_warning && r->results[i].result == RESULT_WARN))
            buf_printf(out, "%s%s", shown++ ? ", " : ": ", r->results[i].meta.id);
}

/* The rule whose warning means a group has no recent DR drill to show its DR site can start. */
#define DRILL_EVIDENCE_RULE "SDRS-017"

/* Whether r's drill-evidence rule warned: no drill, or none recent enough. */
static bool without_drill_evidence(const struct report *r)
{
    for (size_t i = 0; i < r->nresults; i++)
        if (strcmp(r->results[i].meta.id, DRILL_EVIDENCE_RULE) == 0)
            return r->results[i].result == RESULT_WARN;
    return false;
}

/* One line naming the groups without recent drill evidence (the first ten), or nothing. */
static int drill_evidence_line(const struct fleet *f, struct buf *out)
{
    struct buf line;
    size_t n = 0;
    int rc;

    buf_init(&line, 0);
    for (size_t i = 0; i < f->n; i++) {
        const struct report *r = &f->items[i].rep;

        if (!without_drill_evidence(r))
            continue;
        if (n < 10)
            buf_printf(&line, "%s%s", n ? ", " : "",
                       r->group_name ? r->group_name
                       : r->group_id ? r->group_id
                                     : f->items[i].name);
        n++;
    }
    if (n == 0) {
        buf_free(&line);
        return 0;
    }
    if (n > 10)
        buf_printf(&line, " and %zu more", n - 10);
    rc =
        buf_printf(out, "without recent DR drill evidence (%s): %zu group%s: ", DRILL_EVIDENCE_RULE,
                   n, n == 1 ? "" : "s");
    if (!rc)
        rc = util_put_clean(out, buf_str(&line), line.len);
    if (!rc)
        rc = buf_adds(out, "\n");
    buf_free(&line);
    return rc;
}

int fleet_render_text(const struct fleet *f, const struct render_opts *o, struct buf *out)
{
    const struct fleet_entry **order = calloc(f->n ? f->n : 1, sizeof *order);
    size_t count[3] = {0};
    int rc = 0;

    if (!order)
        return ERR_NOMEM;
    for (size_t i = 0; i < f->n; i++) {
        order[i] = &f->items[i];
        count[rank(f->items[i].rep.verdict)]++;
    }
    qsort(order, f->n, sizeof *order, cmp_entry);
    buf_printf(out,
               "%s preflight of %zu protection group%s: %zu GO, %zu NO-GO, %zu INDETERMINATE\n",
               f->action, f->n, f->n == 1 ? "" : "s", count[2], count[1], count[0]);
    for (size_t i = 0; i < f->n; i++) {
        const struct report *r = &order[i]->rep;
        const char *v = verdict_name(r->verdict);
        struct buf why;

        buf_init(&why, 0);
        if (r->verdict != VERDICT_GO)
            reason(r, &why);
        if (o && o->color)
            buf_adds(out, r->verdict == VERDICT_GO     ? "\033[1;32m"
                          : r->verdict == VERDICT_NOGO ? "\033[1;31m"
                                                       : "\033[1;35m");
        buf_printf(out, "  %-13s", v);
        if (o && o->color)
            buf_adds(out, "\033[0m");
        {
            /* names, statuses and messages come from the API and the rules: plain text only */
            struct buf line;
            buf_init(&line, 0);
            if (!r->group_id || strcmp(order[i]->name, r->group_id) != 0) {
                const char *base = strrchr(order[i]->name, '/');
                buf_printf(&line, " %s:", base ? base + 1 : order[i]->name);
            }
            if (r->group_name)
                buf_printf(&line, " %s (%s)", r->group_name, r->group_id ? r->group_id : "?");
            else if (r->group_id)
                buf_printf(&line, " %s", r->group_id);
            buf_printf(&line, "  status %s%s", r->group_status ? r->group_status : "unknown",
                       buf_str(&why));
            if (util_put_clean(out, buf_str(&line), line.len) || buf_adds(out, "\n"))
                rc = ERR_NOMEM;
            buf_free(&line);
        }
        buf_free(&why);
    }
    if (!rc)
        rc = drill_evidence_line(f, out);
    if (o && o->verbose > 0)
        for (size_t i = 0; !rc && i < f->n; i++) {
            if (order[i]->rep.verdict == VERDICT_GO)
                continue;
            buf_adds(out, "\n");
            rc = report_render_text(&order[i]->rep, o, out);
        }
    free(order);
    return rc ? rc : buf_printf(out, "exit code %d\n", fleet_exit_code(f));
}

int fleet_render_json(const struct fleet *f, const struct render_opts *opts, struct buf *out)
{
    struct json_object *root = json_object_new_object(), *reports = json_object_new_array();
    struct json_object *summary = json_object_new_object(), *tool = json_object_new_object();
    size_t count[3] = {0};
    int rc = 0;

    (void)opts;
    if (!root || !reports || !summary || !tool) {
        json_object_put(root);
        json_object_put(reports);
        json_object_put(summary);
        json_object_put(tool);
        return ERR_NOMEM;
    }
    json_object_object_add(root, "schema", json_object_new_string(FLEET_SCHEMA));
    json_object_object_add(tool, "name", json_object_new_string(SDRS_NAME));
    json_object_object_add(tool, "version", json_object_new_string(SDRS_VERSION));
    json_object_object_add(root, "tool", tool);
    json_object_object_add(root, "generated_at", json_object_new_string(f->generated_at));
    json_object_object_add(root, "action", json_object_new_string(f->action));
    json_object_object_add(root, "reports", reports);
    json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_GLOBAL);
    for (size_t i = 0; !rc && i < f->n; i++) {
        struct json_object *o = report_json_tree(&f->items[i].rep);

        count[rank(f->items[i].rep.verdict)]++;
        if (!o || json_object_array_add(reports, o)) {
            json_object_put(o);
            rc = ERR_NOMEM;
        }
    }
    json_object_object_add(summary, "groups", json_object_new_int64((long long)f->n));
    json_object_object_add(summary, "GO", json_object_new_int64((long long)count[2]));
    json_object_object_add(summary, "NO-GO", json_object_new_int64((long long)count[1]));
    json_object_object_add(summary, "INDETERMINATE", json_object_new_int64((long long)count[0]));
    json_object_object_add(summary, "exit_code", json_object_new_int(fleet_exit_code(f)));
    {
        struct json_object *ids = json_object_new_array();

        for (size_t i = 0; ids && i < f->n; i++) {
            const struct report *r = &f->items[i].rep;

            if (without_drill_evidence(r) &&
                json_object_array_add(
                    ids, json_object_new_string(r->group_id ? r->group_id : f->items[i].name)))
                rc = ERR_NOMEM;
        }
        if (!ids) {
            rc = ERR_NOMEM;
        } else if (json_object_object_add(summary, "without_drill_evidence", ids)) {
            json_object_put(ids);
            rc = ERR_NOMEM;
        }
    }
    json_object_object_add(root, "summary", summary);
    if (!rc)
        rc = jsonutil_print(root, out);
    json_object_put(root);
    return rc;
}
