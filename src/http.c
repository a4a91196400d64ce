/*
 * The HTTP client: one curl multi handle, a FIFO of requests waiting for a transfer slot, a list of
 * requests waiting (by due time) to retry, and the transfers in flight. Each attempt gets a fresh
 * easy handle; connections, TLS sessions and DNS answers are shared through the multi and share
 * handles, so a retry or the next request reuses what the previous one opened.
 */
#include "http.h"

#include "config.h"
#include "util.h"
#include "version.h"

#include <curl/curl.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HTTP_DAY_MS   (86400L * 1000L)
#define HTTP_AUTH_MAX (64 << 10) /* bytes of auth header lines one callback may produce */
#define HTTP_POLL_MAX 1000       /* ms: the longest single wait in http_run */

struct xfer {
    struct http_client *c;
    struct xfer *next; /* in exactly one of: pending, waiting, running */

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
    char *cacert;
    CURLM *multi;
    CURLSH *share;
    struct xfer *pending_head, *pending_tail; /* FIFO, waiting for a slot */
    size_t npending;                          /* on that list */
    struct xfer *waiting;                     /* waiting to retry, sorted by due_ms */
    struct xfer *running;                     /* in flight */
    int in_flight;
    unsigned seed;
    bool in_run;
    struct http_stats stats;
};

/* ---- small helpers --------------------------------------------------------------------------- */

long long http_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift32; a zero state is replaced by a fixed non-zero one. */
static uint32_t prng_next(unsigned *state)
{
    uint32_t x = (uint32_t)*state;

    if (!x)
        x = 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* A uniform value in [lo, hi] (hi >= lo). */
static long prng_range(unsigned *state, long lo, long hi)
{
    unsigned long span = (unsigned long)(hi - lo) + 1;

    return lo + (long)(prng_next(state) % span);
}

static void wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

static void wipe_slist(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        wipe(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

/* Copies at most size-1 bytes of s[0..n) into out, control bytes replaced by '?'. */
static void copy_field(char *out, size_t size, const char *s, size_t n)
{
    if (n > size - 1)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    out[n] = '\0';
}

/* Lower-cases the first letter of a curl or strerror text ("Connection refused"), not of an
 * acronym ("SSL ..."). */
static void lower_first(char *s)
{
    if (s[0] && isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1]))
        s[0] = (char)tolower((unsigned char)s[0]);
}

/* snprintf for messages, where cutting a long curl text short is intended. */
static void fmt(char *out, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));

static void fmt(char *out, size_t size, const char *f, ...)
{
    va_list ap;

    va_start(ap, f);
    vsnprintf(out, size, f, ap);
    va_end(ap);
}

static bool name_is(const char *p, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

static void say(struct http_client *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct http_client *c, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!c->o.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->o.log(c->o.log_ud, level, line);
}

/* ---- pure helpers ---------------------------------------------------------------------------- */

bool http_retryable(enum http_fail fail, int status, bool idempotent, bool maybe_sent)
{
    switch (fail) {
    case HTTP_FAIL_NONE:
        return idempotent && (status == 429 || status == 502 || status == 503 || status == 504);
    case HTTP_FAIL_CONNECT:
        return true;
    case HTTP_FAIL_TIMEOUT:
    case HTTP_FAIL_RESET:
    case HTTP_FAIL_PARTIAL:
    case HTTP_FAIL_EMPTY:
        return idempotent || !maybe_sent;
    default:
        return false;
    }
}

long http_backoff_ms(int attempt, long retry_after_ms, const struct http_opts *o, unsigned *seed)
{
    long base = o->backoff_base_ms > 0 ? o->backoff_base_ms : 0;
    long max = o->backoff_max_ms > base ? o->backoff_max_ms : base;
    long d = base;

    if (retry_after_ms >= 0) {
        if (retry_after_ms > o->retry_after_max_ms)
            return -1;
        return retry_after_ms + prng_range(seed, 0, base / 2);
    }
    for (int i = 1; i < attempt && d < max; i++)
        d = d > max / 2 ? max : d * 2;
    if (d > max)
        d = max;
    return prng_range(seed, d / 2, d);
}

static bool parse_digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* "Jan".."Dec" (any case) to 1..12, else 0. */
static int parse_month(const char *s)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";

    for (int m = 0; m < 12; m++)
        if (strncasecmp(s, names + 3 * m, 3) == 0)
            return m + 1;
    return 0;
}

