/*
 * Tests for http.c: the pure retry, backoff and Retry-After helpers, then the client against the
 * real simulator (each test starts its own on port 0) for every fault kind, and against a tiny
 * raw responder for bodies the simulator cannot send (no Content-Length, chunked). The request log
 * of the simulator is the judge of how many requests went out.
 */
#include "testutil.h"

#include "buf.h"
#include "err.h"
#include "http.h"
#include "simproc.h"
#include "util.h"

#include <json-c/json.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOKEN   "tok-secret-123"
#define PROJECT "p1"

/* ---- helpers --------------------------------------------------------------------------------- */

static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What a done callback saw, copied out of the response. */
struct got {
    int n;
    int status, attempts, error, connects;
    enum http_fail fail;
    bool maybe_sent;
    long elapsed_ms;
    long long done_at;
    char message[256], content_type[128], request_id[96], token[256];
    char *body;
    size_t body_len;
};

static void on_done(void *ud, struct http_response *r)
{
    struct got *g = ud;

    g->n++;
    g->status = r->status;
    g->attempts = r->attempts;
    g->error = r->error;
    g->connects = r->connects;
    g->fail = r->fail;
    g->maybe_sent = r->maybe_sent;
    g->elapsed_ms = r->elapsed_ms;
    g->done_at = mono_ms();
    snprintf(g->message, sizeof g->message, "%s", r->message);
    snprintf(g->content_type, sizeof g->content_type, "%s", r->content_type);
    snprintf(g->request_id, sizeof g->request_id, "%s", r->request_id);
    snprintf(g->token, sizeof g->token, "%s", buf_str(&r->subject_token));
    g->body_len = r->body.len;
    free(g->body);
    g->body = buf_take(&r->body);
}

static void got_free(struct got *g)
{
    free(g->body);
    g->body = NULL;
}

/* Log lines, kept for inspection. */
struct logcap {
    struct buf all; /* every line, '\n'-separated, prefixed by its level */
};

static void on_log(void *ud, int level, const char *msg)
{
    struct logcap *lc = ud;

    buf_printf(&lc->all, "%d %s\n", level, msg);
}

static struct http_opts test_opts(void)
{
    struct http_opts o;

    http_opts_init(&o);
    o.timeout_ms = 5000;
    o.connect_timeout_ms = 2000;
    o.backoff_base_ms = 10;
    o.backoff_max_ms = 40;
    o.seed = 42;
    return o;
}

static struct http_client *client_with(const struct http_opts *o)
{
    struct http_client *c = NULL;
    struct err e;

    ck_assert_msg(http_client_new(o, &c, &e) == 0, "%s", e.msg);
    return c;
}

static const char *const token_headers[] = {"X-Auth-Token: " TOKEN, "Accept: application/json",
                                            NULL};

static void submit(struct http_client *c, const char *method, const char *url, const char *body,
                   struct got *g)
{
    struct http_request r = {.method = method, .url = url, .headers = token_headers};
    struct err e;

    if (body) {
        r.body = body;
        r.body_len = strlen(body);
    }
    ck_assert_msg(http_submit(c, &r, on_done, g, &e) == 0, "%s", e.msg);
}

static void run(struct http_client *c)
{
    struct err e;

    ck_assert_msg(http_run(c, &e) == 0, "%s", e.msg);
}

/* One request with a fresh client; the result in g. */
static void fetch(const struct http_opts *o, const char *method, const char *url, const char *body,
                  struct got *g)
{
    struct http_client *c = client_with(o);

    submit(c, method, url, body, g);
    run(c);
    http_client_free(c);
    ck_assert_int_eq(g->n, 1);
}

/* A running simulator with its own directory and scenario. */
struct fx {
    char *dir;
    struct simproc sp;
    char url[128]; /* base + "/v1/p1" */
};

/* Starts a simulator whose scenario has one group and one token, plus `extra` (JSON members,
 * e.g. "\"faults\": [...]", or "" ). */
static void fx_start(struct fx *f, const char *extra)
{
    struct buf sc;
    char *path;
    struct err e;

    f->dir = tu_tmpdir();
    buf_init(&sc, 0);
    buf_printf(
        &sc,
        "{\"project_id\": \"" PROJECT "\", \"credentials\": {\"tokens\": [\"" TOKEN "\"],"
        " \"users\": [{\"name\": \"alice\", \"password\": \"alice-pw\", \"domain\": \"dom\"}]},"
        " \"server_groups\": [{\"id\": \"g1\", \"name\": \"pg\", \"status\": \"protected\"}]%s%s}",
        extra && *extra ? ", " : "", extra ? extra : "");
    path = tu_write(f->dir, "scenario.json", sc.data);
    buf_free(&sc);
    ck_assert_msg(simproc_start(&f->sp, path, f->dir, &e) == 0, "%s", e.msg);
    free(path);
    snprintf(f->url, sizeof f->url, "%s/v1/" PROJECT, f->sp.url);
}

static void fx_stop(struct fx *f)
{
    simproc_stop(&f->sp);
    tu_rmtree(f->dir);
    free(f->dir);
    f->dir = NULL;
}

/* The simulator's request log, parsed (caller puts it). */
static struct json_object *fx_log(struct fx *f)
{
    struct buf b;
    struct err e;
    struct json_object *arr;

    buf_init(&b, 0);
    ck_assert_msg(simproc_requests(&f->sp, &b, &e) == 0, "%s", e.msg);
    arr = json_tokener_parse(b.data);
    ck_assert_msg(arr && json_object_is_type(arr, json_type_array), "bad log: %s", b.data);
    buf_free(&b);
    return arr;
}

