/*
 * Requests of one API session: each labelled "METHOD /path?query", signed by the session's signer
 * on every attempt, sent through the one HTTP client, and answered through its own handler after
 * one shared check of the answer (transport failure, status, content type, JSON). Nothing here
 * knows a URL of the SDRS, ECS, IMS or IAM APIs: the callers build them.
 *
 * Ownership: request_new returns an owned requester (request_free), which owns its HTTP client and
 * borrows the signer's ud until it is freed. The struct answer a handler receives, and everything
 * it points to (the parsed JSON included), lives only during the handler: take a reference
 * (json_object_get) to keep part of the JSON.
 */
#ifndef SDRS_REQUEST_H
#define SDRS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "http.h"

struct json_object;

/* What came back, after the shared check. */
enum answer_kind {
    ANSWER_JSON,   /* a 2xx with a JSON body (json) */
    ANSWER_FAILED, /* no usable HTTP answer after the retries (detail; maybe_sent) */
    ANSWER_DENIED, /* 401 or 403: the credentials were refused (status, code, detail) */
    ANSWER_ERROR,  /* another non-2xx status (status, code, detail) */
    ANSWER_BAD,    /* a 2xx whose body is not one JSON document: wrong content type, not JSON,
                      too deep, or a key twice in one object (detail) */
};

struct answer {
    enum answer_kind kind;
    int status;               /* the HTTP status, 0 without one */
    const char *label;        /* "GET /v1/<project>/server-groups/<id>" */
    struct json_object *json; /* ANSWER_JSON: the body (borrowed) */
    char code[64];            /* ANSWER_DENIED/ERROR: the API's error code ("SDRS.1013"), or "" */
    char detail[512];         /* one printable line: what failed, "CODE: message (request id: X)"
                                 of an error answer (" (N tries)" when retried), "" for JSON */
    bool maybe_sent;          /* ANSWER_FAILED: the request may have reached the server */
    const struct http_response *resp; /* the raw response (headers, subject token, attempts) */
};

typedef void request_done_fn(void *ud, const struct answer *a);

/* Adds the credential headers of one attempt (see struct http_request.auth). */
typedef int request_sign_fn(void *ud, const char *method, const char *url, const char *body,
                            size_t body_len, struct buf *out, struct err *e);

struct request {
    const char *method; /* GET or POST */
    const char *url;    /* absolute */
    const char *body;   /* JSON text, or NULL */
    bool unsigned_post; /* the IAM token request: not signed (its body carries the password)
                           and safe to repeat; every other request is signed and a POST is never
                           repeated once it may have reached the server */
    bool urgent;        /* ahead of the queue (struct http_request.urgent) */
    const char *label;  /* the label, when the URL would make a poor one (NULL: from the URL) */
    request_done_fn *done;
    void *ud;
};

struct requester;

/* A requester with its own HTTP client (o: its options, NULL for the defaults); sign(sign_ud, ...)
 * signs every signed request; max_depth limits the JSON nesting of an answer (0: the default).
 * ERR_INVALID for out-of-range HTTP options, ERR_NOMEM. */
int request_new(const struct http_opts *o, request_sign_fn *sign, void *sign_ud, int max_depth,
                struct requester **out, struct err *e);
void request_free(struct requester *rq);

/* Queues a request: r->done runs exactly once, from request_run, unless this fails (ERR_INVALID:
 * the URL or method; ERR_NOMEM), in which case it never runs. label receives the request's
 * label when it is not NULL. */
int request_submit(struct requester *rq, const struct request *r, char *label, size_t lsize,
                   struct err *e);
/* Runs until every queued request is answered (handlers may submit more). Returns 0, or an
 * ERR_* when the HTTP client itself failed (every request still got its answer). */
int request_run(struct requester *rq, struct err *e);
/* Requests queued and not started yet (see http_queued). */
size_t request_queued(const struct requester *rq);
/* The HTTP client's counters. */
void request_stats(const struct requester *rq, struct http_stats *out);

/* The label of a URL: "METHOD /path?query" (without scheme and host). */
void request_label(const char *method, const char *url, char *out, size_t size);

#endif
