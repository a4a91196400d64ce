#include "fetch.h"
#include "fetch_internal.h"

#include "apierr.h"
#include "jsonutil.h"
#include "snapshot.h"
#include "util.h"
#include "version.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*
 * Lookups shared by the groups of one fetch_groups (images, flavor lists, flavor capacity): groups
 * mostly run the same few images and flavors in the same zones, so each is requested once and its
 * outcome is given to every group that needs it (so each group records the same data or the same
 * fetch error). A group that needs a lookup still in flight waits for it (its pending count holds).
 */
struct shared_lookup {
    struct outcome out;
    bool answered;
    size_t *waiting; /* indexes of the groups waiting for it */
    size_t nwaiting, capwaiting;
};

/* A fetch_groups run. Groups are started as the request queue drains, not all at once: each group
 * then finishes (and is evaluated by the caller) early, and only the groups in flight hold memory,
 * while the queue still always has work for every connection. */
struct many {
    struct api_session *s;
    const struct fetch_opts *fo;
    const char *const *ids;
    size_t n, next; /* groups, and the next one to start */
    size_t window;  /* start groups while fewer requests than this wait for a slot */
    struct fetch *fs;
    struct json_object *lookup_index; /* "image:<id>", "flavors:<zone>", ... -> position */
    struct shared_lookup *lookups;
    size_t nlookups, caplookups;
    struct fetch_result *out;
    void (*done)(void *ud, size_t i);
    void *ud;
    int rc; /* an error that ends the whole run */
    struct err err;
    bool no_batch; /* see struct fetch */
};

