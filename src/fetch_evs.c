/*
 * fetch_evs.c: what lies below SDRS's own checks (see fetch_internal.h): the EVS disks of every
 * replication pair, the ECS flavor lists of the group's availability zones and, where the cloud
 * offers it (Huawei Cloud), the capacity of each server's flavor.
 *
 * Disks are read in batches of up to API_VOLUME_BATCH_MAX with EVS's ids filter
 * (`cloudvolumes/detail?ids=[...]`, documented by both clouds) at the end of each page of pairs.
 * EVS leaves out ids it does not have, so a disk a batch does not return is read once on its own:
 * `cloudvolumes/{id}` (Huawei Cloud's documented path), and where that path is not served (a 404
 * without an EVS code, as on Open Telekom Cloud, which documents only `os-vendor-volumes/{id}`)
 * that path. Only EVS's own 404 says a disk is gone; anything else is a failure to look.
 */
#include "fetch_internal.h"

#include "jsonutil.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- disks ----------------------------------------------------------------------------------- */

/* True when a 404 is EVS saying "no such disk": its own EVS.* code, or Cinder's itemNotFound
 * (whose code is the number 404) naming the disk ("Volume <id> could not be found."). A bare 404
 * from anything else (a proxy, a route the cloud does not serve) names no disk. */
static bool evs_not_found(const struct answer *a, const char *id)
{
    return a->status == 404 && (strncasecmp(a->code, "EVS.", 4) == 0 ||
                                (strcmp(a->code, "404") == 0 && strstr(a->detail, id)));
}

struct volume_call {
    struct fetch *f;
    bool vendor; /* asked at os-vendor-volumes/{id} */
    char id[80];
};

static void read_volume(struct fetch *f, const char *id, bool vendor, const char *where);

static void on_volume(void *ud, const struct api_reply *r)
{
    struct volume_call *c = ud;
    struct fetch *f = c->f;
    const struct answer *a = r->answer;

    if (f->fatal) {
        /* nothing more is recorded once the fetch cannot go on */
    } else if (a->kind == ANSWER_ERROR && evs_not_found(a, c->id)) {
        fx_record_error(f, f->volumes, c->id, a);
        fx_log(f, 2, "disk %s: EVS does not have it (%s)", c->id, a->detail);
    } else if (a->kind == ANSWER_ERROR && a->status == 404 && !c->vendor) {
        /* the path is not served here (Open Telekom Cloud documents only os-vendor-volumes) */
        fx_log(f, 2, "disk %s: %s: asking at os-vendor-volumes", c->id, a->detail);
        read_volume(f, c->id, true, a->label);
    } else if (a->kind == ANSWER_ERROR && a->status == 404) {
        fx_error(f, a->label,
                 "%s without an EVS error code: cannot tell whether the disk was deleted",
                 a->detail);
    } else if (a->kind == ANSWER_ERROR || (a->kind == ANSWER_DENIED && a->status == 403)) {
        if (a->kind == ANSWER_DENIED)
            fx_denied(f, a, PERM_EVS_GET);
        else
            fx_error(f, a->label, "%s", a->detail);
        fx_record_error(f, f->volumes, c->id, a);
    } else if (fx_reply_ok(f, r, PERM_EVS_GET)) {
        fx_record(f, f->volumes, c->id, "volume", r->obj);
    }
    free(c);
    fx_op_done(f);
}

/* Reads one disk with its own GET (the id is valid and asked for once). */
static void read_volume(struct fetch *f, const char *id, bool vendor, const char *where)
{
    struct volume_call *c = fx_call_new(f, sizeof *c);
    char label[384];
    struct err e = {0};

    if (!c)
        return;
    c->vendor = vendor;
    snprintf(c->id, sizeof c->id, "%s", id);
    fx_call_sent(f, api_get_volume(f->s, id, vendor, on_volume, c, label, sizeof label, &e), c,
                 where, &e);
}

struct volumes_call {
    struct fetch *f;
    size_t n;
    char ids[API_VOLUME_BATCH_MAX][80];
};

