#include "api.h"

#include "apierr.h"
#include "auth.h"
#include "jsonutil.h"
#include "util.h"
#include "vocab.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct api_session {
    struct api_opts o; /* o.cred and o.ep are borrowed */
    struct auth *auth;
    struct requester *rq;
};

bool api_id_valid(const char *id)
{
    return util_url_id(id);
}

/* ---- the session ----------------------------------------------------------------------------- */

int api_session_new(const struct api_opts *o, struct api_session **out, struct err *e)
{
    struct api_session *s;
    int rc;

    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, ERR_NOMEM, "out of memory");
    s->o = *o;
    if (!s->o.page_limit)
        s->o.page_limit = API_DEFAULT_PAGE_LIMIT;
    if (!s->o.max_items)
        s->o.max_items = API_DEFAULT_MAX_ITEMS;
    if (!s->o.max_depth)
        s->o.max_depth = JSONUTIL_DEFAULT_DEPTH;
    if ((rc = auth_new(o->cred, o->clock, &s->auth, e)) != 0 ||
        (rc = request_new(&o->http, auth_sign, s->auth, s->o.max_depth, &s->rq, e)) != 0 ||
        (rc = auth_login(s->auth, s->rq, s->o.ep, o->log, o->log_ud, e)) != 0)
        goto fail;
    if (!s->o.ep->sdrs || !s->o.ep->ecs) {
        rc = err_set(e, ERR_INVALID,
                     "the %s endpoint is unknown: give --%s URL or --region (or set "
                     "OS_REGION_NAME)",
                     !s->o.ep->sdrs ? "SDRS" : "ECS", !s->o.ep->sdrs ? "endpoint" : "ecs-endpoint");
        goto fail;
    }
    if (!s->o.ep->project_id) {
        rc = err_set(e, ERR_INVALID,
                     "the project id is unknown: give --project-id or set OS_PROJECT_ID");
        goto fail;
    }
    if (!api_id_valid(s->o.ep->project_id)) {
        rc = err_set(e, ERR_INVALID,
                     "project id '%.80s' cannot go into a URL: it may hold letters, digits, '-', "
                     "'_' and '.' (1 to 64)",
                     s->o.ep->project_id);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    api_session_free(s);
    return rc;
}

void api_session_free(struct api_session *s)
{
    if (!s)
        return;
    request_free(s->rq);
    auth_free(s->auth);
    free(s);
}

const struct api_opts *api_session_opts(const struct api_session *s)
{
    return &s->o;
}

void api_session_stats(const struct api_session *s, struct http_stats *out)
{
    request_stats(s->rq, out);
}

size_t api_queued(const struct api_session *s)
{
    return request_queued(s->rq);
}

int api_run(struct api_session *s, struct err *e)
{
    return request_run(s->rq, e);
}

struct json_object *api_session_roles(const struct api_session *s)
{
    return auth_roles(s->auth);
}

void api_refused(const struct api_session *s, const struct answer *a, char *out, size_t size)
{
    char who[200];

    auth_describe(s->auth, who, sizeof who);
    snprintf(out, size, "%s was refused with the %s (%s): %s", a->label, who, a->detail,
             auth_what_to_check(s->auth, a->status));
}

/* ---- single objects -------------------------------------------------------------------------- */

/* A typed call in flight. */
struct call {
    api_reply_fn *fn;
    void *ud;
    char id[80];
    enum {
        CALL_GROUP,
        CALL_SERVER,
        CALL_IMAGE,
        CALL_SERVERS,
        CALL_VOLUME,
        CALL_VOLUMES,
        CALL_FLAVORS,
        CALL_CAPACITY
    } what;
};

/* NULL when answer's key is an array of objects that each have a string id, else what is wrong
 * (written to why). */
static const char *list_with_ids(struct json_object *answer, const char *key, const char *what,
                                 char *why, size_t size)
{
    struct json_object *list;

    if (!jsonutil_get(answer, key, &list) || !json_object_is_type(list, json_type_array)) {
        snprintf(why, size, "unexpected response: no \"%s\" array", key);
        return why;
    }
    for (size_t i = 0; i < json_object_array_length(list); i++)
        if (!jsonutil_get_str(json_object_array_get_idx(list, i), "id")) {
            snprintf(why, size, "unexpected response: %s[%zu] is not %s with an id", key, i, what);
            return why;
        }
    return NULL;
}

