#include "auth.h"

#include "apierr.h"
#include "jsonutil.h"
#include "request.h"
#include "sign.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct auth {
    const struct credentials *c; /* borrowed */
    long long (*clock)(void);
    char *iam_token;            /* issued by IAM (owned, a secret) */
    struct json_object *roles;  /* the names of the token's roles (owned), NULL when not seen */
    const struct endpoints *ep; /* borrowed from auth_login: the project of AK/SK requests */
};

int auth_new(const struct credentials *c, long long (*clock)(void), struct auth **out,
             struct err *e)
{
    struct auth *a = calloc(1, sizeof *a);

    *out = NULL;
    if (!a)
        return err_set(e, ERR_NOMEM, "out of memory");
    a->c = c;
    a->clock = clock;
    *out = a;
    return 0;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    secret_free(a->iam_token);
    json_object_put(a->roles);
    free(a);
}

struct json_object *auth_roles(const struct auth *a)
{
    return a->roles;
}

/* Keeps the names of the token's roles ("roles": [{"id", "name"}]): what the credential shows of
 * its permissions (readiness-api.md §5.2). Entries without a name are left out. */
static void take_roles(struct auth *a, struct json_object *token)
{
    struct json_object *roles, *names;

    if (!jsonutil_get(token, "roles", &roles) || !json_object_is_type(roles, json_type_array) ||
        !(names = json_object_new_array()))
        return;
    for (size_t i = 0; i < json_object_array_length(roles); i++) {
        const char *name = jsonutil_get_str(json_object_array_get_idx(roles, i), "name");
        if (name)
            json_object_array_add(names, json_object_new_string(name));
    }
    json_object_put(a->roles);
    a->roles = names;
}

bool auth_needs_login(const struct auth *a)
{
    return a->c->kind == CRED_PASSWORD;
}

void auth_describe(const struct auth *a, char *out, size_t size)
{
    snprintf(out, size, "%s credentials from %s", credentials_kind_name(a->c->kind),
             a->c->source ? a->c->source : "the environment");
}

