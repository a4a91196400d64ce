/* One attempt of a request: its easy handle, headers and body, what came back, and whether it is
 * tried again. */
#include "http_internal.h"

#include "config.h"
#include "util.h"
#include "version.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- attempts -------------------------------------------------------------------------------- */

static void list_remove(struct xfer **head, struct xfer *x)
{
    for (struct xfer **p = head; *p; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            x->next = NULL;
            return;
        }
}

/* Ends the request: fills the outcome, runs its callback, frees it. x is in no list. */
void hx_finish(struct http_client *c, struct xfer *x, int error, enum http_fail fail,
               bool maybe_sent, const char *message)
{
    x->resp.error = error;
    x->resp.fail = fail;
    x->resp.maybe_sent = maybe_sent;
    hx_copy_field(x->resp.message, sizeof x->resp.message, message, strlen(message));
    x->resp.elapsed_ms = x->first_ms ? (long)(util_now_ms() - x->first_ms) : 0;
    if (error) {
        buf_free(&x->resp.body);
        buf_wipe_free(&x->resp.subject_token);
    }
    c->stats.requests++;
    x->next = NULL;
    if (c->finished_tail)
        c->finished_tail->next = x;
    else
        c->finished_head = x;
    c->finished_tail = x;
}

/* Removes the attempt's easy handle from the multi handle and the running list. */
void hx_end_transfer(struct http_client *c, struct xfer *x)
{
    if (x->easy) {
        curl_multi_remove_handle(c->multi, x->easy);
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
        c->in_flight--;
        list_remove(&c->running, x);
    }
    hx_wipe_slist(x->hdrs);
    x->hdrs = NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n;
    int rc = buf_add(&x->resp.body, p, len);

    if (rc == ERR_LIMIT) {
        x->over_cap = true;
        return 0;
    }
    if (rc) {
        x->nomem = true;
        return 0;
    }
    x->c->stats.bytes += (long long)len;
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n, nlen, vlen;
    const char *colon, *v;

    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (also after a 1xx) */
        x->resp.content_type[0] = '\0';
        x->resp.request_id[0] = '\0';
        x->retry_after[0] = '\0';
        hx_wipe(x->resp.subject_token.data, x->resp.subject_token.cap);
        buf_reset(&x->resp.subject_token);
        return len;
    }
    colon = memchr(p, ':', len);
    if (!colon)
        return len;
    nlen = (size_t)(colon - p);
    v = colon + 1;
    vlen = len - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ' ||
                    v[vlen - 1] == '\t'))
        vlen--;
    if (hx_name_is(p, nlen, "content-type")) {
        hx_copy_field(x->resp.content_type, sizeof x->resp.content_type, v, vlen);
    } else if (hx_name_is(p, nlen, "x-request-id") ||
               (hx_name_is(p, nlen, "x-openstack-request-id") && !x->resp.request_id[0])) {
        hx_copy_field(x->resp.request_id, sizeof x->resp.request_id, v, vlen);
    } else if (hx_name_is(p, nlen, "retry-after")) {
        hx_copy_field(x->retry_after, sizeof x->retry_after, v, vlen);
    } else if (hx_name_is(p, nlen, "x-subject-token")) {
        int rc;

        hx_wipe(x->resp.subject_token.data, x->resp.subject_token.cap);
        buf_reset(&x->resp.subject_token);
        rc = buf_add(&x->resp.subject_token, v, vlen);
        if (rc) {
            x->token_over = rc == ERR_LIMIT;
            x->nomem = rc != ERR_LIMIT;
            return 0;
        }
    }
    return len;
}