/* Checks the shape of a JSON answer and picks the object the call asked for. */
static void on_object(void *ud, const struct answer *a)
{
    struct call *c = ud;
    struct api_reply r = {.answer = a};
    struct json_object *o = NULL;
    char why[300];
    const char *id;

    if (a->kind == ANSWER_JSON) {
        switch (c->what) {
        case CALL_GROUP:
            if (!jsonutil_get(a->json, "server_group", &o) ||
                !json_object_is_type(o, json_type_object)) {
                r.problem = "unexpected response: no \"server_group\" object";
            } else if (!(id = jsonutil_get_str(o, "id")) || !util_same_id(id, c->id)) {
                snprintf(why, sizeof why, "the answer is about protection group '%.64s', not '%s'",
                         id ? id : "(no id)", c->id);
                r.problem = why;
            } else {
                r.obj = o;
            }
            break;
        case CALL_SERVER:
            if (!jsonutil_get(a->json, "server", &o) || !json_object_is_type(o, json_type_object)) {
                r.problem = "unexpected response: no \"server\" object";
            } else if ((id = jsonutil_get_str(o, "id")) && !util_same_id(id, c->id)) {
                snprintf(why, sizeof why, "the answer is about server '%.64s', not '%s'", id,
                         c->id);
                r.problem = why;
            } else {
                r.obj = o;
            }
            break;
        case CALL_SERVERS:
            if (!(r.problem = list_with_ids(a->json, "servers", "a server", why, sizeof why)))
                jsonutil_get(a->json, "servers", &r.obj);
            break;
        case CALL_VOLUME:
            if (!jsonutil_get(a->json, "volume", &o) || !json_object_is_type(o, json_type_object)) {
                r.problem = "unexpected response: no \"volume\" object";
            } else if (!(id = jsonutil_get_str(o, "id")) || !util_same_id(id, c->id)) {
                snprintf(why, sizeof why, "the answer is about disk '%.64s', not '%s'",
                         id ? id : "(no id)", c->id);
                r.problem = why;
            } else {
                r.obj = o;
            }
            break;
        case CALL_VOLUMES:
            if (!(r.problem = list_with_ids(a->json, "volumes", "a disk", why, sizeof why)))
                jsonutil_get(a->json, "volumes", &r.obj);
            break;
        case CALL_FLAVORS:
            if (!(r.problem = list_with_ids(a->json, "flavors", "a flavor", why, sizeof why)))
                jsonutil_get(a->json, "flavors", &r.obj);
            break;
        case CALL_CAPACITY: {
            struct json_object *list;

            if (!jsonutil_get(a->json, "resources", &list) ||
                !json_object_is_type(list, json_type_array)) {
                r.problem = "unexpected response: no \"resources\" array";
                break;
            }
            for (size_t i = 0; !r.problem && i < json_object_array_length(list); i++)
                if (!json_object_is_type(json_object_array_get_idx(list, i), json_type_object)) {
                    snprintf(why, sizeof why,
                             "unexpected response: resources[%zu] is not an object", i);
                    r.problem = why;
                }
            if (!r.problem)
                r.obj = list;
            break;
        }
        case CALL_IMAGE: {
            struct json_object *list;

            /* the wrong shape is a failure to look, never an image skipped in silence */
            if ((r.problem = list_with_ids(a->json, "images", "an image", why, sizeof why)))
                break;
            jsonutil_get(a->json, "images", &list);
            for (size_t i = 0; !r.obj && i < json_object_array_length(list); i++) {
                struct json_object *img = json_object_array_get_idx(list, i);
                if (util_same_id(jsonutil_get_str(img, "id"), c->id))
                    r.obj = img;
            }
            break;
        }
        }
    }
    c->fn(c->ud, &r);
    free(c);
}

/* Submits GET url for a typed call (labelled label_in when not NULL). An image lookup goes ahead
 * of the queue: the servers that name it are read already, and it should not trail them. */
static int get_object(struct api_session *s, int what, const char *id, const char *url,
                      const char *label_in, api_reply_fn *fn, void *ud, char *label, size_t lsize,
                      struct err *e)
{
    struct call *c = calloc(1, sizeof *c);
    int rc;

    if (!c)
        return err_set(e, ERR_NOMEM, "out of memory");
    c->fn = fn;
    c->ud = ud;
    c->what = what;
    snprintf(c->id, sizeof c->id, "%s", id);
    rc = request_submit(s->rq,
                        &(struct request){.method = "GET",
                                          .url = url,
                                          .urgent = what == CALL_IMAGE,
                                          .label = label_in,
                                          .done = on_object,
                                          .ud = c},
                        label, lsize, e);
    if (rc)
        free(c);
    return rc;
}

