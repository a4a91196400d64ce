/* --format json: the report@1 object. Key order is fixed, so equal reports are equal bytes. */
#include "report.h"
#include "report_exec.h"
#include "report_group.h"

#include "jsonutil.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

/* Adds a string member, or null when s is NULL or empty and empty_is_null is set. */
static int add_str(struct json_object *o, const char *key, const char *s, bool empty_is_null)
{
    struct json_object *v = NULL;

    if (s && !(empty_is_null && !*s)) {
        v = json_object_new_string(s);
        if (!v)
            return ERR_NOMEM;
    }
    return json_object_object_add(o, key, v) ? ERR_NOMEM : 0;
}

static int add(struct json_object *o, const char *key, struct json_object *v)
{
    if (!v)
        return ERR_NOMEM;
    if (json_object_object_add(o, key, v)) {
        json_object_put(v);
        return ERR_NOMEM;
    }
    return 0;
}

static struct json_object *evidence_value(const struct evidence *ev)
{
    switch (ev->type) {
    case EV_STRING:
        return json_object_new_string(ev->s);
    case EV_INT:
        return json_object_new_int64(ev->i);
    case EV_NUMBER:
        return json_object_new_double(ev->d);
    case EV_BOOL:
        break;
    }
    return json_object_new_boolean(ev->b);
}

static struct json_object *finding_json(const struct finding *f)
{
    struct json_object *o = json_object_new_object(), *ev = json_object_new_object();
    int rc = 0;

