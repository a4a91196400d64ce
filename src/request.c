#include "request.h"

#include "apierr.h"
#include "jsonutil.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct requester {
    struct http_client *http;
    request_sign_fn *sign;
    void *sign_ud;
    int max_depth;
};

/* A request in flight: where its answer goes. */
struct pending {
    struct requester *rq;
    request_done_fn *done;
    void *ud;
    char label[384];
};

void request_label(const char *method, const char *url, char *out, size_t size)
{
    const char *path = strstr(url, "://");

    path = path ? strchr(path + 3, '/') : NULL;
    snprintf(out, size, "%s %s", method, path ? path : url);
}

int request_new(const struct http_opts *o, request_sign_fn *sign, void *sign_ud, int max_depth,
                struct requester **out, struct err *e)
{
    struct requester *rq = calloc(1, sizeof *rq);
    int rc;

    *out = NULL;
    if (!rq)
        return err_set(e, ERR_NOMEM, "out of memory");
    *rq =
        (struct requester){NULL, sign, sign_ud, max_depth > 0 ? max_depth : JSONUTIL_DEFAULT_DEPTH};
    if ((rc = http_client_new(o, &rq->http, e)) != 0) {
        free(rq);
        return rc;
    }
    *out = rq;
    return 0;
}

void request_free(struct requester *rq)
{
    if (!rq)
        return;
    http_client_free(rq->http);
    free(rq);
}

/* The account of a non-2xx answer from its body: "CODE: message (request id: X)" (or "HTTP n"
 * when the body names no error), " (N tries)" when the HTTP layer tried more than once. */
static void error_detail(const struct http_response *resp, struct answer *a)
{
    struct api_error ae;
    size_t n;

    apierr_parse(buf_str(&resp->body), resp->body.len, &ae);
    apierr_format(&ae, resp->status, a->detail, sizeof a->detail);
    snprintf(a->code, sizeof a->code, "%s", ae.code);
    n = strlen(a->detail);
    if (resp->attempts > 1 && n + 1 < sizeof a->detail)
        snprintf(a->detail + n, sizeof a->detail - n, " (%d tries)", resp->attempts);
}

/* The one check every answer gets; fills a (json owned by the caller when set). */
static void classify(const struct requester *rq, const struct http_response *resp, struct answer *a)
{
    struct jsonutil_dup dup;
    struct err e = {0};

    a->status = resp->status;
    if (resp->error) {
        a->kind = ANSWER_FAILED;
        a->maybe_sent = resp->maybe_sent;
        apierr_sanitize(resp->message[0] ? resp->message : "request failed",
                        strlen(resp->message[0] ? resp->message : "request failed"), a->detail,
                        sizeof a->detail);
        return;
    }
    if (resp->status < 200 || resp->status >= 300) {
        a->kind = resp->status == 401 || resp->status == 403 ? ANSWER_DENIED : ANSWER_ERROR;
        error_detail(resp, a);
        return;
    }
    a->kind = ANSWER_BAD;
    if (resp->content_type[0] && !util_contains_ci(resp->content_type, "json")) {
        char ct[80];
        apierr_sanitize(resp->content_type, strlen(resp->content_type), ct, sizeof ct);
        snprintf(a->detail, sizeof a->detail, "expected a JSON response, got content type '%s'",
                 ct);
        return;
    }
    if (jsonutil_parse_dup(buf_str(&resp->body), resp->body.len, "response", rq->max_depth,
                           &a->json, &dup, &e)) {
        apierr_sanitize(e.msg, strlen(e.msg), a->detail, sizeof a->detail);
        return;
    }
    if (dup.found) {
        /* json-c keeps the last value, a reader of the answer the first: nothing in it is sure */
        snprintf(a->detail, sizeof a->detail,
                 "ambiguous answer: key \"%s\" appears twice in %s, so its value is not known",
                 dup.key, dup.path);
        json_object_put(a->json);
        a->json = NULL;
        return;
    }
    a->kind = ANSWER_JSON;
}

static void on_http_done(void *ud, struct http_response *resp)
{
    struct pending *p = ud;
    struct answer a = {.label = p->label, .resp = resp};

    classify(p->rq, resp, &a);
    p->done(p->ud, &a);
    json_object_put(a.json);
    free(p);
}

int request_submit(struct requester *rq, const struct request *r, char *label, size_t lsize,
                   struct err *e)
{
    static const char *const json_headers[] = {"Accept: application/json",
                                               "Content-Type: application/json", NULL};
    static const char *const get_headers[] = {"Accept: application/json", NULL};
    struct pending *p = calloc(1, sizeof *p);
    struct http_request hr;
    int rc;

    if (!p)
        return err_set(e, ERR_NOMEM, "out of memory");
    *p = (struct pending){.rq = rq, .done = r->done, .ud = r->ud};
    if (r->label)
        snprintf(p->label, sizeof p->label, "%s", r->label);
    else
        request_label(r->method, r->url, p->label, sizeof p->label);
    if (label)
        snprintf(label, lsize, "%s", p->label);
    hr = (struct http_request){.method = r->method,
                               .url = r->url,
                               .body = r->body,
                               .body_len = r->body ? strlen(r->body) : 0,
                               .headers = r->body ? json_headers : get_headers,
                               .retry_unsafe = r->unsigned_post,
                               .auth = r->unsigned_post ? NULL : rq->sign,
                               .auth_ud = r->unsigned_post ? NULL : rq->sign_ud,
                               .label = p->label,
                               .urgent = r->urgent};
    if ((rc = http_submit(rq->http, &hr, on_http_done, p, e)) != 0)
        free(p);
    return rc;
}

int request_run(struct requester *rq, struct err *e)
{
    return http_run(rq->http, e);
}

size_t request_queued(const struct requester *rq)
{
    return http_queued(rq->http);
}

void request_stats(const struct requester *rq, struct http_stats *out)
{
    http_client_stats(rq->http, out);
}