/* Appends the auth callback's "Name: value\n" lines to x->hdrs. Returns 0 or an ERR_* with e. */
static int add_auth_headers(struct xfer *x, struct err *e)
{
    struct buf lines;
    char *p, *end;
    int rc;

    buf_init(&lines, HTTP_AUTH_MAX);
    err_clear(e);
    rc = x->auth(x->auth_ud, x->method, x->url, x->body, x->body_len, &lines, e);
    if (rc) {
        if (!e->msg[0])
            err_set(e, rc, "authentication failed");
        goto out;
    }
    for (p = lines.data; p && *p; p = end) {
        struct curl_slist *l;

        end = strchr(p, '\n');
        if (end)
            *end++ = '\0';
        else
            end = p + strlen(p);
        if (end - p > 1 && end[-2] == '\r')
            end[-2] = '\0';
        if (!*p)
            continue;
        if (!hx_valid_header(p)) {
            rc = err_set(e, ERR_INVALID, "the authentication callback produced an invalid header");
            goto out;
        }
        l = curl_slist_append(x->hdrs, p);
        if (!l) {
            rc = err_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        x->hdrs = l;
    }
out:
    buf_wipe_free(&lines);
    return rc;
}

static int add_header(struct xfer *x, const char *h)
{
    struct curl_slist *l = curl_slist_append(x->hdrs, h);

    if (!l)
        return ERR_NOMEM;
    x->hdrs = l;
    return 0;
}

/* Logs the request header names (never values) at the detail level. */
static void log_header_names(struct http_client *c, struct xfer *x)
{
    char names[512];
    size_t used = 0;

    if (!c->o.log)
        return;
    names[0] = '\0';
    for (struct curl_slist *l = x->hdrs; l; l = l->next) {
        const char *colon = strchr(l->data, ':');
        size_t n = colon ? (size_t)(colon - l->data) : 0;
        int w;

        if (!n || (colon[1] == '\0' && !strcmp(l->data, "Expect:")))
            continue;
        w = snprintf(names + used, sizeof names - used, "%s%.*s", used ? ", " : "", (int)n,
                     l->data);
        if (w < 0 || (size_t)w >= sizeof names - used)
            break;
        used += (size_t)w;
    }
    hx_say(c, HTTP_LOG_DETAIL, "%s: request headers: %s", x->label, used ? names : "(none)");
}

#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(x->easy, opt, val);                                              \
    } while (0)

/* Configures x->easy for one attempt. Returns a CURLcode. */
static CURLcode setup_easy(struct http_client *c, struct xfer *x)
{
    CURLcode cc = CURLE_OK;

    SETOPT(CURLOPT_URL, x->url);
    SETOPT(CURLOPT_PRIVATE, (void *)x);
    SETOPT(CURLOPT_ERRORBUFFER, x->errbuf);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_PATH_AS_IS, 1L);
    SETOPT(CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    /* Waiting for a connection that might multiplex pays off only over TLS, where HTTP/2 is
     * negotiated; on plain HTTP it makes the first round's requests queue behind the first
     * response (one extra round trip, measured in bench/). */
    SETOPT(CURLOPT_PIPEWAIT, strncasecmp(x->url, "https://", 8) == 0 ? 1L : 0L);
    SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SETOPT(CURLOPT_SHARE, c->share);
    SETOPT(CURLOPT_SSL_VERIFYPEER, c->o.insecure ? 0L : 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, c->o.insecure ? 0L : 2L);
    if (c->ca_pem.len) {
        /* only the certificates of --cacert: neither the system bundle nor its directory */
        struct curl_blob ca = {c->ca_pem.data, c->ca_pem.len, CURL_BLOB_NOCOPY};
        SETOPT(CURLOPT_CAINFO, NULL);
        SETOPT(CURLOPT_CAPATH, NULL);
        SETOPT(CURLOPT_CAINFO_BLOB, &ca);
    }
    SETOPT(CURLOPT_USERAGENT, SDRS_NAME "/" SDRS_VERSION);
    SETOPT(CURLOPT_ACCEPT_ENCODING, "");
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->o.max_body);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, (void *)x);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, (void *)x);
    SETOPT(CURLOPT_HTTPHEADER, x->hdrs);
    /* curl replays a request on its own when a reused connection turns out dead before any
     * answer; for a POST that must not happen twice, so it always gets a connection of its own. */
    if (!x->idempotent)
        SETOPT(CURLOPT_FRESH_CONNECT, 1L);
    if (x->is_get) {
        SETOPT(CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(x->method, "POST") != 0)
            SETOPT(CURLOPT_CUSTOMREQUEST, x->method);
        if (x->body || strcmp(x->method, "DELETE") != 0) {
            SETOPT(CURLOPT_POSTFIELDS, x->body ? x->body : "");
            SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
        }
    }
    return cc;
}

#undef SETOPT

/* Frees what a not-started attempt set up (x is not in flight). */
static void drop_attempt(struct xfer *x)
{
    if (x->easy) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
    }
    hx_wipe_slist(x->hdrs);
    x->hdrs = NULL;
}

