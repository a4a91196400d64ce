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

/* What is looked up once and, in a fetch_groups run, shared by the groups that need it. */
enum lookup_kind {
    LOOKUP_IMAGE,    /* IMS image by id, into images */
    LOOKUP_FLAVORS,  /* ECS flavor list by availability zone, into flavors */
    LOOKUP_CAPACITY, /* Huawei Cloud flavor capacity by flavor id, into capacity */
};

/* What a lookup's answer means for every group that needs it. */
struct outcome {
    enum lookup_kind kind;
    char key[96];              /* its key in the group's map: image id, zone, flavor id */
    char label[384];           /* the request */
    struct json_object *value; /* what goes into the map under key (a reference), or NULL */
    int fatal;                 /* ERR_AUTH: the credentials were refused */
    char error[1000];          /* a fetch error ("" when none) */
};

/* Ids waiting to be sent together (a batch of servers or disks). */
struct idqueue {
    char **ids;
    size_t n, cap;
};
/* Appends a copy of id; returns ERR_NOMEM or 0. */
int idq_add(struct idqueue *q, const char *id);
/* Frees the ids and empties the queue. */
void idq_clear(struct idqueue *q);

/* The fetch of one group. */
struct fetch {
    struct api_session *s;
    const struct fetch_opts *fo;
    const char *group_id;
    struct json_object *group;
    struct json_object *lists[FETCH_MAX_PARTS]; /* by part index: the complete list, else NULL */
    struct json_object *servers;
    struct json_object *images;
    struct json_object *volumes;  /* EVS disks by id (NULL without an EVS endpoint) */
    struct json_object *flavors;  /* ECS flavor lists by availability zone */
    struct json_object *capacity; /* Huawei Cloud's flavor capacity answers by flavor id */
    struct json_object *asked;    /* "server:<id>", "image:<id>", "volume:<id>", "flavors:<zone>" */
    struct json_object *errors;
    int fatal;
    struct err fatal_err;
    int pending;           /* calls and lists not answered yet */
    long long started;     /* seconds since the epoch: the snapshot's fetched_at */
    struct idqueue batch;  /* batch mode: server ids waiting for the end of their page */
    struct idqueue vbatch; /* disk ids waiting for the end of their page of pairs */
    bool *no_batch;        /* the cloud does not honour the id filter: one GET per server (shared
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
/* The credentials were refused (401): the whole fetch ends. */
void fx_refused(struct fetch *f, const struct answer *a);
/* What a 403 means for a read that needs permission, into out. */
void fx_denied_text(const struct answer *a, const char *permission, char *out, size_t size);
/* A denied answer: 401 ends the fetch (fx_refused); 403 is a fetch error naming the permission
 * the read needs (readiness-api.md §5). */
void fx_denied(struct fetch *f, const struct answer *a, const char *permission);
/* An answer that is not the object asked for, as a fetch error (fx_denied for a denial). Returns
 * true when r holds the object. */
bool fx_reply_ok(struct fetch *f, const struct api_reply *r, const char *permission);
/* A call's context: size bytes, zeroed, whose first member is the fetch (struct fetch *f), set to
 * f; NULL when out of memory (the fetch then ends). */
void *fx_call_new(struct fetch *f, size_t size);
/* After an api_* call that sent ctx's request (rc its result): counts the request in flight, or
 * records at where why it could not be sent and frees ctx. Returns true when it was sent. */
bool fx_call_sent(struct fetch *f, int rc, void *ctx, const char *where, const struct err *e);
/* Looks key up once (kind), sharing the answer with the other groups of a fetch_groups run; a
 * key that cannot go into a URL is a fetch error at where. */
void fx_lookup(struct fetch *f, enum lookup_kind kind, const char *key, const char *where);
/* The records of a map: {"http_status": 200, "<key>": obj} (a new reference to obj), and the
 * error answer a gave (without its request id); NULL when out of memory. */
struct json_object *fx_found_entry(const char *key, struct json_object *obj);
struct json_object *fx_error_entry(const struct answer *a);
/* Records an answer in a map of the snapshot (servers, volumes, flavors): {"http_status": 200,
 * "<key>": obj}, or the error the service gave: {"http_status": n, "error": {"code",
 * "message"}}. */
void fx_record(struct fetch *f, struct json_object *map, const char *id, const char *key,
               struct json_object *obj);
void fx_record_error(struct fetch *f, struct json_object *map, const char *id,
                     const struct answer *a);
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

/* fetch_evs.c: asks for the disks of a pair (volume_ids), read in batches at the end of each page
 * of pairs (fx_volumes_flush); asks for the flavor list of a zone. */
void fx_want_volumes(struct fetch *f, struct json_object *pair, const char *where);
void fx_volumes_flush(struct fetch *f);
void fx_want_flavors(struct fetch *f, const char *zone, const char *where);
/* Asks once for the capacity of a server's flavor (fo->flavor_capacity). */
void fx_want_capacity(struct fetch *f, struct json_object *server);
/* What a flavor list's and a flavor capacity's answers mean (struct outcome). */
void fx_flavors_outcome(struct fetch *f, const struct api_reply *r, struct outcome *o);
void fx_capacity_outcome(struct fetch *f, const struct api_reply *r, struct outcome *o);

/* The documented permissions of the reads (readiness-api.md §5.1), for fx_denied. */
#define PERM_SDRS                                                                                  \
    "the SDRS Administrator role (sdrs_adm, with Tenant Guest and Server Administrator; SDRS has " \
    "no finer permission)"
#define PERM_ECS_SHOW    "ecs:cloudServers:showServer"
#define PERM_ECS_LIST    "ecs:cloudServers:list"
#define PERM_ECS_FLAVORS "ecs:cloudServerFlavors:get"
#define PERM_EVS_GET     "evs:volumes:get"
#define PERM_EVS_LIST    "evs:volumes:list"
#define PERM_IMS                                                                                   \
    "read access to IMS images (GET /v2/cloudimages; readiness-api.md names no IMS action)"

#endif
