/*
 * The SDRS, ECS and IMS calls of a preflight, typed. Each call builds its URL below the session's
 * endpoints, sends it over the session's requester (request.h: signed, labelled, one check of
 * status, body and JSON) and hands its handler the object it asked for, checked for shape. One
 * pager reads a whole list: every page, each id once, the count consistent. Nothing here knows a
 * snapshot (fetch.h assembles one) or prints.
 *
 * Ownership: api_session_new returns an owned session (api_session_free). It borrows o->cred and
 * o->ep; o->ep is updated in place from the IAM catalog of a password login. Everything a handler
 * receives is borrowed and lives only during the handler.
 */
#ifndef SDRS_API_H
#define SDRS_API_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "http.h"
#include "request.h"
#include "vocab.h"

struct json_object;

#define API_DEFAULT_PAGE_LIMIT 1000
#define API_DEFAULT_MAX_ITEMS  20000
#define API_MAX_GAP_FILLS      8
#define API_BATCH_MAX          100 /* ids in one server_id filter (sdrs-api.md 9.3) */
#define API_VOLUME_BATCH_MAX   60  /* ids in one EVS ids filter (readiness-api.md 1.2) */

struct api_opts {
    const struct credentials *cred;
    struct endpoints *ep;
    struct http_opts http;
    size_t page_limit;        /* items asked per list page (1..1000) */
    size_t max_items;         /* a list with more items is an error */
    int max_depth;            /* JSON nesting of a response (0: the default, 64) */
    long long (*clock)(void); /* seconds since the epoch, for AK/SK signing (NULL: time()) */
    void (*log)(void *ud, int level, const char *msg);
    void *log_ud;
};

struct api_session;

/* Opens a session: the requester, and with an IAM password the login (which fills missing
 * endpoints and the project id from the catalog). Fails with ERR_AUTH (IAM refused: names the
 * user and what to check), ERR_API/ERR_NET (IAM failed), ERR_INVALID (an endpoint or the project
 * id is unknown or unusable) or ERR_NOMEM. */
int api_session_new(const struct api_opts *o, struct api_session **out, struct err *e);
void api_session_free(struct api_session *s);
const struct api_opts *api_session_opts(const struct api_session *s);
void api_session_stats(const struct api_session *s, struct http_stats *out);
/* The role names the credential showed at login (auth_roles), or NULL. */
struct json_object *api_session_roles(const struct api_session *s);
/* Requests queued and not started yet: a caller with much to send submits as this drains. */
size_t api_queued(const struct api_session *s);
/* Runs until every request is answered (see request_run). */
int api_run(struct api_session *s, struct err *e);
/* "<label> was refused with the token credentials from OS_AUTH_TOKEN (<detail>): <what to check>"
 * for an ANSWER_DENIED answer, into out. */
void api_refused(const struct api_session *s, const struct answer *a, char *out, size_t size);

/* True for ids that may go into a URL path: letters, digits, '-', '_', '.', 1..64 bytes. */
bool api_id_valid(const char *id);

/* ---- single objects -------------------------------------------------------------------------- */

/* What a typed call's handler receives: the answer, and the object asked for when the answer is
 * JSON of the expected shape; else obj is NULL and, for a JSON answer, problem says what is wrong
 * with it ("no \"server\" object", "the answer is about server 'x', not 'y'"). */
struct api_reply {
    const struct answer *answer;
    struct json_object *obj; /* borrowed */
    const char *problem;     /* ANSWER_JSON of the wrong shape, else NULL */
};
typedef void api_reply_fn(void *ud, const struct api_reply *r);

/* GET /v1/{project}/server-groups/{id}: obj is the "server_group" object, whose id is id. */
int api_get_group(struct api_session *s, const char *id, api_reply_fn *fn, void *ud, char *label,
                  size_t lsize, struct err *e);
/* GET {ecs}/v1/{project}/cloudservers/{id}: obj is the "server" object (its id, when it has one,
 * is id). A deleted server is an ANSWER_ERROR with status 404 and an Ecs.* code. */
int api_get_server(struct api_session *s, const char *id, api_reply_fn *fn, void *ud, char *label,
                   size_t lsize, struct err *e);