    if (!o || !ev) {
        json_object_put(o);
        json_object_put(ev);
        return NULL;
    }
    for (size_t i = 0; !rc && i < f->nev; i++)
        rc = add(ev, f->ev[i].key, evidence_value(&f->ev[i]));
    rc = rc ? rc : add_str(o, "level", level_name(f->level), false);
    rc = rc ? rc : add_str(o, "message", f->message, false);
    rc = rc ? rc : add_str(o, "resource", f->resource, false);
    if (rc || add(o, "evidence", ev)) {
        if (rc)
            json_object_put(ev);
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* The rule's tables (ctx:row): columns, and per row its values and the resources it applies to. */
static struct json_object *tables_json(const struct rule_result *res)
{
    struct json_object *arr = json_object_new_array();
    int rc = arr ? 0 : ERR_NOMEM;

    for (size_t t = 0; !rc && t < res->ntables; t++) {
        const struct rule_table *tb = &res->tables[t];
        struct json_object *o = json_object_new_object(), *cols = NULL, *rows = NULL;
        if (!o || json_object_array_add(arr, o)) {
            json_object_put(o);
            rc = ERR_NOMEM;
            break;
        }
        rc = add_str(o, "name", tb->name, false);
        rc = rc ? rc : add_str(o, "title", tb->title, false);
        rc = rc ? rc : add(o, "columns", cols = json_object_new_array());
        for (size_t c = 0; !rc && c < tb->ncolumns; c++)
            rc =
                json_object_array_add(cols, json_object_new_string(tb->columns[c])) ? ERR_NOMEM : 0;
        rc = rc ? rc : add(o, "rows", rows = json_object_new_array());
        for (size_t r = 0; !rc && r < tb->nrows; r++) {
            const struct table_row *row = &tb->rows[r];
            struct json_object *ro = json_object_new_object(), *vals = NULL, *refs = NULL;
            if (!ro || json_object_array_add(rows, ro)) {
                json_object_put(ro);
                rc = ERR_NOMEM;
                break;
            }
            rc = add(ro, "values", vals = json_object_new_array());
            for (size_t c = 0; !rc && c < tb->ncolumns; c++)
                rc = json_object_array_add(vals, json_object_new_string(row->values[c])) ? ERR_NOMEM
                                                                                         : 0;
            rc = rc ? rc : add(ro, "resources", refs = json_object_new_array());
            for (size_t k = 0; !rc && k < row->nrefs; k++) {
                struct json_object *ref = json_object_new_object();
                if (!ref || json_object_array_add(refs, ref)) {
                    json_object_put(ref);
                    rc = ERR_NOMEM;
                    break;
                }
                rc = add_str(ref, "resource", row->refs[k].resource, false);
                rc = rc ? rc : add_str(ref, "label", row->refs[k].label, false);
            }
        }
    }
    if (rc) {
        json_object_put(arr);
        return NULL;
    }
    return arr;
}

/* The findings folded as the text and Markdown reports fold them: indices into "findings". */
static struct json_object *groups_json(const struct finding_group *g, size_t ng)
{
    struct json_object *arr = json_object_new_array();
    int rc = arr ? 0 : ERR_NOMEM;

    for (size_t i = 0; !rc && i < ng; i++) {
        struct json_object *o = json_object_new_object(), *idx = NULL;
        if (!o || json_object_array_add(arr, o)) {
            json_object_put(o);
            rc = ERR_NOMEM;
            break;
        }
        rc = add_str(o, "level", level_name(g[i].level), false);
        rc = rc ? rc : add(o, "count", json_object_new_int64((long long)g[i].n));
        rc = rc ? rc : add_str(o, "template", g[i].template_text, false);
        rc = rc ? rc : add(o, "findings", idx = json_object_new_array());
        for (size_t k = 0; !rc && k < g[i].n; k++)
            rc = json_object_array_add(idx, json_object_new_int64((long long)g[i].members[k]))
                     ? ERR_NOMEM
                     : 0;
    }
    if (rc) {
        json_object_put(arr);
        return NULL;
    }
    return arr;
}

static struct json_object *result_json(const struct rule_result *res, const struct finding_group *g,
                                       size_t ng)
{
    struct json_object *o = json_object_new_object(), *findings = json_object_new_array();
    int rc = 0;

    if (!o || !findings) {
        json_object_put(o);
        json_object_put(findings);
        return NULL;
    }
    for (size_t i = 0; !rc && i < res->nfindings; i++) {
        struct json_object *f = finding_json(&res->findings[i]);
        if (!f || json_object_array_add(findings, f)) {
            json_object_put(f);
            rc = ERR_NOMEM;
        }
    }
    rc = rc ? rc : add_str(o, "id", res->meta.id, false);
    rc = rc ? rc : add_str(o, "title", res->meta.title, false);
    rc = rc ? rc : add_str(o, "severity", severity_name(res->meta.severity), false);
    rc = rc ? rc : add_str(o, "result", result_name(res->result), false);
    rc = rc ? rc : add_str(o, "source", res->meta.source, false);
    if (rc || add(o, "findings", findings)) {
        if (rc)
            json_object_put(findings);
        json_object_put(o);
        return NULL;
    }
    rc = add(o, "groups", groups_json(g, ng));
    rc = rc ? rc : add(o, "tables", tables_json(res));
    rc = rc ? rc : add_str(o, "remediation", res->meta.remediation, false);
    rc = rc ? rc : add_str(o, "docs", res->meta.docs, false);
    rc = rc ? rc : add_str(o, "skip_reason", res->skip_reason, false);
    rc = rc ? rc : add_str(o, "error", res->error, false);
    if (!rc) {
        struct json_object *w = NULL;
        if (res->waiver && !(w = json_object_new_object()))
            rc = ERR_NOMEM;
        else if (w)
            rc = add_str(w, "reason", res->waiver, false);
        if (!rc && json_object_object_add(o, "waiver", w))
            rc = ERR_NOMEM;
    }
    if (rc) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

struct json_object *report_json_tree(const struct report *r)
{
    struct json_object *o = json_object_new_object();
    struct json_object *tool = NULL, *target = NULL, *summary = NULL, *inputs = NULL;
    struct json_object *results = NULL, *errors = NULL;
    int rc = 0;

    if (!o)
        return NULL;
    rc = add_str(o, "schema", REPORT_SCHEMA, false);
    if (!rc && !(rc = add(o, "tool", tool = json_object_new_object()))) {
        rc = add_str(tool, "name", SDRS_NAME, false);
        rc = rc ? rc : add_str(tool, "version", SDRS_VERSION, false);
    }
    rc = rc ? rc : add_str(o, "generated_at", r->generated_at, false);
    rc = rc ? rc : add_str(o, "action", r->action, false);
    if (!rc && !(rc = add(o, "target", target = json_object_new_object()))) {
        rc = add_str(target, "project_id", r->project_id, false);
        rc = rc ? rc : add_str(target, "server_group_id", r->group_id, false);
        rc = rc ? rc : add_str(target, "name", r->group_name, false);
        rc = rc ? rc : add_str(target, "status", r->group_status, false);
        rc = rc ? rc : add_str(target, "priority_station", r->priority_station, false);
    }
    rc = rc ? rc : add_str(o, "verdict", verdict_name(r->verdict), false);
    rc = rc ? rc : add(o, "exit_code", json_object_new_int(r->exit_code));
    /* a post-execution report: what the action did, before the rules of the next action */
    if (!rc && r->execution)
        rc = add(o, "execution", report_exec_json(r->execution));
    if (!rc && !(rc = add(o, "summary", summary = json_object_new_object())))
        for (int k = 0; !rc && k < RESULT_KIND_COUNT; k++)
            rc = add(summary, result_name((enum result_kind)k),
                     json_object_new_int64((long long)r->counts[k]));
    if (!rc && !(rc = add(o, "inputs", inputs = json_object_new_object()))) {
        rc = add_str(inputs, "snapshot_sha256", r->snapshot_sha256, true);
        rc = rc ? rc : add_str(inputs, "rules_sha256", r->rules_sha256, true);
        rc = rc ? rc : add_str(inputs, "waivers_sha256", r->waivers_sha256, true);
        rc = rc ? rc : add_str(inputs, "facts_sha256", r->facts_sha256, true);
        rc = rc ? rc : add_str(inputs, "fetched_at", r->fetched_at, false);
    }
    if (!rc && !(rc = add(o, "results", results = json_object_new_array())))
        for (size_t i = 0; !rc && i < r->nresults; i++) {
            struct json_object *res = result_json(&r->results[i], r->groups ? r->groups[i] : NULL,
                                                  r->ngroups ? r->ngroups[i] : 0);
            if (!res || json_object_array_add(results, res)) {
                json_object_put(res);
                rc = ERR_NOMEM;
            }
        }
    if (!rc && !(rc = add(o, "errors", errors = json_object_new_array())))
        for (size_t i = 0; !rc && i < r->errors.n; i++) {
            const struct problem *p = &r->errors.items[i];
            struct json_object *e = json_object_new_object();
            if (!e || json_object_array_add(errors, e)) {
                json_object_put(e);
                rc = ERR_NOMEM;
                break;
            }
            rc = add_str(e, "kind", p->kind, false);
            rc = rc ? rc : add_str(e, "where", p->where, true);
            rc = rc ? rc : add_str(e, "message", p->message, false);
        }
    if (!rc && !(rc = add(o, "waivers", errors = json_object_new_array())))
        for (size_t i = 0; !rc && i < r->nwaivers; i++) {
            const struct report_waiver *w = &r->waivers[i];
            struct json_object *wo = json_object_new_object();
            if (!wo || json_object_array_add(errors, wo)) {
                json_object_put(wo);
                rc = ERR_NOMEM;
                break;
            }
            rc = add_str(wo, "rule", w->rule, false);
            rc = rc ? rc : add_str(wo, "group", w->group, false);
            rc = rc ? rc : add_str(wo, "reason", w->reason, false);
            rc = rc ? rc : add_str(wo, "approved_by", w->approved_by, false);
            rc = rc ? rc : add_str(wo, "expires", w->expires, false);
            rc = rc ? rc : add_str(wo, "ticket", w->ticket, false);
            rc = rc ? rc : add_str(wo, "state", waiver_state_name(w->state), false);
            rc = rc ? rc : add(wo, "for_group", json_object_new_boolean(w->for_group));
            rc = rc ? rc : add(wo, "results", json_object_new_int64((long long)w->results));
        }
    if (rc) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

int report_render_json(const struct report *r, const struct render_opts *opts, struct buf *out)
{
    struct json_object *o;
    int rc;

    (void)opts;
    json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_GLOBAL);
    o = report_json_tree(r);
    if (!o)
        return ERR_NOMEM;
    rc = jsonutil_print(o, out);
    json_object_put(o);
    return rc;
}

/* Copies a string member found at a JSON Pointer into dst, "" when absent. */
static void copy_at(struct json_object *root, const char *ptr, char *dst, size_t size)
{
    struct json_object *v = NULL;

    dst[0] = '\0';
    if (json_pointer_get(root, ptr, &v) == 0 && json_object_is_type(v, json_type_string))
        snprintf(dst, size, "%s", json_object_get_string(v));
}

int report_read_summary(const char *path, struct report_summary *out, struct err *e)
{
    struct json_object *root = NULL, *results = NULL;
    struct buf b;
    char label[600];
    const char *schema;
    int rc;

    memset(out, 0, sizeof *out);
    buf_init(&b, 0);
    rc = util_read_file(path, 64u << 20, &b, e);
    if (rc) {
        buf_free(&b);
        return err_prefix(e, rc, "approved report");
    }
    util_sha256_hex(buf_str(&b), b.len, out->sha256);
    snprintf(label, sizeof label, "approved report '%s'", util_path_label(path));
    rc = jsonutil_parse(buf_str(&b), b.len, label, JSONUTIL_DEFAULT_DEPTH, &root, e);
    buf_free(&b);
    if (rc)
        return rc;
    schema = jsonutil_get_str(root, "schema");
    if (!schema || strcmp(schema, REPORT_SCHEMA) != 0) {
        json_object_put(root);
        return err_set(e, ERR_PARSE,
                       "%s: not a report (schema is not \"%s\"); write one with "
                       "--format json",
                       label, REPORT_SCHEMA);
    }
    copy_at(root, "/verdict", out->verdict, sizeof out->verdict);
    copy_at(root, "/action", out->action, sizeof out->action);
    copy_at(root, "/target/server_group_id", out->group_id, sizeof out->group_id);
    copy_at(root, "/target/project_id", out->project_id, sizeof out->project_id);
    copy_at(root, "/inputs/rules_sha256", out->rules_sha256, sizeof out->rules_sha256);
    copy_at(root, "/inputs/facts_sha256", out->facts_sha256, sizeof out->facts_sha256);
    copy_at(root, "/inputs/waivers_sha256", out->waivers_sha256, sizeof out->waivers_sha256);
    copy_at(root, "/generated_at", out->generated_at, sizeof out->generated_at);
    out->executed = jsonutil_get(root, "execution", &results) && results != NULL;
    if (jsonutil_get(root, "results", &results) && json_object_is_type(results, json_type_array)) {
        size_t n = json_object_array_length(results);
        if (n > REPORT_SUMMARY_MAX_RULES) {
            json_object_put(root);
            return err_set(e, ERR_PARSE, "%s: more than %d rule results", label,
                           REPORT_SUMMARY_MAX_RULES);
        }
        for (size_t i = 0; i < n; i++) {
            struct json_object *res = json_object_array_get_idx(results, i);
            struct report_summary_rule *sr = &out->rules[out->nrules++];
            snprintf(sr->id, sizeof sr->id, "%s",
                     jsonutil_get_str(res, "id") ? jsonutil_get_str(res, "id") : "");
            snprintf(sr->severity, sizeof sr->severity, "%s",
                     jsonutil_get_str(res, "severity") ? jsonutil_get_str(res, "severity") : "");
            snprintf(sr->result, sizeof sr->result, "%s",
                     jsonutil_get_str(res, "result") ? jsonutil_get_str(res, "result") : "");
        }
    }
    json_object_put(root);
    if (!out->verdict[0] || !out->action[0] || !out->group_id[0])
        return err_set(e, ERR_PARSE, "%s: verdict, action or target.server_group_id is missing",
                       label);
    return 0;
}