static const char *entry_str(struct json_object *entry, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(entry, key, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

/* Requests in the log with this method whose path ends with suffix (NULL: any). */
static int fx_count(struct fx *f, const char *method, const char *suffix)
{
    struct json_object *arr = fx_log(f);
    int n = 0;

    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *entry = json_object_array_get_idx(arr, i);
        const char *path = entry_str(entry, "path");
        size_t pl = strlen(path), sl = suffix ? strlen(suffix) : 0;

        if (method && strcmp(entry_str(entry, "method"), method) != 0)
            continue;
        if (suffix && (pl < sl || strcmp(path + pl - sl, suffix) != 0))
            continue;
        n++;
    }
    json_object_put(arr);
    return n;
}

static bool contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* ---- pure helpers ---------------------------------------------------------------------------- */

START_TEST(test_retryable)
{
    static const struct {
        enum http_fail fail;
        int status;
        bool idempotent, maybe_sent, want;
    } cases[] = {
        {HTTP_FAIL_NONE, 200, true, true, false},     {HTTP_FAIL_NONE, 404, true, true, false},
        {HTTP_FAIL_NONE, 500, true, true, false},     {HTTP_FAIL_NONE, 501, true, true, false},
        {HTTP_FAIL_NONE, 429, true, true, true},      {HTTP_FAIL_NONE, 502, true, true, true},
        {HTTP_FAIL_NONE, 503, true, true, true},      {HTTP_FAIL_NONE, 504, true, true, true},
        {HTTP_FAIL_NONE, 503, false, true, false},    {HTTP_FAIL_NONE, 429, false, true, false},
        {HTTP_FAIL_CONNECT, 0, false, false, true},   {HTTP_FAIL_CONNECT, 0, true, false, true},
        {HTTP_FAIL_TIMEOUT, 0, true, true, true},     {HTTP_FAIL_TIMEOUT, 0, false, true, false},
        {HTTP_FAIL_TIMEOUT, 0, false, false, true},   {HTTP_FAIL_RESET, 0, true, true, true},
        {HTTP_FAIL_RESET, 0, false, true, false},     {HTTP_FAIL_PARTIAL, 200, true, true, true},
        {HTTP_FAIL_PARTIAL, 200, false, true, false}, {HTTP_FAIL_EMPTY, 200, true, true, true},
        {HTTP_FAIL_LIMIT, 200, true, true, false},    {HTTP_FAIL_TLS, 0, true, false, false},
        {HTTP_FAIL_AUTH, 0, true, false, false},      {HTTP_FAIL_OTHER, 0, true, false, false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(http_retryable(cases[i].fail, cases[i].status, cases[i].idempotent,
                                     cases[i].maybe_sent) == cases[i].want,
                      "case %zu (fail %d, status %d)", i, cases[i].fail, cases[i].status);
}
END_TEST

START_TEST(test_backoff)
{
    struct http_opts o;
    unsigned seed = 7, seed2 = 7;
    long lo_seen = 1 << 30, hi_seen = 0;

    http_opts_init(&o);
    /* attempt n: d = min(8000, 250 * 2^(n-1)), value in [d/2, d] */
    for (int attempt = 1; attempt <= 10; attempt++) {
        long d = 250L << (attempt - 1);

        if (d > 8000)
            d = 8000;
        for (int i = 0; i < 200; i++) {
            long v = http_backoff_ms(attempt, -1, &o, &seed);

            ck_assert_msg(v >= d / 2 && v <= d, "attempt %d: %ld not in [%ld, %ld]", attempt, v,
                          d / 2, d);
            if (attempt == 1) {
                lo_seen = v < lo_seen ? v : lo_seen;
                hi_seen = v > hi_seen ? v : hi_seen;
            }
        }
    }
    ck_assert_msg(hi_seen - lo_seen > 60, "no jitter: %ld..%ld", lo_seen, hi_seen);
    /* deterministic for a seed */
    seed = 7;
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(http_backoff_ms(3, -1, &o, &seed), http_backoff_ms(3, -1, &o, &seed2));
    /* huge attempt numbers do not overflow */
    ck_assert_int_le(http_backoff_ms(1000, -1, &o, &seed), 8000);
    /* Retry-After wins, plus at most base/2 of jitter; over the limit means do not retry */
    for (int i = 0; i < 100; i++) {
        long v = http_backoff_ms(1, 1000, &o, &seed);

        ck_assert_msg(v >= 1000 && v <= 1125, "%ld", v);
    }
    ck_assert_int_ge(http_backoff_ms(1, 0, &o, &seed), 0);
    ck_assert_int_ge(http_backoff_ms(1, 60000, &o, &seed), 60000);
    ck_assert_int_eq(http_backoff_ms(1, 60001, &o, &seed), -1);
    /* base 0: no wait */
    o.backoff_base_ms = 0;
    o.backoff_max_ms = 0;
    ck_assert_int_eq(http_backoff_ms(4, -1, &o, &seed), 0);
}
END_TEST

START_TEST(test_retry_after)
{
    long long now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

    ck_assert_int_eq(http_parse_retry_after("1", now), 1000);
    ck_assert_int_eq(http_parse_retry_after("0", now), 0);
    ck_assert_int_eq(http_parse_retry_after(" 120 ", now), 120000);
    ck_assert_int_eq(http_parse_retry_after("120\r\n", now), 120000);
    ck_assert_int_eq(http_parse_retry_after("99999999999999999999999", now), 86400L * 1000);
    ck_assert_int_eq(http_parse_retry_after("", now), -1);
    ck_assert_int_eq(http_parse_retry_after("  ", now), -1);
    ck_assert_int_eq(http_parse_retry_after(NULL, now), -1);
    ck_assert_int_eq(http_parse_retry_after("-1", now), -1);
    ck_assert_int_eq(http_parse_retry_after("+5", now), -1);
    ck_assert_int_eq(http_parse_retry_after("1.5", now), -1);
    ck_assert_int_eq(http_parse_retry_after("5s", now), -1);
    ck_assert_int_eq(http_parse_retry_after("soon", now), -1);
    /* the three HTTP-date forms, 30 s ahead */
    ck_assert_int_eq(http_parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), 30000);
    ck_assert_int_eq(http_parse_retry_after("Sunday, 06-Nov-94 08:50:07 GMT", now), 30000);
    ck_assert_int_eq(http_parse_retry_after("Sun Nov  6 08:50:07 1994", now), 30000);
    /* the past is "now" */
    ck_assert_int_eq(http_parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0);
    /* a leap day, the far future capped at a day */
    ck_assert_int_eq(http_parse_retry_after("Thu, 29 Feb 2024 00:00:10 GMT", 1709164800), 10000);
    ck_assert_int_eq(http_parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), 86400L * 1000);
    /* garbage dates */
    ck_assert_int_eq(http_parse_retry_after("Sun, 31 Nov 1994 08:49:37 GMT", now), -1);
    ck_assert_int_eq(http_parse_retry_after("Sun, 29 Feb 2023 08:49:37 GMT", now), -1);
    ck_assert_int_eq(http_parse_retry_after("Sun, 06 Nov 1994 24:49:37 GMT", now), -1);
    ck_assert_int_eq(http_parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now), -1);
    ck_assert_int_eq(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", now), -1);
    ck_assert_int_eq(http_parse_retry_after("Xyz, 06 Nov 1994 08:49:37 GMT", now), -1);
    ck_assert_int_eq(http_parse_retry_after("Sun, 6 Nov 1994 08:49:37 GMT", now), -1);
    ck_assert_int_eq(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT x", now), -1);
    ck_assert_int_eq(http_parse_retry_after("1994-11-06T08:50:07Z", now), -1);
}
END_TEST

static void never_called(void *ud, struct http_response *r)
{
    (void)ud;
    (void)r;
    ck_abort_msg("callback of a dropped request ran");
}

START_TEST(test_options_and_submit)
{
    struct http_opts o = test_opts();
    struct http_client *c = NULL;
    struct http_request r = {.method = "GET", .url = "http://127.0.0.1:1/x"};
    const char *const bad_header[] = {"X-Evil: a\r\nHost: elsewhere", NULL};
    const char *const no_colon[] = {"NoColon", NULL};
    struct http_stats st;
    struct err e;

    o.concurrency = 0;
    ck_assert_int_eq(http_client_new(&o, &c, &e), ERR_INVALID);
    ck_assert_ptr_null(c);
    o = test_opts();
    o.retries = HTTP_MAX_RETRIES + 1;
    ck_assert_int_eq(http_client_new(&o, &c, &e), ERR_INVALID);
    o = test_opts();
    o.timeout_ms = 0;
    ck_assert_int_eq(http_client_new(&o, &c, &e), ERR_INVALID);
    ck_assert_int_eq(http_client_new(NULL, &c, &e), 0);
    http_client_free(c);
    http_client_free(NULL);

    o = test_opts();
    c = client_with(&o);
    r.method = "PATCH";
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), ERR_INVALID);
    ck_assert(contains(e.msg, "PATCH"));
    r.method = "get";
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), ERR_INVALID);
    r.method = "GET";
    r.url = "ftp://127.0.0.1/x";
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), ERR_INVALID);
    r.url = "file:///etc/passwd";
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), ERR_INVALID);
    r.url = "not a url";
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), ERR_INVALID);
    r.url = "http://127.0.0.1:1/x";
    r.headers = bad_header;
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), ERR_INVALID);
    r.headers = no_colon;
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), ERR_INVALID);
    r.headers = NULL;
    ck_assert_int_eq(http_submit(c, &r, NULL, NULL, &e), ERR_INVALID);
    /* queued but never run: dropped without callbacks, and without leaks (ASan) */
    r.body = "secret body";
    r.body_len = 11;
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), 0);
    ck_assert_int_eq(http_submit(c, &r, never_called, NULL, &e), 0);
    http_client_stats(c, &st);
    ck_assert_int_eq(st.attempts, 0);
    http_client_free(c);
}
END_TEST