void fx_log(const struct fetch *f, int level, const char *fmt, ...)
{
    const struct api_opts *o = api_session_opts(f->s);
    char msg[700];
    va_list ap;

    if (!o->log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->log(o->log_ud, level, msg);
}

/* Records what could not be fetched; it ends up in the snapshot's fetch_errors. The message may
 * quote the API: it is made one printable line (apierr_sanitize) before it is logged or kept. */
void fx_error(struct fetch *f, const char *request, const char *fmt, ...)
{
    char raw[1000], msg[1000];
    struct json_object *o;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    apierr_sanitize(raw, strlen(raw), msg, sizeof msg);
    fx_log(f, 1, "fetch error: %s: %s", request, msg);
    o = json_object_new_object();
    if (!o || json_object_object_add(o, "request", json_object_new_string(request)) ||
        json_object_object_add(o, "error", json_object_new_string(msg)) ||
        json_object_array_add(f->errors, o)) {
        json_object_put(o);
        if (!f->fatal)
            f->fatal = err_set(&f->fatal_err, ERR_NOMEM, "out of memory");
    }
}

void fx_fatal(struct fetch *f, int code, const char *fmt, ...)
{
    va_list ap;

    if (f->fatal)
        return;
    f->fatal = code;
    f->fatal_err.code = code;
    va_start(ap, fmt);
    vsnprintf(f->fatal_err.msg, sizeof f->fatal_err.msg, fmt, ap);
    va_end(ap);
}

/* The credentials were refused: nothing else will be read either. */
void fx_refused(struct fetch *f, const struct answer *a)
{
    char msg[1000];

    api_refused(f->s, a, msg, sizeof msg);
    fx_fatal(f, ERR_AUTH, "%s", msg);
}

void fx_denied_text(const struct answer *a, const char *permission, char *out, size_t size)
{
    snprintf(out, size,
             "HTTP 403 (%s): the credential may not make this read; it needs %s "
             "(readiness-api.md §5.1), and the same identity is unlikely to be allowed the action "
             "either",
             a->detail, permission);
}

void fx_denied(struct fetch *f, const struct answer *a, const char *permission)
{
    char msg[900];

    if (a->status != 403) {
        fx_refused(f, a);
        return;
    }
    fx_denied_text(a, permission, msg, sizeof msg);
    fx_error(f, a->label, "%s", msg);
}

bool fx_reply_ok(struct fetch *f, const struct api_reply *r, const char *permission)
{
    if (r->answer->kind == ANSWER_DENIED)
        fx_denied(f, r->answer, permission);
    else if (r->answer->kind != ANSWER_JSON)
        fx_error(f, r->answer->label, "%s", r->answer->detail);
    else if (r->problem)
        fx_error(f, r->answer->label, "%s", r->problem);
    else
        return true;
    return false;
}

static void fetch_settled(struct fetch *f);
static void many_top_up(struct many *m);

/* One call or list of f was answered. */
void fx_op_done(struct fetch *f)
{
    struct many *m = f->many;

    if (--f->pending == 0)
        fetch_settled(f);
    if (m)
        many_top_up(m);
}

/* ---- lookups (images, flavor lists, flavor capacity) ----------------------------------------- */

/* What an image answer means: the image (or none: the list has no such image), a fetch error, or
 * the end of the run for refused credentials. */
static void image_outcome(struct fetch *f, const struct api_reply *r, struct outcome *o)
{
    if (r->answer->kind == ANSWER_DENIED && r->answer->status == 403) {
        fx_denied_text(r->answer, PERM_IMS, o->error, sizeof o->error);
    } else if (r->answer->kind == ANSWER_DENIED) {
        o->fatal = ERR_AUTH;
        api_refused(f->s, r->answer, o->error, sizeof o->error);
    } else if (r->answer->kind != ANSWER_JSON) {
        snprintf(o->error, sizeof o->error, "%s", r->answer->detail);
    } else if (r->problem) {
        snprintf(o->error, sizeof o->error, "%s", r->problem);
    } else {
        o->value = json_object_get(r->obj);
    }
}

/* The kinds of lookups: the key prefix in f->asked and the index, what a bad key is called, how
 * the request is sent, and what its answer means. */
static const struct lookup_kind_info {
    const char *prefix, *noun;
    int (*send)(struct api_session *s, const char *key, api_reply_fn *fn, void *ud, char *label,
                size_t lsize, struct err *e);
    void (*outcome)(struct fetch *f, const struct api_reply *r, struct outcome *o);
} lookup_kinds[] = {
    [LOOKUP_IMAGE] = {"image:", "image id", api_get_image, image_outcome},
    [LOOKUP_FLAVORS] = {"flavors:", "availability zone", api_get_flavors, fx_flavors_outcome},
    [LOOKUP_CAPACITY] = {"capacity:", "flavor id", api_get_flavor_capacity, fx_capacity_outcome},
};

/* The map of f an outcome goes into. */
static struct json_object *lookup_map(struct fetch *f, enum lookup_kind kind)
{
    return kind == LOOKUP_IMAGE ? f->images : kind == LOOKUP_FLAVORS ? f->flavors : f->capacity;
}

/* Gives an outcome to f, as if f had asked. */
static void outcome_apply(struct fetch *f, const struct outcome *o)
{
    struct json_object *map = lookup_map(f, o->kind);

    if (o->fatal) {
        fx_fatal(f, o->fatal, "%s", o->error);
        return;
    }
    if (o->error[0])
        fx_error(f, o->label, "%s", o->error);
    if (o->value && map) {
        /* shared by the groups' documents, which are only serialised: each group's snapshot is
         * read from its own bytes, so what one check repairs in its copy reaches no other */
        if (json_object_object_add(map, o->key, json_object_get(o->value))) {
            json_object_put(o->value);
            fx_fatal(f, ERR_NOMEM, "out of memory");
        }
    }
}

/* The context of a lookup request: the group that sent it, or the shared entry. */
struct lookup_call {
    struct fetch *f;
    long shared; /* index in many->lookups, or -1 */
    enum lookup_kind kind;
    char key[96];
};

static void on_lookup(void *ud, const struct api_reply *r)
{
    struct lookup_call *c = ud;
    struct fetch *f = c->f;
    struct outcome o = {.kind = c->kind};

    snprintf(o.key, sizeof o.key, "%s", c->key);
    snprintf(o.label, sizeof o.label, "%s", r->answer->label);
    lookup_kinds[c->kind].outcome(f, r, &o);
    if (c->shared < 0) {
        outcome_apply(f, &o);
        json_object_put(o.value);
        fx_op_done(f);
    } else {
        struct many *m = f->many;
        struct shared_lookup *sl = &m->lookups[c->shared];

        sl->out = o; /* takes the reference */
        sl->answered = true;
        for (size_t i = 0; i < sl->nwaiting; i++) {
            struct fetch *w = &m->fs[sl->waiting[i]];
            outcome_apply(w, &sl->out);
            if (w != f)
                fx_op_done(w);
        }
        sl->nwaiting = 0;
        fx_op_done(f);
    }
    free(c);
}

/* Sends the lookup for f (shared: index in many->lookups, else -1). Returns false when it could
 * not be sent (then o says why). */
static bool submit_lookup(struct fetch *f, enum lookup_kind kind, const char *key, long shared,
                          struct outcome *o)
{
    struct lookup_call *c = calloc(1, sizeof *c);
    struct err e = {0};

    memset(o, 0, sizeof *o);
    o->kind = kind;
    snprintf(o->key, sizeof o->key, "%s", key);
    snprintf(o->label, sizeof o->label, "GET %s%s", lookup_kinds[kind].prefix, key);
    if (!c) {
        o->fatal = ERR_NOMEM;
        snprintf(o->error, sizeof o->error, "out of memory");
        return false;
    }
    *c = (struct lookup_call){.f = f, .shared = shared, .kind = kind};
    snprintf(c->key, sizeof c->key, "%s", key);
    if (lookup_kinds[kind].send(f->s, key, on_lookup, c, o->label, sizeof o->label, &e)) {
        snprintf(o->error, sizeof o->error, "cannot send: %s", e.msg);
        free(c);
        return false;
    }
    f->pending++;
    return true;
}

/* In a fetch_groups run: joins the shared lookup named akey ("image:<id>"). Always handles it:
 * applies an answered outcome, waits for one in flight, or asks (the first group to need it: the
 * shared entry is then created for the others). */
static void share_lookup(struct fetch *f, enum lookup_kind kind, const char *akey, const char *key)
{
    struct many *m = f->many;
    struct json_object *pos = NULL;
    struct shared_lookup *sl;

    if (jsonutil_get(m->lookup_index, akey, &pos)) {
        sl = &m->lookups[json_object_get_int64(pos)];
        if (sl->answered) {
            outcome_apply(f, &sl->out);
            return;
        }
        if (sl->nwaiting == sl->capwaiting) {
            size_t ncap = sl->capwaiting ? sl->capwaiting * 2 : 8;
            size_t *nw = realloc(sl->waiting, ncap * sizeof *nw);
            if (!nw) {
                fx_fatal(f, ERR_NOMEM, "out of memory");
                return;
            }
            sl->waiting = nw;
            sl->capwaiting = ncap;
        }
        sl->waiting[sl->nwaiting++] = f->index;
        f->pending++;
        return;
    }
    if (m->nlookups == m->caplookups) {
        size_t ncap = m->caplookups ? m->caplookups * 2 : 64;
        struct shared_lookup *nl = realloc(m->lookups, ncap * sizeof *nl);
        if (!nl) {
            fx_fatal(f, ERR_NOMEM, "out of memory");
            return;
        }
        m->lookups = nl;
        m->caplookups = ncap;
    }
    sl = &m->lookups[m->nlookups];
    memset(sl, 0, sizeof *sl);
    if (json_object_object_add(m->lookup_index, akey,
                               json_object_new_int64((int64_t)m->nlookups))) {
        fx_fatal(f, ERR_NOMEM, "out of memory");
        return;
    }
    /* the asking group waits like the others: its own request's answer is applied once */
    sl->waiting = malloc(8 * sizeof *sl->waiting);
    if (!sl->waiting) {
        fx_fatal(f, ERR_NOMEM, "out of memory");
        return;
    }
    sl->capwaiting = 8;
    sl->waiting[sl->nwaiting++] = f->index;
    m->nlookups++;
    if (!submit_lookup(f, kind, key, (long)(m->nlookups - 1), &sl->out)) {
        /* not sent: every group that needs it gets the same failure */
        sl->answered = true;
        sl->nwaiting = 0;
        outcome_apply(f, &sl->out);
    }
}

void fx_lookup(struct fetch *f, enum lookup_kind kind, const char *key, const char *where)
{
    char akey[128];
    struct outcome o;

    snprintf(akey, sizeof akey, "%s%.100s", lookup_kinds[kind].prefix, key);
    if (jsonutil_get(f->asked, akey, NULL))
        return;
    json_object_object_add(f->asked, akey, NULL);
    if (!api_id_valid(key)) {
        fx_error(f, where, "%s '%.64s' cannot be requested (unexpected characters)",
                 lookup_kinds[kind].noun, key);
        return;
    }
    if (f->many) {
        share_lookup(f, kind, akey, key);
        return;
    }
    if (!submit_lookup(f, kind, key, -1, &o))
        outcome_apply(f, &o);
}

/* Requests an image once; a server without an image ("" or none) names none. */
static void want_image(struct fetch *f, const char *id, const char *where)
{
    if (f->fo->no_images || !api_session_opts(f->s)->ep->ims || !id || !*id)
        return;
    fx_lookup(f, LOOKUP_IMAGE, id, where);
}

/* ---- servers --------------------------------------------------------------------------------- */

struct json_object *fx_error_entry(const struct answer *a)
{
    struct json_object *entry = json_object_new_object(), *eo = json_object_new_object();
    const char *msg = a->detail, *rid;
    size_t cl = strlen(a->code), ml;

    /* the message without the "CODE: " the detail starts with, and without the request id it
     * may end with: the snapshot records what the service said, the same on every run (the
     * request id is in the log and the fetch errors) */
    if (cl && strncmp(msg, a->code, cl) == 0 && strncmp(msg + cl, ": ", 2) == 0)
        msg += cl + 2;
    ml = strlen(msg);
    if ((rid = strstr(msg, " (request id: ")) != NULL && msg[ml - 1] == ')')
        ml = (size_t)(rid - msg);
    if (!entry || !eo || json_object_object_add(eo, "code", json_object_new_string(a->code)) ||
        json_object_object_add(eo, "message", json_object_new_string_len(msg, (int)ml)) ||
        json_object_object_add(entry, "http_status", json_object_new_int(a->status)) ||
        json_object_object_add(entry, "error", eo)) {
        json_object_put(entry);
        json_object_put(eo);
        return NULL;
    }
    return entry;
}

struct json_object *fx_found_entry(const char *key, struct json_object *obj)
{
    struct json_object *entry = json_object_new_object();

    if (!entry || json_object_object_add(entry, "http_status", json_object_new_int(200)) ||
        json_object_object_add(entry, key, json_object_get(obj))) {
        json_object_put(entry);
        return NULL;
    }
    return entry;
}

/* Adds entry (taken) under id, or ends the fetch when it could not be made or added. */
static void record_entry(struct fetch *f, struct json_object *map, const char *id,
                         struct json_object *entry)
{
    if (!entry || json_object_object_add(map, id, entry)) {
        json_object_put(entry);
        fx_fatal(f, ERR_NOMEM, "out of memory");
    }
}

void fx_record_error(struct fetch *f, struct json_object *map, const char *id,
                     const struct answer *a)
{
    record_entry(f, map, id, fx_error_entry(a));
}

void fx_record(struct fetch *f, struct json_object *map, const char *id, const char *key,
               struct json_object *obj)
{
    record_entry(f, map, id, fx_found_entry(key, obj));
}

/* Records the server object ECS gave for id, and asks for its image. */
void fx_server_found(struct fetch *f, const char *id, struct json_object *server, const char *label)
{
    struct json_object *img;

    fx_record(f, f->servers, id, "server", server);
    if (!f->fatal && jsonutil_get(server, "image", &img))
        want_image(f, jsonutil_get_str(img, "id"), label);
    if (!f->fatal)
        fx_want_capacity(f, server);
}

struct server_call {
    struct fetch *f;
    char id[80];
};

static void on_server(void *ud, const struct api_reply *r)
{
    struct server_call *c = ud;
    struct fetch *f = c->f;
    const struct answer *a = r->answer;

    if (f->fatal) {
        /* nothing more is recorded once the fetch cannot go on */
    } else if (a->kind == ANSWER_ERROR && a->status == 404) {
        /* Only ECS itself saying "no such server" means deleted; a 404 from anything in between
         * (a gateway, a proxy, a wrong endpoint) is a failure to look. */
        if (strncasecmp(a->code, "Ecs.", 4) != 0) {
            fx_error(f, a->label,
                     "%s without an ECS error code: cannot tell whether the server was deleted",
                     a->detail);
        } else {
            fx_record_error(f, f->servers, c->id, a);
            fx_log(f, 2, "server %s: deleted (%s)", c->id, a->detail);
        }
    } else if (a->kind == ANSWER_ERROR) {
        fx_error(f, a->label, "%s", a->detail);
        fx_record_error(f, f->servers, c->id, a);
    } else if (fx_reply_ok(f, r, PERM_ECS_SHOW)) {
        fx_server_found(f, c->id, r->obj, a->label);
    }
    free(c);
    fx_op_done(f);
}

void *fx_call_new(struct fetch *f, size_t size)
{
    struct fetch **c = calloc(1, size);

    if (!c)
        fx_fatal(f, ERR_NOMEM, "out of memory");
    else
        *c = f;
    return c;
}

bool fx_call_sent(struct fetch *f, int rc, void *ctx, const char *where, const struct err *e)
{
    if (rc) {
        fx_error(f, where, "cannot send: %s", e->msg);
        free(ctx);
        return false;
    }
    f->pending++;
    return true;
}

/* Reads one server with its own GET (the id is valid and asked for once). */
void fx_read_server(struct fetch *f, const char *id, const char *where)
{
    struct server_call *c = fx_call_new(f, sizeof *c);
    char label[384];
    struct err e = {0};

    if (!c)
        return;
    snprintf(c->id, sizeof c->id, "%s", id);
    fx_call_sent(f, api_get_server(f->s, id, on_server, c, label, sizeof label, &e), c, where, &e);
}

/* Requests a server once; ids that cannot go into a URL are fetch errors. */
static void want_server(struct fetch *f, const char *id, const char *where)
{
    char key[96];

    if (!id)
        return;
    snprintf(key, sizeof key, "server:%s", id);
    if (jsonutil_get(f->asked, key, NULL))
        return;
    json_object_object_add(f->asked, key, NULL);
    if (!api_id_valid(id))
        fx_error(f, where, "server id '%.64s' cannot be requested (unexpected characters)", id);
    else if (f->fo->batch_servers && !*f->no_batch)
        fx_batch_add(f, id);
    else
        fx_read_server(f, id, where);
}

/* ---- the group and its lists ----------------------------------------------------------------- */

static void on_group(void *ud, const struct api_reply *r)
{
    struct fetch *f = ud;
    const struct answer *a = r->answer;

    if (!f->fatal && a->kind == ANSWER_ERROR &&
        (a->status == 404 || strcmp(a->code, "SDRS.1013") == 0 ||
         strcmp(a->code, "SDRS.0207") == 0))
        fx_fatal(f, ERR_API,
                 "protection group '%s' was not found in project %s (%s): check the group id and "
                 "the project",
                 f->group_id, api_session_opts(f->s)->ep->project_id, a->detail);
    else if (!f->fatal && fx_reply_ok(f, r, PERM_SDRS)) {
        f->group = json_object_get(r->obj);
        /* the flavor lists of both zones: which one is the DR zone depends on the station */
        fx_want_flavors(f, jsonutil_get_str(f->group, "source_availability_zone"),
                        "$.server_group.source_availability_zone");
        fx_want_flavors(f, jsonutil_get_str(f->group, "target_availability_zone"),
                        "$.server_group.target_availability_zone");
    }
    fx_op_done(f);
}

/* A list of the group being read: which part it fills. */
struct list_call {
    struct fetch *f;
    size_t part;
};

/* An item of a list arrived: what it names (servers, disks) can be asked for at once. */
static void on_item(void *ud, size_t pos, struct json_object *item)
{
    struct list_call *c = ud;
    const struct snapshot_part *p = snapshot_part_at(c->part);
    struct json_object *ds;
    char where[160];

    if (c->f->fatal)
        return;
    switch (p->names) {
    case SNAPSHOT_NAMES_SERVERS:
        snprintf(where, sizeof where, "$.protected_instances[%zu].source_server", pos);
        want_server(c->f, jsonutil_get_str(item, "source_server"), where);
        snprintf(where, sizeof where, "$.protected_instances[%zu].target_server", pos);
        want_server(c->f, jsonutil_get_str(item, "target_server"), where);
        break;
    case SNAPSHOT_NAMES_VOLUMES:
        snprintf(where, sizeof where, "$.replications[%zu].volume_ids", pos);
        fx_want_volumes(c->f, item, where);
        break;
    case SNAPSHOT_NAMES_DRILL_SERVERS:
        /* a drill's servers: whether they run is the drill's evidence (SDRS-017) */
        if (!jsonutil_get(item, "drill_servers", &ds) || !json_object_is_type(ds, json_type_array))
            break;
        for (size_t i = 0; i < json_object_array_length(ds); i++) {
            snprintf(where, sizeof where,
                     "$.disaster_recovery_drills[%zu].drill_servers[%zu].drill_server_id", pos, i);
            want_server(c->f, jsonutil_get_str(json_object_array_get_idx(ds, i), "drill_server_id"),
                        where);
        }
        break;
    case SNAPSHOT_NAMES_NONE:
        break;
    }
}

/* A page of a list was taken: what it names goes out together. */
static void on_page_end(void *ud)
{
    struct list_call *c = ud;

    if (c->f->fatal)
        return;
    fx_batch_flush(c->f);
    fx_volumes_flush(c->f);
}

static void on_list(void *ud, const struct api_list_end *end)
{
    struct list_call *c = ud;
    struct fetch *f = c->f;

    if (!f->fatal) { /* what pages taken before a failure named */
        fx_batch_flush(f);
        fx_volumes_flush(f);
    }
    if (end->complete) {
        struct json_object *arr = json_object_new_array_ext((int)end->count);
        for (size_t i = 0; arr && i < end->count; i++)
            json_object_array_add(arr, json_object_get(end->items[i]));
        if (!arr)
            fx_fatal(f, ERR_NOMEM, "out of memory");
        f->lists[c->part] = arr;
    } else if (end->answer && end->answer->kind == ANSWER_DENIED) {
        fx_denied(f, end->answer, PERM_SDRS);
    } else if (!f->fatal) {
        fx_error(f, end->label, "%s", end->problem);
    }
    free(c);
    fx_op_done(f);
}

/* Starts the group: its object and the first page of each of its lists. */
static void start_group(struct fetch *f)
{
    char label[384], filter[120];
    struct err e = {0};

    if (!api_session_opts(f->s)->ep->evs)
        fx_error(f, "EVS",
                 "the EVS endpoint is unknown (give --evs-endpoint URL or --region): the disks of "
                 "the replication pairs cannot be read, and a failover is not decided without "
                 "them");
    if (api_get_group(f->s, f->group_id, on_group, f, label, sizeof label, &e))
        fx_error(f, "GET server group", "cannot send: %s", e.msg);
    else
        f->pending++;
    snprintf(filter, sizeof filter, "server_group_id=%s", f->group_id);
    for (size_t i = 0; i < snapshot_part_count(); i++) {
        const struct snapshot_part *p = snapshot_part_at(i);
        struct list_call *c;

        if (p->kind != SNAPSHOT_PART_LIST)
            continue;
        if (!(c = calloc(1, sizeof *c))) {
            fx_fatal(f, ERR_NOMEM, "out of memory");
            return;
        }
        *c = (struct list_call){f, i};
        if (api_list(f->s,
                     &(struct api_list_spec){.path = p->api_path,
                                             .key = p->key,
                                             .filter = filter,
                                             .item = p->names ? on_item : NULL,
                                             .page_end = p->names ? on_page_end : NULL,
                                             .done = on_list,
                                             .ud = c},
                     &e)) {
            fx_error(f, p->api_path, "%s", e.msg);
            free(c);
            continue;
        }
        f->pending++;
    }
}

/* ---- assembly -------------------------------------------------------------------------------- */

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A copy of obj with its members sorted by key (a stable, diffable snapshot). */
static struct json_object *sorted_object(struct json_object *obj)
{
    struct json_object *out = json_object_new_object();
    size_t n = (size_t)json_object_object_length(obj), i = 0;
    const char **keys;

    if (!out)
        return NULL;
    keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys) {
        json_object_put(out);
        return NULL;
    }
    json_object_object_foreach(obj, k, unused)
    {
        (void)unused;
        keys[i++] = k;
    }
    qsort(keys, n, sizeof *keys, cmp_keys);
    for (i = 0; i < n; i++) {
        struct json_object *v = NULL;
        jsonutil_get(obj, keys[i], &v);
        json_object_object_add(out, keys[i], json_object_get(v));
    }
    free(keys);
    return out;
}

