/*
 * The live fetch: the protection group, its protected instances, replication pairs and DR drills
 * (every page), every source and target server from ECS and their images from IMS, assembled into a
 * snapshot (`sdrs-preflight/snapshot@1`). With an IAM password it first exchanges the password for
 * a token (and takes missing endpoints and the project id from the catalog).
 *
 * Requests go out as soon as their inputs are known: the group and the first page of each list
 * together, further pages as soon as a first page tells the count, each server as soon as an
 * instance names it, each image as soon as a server names it. What could not be fetched after the
 * HTTP layer's retries goes into the snapshot's fetch_errors, never into silence.
 *
 * api_fetch returns the snapshot as bytes in out->snapshot and as a tree in out->tree (both owned
 * by the caller: api_result_clear); a struct api_result holds no secret. Credentials and endpoints
 * are borrowed; the endpoints struct is updated in place from the IAM catalog.
 */
#ifndef SDRS_API_H
#define SDRS_API_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "http.h"

struct json_object;

#define API_DEFAULT_PAGE_LIMIT 1000
#define API_DEFAULT_MAX_ITEMS  20000

struct api_opts {
    const struct credentials *cred;
    struct endpoints *ep;
    struct http_opts http;
    size_t page_limit;        /* items asked per list page (1..1000) */
    size_t max_items;         /* instances, pairs, drills, servers: more is a fetch error */
    int max_depth;            /* JSON nesting of a response (0: the default, 64) */
    bool no_images;           /* skip IMS */
    long long (*clock)(void); /* seconds since the epoch, read when each fetch starts (its
                                 fetched_at) and for each AK/SK-signed attempt (NULL: time()) */
    void (*log)(void *ud, int level, const char *msg);
    void *log_ud;
};

struct api_result {
    struct buf snapshot;      /* the snapshot JSON (complete or with fetch_errors) */
    struct json_object *tree; /* the same document, parsed (owned; snapshot_load_tree takes it) */
    size_t fetch_errors;      /* entries in its fetch_errors */
    struct http_stats stats;
    int error; /* api_fetch_many: why this group has no snapshot (0: it has one) */
    char message[512];
};

struct api_session;

/* Opens a session: the HTTP client, and with an IAM password the token exchange (which fills
 * missing endpoints and the project id from the catalog). Fails with ERR_AUTH (IAM refused: names
 * the user and what to check), ERR_API/ERR_NET (IAM failed), ERR_INVALID (an endpoint or the
 * project id is unknown) or ERR_NOMEM. The session keeps o->cred and o->ep borrowed. */
int api_session_new(const struct api_opts *o, struct api_session **out, struct err *e);
void api_session_free(struct api_session *s);
void api_session_stats(const struct api_session *s, struct http_stats *out);

/* Fetches and assembles the snapshot of a group. Returns 0 when a snapshot was produced (it may
 * hold fetch errors); otherwise an error that makes any snapshot meaningless, with a message
 * saying what to check: ERR_AUTH (credentials rejected: names the credential kind and source),
 * ERR_API (the group does not exist), ERR_NOMEM. */
int api_fetch(struct api_session *s, const char *group_id, struct api_result *out, struct err *e);
void api_result_clear(struct api_result *r);

/* Fetches several groups in one go, all requests sharing the session's concurrency limit; an
 * image several groups run is asked for once and its answer given to each. out[i] gets
 * group_ids[i]'s snapshot, or error/message when none could be built for it (group not found).
 * done(ud, i) is called as soon as group i is complete, while the others are still fetched:
 * out[i] is final then, and the callback may use and clear it (api_result_clear). Returns 0, or
 * an error that ends the whole run (ERR_AUTH: the credentials were refused; ERR_NOMEM); then every
 * out[i] is cleared. */
int api_fetch_many(struct api_session *s, const char *const *group_ids, size_t n,
                   struct api_result *out, void (*done)(void *ud, size_t i), void *ud,
                   struct err *e);

/* The ids of every protection group of the project (all pages), sorted. *ids is owned by the
 * caller (api_ids_free). */
int api_list_groups(struct api_session *s, char ***ids, size_t *n, struct err *e);
void api_ids_free(char **ids, size_t n);

/* One SDRS request; path follows /v1/{project_id}, e.g. "/server-groups/ID/action". A POST is
 * sent once (never replayed: the HTTP layer does not retry it once it may have reached SDRS); GET,
 * PUT and DELETE are retried by the HTTP layer's policy. */
struct api_response {
    int status;
    struct buf body;
    int error;       /* transport failure after retries (see http.h) */
    bool maybe_sent; /* a failed request may have reached the server */
    int attempts;
    char message[256]; /* the HTTP layer's account of a failure */
    char code[64];     /* the API error code of a non-2xx answer, if any */
    char detail[400];  /* "CODE: message" of a non-2xx answer */
    char label[400];   /* "POST /v1/<project>/server-groups/<id>/action" */
};
/* Returns 0 once the request was submitted: its outcome, a transport failure or a failure of the
 * HTTP client itself included, is in out (error, maybe_sent, message). An error (ERR_INVALID,
 * ERR_NOMEM) only when it could not be submitted: then nothing was sent. out->body is owned by
 * the caller (api_response_clear). */
int api_call(struct api_session *s, const char *method, const char *path, const char *body,
             struct api_response *out, struct err *e);
void api_response_clear(struct api_response *r);
/* Parses r's body (name for messages) with the session's JSON depth limit; *out is owned. */
int api_response_json(const struct api_session *s, const struct api_response *r, const char *name,
                      struct json_object **out, struct err *e);

/* True for ids that may go into a URL path: letters, digits, '-', '_', '.', 1..64 bytes. */
bool api_id_valid(const char *id);

#endif
