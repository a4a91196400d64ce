#include "waivers.h"

#include "buf.h"
#include "jsonutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIVERS_MAX_BYTES (16u << 20)
#define WAIVERS_MAX       10000

const char *waiver_state_name(enum waiver_state s)
{
    switch (s) {
    case WAIVER_APPLIED:
        return "applied";
    case WAIVER_EXPIRED:
        return "expired";
    case WAIVER_UNUSED:
        break;
    }
    return "unused";
}

void waivers_free(struct waivers *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        struct waiver *x = &w->items[i];
        free(x->rule);
        free(x->group);
        free(x->reason);
        free(x->approved_by);
        free(x->expires);
        free(x->ticket);
    }
    free(w->items);
    free(w);
}

/* A required non-blank string member; sets *out (owned) or reports the problem. */
static int take_string(struct json_object *o, const char *key, bool required, const char *label,
                       size_t i, char **out, struct err *e)
{
    struct json_object *v;
    const char *s;

    *out = NULL;
    if (!jsonutil_get(o, key, &v) || v == NULL) {
        if (!required)
            return 0;
        return err_set(e, ERR_PARSE, "%s: $.waivers[%zu].%s is required", label, i, key);
    }
    if (!json_object_is_type(v, json_type_string))
        return err_set(e, ERR_PARSE, "%s: $.waivers[%zu].%s: expected a string, got %s", label, i,
                       key, jsonutil_type(v));
    s = json_object_get_string(v);
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return err_set(e, ERR_PARSE, "%s: $.waivers[%zu].%s must not be empty", label, i, key);
    *out = util_strdup(json_object_get_string(v));
    return *out ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

static int parse_one(struct json_object *o, const char *label, size_t i, struct waiver *w,
                     struct err *e)
{
    static const char *const known[] = {"rule",    "group",  "reason",  "approved_by",
                                        "expires", "ticket", "comment", NULL};
    long long day;
    int rc;

    if (!json_object_is_type(o, json_type_object))
        return err_set(e, ERR_PARSE, "%s: $.waivers[%zu]: expected an object, got %s", label, i,
                       jsonutil_type(o));
    json_object_object_foreach(o, key, val)
    {
        const char *const *k;
        (void)val;
        for (k = known; *k && strcmp(*k, key) != 0; k++)
            ;
        if (!*k)
            return err_set(e, ERR_PARSE,
                           "%s: $.waivers[%zu].%.60s: unknown key (expected rule, group, reason, "
                           "approved_by, expires, ticket, comment)",
                           label, i, key);
    }
    if ((rc = take_string(o, "rule", true, label, i, &w->rule, e)) ||
        (rc = take_string(o, "group", true, label, i, &w->group, e)) ||
        (rc = take_string(o, "reason", true, label, i, &w->reason, e)) ||
        (rc = take_string(o, "approved_by", true, label, i, &w->approved_by, e)) ||
        (rc = take_string(o, "expires", true, label, i, &w->expires, e)) ||
        (rc = take_string(o, "ticket", false, label, i, &w->ticket, e)))
        return rc;
    if (strlen(w->expires) != 10 || !util_parse_time(w->expires, &day))
        return err_set(e, ERR_PARSE, "%s: $.waivers[%zu].expires: '%s' is not a date YYYY-MM-DD",
                       label, i, w->expires);
    w->expires_end = day + 86400;
    if (strcmp(w->rule, "*") == 0)
        return err_set(e, ERR_PARSE, "%s: $.waivers[%zu].rule: a waiver names one rule, not '*'",
                       label, i);
    return 0;
}

int waivers_load_buffer(const char *data, size_t len, const char *label, struct waivers **out,
                        struct err *e)
{
    struct json_object *root = NULL, *list = NULL;
    struct waivers *w = NULL;
    size_t n;
    int rc;

    *out = NULL;
    rc = jsonutil_parse(data, len, label, JSONUTIL_DEFAULT_DEPTH, &root, e);
    if (rc)
        return rc;
    if (!json_object_is_type(root, json_type_object) || !jsonutil_get(root, "waivers", &list) ||
        !json_object_is_type(list, json_type_array)) {
        rc = err_set(e, ERR_PARSE, "%s: expected {\"waivers\": [ … ]}", label);
        goto out;
    }
    json_object_object_foreach(root, key, val)
    {
        (void)val;
        if (strcmp(key, "waivers") && strcmp(key, "comment")) {
            rc = err_set(e, ERR_PARSE, "%s: $.%.60s: unknown key (expected waivers, comment)",
                         label, key);
            goto out;
        }
    }
    n = json_object_array_length(list);
    if (n > WAIVERS_MAX) {
        rc = err_set(e, ERR_LIMIT, "%s: more than %d waivers", label, WAIVERS_MAX);
        goto out;
    }
    w = calloc(1, sizeof *w);
    if (!w || (n && !(w->items = calloc(n, sizeof *w->items)))) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    w->n = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = parse_one(json_object_array_get_idx(list, i), label, i, &w->items[i], e)) != 0)
            goto out;
    util_sha256_hex(data, len, w->sha256);
    *out = w;
    w = NULL;
out:
    waivers_free(w);
    json_object_put(root);
    return rc;
}

int waivers_load_file(const char *path, struct waivers **out, struct err *e)
{
    struct buf b, label;
    int rc;

    *out = NULL;
    buf_init(&b, 0);
    buf_init(&label, 0);
    rc = util_read_file(path, WAIVERS_MAX_BYTES, &b, e);
    if (rc)
        err_prefix(e, rc, "waivers");
    else if ((rc = buf_printf(&label, "waivers '%s'", util_path_label(path))) != 0)
        err_set(e, rc, "out of memory");
    else
        rc = waivers_load_buffer(buf_str(&b), b.len, label.data, out, e);
    buf_free(&b);
    buf_free(&label);
    return rc;
}

/* A waiver's group: "*", or the group's id in either of its forms. */
static bool group_matches(const char *pattern, const char *group)
{
    return strcmp(pattern, "*") == 0 || (group && util_same_id(pattern, group));
}

int waivers_apply(const struct waivers *w, const char *group_id, long long now,
                  struct rule_result *results, size_t n, struct waiver_use *uses)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct waiver *x = &w->items[i];
        bool expired = now >= x->expires_end;

        uses[i] = (struct waiver_use){x, expired ? WAIVER_EXPIRED : WAIVER_UNUSED, false, 0};
        if (!group_matches(x->group, group_id))
            continue;
        uses[i].for_group = true;
        for (size_t k = 0; k < n; k++) {
            struct rule_result *r = &results[k];
            struct buf text;

            if (strcmp(r->meta.id, x->rule) != 0 ||
                (r->result != RESULT_FAIL && r->result != RESULT_WARN))
                continue;
            uses[i].results++;
            if (expired)
                continue;
            buf_init(&text, 0);
            if (buf_printf(&text, "%s (approved by %s, expires %s%s%s)", x->reason, x->approved_by,
                           x->expires, x->ticket ? ", " : "", x->ticket ? x->ticket : "")) {
                buf_free(&text);
                return ERR_NOMEM;
            }
            free(r->waiver);
            r->waiver = buf_take(&text);
            r->result = RESULT_WAIVED;
            uses[i].state = WAIVER_APPLIED;
        }
    }
    return 0;
}