static void on_volumes(void *ud, const struct api_reply *r)
{
    struct volumes_call *c = ud;
    struct fetch *f = c->f;
    const struct answer *a = r->answer;
    struct json_object *found[API_VOLUME_BATCH_MAX] = {0};
    bool twice[API_VOLUME_BATCH_MAX] = {false};

    if (f->fatal)
        goto out;
    if (a->kind == ANSWER_DENIED) {
        /* the finding names evs:volumes:list; a single read needs evs:volumes:get, which the
         * credential may have: each disk's own answer says what it can */
        fx_denied(f, a, PERM_EVS_LIST);
        if (f->fatal)
            goto out;
        for (size_t j = 0; j < c->n; j++)
            read_volume(f, c->ids[j], false, a->label);
        goto out;
    }
    if (a->kind != ANSWER_JSON || r->problem) {
        /* the batch could not be read: each disk on its own says more */
        fx_log(f, 1, "%s: %s: reading its disks one by one", a->label,
               r->problem ? r->problem : a->detail);
        for (size_t j = 0; j < c->n; j++)
            read_volume(f, c->ids[j], false, a->label);
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(r->obj); i++) {
        struct json_object *v = json_object_array_get_idx(r->obj, i);
        const char *id = jsonutil_get_str(v, "id");
        size_t j = 0;

        while (j < c->n && !util_same_id(id, c->ids[j]))
            j++;
        if (j == c->n)
            continue; /* not asked for: a cloud that ignores the filter; the asked ones count */
        if (found[j])
            twice[j] = true;
        else
            found[j] = v;
    }
    for (size_t j = 0; j < c->n; j++) {
        if (twice[j])
            fx_error(f, a->label,
                     "disk id '%s' appears twice in the answer: which entry is the disk cannot be "
                     "told",
                     c->ids[j]);
        else if (found[j])
            fx_record(f, f->volumes, c->ids[j], "volume", found[j]);
        else
            read_volume(f, c->ids[j], false, a->label); /* EVS leaves out what it lacks */
    }
out:
    free(c);
    fx_op_done(f);
}

/* Sends ids[0..n) (n <= API_VOLUME_BATCH_MAX) as one batch. */
static void volumes_send(struct fetch *f, char **ids, size_t n)
{
    struct volumes_call *c = fx_call_new(f, sizeof *c);
    const char *ptrs[API_VOLUME_BATCH_MAX];
    char label[384];
    struct err e = {0};

    if (!c)
        return;
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(c->ids[i], sizeof c->ids[i], "%s", ids[i]);
        ptrs[i] = c->ids[i];
    }
    if (!api_get_volumes(f->s, ptrs, n, on_volumes, c, label, sizeof label, &e)) {
        f->pending++;
        return;
    }
    fx_log(f, 1, "a batch of %zu disks cannot be sent (%s): reading them one by one", n, e.msg);
    for (size_t i = 0; i < n; i++)
        read_volume(f, c->ids[i], false, "GET disks");
    free(c);
}

void fx_volumes_flush(struct fetch *f)
{
    for (size_t i = 0; i < f->vbatch.n; i += API_VOLUME_BATCH_MAX)
        volumes_send(f, f->vbatch.ids + i,
                     f->vbatch.n - i < API_VOLUME_BATCH_MAX ? f->vbatch.n - i
                                                            : API_VOLUME_BATCH_MAX);
    idq_clear(&f->vbatch);
}

/* The disks of a pair: volume_ids is one string of ids joined by commas ("<prod>,<dr>", or one
 * id). Ids that cannot go into a URL are fetch errors; a pair without the string names nothing
 * (the disk rule reports it). */
