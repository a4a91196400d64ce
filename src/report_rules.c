/* The rule catalogue for people and machines: `rules list` and `rules show`. */
#include "report.h"

#include "jsonutil.h"
#include "textout.h"

#include <string.h>

/* "all", or the actions joined with commas. */
static int put_actions(struct buf *b, const struct rule_meta *m)
{
    if (m->all_actions)
        return buf_adds(b, "all");
    for (size_t k = 0; k < m->nactions; k++)
        if (buf_printf(b, "%s%s", k ? "," : "", m->actions[k]))
            return ERR_NOMEM;
    return 0;
}

/* The width of the widest of the texts width_of(rules[i]) and of head. */
static int column(const struct rule_meta *const *rules, size_t n, const char *head,
                  size_t (*width_of)(const struct rule_meta *m))
{
    size_t w = strlen(head);

    for (size_t i = 0; i < n; i++)
        if (width_of(rules[i]) > w)
            w = width_of(rules[i]);
    return (int)w;
}

static size_t id_width(const struct rule_meta *m)
{
    return strlen(m->id);
}

static size_t source_width(const struct rule_meta *m)
{
    return strlen(m->source);
}

static size_t actions_width(const struct rule_meta *m)
{
    struct buf a;
    size_t n;

    buf_init(&a, 0);
    put_actions(&a, m);
    n = a.len;
    buf_free(&a);
    return n;
}

int rules_render_text(const struct rule_meta *const *rules, size_t n, struct buf *out)
{
    /* columns as wide as their widest entry, so that long action lists or paths stay aligned */
    int wid = column(rules, n, "ID", id_width), wact = column(rules, n, "ACTIONS", actions_width);
    int wsrc = column(rules, n, "SOURCE", source_width);
    struct textout o = {out, false, 0};
    struct buf a;

    buf_init(&a, 0);
    textout_putf(&o, "%-*s  %-8s  %-*s  %-*s  %s\n", wid, "ID", "SEVERITY", wact, "ACTIONS", wsrc,
                 "SOURCE", "TITLE");
    for (size_t i = 0; i < n && !o.rc; i++) {
        const struct rule_meta *m = rules[i];
        buf_reset(&a);
        o.rc = put_actions(&a, m);
        textout_putf(&o, "%-*s  %-8s  %-*s  %-*s  ", wid, m->id, severity_name(m->severity), wact,
                     buf_str(&a), wsrc, m->source);
        textout_put_clean(&o, m->title);
        textout_put(&o, "\n");
    }
    buf_free(&a);
    return o.rc;
}

int rules_render_json(const struct rule_meta *const *rules, size_t n, struct buf *out)
{
    struct json_object *arr = json_object_new_array();
    int rc = arr ? 0 : ERR_NOMEM;

    for (size_t i = 0; !rc && i < n; i++) {
        const struct rule_meta *m = rules[i];
        struct json_object *r = json_object_new_object(), *acts = json_object_new_array();

        if (!r || !acts || json_object_array_add(arr, r)) {
            json_object_put(r);
            json_object_put(acts);
            rc = ERR_NOMEM;
            break;
        }
        if (m->all_actions)
            json_object_array_add(acts, json_object_new_string("all"));
        for (size_t k = 0; k < m->nactions; k++)
            json_object_array_add(acts, json_object_new_string(m->actions[k]));
        if (json_object_object_add(r, "id", json_object_new_string(m->id)) ||
            json_object_object_add(r, "severity",
                                   json_object_new_string(severity_name(m->severity))) ||
            json_object_object_add(r, "actions", acts) ||
            json_object_object_add(r, "title", json_object_new_string(m->title)) ||
            json_object_object_add(r, "source", json_object_new_string(m->source)))
            rc = ERR_NOMEM;
    }
    if (!rc)
        rc = jsonutil_print(arr, out);
    json_object_put(arr);
    return rc;
}

int rules_render_show(const struct rule_meta *m, struct buf *out)
{
    struct textout o = {out, false, 0};
    struct buf a;

    buf_init(&a, 0);
    o.rc = put_actions(&a, m);
    textout_putf(&o, "%s  ", m->id);
    textout_put_clean(&o, m->title);
    textout_putf(&o, "\n\nseverity     %s\nactions      %s\nsource       ",
                 severity_name(m->severity), buf_str(&a));
    textout_put_clean(&o, m->source);
    buf_reset(&a);
    for (size_t k = 0; k < m->nreads && !o.rc; k++)
        o.rc = buf_printf(&a, "%s%s", k ? ", " : "", m->reads[k]);
    textout_putf(&o, "\nreads        %s\ndocs         ",
                 m->nreads ? buf_str(&a) : "(not declared)");
    textout_put_clean(&o, m->docs ? m->docs : "(none)");
    textout_put(&o, "\n\nRationale\n  ");
    textout_put_clean(&o, m->rationale ? m->rationale : "(none given)");
    textout_put(&o, "\n\nRemediation\n  ");
    textout_put_clean(&o, m->remediation ? m->remediation : "(none given)");
    textout_put(&o, "\n");
    buf_free(&a);
    return o.rc;
}
