/*
 * An asynchronous HTTP client on one libcurl multi handle: connection reuse, a cap on transfers in
 * flight, retries with backoff and jitter, a capped response body. The only user of libcurl.
 *
 * Ownership: http_client_new returns an owned client (http_client_free). http_submit copies
 * everything in the request (method, URL, body, headers, label), so the caller's storage may go
 * as soon as it returns; the callback pointers and their `ud` are borrowed until the request's
 * done callback has run. The `struct http_response` handed to a done callback is owned by the
 * client and lives only during the call: the callback may take the body (buf_take(&resp->body),
 * or copy the struct buf and buf_init the original) and may copy the subject token; what is left
 * is freed, and the subject token wiped, when the callback returns. Nothing here prints: progress
 * goes to the optional log callback, which never sees header values or bodies.
 *
 * Flow: http_submit queues; http_run starts queued requests (at most `concurrency` in flight),
 * waits, retries, and calls each request's done callback exactly once, until nothing is queued,
 * in flight or waiting to retry. A done callback may http_submit more requests (they run in the
 * same http_run); it must not call http_run or http_client_free. The client is single-threaded.
 */
#ifndef SDRS_HTTP_H
#define SDRS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

#define HTTP_MAX_RETRIES     10
#define HTTP_MAX_CONCURRENCY 256
#define HTTP_MAX_CA_BUNDLE   (16u << 20) /* bytes of a --cacert bundle */
#define HTTP_MAX_TOKEN       (64 << 10)  /* bytes of X-Subject-Token accepted */

/* Log levels passed to http_opts.log. */
enum http_log_level {
    HTTP_LOG_ATTEMPT = 1, /* a line per attempt: label, outcome, ms, attempt n/N, retry or not */
    HTTP_LOG_DETAIL = 2,  /* request header names, response type/length/request id, connection */
};

/* What went wrong with an attempt at the transport level. */
enum http_fail {
    HTTP_FAIL_NONE = 0, /* a complete HTTP response arrived (its status may still be an error) */
    HTTP_FAIL_CONNECT,  /* DNS, TCP, TLS handshake, proxy: the request was certainly not sent */
    HTTP_FAIL_TIMEOUT,  /* the attempt's time ran out (connecting, waiting or receiving) */
    HTTP_FAIL_RESET,    /* connection reset or closed without a response, send failure */
    HTTP_FAIL_PARTIAL,  /* response cut short: fewer bytes than announced, broken chunking */
    HTTP_FAIL_EMPTY,    /* a GET answered 2xx (not 204) with an empty body */
    HTTP_FAIL_LIMIT,    /* the body (or the subject token) is over its cap: never retried */
    HTTP_FAIL_TLS,      /* certificate not trusted, CA file unusable: never retried */
    HTTP_FAIL_AUTH,     /* the request's auth callback failed: never retried */
    HTTP_FAIL_OTHER,    /* bad URL, protocol error, out of memory: never retried */
};

struct http_opts {
    long timeout_ms;         /* per attempt, whole transfer (default 30000) */
    long connect_timeout_ms; /* default 10000 */
    int retries;             /* extra attempts after the first, 0..HTTP_MAX_RETRIES (default 3) */
    int concurrency;         /* transfers in flight, 1..HTTP_MAX_CONCURRENCY (default 16) */
    size_t max_body;         /* response body cap (default 32 MiB): over it is ERR_LIMIT, never a
                                truncation; checked against Content-Length and while receiving */
    const char *cacert;      /* CA bundle file, or NULL for the system default (copied) */
    bool insecure;           /* no TLS verification (the app prints the warning) */
    long backoff_base_ms;    /* first retry waits base/2..base (default 250) */
    long backoff_max_ms;     /* cap of the exponential delay (default 8000) */
    long retry_after_max_ms; /* a longer Retry-After is not waited for: the answer is final
                                (default 60000) */
    unsigned seed;           /* jitter PRNG seed (0: from the clock and pid) */
    void (*log)(void *ud, int level, const char *msg); /* may be NULL; msg is borrowed */
    void *log_ud;
};

struct http_request {
    const char *method; /* GET, POST, PUT or DELETE */
    const char *url;    /* http:// or https://; the path is sent exactly as given
                           (no dot-segment removal), so what was signed is sent */
    const char *body;   /* may be NULL; sent for POST, PUT and (if given) DELETE */
    size_t body_len;
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL. With a
                                   body and no Content-Type, "application/json" is sent. */
    bool retry_unsafe;          /* POST only: also retry when the request may have reached the
                                   server (a 503, a timeout, a reset). Leave false for actions;
                                   true suits a POST that is safe to repeat (IAM tokens).
                                   Without it a POST always gets a new connection: on a reused
                                   one that dies unanswered, curl would replay it by itself.
                                   GET, PUT and DELETE are always treated as idempotent. */
    /* Called before EVERY attempt (so an X-Sdk-Date is fresh on each retry); appends
     * "Name: value\n" lines to out, which the client wipes after use. Returns 0 or a negative
     * ERR_*; a failure ends the request (fail HTTP_FAIL_AUTH, error = that code, message =
     * e->msg) without sending it. May be NULL. */
    int (*auth)(void *ud, const char *method, const char *url, const char *body, size_t body_len,
                struct buf *out, struct err *e);
    void *auth_ud;
    const char *label; /* for log lines, e.g. "GET /v1/{project_id}/replications?offset=0"
                          (NULL: the method and the URL without its query) */
    bool urgent;       /* takes the next free slot, before every queued request that is not
                          urgent (urgent ones keep their order): a lookup that other work waits
                          for, so that it overlaps the queue instead of trailing it */
};