/* ---- against the simulator ------------------------------------------------------------------- */

/* Sequential GETs chained from the done callback over one connection. */
struct chain {
    struct http_client *c;
    const char *url;
    int left;
    struct got g[8];
    int n;
};

static void chain_next(struct chain *ch);

static void chain_done(void *ud, struct http_response *r)
{
    struct chain *ch = ud;

    on_done(&ch->g[ch->n++], r);
    chain_next(ch);
}

static void chain_next(struct chain *ch)
{
    struct http_request r = {.method = "GET", .url = ch->url, .headers = token_headers};
    struct err e;

    if (ch->left-- <= 0)
        return;
    ck_assert_msg(http_submit(ch->c, &r, chain_done, ch, &e) == 0, "%s", e.msg);
}

START_TEST(test_get_reuse)
{
    struct http_opts o = test_opts();
    struct chain ch = {.left = 5};
    struct http_stats st;
    char url[200];
    struct fx f;

    fx_start(&f, "");
    snprintf(url, sizeof url, "%s/server-groups", f.url);
    o.concurrency = 1;
    ch.c = client_with(&o);
    ch.url = url;
    chain_next(&ch);
    run(ch.c);
    ck_assert_int_eq(ch.n, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(ch.g[i].status, 200);
        ck_assert_int_eq(ch.g[i].error, 0);
        ck_assert_int_eq(ch.g[i].attempts, 1);
        ck_assert_str_eq(ch.g[i].message, "");
        ck_assert_str_eq(ch.g[i].content_type, "application/json");
        ck_assert_int_eq(strlen(ch.g[i].request_id), 32);
        ck_assert(contains(ch.g[i].body, "\"server_groups\""));
        ck_assert_int_eq(ch.g[i].connects, i == 0 ? 1 : 0);
        got_free(&ch.g[i]);
    }
    http_client_stats(ch.c, &st);
    ck_assert_int_eq(st.requests, 5);
    ck_assert_int_eq(st.attempts, 5);
    ck_assert_int_eq(st.retries, 0);
    ck_assert_int_eq(st.connects, 1);
    ck_assert_int_eq(st.max_in_flight, 1);
    http_client_free(ch.c);
    ck_assert_int_eq(fx_count(&f, "GET", "/server-groups"), 5);
    fx_stop(&f);
}
END_TEST

/* Milliseconds of the day from the log's "time" ("YYYY-MM-DDTHH:MM:SS.mmmZ"). */
static long log_ms(const char *t)
{
    int h, m, s, ms;

    ck_assert_msg(sscanf(t, "%*d-%*d-%*dT%d:%d:%d.%dZ", &h, &m, &s, &ms) == 4, "time %s", t);
    return ((h * 60L + m) * 60L + s) * 1000L + ms;
}

/* The most requests that arrived within any window of `window` ms. */
static int max_arrivals(struct fx *f, long window)
{
    struct json_object *arr = fx_log(f);
    size_t n = json_object_array_length(arr);
    long *t = calloc(n ? n : 1, sizeof *t);
    int best = 0;

    for (size_t i = 0; i < n; i++)
        t[i] = log_ms(entry_str(json_object_array_get_idx(arr, i), "time"));
    for (size_t i = 0; i < n; i++) {
        int k = 0;

        for (size_t j = 0; j < n; j++)
            k += t[j] >= t[i] && t[j] < t[i] + window;
        best = k > best ? k : best;
    }
    free(t);
    json_object_put(arr);
    return best;
}

/* N GETs at once with a concurrency of C against a simulator with latency L. */
static long many(int n, int conc, int latency, struct http_stats *st, int *max_window)
{
    struct http_opts o = test_opts();
    struct http_client *c;
    struct got *g = calloc((size_t)n, sizeof *g);
    char extra[64], url[200];
    long long t0;
    long wall;
    struct fx f;

    snprintf(extra, sizeof extra, "\"latency_ms\": %d", latency);
    fx_start(&f, extra);
    snprintf(url, sizeof url, "%s/server-groups/g1", f.url);
    o.concurrency = conc;
    c = client_with(&o);
    for (int i = 0; i < n; i++)
        submit(c, "GET", url, NULL, &g[i]);
    t0 = mono_ms();
    run(c);
    wall = (long)(mono_ms() - t0);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(g[i].n, 1);
        ck_assert_int_eq(g[i].status, 200);
        got_free(&g[i]);
    }
    http_client_stats(c, st);
    http_client_free(c);
    ck_assert_int_eq(fx_count(&f, "GET", "/g1"), n);
    *max_window = max_arrivals(&f, latency / 2);
    fx_stop(&f);
    free(g);
    return wall;
}

START_TEST(test_concurrency)
{
    struct http_stats st;
    int window;
    long wall = many(16, 4, 100, &st, &window);

    /* ideal ceil(16/4) * 100 = 400 ms; sequential would be 1600 ms */
    ck_assert_msg(wall < 16 * 100 / 2, "16 requests of 100 ms at concurrency 4 took %ld ms", wall);
    ck_assert_int_eq(st.max_in_flight, 4);
    ck_assert_int_le(st.connects, 4);
    /* the simulator never saw more than 4 arrive within half a latency, and saw some overlap */
    ck_assert_msg(window <= 4 && window >= 2, "max arrivals per 50 ms: %d", window);
}
END_TEST

