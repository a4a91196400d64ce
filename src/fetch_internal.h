/*
 * fetch_internal.h: what fetch.c (one group, many groups, images) and fetch_batch.c (servers read
 * in batches) share. Not for other modules: they see fetch.h.
 */
#ifndef SDRS_FETCH_INTERNAL_H
#define SDRS_FETCH_INTERNAL_H

#include "api.h"
#include "fetch.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define FETCH_MAX_PARTS 8

struct many;

/* The fetch of one group. */
struct fetch {
    struct api_session *s;
    const struct fetch_opts *fo;
    const char *group_id;
    struct json_object *group;
    struct json_object *lists[FETCH_MAX_PARTS]; /* by part index: the complete list, else NULL */
    struct json_object *servers;
    struct json_object *images;
    struct json_object *asked; /* "server:<id>", "image:<id>" already requested */
    struct json_object *errors;
    int fatal;
    struct err fatal_err;
    int pending;       /* calls and lists not answered yet */
    long long started; /* seconds since the epoch: the snapshot's fetched_at */
    char **batch;      /* batch mode: server ids waiting for the end of their page */
    size_t nbatch, capbatch;
    bool *no_batch; /* the cloud does not honour the id filter: one GET per server (shared
                       by a fetch_groups run, else own_no_batch) */
    bool own_no_batch;
    struct many *many; /* fetch_groups: the run this group is part of (else NULL) */
    size_t index;      /* fetch_groups: its position in the run */
    bool settled;      /* fetch_groups: every call was answered and the result built */
};

/* A log line (verbosity level) through the session's logger. */
void fx_log(const struct fetch *f, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records what could not be fetched (it ends up in the snapshot's fetch_errors). */
void fx_error(struct fetch *f, const char *request, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends the fetch: nothing more is recorded (the first cause is kept). */
void fx_fatal(struct fetch *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The credentials were refused (401/403): the whole fetch ends. */
void fx_refused(struct fetch *f, const struct answer *a);
/* One call of f was answered. */
void fx_op_done(struct fetch *f);
/* Records the server object ECS gave for id, and asks for its image. */
void fx_server_found(struct fetch *f, const char *id, struct json_object *server,
                     const char *label);
/* Reads one server with its own GET (the id is valid and asked for once). */
void fx_read_server(struct fetch *f, const char *id, const char *where);

/* fetch_batch.c: keeps a server id for the batch sent at the end of its page; sends the ids
 * waiting; frees them. */
void fx_batch_add(struct fetch *f, const char *id);
void fx_batch_flush(struct fetch *f);
void fx_batch_clear(struct fetch *f);

#endif