static bool is_wkday(const char *s, size_t n)
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const long_days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                            "Friday", "Saturday", "Sunday"};

    for (int i = 0; i < 7; i++)
        if ((n == 3 && strncasecmp(s, days[i], 3) == 0) ||
            (n == strlen(long_days[i]) && strncasecmp(s, long_days[i], n) == 0))
            return true;
    return false;
}

/* "HH:MM:SS" */
static bool parse_clock(const char *s, int *h, int *mi, int *sec)
{
    return parse_digits(s, 2, h) && s[2] == ':' && parse_digits(s + 3, 2, mi) && s[5] == ':' &&
           parse_digits(s + 6, 2, sec) && *h < 24 && *mi < 60 && *sec <= 60;
}

/* An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, RFC 850, asctime) to seconds since the epoch. */
static bool parse_http_date(const char *s, size_t n, long long *out)
{
    int y, mo, d, h, mi, sec;
    const char *comma = memchr(s, ',', n);

    if (n == 29 && comma == s + 3) { /* Sun, 06 Nov 1994 08:49:37 GMT */
        if (!is_wkday(s, 3) || s[4] != ' ' || !parse_digits(s + 5, 2, &d) || s[7] != ' ' ||
            !(mo = parse_month(s + 8)) || s[11] != ' ' || !parse_digits(s + 12, 4, &y) ||
            s[16] != ' ' || !parse_clock(s + 17, &h, &mi, &sec) || strncmp(s + 25, " GMT", 4) != 0)
            return false;
    } else if (comma && (size_t)(s + n - comma) == 24) { /* Sunday, 06-Nov-94 08:49:37 GMT */
        const char *p = comma + 2;

        if (!is_wkday(s, (size_t)(comma - s)) || comma[1] != ' ' || !parse_digits(p, 2, &d) ||
            p[2] != '-' || !(mo = parse_month(p + 3)) || p[6] != '-' ||
            !parse_digits(p + 7, 2, &y) || p[9] != ' ' || !parse_clock(p + 10, &h, &mi, &sec) ||
            strncmp(p + 18, " GMT", 4) != 0)
            return false;
        y += y < 70 ? 2000 : 1900;
    } else if (n == 24 && !comma) { /* Sun Nov  6 08:49:37 1994 */
        if (!is_wkday(s, 3) || s[3] != ' ' || !(mo = parse_month(s + 4)) || s[7] != ' ' ||
            !(s[8] == ' ' ? parse_digits(s + 9, 1, &d) : parse_digits(s + 8, 2, &d)) ||
            s[10] != ' ' || !parse_clock(s + 11, &h, &mi, &sec) || s[19] != ' ' ||
            !parse_digits(s + 20, 4, &y))
            return false;
    } else {
        return false;
    }
    if (!util_valid_date(y, mo, d))
        return false;
    *out = util_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

long http_parse_retry_after(const char *value, long long now)
{
    const char *s = value;
    size_t n;
    long long t;

    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (!n)
        return -1;
    if (isdigit((unsigned char)s[0])) {
        long long secs = 0;

        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)s[i]))
                return -1;
            if (secs < 86400)
                secs = secs * 10 + (s[i] - '0');
        }
        return secs >= 86400 ? HTTP_DAY_MS : (long)(secs * 1000);
    }
    if (!parse_http_date(s, n, &t))
        return -1;
    if (t <= now)
        return 0;
    return t - now >= 86400 ? HTTP_DAY_MS : (long)((t - now) * 1000);
}

/* ---- client ---------------------------------------------------------------------------------- */