/* GET {ecs}/v1/{project}/cloudservers/detail?server_id=<id>,...&limit=n, Huawei Cloud's id filter
 * (1..API_BATCH_MAX ids): obj is the "servers" array, every element an object with a string id.
 * What it means (which ids came back, and whether with real fields) is the caller's to judge: a
 * cloud that ignores the filter answers with other servers, and an unknown id comes back with
 * null fields. */
int api_get_servers(struct api_session *s, const char *const *ids, size_t n, api_reply_fn *fn,
                    void *ud, char *label, size_t lsize, struct err *e);
/* GET {ims}/v2/cloudimages?id={id}: obj is the image with that id, or NULL (problem NULL) when
 * the list has none; every element of "images" must be an object with an id. It goes ahead of
 * the requests queued (the servers that name it are read already). */
int api_get_image(struct api_session *s, const char *id, api_reply_fn *fn, void *ud, char *label,
                  size_t lsize, struct err *e);

/* GET {evs}/v2/{project}/cloudvolumes/{id} (vendor: os-vendor-volumes/{id}, the path Open Telekom
 * Cloud documents): obj is the "volume" object, whose id is id. A disk EVS does not have is an
 * ANSWER_ERROR with status 404 and an EVS.* code or Cinder's itemNotFound (code "404"). */
int api_get_volume(struct api_session *s, const char *id, bool vendor, api_reply_fn *fn, void *ud,
                   char *label, size_t lsize, struct err *e);
/* GET {evs}/v2/{project}/cloudvolumes/detail?ids=['a','b',...]&limit=n (1..API_VOLUME_BATCH_MAX
 * ids): obj is the "volumes" array, every element an object with a string id. EVS leaves out ids
 * it does not have; which came back is the caller's to judge. */
int api_get_volumes(struct api_session *s, const char *const *ids, size_t n, api_reply_fn *fn,
                    void *ud, char *label, size_t lsize, struct err *e);
/* GET {ecs}/v1/{project}/cloudservers/flavors?availability_zone=zone: obj is the "flavors" array,
 * every element an object with a string id (OTC lists only the flavors on sale in the zone). */
int api_get_flavors(struct api_session *s, const char *zone, api_reply_fn *fn, void *ud,
                    char *label, size_t lsize, struct err *e);

/* GET {ecs}/v1/{project}/cloudservers/flavors/{flavor}/resources, Huawei Cloud's "Querying the
 * Capacity of a Flavor" (ecs_02_2604; Open Telekom Cloud documents no such call): obj is the
 * "resources" array, every element an object ({"region_id", "availability_zone", "prefer"}). */
int api_get_flavor_capacity(struct api_session *s, const char *flavor, api_reply_fn *fn, void *ud,
                            char *label, size_t lsize, struct err *e);

/* ---- the pager ------------------------------------------------------------------------------- */

/* How a list ended. */
struct api_list_end {
    bool complete;                    /* every item was read, each id once */
    struct json_object *const *items; /* complete: the items in order (borrowed) */
    size_t count;
    const char *label;           /* not complete: the request that failed */
    const struct answer *answer; /* not complete: its answer when it was not JSON, else NULL */
    const char *problem;         /* not complete: what went wrong ("id 'x' appears twice ...") */
};

struct api_list_spec {
    const char *path;   /* below /v1/{project}/: "protected-instances", "server-groups" */
    const char *key;    /* the array in each answer: "protected_instances" */
    const char *filter; /* a query filter ("server_group_id=ID") or NULL */
    /* each item once, as it arrives (pages may come in any order); may be NULL */
    void (*item)(void *ud, size_t pos, struct json_object *item);
    /* after the items of each page that was taken; may be NULL */
    void (*page_end)(void *ud);
    /* once, when the list is complete or cannot be */
    void (*done)(void *ud, const struct api_list_end *end);
    void *ud;
};

/* Reads every page of a list: the first page tells the count, then every further page is asked at
 * once; pages shorter than the first are followed by what is still missing. Items must be objects
 * with an id, each id once (util_same_id): a page that repeats items of another, a count that
 * changes, or more items than the count ends the list, naming the request. spec and its filter are
 * copied; path and key must outlive the list (static strings). */
int api_list(struct api_session *s, const struct api_list_spec *spec, struct err *e);

