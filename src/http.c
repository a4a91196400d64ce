/*
 * The HTTP client: one curl multi handle, a FIFO of requests waiting for a transfer slot, a list of
 * requests waiting (by due time) to retry, and the transfers in flight. Each attempt gets a fresh
 * easy handle; connections, TLS sessions and DNS answers are shared through the multi and share
 * handles, so a retry or the next request reuses what the previous one opened.
 */
#include "http_internal.h"

#include "config.h"
#include "util.h"
#include "version.h"

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

/* ---- small helpers --------------------------------------------------------------------------- */

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

void hx_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void hx_wipe_slist(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        hx_wipe(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

/* Copies at most size-1 bytes of s[0..n) into out, control bytes replaced by '?'. */
void hx_copy_field(char *out, size_t size, const char *s, size_t n)
{
    if (n > size - 1)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    out[n] = '\0';
}

/* Lower-cases the first letter of a curl or strerror text ("Connection refused"), not of an
 * acronym ("SSL ..."). */
void hx_lower_first(char *s)
{
    if (s[0] && isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1]))
        s[0] = (char)tolower((unsigned char)s[0]);
}

/* snprintf for messages, where cutting a long curl text short is intended. */
void hx_fmt(char *out, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));

void hx_fmt(char *out, size_t size, const char *f, ...)
{
    va_list ap;

    va_start(ap, f);
    vsnprintf(out, size, f, ap);
    va_end(ap);
}

bool hx_name_is(const char *p, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

void hx_say(struct http_client *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void hx_say(struct http_client *c, int level, const char *fmt, ...)
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
    CURLcode rc;
    int lrc = http_curl_load(e);

    if (lrc)
        return lrc;
    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return err_set(e, ERR_NET, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
    return 0;
}

void http_global_cleanup(void)
{
    if (http_curl_loaded())
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

/* Reads the --cacert bundle into memory: it must hold a PEM certificate. */
static int read_ca_bundle(struct http_client *c, struct err *e)
{
    int rc = util_read_file(c->cacert, HTTP_MAX_CA_BUNDLE, &c->ca_pem, e);

    if (rc)
        return err_prefix(e, rc, "--cacert");
    if (!strstr(buf_str(&c->ca_pem), "-----BEGIN CERTIFICATE-----"))
        return err_set(e, ERR_INVALID,
                       "--cacert '%s' holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                       c->cacert);
    return 0;
}

int http_client_new(const struct http_opts *o, struct http_client **out, struct err *e)
{
    struct http_opts defaults;
    struct http_client *c;
    int rc = ERR_NOMEM;

    *out = NULL;
    if ((rc = http_curl_load(e)) != 0)
        return rc; /* a client made without http_global_init (tests) still finds curl */
    rc = ERR_NOMEM;
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
    buf_init(&c->ca_pem, HTTP_MAX_CA_BUNDLE);
    if (o->cacert && !(c->cacert = util_strdup(o->cacert)))
        goto out;
    c->o.cacert = c->cacert;
    if (o->cacert && (rc = read_ca_bundle(c, e)) != 0)
        goto out;
    rc = ERR_NOMEM;
    c->seed = o->seed ? o->seed : (unsigned)(time(NULL) ^ (util_now_ms() << 8) ^ getpid());
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

void hx_xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    hx_wipe_slist(x->hdrs);
    free(x->method);
    free(x->url);
    if (x->body)
        hx_wipe(x->body, x->body_len);
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

        hx_xfer_free(x);
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
    free_list(c->finished_head);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->share)
        curl_share_cleanup(c->share);
    free(c->cacert);
    buf_free(&c->ca_pem);
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

bool hx_valid_header(const char *h)
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

/* Queues x: at the tail, or (urgent) after the urgent ones already queued, which lead. */
static void pending_add(struct http_client *c, struct xfer *x, bool urgent)
{
    struct xfer *after = urgent ? c->urgent_tail : c->pending_tail;

    if (!after) {
        x->next = c->pending_head;
        c->pending_head = x;
    } else {
        x->next = after->next;
        after->next = x;
    }
    if (!x->next)
        c->pending_tail = x;
    if (urgent)
        c->urgent_tail = x;
    c->npending++;
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
        if (!hx_valid_header(*h))
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
    pending_add(c, x, r->urgent);
    return 0;
fail:
    hx_xfer_free(x);
    if (rc == ERR_NOMEM)
        err_set(e, ERR_NOMEM, "out of memory");
    return rc;
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
    if (c->urgent_tail == x)
        c->urgent_tail = NULL;
    c->npending--;
    x->next = NULL;
    return x;
}

/* Starts pending requests while there are free slots and puts them on the wire at once (a
 * failure of the multi handle shows again in the loop's own curl_multi_perform). True when it
 * drove the transfers: one may have completed, and its message waits in the multi handle, which
 * curl_multi_poll does not wake for. */
static bool send_pending(struct http_client *c)
{
    int started = 0, still = 0;

    while (c->pending_head && c->in_flight < c->o.concurrency) {
        hx_start_attempt(c, pending_pop(c));
        started++;
    }
    if (!started || !c->in_flight)
        return false;
    curl_multi_perform(c->multi, &still);
    return true;
}

/* Runs the done callbacks of the finished requests, in the order they finished. The slots they
 * freed are refilled and the requests sent before each answer is parsed and handled: at high
 * concurrency, handling 64 answers one after the other would otherwise hold the next round back
 * by all of that time. A callback may submit more requests; they go out before the next answer is
 * handled. */
static bool run_finished(struct http_client *c)
{
    bool performed = false;

    while (c->finished_head) {
        struct xfer *x = c->finished_head;

        performed |= send_pending(c);
        c->finished_head = x->next;
        if (!c->finished_head)
            c->finished_tail = NULL;
        x->next = NULL;
        x->done(x->ud, &x->resp);
        hx_xfer_free(x);
    }
    return performed;
}

/* After a failure of the multi handle itself: completes everything outstanding with error. */
static void fail_all(struct http_client *c, int error, const char *message)
{
    while (c->running) {
        struct xfer *x = c->running;

        hx_end_transfer(c, x);
        hx_finish(c, x, error, HTTP_FAIL_OTHER, true, message);
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
        hx_finish(c, x, error, HTTP_FAIL_OTHER, x->resp.attempts > 0, message);
    }
    run_finished(c);
}

int http_run(struct http_client *c, struct err *e)
{
    int rc = 0;

    if (c->in_run)
        return err_set(e, ERR_INVALID, "http_run called from a done callback");
    c->in_run = true;
    for (;;) {
        long timeout = HTTP_POLL_MAX, curl_timeout = -1;
        long long now = util_now_ms();
        CURLMcode mc;
        CURLMsg *msg;
        int still = 0, left = 0;

        promote_due(c, now);
        while (c->pending_head && c->in_flight < c->o.concurrency)
            hx_start_attempt(c, pending_pop(c));
        run_finished(c); /* requests that could not start */
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
                hx_attempt_done(c, x, msg->data.result);
            }
        }
        if (run_finished(c))
            continue; /* a transfer may have completed meanwhile: poll would not see it */
        if (c->pending_head && c->in_flight < c->o.concurrency)
            continue; /* callbacks queued more: start them before waiting */
        if (!c->in_flight && !c->pending_head && !c->waiting)
            break;
        if (c->in_flight && curl_multi_timeout(c->multi, &curl_timeout) == CURLM_OK &&
            curl_timeout >= 0 && curl_timeout < timeout)
            timeout = curl_timeout;
        if (c->waiting) {
            long long until = c->waiting->due_ms - util_now_ms();

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