int http_global_init(struct err *e)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

    if (rc != CURLE_OK)
        return err_set(e, ERR_NET, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
    return 0;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

void http_opts_init(struct http_opts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 30000;
    o->connect_timeout_ms = 10000;
    o->retries = 3;
    o->concurrency = 16;
    o->max_body = (size_t)32 << 20;
    o->backoff_base_ms = 250;
    o->backoff_max_ms = 8000;
    o->retry_after_max_ms = 60000;
}

int http_client_new(const struct http_opts *o, struct http_client **out, struct err *e)
{
    struct http_opts defaults;
    struct http_client *c;
    int rc = ERR_NOMEM;

    *out = NULL;
    if (!o) {
        http_opts_init(&defaults);
        o = &defaults;
    }
    if (o->timeout_ms <= 0 || o->connect_timeout_ms <= 0)
        return err_set(e, ERR_INVALID, "http timeouts must be positive");
    if (o->retries < 0 || o->retries > HTTP_MAX_RETRIES)
        return err_set(e, ERR_INVALID, "retries must be 0..%d, not %d", HTTP_MAX_RETRIES,
                       o->retries);
    if (o->concurrency < 1 || o->concurrency > HTTP_MAX_CONCURRENCY)
        return err_set(e, ERR_INVALID, "concurrency must be 1..%d, not %d", HTTP_MAX_CONCURRENCY,
                       o->concurrency);
    if (o->max_body == 0 || o->backoff_base_ms < 0 || o->backoff_max_ms < o->backoff_base_ms ||
        o->retry_after_max_ms < 0)
        return err_set(e, ERR_INVALID, "invalid http body cap or backoff settings");

    c = calloc(1, sizeof *c);
    if (!c)
        goto out;
    c->o = *o;
    if (o->cacert && !(c->cacert = util_strdup(o->cacert)))
        goto out;
    c->o.cacert = c->cacert;
    c->seed = o->seed ? o->seed : (unsigned)(time(NULL) ^ (http_now_ms() << 8) ^ getpid());
    c->multi = curl_multi_init();
    c->share = curl_share_init();
    if (!c->multi || !c->share)
        goto out;
    if (curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) ||
        curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o->concurrency) ||
        curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->concurrency) ||
        curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)o->concurrency) ||
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION)) {
        rc = err_set(e, ERR_NET, "cannot configure libcurl");
        goto out;
    }
    *out = c;
    return 0;
out:
    http_client_free(c);
    if (rc == ERR_NOMEM)
        err_set(e, ERR_NOMEM, "out of memory creating the http client");
    return rc;
}

static void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    wipe_slist(x->hdrs);
    free(x->method);
    free(x->url);
    if (x->body)
        wipe(x->body, x->body_len);
    free(x->body);
    for (char **h = x->headers; h && *h; h++)
        secret_free(*h);
    free(x->headers);
    free(x->label);
    free(x->host);
    buf_free(&x->resp.body);
    buf_wipe_free(&x->resp.subject_token);
    free(x);
}

static void free_list(struct xfer *x)
{
    while (x) {
        struct xfer *next = x->next;

        xfer_free(x);
        x = next;
    }
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    for (struct xfer *x = c->running; x; x = x->next)
        if (x->easy)
            curl_multi_remove_handle(c->multi, x->easy);
    free_list(c->running);
    free_list(c->pending_head);
    free_list(c->waiting);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->share)
        curl_share_cleanup(c->share);
    free(c->cacert);
    free(c);
}

size_t http_queued(const struct http_client *c)
{
    return c->npending;
}

void http_client_stats(const struct http_client *c, struct http_stats *out)
{
    *out = c->stats;
}

/* ---- submitting ------------------------------------------------------------------------------ */