START_TEST(test_throughput)
{
    struct http_stats st;
    int window;
    long wall = many(64, 16, 20, &st, &window);

    fprintf(stderr,
            "check_http: 64 GETs, 20 ms latency, concurrency 16: %ld ms wall (ideal %d), "
            "%ld connections, %d in flight at most\n",
            wall, 4 * 20, st.connects, st.max_in_flight);
    ck_assert_msg(wall < 64 * 20 / 2, "took %ld ms", wall);
    ck_assert_int_le(st.connects, 16);
    ck_assert_int_le(st.max_in_flight, 16);
}
END_TEST

#define ACTION_BODY "{\"failover-server-group\": {}}"

START_TEST(test_post_reset_maybe_sent)
{
    struct http_opts o = test_opts();
    struct got get = {0}, g = {0};
    struct http_client *c;
    char url[200], list[200];
    struct fx f;

    fx_start(&f, "\"faults\": [{\"match\": {\"method\": \"POST\"}, \"kind\": \"reset\"}]");
    snprintf(url, sizeof url, "%s/server-groups/g1/action", f.url);
    snprintf(list, sizeof list, "%s/server-groups", f.url);
    /* a GET first leaves an idle connection: the POST must not use it (curl would replay the
     * POST on a new connection when a reused one dies unanswered) */
    o.concurrency = 1;
    c = client_with(&o);
    submit(c, "GET", list, NULL, &get);
    run(c);
    submit(c, "POST", url, ACTION_BODY, &g);
    run(c);
    http_client_free(c);
    ck_assert_int_eq(get.status, 200);
    ck_assert_int_eq(g.error, ERR_NET);
    ck_assert_int_eq(g.fail, HTTP_FAIL_RESET);
    ck_assert_int_eq(g.attempts, 1);
    ck_assert_int_eq(g.connects, 1);
    ck_assert(g.maybe_sent);
    ck_assert_msg(contains(g.message, "not retried: the POST may have reached the server"), "%s",
                  g.message);
    ck_assert_int_eq(fx_count(&f, "POST", "/action"), 1);
    got_free(&get);
    got_free(&g);
    fx_stop(&f);
}
END_TEST

/* An auth callback that counts its calls and adds the token. */
struct authctx {
    int calls;
    int fail_on; /* fail on this call number (0: never) */
};

static int add_token(void *ud, const char *method, const char *url, const char *body,
                     size_t body_len, struct buf *out, struct err *e)
{
    struct authctx *a = ud;

    (void)method;
    (void)url;
    (void)body;
    (void)body_len;
    if (++a->calls == a->fail_on)
        return err_set(e, ERR_AUTH, "no credentials for 'test'");
    return buf_adds(out, "X-Auth-Token: " TOKEN "\r\nX-Attempt: yes\n");
}

START_TEST(test_auth_per_attempt)
{
    struct http_opts o = test_opts();
    struct authctx a = {0};
    struct logcap lc;
    struct got g = {0};
    struct http_client *c;
    struct json_object *log;
    char url[200];
    struct fx f;
    struct http_request r = {.method = "GET",
                             .auth = add_token,
                             .auth_ud = &a,
                             .label = "GET /v1/{project_id}/server-groups/g1"};
    struct err e;

    buf_init(&lc.all, 0);
    o.log = on_log;
    o.log_ud = &lc;
    fx_start(&f, "\"faults\": [{\"kind\": \"status\", \"status\": 503, \"times\": 2}]");
    snprintf(url, sizeof url, "%s/server-groups/g1", f.url);
    r.url = url;
    c = client_with(&o);
    ck_assert_msg(http_submit(c, &r, on_done, &g, &e) == 0, "%s", e.msg);
    run(c);
    http_client_free(c);
    ck_assert_int_eq(g.status, 200);
    ck_assert_int_eq(g.attempts, 3);
    ck_assert_int_eq(a.calls, 3);
    /* every request carried the token (redacted in the simulator's log) */
    log = fx_log(&f);
    ck_assert_int_eq(json_object_array_length(log), 3);
    for (size_t i = 0; i < 3; i++) {
        struct json_object *entry = json_object_array_get_idx(log, i), *headers;

        ck_assert(json_object_object_get_ex(entry, "headers", &headers));
        ck_assert_str_eq(entry_str(headers, "X-Auth-Token"), "***");
        ck_assert_str_eq(entry_str(headers, "X-Attempt"), "yes");
        ck_assert_str_eq(entry_str(entry, "auth"), "token");
    }
    json_object_put(log);
    /* the log: one line per attempt with the label, header names but never the token */
    ck_assert_msg(contains(lc.all.data, "1 GET /v1/{project_id}/server-groups/g1: HTTP 503, "),
                  "%s", lc.all.data);
    ck_assert(contains(lc.all.data, "(attempt 1/4), retrying in "));
    ck_assert(contains(lc.all.data, "HTTP 200, "));
    ck_assert(contains(lc.all.data, "(attempt 3/4)\n"));
    ck_assert(contains(lc.all.data, "2 GET /v1/{project_id}/server-groups/g1: request headers: "
                                    "X-Auth-Token, X-Attempt"));
    ck_assert(!contains(lc.all.data, TOKEN));
    buf_free(&lc.all);
    got_free(&g);
    fx_stop(&f);
}
END_TEST

START_TEST(test_subject_token)
{
    struct http_opts o = test_opts();
    struct logcap lc;
    struct got g = {0};
    struct http_client *c;
    char url[200];
    struct fx f;
    static const char body[] =
        "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": "
        "{\"name\": \"alice\", \"password\": \"alice-pw\", \"domain\": {\"name\": \"dom\"}}}},"
        " \"scope\": {\"project\": {\"id\": \"" PROJECT "\"}}}}";
    struct http_request r = {
        .method = "POST", .body = body, .body_len = sizeof body - 1, .retry_unsafe = true};
    struct err e;

    buf_init(&lc.all, 0);
    o.log = on_log;
    o.log_ud = &lc;
    fx_start(&f, "");
    snprintf(url, sizeof url, "%s/v3/auth/tokens", f.sp.url);
    r.url = url;
    c = client_with(&o);
    ck_assert_msg(http_submit(c, &r, on_done, &g, &e) == 0, "%s", e.msg);
    run(c);
    http_client_free(c);
    ck_assert_msg(g.status == 201, "%d %s", g.status, g.body);
    ck_assert_int_gt(strlen(g.token), 20);
    ck_assert(!contains(lc.all.data, g.token));
    ck_assert(!contains(lc.all.data, "alice-pw"));
    ck_assert(contains(lc.all.data, "Content-Type")); /* defaulted for a body */
    buf_free(&lc.all);
    got_free(&g);
    fx_stop(&f);
}
END_TEST

