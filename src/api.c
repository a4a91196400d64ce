#include "api.h"

#include "apierr.h"
#include "jsonutil.h"
#include "sign.h"
#include "snapshot.h"
#include "util.h"
#include "version.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define API_MAX_GAP_FILLS 64

enum req_kind { REQ_IAM, REQ_GROUP, REQ_LIST, REQ_SERVER, REQ_IMAGE };

/* One paged list of the group: protected instances, replication pairs or DR drills. */
struct list {
    const char *key;            /* JSON key in the response and in the snapshot */
    const char *path;           /* URL path below /v1/{project_id}/ */
    struct json_object **slots; /* count entries (owned references), filled by offset */
    long long count;            /* -1 until the first page */
    struct json_object *seen;   /* id key (util_id_key) -> the position it was read at */
    int pending;                /* pages in flight */
    int gap_fills;
    bool failed;
};

struct api_session {
    struct api_opts o; /* o.cred and o.ep are borrowed */
    struct http_client *http;
    const char *token; /* X-Auth-Token: o.cred->token (borrowed) or iam_token; NULL for AK/SK */
    char *iam_token;   /* issued by IAM (owned, a secret) */
};

struct many;

/* The state of one round of requests: a fetch of a group, the IAM exchange, or a single call. */
struct fetch {
    struct api_session *s;
    const char *group_id;
    const char *project_id; /* borrowed from s->o.ep */
    struct json_object *group;
    struct list lists[3];
    struct json_object *servers;
    struct json_object *images;
    struct json_object *asked; /* "server:<id>", "image:<id>" already requested */
    struct json_object *errors;
    size_t nservers;
    int fatal;
    struct err fatal_err;
    int pending;       /* requests in flight or queued for this round */
    long long started; /* when the fetch started, seconds since the epoch: its fetched_at */
    struct many *many; /* api_fetch_many: the run this group is part of (else NULL) */
    size_t index;      /* api_fetch_many: its position in the run */
};

/* The context of one request, handed to its done callback (which frees it). */
struct req {
    struct fetch *f;
    enum req_kind kind;
    struct list *list;
    size_t offset;
    char id[80];
    char label[384];
    long share; /* index in f->share of the image this request asks for, or -1 */
};

/*
 * Image lookups shared by the groups of one api_fetch_many: groups mostly run the same few images,
 * so each image is requested once and its answer is handed to every group that names it, through
 * the same handling as a group's own answer (so each group records the same data or the same fetch
 * error). A group that names an image still in flight waits for it (its pending count holds).
 */
struct shared_image {
    char id[80];
    char label[384];
    bool answered;
    struct http_response resp; /* a copy of the answer, once answered */
    size_t *waiting;           /* indexes into the fetch array of groups waiting for it */
    size_t nwaiting, capwaiting;
};

struct image_share {
    struct fetch *fetches;     /* the api_fetch_many array */
    struct json_object *index; /* image id -> position in items */
    struct shared_image *items;
    size_t n, cap;
};

/* An api_fetch_many run. Groups are started as the request queue drains, not all at once: each
 * group then finishes (and is evaluated by the caller) early, and only the groups in flight hold
 * memory, while the queue still always has work for every connection. */
struct many {
    struct api_session *s;
    const char *const *ids;
    size_t n, next; /* groups, and the next one to start */
    size_t window;  /* start groups while fewer requests than this wait for a slot */
    struct fetch *fs;
    struct image_share share; /* image lookups shared by the groups */
    struct api_result *out;
    void (*done)(void *ud, size_t i);
    void *ud;
    int rc; /* an error that ends the whole run */
    struct err err;
};

bool api_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("-_.", id[i]))
            return false;
    return strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