/* Builds "fmt" into a URL and submits it as a typed call. */
static int get_typed(struct api_session *s, int what, const char *id, api_reply_fn *fn, void *ud,
                     char *label, size_t lsize, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static int get_typed(struct api_session *s, int what, const char *id, api_reply_fn *fn, void *ud,
                     char *label, size_t lsize, struct err *e, const char *fmt, ...)
{
    struct buf url;
    va_list ap;
    int rc;

    if (!api_id_valid(id))
        return err_set(e, ERR_INVALID, "'%.80s' cannot go into a URL (unexpected characters)", id);
    buf_init(&url, 0);
    va_start(ap, fmt);
    rc = buf_vprintf(&url, fmt, ap);
    va_end(ap);
    if (rc)
        rc = err_set(e, ERR_NOMEM, "out of memory");
    else
        rc = get_object(s, what, id, url.data, NULL, fn, ud, label, lsize, e);
    buf_free(&url);
    return rc;
}

int api_get_group(struct api_session *s, const char *id, api_reply_fn *fn, void *ud, char *label,
                  size_t lsize, struct err *e)
{
    return get_typed(s, CALL_GROUP, id, fn, ud, label, lsize, e, "%s/v1/%s/server-groups/%s",
                     s->o.ep->sdrs, s->o.ep->project_id, id);
}

int api_get_server(struct api_session *s, const char *id, api_reply_fn *fn, void *ud, char *label,
                   size_t lsize, struct err *e)
{
    return get_typed(s, CALL_SERVER, id, fn, ud, label, lsize, e, "%s/v1/%s/cloudservers/%s",
                     s->o.ep->ecs, s->o.ep->project_id, id);
}

int api_get_image(struct api_session *s, const char *id, api_reply_fn *fn, void *ud, char *label,
                  size_t lsize, struct err *e)
{
    if (!s->o.ep->ims)
        return err_set(e, ERR_INVALID, "no IMS endpoint");
    return get_typed(s, CALL_IMAGE, id, fn, ud, label, lsize, e, "%s/v2/cloudimages?id=%s",
                     s->o.ep->ims, id);
}

int api_get_servers(struct api_session *s, const char *const *ids, size_t n, api_reply_fn *fn,
                    void *ud, char *label, size_t lsize, struct err *e)
{
    struct buf url;
    char lab[384];
    int rc = 0;

    if (n == 0 || n > API_BATCH_MAX)
        return err_set(e, ERR_INVALID, "a batch of %zu servers (1 to %d)", n, API_BATCH_MAX);
    for (size_t i = 0; i < n; i++)
        if (!api_id_valid(ids[i]))
            return err_set(e, ERR_INVALID, "'%.80s' cannot go into a URL (unexpected characters)",
                           ids[i]);
    buf_init(&url, 0);
    rc = buf_printf(&url, "%s/v1/%s/cloudservers/detail?server_id=", s->o.ep->ecs,
                    s->o.ep->project_id);
    for (size_t i = 0; !rc && i < n; i++)
        rc = buf_printf(&url, "%s%s", i ? "," : "", ids[i]);
    if (!rc)
        rc = buf_printf(&url, "&limit=%zu", n);
    if (rc) {
        buf_free(&url);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    /* the label names the batch, not a hundred ids */
    snprintf(lab, sizeof lab, "GET /v1/%s/cloudservers/detail?server_id=%s,...(%zu ids)",
             s->o.ep->project_id, ids[0], n);
    rc = get_object(s, CALL_SERVERS, ids[0], url.data, lab, fn, ud, label, lsize, e);
    buf_free(&url);
    return rc;
}

int api_get_volume(struct api_session *s, const char *id, bool vendor, api_reply_fn *fn, void *ud,
                   char *label, size_t lsize, struct err *e)
{
    if (!s->o.ep->evs)
        return err_set(e, ERR_INVALID, "no EVS endpoint");
    return get_typed(s, CALL_VOLUME, id, fn, ud, label, lsize, e, "%s/v2/%s/%s/%s", s->o.ep->evs,
                     s->o.ep->project_id, vendor ? "os-vendor-volumes" : "cloudvolumes", id);
}

int api_get_volumes(struct api_session *s, const char *const *ids, size_t n, api_reply_fn *fn,
                    void *ud, char *label, size_t lsize, struct err *e)
{
    struct buf url;
    char lab[384];
    int rc = 0;

    if (!s->o.ep->evs)
        return err_set(e, ERR_INVALID, "no EVS endpoint");
    if (n == 0 || n > API_VOLUME_BATCH_MAX)
        return err_set(e, ERR_INVALID, "a batch of %zu disks (1 to %d)", n, API_VOLUME_BATCH_MAX);
    for (size_t i = 0; i < n; i++)
        if (!api_id_valid(ids[i]))
            return err_set(e, ERR_INVALID, "'%.80s' cannot go into a URL (unexpected characters)",
                           ids[i]);
    buf_init(&url, 0);
    /* ids=['a','b'] (evs_04_2005), percent-encoded */
    rc = buf_printf(&url, "%s/v2/%s/cloudvolumes/detail?ids=%%5B", s->o.ep->evs,
                    s->o.ep->project_id);
    for (size_t i = 0; !rc && i < n; i++)
        rc = buf_printf(&url, "%s%%27%s%%27", i ? "%2C" : "", ids[i]);
    if (!rc)
        rc = buf_printf(&url, "%%5D&limit=%zu", n);
    if (rc) {
        buf_free(&url);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    snprintf(lab, sizeof lab, "GET /v2/%s/cloudvolumes/detail?ids=['%s',...](%zu ids)",
             s->o.ep->project_id, ids[0], n);
    rc = get_object(s, CALL_VOLUMES, ids[0], url.data, lab, fn, ud, label, lsize, e);
    buf_free(&url);
    return rc;
}

int api_get_flavors(struct api_session *s, const char *zone, api_reply_fn *fn, void *ud,
                    char *label, size_t lsize, struct err *e)
{
    return get_typed(s, CALL_FLAVORS, zone, fn, ud, label, lsize, e,
                     "%s/v1/%s/cloudservers/flavors?availability_zone=%s", s->o.ep->ecs,
                     s->o.ep->project_id, zone);
}

int api_get_flavor_capacity(struct api_session *s, const char *flavor, api_reply_fn *fn, void *ud,
                            char *label, size_t lsize, struct err *e)
{
    return get_typed(s, CALL_CAPACITY, flavor, fn, ud, label, lsize, e,
                     "%s/v1/%s/cloudservers/flavors/%s/resources", s->o.ep->ecs,
                     s->o.ep->project_id, flavor);
}

/* ---- the pager ------------------------------------------------------------------------------- */

/* A list being read. */
struct pager {
    struct api_session *s;
    struct api_list_spec spec;
    char filter[256];           /* spec.filter points here */
    struct json_object **slots; /* count entries (owned references), filled by position */
    long long count;            /* -1 until the first page */
    struct json_object *seen;   /* id key (util_id_key) -> the position it was read at */
    int pending;                /* pages in flight */
    int gap_fills;
    bool failed;
    char label[384]; /* the failed request */
    char problem[600];
    struct answer failure; /* a failed request's answer (its borrowed pointers cleared) */
    bool has_failure;
};

static void pager_free(struct pager *p)
{
    for (long long i = 0; p->slots && i < p->count; i++)
        json_object_put(p->slots[i]);
    free(p->slots);
    json_object_put(p->seen);
    free(p);
}

/* Records why the list cannot be complete (the first reason wins). */
static void pager_fail(struct pager *p, const char *label, const struct answer *a, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

static void pager_fail(struct pager *p, const char *label, const struct answer *a, const char *fmt,
                       ...)
{
    char raw[600];
    va_list ap;

    if (p->failed)
        return;
    p->failed = true;
    snprintf(p->label, sizeof p->label, "%s", label);
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    apierr_sanitize(raw, strlen(raw), p->problem, sizeof p->problem);
    if (a) {
        p->failure = *a;
        p->failure.json = NULL;
        p->failure.resp = NULL;
        p->failure.label = NULL;
        p->has_failure = true;
    }
}

static void on_page(void *ud, const struct answer *a);

static void submit_page(struct pager *p, size_t offset)
{
    struct buf url;
    char label[384];
    struct err e = {0};

    buf_init(&url, 0);
    if (buf_printf(&url, "%s/v1/%s/%s?%s%slimit=%zu&offset=%zu", p->s->o.ep->sdrs,
                   p->s->o.ep->project_id, p->spec.path, p->spec.filter ? p->spec.filter : "",
                   p->spec.filter ? "&" : "", p->s->o.page_limit, offset)) {
        pager_fail(p, p->spec.path, NULL, "out of memory");
    } else if (request_submit(
                   p->s->rq,
                   &(struct request){.method = "GET", .url = url.data, .done = on_page, .ud = p},
                   label, sizeof label, &e)) {
        request_label("GET", url.data, label, sizeof label);
        pager_fail(p, label, NULL, "cannot send: %s", e.msg);
    } else {
        p->pending++;
    }
    buf_free(&url);
}

/* The first position still empty, or count when the list is complete. */
static size_t first_gap(const struct pager *p)
{
    for (long long i = 0; i < p->count; i++)
        if (!p->slots[i])
            return (size_t)i;
    return p->count < 0 ? 0 : (size_t)p->count;
}

/* The page's offset, from its label ("...&offset=N"). */
static size_t page_offset(const char *label)
{
    const char *o = strstr(label, "&offset=");
    long long v;

    if (!o)
        o = strstr(label, "?offset=");
    return o && util_parse_int(o + 8, &v) && v >= 0 ? (size_t)v : 0;
}

/* Takes one page into the list. */
static void take_page(struct pager *p, const struct answer *a)
{
    struct json_object *items, *cnt;
    size_t offset = page_offset(a->label), n;
    long long count = 0;

    if (!jsonutil_get(a->json, p->spec.key, &items) ||
        !json_object_is_type(items, json_type_array)) {
        pager_fail(p, a->label, NULL, "unexpected response: no \"%s\" array", p->spec.key);
        return;
    }
    if (!jsonutil_get(a->json, "count", &cnt) ||
        !(json_object_is_type(cnt, json_type_int) ||
          (json_object_is_type(cnt, json_type_string) &&
           util_parse_int(json_object_get_string(cnt), &count)))) {
        pager_fail(p, a->label, NULL, "unexpected response: no integer \"count\"");
        return;
    }
    if (json_object_is_type(cnt, json_type_int))
        count = json_object_get_int64(cnt);
    n = json_object_array_length(items);
    if (count < 0 || (size_t)count > p->s->o.max_items) {
        pager_fail(p, a->label, NULL, "count %lld is outside 0..%zu (the limit)", count,
                   p->s->o.max_items);
        return;
    }
    if (p->count < 0) {
        p->count = count;
        if (count > 0 && !(p->slots = calloc((size_t)count, sizeof *p->slots))) {
            pager_fail(p, a->label, NULL, "out of memory");
            return;
        }
        if (n == 0 && count > 0) {
            pager_fail(p, a->label, NULL, "an empty page although count is %lld", count);
            return;
        }
        /* The count is known: ask for every further page at once. */
        for (size_t off = offset + n; n > 0 && off < (size_t)count; off += n)
            submit_page(p, off);
    } else if (count != p->count) {
        pager_fail(p, a->label, NULL,
                   "the list changed while it was read (count %lld, before %lld)", count, p->count);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t pos = offset + i;
        struct json_object *item = json_object_array_get_idx(items, i), *first;
        const char *id = jsonutil_get_str(item, "id");
        char key[128];

        if (pos >= (size_t)p->count) {
            pager_fail(p, a->label, NULL, "more items than count %lld", p->count);
            return;
        }
        if (!id || !util_id_key(id, key, sizeof key)) {
            pager_fail(p, a->label, NULL, "unexpected response: %s[%zu] has no usable \"id\"",
                       p->spec.key, i);
            return;
        }
        if (jsonutil_get(p->seen, key, &first) && json_object_get_int64(first) != (int64_t)pos) {
            /* a page that repeats items of another has lost the items it should have held */
            pager_fail(p, a->label, NULL,
                       "%s id '%.64s' appears twice (at positions %lld and %zu): the paging "
                       "answers repeat items, so the list is not complete",
                       p->spec.key, id, (long long)json_object_get_int64(first), pos);
            return;
        }
        if (p->slots[pos])
            continue;
        if (json_object_object_add(p->seen, key, json_object_new_int64((int64_t)pos))) {
            pager_fail(p, a->label, NULL, "out of memory");
            return;
        }
        p->slots[pos] = json_object_get(item);
        if (p->spec.item)
            p->spec.item(p->spec.ud, pos, item);
    }
    if (p->spec.page_end)
        p->spec.page_end(p->spec.ud);
    if (p->pending == 0 && first_gap(p) < (size_t)p->count) {
        /* Pages came back shorter than the first one: read what is still missing. */
        if (n == 0 || ++p->gap_fills > API_MAX_GAP_FILLS) {
            pager_fail(p, a->label, NULL, "the API returned fewer %s than its count %lld",
                       p->spec.key, p->count);
            return;
        }
        submit_page(p, first_gap(p));
    }
}

static void on_page(void *ud, const struct answer *a)
{
    struct pager *p = ud;

    p->pending--;
    if (!p->failed) {
        if (a->kind == ANSWER_JSON)
            take_page(p, a);
        else
            pager_fail(p, a->label, a, "%s", a->detail);
    }
    if (p->pending > 0)
        return;
    {
        struct api_list_end end = {.label = p->label};
        if (p->failed) {
            end.problem = p->problem;
            end.answer = p->has_failure ? &p->failure : NULL;
            if (p->has_failure)
                p->failure.label = p->label;
        } else {
            end.complete = true;
            end.items = p->slots;
            end.count = (size_t)p->count;
        }
        p->spec.done(p->spec.ud, &end);
    }
    pager_free(p);
}

int api_list(struct api_session *s, const struct api_list_spec *spec, struct err *e)
{
    struct pager *p = calloc(1, sizeof *p);

    if (!p || !(p->seen = json_object_new_object())) {
        free(p);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    p->s = s;
    p->spec = *spec;
    if (spec->filter) {
        if (strlen(spec->filter) >= sizeof p->filter) {
            pager_free(p);
            return err_set(e, ERR_INVALID, "list filter too long");
        }
        snprintf(p->filter, sizeof p->filter, "%s", spec->filter);
        p->spec.filter = p->filter;
    }
    p->count = -1;
    submit_page(p, 0);
    if (p->pending == 0) {
        int rc = err_set(e, ERR_INVALID, "%s: %s", p->label, p->problem);
        pager_free(p);
        return rc;
    }
    return 0;
}

/* The ids of a list being read by api_list_ids. */
struct id_list {
    const struct api_session *s;
    char **ids;
    size_t n;
    int rc;
    struct err err;
};

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void on_ids(void *ud, const struct api_list_end *end)
{
    struct id_list *l = ud;

    if (!end->complete) {
        if (end->answer && end->answer->kind == ANSWER_DENIED) {
            char msg[1000];
            api_refused(l->s, end->answer, msg, sizeof msg);
            l->rc = err_set(&l->err, ERR_AUTH, "%s", msg);
        } else {
            l->rc = err_set(&l->err,
                            end->answer && end->answer->kind == ANSWER_FAILED ? ERR_NET : ERR_API,
                            "%s failed: %s", end->label, end->problem);
        }
        return;
    }
    l->ids = calloc(end->count ? end->count : 1, sizeof *l->ids);
    for (size_t i = 0; l->ids && i < end->count; i++) {
        if (!(l->ids[i] = util_strdup(jsonutil_get_str(end->items[i], "id")))) {
            api_ids_free(l->ids, i);
            l->ids = NULL;
        }
    }
    if (!l->ids) {
        l->rc = err_set(&l->err, ERR_NOMEM, "out of memory");
        return;
    }
    l->n = end->count;
    qsort(l->ids, l->n, sizeof *l->ids, cmp_ids);
}

int api_list_ids(struct api_session *s, const char *path, const char *key, char ***ids, size_t *n,
                 struct err *e)
{
    struct id_list l = {.s = s};
    int rc;

    *ids = NULL;
    *n = 0;
    rc =
        api_list(s, &(struct api_list_spec){.path = path, .key = key, .done = on_ids, .ud = &l}, e);
    if (!rc)
        rc = request_run(s->rq, e);
    if (!rc && l.rc) {
        rc = l.rc;
        if (e)
            *e = l.err;
    }
    if (rc) {
        api_ids_free(l.ids, l.n);
        return rc;
    }
    *ids = l.ids;
    *n = l.n;
    return 0;
}

void api_ids_free(char **ids, size_t n)
{
    for (size_t i = 0; ids && i < n; i++)
        free(ids[i]);
    free(ids);
}

/* ---- the action and its job ------------------------------------------------------------------ */

/* The answer of a synchronous request, kept for its caller. */
struct sync {
    struct answer a; /* json: a reference of ours */
    char label[384];
    bool answered;
};

static void on_sync(void *ud, const struct answer *a)
{
    struct sync *sy = ud;

    sy->a = *a;
    sy->a.json = json_object_get(a->json);
    sy->a.resp = NULL;
    snprintf(sy->label, sizeof sy->label, "%s", a->label);
    sy->a.label = sy->label;
    sy->answered = true;
}

/* Sends one request and waits for its answer. Returns 0 once it was answered (the answer in sy,
 * whose json the caller puts), else ERR_* (nothing was sent, or the client failed). */
static int sync_call(struct api_session *s, const char *method, const char *url, const char *body,
                     struct sync *sy, struct err *e)
{
    int rc;

    memset(sy, 0, sizeof *sy);
    rc = request_submit(
        s->rq,
        &(struct request){.method = method, .url = url, .body = body, .done = on_sync, .ud = sy},
        sy->label, sizeof sy->label, e);
    if (rc)
        return rc;
    rc = request_run(s->rq, e);
    if (sy->answered) {
        /* once submitted, the outcome is the answer's, even when the client itself failed */
        err_clear(e);
        return 0;
    }
    return rc ? rc : err_set(e, ERR_NET, "%s: no answer", sy->label);
}

/* Copies text from the API (NULL: "") as one printable line. */
static void clean(char *out, size_t size, const char *s)
{
    apierr_sanitize(s, s ? strlen(s) : 0, out, size);
}

/* Why a synchronous read did not give what it asked for, into e. */
static int sync_failed(const struct api_session *s, const struct sync *sy, const char *problem,
                       struct err *e)
{
    if (sy->a.kind == ANSWER_DENIED) {
        char msg[1000];
        api_refused(s, &sy->a, msg, sizeof msg);
        return err_set(e, ERR_AUTH, "%s", msg);
    }
    return err_set(e, sy->a.kind == ANSWER_FAILED ? ERR_NET : ERR_API, "%s: %s", sy->label,
                   problem ? problem : sy->a.detail);
}

int api_probe(struct api_session *s, enum api_service svc, struct api_probe *out, struct err *e)
{
    const struct endpoints *ep = s->o.ep;
    static const char *const names[] = {"SDRS", "ECS", "IMS", "EVS"};
    const char *base = svc == API_SDRS  ? ep->sdrs
                       : svc == API_ECS ? ep->ecs
                       : svc == API_IMS ? ep->ims
                                        : ep->evs;
    long long t0 = util_now_ms();
    struct sync sy;
    struct buf url;
    int rc;

    memset(out, 0, sizeof *out);
    if (!base)
        return err_set(e, ERR_INVALID, "the %s endpoint is unknown", names[svc]);
    buf_init(&url, 0);
    rc = svc == API_SDRS ? buf_printf(&url, "%s/v1/%s/server-groups?limit=1", base, ep->project_id)
         : svc == API_ECS
             ? buf_printf(&url, "%s/v1/%s/cloudservers/detail?limit=1", base, ep->project_id)
         : svc == API_IMS
             ? buf_printf(&url, "%s/v2/cloudimages?limit=1", base)
             : buf_printf(&url, "%s/v2/%s/cloudvolumes/detail?limit=1", base, ep->project_id);
    if (rc) {
        buf_free(&url);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    rc = sync_call(s, "GET", url.data, NULL, &sy, e);
    buf_free(&url);
    if (rc)
        return rc;
    out->elapsed_ms = (long)(util_now_ms() - t0);
    out->status = sy.a.status;
    snprintf(out->label, sizeof out->label, "%s", sy.label);
    snprintf(out->detail, sizeof out->detail, "%s", sy.a.detail);
    switch (sy.a.kind) {
    case ANSWER_JSON:
        out->kind = API_PROBE_OK;
        break;
    case ANSWER_FAILED:
        out->kind = API_PROBE_NO_ANSWER;
        break;
    case ANSWER_DENIED:
        out->kind = API_PROBE_DENIED;
        break;
    case ANSWER_ERROR:
        out->kind = API_PROBE_ERROR;
        break;
    case ANSWER_BAD:
        out->kind = API_PROBE_BAD;
        break;
    }
    json_object_put(sy.a.json);
    return 0;
}

int api_read_group(struct api_session *s, const char *id, struct api_group_state *out,
                   struct err *e)
{
    struct sync sy;
    struct json_object *g;
    struct buf url;
    int rc;

    memset(out, 0, sizeof *out);
    if (!api_id_valid(id))
        return err_set(e, ERR_INVALID, "'%.80s' is not a protection group id", id);
    buf_init(&url, 0);
    if (buf_printf(&url, "%s/v1/%s/server-groups/%s", s->o.ep->sdrs, s->o.ep->project_id, id)) {
        buf_free(&url);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    rc = sync_call(s, "GET", url.data, NULL, &sy, e);
    buf_free(&url);
    if (rc)
        return rc;
    if (sy.a.kind != ANSWER_JSON)
        rc = sync_failed(s, &sy, NULL, e);
    else if (!jsonutil_get(sy.a.json, "server_group", &g) || !jsonutil_get_str(g, "status"))
        rc = sync_failed(s, &sy, "the answer is not a protection group with a status", e);
    else if (vocab_classify("server_group.status", jsonutil_get_str(g, "status")) ==
                 VOCAB_UNRECOGNISED ||
             vocab_classify("priority_station", jsonutil_get_str(g, "priority_station")) ==
                 VOCAB_UNRECOGNISED) {
        /* decisions compare these exactly: a value the documentation does not list tells nothing */
        char st[64], ps[32], why[200];
        clean(st, sizeof st, jsonutil_get_str(g, "status"));
        clean(ps, sizeof ps, jsonutil_get_str(g, "priority_station"));
        snprintf(why, sizeof why,
                 "the group's status \"%s\" and priority_station \"%s\" are not both "
                 "documented values",
                 st, ps);
        rc = sync_failed(s, &sy, why, e);
    } else {
        snprintf(out->status, sizeof out->status, "%s", jsonutil_get_str(g, "status"));
        snprintf(out->station, sizeof out->station, "%s", jsonutil_get_str(g, "priority_station"));
    }
    json_object_put(sy.a.json);
    return rc;
}

int api_post_action(struct api_session *s, const char *id, const char *key, const char *station,
                    struct api_post *out, struct err *e)
{
    struct json_object *body = json_object_new_object(), *inner = json_object_new_object();
    struct sync sy;
    struct buf url;
    const char *text, *job;
    int rc;

    memset(out, 0, sizeof *out);
    if (!api_id_valid(id)) {
        json_object_put(body);
        json_object_put(inner);
        return err_set(e, ERR_INVALID, "'%.80s' is not a protection group id", id);
    }
    buf_init(&url, 0);
    if (!body || !inner ||
        (station &&
         json_object_object_add(inner, "priority_station", json_object_new_string(station))) ||
        json_object_object_add(body, key, inner)) {
        json_object_put(body);
        json_object_put(inner);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
    if (!text || buf_printf(&url, "%s/v1/%s/server-groups/%s/action", s->o.ep->sdrs,
                            s->o.ep->project_id, id)) {
        json_object_put(body);
        buf_free(&url);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    rc = sync_call(s, "POST", url.data, text, &sy, e);
    json_object_put(body);
    buf_free(&url);
    if (rc)
        return rc;
    snprintf(out->label, sizeof out->label, "%s", sy.label);
    out->status = sy.a.status;
    snprintf(out->code, sizeof out->code, "%s", sy.a.code);
    snprintf(out->detail, sizeof out->detail, "%s", sy.a.detail);
    switch (sy.a.kind) {
    case ANSWER_FAILED:
        out->kind = sy.a.maybe_sent ? API_POST_NO_ANSWER : API_POST_NOT_SENT;
        break;
    case ANSWER_DENIED:
    case ANSWER_ERROR:
        /* Only SDRS's own refusal says the action was not taken; a gateway's 5xx, a rejected
         * credential or a bare error may come after SDRS accepted it. */
        out->kind = sy.a.status >= 400 && sy.a.status < 500 && sy.a.status != 401 &&
                            sy.a.status != 403 && sy.a.status != 408 && sy.a.status != 429 &&
                            strncmp(sy.a.code, "SDRS.", 5) == 0
                        ? API_POST_REFUSED
                        : API_POST_UNCLEAR;
        break;
    case ANSWER_BAD:
        out->kind = API_POST_NO_JOB;
        break;
    case ANSWER_JSON:
        job = jsonutil_get_str(sy.a.json, "job_id");
        if (job && api_id_valid(job)) {
            out->kind = API_POST_ACCEPTED;
            snprintf(out->job_id, sizeof out->job_id, "%s", job);
        } else {
            out->kind = API_POST_NO_JOB;
            snprintf(out->detail, sizeof out->detail, "the answer names no usable job_id");
        }
        break;
    }
    json_object_put(sy.a.json);
    return 0;
}

/* Counts the sub-jobs and describes the first failed one. */
static void read_subjobs(struct json_object *job, struct api_job *out)
{
    struct json_object *ent, *subs;
    size_t n;

    if (!jsonutil_get(job, "entities", &ent) || !jsonutil_get(ent, "sub_jobs", &subs) ||
        !json_object_is_type(subs, json_type_array))
        return;
    n = json_object_array_length(subs);
    out->subjobs = n;
    for (size_t i = 0; i < n; i++) {
        struct json_object *sj = json_object_array_get_idx(subs, i);
        const char *st = jsonutil_get_str(sj, "status");
        if (st && (strcmp(st, "SUCCESS") == 0 || strcmp(st, "FAIL") == 0))
            out->subjobs_done++;
        if (i < API_MAX_SUBJOBS) {
            struct api_subjob *sj_out = &out->sub[i];
            const char *id = jsonutil_get_str(sj, "job_id");
            clean(sj_out->job_id, sizeof sj_out->job_id, id ? id : "?");
            clean(sj_out->job_type, sizeof sj_out->job_type,
                  jsonutil_get_str(sj, "job_type") ? jsonutil_get_str(sj, "job_type") : "?");
            clean(sj_out->status, sizeof sj_out->status, st ? st : "?");
            clean(sj_out->error_code, sizeof sj_out->error_code,
                  jsonutil_get_str(sj, "error_code") ? jsonutil_get_str(sj, "error_code") : "");
        }
        if (st && strcmp(st, "FAIL") == 0 && out->subjobs_failed++ == 0) {
            char line[1024];
            const char *jid = jsonutil_get_str(sj, "job_id");
            if (!jid)
                jid = jsonutil_get_str(sj, "id");
            snprintf(line, sizeof line, "%s %s: %s %s",
                     jsonutil_get_str(sj, "job_type") ? jsonutil_get_str(sj, "job_type") : "?",
                     jid ? jid : "?",
                     jsonutil_get_str(sj, "error_code") ? jsonutil_get_str(sj, "error_code") : "",
                     jsonutil_get_str(sj, "fail_reason") ? jsonutil_get_str(sj, "fail_reason")
                                                         : "");
            clean(out->failed_subjob, sizeof out->failed_subjob, line);
        }
    }
}

int api_read_job(struct api_session *s, const char *job_id, struct api_job *out, struct err *e)
{
    struct sync sy;
    struct buf url;
    int rc;

    memset(out, 0, sizeof *out);
    if (!api_id_valid(job_id))
        return err_set(e, ERR_INVALID, "'%.80s' is not a job id", job_id);
    buf_init(&url, 0);
    if (buf_printf(&url, "%s/v1/%s/jobs/%s", s->o.ep->sdrs, s->o.ep->project_id, job_id)) {
        buf_free(&url);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    rc = sync_call(s, "GET", url.data, NULL, &sy, e);
    buf_free(&url);
    if (rc)
        return rc;
    if (sy.a.kind != ANSWER_JSON) {
        rc = sync_failed(s, &sy, NULL, e);
    } else if (!jsonutil_get_str(sy.a.json, "status")) {
        rc = sync_failed(s, &sy, "the answer is not a job", e);
    } else {
        out->cls = vocab_classify("job.status", jsonutil_get_str(sy.a.json, "status"));
        clean(out->status, sizeof out->status, jsonutil_get_str(sy.a.json, "status"));
        clean(out->error_code, sizeof out->error_code, jsonutil_get_str(sy.a.json, "error_code"));
        clean(out->fail_reason, sizeof out->fail_reason,
              jsonutil_get_str(sy.a.json, "fail_reason"));
        read_subjobs(sy.a.json, out);
    }
    json_object_put(sy.a.json);
    return rc;
}