START_TEST(test_retry_wait_does_not_block)
{
    struct http_opts o = test_opts();
    struct got slow = {0}, fast[6] = {{0}};
    struct http_client *c;
    char u1[200], u2[200];
    long long t0;
    struct fx f;

    fx_start(&f, "\"faults\": [{\"match\": {\"path\": \"/g1$\"}, \"kind\": \"status\", \"status\": "
                 "429, \"retry_after\": 1, \"times\": 1}]");
    snprintf(u1, sizeof u1, "%s/server-groups/g1", f.url);
    snprintf(u2, sizeof u2, "%s/server-groups", f.url);
    o.concurrency = 2;
    c = client_with(&o);
    submit(c, "GET", u1, NULL, &slow);
    for (int i = 0; i < 6; i++)
        submit(c, "GET", u2, NULL, &fast[i]);
    t0 = mono_ms();
    run(c);
    http_client_free(c);
    ck_assert_int_eq(slow.status, 200);
    ck_assert_int_eq(slow.attempts, 2);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(fast[i].status, 200);
        ck_assert_msg(fast[i].done_at - t0 < 700, "request %d done after %lld ms", i,
                      fast[i].done_at - t0);
        ck_assert(fast[i].done_at < slow.done_at);
        got_free(&fast[i]);
    }
    got_free(&slow);
    fx_stop(&f);
}
END_TEST

/* ---- TLS ------------------------------------------------------------------------------------- */

/* Lines in the simulator's request log file (one per request). */
static int log_lines(const struct simproc *sp)
{
    char path[300];
    struct buf b;
    int n = 0;

    snprintf(path, sizeof path, "%s/sim.log", sp->dir);
    buf_init(&b, 0);
    if (util_read_file(path, 0, &b, NULL) == 0)
        for (size_t i = 0; i < b.len; i++)
            n += b.data[i] == '\n';
    buf_free(&b);
    return n;
}