const char *auth_what_to_check(const struct auth *a, int status)
{
    if (status == 403)
        return "the credentials are valid but lack permission: the user needs SDRS and ECS read "
               "access (e.g. SDRS ReadOnlyAccess) in this project";
    switch (a->c->kind) {
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

/* ---- signing --------------------------------------------------------------------------------- */

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

/* SDK-HMAC-SHA256 for one attempt, as the official SDKs sign: host, x-sdk-date, X-Project-Id
 * (every request goes to a project-scoped service: SDRS, ECS, IMS; a sub-project needs it), the
 * X-Security-Token of temporary keys, and with a body Content-Type. */
static int sign_aksk(const struct auth *a, const char *method, const char *url, const char *body,
                     size_t body_len, struct buf *out, struct err *e)
{
    const struct credentials *c = a->c;
    const char *project = a->ep ? a->ep->project_id : NULL;
    char host[256], date[SIGN_DATE_SIZE], hash[UTIL_SHA256_HEX];
    struct buf path, query, authz;
    struct sign_header hdr[3];
    struct sign_request sr;
    size_t nh = 0;
    int rc;

    if (body)
        hdr[nh++] = (struct sign_header){"Content-Type", "application/json"};
    if (project)
        hdr[nh++] = (struct sign_header){"X-Project-Id", project};
    if (c->security_token)
        hdr[nh++] = (struct sign_header){"X-Security-Token", c->security_token};

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
                               .headers = nh ? hdr : NULL,
                               .nheaders = nh,
                               .body_sha256_hex = hash,
                               .time = a->clock ? a->clock() : (long long)time(NULL)};
    rc = sign_request(&sr, c->access_key, c->secret_key, date, sizeof date, &authz, e);
    if (rc)
        goto out;
    if (buf_printf(out, "Host: %s\nX-Sdk-Date: %s\nAuthorization: %s\n", host, date,
                   buf_str(&authz)) ||
        (project && buf_printf(out, "X-Project-Id: %s\n", project)) ||
        (c->security_token && buf_printf(out, "X-Security-Token: %s\n", c->security_token)))
        rc = err_set(e, ERR_NOMEM, "out of memory");
out:
    buf_wipe_free(&authz);
    buf_free(&path);
    buf_free(&query);
    return rc;
}

int auth_sign(void *ud, const char *method, const char *url, const char *body, size_t body_len,
              struct buf *out, struct err *e)
{
    const struct auth *a = ud;
    const char *token = a->c->kind == CRED_TOKEN ? a->c->token : a->iam_token;

    if (a->c->kind == CRED_AKSK)
        return sign_aksk(a, method, url, body, body_len, out, e);
    if (!token) /* never "X-Auth-Token: (null)": the request is not sent */
        return err_set(e, ERR_AUTH, "no token to send");
    if (buf_printf(out, "X-Auth-Token: %s\n", token))
        return err_set(e, ERR_NOMEM, "out of memory");
    return 0;
}

/* ---- IAM login ------------------------------------------------------------------------------- */

/* A login in progress: what the answer fills. */
struct login {
    struct auth *a;
    struct endpoints *ep;
    void (*log)(void *ud, int level, const char *msg);
    void *log_ud;
    int rc;
    struct err err;
};

/* The URL of the first catalog entry of one of the types with the interface (public unless
 * clouds.yaml says otherwise), preferring the region. */
static const char *catalog_url(struct json_object *catalog, const char *const *types,
                               const char *region, const char *interface)
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
                if (!url || (iface && strcmp(iface, interface ? interface : "public") != 0))
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

/* Tells the log which endpoint came from the catalog. */
static void login_log(const struct login *l, const char *url)
{
    char msg[600];

    if (!l->log)
        return;
    snprintf(msg, sizeof msg, "endpoint from the IAM catalog: %s", url);
    l->log(l->log_ud, 1, msg);
}

/* Takes the project id (unless one was given) and the missing endpoints from IAM's token. The
 * project id goes into every URL: one that cannot (a character outside the id set) fails. */
static void take_catalog(struct login *l, const char *label, struct json_object *token)
{
    static const char *const sdrs[] = {"sdrs", NULL}, *const ecs[] = {"ecs", NULL},
                             *const ims[] = {"ims", "image", NULL},
                             *const evs[] = {"evs", "volumev2", "volume", NULL};
    const char *const *types[] = {sdrs, ecs, ims, evs};
    char **slots[] = {&l->ep->sdrs, &l->ep->ecs, &l->ep->ims, &l->ep->evs};
    const int which[] = {EP_SDRS, EP_ECS, EP_IMS, EP_EVS};
    struct json_object *catalog, *project;
    const char *pid;

    if (!l->ep->project_id && jsonutil_get(token, "project", &project) &&
        (pid = jsonutil_get_str(project, "id")) != NULL) {
        if (!util_url_id(pid)) {
            char clean[80];
            apierr_sanitize(pid, strlen(pid), clean, sizeof clean);
            l->rc = err_set(&l->err, ERR_API,
                            "%s: IAM's token names project id '%s', which cannot go into a URL",
                            label, clean);
            return;
        }
        if (!(l->ep->project_id = util_strdup(pid))) {
            l->rc = err_set(&l->err, ERR_NOMEM, "out of memory");
            return;
        }
    }
    if (!jsonutil_get(token, "catalog", &catalog) || !json_object_is_type(catalog, json_type_array))
        return;
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        const char *url;
        struct err e = {0};
        if (*slots[i] || !(url = catalog_url(catalog, types[i], l->ep->region, l->ep->interface)))
            continue;
        if (endpoint_normalize(url, slots[i], NULL, &e) == 0) {
            snprintf(l->ep->source[which[i]], ENDPOINT_SOURCE_SIZE, "the IAM catalog (%s)",
                     l->ep->interface ? l->ep->interface : "public");
            login_log(l, *slots[i]);
        }
    }
}