/* The snapshot document of f into out (its bytes). */
static int assemble(struct fetch *f, struct fetch_result *out)
{
    const struct api_opts *ao = api_session_opts(f->s);
    struct json_object *snap = json_object_new_object(), *eps = json_object_new_object();
    char when[32];
    const char *s;
    size_t len = 0;
    int rc = 0;

    if (!snap || !eps) {
        json_object_put(snap);
        json_object_put(eps);
        return ERR_NOMEM;
    }
    util_format_time(f->started, when, sizeof when);
    json_object_object_add(snap, "schema", json_object_new_string(SNAPSHOT_SCHEMA));
    json_object_object_add(snap, "fetched_at", json_object_new_string(when));
    json_object_object_add(snap, "tool_version", json_object_new_string(SDRS_VERSION));
    json_object_object_add(snap, "project_id", json_object_new_string(ao->ep->project_id));
    json_object_object_add(eps, "sdrs", json_object_new_string(ao->ep->sdrs));
    json_object_object_add(eps, "ecs", json_object_new_string(ao->ep->ecs));
    if (ao->ep->ims && !f->fo->no_images)
        json_object_object_add(eps, "ims", json_object_new_string(ao->ep->ims));
    if (ao->cred->kind == CRED_PASSWORD && ao->ep->iam)
        json_object_object_add(eps, "iam", json_object_new_string(ao->ep->iam));
    if (ao->ep->evs)
        json_object_object_add(eps, "evs", json_object_new_string(ao->ep->evs));
    json_object_object_add(snap, "endpoints", eps);
    if (api_session_roles(f->s)) {
        struct json_object *caller = json_object_new_object(), *roles = NULL;
        if (!caller || json_object_deep_copy(api_session_roles(f->s), &roles, NULL) != 0 ||
            json_object_object_add(caller, "roles", roles)) {
            json_object_put(roles);
            json_object_put(caller);
            rc = ERR_NOMEM;
        } else if (json_object_object_add(
                       caller, "source",
                       json_object_new_string("the roles of the token IAM "
                                              "issued for the password login")) ||
                   json_object_object_add(snap, "caller", caller)) {
            json_object_put(caller);
            rc = ERR_NOMEM;
        }
    }
    for (size_t i = 0; i < snapshot_part_count(); i++) {
        const struct snapshot_part *p = snapshot_part_at(i);
        struct json_object *v = NULL;

        switch (p->kind) {
        case SNAPSHOT_PART_OBJECT:
            v = json_object_get(f->group);
            break;
        case SNAPSHOT_PART_LIST:
            v = json_object_get(f->lists[i]);
            break;
        case SNAPSHOT_PART_MAP: {
            struct json_object *map = strcmp(p->key, "servers") == 0   ? f->servers
                                      : strcmp(p->key, "images") == 0  ? f->images
                                      : strcmp(p->key, "volumes") == 0 ? f->volumes
                                      : strcmp(p->key, "flavors") == 0 ? f->flavors
                                                                       : f->capacity;
            if ((strcmp(p->key, "images") == 0 && (f->fo->no_images || !ao->ep->ims)) || !map)
                continue;
            v = sorted_object(map);
            if (!v)
                rc = ERR_NOMEM;
            break;
        }
        }
        json_object_object_add(snap, p->key, v);
    }
    json_object_object_add(snap, "fetch_errors", json_object_get(f->errors));
    s = rc ? NULL
           : json_object_to_json_string_length(snap,
                                               JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE,
                                               &len);
    if (!s || buf_add(&out->snapshot, s, len) || buf_adds(&out->snapshot, "\n"))
        rc = ERR_NOMEM;
    out->fetch_errors = json_object_array_length(f->errors);
    /* The bytes are what --save-snapshot writes, the digest covers and the check reads: a live
     * check and an offline one read the same way (snapshot_load_buffer). */
    json_object_put(snap);
    return rc;
}