START_TEST(test_tls)
{
    struct http_opts o = test_opts();
    struct got g = {0};
    struct simproc sp;
    struct buf cmd;
    char *dir = tu_tmpdir(), *scenario, cert[300], key[300], url[200];
    struct err e;

    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    buf_init(&cmd, 0);
    buf_printf(&cmd,
               "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
               "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' "
               ">/dev/null 2>&1",
               key, cert);
    if (system(cmd.data) != 0) {
        fprintf(stderr, "check_http: openssl cannot make a certificate; TLS test skipped\n");
        buf_free(&cmd);
        tu_rmtree(dir);
        free(dir);
        return;
    }
    buf_free(&cmd);
    scenario = tu_write(dir, "scenario.json",
                        "{\"project_id\": \"" PROJECT "\", \"credentials\": {\"tokens\": [\"" TOKEN
                        "\"]}, \"server_groups\": [{\"id\": \"g1\"}]}");
    ck_assert_msg(simproc_start_tls(&sp, scenario, dir, cert, key, &e) == 0, "%s", e.msg);
    snprintf(url, sizeof url, "%s/v1/" PROJECT "/server-groups/g1", sp.url);
    ck_assert(strncmp(url, "https://", 8) == 0);

    /* verification on by default: a self-signed certificate is refused, and not retried */
    fetch(&o, "GET", url, NULL, &g);
    ck_assert_int_eq(g.error, ERR_NET);
    ck_assert_int_eq(g.fail, HTTP_FAIL_TLS);
    ck_assert_int_eq(g.attempts, 1);
    ck_assert(!g.maybe_sent);
    ck_assert_msg(contains(g.message, "TLS certificate of 127.0.0.1:") &&
                      contains(g.message, "not accepted"),
                  "%s", g.message);
    got_free(&g);
    /* an unusable CA file is refused before anything is sent: missing, or without a PEM
     * certificate (it is read once, so a pipe works too) */
    {
        struct http_client *bad = NULL;
        struct err be = {0};
        char *tmp = tu_tmpdir(), *junk = tu_write(tmp, "junk.pem", "not a certificate\n");
        o.cacert = "/nonexistent/ca.pem";
        ck_assert_int_eq(http_client_new(&o, &bad, &be), ERR_IO);
        ck_assert_ptr_null(bad);
        ck_assert_msg(contains(be.msg, "--cacert") && contains(be.msg, "/nonexistent/ca.pem"), "%s",
                      be.msg);
        o.cacert = junk;
        be = (struct err){0};
        ck_assert_int_eq(http_client_new(&o, &bad, &be), ERR_INVALID);
        ck_assert_msg(contains(be.msg, "holds no PEM certificate"), "%s", be.msg);
        tu_rmtree(tmp);
        free(tmp);
        free(junk);
    }
    /* trusting the certificate works; so does --insecure */
    memset(&g, 0, sizeof g);
    o.cacert = cert;
    fetch(&o, "GET", url, NULL, &g);
    ck_assert_msg(g.status == 200 && g.error == 0, "%s", g.message);
    got_free(&g);
    memset(&g, 0, sizeof g);
    o.cacert = NULL;
    o.insecure = true;
    fetch(&o, "GET", url, NULL, &g);
    ck_assert_msg(g.status == 200 && g.error == 0, "%s", g.message);
    got_free(&g);
    /* several at once over TLS: connections are opened up to the concurrency, then reused */
    {
        struct got many_g[8] = {{0}};
        struct http_client *c;
        struct http_stats st;

        o.concurrency = 4;
        c = client_with(&o);
        for (int i = 0; i < 8; i++)
            submit(c, "GET", url, NULL, &many_g[i]);
        run(c);
        http_client_stats(c, &st);
        http_client_free(c);
        for (int i = 0; i < 8; i++) {
            ck_assert_int_eq(many_g[i].status, 200);
            got_free(&many_g[i]);
        }
        ck_assert_int_le(st.connects, 4);
        ck_assert_int_ge(st.max_in_flight, 2);
    }
    ck_assert_int_eq(log_lines(&sp), 10);

    simproc_stop(&sp);
    free(scenario);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- against a raw responder ----------------------------------------------------------------- */

/* Serves every connection (until killed) with head followed by `body` bytes of 'x' (chunked in
 * 4 KiB chunks if chunked), then closes. Returns the child's pid; *port is its port. */
static pid_t raw_serve(const char *head, size_t body, bool chunked, int *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    pid_t pid;

    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid > 0) {
        close(fd);
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) {
        static char block[4096];
        char req[8192];
        size_t got = 0, left = body;
        int cfd = accept(fd, NULL, NULL);

        if (cfd < 0)
            _exit(1);
        memset(block, 'x', sizeof block);
        while (got < sizeof req - 1) {
            ssize_t n = recv(cfd, req + got, sizeof req - 1 - got, 0);

            if (n <= 0)
                break;
            got += (size_t)n;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        if (send(cfd, head, strlen(head), MSG_NOSIGNAL) < 0)
            left = 0;
        while (left) {
            size_t n = left < sizeof block ? left : sizeof block;
            char size_line[32];

            if (chunked) {
                int w = snprintf(size_line, sizeof size_line, "%zx\r\n", n);

                if (send(cfd, size_line, (size_t)w, MSG_NOSIGNAL) < 0)
                    break;
            }
            if (send(cfd, block, n, MSG_NOSIGNAL) < 0 ||
                (chunked && send(cfd, "\r\n", 2, MSG_NOSIGNAL) < 0))
                break;
            left -= n;
        }
        if (chunked && !left)
            send(cfd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
        close(cfd);
    }
}

static void raw_stop(pid_t pid)
{
    int status;

    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

/* ---- one request, one outcome: the table ----------------------------------------------------- */

/* Most tests share one skeleton: start a server (the simulator with some faults, a closed port or
 * the raw responder), send one request on a fresh client, then check the response fields, the
 * attempts, the timing and how many requests the simulator logged. Each row of `cases` is one
 * such test, run by test_case (one Check test per row). */

#define CLOSE_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
#define CHUNKED_HEAD                                                                               \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

/* /server-groups faulted `kind` once (it recovers), /server-groups/g1 always (it fails). A row
 * GETs one of the two from a simulator of its own, on a client of its own. (With a shared client, a
 * retry could go out on a connection that an earlier request left idle; when that connection dies
 * unanswered, curl itself replays a GET on a new one, and the simulator would count one request
 * more than attempts.) */
#define ONCE_THEN_ALWAYS(kind)                                                                     \
    "\"faults\": [{\"match\": {\"path\": \"/server-groups$\"}, \"kind\": \"" kind "\", "           \
    "\"times\": 1}, {\"match\": {\"path\": \"/g1$\"}, \"kind\": \"" kind "\"}]"

enum server {
    SERVER_SIM,    /* the simulator, with .scenario as extra scenario members */
    SERVER_CLOSED, /* a port nothing listens on */
    SERVER_RAW,    /* raw_serve(.raw.head, .raw.body, .raw.chunked) */
};

enum sent {
    SENT_UNCHECKED = 0,
    MAYBE_SENT, /* maybe_sent must be true */
    NOT_SENT,   /* maybe_sent must be false */
};

#define NO_STATUS (-1) /* .status: no HTTP status at all (0) */

struct http_case {
    const char *name;
    /* the server */
    enum server server;
    const char *scenario; /* SERVER_SIM: members added to fx_start's scenario ("" or NULL: none) */
    struct {
        const char *head;
        size_t body;
        bool chunked;
    } raw;
    /* the request: the URL is the server's base (SIM and CLOSED: ".../v1/p1", RAW: the root) plus
     * path; the token headers are sent, or, with auth_fail_on, add_token failing on that call */
    const char *method;
    const char *path;
    const char *body;
    bool retry_unsafe;
    int auth_fail_on;
    /* client options; 0 keeps test_opts()'s value */
    long timeout_ms;
    int tries; /* attempts allowed: retries + 1 */
    size_t max_body;
    long retry_after_max_ms;
    /* the outcome: error, fail and attempts always checked, the rest only when set */
    int error;
    enum http_fail fail;
    int attempts;
    int status;     /* 0: not checked; NO_STATUS: must be 0 */
    int status_not; /* nonzero: status must not be this */
    enum sent maybe_sent;
    const char *message;        /* exactly this */
    const char *message_has[2]; /* these substrings */
    const char *body_has;
    bool body_empty;
    size_t body_len; /* exactly this many bytes */
    const char *token;
    long elapsed_min, elapsed_max; /* elapsed_ms in [min, max) when elapsed_max is set */
    struct {
        const char *method, *suffix; /* as for fx_count (suffix NULL: any path) */
        int n;
    } logged; /* requests the simulator logged, when method is set */
};

static const struct http_case cases[] = {
    {
        .name = "503_then_ok",
        .scenario = "\"faults\": [{\"kind\": \"status\", \"status\": 503, \"times\": 1}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .status = 200,
        .attempts = 2,
        .message = "",
        .body_has = "\"g1\"",
        .logged = {"GET", "/g1", 2},
    },
    {
        .name = "429_retry_after",
        .scenario = "\"faults\": [{\"kind\": \"status\", \"status\": 429, \"retry_after\": 1, "
                    "\"times\": 1}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .status = 200,
        .attempts = 2,
        .elapsed_min = 990,
        .elapsed_max = 3000,
        .logged = {"GET", "/g1", 2},
    },
    {
        .name = "retry_after_too_long",
        .scenario = "\"faults\": [{\"kind\": \"status\", \"status\": 429, \"retry_after\": 120}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .retry_after_max_ms = 60000,
        .status = 429,
        .attempts = 1,
        .message_has = {"HTTP 429", "Retry-After 120 s"},
        .body_has = "APIG.0308", /* the error body is there for the API layer */
        .logged = {"GET", "/g1", 1},
    },
    {
        .name = "retries_exhausted",
        .scenario = "\"faults\": [{\"kind\": \"status\", \"status\": 503}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .tries = 3,
        .status = 503,
        .attempts = 3,
        .message = "HTTP 503 after 3 tries",
        .body_has = "APIG.0201",
        .logged = {"GET", "/g1", 3},
    },
    {
        .name = "500_final",
        .scenario = "\"faults\": [{\"kind\": \"status\", \"status\": 500}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .status = 500,
        .attempts = 1,
        .message = "HTTP 500",
        .body_has = "SDRS.0013",
        .logged = {"GET", "/g1", 1},
    },
    {
        .name = "404_final",
        .scenario = "",
        .method = "GET",
        .path = "/cloudservers/nope",
        .status = 404,
        .attempts = 1,
        .message = "HTTP 404",
        .body_has = "Ecs.0114",
        .logged = {"GET", NULL, 1},
    },
    {
        .name = "reset_once",
        .scenario = ONCE_THEN_ALWAYS("reset"),
        .method = "GET",
        .path = "/server-groups",
        .status = 200,
        .attempts = 2,
        .body_has = "server_groups",
        .logged = {"GET", "/server-groups", 2},
    },
    {
        .name = "reset_always",
        .scenario = ONCE_THEN_ALWAYS("reset"),
        .method = "GET",
        .path = "/server-groups/g1",
        .error = ERR_NET,
        .fail = HTTP_FAIL_RESET,
        .attempts = 4,
        .body_empty = true,
        .maybe_sent = MAYBE_SENT,
        .message_has = {"connection reset by peer", "(4 tries)"},
        .logged = {"GET", "/g1", 4},
    },
    {
        .name = "truncate_once",
        .scenario = ONCE_THEN_ALWAYS("truncate"),
        .method = "GET",
        .path = "/server-groups",
        .status = 200,
        .attempts = 2,
        .body_has = "server_groups",
        .logged = {"GET", "/server-groups", 2},
    },
    {
        .name = "truncate_always",
        .scenario = ONCE_THEN_ALWAYS("truncate"),
        .method = "GET",
        .path = "/server-groups/g1",
        .error = ERR_NET,
        .fail = HTTP_FAIL_PARTIAL,
        .attempts = 4,
        .body_empty = true,
        .maybe_sent = MAYBE_SENT,
        .message_has = {"response truncated: connection closed after", "(4 tries)"},
        .logged = {"GET", "/g1", 4},
    },
    {
        .name = "empty_once",
        .scenario = ONCE_THEN_ALWAYS("empty"),
        .method = "GET",
        .path = "/server-groups",
        .status = 200,
        .attempts = 2,
        .body_has = "server_groups",
        .logged = {"GET", "/server-groups", 2},
    },
    {
        .name = "empty_always",
        .scenario = ONCE_THEN_ALWAYS("empty"),
        .method = "GET",
        .path = "/server-groups/g1",
        .error = ERR_NET,
        .fail = HTTP_FAIL_EMPTY,
        .attempts = 4,
        .body_empty = true,
        .maybe_sent = MAYBE_SENT,
        .message_has = {"empty response body (HTTP 200)", "(4 tries)"},
        .logged = {"GET", "/g1", 4},
    },
    {
        .name = "malformed_passes",
        .scenario = "\"faults\": [{\"kind\": \"malformed\"}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .status = 200,
        .attempts = 1,
        .body_has = "\"malformed\"", /* judging JSON is the API layer's job */
    },
    {
        .name = "huge_over_cap",
        .scenario = "\"faults\": [{\"kind\": \"huge\", \"bytes\": 1048576}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .max_body = 65536,
        .error = ERR_LIMIT,
        .fail = HTTP_FAIL_LIMIT,
        .attempts = 1,
        .body_empty = true,
        .message = "response body exceeds the limit of 65536 bytes",
        .logged = {"GET", "/g1", 1},
    },
    {
        .name = "slow_body_timeout",
        .scenario = "\"faults\": [{\"kind\": \"slow\", \"bytes_per_sec\": 20}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .timeout_ms = 300,
        .tries = 1,
        .error = ERR_NET,
        .fail = HTTP_FAIL_TIMEOUT,
        .attempts = 1,
        .body_empty = true,
        .message_has = {"timeout after 300 ms receiving the response body"},
        .elapsed_min = 290,
        .elapsed_max = 2000,
    },
    {
        .name = "hang_timeout",
        .scenario = "\"faults\": [{\"kind\": \"hang\", \"seconds\": 5}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .timeout_ms = 300,
        .tries = 2,
        .error = ERR_NET,
        .fail = HTTP_FAIL_TIMEOUT,
        .attempts = 2,
        .maybe_sent = MAYBE_SENT,
        .message = "timeout after 300 ms waiting for the response (2 tries)",
        .elapsed_min = 600,
        .elapsed_max = 3000,
        .logged = {"GET", "/g1", 2},
    },
    {
        .name = "post_503_not_retried",
        .scenario = "\"faults\": [{\"match\": {\"method\": \"POST\"}, \"kind\": \"status\", "
                    "\"status\": 503}]",
        .method = "POST",
        .path = "/server-groups/g1/action",
        .body = ACTION_BODY,
        .status = 503,
        .attempts = 1,
        .message_has = {"HTTP 503", "may have reached"},
        .logged = {"POST", "/action", 1},
    },
    {
        .name = "post_retry_unsafe",
        .scenario = "\"faults\": [{\"match\": {\"method\": \"POST\"}, \"kind\": \"status\", "
                    "\"status\": 503, \"times\": 1}]",
        .method = "POST",
        .path = "/server-groups/g1/action",
        .body = ACTION_BODY,
        .retry_unsafe = true,
        .status_not = 503, /* the retry got an answer of its own (400: g1 has no pairs) */
        .attempts = 2,
        .logged = {"POST", "/action", 2},
    },
    {
        .name = "post_refused",
        .server = SERVER_CLOSED,
        .method = "POST",
        .path = "/server-groups/g1/action",
        .body = ACTION_BODY,
        .error = ERR_NET,
        .fail = HTTP_FAIL_CONNECT,
        .status = NO_STATUS,
        .attempts = 4,
        .maybe_sent = NOT_SENT,
        .message_has = {"cannot connect to 127.0.0.1:", "connection refused (4 tries)"},
    },
    {
        .name = "auth_failure",
        .scenario = "\"faults\": [{\"kind\": \"status\", \"status\": 503}]",
        .method = "GET",
        .path = "/server-groups/g1",
        .auth_fail_on = 2,
        .error = ERR_AUTH,
        .fail = HTTP_FAIL_AUTH,
        .attempts = 2,
        .message = "no credentials for 'test'",
        .logged = {"GET", NULL, 1}, /* the second attempt was never sent */
    },
    {
        /* no Content-Length: the cap is enforced on the bytes as they arrive */
        .name = "cap_while_receiving: no Content-Length",
        .server = SERVER_RAW,
        .raw = {CLOSE_HEAD, 1 << 20, false},
        .method = "GET",
        .path = "/x",
        .max_body = 65536,
        .error = ERR_LIMIT,
        .fail = HTTP_FAIL_LIMIT,
        .attempts = 1,
        .body_empty = true,
        .message = "response body exceeds the limit of 65536 bytes",
    },
    {
        .name = "cap_while_receiving: chunked",
        .server = SERVER_RAW,
        .raw = {CHUNKED_HEAD, 1 << 20, true},
        .method = "GET",
        .path = "/x",
        .max_body = 65536,
        .error = ERR_LIMIT,
        .fail = HTTP_FAIL_LIMIT,
        .attempts = 1,
    },
    {
        /* exactly at the cap is fine, one byte over is not */
        .name = "cap_while_receiving: chunked, exactly the cap",
        .server = SERVER_RAW,
        .raw = {CHUNKED_HEAD, 65536, true},
        .method = "GET",
        .path = "/x",
        .max_body = 65536,
        .attempts = 1,
        .body_len = 65536,
    },
    {
        .name = "cap_while_receiving: chunked, one byte over",
        .server = SERVER_RAW,
        .raw = {CHUNKED_HEAD, 65537, true},
        .method = "GET",
        .path = "/x",
        .max_body = 65536,
        .error = ERR_LIMIT,
        .fail = HTTP_FAIL_LIMIT,
        .attempts = 1,
    },
    {
        .name = "no_redirects_and_token",
        .server = SERVER_RAW,
        .raw = {"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\n"
                "Content-Length: 0\r\nX-Subject-Token: abc\r\nConnection: close\r\n\r\n",
                0, false},
        .method = "GET",
        .path = "/x",
        .max_body = 1024,
        .status = 302,
        .attempts = 1,
        .message = "HTTP 302 (redirects are not followed)",
        .token = "abc",
    },
};

#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static void expect_int(const struct http_case *c, const struct got *g, const char *what, long got,
                       long want)
{
    ck_assert_msg(got == want, "%s: %s is %ld, expected %ld (message '%s')", c->name, what, got,
                  want, g->message);
}

static void expect_str(const struct http_case *c, const char *what, const char *got,
                       const char *want, bool whole)
{
    if (!want)
        return;
    ck_assert_msg(whole ? strcmp(got ? got : "", want) == 0 : contains(got, want),
                  "%s: %s is '%.300s', expected %s '%s'", c->name, what, got ? got : "(null)",
                  whole ? "exactly" : "to contain", want);
}

/* Everything the row expects of g (and of the simulator's log, for SERVER_SIM). */
static void expect_case(const struct http_case *c, const struct got *g, struct fx *f)
{
    expect_int(c, g, "callbacks", g->n, 1);
    expect_int(c, g, "error", g->error, c->error);
    expect_int(c, g, "fail", g->fail, c->fail);
    expect_int(c, g, "attempts", g->attempts, c->attempts);
    if (c->status)
        expect_int(c, g, "status", g->status, c->status == NO_STATUS ? 0 : c->status);
    if (c->status_not)
        ck_assert_msg(g->status != c->status_not, "%s: status is %d, expected anything but %d",
                      c->name, g->status, c->status_not);
    if (c->maybe_sent)
        expect_int(c, g, "maybe_sent", g->maybe_sent, c->maybe_sent == MAYBE_SENT);
    expect_str(c, "message", g->message, c->message, true);
    for (size_t i = 0; i < sizeof c->message_has / sizeof c->message_has[0]; i++)
        expect_str(c, "message", g->message, c->message_has[i], false);
    expect_str(c, "body", g->body, c->body_has, false);
    if (c->body_empty)
        expect_int(c, g, "body length", (long)g->body_len, 0);
    if (c->body_len)
        expect_int(c, g, "body length", (long)g->body_len, (long)c->body_len);
    expect_str(c, "subject token", g->token, c->token, true);
    if (c->elapsed_max)
        ck_assert_msg(g->elapsed_ms >= c->elapsed_min && g->elapsed_ms < c->elapsed_max,
                      "%s: elapsed %ld ms, expected %ld..%ld", c->name, g->elapsed_ms,
                      c->elapsed_min, c->elapsed_max - 1);
    if (c->logged.method)
        expect_int(c, g, "requests logged", fx_count(f, c->logged.method, c->logged.suffix),
                   c->logged.n);
}

/* The table of functions libcurl and libcrypto are opened into: every name resolved, or a message
 * that names the library and what it lacks, and no slot to use. */
START_TEST(test_dl_table)
{
    static const char *const names[] = {"strlen", "memcpy"};
    static const char *const missing[] = {"strlen", "sdrs_no_such_function"};
    void *a = NULL, *b = NULL;
    void **const slots[] = {&a, &b};
    char why[256];

    ck_assert_int_eq(util_dl_table("libc.so.6", names, slots, 2, why, sizeof why), 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(util_dl_table("libc.so.6", missing, slots, 2, why, sizeof why), -1);
    ck_assert_str_eq(why,
                     "libc.so.6 lacks sdrs_no_such_function: it is older than this build needs");
    ck_assert_int_eq(util_dl_table("libsdrs-none.so.9", names, slots, 2, why, sizeof why), -1);
    ck_assert_msg(strncmp(why, "cannot load libsdrs-none.so.9: ", 31) == 0, "%s", why);
}
END_TEST

START_TEST(test_case)
{
    const struct http_case *c = &cases[_i];
    struct http_opts o = test_opts();
    struct authctx a = {.fail_on = c->auth_fail_on};
    struct http_request r = {.method = c->method, .retry_unsafe = c->retry_unsafe};
    struct http_client *client;
    struct got g = {0};
    struct fx f = {0};
    char base[160], url[400];
    pid_t raw = 0;
    int port;
    struct err e;

    if (c->timeout_ms)
        o.timeout_ms = c->timeout_ms;
    if (c->tries)
        o.retries = c->tries - 1;
    if (c->max_body)
        o.max_body = c->max_body;
    if (c->retry_after_max_ms)
        o.retry_after_max_ms = c->retry_after_max_ms;
    switch (c->server) {
    case SERVER_SIM:
        fx_start(&f, c->scenario);
        snprintf(base, sizeof base, "%s", f.url);
        break;
    case SERVER_CLOSED:
        port = simproc_closed_port();
        ck_assert_msg(port > 0, "%s: no closed port", c->name);
        snprintf(base, sizeof base, "http://127.0.0.1:%d/v1/" PROJECT, port);
        break;
    case SERVER_RAW:
        raw = raw_serve(c->raw.head, c->raw.body, c->raw.chunked, &port);
        snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
        break;
    }
    snprintf(url, sizeof url, "%s%s", base, c->path);
    r.url = url;
    if (c->body) {
        r.body = c->body;
        r.body_len = strlen(c->body);
    }
    if (c->auth_fail_on) {
        r.auth = add_token;
        r.auth_ud = &a;
    } else {
        r.headers = token_headers;
    }

    client = client_with(&o);
    ck_assert_msg(http_submit(client, &r, on_done, &g, &e) == 0, "%s: %s", c->name, e.msg);
    run(client);
    http_client_free(client);
    if (raw)
        raw_stop(raw);
    expect_case(c, &g, &f);
    got_free(&g);
    if (c->server == SERVER_SIM)
        fx_stop(&f);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *pure = tcase_create("pure");
    TCase *sim = tcase_create("simulator");
    TCase *table = tcase_create("cases");
    TCase *post = tcase_create("post");
    TCase *auth = tcase_create("auth");
    TCase *raw = tcase_create("raw");

    tcase_add_test(pure, test_retryable);
    tcase_add_test(pure, test_backoff);
    tcase_add_test(pure, test_retry_after);
    tcase_add_test(pure, test_options_and_submit);
    suite_add_tcase(s, pure);

    tcase_set_timeout(sim, 30);
    tcase_add_test(sim, test_get_reuse);
    tcase_add_test(sim, test_concurrency);
    tcase_add_test(sim, test_throughput);
    tcase_add_test(sim, test_retry_wait_does_not_block);
    suite_add_tcase(s, sim);

    tcase_set_timeout(table, 30); /* per row */
    tcase_add_loop_test(table, test_case, 0, N_CASES);
    suite_add_tcase(s, table);

    tcase_set_timeout(post, 30);
    tcase_add_test(post, test_post_reset_maybe_sent);
    suite_add_tcase(s, post);

    tcase_set_timeout(auth, 30);
    tcase_add_test(auth, test_auth_per_attempt);
    tcase_add_test(auth, test_subject_token);
    suite_add_tcase(s, auth);

    tcase_set_timeout(raw, 30);
    tcase_add_test(raw, test_tls);
    tcase_add_test(raw, test_dl_table);
    suite_add_tcase(s, raw);
    return s;
}

int main(void)
{
    struct err e;
    int rc;

    if (http_global_init(&e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    rc = tu_run(http_suite());
    http_global_cleanup();
    return rc;
}