static void logf_(struct fetch *f, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(struct fetch *f, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!f->s->o.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    f->s->o.log(f->s->o.log_ud, level, msg);
}

/* Records what could not be fetched; it ends up in the snapshot's fetch_errors. The message may
 * quote the API: it is made one printable line (apierr_sanitize) before it is logged or kept. */
static void fetch_error(struct fetch *f, const char *request, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fetch_error(struct fetch *f, const char *request, const char *fmt, ...)
{
    char raw[600], msg[600];
    struct json_object *o;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    apierr_sanitize(raw, strlen(raw), msg, sizeof msg);
    logf_(f, 1, "fetch error: %s: %s", request, msg);
    o = json_object_new_object();
    if (!o || json_object_object_add(o, "request", json_object_new_string(request)) ||
        json_object_object_add(o, "error", json_object_new_string(msg)) ||
        json_object_array_add(f->errors, o)) {
        json_object_put(o);
        if (!f->fatal)
            f->fatal = err_set(&f->fatal_err, ERR_NOMEM, "out of memory");
    }
}

static void set_fatal(struct fetch *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_fatal(struct fetch *f, int code, const char *fmt, ...)
{
    va_list ap;

    if (f->fatal)
        return;
    f->fatal = code;
    f->fatal_err.code = code;
    va_start(ap, fmt);
    vsnprintf(f->fatal_err.msg, sizeof f->fatal_err.msg, fmt, ap);
    va_end(ap);
}

/* ---- authentication -------------------------------------------------------------------------- */

/* Splits an absolute URL into the Host header value (port only when not the scheme's default),
 * the path and the query (without '?'). */
static int split_url(const char *url, char *host, size_t hsize, struct buf *path, struct buf *query)
{
    bool https = strncasecmp(url, "https://", 8) == 0;
    const char *p = url + (https ? 8 : 7), *slash = strchr(p, '/'), *q;
    size_t hlen = slash ? (size_t)(slash - p) : strlen(p);
    const char *colon = memchr(p, ':', hlen);

    if (hlen + 1 > hsize)
        return ERR_INVALID;
    if (colon && strncmp(colon + 1, https ? "443" : "80", hlen - (size_t)(colon + 1 - p)) == 0 &&
        hlen - (size_t)(colon + 1 - p) == (https ? 3u : 2u))
        hlen = (size_t)(colon - p);
    memcpy(host, p, hlen);
    host[hlen] = '\0';
    for (char *h = host; *h; h++)
        *h = (char)tolower((unsigned char)*h);
    if (!slash)
        return buf_adds(path, "/");
    q = strchr(slash, '?');
    if (q)
        return buf_add(path, slash, (size_t)(q - slash)) || buf_adds(query, q + 1) ? ERR_NOMEM : 0;
    return buf_adds(path, slash);
}

static int auth_token(void *ud, const char *method, const char *url, const char *body,
                      size_t body_len, struct buf *out, struct err *e)
{
    struct api_session *s = ud;

    (void)method;
    (void)url;
    (void)body;
    (void)body_len;
    if (!s->token) /* never "X-Auth-Token: (null)": the request is not sent */
        return err_set(e, ERR_AUTH, "no token to send");
    if (buf_printf(out, "X-Auth-Token: %s\n", s->token))
        return err_set(e, ERR_NOMEM, "out of memory");
    return 0;
}

static long long now_seconds(const struct api_opts *o)
{
    return o->clock ? o->clock() : (long long)time(NULL);
}

/* SDK-HMAC-SHA256 for each attempt: signs host, x-sdk-date and (with a body) content-type. */
static int auth_aksk(void *ud, const char *method, const char *url, const char *body,
                     size_t body_len, struct buf *out, struct err *e)
{
    struct api_session *s = ud;
    const struct credentials *c = s->o.cred;
    char host[256], date[SIGN_DATE_SIZE], hash[UTIL_SHA256_HEX];
    struct buf path, query, authz;
    struct sign_header ct = {"Content-Type", "application/json"};
    struct sign_request sr;
    int rc;

    buf_init(&path, 0);
    buf_init(&query, 0);
    buf_init(&authz, 0);
    if (split_url(url, host, sizeof host, &path, &query)) {
        rc = err_set(e, ERR_INVALID, "cannot sign a request to '%s'", url);
        goto out;
    }
    if ((rc = util_sha256_hex(body ? body : "", body ? body_len : 0, hash)) != 0) {
        err_set(e, rc, "out of memory");
        goto out;
    }
    sr = (struct sign_request){.method = method,
                               .host = host,
                               .path = buf_str(&path),
                               .query = buf_str(&query),
                               .headers = body ? &ct : NULL,
                               .nheaders = body ? 1 : 0,
                               .body_sha256_hex = hash,
                               .time = now_seconds(&s->o)};
    rc = sign_request(&sr, c->access_key, c->secret_key, date, sizeof date, &authz, e);
    if (rc)
        goto out;
    if (buf_printf(out, "Host: %s\nX-Sdk-Date: %s\nAuthorization: %s\n", host, date,
                   buf_str(&authz)) ||
        (c->security_token && buf_printf(out, "X-Security-Token: %s\n", c->security_token)))
        rc = err_set(e, ERR_NOMEM, "out of memory");
out:
    buf_wipe_free(&authz);
    buf_free(&path);
    buf_free(&query);
    return rc;
}

/* ---- requests -------------------------------------------------------------------------------- */

static void on_done(void *ud, struct http_response *resp);

/* Fills hr for a request of the session: JSON headers, the credentials' auth callback (none for
 * the IAM token request, whose body carries the password; it alone is safe to repeat as a POST)
 * and label, "METHOD /path?query" (the URL without scheme and host). Everything is borrowed. */
static void request_init(struct api_session *s, struct http_request *hr, const char *method,
                         const char *url, const char *body, bool iam, char *label, size_t lsize)
{
    static const char *const json_headers[] = {"Accept: application/json",
                                               "Content-Type: application/json", NULL};
    static const char *const get_headers[] = {"Accept: application/json", NULL};
    const char *path = strstr(url, "://");

    path = path ? strchr(path + 3, '/') : NULL;
    snprintf(label, lsize, "%s %s", method, path ? path : url);
    *hr = (struct http_request){.method = method,
                                .url = url,
                                .body = body,
                                .body_len = body ? strlen(body) : 0,
                                .headers = body ? json_headers : get_headers,
                                .retry_unsafe = iam,
                                .label = label};
    if (!iam) {
        hr->auth = s->o.cred->kind == CRED_AKSK ? auth_aksk : auth_token;
        hr->auth_ud = s;
    }
}

/* Queues a request; returns its context, or NULL when it could not be queued (then a fetch error
 * or the fatal error says why: fatal for the IAM token request, without which nothing can be
 * fetched). */
static struct req *submit(struct fetch *f, enum req_kind kind, const char *method, const char *url,
                          const char *body, struct list *l, size_t offset, const char *id)
{
    struct req *r = calloc(1, sizeof *r);
    struct http_request hr;
    struct err e = {0};

    if (!r) {
        set_fatal(f, ERR_NOMEM, "out of memory");
        return NULL;
    }
    r->f = f;
    r->kind = kind;
    r->share = -1;
    r->list = l;
    r->offset = offset;
    snprintf(r->id, sizeof r->id, "%s", id ? id : "");
    request_init(f->s, &hr, method, url, body, kind == REQ_IAM, r->label, sizeof r->label);
    if (l)
        l->pending++;
    if (http_submit(f->s->http, &hr, on_done, r, &e)) {
        if (l)
            l->pending--;
        if (kind == REQ_IAM)
            set_fatal(f, e.code == ERR_NOMEM ? ERR_NOMEM : ERR_INVALID,
                      "cannot ask IAM for a token: %s: check --iam-endpoint", e.msg);
        else
            fetch_error(f, r->label, "cannot send: %s", e.msg);
        free(r);
        return NULL;
    }
    f->pending++;
    return r;
}

static void submit_page(struct fetch *f, struct list *l, size_t offset)
{
    struct buf url;

    buf_init(&url, 0);
    if (buf_printf(&url, "%s/v1/%s/%s?server_group_id=%s&limit=%zu&offset=%zu", f->s->o.ep->sdrs,
                   f->project_id, l->path, f->group_id, f->s->o.page_limit, offset))
        set_fatal(f, ERR_NOMEM, "out of memory");
    else
        submit(f, REQ_LIST, "GET", url.data, NULL, l, offset, NULL);
    buf_free(&url);
}

/* Requests a server once; ids that cannot go into a URL are fetch errors. */
static void want_server(struct fetch *f, const char *id, const char *where)
{
    char key[96];
    struct buf url;

    if (!id)
        return;
    snprintf(key, sizeof key, "server:%s", id);
    if (jsonutil_get(f->asked, key, NULL))
        return;
    json_object_object_add(f->asked, key, NULL);
    if (!api_id_valid(id)) {
        fetch_error(f, where, "server id '%.64s' cannot be requested (unexpected characters)", id);
        return;
    }
    if (++f->nservers > f->s->o.max_items) {
        if (f->nservers == f->s->o.max_items + 1)
            fetch_error(f, where, "more than %zu servers: the limit was reached",
                        f->s->o.max_items);
        return;
    }
    buf_init(&url, 0);
    if (buf_printf(&url, "%s/v1/%s/cloudservers/%s", f->s->o.ep->ecs, f->project_id, id))
        set_fatal(f, ERR_NOMEM, "out of memory");
    else
        submit(f, REQ_SERVER, "GET", url.data, NULL, NULL, 0, id);
    buf_free(&url);
}

static void on_image(struct fetch *f, struct req *r, struct http_response *resp);
static bool response_ok(struct fetch *f, struct req *r, struct http_response *resp);
static void fetch_settled(struct fetch *f);
static void many_group_done(struct many *m, size_t i);
static void many_top_up(struct many *m);

/* Hands a shared image's answer to f, as if f had asked. */
static void share_deliver(struct fetch *f, struct shared_image *si)
{
    struct req r = {.f = f, .kind = REQ_IMAGE, .share = -1};

    snprintf(r.id, sizeof r.id, "%s", si->id);
    snprintf(r.label, sizeof r.label, "%s", si->label);
    if (!f->fatal && response_ok(f, &r, &si->resp))
        on_image(f, &r, &si->resp);
}

/* For a group of api_fetch_many that names image id: true when the image is (or is being) looked
 * up for another group, which then serves this one too; false when this group must ask. */
static bool share_image(struct fetch *f, const char *id)
{
    struct image_share *sh = &f->many->share;
    struct json_object *pos = NULL;
    struct shared_image *si;

    if (!jsonutil_get(sh->index, id, &pos))
        return false;
    si = &sh->items[json_object_get_int64(pos)];
    if (si->answered) {
        share_deliver(f, si);
        return true;
    }
    if (si->nwaiting == si->capwaiting) {
        size_t ncap = si->capwaiting ? si->capwaiting * 2 : 4;
        size_t *nw = realloc(si->waiting, ncap * sizeof *nw);
        if (!nw) {
            set_fatal(f, ERR_NOMEM, "out of memory");
            return true;
        }
        si->waiting = nw;
        si->capwaiting = ncap;
    }
    si->waiting[si->nwaiting++] = (size_t)(f - sh->fetches);
    f->pending++;
    return true;
}

/* Records that r, which f just sent, answers image r->id for every group. */
static void share_asked(struct fetch *f, struct req *r)
{
    struct image_share *sh = &f->many->share;

    if (sh->n == sh->cap) {
        size_t ncap = sh->cap ? sh->cap * 2 : 64;
        struct shared_image *ni = realloc(sh->items, ncap * sizeof *ni);
        if (!ni)
            return; /* this image is simply not shared */
        sh->items = ni;
        sh->cap = ncap;
    }
    if (json_object_object_add(sh->index, r->id, json_object_new_int64((int64_t)sh->n)))
        return;
    memset(&sh->items[sh->n], 0, sizeof sh->items[sh->n]);
    snprintf(sh->items[sh->n].id, sizeof sh->items[sh->n].id, "%s", r->id);
    snprintf(sh->items[sh->n].label, sizeof sh->items[sh->n].label, "%s", r->label);
    buf_init(&sh->items[sh->n].resp.body, 0);
    r->share = (long)sh->n++;
}

/* The answer to a shared image request arrived: keep a copy and hand it to every waiting group. */
static void share_answered(struct fetch *f, struct req *r, const struct http_response *resp)
{
    struct shared_image *si = &f->many->share.items[r->share];
    struct http_response *c = &si->resp;

    c->status = resp->status;
    c->error = resp->error;
    c->fail = resp->fail;
    memcpy(c->content_type, resp->content_type, sizeof c->content_type);
    memcpy(c->request_id, resp->request_id, sizeof c->request_id);
    memcpy(c->message, resp->message, sizeof c->message);
    if (buf_add(&c->body, resp->body.data ? resp->body.data : "", resp->body.len)) {
        c->error = ERR_NOMEM;
        snprintf(c->message, sizeof c->message, "out of memory");
    }
    si->answered = true;
    for (size_t i = 0; i < si->nwaiting; i++) {
        struct fetch *w = &f->many->share.fetches[si->waiting[i]];
        share_deliver(w, si);
        if (--w->pending == 0)
            fetch_settled(w);
    }
    si->nwaiting = 0;
}

static void image_share_free(struct image_share *sh)
{
    for (size_t i = 0; i < sh->n; i++) {
        buf_free(&sh->items[i].resp.body);
        free(sh->items[i].waiting);
    }
    free(sh->items);
    json_object_put(sh->index);
}

/* Requests an image once (shared with the other groups of an api_fetch_many); ids that cannot go
 * into a URL are fetch errors, a server without an image ("" or none) is not. */
static void want_image(struct fetch *f, const char *id, const char *where)
{
    char key[96];
    struct buf url;

    if (f->s->o.no_images || !f->s->o.ep->ims || !id || !*id)
        return;
    snprintf(key, sizeof key, "image:%s", id);
    if (jsonutil_get(f->asked, key, NULL))
        return;
    json_object_object_add(f->asked, key, NULL);
    if (!api_id_valid(id)) {
        fetch_error(f, where, "image id '%.64s' cannot be requested (unexpected characters)", id);
        return;
    }
    if (f->many && share_image(f, id))
        return;
    buf_init(&url, 0);
    if (buf_printf(&url, "%s/v2/cloudimages?id=%s", f->s->o.ep->ims, id)) {
        set_fatal(f, ERR_NOMEM, "out of memory");
    } else {
        struct req *r = submit(f, REQ_IMAGE, "GET", url.data, NULL, NULL, 0, id);
        if (r && f->many)
            share_asked(f, r);
    }
    buf_free(&url);
}

/* ---- responses ------------------------------------------------------------------------------- */

static const char *what_to_check(const struct fetch *f, int status)
{
    if (status == 403)
        return "the credentials are valid but lack permission: the user needs SDRS and ECS read "
               "access (e.g. SDRS ReadOnlyAccess) in this project";
    switch (f->s->o.cred->kind) {
    case CRED_TOKEN:
        return "the token may have expired (tokens last 24 hours) or be scoped to another project";
    case CRED_AKSK:
        return "check the access key and secret key, and that this machine's clock is right "
               "(X-Sdk-Date must be within 15 minutes of the server's)";
    case CRED_PASSWORD:
        return "the token IAM issued was refused: check the user's permissions in this project";
    case CRED_NONE:
        break;
    }
    return "check the credentials";
}

/* Parses a JSON response body; on failure records a fetch error and returns NULL. */
static struct json_object *parse_body(struct fetch *f, struct req *r, struct http_response *resp)
{
    struct json_object *o = NULL;
    struct jsonutil_dup dup;
    struct err e = {0};

    if (resp->content_type[0] && !util_contains_ci(resp->content_type, "json")) {
        fetch_error(f, r->label, "expected a JSON response, got content type '%.60s'",
                    resp->content_type);
        return NULL;
    }
    if (jsonutil_parse_dup(buf_str(&resp->body), resp->body.len, "response", f->s->o.max_depth, &o,
                           &dup, &e)) {
        fetch_error(f, r->label, "%s", e.msg);
        return NULL;
    }
    if (dup.found) {
        /* json-c keeps the last value, a reader of the answer the first: nothing in it is sure */
        fetch_error(f, r->label,
                    "ambiguous answer: key \"%s\" appears twice in %s, so its value is not known",
                    dup.key, dup.path);
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* The account of a non-2xx answer, from its body: "CODE: message (request id: X)" (or "HTTP n"
 * when the body names no error), with " (N tries)" when the HTTP layer tried more than once.
 * ae receives the parsed error. */
static void answer_detail(const struct http_response *resp, struct api_error *ae, char *out,
                          size_t size)
{
    size_t n;

    apierr_parse(buf_str(&resp->body), resp->body.len, ae);
    apierr_format(ae, resp->status, out, size);
    n = strlen(out);
    if (resp->attempts > 1 && n + 1 < size)
        snprintf(out + n, size - n, " (%d tries)", resp->attempts);
}

/* Records the error answer ECS gave for server id: {"http_status": n, "error": {"code",
 * "message"}} in the snapshot's servers. Returns 0 or ERR_NOMEM. */
static int server_error_entry(struct fetch *f, const char *id, int status,
                              const struct api_error *ae)
{
    struct json_object *entry = json_object_new_object(), *eo = json_object_new_object();

    if (!entry || !eo || json_object_object_add(eo, "code", json_object_new_string(ae->code)) ||
        json_object_object_add(eo, "message", json_object_new_string(ae->message)) ||
        json_object_object_add(entry, "http_status", json_object_new_int(status))) {
        json_object_put(entry);
        json_object_put(eo);
        return ERR_NOMEM;
    }
    if (json_object_object_add(entry, "error", eo)) {
        json_object_put(entry);
        json_object_put(eo);
        return ERR_NOMEM;
    }
    if (json_object_object_add(f->servers, id, entry)) {
        json_object_put(entry);
        return ERR_NOMEM;
    }
    return 0;
}

/* Handles what every response shares: transport failures, 401/403, other non-2xx statuses.
 * Returns true when the response is a 2xx to be processed further. */
static bool response_ok(struct fetch *f, struct req *r, struct http_response *resp)
{
    struct api_error ae;
    char detail[400];

    if (resp->error) {
        if (r->kind == REQ_IAM)
            /* Without a token nothing else can be read: say so once, naming the request. */
            set_fatal(f, ERR_NET, "%s failed: %s; no token, so nothing could be fetched", r->label,
                      resp->message[0] ? resp->message : "request failed");
        else
            fetch_error(f, r->label, "%s", resp->message[0] ? resp->message : "request failed");
        return false;
    }
    if (resp->status >= 200 && resp->status < 300)
        return true;
    answer_detail(resp, &ae, detail, sizeof detail);
    if ((resp->status == 401 || resp->status == 403) && r->kind != REQ_IAM) {
        set_fatal(f, ERR_AUTH, "%s was refused with the %s credentials from %s (%s): %s", r->label,
                  credentials_kind_name(f->s->o.cred->kind), f->s->o.cred->source, detail,
                  what_to_check(f, resp->status));
        return false;
    }
    if (r->kind == REQ_IAM) {
        if (resp->status == 401 || resp->status == 403 || resp->status == 400)
            set_fatal(f, ERR_AUTH,
                      "%s: IAM did not issue a token for user '%s' in domain '%s' (%s): check "
                      "OS_USERNAME, OS_PASSWORD, OS_USER_DOMAIN_NAME and "
                      "OS_PROJECT_ID/OS_PROJECT_NAME",
                      r->label, f->s->o.cred->username, f->s->o.cred->domain, detail);
        else
            set_fatal(f, ERR_API, "%s: IAM failed (%s); no token, so nothing could be fetched",
                      r->label, detail);
        return false;
    }
    if (r->kind == REQ_GROUP && (resp->status == 404 || strcmp(ae.code, "SDRS.1013") == 0 ||
                                 strcmp(ae.code, "SDRS.0207") == 0)) {
        set_fatal(f, ERR_API,
                  "protection group '%s' was not found in project %s (%s): check the "
                  "group id and the project",
                  f->group_id, f->project_id, detail);
        return false;
    }
    if (r->kind == REQ_SERVER && resp->status == 404) {
        /* Only ECS itself saying "no such server" means deleted; a 404 from anything in between
         * (a proxy, a wrong endpoint) is a failure to look. */
        if (strncasecmp(ae.code, "Ecs.", 4) != 0) {
            fetch_error(f, r->label,
                        "%s without an ECS error code: cannot tell whether the server "
                        "was deleted",
                        detail);
            return false;
        }
        if (server_error_entry(f, r->id, 404, &ae))
            set_fatal(f, ERR_NOMEM, "out of memory");
        else
            logf_(f, 2, "server %s: deleted (%s)", r->id, detail);
        return false;
    }
    fetch_error(f, r->label, "%s", detail);
    if (r->kind == REQ_SERVER && server_error_entry(f, r->id, resp->status, &ae))
        set_fatal(f, ERR_NOMEM, "out of memory");
    return false;
}

static void on_iam(struct fetch *f, struct req *r, struct http_response *resp);

static void on_group(struct fetch *f, struct req *r, struct http_response *resp)
{
    struct json_object *o = parse_body(f, r, resp), *g;

    if (!o)
        return;
    if (!jsonutil_get(o, "server_group", &g) || !json_object_is_type(g, json_type_object)) {
        fetch_error(f, r->label, "unexpected response: no \"server_group\" object");
    } else if (!jsonutil_get_str(g, "id") ||
               !util_same_id(jsonutil_get_str(g, "id"), f->group_id)) {
        fetch_error(f, r->label, "the answer is about protection group '%.64s', not '%s'",
                    jsonutil_get_str(g, "id") ? jsonutil_get_str(g, "id") : "(no id)", f->group_id);
    } else {
        f->group = json_object_get(g);
    }
    json_object_put(o);
}

static void request_servers(struct fetch *f, struct list *l, struct json_object *item, size_t pos)
{
    char where[128];

    if (l != &f->lists[0] || !json_object_is_type(item, json_type_object))
        return;
    snprintf(where, sizeof where, "$.protected_instances[%zu].source_server", pos);
    want_server(f, jsonutil_get_str(item, "source_server"), where);
    snprintf(where, sizeof where, "$.protected_instances[%zu].target_server", pos);
    want_server(f, jsonutil_get_str(item, "target_server"), where);
}

/* The first position of a list still empty, or count when it is complete. */
static size_t first_gap(const struct list *l)
{
    for (long long i = 0; i < l->count; i++)
        if (!l->slots[i])
            return (size_t)i;
    return (size_t)l->count;
}

static void on_page(struct fetch *f, struct req *r, struct http_response *resp)
{
    struct list *l = r->list;
    struct json_object *o = parse_body(f, r, resp), *items, *cnt;
    long long count;
    size_t n;

    if (!o) {
        l->failed = true;
        return;
    }
    if (!jsonutil_get(o, l->key, &items) || !json_object_is_type(items, json_type_array)) {
        fetch_error(f, r->label, "unexpected response: no \"%s\" array", l->key);
        goto fail;
    }
    if (!jsonutil_get(o, "count", &cnt) ||
        !(json_object_is_type(cnt, json_type_int) ||
          (json_object_is_type(cnt, json_type_string) &&
           util_parse_int(json_object_get_string(cnt), &count)))) {
        fetch_error(f, r->label, "unexpected response: no integer \"count\"");
        goto fail;
    }
    if (json_object_is_type(cnt, json_type_int))
        count = json_object_get_int64(cnt);
    n = json_object_array_length(items);
    if (count < 0 || (size_t)count > f->s->o.max_items) {
        fetch_error(f, r->label, "count %lld is outside 0..%zu (the limit)", count,
                    f->s->o.max_items);
        goto fail;
    }
    if (l->count < 0) {
        l->count = count;
        if (count > 0) {
            l->slots = calloc((size_t)count, sizeof *l->slots);
            if (!l->slots) {
                set_fatal(f, ERR_NOMEM, "out of memory");
                goto fail;
            }
        }
        if (n == 0 && count > 0) {
            fetch_error(f, r->label, "an empty page although count is %lld", count);
            goto fail;
        }
        /* The count is known: ask for every further page at once. */
        for (size_t off = r->offset + n; n > 0 && off < (size_t)count; off += n)
            submit_page(f, l, off);
    } else if (count != l->count) {
        fetch_error(f, r->label, "the list changed while it was read (count %lld, before %lld)",
                    count, l->count);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        size_t pos = r->offset + i;
        struct json_object *item = json_object_array_get_idx(items, i), *first;
        const char *id = jsonutil_get_str(item, "id");
        char key[128];

        if (pos >= (size_t)l->count) {
            fetch_error(f, r->label, "more items than count %lld", l->count);
            goto fail;
        }
        if (!id || !util_id_key(id, key, sizeof key)) {
            fetch_error(f, r->label, "unexpected response: %s[%zu] has no usable \"id\"", l->key,
                        i);
            goto fail;
        }
        if (jsonutil_get(l->seen, key, &first) && json_object_get_int64(first) != (int64_t)pos) {
            /* a page that repeats items of another has lost the items it should have held */
            fetch_error(f, r->label,
                        "%s id '%.64s' appears twice (at positions %lld and %zu): the paging "
                        "answers repeat items, so the list is not complete",
                        l->key, id, (long long)json_object_get_int64(first), pos);
            goto fail;
        }
        if (!l->slots[pos]) {
            if (json_object_object_add(l->seen, key, json_object_new_int64((int64_t)pos))) {
                set_fatal(f, ERR_NOMEM, "out of memory");
                goto fail;
            }
            l->slots[pos] = json_object_get(item);
            request_servers(f, l, item, pos);
        }
    }
    if (l->pending == 0 && !l->failed && first_gap(l) < (size_t)l->count) {
        /* Pages came back shorter than the first one: read what is still missing. */
        if (n == 0 || ++l->gap_fills > API_MAX_GAP_FILLS) {
            fetch_error(f, r->label, "the API returned fewer %s than its count %lld", l->key,
                        l->count);
            goto fail;
        }
        submit_page(f, l, first_gap(l));
    }
    json_object_put(o);
    return;
fail:
    l->failed = true;
    json_object_put(o);
}

static void on_server(struct fetch *f, struct req *r, struct http_response *resp)
{
    struct json_object *o = parse_body(f, r, resp), *srv, *entry, *img;
    const char *id;

    if (!o)
        return;
    if (!jsonutil_get(o, "server", &srv) || !json_object_is_type(srv, json_type_object)) {
        fetch_error(f, r->label, "unexpected response: no \"server\" object");
        json_object_put(o);
        return;
    }
    id = jsonutil_get_str(srv, "id");
    if (id && !util_same_id(id, r->id)) {
        fetch_error(f, r->label, "the answer is about server '%.64s', not '%s'", id, r->id);
        json_object_put(o);
        return;
    }
    entry = json_object_new_object();
    if (!entry || json_object_object_add(entry, "http_status", json_object_new_int(200)) ||
        json_object_object_add(entry, "server", json_object_get(srv)) ||
        json_object_object_add(f->servers, r->id, entry)) {
        set_fatal(f, ERR_NOMEM, "out of memory");
    } else if (jsonutil_get(srv, "image", &img)) {
        want_image(f, jsonutil_get_str(img, "id"), r->label);
    }
    json_object_put(o);
}

static void on_image(struct fetch *f, struct req *r, struct http_response *resp)
{
    struct json_object *o = parse_body(f, r, resp), *list;
    size_t n;

    if (!o)
        return;
    if (!jsonutil_get(o, "images", &list) || !json_object_is_type(list, json_type_array)) {
        fetch_error(f, r->label, "unexpected response: no \"images\" array");
        json_object_put(o);
        return;
    }
    n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        struct json_object *img = json_object_array_get_idx(list, i);
        const char *id = jsonutil_get_str(img, "id");
        if (!id) {
            /* the wrong shape is a failure to look, never an image skipped in silence */
            fetch_error(f, r->label, "unexpected response: images[%zu] is not an image with an id",
                        i);
            break;
        }
        if (util_same_id(id, r->id)) {
            json_object_object_add(f->images, r->id, json_object_get(img));
            break;
        }
    }
    json_object_put(o);
}

static void on_done(void *ud, struct http_response *resp)
{
    struct req *r = ud;
    struct fetch *f = r->f;

    if (r->share >= 0)
        share_answered(f, r, resp);
    if (r->list)
        r->list->pending--;
    if (f->fatal)
        goto out;
    if (!response_ok(f, r, resp)) {
        if (r->list)
            r->list->failed = true;
        goto out;
    }
    switch (r->kind) {
    case REQ_IAM:
        on_iam(f, r, resp);
        break;
    case REQ_GROUP:
        on_group(f, r, resp);
        break;
    case REQ_LIST:
        on_page(f, r, resp);
        break;
    case REQ_SERVER:
        on_server(f, r, resp);
        break;
    case REQ_IMAGE:
        on_image(f, r, resp);
        break;
    }
out:
    free(r);
    if (--f->pending == 0)
        fetch_settled(f);
    if (f->many)
        many_top_up(f->many);
}

/* Every request of f has been answered. */
static void fetch_settled(struct fetch *f)
{
    if (f->many)
        many_group_done(f->many, f->index);
}

/* ---- IAM ------------------------------------------------------------------------------------- */

/* The public URL of the first catalog entry of one of the types, preferring the region. */
static const char *catalog_url(struct json_object *catalog, const char *const *types,
                               const char *region)
{
    size_t n = json_object_array_length(catalog);
    const char *fallback = NULL;

    for (const char *const *t = types; *t; t++) {
        for (size_t i = 0; i < n; i++) {
            struct json_object *svc = json_object_array_get_idx(catalog, i), *eps;
            const char *type = jsonutil_get_str(svc, "type"), *name = jsonutil_get_str(svc, "name");
            size_t m;

            if (!((type && strcmp(type, *t) == 0) || (name && strcmp(name, *t) == 0)))
                continue;
            if (!jsonutil_get(svc, "endpoints", &eps) || !json_object_is_type(eps, json_type_array))
                continue;
            m = json_object_array_length(eps);
            for (size_t k = 0; k < m; k++) {
                struct json_object *ep = json_object_array_get_idx(eps, k);
                const char *iface = jsonutil_get_str(ep, "interface");
                const char *url = jsonutil_get_str(ep, "url");
                const char *reg = jsonutil_get_str(ep, "region");
                if (!url || (iface && strcmp(iface, "public") != 0))
                    continue;
                if (!region || (reg && strcmp(reg, region) == 0))
                    return url;
                if (!fallback)
                    fallback = url;
            }
        }
    }
    return fallback;
}

/* Takes the project id (unless one was given) and the missing endpoints from IAM's token. The
 * project id goes into every URL: one that cannot (api_id_valid) is fatal. */
static void take_catalog(struct fetch *f, struct req *r, struct json_object *token)
{
    static const char *const sdrs[] = {"sdrs", NULL}, *const ecs[] = {"ecs", NULL},
                             *const ims[] = {"ims", "image", NULL};
    const char *const *types[] = {sdrs, ecs, ims};
    char **slots[] = {&f->s->o.ep->sdrs, &f->s->o.ep->ecs, &f->s->o.ep->ims};
    struct json_object *catalog, *project;
    const char *pid;

    if (!f->s->o.ep->project_id && jsonutil_get(token, "project", &project) &&
        (pid = jsonutil_get_str(project, "id")) != NULL) {
        if (!api_id_valid(pid)) {
            char clean[80];
            apierr_sanitize(pid, strlen(pid), clean, sizeof clean);
            set_fatal(f, ERR_API,
                      "%s: IAM's token names project id '%s', which cannot go into a URL", r->label,
                      clean);
            return;
        }
        if (!(f->s->o.ep->project_id = util_strdup(pid))) {
            set_fatal(f, ERR_NOMEM, "out of memory");
            return;
        }
    }
    if (!jsonutil_get(token, "catalog", &catalog) || !json_object_is_type(catalog, json_type_array))
        return;
    for (size_t i = 0; i < 3; i++) {
        const char *url;
        struct err e = {0};
        if (*slots[i] || !(url = catalog_url(catalog, types[i], f->s->o.ep->region)))
            continue;
        if (endpoint_normalize(url, slots[i], NULL, &e) == 0)
            logf_(f, 1, "endpoint from the IAM catalog: %s", *slots[i]);
    }
}

static void on_iam(struct fetch *f, struct req *r, struct http_response *resp)
{
    struct json_object *o = NULL, *token;
    struct err e = {0};

    if (resp->subject_token.len == 0) {
        set_fatal(f, ERR_API, "%s: IAM answered HTTP %d without an X-Subject-Token header",
                  r->label, resp->status);
        return;
    }
    if (resp->content_type[0] && !util_contains_ci(resp->content_type, "json")) {
        set_fatal(f, ERR_API, "%s: expected a JSON response, got content type '%.60s'", r->label,
                  resp->content_type);
        return;
    }
    if (jsonutil_parse(buf_str(&resp->body), resp->body.len, "response", f->s->o.max_depth, &o,
                       &e) ||
        !jsonutil_get(o, "token", &token) || !json_object_is_type(token, json_type_object)) {
        set_fatal(f, ERR_API, "%s: IAM's answer is not a token object%s%s", r->label,
                  e.msg[0] ? ": " : "", e.msg);
        json_object_put(o);
        return;
    }
    f->s->iam_token = util_strndup(resp->subject_token.data, resp->subject_token.len);
    if (!f->s->iam_token) {
        set_fatal(f, ERR_NOMEM, "out of memory");
        json_object_put(o);
        return;
    }
    f->s->token = f->s->iam_token;
    take_catalog(f, r, token);
    json_object_put(o);
}

/* The token request body (password method, project scope) into out, which the caller wipes. The
 * password is in two json-c buffers, its string object and the serialisation: both are wiped
 * before they are freed. */
static int iam_body(const struct credentials *c, struct buf *out)
{
    struct json_object *root = json_object_new_object(), *auth = json_object_new_object();
    struct json_object *identity = json_object_new_object(), *methods = json_object_new_array();
    struct json_object *password = json_object_new_object(), *user = json_object_new_object();
    struct json_object *domain = json_object_new_object(), *scope = json_object_new_object();
    struct json_object *project = json_object_new_object();
    struct json_object *secret = json_object_new_string(c->password); /* our reference */
    const char *s;
    int rc = ERR_NOMEM;

    if (!root || !auth || !identity || !methods || !password || !user || !domain || !scope ||
        !project || !secret)
        goto out;
    json_object_array_add(methods, json_object_new_string("password"));
    json_object_object_add(domain, "name", json_object_new_string(c->domain));
    json_object_object_add(user, "name", json_object_new_string(c->username));
    if (json_object_object_add(user, "password", json_object_get(secret))) {
        json_object_put(secret); /* not taken: drop the reference meant for user */
        goto out;
    }
    json_object_object_add(user, "domain", domain);
    domain = NULL;
    json_object_object_add(password, "user", user);
    user = NULL;
    json_object_object_add(identity, "methods", methods);
    methods = NULL;
    json_object_object_add(identity, "password", password);
    password = NULL;
    if (c->project_id)
        json_object_object_add(project, "id", json_object_new_string(c->project_id));
    else
        json_object_object_add(project, "name", json_object_new_string(c->project_name));
    json_object_object_add(scope, "project", project);
    project = NULL;
    json_object_object_add(auth, "identity", identity);
    identity = NULL;
    json_object_object_add(auth, "scope", scope);
    scope = NULL;
    json_object_object_add(root, "auth", auth);
    auth = NULL;
    s = json_object_to_json_string_ext(root,
                                       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    rc = s ? buf_adds(out, s) : ERR_NOMEM;
    /* json-c keeps the serialisation inside the object: wipe it with the password. */
    if (s)
        explicit_bzero((char *)s, strlen(s));
out:
    if (secret)
        explicit_bzero((char *)json_object_get_string(secret),
                       (size_t)json_object_get_string_len(secret));
    json_object_put(secret);
    json_object_put(root);
    json_object_put(auth);
    json_object_put(identity);
    json_object_put(methods);
    json_object_put(password);
    json_object_put(user);
    json_object_put(domain);
    json_object_put(scope);
    json_object_put(project);
    return rc;
}

/* ---- the fetch ------------------------------------------------------------------------------- */

static void start_group(struct fetch *f)
{
    struct buf url;

    buf_init(&url, 0);
    if (buf_printf(&url, "%s/v1/%s/server-groups/%s", f->s->o.ep->sdrs, f->project_id,
                   f->group_id)) {
        set_fatal(f, ERR_NOMEM, "out of memory");
        return;
    }
    submit(f, REQ_GROUP, "GET", url.data, NULL, NULL, 0, NULL);
    buf_free(&url);
    for (size_t i = 0; i < 3; i++)
        submit_page(f, &f->lists[i], 0);
}

static void start_iam(struct fetch *f)
{
    struct buf url, body;

    if (!f->s->o.ep->iam) {
        set_fatal(f, ERR_INVALID,
                  "the IAM endpoint is unknown: give --iam-endpoint URL or --region (or set "
                  "OS_REGION_NAME)");
        return;
    }
    buf_init(&url, 0);
    buf_init(&body, 0);
    if (buf_printf(&url, "%s/v3/auth/tokens", f->s->o.ep->iam) || iam_body(f->s->o.cred, &body))
        set_fatal(f, ERR_NOMEM, "out of memory");
    else
        submit(f, REQ_IAM, "POST", url.data, body.data, NULL, 0, NULL);
    buf_wipe_free(&body);
    buf_free(&url);
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A copy of obj with its members sorted by key (a stable, diffable snapshot). */
static struct json_object *sorted_object(struct json_object *obj)
{
    struct json_object *out = json_object_new_object();
    size_t n = 0, i = 0;
    const char **keys;

    if (!out)
        return NULL;
    json_object_object_foreach(obj, k0, v0)
    {
        (void)k0;
        (void)v0;
        n++;
    }
    keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys) {
        json_object_put(out);
        return NULL;
    }
    json_object_object_foreach(obj, k1, v1)
    {
        (void)v1;
        keys[i++] = k1;
    }
    qsort(keys, n, sizeof *keys, cmp_ids);
    for (i = 0; i < n; i++) {
        struct json_object *v = NULL;
        jsonutil_get(obj, keys[i], &v);
        json_object_object_add(out, keys[i], json_object_get(v));
    }
    free(keys);
    return out;
}

static struct json_object *list_array(struct list *l)
{
    struct json_object *arr;

    if (l->failed || l->count < 0 || first_gap(l) < (size_t)l->count)
        return NULL;
    arr = json_object_new_array_ext((int)l->count);
    for (long long i = 0; arr && i < l->count; i++)
        json_object_array_add(arr, json_object_get(l->slots[i]));
    return arr;
}

static int assemble(struct fetch *f, struct api_result *out)
{
    struct json_object *snap = json_object_new_object(), *eps = json_object_new_object();
    char when[32];
    const char *s;
    size_t len = 0;
    int rc = 0;

    if (!snap || !eps) {
        json_object_put(snap);
        json_object_put(eps);
        return ERR_NOMEM;
    }
    util_format_time(f->started, when, sizeof when);
    json_object_object_add(snap, "schema", json_object_new_string(SNAPSHOT_SCHEMA));
    json_object_object_add(snap, "fetched_at", json_object_new_string(when));
    json_object_object_add(snap, "tool_version", json_object_new_string(SDRS_VERSION));
    json_object_object_add(snap, "project_id", json_object_new_string(f->project_id));
    json_object_object_add(eps, "sdrs", json_object_new_string(f->s->o.ep->sdrs));
    json_object_object_add(eps, "ecs", json_object_new_string(f->s->o.ep->ecs));
    if (f->s->o.ep->ims && !f->s->o.no_images)
        json_object_object_add(eps, "ims", json_object_new_string(f->s->o.ep->ims));
    if (f->s->o.cred->kind == CRED_PASSWORD)
        json_object_object_add(eps, "iam", json_object_new_string(f->s->o.ep->iam));
    json_object_object_add(snap, "endpoints", eps);
    json_object_object_add(snap, "server_group", json_object_get(f->group));
    for (size_t i = 0; i < 3; i++)
        json_object_object_add(snap, f->lists[i].key, list_array(&f->lists[i]));
    json_object_object_add(snap, "servers", sorted_object(f->servers));
    if (!f->s->o.no_images && f->s->o.ep->ims)
        json_object_object_add(snap, "images", sorted_object(f->images));
    json_object_object_add(snap, "fetch_errors", json_object_get(f->errors));
    s = json_object_to_json_string_length(
        snap, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        &len);
    if (!s || buf_add(&out->snapshot, s, len) || buf_adds(&out->snapshot, "\n"))
        rc = ERR_NOMEM;
    out->fetch_errors = json_object_array_length(f->errors);
    /* The bytes are what --save-snapshot writes and the digest covers; the tree is the same
     * document, handed on so that it need not be parsed again. */
    if (rc)
        json_object_put(snap);
    else
        out->tree = snap;
    return rc;
}

/* Frees what a round of requests holds (not the session). */
static void fetch_clear(struct fetch *f)
{
    for (size_t i = 0; i < 3; i++) {
        for (long long k = 0; f->lists[i].slots && k < f->lists[i].count; k++)
            json_object_put(f->lists[i].slots[k]);
        free(f->lists[i].slots);
        json_object_put(f->lists[i].seen);
    }
    json_object_put(f->group);
    json_object_put(f->servers);
    json_object_put(f->images);
    json_object_put(f->asked);
    json_object_put(f->errors);
}

static int fetch_init(struct fetch *f, struct api_session *s, const char *group_id, struct err *e)
{
    static const char *const keys[] = {"protected_instances", "replications",
                                       "disaster_recovery_drills"};
    static const char *const paths[] = {"protected-instances", "replications",
                                        "disaster-recovery-drills"};

    memset(f, 0, sizeof *f);
    f->s = s;
    f->group_id = group_id;
    f->project_id = s->o.ep->project_id;
    f->started = now_seconds(&s->o);
    for (size_t i = 0; i < 3; i++)
        f->lists[i] = (struct list){
            .key = keys[i], .path = paths[i], .count = -1, .seen = json_object_new_object()};
    f->servers = json_object_new_object();
    f->images = json_object_new_object();
    f->asked = json_object_new_object();
    f->errors = json_object_new_array();
    if (!f->servers || !f->images || !f->asked || !f->errors || !f->lists[0].seen ||
        !f->lists[1].seen || !f->lists[2].seen) {
        fetch_clear(f);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* Runs what is queued; returns 0 or the round's fatal error. */
static int fetch_run(struct fetch *f, struct err *e)
{
    int rc = http_run(f->s->http, e);

    if (!rc && f->fatal) {
        rc = f->fatal;
        *e = f->fatal_err;
    }
    return rc;
}

int api_session_new(const struct api_opts *o, struct api_session **out, struct err *e)
{
    struct api_session *s;
    struct fetch f;
    int rc;

    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, ERR_NOMEM, "out of memory");
    s->o = *o;
    if (!s->o.page_limit)
        s->o.page_limit = API_DEFAULT_PAGE_LIMIT;
    if (!s->o.max_items)
        s->o.max_items = API_DEFAULT_MAX_ITEMS;
    if (!s->o.max_depth)
        s->o.max_depth = JSONUTIL_DEFAULT_DEPTH;
    if ((rc = http_client_new(&o->http, &s->http, e)) != 0)
        goto fail;
    if (o->cred->kind == CRED_TOKEN)
        s->token = o->cred->token; /* borrowed: the credentials outlive the session */
    if (o->cred->kind == CRED_PASSWORD) {
        if ((rc = fetch_init(&f, s, NULL, e)) != 0)
            goto fail;
        start_iam(&f);
        rc = fetch_run(&f, e);
        fetch_clear(&f);
        if (!rc && !s->token)
            rc = err_set(e, ERR_API, "IAM issued no token, so nothing could be fetched");
        if (rc)
            goto fail;
    }
    if (!s->o.ep->sdrs || !s->o.ep->ecs) {
        rc = err_set(e, ERR_INVALID,
                     "the %s endpoint is unknown: give --%s URL or --region (or set "
                     "OS_REGION_NAME)",
                     !s->o.ep->sdrs ? "SDRS" : "ECS", !s->o.ep->sdrs ? "endpoint" : "ecs-endpoint");
        goto fail;
    }
    if (!s->o.ep->project_id) {
        rc = err_set(e, ERR_INVALID,
                     "the project id is unknown: give --project-id or set OS_PROJECT_ID");
        goto fail;
    }
    if (!api_id_valid(s->o.ep->project_id)) {
        rc = err_set(e, ERR_INVALID,
                     "project id '%.80s' cannot go into a URL: it may hold letters, digits, '-', "
                     "'_' and '.' (1 to 64)",
                     s->o.ep->project_id);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    api_session_free(s);
    return rc;
}

void api_session_free(struct api_session *s)
{
    if (!s)
        return;
    secret_free(s->iam_token);
    http_client_free(s->http);
    free(s);
}

void api_session_stats(const struct api_session *s, struct http_stats *out)
{
    http_client_stats(s->http, out);
}

int api_fetch(struct api_session *s, const char *group_id, struct api_result *out, struct err *e)
{
    struct fetch f;
    int rc;

    memset(out, 0, sizeof *out);
    buf_init(&out->snapshot, 0);
    if (!api_id_valid(group_id))
        return err_set(e, ERR_INVALID, "'%s' is not a protection group id", group_id);
    if ((rc = fetch_init(&f, s, group_id, e)) != 0)
        return rc;
    start_group(&f);
    rc = fetch_run(&f, e);
    http_client_stats(s->http, &out->stats);
    if (!rc && !f.group && json_object_array_length(f.errors) == 0)
        fetch_error(&f, "GET server group", "no answer");
    if (!rc && (rc = assemble(&f, out)) != 0)
        err_set(e, rc, "out of memory");
    fetch_clear(&f);
    if (rc)
        buf_free(&out->snapshot);
    return rc;
}

/* A group of api_fetch_many has all its answers: its result is built now, its memory released,
 * and the caller told, so that it can evaluate the group while the others are still fetched. */
static void many_group_done(struct many *m, size_t i)
{
    struct fetch *f = &m->fs[i];
    struct api_result *out = &m->out[i];

    if (m->rc)
        return;
    if (f->fatal == ERR_AUTH || f->fatal == ERR_NOMEM) {
        m->rc = f->fatal;
        m->err = f->fatal_err;
        return;
    }
    if (f->fatal) {
        out->error = f->fatal;
        snprintf(out->message, sizeof out->message, "%s", f->fatal_err.msg);
    } else {
        if (!f->group && json_object_array_length(f->errors) == 0)
            fetch_error(f, "GET server group", "no answer");
        if (assemble(f, out)) {
            m->rc = err_set(&m->err, ERR_NOMEM, "out of memory");
            return;
        }
    }
    http_client_stats(f->s->http, &out->stats);
    fetch_clear(f);
    f->s = NULL;
    if (m->done)
        m->done(m->ud, i);
}

/* Starts groups until the queue holds enough requests (or none are left, or the run failed). */
static void many_top_up(struct many *m)
{
    while (!m->rc && m->next < m->n && http_queued(m->s->http) < m->window) {
        size_t i = m->next++;
        struct fetch *f = &m->fs[i];

        if (!api_id_valid(m->ids[i])) {
            m->out[i].error = ERR_INVALID;
            snprintf(m->out[i].message, sizeof m->out[i].message,
                     "'%.80s' is not a protection group id", m->ids[i]);
            if (m->done)
                m->done(m->ud, i);
            continue;
        }
        if ((m->rc = fetch_init(f, m->s, m->ids[i], &m->err)) != 0)
            return;
        f->index = i;
        f->many = m;
        start_group(f);
        if (f->pending == 0) /* nothing could be sent: settled already */
            fetch_settled(f);
    }
}

int api_fetch_many(struct api_session *s, const char *const *group_ids, size_t n,
                   struct api_result *out, void (*done)(void *ud, size_t i), void *ud,
                   struct err *e)
{
    struct many m = {.s = s, .ids = group_ids, .n = n, .out = out, .done = done, .ud = ud};
    int rc = 0;

    m.window = (size_t)(s->o.http.concurrency > 4 ? s->o.http.concurrency : 4);
    m.fs = calloc(n ? n : 1, sizeof *m.fs);
    m.share.fetches = m.fs;
    m.share.index = json_object_new_object();
    if (!m.fs || !m.share.index) {
        free(m.fs);
        json_object_put(m.share.index);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        buf_init(&out[i].snapshot, 0);
    }
    many_top_up(&m);
    rc = http_run(s->http, e);
    if (!rc && m.rc) {
        rc = m.rc;
        *e = m.err;
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (i >= m.next || m.fs[i].s) /* every group was started and settled */
            rc = err_set(e, ERR_NET, "group %s: the fetch did not finish", group_ids[i]);
    for (size_t i = 0; i < m.next; i++)
        if (m.fs[i].s)
            fetch_clear(&m.fs[i]);
    free(m.fs);
    image_share_free(&m.share);
    if (rc)
        for (size_t i = 0; i < n; i++)
            api_result_clear(&out[i]);
    return rc;
}

void api_ids_free(char **ids, size_t n)
{
    for (size_t i = 0; ids && i < n; i++)
        free(ids[i]);
    free(ids);
}

int api_list_groups(struct api_session *s, char ***ids, size_t *n, struct err *e)
{
    struct json_object *seen = json_object_new_object(); /* id key -> position */
    char **v = NULL;
    size_t have = 0;
    long long count = -1; /* the first page's: v holds that many */
    int rc = 0;

    *ids = NULL;
    *n = 0;
    if (!seen)
        return err_set(e, ERR_NOMEM, "out of memory");
    while (!rc && (count < 0 || (long long)have < count)) {
        struct api_response r;
        struct json_object *o = NULL, *list, *cnt;
        char path[80];
        long long c;
        size_t m;

        snprintf(path, sizeof path, "/server-groups?limit=%zu&offset=%zu", s->o.page_limit, have);
        if ((rc = api_call(s, "GET", path, NULL, &r, e)) != 0)
            break;
        if (r.error || r.status != 200) {
            bool denied = r.status == 401 || r.status == 403;
            rc = err_set(e,
                         r.error  ? r.error
                         : denied ? ERR_AUTH
                                  : ERR_API,
                         "%s failed: %s%s", r.label, r.error ? r.message : r.detail,
                         denied ? ": check the credentials" : "");
            api_response_clear(&r);
            break;
        }
        if (api_response_json(s, &r, "group list", &o, e) ||
            !jsonutil_get(o, "server_groups", &list) ||
            !json_object_is_type(list, json_type_array) || !jsonutil_get(o, "count", &cnt) ||
            !json_object_is_type(cnt, json_type_int)) {
            rc = err_set(e, ERR_API, "%s: unexpected answer (no server_groups list and count)",
                         r.label);
            json_object_put(o);
            api_response_clear(&r);
            break;
        }
        c = json_object_get_int64(cnt);
        m = json_object_array_length(list);
        if (count >= 0 && c != count)
            rc = err_set(e, ERR_API,
                         "%s: the list changed while it was read (count %lld, before %lld)",
                         r.label, c, count);
        else if (c < 0 || (size_t)c > s->o.max_items || (m == 0 && (long long)have < c))
            rc = err_set(e, ERR_API, "%s: the list says %lld groups but returned %zu", r.label, c,
                         have + m);
        else if (count < 0 && (count = c) > 0 && !(v = calloc((size_t)count, sizeof *v)))
            rc = err_set(e, ERR_NOMEM, "out of memory");
        for (size_t i = 0; !rc && i < m; i++) {
            const char *id = jsonutil_get_str(json_object_array_get_idx(list, i), "id");
            struct json_object *first;
            char key[128], clean[100];

            if ((long long)have == count)
                rc = err_set(e, ERR_API,
                             "%s: more groups than the count %lld: the list changed while it was "
                             "read",
                             r.label, count);
            else if (!id || !util_id_key(id, key, sizeof key))
                rc = err_set(e, ERR_API, "%s: a group without a usable id", r.label);
            else if (jsonutil_get(seen, key, &first)) {
                /* a page that repeats another has lost groups: the fleet would be incomplete */
                apierr_sanitize(id, strlen(id), clean, sizeof clean);
                rc = err_set(e, ERR_API,
                             "%s: group '%s' appears twice (at positions %lld and %zu): the paging "
                             "answers repeat items, so the list of groups is not complete",
                             r.label, clean, (long long)json_object_get_int64(first), have);
            } else if (json_object_object_add(seen, key, json_object_new_int64((int64_t)have)) ||
                       !(v[have] = util_strdup(id)))
                rc = err_set(e, ERR_NOMEM, "out of memory");
            else
                have++;
        }
        json_object_put(o);
        api_response_clear(&r);
    }
    json_object_put(seen);
    if (!rc && have > 1)
        qsort(v, have, sizeof *v, cmp_ids);
    if (rc) {
        api_ids_free(v, have);
        return rc;
    }
    *ids = v;
    *n = have;
    return 0;
}

/* An api_call in flight: where its answer goes, and whether it came. */
struct call {
    struct api_response *out;
    bool answered;
};

/* The done callback of api_call: keeps the response. */
static void on_call(void *ud, struct http_response *resp)
{
    struct call *c = ud;
    struct api_response *out = c->out;

    c->answered = true;
    out->status = resp->status;
    out->error = resp->error;
    out->maybe_sent = resp->maybe_sent;
    out->attempts = resp->attempts;
    snprintf(out->message, sizeof out->message, "%s", resp->message);
    if (!out->error && (out->status < 200 || out->status >= 300)) {
        struct api_error ae;
        answer_detail(resp, &ae, out->detail, sizeof out->detail);
        snprintf(out->code, sizeof out->code, "%s", ae.code);
    }
    out->body = resp->body;
    buf_init(&resp->body, 0);
}

int api_call(struct api_session *s, const char *method, const char *path, const char *body,
             struct api_response *out, struct err *e)
{
    struct call c = {.out = out};
    struct http_request hr;
    struct buf url;
    int rc;

    memset(out, 0, sizeof *out);
    buf_init(&out->body, 0);
    buf_init(&url, 0);
    if (buf_printf(&url, "%s/v1/%s%s", s->o.ep->sdrs, s->o.ep->project_id, path)) {
        buf_free(&url);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    request_init(s, &hr, method, url.data, body, false, out->label, sizeof out->label);
    rc = http_submit(s->http, &hr, on_call, &c, e);
    if (!rc) {
        rc = http_run(s->http, e);
        /* Once submitted, the outcome is the response's, even when the client itself failed:
         * then out says so (error, and maybe_sent for a request that was under way). */
        if (c.answered) {
            rc = 0;
            err_clear(e);
        }
    }
    buf_free(&url);
    return rc;
}

int api_response_json(const struct api_session *s, const struct api_response *r, const char *name,
                      struct json_object **out, struct err *e)
{
    return jsonutil_parse(buf_str(&r->body), r->body.len, name, s->o.max_depth, out, e);
}

void api_response_clear(struct api_response *r)
{
    buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

void api_result_clear(struct api_result *r)
{
    buf_free(&r->snapshot);
    json_object_put(r->tree);
    memset(r, 0, sizeof *r);
}