/* The ids of a whole list (sorted), read with the pager: the protection groups of the project for
 * a fleet check. ERR_AUTH for refused credentials, ERR_API/ERR_NET for a list that could not be
 * read completely (the message names the request). */
int api_list_ids(struct api_session *s, const char *path, const char *key, char ***ids, size_t *n,
                 struct err *e);
void api_ids_free(char **ids, size_t n);

/* ---- the group's action and its job (execute.c) -------------------------------------------- */

/* The group's status and priority_station, both documented values (vocab.h) compared exactly.
 * Returns 0, or ERR_* when the group could not be read or its values are not documented (why in
 * e). */
struct api_group_state {
    char status[64];
    char station[32];
};
int api_read_group(struct api_session *s, const char *id, struct api_group_state *out,
                   struct err *e);

/* What the action's POST got back. */
enum api_post_kind {
    API_POST_ACCEPTED, /* 2xx with a job id (job_id) */
    API_POST_NO_JOB,   /* 2xx without a usable job id */
    API_POST_REFUSED,  /* SDRS said no: a 4xx (not 401, 403, 408 or 429) whose body carries an
                          SDRS.* error code (status, code, detail) */
    API_POST_UNCLEAR,  /* an answer that does not tell whether SDRS took the action: 5xx, 401, 403,
                          another 4xx, or an error body without an SDRS code (status, detail) */
    API_POST_NOT_SENT, /* the request certainly did not reach SDRS (detail) */
    API_POST_NO_ANSWER /* no answer, and it may have reached SDRS (detail) */
};
struct api_post {
    enum api_post_kind kind;
    int status;
    char job_id[96];
    char code[64];
    char detail[512];
    char label[384];
};
/* POST /v1/{project}/server-groups/{id}/action with {"<key>": {}} (with station: {"<key>":
 * {"priority_station": station}}), sent once and never repeated. Returns 0 when it was submitted
 * (the outcome in out), else ERR_* (nothing was sent). */
int api_post_action(struct api_session *s, const char *id, const char *key, const char *station,
                    struct api_post *out, struct err *e);

/* One read-only GET to see whether a service answers, accepts the credential and shows the project
 * (doctor). */
enum api_service { API_SDRS, API_ECS, API_IMS, API_EVS };
enum api_probe_kind {
    API_PROBE_OK,        /* a JSON answer */
    API_PROBE_NO_ANSWER, /* no HTTP answer: DNS, connection, TLS (detail says which) */
    API_PROBE_DENIED,    /* 401 or 403: the credential is refused, or lacks the permission */
    API_PROBE_ERROR,     /* another error answer (a wrong project, an API the endpoint lacks) */
    API_PROBE_BAD,       /* an answer that is not the JSON asked for */
};
struct api_probe {
    enum api_probe_kind kind;
    int status;
    char label[384];
    char detail[512];
    long elapsed_ms;
};
/* GET of one harmless list of the service (SDRS: server-groups?limit=1; ECS:
 * cloudservers/detail?limit=1; IMS: cloudimages?limit=1; EVS: cloudvolumes/detail?limit=1). Returns
 * 0 when it was sent (see out), else ERR_* (the endpoint is unknown, nothing was sent). */
int api_probe(struct api_session *s, enum api_service svc, struct api_probe *out, struct err *e);

/* One sub-job of a job, made printable. */
#define API_MAX_SUBJOBS 32
struct api_subjob {
    char job_id[64];
    char job_type[64];
    char status[16];
    char error_code[32];
};

/* A job, made printable. */
struct api_job {
    enum vocab_class cls; /* the class of its status (job.status); VOCAB_UNRECOGNISED for any
                             value the documentation does not list, a blank variant included */
    char status[32];      /* printable, for messages */
    char error_code[64];
    char fail_reason[512];
    size_t subjobs, subjobs_done, subjobs_failed;
    char failed_subjob[256];                /* "<job_type> <job_id>: <error_code> <fail_reason>" */
    struct api_subjob sub[API_MAX_SUBJOBS]; /* the first ones (subjobs counts them all) */
};
/* GET /v1/{project}/jobs/{job_id}. Returns 0, or ERR_* when it could not be read (why in e). */
int api_read_job(struct api_session *s, const char *job_id, struct api_job *out, struct err *e);

#endif