static bool valid_header(const char *h)
{
    const char *colon = strchr(h, ':');

    if (!colon || colon == h)
        return false;
    for (const char *p = h; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false;
    for (const char *p = h; p < colon; p++)
        if (*p == ' ' || *p == '\t' || *p == 0x7f)
            return false;
    return true;
}

/* Fills x->host ("host[:port]") and, without a label, x->label (method, scheme, host, path: no
 * query, no user info). Returns 0, ERR_INVALID or ERR_NOMEM. */
static int describe_url(struct xfer *x, const char *label, struct err *e)
{
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    struct buf b;
    CURLU *u = curl_url();
    int rc = ERR_NOMEM;

    buf_init(&b, 0);
    if (!u)
        goto out;
    if (curl_url_set(u, CURLUPART_URL, x->url, CURLU_PATH_AS_IS) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = err_set(e, ERR_INVALID, "invalid URL '%s'", x->url);
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        rc = err_set(e, ERR_INVALID, "URL '%s' is neither http nor https", x->url);
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    if (buf_printf(&b, "%s%s%s", host, port ? ":" : "", port ? port : ""))
        goto out;
    x->host = buf_take(&b);
    if (!x->host)
        goto out;
    if (label)
        x->label = util_strdup(label);
    else if (!buf_printf(&b, "%s %s://%s%s", x->method, scheme, x->host, path ? path : "/"))
        x->label = buf_take(&b);
    if (!x->label)
        goto out;
    rc = 0;
out:
    if (rc == ERR_NOMEM)
        err_set(e, ERR_NOMEM, "out of memory");
    buf_free(&b);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

int http_submit(struct http_client *c, const struct http_request *r, http_done_fn done, void *ud,
                struct err *e)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
    struct xfer *x;
    size_t n = 0;
    bool known = false;
    int rc = ERR_NOMEM;

    if (!r->method || !r->url || !done)
        return err_set(e, ERR_INVALID, "http request without method, URL or callback");
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        known = known || strcmp(r->method, methods[i]) == 0;
    if (!known)
        return err_set(e, ERR_INVALID, "unsupported HTTP method '%s'", r->method);
    for (const char *const *h = r->headers; h && *h; h++, n++)
        if (!valid_header(*h))
            return err_set(e, ERR_INVALID,
                           "invalid request header (not \"Name: value\" on one line)");

    x = calloc(1, sizeof *x);
    if (!x)
        return err_set(e, ERR_NOMEM, "out of memory");
    x->c = c;
    buf_init(&x->resp.body, c->o.max_body);
    buf_init(&x->resp.subject_token, HTTP_MAX_TOKEN);
    x->method = util_strdup(r->method);
    x->url = util_strdup(r->url);
    x->headers = calloc(n + 1, sizeof *x->headers);
    if (!x->method || !x->url || !x->headers)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (!(x->headers[i] = util_strdup(r->headers[i])))
            goto fail;
        if (strncasecmp(r->headers[i], "Content-Type:", 13) == 0)
            x->has_content_type = true;
    }
    if (r->body) {
        x->body = malloc(r->body_len ? r->body_len : 1);
        if (!x->body)
            goto fail;
        memcpy(x->body, r->body, r->body_len);
        x->body_len = r->body_len;
    }
    rc = describe_url(x, r->label, e);
    if (rc)
        goto fail;
    x->is_get = strcmp(r->method, "GET") == 0;
    x->idempotent = strcmp(r->method, "POST") != 0 || r->retry_unsafe;
    x->auth = r->auth;
    x->auth_ud = r->auth_ud;
    x->done = done;
    x->ud = ud;
    if (c->pending_tail)
        c->pending_tail->next = x;
    else
        c->pending_head = x;
    c->pending_tail = x;
    c->npending++;
    return 0;
fail:
    xfer_free(x);
    if (rc == ERR_NOMEM)
        err_set(e, ERR_NOMEM, "out of memory");
    return rc;
}

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
static void finish(struct http_client *c, struct xfer *x, int error, enum http_fail fail,
                   bool maybe_sent, const char *message)
{
    x->resp.error = error;
    x->resp.fail = fail;
    x->resp.maybe_sent = maybe_sent;
    copy_field(x->resp.message, sizeof x->resp.message, message, strlen(message));
    x->resp.elapsed_ms = x->first_ms ? (long)(http_now_ms() - x->first_ms) : 0;
    if (error) {
        buf_free(&x->resp.body);
        buf_wipe_free(&x->resp.subject_token);
    }
    c->stats.requests++;
    x->done(x->ud, &x->resp);
    xfer_free(x);
}

/* Removes the attempt's easy handle from the multi handle and the running list. */
static void end_transfer(struct http_client *c, struct xfer *x)
{
    if (x->easy) {
        curl_multi_remove_handle(c->multi, x->easy);
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
        c->in_flight--;
        list_remove(&c->running, x);
    }
    wipe_slist(x->hdrs);
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
        wipe(x->resp.subject_token.data, x->resp.subject_token.cap);
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
    if (name_is(p, nlen, "content-type")) {
        copy_field(x->resp.content_type, sizeof x->resp.content_type, v, vlen);
    } else if (name_is(p, nlen, "x-request-id") ||
               (name_is(p, nlen, "x-openstack-request-id") && !x->resp.request_id[0])) {
        copy_field(x->resp.request_id, sizeof x->resp.request_id, v, vlen);
    } else if (name_is(p, nlen, "retry-after")) {
        copy_field(x->retry_after, sizeof x->retry_after, v, vlen);
    } else if (name_is(p, nlen, "x-subject-token")) {
        int rc;

        wipe(x->resp.subject_token.data, x->resp.subject_token.cap);
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
        if (!valid_header(p)) {
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
    say(c, HTTP_LOG_DETAIL, "%s: request headers: %s", x->label, used ? names : "(none)");
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
    if (c->cacert)
        SETOPT(CURLOPT_CAINFO, c->cacert);
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
    wipe_slist(x->hdrs);
    x->hdrs = NULL;
}

/* Starts the next attempt of x (in no list). On failure the request is finished. */
static void start_attempt(struct http_client *c, struct xfer *x)
{
    struct err e;
    CURLcode cc;
    int rc;

    x->resp.attempts++;
    c->stats.attempts++;
    if (x->resp.attempts > 1)
        c->stats.retries++;
    x->attempt_ms = http_now_ms();
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
        say(c, HTTP_LOG_ATTEMPT, "%s: authentication failed (attempt %d/%d): %s", x->label,
            x->resp.attempts, c->o.retries + 1, e.msg);
        drop_attempt(x);
        finish(c, x, rc, HTTP_FAIL_AUTH, false, e.msg);
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
        finish(c, x, cc == CURLE_OUT_OF_MEMORY ? ERR_NOMEM : ERR_NET, HTTP_FAIL_OTHER, false,
               e.msg);
        return;
    }
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        drop_attempt(x);
        finish(c, x, ERR_NET, HTTP_FAIL_OTHER, false, "cannot start the transfer");
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
    finish(c, x, ERR_NOMEM, HTTP_FAIL_OTHER, false, "out of memory");
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
    lower_first(out);
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
    lower_first(detail);

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
            fmt(oc->what, sizeof oc->what, "empty response body (HTTP %ld)", status);
        }
        return;
    case CURLE_COULDNT_RESOLVE_HOST:
        oc->fail = HTTP_FAIL_CONNECT;
        oc->maybe_sent = false;
        fmt(oc->what, sizeof oc->what, "cannot resolve host '%s'", x->host);
        return;
    case CURLE_COULDNT_RESOLVE_PROXY:
        oc->fail = HTTP_FAIL_CONNECT;
        oc->maybe_sent = false;
        fmt(oc->what, sizeof oc->what, "cannot resolve the proxy: %s", detail);
        return;
    case CURLE_COULDNT_CONNECT: {
        char why[128];

        os_error_text(oserr, "connection failed", why, sizeof why);
        oc->fail = HTTP_FAIL_CONNECT;
        oc->maybe_sent = false;
        fmt(oc->what, sizeof oc->what, "cannot connect to %s: %s", x->host, why);
        return;
    }
    case CURLE_SSL_CONNECT_ERROR:
        oc->fail = HTTP_FAIL_CONNECT;
        oc->maybe_sent = false;
        fmt(oc->what, sizeof oc->what, "TLS handshake with %s failed: %s", x->host, detail);
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        oc->fail = HTTP_FAIL_TLS;
        oc->maybe_sent = false;
        fmt(oc->what, sizeof oc->what, "TLS certificate of %s not accepted: %s", x->host, detail);
        return;
    case CURLE_SSL_CACERT_BADFILE:
        oc->fail = HTTP_FAIL_TLS;
        oc->maybe_sent = false;
        fmt(oc->what, sizeof oc->what, "cannot use the CA bundle '%s': %s",
            c->cacert ? c->cacert : "(system default)", detail);
        return;
    case CURLE_OPERATION_TIMEDOUT:
        oc->fail = HTTP_FAIL_TIMEOUT;
        if (req_size == 0) {
            long t = c->o.connect_timeout_ms < c->o.timeout_ms ? c->o.connect_timeout_ms
                                                               : c->o.timeout_ms;
            fmt(oc->what, sizeof oc->what, "timeout after %ld ms connecting to %s", t, x->host);
        } else if (status == 0) {
            fmt(oc->what, sizeof oc->what, "timeout after %ld ms waiting for the response",
                c->o.timeout_ms);
        } else if (expected >= 0) {
            fmt(oc->what, sizeof oc->what,
                "timeout after %ld ms receiving the response body (%lld of %lld bytes)",
                c->o.timeout_ms, (long long)got, (long long)expected);
        } else {
            fmt(oc->what, sizeof oc->what,
                "timeout after %ld ms receiving the response body (%lld bytes)", c->o.timeout_ms,
                (long long)got);
        }
        return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        oc->fail = HTTP_FAIL_RESET;
        if (oserr == ECONNRESET || oserr == EPIPE)
            fmt(oc->what, sizeof oc->what, "connection reset by peer");
        else
            fmt(oc->what, sizeof oc->what, "%s failure: %s",
                cc == CURLE_RECV_ERROR ? "receive" : "send", detail);
        return;
    case CURLE_GOT_NOTHING:
        oc->fail = HTTP_FAIL_RESET;
        fmt(oc->what, sizeof oc->what, "connection closed without a response");
        return;
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        oc->fail = HTTP_FAIL_RESET;
        fmt(oc->what, sizeof oc->what, "HTTP/2 error: %s", detail);
        return;
    case CURLE_PARTIAL_FILE:
        oc->fail = HTTP_FAIL_PARTIAL;
        if (expected >= 0)
            fmt(oc->what, sizeof oc->what,
                "response truncated: connection closed after %lld of %lld bytes", (long long)got,
                (long long)expected);
        else
            fmt(oc->what, sizeof oc->what, "response truncated: %s", detail);
        return;
    case CURLE_BAD_CONTENT_ENCODING:
        oc->fail = HTTP_FAIL_PARTIAL;
        fmt(oc->what, sizeof oc->what, "cannot decode the response body: %s", detail);
        return;
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_WRITE_ERROR:
        if (x->token_over) {
            oc->fail = HTTP_FAIL_LIMIT;
            oc->error = ERR_LIMIT;
            fmt(oc->what, sizeof oc->what, "X-Subject-Token exceeds the limit of %d bytes",
                HTTP_MAX_TOKEN);
        } else if (cc == CURLE_FILESIZE_EXCEEDED || x->over_cap) {
            oc->fail = HTTP_FAIL_LIMIT;
            oc->error = ERR_LIMIT;
            fmt(oc->what, sizeof oc->what, "response body exceeds the limit of %zu bytes",
                c->o.max_body);
        } else {
            oc->error = ERR_NOMEM;
            fmt(oc->what, sizeof oc->what, "out of memory receiving the response");
        }
        return;
    case CURLE_OUT_OF_MEMORY:
        oc->error = ERR_NOMEM;
        fmt(oc->what, sizeof oc->what, "out of memory");
        return;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        oc->error = ERR_INVALID;
        oc->maybe_sent = false;
        fmt(oc->what, sizeof oc->what, "invalid URL: %s", detail);
        return;
    default:
        fmt(oc->what, sizeof oc->what, "transfer failed: %s", detail);
        return;
    }
}