/* Starts the next attempt of x (in no list). On failure the request is finished. */
void hx_start_attempt(struct http_client *c, struct xfer *x)
{
    struct err e;
    CURLcode cc;
    int rc;

    x->resp.attempts++;
    c->stats.attempts++;
    if (x->resp.attempts > 1)
        c->stats.retries++;
    x->attempt_ms = util_now_ms();
    if (!x->first_ms)
        x->first_ms = x->attempt_ms;
    x->over_cap = x->token_over = x->nomem = false;
    x->retry_after[0] = '\0';
    x->errbuf[0] = '\0';

    err_clear(&e);
    for (char **h = x->headers; *h; h++)
        if (add_header(x, *h))
            goto nomem;
    if (x->auth && (rc = add_auth_headers(x, &e)) != 0) {
        hx_say(c, HTTP_LOG_ATTEMPT, "%s: authentication failed (attempt %d/%d): %s", x->label,
               x->resp.attempts, c->o.retries + 1, e.msg);
        drop_attempt(x);
        hx_finish(c, x, rc, HTTP_FAIL_AUTH, false, e.msg);
        return;
    }
    if ((x->body && !x->has_content_type && add_header(x, "Content-Type: application/json")) ||
        add_header(x, "Expect:"))
        goto nomem;
    x->easy = curl_easy_init();
    if (!x->easy)
        goto nomem;
    cc = setup_easy(c, x);
    if (cc != CURLE_OK) {
        snprintf(e.msg, sizeof e.msg, "cannot set up the transfer: %s", curl_easy_strerror(cc));
        drop_attempt(x);
        hx_finish(c, x, cc == CURLE_OUT_OF_MEMORY ? ERR_NOMEM : ERR_NET, HTTP_FAIL_OTHER, false,
                  e.msg);
        return;
    }
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        drop_attempt(x);
        hx_finish(c, x, ERR_NET, HTTP_FAIL_OTHER, false, "cannot start the transfer");
        return;
    }
    x->next = c->running;
    c->running = x;
    c->in_flight++;
    if (c->in_flight > c->stats.max_in_flight)
        c->stats.max_in_flight = c->in_flight;
    log_header_names(c, x);
    return;
nomem:
    drop_attempt(x);
    hx_finish(c, x, ERR_NOMEM, HTTP_FAIL_OTHER, false, "out of memory");
}

/* The outcome of one attempt at the transport level. */
struct outcome {
    enum http_fail fail;
    int error; /* ERR_* when the request ends with this failure */
    bool maybe_sent;
    char what[200]; /* "" for HTTP_FAIL_NONE */
};

static void os_error_text(long oserr, const char *fallback, char *out, size_t size)
{
    if (oserr > 0)
        snprintf(out, size, "%s", strerror((int)oserr));
    else
        snprintf(out, size, "%s", fallback);
    hx_lower_first(out);
}

/* Classifies a finished attempt. */
static void classify(struct http_client *c, struct xfer *x, CURLcode cc, long status,
                     struct outcome *oc)
{
    curl_off_t got = 0, expected = -1;
    long oserr = 0, req_size = 0;
    char detail[CURL_ERROR_SIZE + 32];

    curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &req_size);
    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
    curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
    snprintf(detail, sizeof detail, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
    hx_lower_first(detail);

    oc->fail = HTTP_FAIL_OTHER;
    oc->error = ERR_NET;
    oc->maybe_sent = req_size > 0;
    oc->what[0] = '\0';
    switch (cc) {
    case CURLE_OK:
        oc->fail = HTTP_FAIL_NONE;
        oc->error = 0;
        oc->maybe_sent = true;
        if (x->is_get && status >= 200 && status <= 299 && status != 204 && x->resp.body.len == 0) {
            oc->fail = HTTP_FAIL_EMPTY;
            oc->error = ERR_NET;
            hx_fmt(oc->what, sizeof oc->what, "empty response body (HTTP %ld)", status);
        }
        return;
    case CURLE_COULDNT_RESOLVE_HOST:
        oc->fail = HTTP_FAIL_CONNECT;
        oc->maybe_sent = false;
        hx_fmt(oc->what, sizeof oc->what, "cannot resolve host '%s'", x->host);
        return;
    case CURLE_COULDNT_RESOLVE_PROXY:
        oc->fail = HTTP_FAIL_CONNECT;
        oc->maybe_sent = false;
        hx_fmt(oc->what, sizeof oc->what, "cannot resolve the proxy: %s", detail);
        return;
    case CURLE_COULDNT_CONNECT: {
        char why[128];

        os_error_text(oserr, "connection failed", why, sizeof why);
        oc->fail = HTTP_FAIL_CONNECT;
        oc->maybe_sent = false;
        hx_fmt(oc->what, sizeof oc->what, "cannot connect to %s: %s", x->host, why);
        return;
    }
    case CURLE_SSL_CONNECT_ERROR:
        oc->fail = HTTP_FAIL_CONNECT;
        oc->maybe_sent = false;
        hx_fmt(oc->what, sizeof oc->what, "TLS handshake with %s failed: %s", x->host, detail);
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        oc->fail = HTTP_FAIL_TLS;
        oc->maybe_sent = false;
        hx_fmt(oc->what, sizeof oc->what, "TLS certificate of %s not accepted: %s", x->host,
               detail);
        return;
    case CURLE_SSL_CACERT_BADFILE:
        oc->fail = HTTP_FAIL_TLS;
        oc->maybe_sent = false;
        hx_fmt(oc->what, sizeof oc->what, "cannot use the CA bundle '%s': %s",
               c->cacert ? c->cacert : "(system default)", detail);
        return;
    case CURLE_OPERATION_TIMEDOUT:
        oc->fail = HTTP_FAIL_TIMEOUT;
        if (req_size == 0) {
            long t = c->o.connect_timeout_ms < c->o.timeout_ms ? c->o.connect_timeout_ms
                                                               : c->o.timeout_ms;
            hx_fmt(oc->what, sizeof oc->what, "timeout after %ld ms connecting to %s", t, x->host);
        } else if (status == 0) {
            hx_fmt(oc->what, sizeof oc->what, "timeout after %ld ms waiting for the response",
                   c->o.timeout_ms);
        } else if (expected >= 0) {
            hx_fmt(oc->what, sizeof oc->what,
                   "timeout after %ld ms receiving the response body (%lld of %lld bytes)",
                   c->o.timeout_ms, (long long)got, (long long)expected);
        } else {
            hx_fmt(oc->what, sizeof oc->what,
                   "timeout after %ld ms receiving the response body (%lld bytes)", c->o.timeout_ms,
                   (long long)got);
        }
        return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        oc->fail = HTTP_FAIL_RESET;
        if (oserr == ECONNRESET || oserr == EPIPE)
            hx_fmt(oc->what, sizeof oc->what, "connection reset by peer");
        else
            hx_fmt(oc->what, sizeof oc->what, "%s failure: %s",
                   cc == CURLE_RECV_ERROR ? "receive" : "send", detail);
        return;
    case CURLE_GOT_NOTHING:
        oc->fail = HTTP_FAIL_RESET;
        hx_fmt(oc->what, sizeof oc->what, "connection closed without a response");
        return;
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        oc->fail = HTTP_FAIL_RESET;
        hx_fmt(oc->what, sizeof oc->what, "HTTP/2 error: %s", detail);
        return;
    case CURLE_PARTIAL_FILE:
        oc->fail = HTTP_FAIL_PARTIAL;
        if (expected >= 0)
            hx_fmt(oc->what, sizeof oc->what,
                   "response truncated: connection closed after %lld of %lld bytes", (long long)got,
                   (long long)expected);
        else
            hx_fmt(oc->what, sizeof oc->what, "response truncated: %s", detail);
        return;
    case CURLE_BAD_CONTENT_ENCODING:
        oc->fail = HTTP_FAIL_PARTIAL;
        hx_fmt(oc->what, sizeof oc->what, "cannot decode the response body: %s", detail);
        return;
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_WRITE_ERROR:
        if (x->token_over) {
            oc->fail = HTTP_FAIL_LIMIT;
            oc->error = ERR_LIMIT;
            hx_fmt(oc->what, sizeof oc->what, "X-Subject-Token exceeds the limit of %d bytes",
                   HTTP_MAX_TOKEN);
        } else if (cc == CURLE_FILESIZE_EXCEEDED || x->over_cap) {
            oc->fail = HTTP_FAIL_LIMIT;
            oc->error = ERR_LIMIT;
            hx_fmt(oc->what, sizeof oc->what, "response body exceeds the limit of %zu bytes",
                   c->o.max_body);
        } else {
            oc->error = ERR_NOMEM;
            hx_fmt(oc->what, sizeof oc->what, "out of memory receiving the response");
        }
        return;
    case CURLE_OUT_OF_MEMORY:
        oc->error = ERR_NOMEM;
        hx_fmt(oc->what, sizeof oc->what, "out of memory");
        return;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        oc->error = ERR_INVALID;
        oc->maybe_sent = false;
        hx_fmt(oc->what, sizeof oc->what, "invalid URL: %s", detail);
        return;
    default:
        hx_fmt(oc->what, sizeof oc->what, "transfer failed: %s", detail);
        return;
    }
}

