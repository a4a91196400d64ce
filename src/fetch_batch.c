/* fetch_batch.c: servers read in batches with ECS's server_id filter (see fetch_internal.h). */
#include "fetch_internal.h"

#include "jsonutil.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/*
 * Batch mode reads up to API_BATCH_MAX servers per request with the id filter of Huawei Cloud's
 * ECS. The classification stays exactly as strict as with one GET per server: a batch answer only
 * ever adds servers it returns with real fields. An id it leaves out, or returns with null fields
 * (how that ECS answers for an id it does not know), is read again with its own GET, whose answer
 * alone may say the server is gone. An answer holding servers not asked for means the filter was
 * ignored (a cloud without it): its ids are read one by one, and so is everything after it.
 */

struct batch_call {
    struct fetch *f;
    size_t n;
    char ids[API_BATCH_MAX][80];
};

/* Stops batching for the rest of the run, saying why once. */
static void batch_off(struct fetch *f, const char *label, const char *why)
{
    if (*f->no_batch)
        return;
    *f->no_batch = true;
    fx_log(f, 1, "%s: %s: reading one server per request from here on", label, why);
}

/* A batch entry with real fields: ECS answers an unknown id with an entry whose fields (but id
 * and fault) are null, so a server counts only with its status. */
static bool batch_entry_real(struct json_object *server)
{
    const char *status = jsonutil_get_str(server, "status");

    return status && *status;
}

static void on_servers(void *ud, const struct api_reply *r)
{
    struct batch_call *c = ud;
    struct fetch *f = c->f;
    const struct answer *a = r->answer;
    struct json_object *found[API_BATCH_MAX] = {0};
    bool twice[API_BATCH_MAX] = {false};
    size_t foreign = 0, n;

    if (f->fatal)
        goto out;
    if (a->kind == ANSWER_DENIED) {
        fx_denied(f, a, PERM_ECS_LIST);
        goto out;
    }
    if (a->kind != ANSWER_JSON || r->problem) {
        batch_off(f, a->label, r->problem ? r->problem : a->detail);
        for (size_t j = 0; j < c->n; j++)
            fx_read_server(f, c->ids[j], a->label);
        goto out;
    }
    n = json_object_array_length(r->obj);
    for (size_t i = 0; i < n; i++) {
        struct json_object *server = json_object_array_get_idx(r->obj, i);
        const char *id = jsonutil_get_str(server, "id");
        size_t j = 0;

        while (j < c->n && !util_same_id(id, c->ids[j]))
            j++;
        if (j == c->n)
            foreign++;
        else if (found[j])
            twice[j] = true;
        else
            found[j] = server;
    }
    if (foreign) {
        batch_off(f, a->label,
                  "the answer holds servers that were not asked for (the server_id filter is not "
                  "supported here)");
        for (size_t j = 0; j < c->n; j++)
            fx_read_server(f, c->ids[j], a->label);
        goto out;
    }
    for (size_t j = 0; j < c->n; j++) {
        if (twice[j]) {
            fx_error(f, a->label,
                     "server id '%s' appears twice in the answer: which entry is the server "
                     "cannot be told",
                     c->ids[j]);
        } else if (found[j] && batch_entry_real(found[j])) {
            fx_server_found(f, c->ids[j], found[j], a->label);
        } else {
            fx_log(f, 2, "server %s: %s the batch answer: asking for it alone", c->ids[j],
                   found[j] ? "null fields in" : "not in");
            fx_read_server(f, c->ids[j], a->label);
        }
    }
out:
    free(c);
    fx_op_done(f);
}

/* Sends ids[0..n) as one batch request (or one by one once batching is off). */
static void batch_send(struct fetch *f, char **ids, size_t n)
{
    struct batch_call *c = *f->no_batch ? NULL : calloc(1, sizeof *c);
    const char *ptrs[API_BATCH_MAX];
    char label[384];
    struct err e = {0};

    if (c) {
        c->f = f;
        c->n = n;
        for (size_t i = 0; i < n; i++) {
            snprintf(c->ids[i], sizeof c->ids[i], "%s", ids[i]);
            ptrs[i] = c->ids[i];
        }
        if (!api_get_servers(f->s, ptrs, n, on_servers, c, label, sizeof label, &e)) {
            f->pending++;
            return;
        }
        fx_log(f, 1, "a batch of %zu servers cannot be sent (%s): reading them one by one", n,
               e.msg);
        free(c);
    }
    for (size_t i = 0; i < n; i++)
        fx_read_server(f, ids[i], "GET servers");
}

/* Sends the ids waiting, spread over the connections: at least ten ids a request (when there are
 * as many), at most API_BATCH_MAX, as many requests as connections when that fits. */
void fx_batch_flush(struct fetch *f)
{
    size_t n = f->batch.n, conns = (size_t)api_session_opts(f->s)->http.concurrency, k, per;

    if (n == 0)
        return;
    k = (n + 9) / 10;
    if (k > conns)
        k = conns;
    if (k < (n + API_BATCH_MAX - 1) / API_BATCH_MAX)
        k = (n + API_BATCH_MAX - 1) / API_BATCH_MAX;
    if (k == 0)
        k = 1;
    per = (n + k - 1) / k;
    for (size_t i = 0; i < n; i += per)
        batch_send(f, f->batch.ids + i, n - i < per ? n - i : per);
    idq_clear(&f->batch);
}

/* Keeps id for the batch sent at the end of its page. */
void fx_batch_add(struct fetch *f, const char *id)
{
    if (idq_add(&f->batch, id))
        fx_fatal(f, ERR_NOMEM, "out of memory");
}

int idq_add(struct idqueue *q, const char *id)
{
    char *copy;

    if (q->n == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 64;
        char **nb = realloc(q->ids, ncap * sizeof *nb);
        if (!nb)
            return ERR_NOMEM;
        q->ids = nb;
        q->cap = ncap;
    }
    if (!(copy = util_strdup(id)))
        return ERR_NOMEM;
    q->ids[q->n++] = copy;
    return 0;
}

void idq_clear(struct idqueue *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->ids[i]);
    free(q->ids);
    q->ids = NULL;
    q->n = q->cap = 0;
}