/* Resets what an attempt left in the response before the next one. */
static void reset_attempt(struct xfer *x)
{
    buf_free(&x->resp.body);
    wipe(x->resp.subject_token.data, x->resp.subject_token.cap);
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
static void attempt_done(struct http_client *c, struct xfer *x, CURLcode cc)
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
    took = (long)(http_now_ms() - x->attempt_ms);
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
            fmt(note, sizeof note, ", Retry-After %ld s is over the %ld s limit",
                retry_after / 1000, c->o.retry_after_max_ms / 1000);
        }
    } else if (!x->idempotent && x->resp.attempts < max &&
               http_retryable(oc.fail, (int)status, true, oc.maybe_sent)) {
        fmt(note, sizeof note, "; not retried: the %s may have reached the server", x->method);
    }

    if (oc.fail == HTTP_FAIL_NONE)
        fmt(msg, sizeof msg, "HTTP %ld", status);
    else
        fmt(msg, sizeof msg, "%s", oc.what);
    if (retry)
        say(c, HTTP_LOG_ATTEMPT, "%s: %s, %ld ms (attempt %d/%d), retrying in %ld ms", x->label,
            msg, took, x->resp.attempts, max, delay);
    else
        say(c, HTTP_LOG_ATTEMPT, "%s: %s, %ld ms (attempt %d/%d)%s", x->label, msg, took,
            x->resp.attempts, max, note);
    if (c->o.log) {
        curl_off_t got = 0;

        curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
        say(c, HTTP_LOG_DETAIL, "%s: content-type '%s', %lld bytes, request id '%s', %s connection",
            x->label, x->resp.content_type, (long long)got, x->resp.request_id,
            nconn ? "new" : "reused");
    }
    end_transfer(c, x);

    if (retry) {
        reset_attempt(x);
        x->due_ms = http_now_ms() + delay;
        waiting_insert(c, x);
        return;
    }
    if (oc.fail == HTTP_FAIL_NONE) {
        if (status >= 400 && x->resp.attempts > 1)
            fmt(msg, sizeof msg, "HTTP %ld after %d tries%s", status, x->resp.attempts, note);
        else if (status >= 300)
            fmt(msg, sizeof msg, "HTTP %ld%s%s", status, note,
                status < 400 ? " (redirects are not followed)" : "");
        else
            msg[0] = '\0';
        finish(c, x, 0, HTTP_FAIL_NONE, false, msg);
        return;
    }
    if (x->resp.attempts > 1)
        fmt(msg, sizeof msg, "%s (%d tries)%s", oc.what, x->resp.attempts, note);
    else
        fmt(msg, sizeof msg, "%s%s", oc.what, note);
    finish(c, x, oc.error, oc.fail, oc.maybe_sent, msg);
}