/* Resets what an attempt left in the response before the next one. */
static void reset_attempt(struct xfer *x)
{
    buf_free(&x->resp.body);
    hx_wipe(x->resp.subject_token.data, x->resp.subject_token.cap);
    buf_reset(&x->resp.subject_token);
    x->resp.content_type[0] = '\0';
    x->resp.request_id[0] = '\0';
}

static void waiting_insert(struct http_client *c, struct xfer *x)
{
    struct xfer **p = &c->waiting;

    while (*p && (*p)->due_ms <= x->due_ms)
        p = &(*p)->next;
    x->next = *p;
    *p = x;
}

/* Handles the end of x's attempt (curl result cc): retry later or finish. */
void hx_attempt_done(struct http_client *c, struct xfer *x, CURLcode cc)
{
    long status = 0, nconn = 0, retry_after = -1, delay = -1, took;
    struct outcome oc;
    char msg[256], note[128];
    bool retry;
    int max = c->o.retries + 1;

    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &nconn);
    x->resp.status = (int)status;
    x->resp.connects += (int)nconn;
    c->stats.connects += nconn;
    took = (long)(util_now_ms() - x->attempt_ms);
    classify(c, x, cc, status, &oc);

    retry = x->resp.attempts < max &&
            http_retryable(oc.fail, (int)status, x->idempotent, oc.maybe_sent);
    note[0] = '\0';
    if (oc.fail == HTTP_FAIL_NONE && (status == 429 || status == 503) && x->retry_after[0])
        retry_after = http_parse_retry_after(x->retry_after, (long long)time(NULL));
    if (retry) {
        delay = http_backoff_ms(x->resp.attempts, retry_after, &c->o, &c->seed);
        if (delay < 0) {
            retry = false;
            hx_fmt(note, sizeof note, ", Retry-After %ld s is over the %ld s limit",
                   retry_after / 1000, c->o.retry_after_max_ms / 1000);
        }
    } else if (!x->idempotent && x->resp.attempts < max &&
               http_retryable(oc.fail, (int)status, true, oc.maybe_sent)) {
        hx_fmt(note, sizeof note, "; not retried: the %s may have reached the server", x->method);
    }

    if (oc.fail == HTTP_FAIL_NONE)
        hx_fmt(msg, sizeof msg, "HTTP %ld", status);
    else
        hx_fmt(msg, sizeof msg, "%s", oc.what);
    if (retry)
        hx_say(c, HTTP_LOG_ATTEMPT, "%s: %s, %ld ms (attempt %d/%d), retrying in %ld ms", x->label,
               msg, took, x->resp.attempts, max, delay);
    else
        hx_say(c, HTTP_LOG_ATTEMPT, "%s: %s, %ld ms (attempt %d/%d)%s", x->label, msg, took,
               x->resp.attempts, max, note);
    if (c->o.log) {
        curl_off_t got = 0;

        curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
        hx_say(c, HTTP_LOG_DETAIL,
               "%s: content-type '%s', %lld bytes, request id '%s', %s connection", x->label,
               x->resp.content_type, (long long)got, x->resp.request_id, nconn ? "new" : "reused");
    }
    hx_end_transfer(c, x);

    if (retry) {
        reset_attempt(x);
        x->due_ms = util_now_ms() + delay;
        waiting_insert(c, x);
        return;
    }
    if (oc.fail == HTTP_FAIL_NONE) {
        if (status >= 400 && x->resp.attempts > 1)
            hx_fmt(msg, sizeof msg, "HTTP %ld after %d tries%s", status, x->resp.attempts, note);
        else if (status >= 300)
            hx_fmt(msg, sizeof msg, "HTTP %ld%s%s", status, note,
                   status < 400 ? " (redirects are not followed)" : "");
        else
            msg[0] = '\0';
        hx_finish(c, x, 0, HTTP_FAIL_NONE, false, msg);
        return;
    }
    if (x->resp.attempts > 1)
        hx_fmt(msg, sizeof msg, "%s (%d tries)%s", oc.what, x->resp.attempts, note);
    else
        hx_fmt(msg, sizeof msg, "%s%s", oc.what, note);
    hx_finish(c, x, oc.error, oc.fail, oc.maybe_sent, msg);
}