struct http_response {
    int status;               /* HTTP status of the last attempt, 0 if none. Meaningless as a
                                 success when error != 0 (e.g. 200 with a truncated body). */
    struct buf body;          /* complete body of the last attempt; empty when error != 0 */
    char content_type[128];   /* "" if none */
    char request_id[96];      /* X-Request-Id (or X-Openstack-Request-Id) if any */
    struct buf subject_token; /* X-Subject-Token if any (a secret: wiped after the callback) */
    int attempts;             /* attempts made (auth failures count the one not sent) */
    int connects;             /* new connections opened over all attempts (0: all reused) */
    long elapsed_ms;          /* first attempt start to done, backoff waits included */
    int error;                /* 0 when an HTTP response arrived (any status); else ERR_NET,
                                 ERR_LIMIT, ERR_NOMEM, ERR_INVALID or the auth callback's code */
    enum http_fail fail;      /* the last attempt's transport failure, HTTP_FAIL_NONE if none */
    bool maybe_sent;          /* transport failure after the request may have reached a server */
    /* "" for a 1xx/2xx answer; else what failed, lower case, without the label: "HTTP 500",
     * "HTTP 503 after 4 tries", "timeout after 30000 ms waiting for the response (4 tries)",
     * "connection reset by peer", "response body exceeds the limit of 33554432 bytes" */
    char message[256];
};

/* Counters over the client's life, for -v summaries and benchmarks. */
struct http_stats {
    long requests;     /* completed (done callbacks run) */
    long attempts;     /* attempts started */
    long retries;      /* attempts that were retries */
    long connects;     /* new connections */
    long long bytes;   /* response body bytes received (all attempts) */
    int max_in_flight; /* most transfers in flight at once */
};

struct http_client;

/* Called once per request, when it is finished (success, HTTP error or transport failure). */
typedef void (*http_done_fn)(void *ud, struct http_response *resp);

/* Once per process, before any client (not thread-safe; wraps curl_global_init). */
int http_global_init(struct err *e);
void http_global_cleanup(void);

/* Fills o with the defaults above (log NULL, cacert NULL, seed 0). */
void http_opts_init(struct http_opts *o);

/* Creates a client; o may be NULL for the defaults. ERR_INVALID for out-of-range options. */
int http_client_new(const struct http_opts *o, struct http_client **out, struct err *e);
/* Frees the client; requests still queued or waiting are dropped without their callbacks.
 * NULL is a no-op. Must not be called from a done callback. */
void http_client_free(struct http_client *c);

/* Queues a copy of r; done(ud, resp) runs later, from http_run. Returns 0, ERR_INVALID (method,
 * URL scheme, a header without ':' or with CR/LF) or ERR_NOMEM; on error done is never called. */
int http_submit(struct http_client *c, const struct http_request *r, http_done_fn done, void *ud,
                struct err *e);

/* Runs until nothing is queued, in flight or waiting to retry, calling done callbacks as requests
 * finish. Per-request failures are reported in their responses, not here: returns 0, or a
 * negative ERR_* when the client itself failed (then every outstanding request was still
 * completed with that error). ERR_INVALID if called from a done callback. */
int http_run(struct http_client *c, struct err *e);

/* Requests submitted and not started yet (waiting for a free slot, retries that are due). A
 * caller with much to send can submit as the queue drains instead of all at once. */
size_t http_queued(const struct http_client *c);

/* Copies the counters. */
void http_client_stats(const struct http_client *c, struct http_stats *out);

/* ---- pure helpers, exposed for tests --------------------------------------------------------- */

/* Whether an attempt that ended with fail (and status, when fail is HTTP_FAIL_NONE) should be
 * tried again, retry budget aside. idempotent: GET/PUT/DELETE, or a POST with retry_unsafe.
 * Retried: connect failures always; timeouts, resets, partial and empty bodies when idempotent or
 * not maybe_sent; statuses 429, 502, 503 and 504 when idempotent. Nothing else. */
bool http_retryable(enum http_fail fail, int status, bool idempotent, bool maybe_sent);

/* Milliseconds to wait before the retry that follows failed attempt number `attempt` (1-based).
 * Without Retry-After (retry_after_ms < 0): d = min(backoff_max, backoff_base * 2^(attempt-1)),
 * then a uniformly jittered value in [d/2, d]. With one: retry_after_ms plus a jitter in
 * [0, backoff_base/2], or -1 when retry_after_ms > retry_after_max_ms (do not retry). *seed is the
 * PRNG state and is advanced. */
long http_backoff_ms(int attempt, long retry_after_ms, const struct http_opts *o, unsigned *seed);

/* A Retry-After value (delta-seconds, or an HTTP-date in IMF-fixdate, RFC 850 or asctime form)
 * to milliseconds from now (seconds since the epoch); a date in the past is 0. -1 if invalid.
 * Values are capped at one day. */
long http_parse_retry_after(const char *value, long long now);

#endif