void fx_want_volumes(struct fetch *f, struct json_object *pair, const char *where)
{
    const char *ids = jsonutil_get_str(pair, "volume_ids");
    size_t named = 0;

    if (!f->volumes || !ids)
        return;
    while (*ids) {
        size_t n = strcspn(ids, ",");
        char id[96], key[112];
        size_t a = 0, b = n;

        while (a < b && (ids[a] == ' ' || ids[a] == '\t'))
            a++;
        while (b > a && (ids[b - 1] == ' ' || ids[b - 1] == '\t'))
            b--;
        if (b - a >= sizeof id) {
            fx_error(f, where, "disk id '%.64s...' is longer than any id EVS issues", ids + a);
        } else if (b > a && ++named > 2) {
            /* a pair has a production and a DR disk (SDRS-020 reports any other count): a list
             * of thousands from a hostile answer is not read disk by disk */
            fx_error(f, where,
                     "volume_ids names more than the two disks of a pair: the others are not "
                     "read");
            return;
        } else if (b > a) {
            memcpy(id, ids + a, b - a);
            id[b - a] = '\0';
            snprintf(key, sizeof key, "volume:%s", id);
            if (!jsonutil_get(f->asked, key, NULL)) {
                json_object_object_add(f->asked, key, NULL);
                if (!api_id_valid(id))
                    fx_error(f, where,
                             "disk id '%.64s' cannot be requested (unexpected characters)", id);
                else if (idq_add(&f->vbatch, id))
                    fx_fatal(f, ERR_NOMEM, "out of memory");
            }
        }
        ids += n + (ids[n] == ',');
    }
}

/* ---- flavor lists and capacity ------------------------------------------------------------- */

/* The part of an answer's meaning that flavor lists and capacity share: a denial or an error
 * answer is recorded (and, unless it is a 404 of a call the cloud may not offer, a fetch error);
 * returns true when r holds the object asked for. */
static bool map_outcome(struct fetch *f, const struct api_reply *r, struct outcome *o,
                        bool not_offered_404)
{
    const struct answer *a = r->answer;

    if (a->kind == ANSWER_DENIED && a->status != 403) {
        o->fatal = ERR_AUTH;
        api_refused(f->s, a, o->error, sizeof o->error);
    } else if (a->kind == ANSWER_ERROR || a->kind == ANSWER_DENIED) {
        if (!(o->value = fx_error_entry(a))) {
            o->fatal = ERR_NOMEM;
            snprintf(o->error, sizeof o->error, "out of memory");
        } else if (a->kind == ANSWER_DENIED)
            fx_denied_text(a, PERM_ECS_FLAVORS, o->error, sizeof o->error);
        else if (!(not_offered_404 && a->status == 404))
            snprintf(o->error, sizeof o->error, "%s", a->detail);
        else
            fx_log(f, 2, "%s: not offered here (%s)", a->label, a->detail);
    } else if (a->kind != ANSWER_JSON || r->problem) {
        snprintf(o->error, sizeof o->error, "%s", r->problem ? r->problem : a->detail);
    } else {
        return true;
    }
    return false;
}

/* The record of an answer that holds the object asked for (member key). */
static void found_outcome(struct outcome *o, const char *key, struct json_object *obj)
{
    if (!(o->value = fx_found_entry(key, obj))) {
        o->fatal = ERR_NOMEM;
        snprintf(o->error, sizeof o->error, "out of memory");
    }
}

void fx_flavors_outcome(struct fetch *f, const struct api_reply *r, struct outcome *o)
{
    if (map_outcome(f, r, o, false))
        found_outcome(o, "flavors", r->obj);
}

/* Huawei Cloud's flavor capacity: a 404 is a cloud that does not offer the call (Open Telekom
 * Cloud): the flavor has no capacity evidence, which the rule says; nothing failed. */
void fx_capacity_outcome(struct fetch *f, const struct api_reply *r, struct outcome *o)
{
    if (map_outcome(f, r, o, true))
        found_outcome(o, "resources", r->obj);
}

void fx_want_flavors(struct fetch *f, const char *zone, const char *where)
{
    if (zone && *zone) /* a group that names no zone: the flavor rule reports it */
        fx_lookup(f, LOOKUP_FLAVORS, zone, where);
}

void fx_want_capacity(struct fetch *f, struct json_object *server)
{
    struct json_object *flavor;
    const char *id;

    /* a server without a flavor id: the flavor rules report it */
    if (f->capacity && jsonutil_get(server, "flavor", &flavor) &&
        (id = jsonutil_get_str(flavor, "id")) != NULL && *id)
        fx_lookup(f, LOOKUP_CAPACITY, id, "GET flavor capacity");
}