static void fetch_clear(struct fetch *f)
{
    for (size_t i = 0; i < FETCH_MAX_PARTS; i++)
        json_object_put(f->lists[i]);
    json_object_put(f->group);
    json_object_put(f->servers);
    json_object_put(f->images);
    json_object_put(f->volumes);
    json_object_put(f->flavors);
    json_object_put(f->capacity);
    json_object_put(f->asked);
    json_object_put(f->errors);
    idq_clear(&f->batch);
    idq_clear(&f->vbatch);
    memset(f->lists, 0, sizeof f->lists);
    f->group = f->servers = f->images = f->volumes = f->flavors = f->capacity = f->asked =
        f->errors = NULL;
}

static int fetch_init(struct fetch *f, struct api_session *s, const struct fetch_opts *fo,
                      const char *group_id, struct err *e)
{
    memset(f, 0, sizeof *f);
    f->s = s;
    f->fo = fo;
    f->group_id = group_id;
    f->started = fo->clock ? fo->clock() : (long long)time(NULL);
    f->no_batch = &f->own_no_batch;
    f->servers = json_object_new_object();
    f->images = json_object_new_object();
    f->flavors = json_object_new_object();
    if (fo->flavor_capacity)
        f->capacity = json_object_new_object();
    if (api_session_opts(s)->ep->evs)
        f->volumes = json_object_new_object();
    f->asked = json_object_new_object();
    f->errors = json_object_new_array();
    if (!f->servers || !f->images || !f->flavors || !f->asked || !f->errors ||
        (api_session_opts(s)->ep->evs && !f->volumes) || (fo->flavor_capacity && !f->capacity)) {
        fetch_clear(f);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* The result of a settled fetch: the snapshot, or why there is none. Returns 0 or ERR_NOMEM. */
static int conclude(struct fetch *f, struct fetch_result *out)
{
    long long t0 = util_now_us();
    int rc;

    if (f->fatal) {
        out->error = f->fatal;
        snprintf(out->message, sizeof out->message, "%s", f->fatal_err.msg);
        return f->fatal == ERR_NOMEM ? ERR_NOMEM : 0;
    }
    if (!f->group && json_object_array_length(f->errors) == 0)
        fx_error(f, "GET server group", "no answer");
    api_session_stats(f->s, &out->stats);
    rc = assemble(f, out);
    out->assemble_us = util_now_us() - t0;
    return rc;
}

int fetch_group(struct api_session *s, const char *group_id, const struct fetch_opts *fo,
                struct fetch_result *out, struct err *e)
{
    struct fetch f;
    int rc;

    memset(out, 0, sizeof *out);
    buf_init(&out->snapshot, 0);
    if (!api_id_valid(group_id))
        return err_set(e, ERR_INVALID, "'%s' is not a protection group id", group_id);
    if ((rc = fetch_init(&f, s, fo, group_id, e)) != 0)
        return rc;
    start_group(&f);
    rc = api_run(s, e);
    if (!rc && f.fatal) {
        rc = f.fatal;
        if (e)
            *e = f.fatal_err;
    }
    if (!rc && (rc = conclude(&f, out)) != 0)
        err_set(e, rc, "out of memory");
    fetch_clear(&f);
    if (rc)
        fetch_result_clear(out);
    return rc;
}

/* Every call of f has been answered. */
static void fetch_settled(struct fetch *f)
{
    struct many *m = f->many;
    struct fetch_result *out;

    if (!m)
        return;
    f->settled = true;
    out = &m->out[f->index];
    if (!m->rc) {
        if (f->fatal == ERR_AUTH || f->fatal == ERR_NOMEM) {
            m->rc = f->fatal;
            m->err = f->fatal_err;
        } else if (conclude(f, out)) {
            m->rc = err_set(&m->err, ERR_NOMEM, "out of memory");
        }
    }
    fetch_clear(f);
    if (!m->rc && m->done)
        m->done(m->ud, f->index);
}

/* Starts groups until the queue holds enough requests (or none are left, or the run failed). */
static void many_top_up(struct many *m)
{
    while (!m->rc && m->next < m->n && api_queued(m->s) < m->window) {
        size_t i = m->next++;
        struct fetch *f = &m->fs[i];

        if (!api_id_valid(m->ids[i])) {
            m->out[i].error = ERR_INVALID;
            snprintf(m->out[i].message, sizeof m->out[i].message,
                     "'%.80s' is not a protection group id", m->ids[i]);
            if (m->done)
                m->done(m->ud, i);
            continue;
        }
        if ((m->rc = fetch_init(f, m->s, m->fo, m->ids[i], &m->err)) != 0)
            return;
        f->index = i;
        f->many = m;
        f->no_batch = &m->no_batch;
        f->pending++; /* held while the group starts, so that it cannot settle half-started */
        start_group(f);
        if (--f->pending == 0)
            fetch_settled(f);
    }
}

int fetch_groups(struct api_session *s, const char *const *ids, size_t n,
                 const struct fetch_opts *fo, struct fetch_result *out,
                 void (*done)(void *ud, size_t i), void *ud, struct err *e)
{
    struct many m = {.s = s, .fo = fo, .ids = ids, .n = n, .out = out, .done = done, .ud = ud};
    int rc;

    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        buf_init(&out[i].snapshot, 0);
    }
    m.window =
        (size_t)(api_session_opts(s)->http.concurrency > 4 ? api_session_opts(s)->http.concurrency
                                                           : 4);
    m.fs = calloc(n ? n : 1, sizeof *m.fs);
    m.lookup_index = json_object_new_object();
    if (!m.fs || !m.lookup_index) {
        free(m.fs);
        json_object_put(m.lookup_index);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    many_top_up(&m);
    rc = api_run(s, e);
    if (!rc && m.rc) {
        rc = m.rc;
        if (e)
            *e = m.err;
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (i >= m.next || (m.fs[i].s && !m.fs[i].settled)) /* every group started and settled */
            rc = err_set(e, ERR_NET, "group %s: the fetch did not finish", ids[i]);
    for (size_t i = 0; i < n; i++)
        fetch_clear(&m.fs[i]);
    for (size_t i = 0; i < m.nlookups; i++) {
        json_object_put(m.lookups[i].out.value);
        free(m.lookups[i].waiting);
    }
    free(m.lookups);
    json_object_put(m.lookup_index);
    free(m.fs);
    if (rc)
        for (size_t i = 0; i < n; i++)
            fetch_result_clear(&out[i]);
    return rc;
}

void fetch_result_clear(struct fetch_result *r)
{
    buf_free(&r->snapshot);
    r->fetch_errors = 0;
    r->error = 0;
    r->message[0] = '\0';
}