/* ---- the loop -------------------------------------------------------------------------------- */

/* Moves the retries that are due to the front of the pending queue, in due order. */
static void promote_due(struct http_client *c, long long now)
{
    struct xfer *first = c->waiting, *last = NULL;

    while (c->waiting && c->waiting->due_ms <= now) {
        last = c->waiting;
        c->waiting = c->waiting->next;
        c->npending++;
    }
    if (!last)
        return;
    last->next = c->pending_head;
    c->pending_head = first;
    if (!c->pending_tail)
        c->pending_tail = last;
}

static struct xfer *pending_pop(struct http_client *c)
{
    struct xfer *x = c->pending_head;

    c->pending_head = x->next;
    if (!c->pending_head)
        c->pending_tail = NULL;
    c->npending--;
    x->next = NULL;
    return x;
}

/* After a failure of the multi handle itself: completes everything outstanding with error. */
static void fail_all(struct http_client *c, int error, const char *message)
{
    while (c->running) {
        struct xfer *x = c->running;

        end_transfer(c, x);
        finish(c, x, error, HTTP_FAIL_OTHER, true, message);
    }
    while (c->waiting || c->pending_head) {
        struct xfer *x;

        if (c->waiting) {
            x = c->waiting;
            c->waiting = x->next;
            x->next = NULL;
        } else {
            x = pending_pop(c);
        }
        finish(c, x, error, HTTP_FAIL_OTHER, x->resp.attempts > 0, message);
    }
}

