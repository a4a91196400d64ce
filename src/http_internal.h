/*
 * The inside of the HTTP client, shared by http.c (the client, submitting, the loop) and
 * http_attempt.c (one attempt of a request: the easy handle, headers, body, classification, retry).
 * Only the http layer includes this header (it includes curl).
 */
#ifndef SDRS_HTTP_INTERNAL_H
#define SDRS_HTTP_INTERNAL_H

#include "http.h"

#include "http_curl.h" /* curl, loaded on first use */

#include <stdbool.h>
#include <stddef.h>

#define HTTP_DAY_MS   (86400L * 1000L)
#define HTTP_AUTH_MAX (64 << 10) /* bytes of auth header lines one callback may produce */
#define HTTP_POLL_MAX 1000       /* ms: the longest single wait in http_run */

struct xfer {
    struct http_client *c;
    struct xfer *next; /* in exactly one of: pending, waiting, running, finished */

    /* the request, copied */
    char *method;
    char *url;
    char *body;
    size_t body_len;
    char **headers; /* NULL-terminated */
    char *label;    /* for log lines */
    char *host;     /* "host[:port]" for messages */
    bool idempotent;
    bool is_get;
    bool has_content_type;
    int (*auth)(void *ud, const char *method, const char *url, const char *body, size_t body_len,
                struct buf *out, struct err *e);
    void *auth_ud;
    http_done_fn done;
    void *ud;

    /* the attempt in flight */
    CURL *easy;
    struct curl_slist *hdrs;
    long long first_ms;
    long long attempt_ms;
    long long due_ms;
    bool over_cap;
    bool token_over;
    bool nomem;
    char retry_after[64];
    char errbuf[CURL_ERROR_SIZE];

    struct http_response resp;
};

struct http_client {
    struct http_opts o;
    char *cacert;      /* the --cacert path, for messages */
    struct buf ca_pem; /* its content, read once: a pipe (<(command)) works, and every handshake
                          trusts the same certificates */
    CURLM *multi;
    CURLSH *share;
    struct xfer *pending_head, *pending_tail;   /* FIFO, waiting for a slot */
    struct xfer *urgent_tail;                   /* the last urgent one on it (they lead), or NULL */
    size_t npending;                            /* on that list */
    struct xfer *waiting;                       /* waiting to retry, sorted by due_ms */
    struct xfer *running;                       /* in flight */
    struct xfer *finished_head, *finished_tail; /* FIFO, done: their callbacks run next */
    int in_flight;
    unsigned seed;
    bool in_run;
    struct http_stats stats;
};

/* Overwrites n bytes (a secret); NULL is a no-op. */
void hx_wipe(void *p, size_t n);
/* Frees a header list after overwriting every line. */
void hx_wipe_slist(struct curl_slist *l);
/* Copies s[0..n) into out[size] as one printable line. */
void hx_copy_field(char *out, size_t size, const char *s, size_t n);
/* Lower-cases the first character. */
void hx_lower_first(char *s);
void hx_fmt(char *out, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* True when the header name p[0..n) is name (case-insensitive). */
bool hx_name_is(const char *p, size_t n, const char *name);
/* A log line at level through the client's log callback. */
void hx_say(struct http_client *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void hx_xfer_free(struct xfer *x);
/* True for a "Name: value" header line without control characters or a blank in the name. */
bool hx_valid_header(const char *h);

/* Ends a request: fills its response's outcome and queues it; http_run calls its done callback
 * (after refilling the slots it freed). */
void hx_finish(struct http_client *c, struct xfer *x, int error, enum http_fail fail,
               bool maybe_sent, const char *message);
/* Takes an attempt's transfer off the multi handle and the running list. */
void hx_end_transfer(struct http_client *c, struct xfer *x);
/* Starts the next attempt of x. */
void hx_start_attempt(struct http_client *c, struct xfer *x);
/* An attempt of x ended with cc: its response is classified, then retried or finished. */
void hx_attempt_done(struct http_client *c, struct xfer *x, CURLcode cc);

#endif