static void on_token(void *ud, const struct answer *ans)
{
    struct login *l = ud;
    const struct credentials *c = l->a->c;
    struct json_object *token;

    switch (ans->kind) {
    case ANSWER_FAILED:
        /* Without a token nothing else can be read: say so once, naming the request. */
        l->rc = err_set(&l->err, ERR_NET, "%s failed: %s; no token, so nothing could be fetched",
                        ans->label, ans->detail);
        return;
    case ANSWER_DENIED:
    case ANSWER_ERROR:
        if (ans->status == 400 || ans->kind == ANSWER_DENIED)
            l->rc = err_set(&l->err, ERR_AUTH,
                            "%s: IAM did not issue a token for user '%s' in domain '%s' (%s): "
                            "check OS_USERNAME, OS_PASSWORD, OS_USER_DOMAIN_NAME and "
                            "OS_PROJECT_ID/OS_PROJECT_NAME",
                            ans->label, c->username, c->domain, ans->detail);
        else
            l->rc = err_set(&l->err, ERR_API,
                            "%s: IAM failed (%s); no token, so nothing could be fetched",
                            ans->label, ans->detail);
        return;
    case ANSWER_BAD:
        l->rc = err_set(&l->err, ERR_API, "%s: IAM's answer is not a token object: %s", ans->label,
                        ans->detail);
        return;
    case ANSWER_JSON:
        break;
    }
    if (ans->resp->subject_token.len == 0) {
        l->rc = err_set(&l->err, ERR_API,
                        "%s: IAM answered HTTP %d without an X-Subject-Token "
                        "header",
                        ans->label, ans->status);
        return;
    }
    if (!jsonutil_get(ans->json, "token", &token) ||
        !json_object_is_type(token, json_type_object)) {
        l->rc = err_set(&l->err, ERR_API, "%s: IAM's answer is not a token object", ans->label);
        return;
    }
    secret_free(l->a->iam_token);
    l->a->iam_token = util_strndup(ans->resp->subject_token.data, ans->resp->subject_token.len);
    if (!l->a->iam_token) {
        l->rc = err_set(&l->err, ERR_NOMEM, "out of memory");
        return;
    }
    take_roles(l->a, token);
    take_catalog(l, ans->label, token);
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

int auth_login(struct auth *a, struct requester *rq, struct endpoints *ep,
               void (*log)(void *ud, int level, const char *msg), void *log_ud, struct err *e)
{
    struct login l = {.a = a, .ep = ep, .log = log, .log_ud = log_ud};
    struct buf url, body;
    int rc;

    a->ep = ep;
    if (!auth_needs_login(a))
        return 0;
    if (!ep->iam)
        return err_set(e, ERR_INVALID,
                       "the IAM endpoint is unknown: give --iam-endpoint URL or --region (or set "
                       "OS_REGION_NAME)");
    buf_init(&url, 0);
    buf_init(&body, 0);
    if (buf_printf(&url, "%s/v3/auth/tokens", ep->iam) || iam_body(a->c, &body)) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    {
        struct err se = {0};
        rc = request_submit(rq,
                            &(struct request){.method = "POST",
                                              .url = url.data,
                                              .body = body.data,
                                              .unsigned_post = true,
                                              .done = on_token,
                                              .ud = &l},
                            NULL, 0, &se);
        if (rc) {
            rc = err_set(e, rc == ERR_NOMEM ? ERR_NOMEM : ERR_INVALID,
                         "cannot ask IAM for a token: %s: check --iam-endpoint", se.msg);
            goto out;
        }
    }
    buf_wipe_free(&body); /* the HTTP layer holds its own copy, wiped after use */
    if ((rc = request_run(rq, e)) == 0 && (rc = l.rc) != 0 && e)
        *e = l.err;
    if (!rc && !a->iam_token)
        rc = err_set(e, ERR_API, "IAM issued no token, so nothing could be fetched");
out:
    buf_wipe_free(&body);
    buf_free(&url);
    return rc;
}