int http_run(struct http_client *c, struct err *e)
{
    int rc = 0;

    if (c->in_run)
        return err_set(e, ERR_INVALID, "http_run called from a done callback");
    c->in_run = true;
    for (;;) {
        long timeout = HTTP_POLL_MAX, curl_timeout = -1;
        long long now = http_now_ms();
        CURLMcode mc;
        CURLMsg *msg;
        int still = 0, left = 0;

        promote_due(c, now);
        while (c->pending_head && c->in_flight < c->o.concurrency)
            start_attempt(c, pending_pop(c));
        if (!c->in_flight && !c->pending_head && !c->waiting)
            break;
        if (c->in_flight) {
            mc = curl_multi_perform(c->multi, &still);
            if (mc != CURLM_OK)
                goto fatal;
            while ((msg = curl_multi_info_read(c->multi, &left))) {
                struct xfer *x = NULL;

                if (msg->msg != CURLMSG_DONE)
                    continue;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
                attempt_done(c, x, msg->data.result);
            }
        }
        if (c->pending_head && c->in_flight < c->o.concurrency)
            continue; /* callbacks queued more: start them before waiting */
        if (!c->in_flight && !c->pending_head && !c->waiting)
            break;
        if (c->in_flight && curl_multi_timeout(c->multi, &curl_timeout) == CURLM_OK &&
            curl_timeout >= 0 && curl_timeout < timeout)
            timeout = curl_timeout;
        if (c->waiting) {
            long long until = c->waiting->due_ms - http_now_ms();

            if (until < timeout)
                timeout = until < 0 ? 0 : (long)until;
        }
        mc = curl_multi_poll(c->multi, NULL, 0, (int)timeout, NULL);
        if (mc != CURLM_OK)
            goto fatal;
        continue;
    fatal : {
        struct err fe;

        rc = err_set(&fe, mc == CURLM_OUT_OF_MEMORY ? ERR_NOMEM : ERR_NET,
                     "http client failure: %s", curl_multi_strerror(mc));
        fail_all(c, rc, fe.msg);
        err_set(e, rc, "%s", fe.msg);
        break;
    }
    }
    c->in_run = false;
    return rc;
}
