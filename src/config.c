#include "config.h"

#include "buf.h"
#include "clouds.h"
#include "regions.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_FILE_MAX (64u << 10)

void secret_free(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

void credentials_clear(struct credentials *c)
{
    secret_free(c->token);
    secret_free(c->secret_key);
    secret_free(c->security_token);
    secret_free(c->password);
    free(c->access_key);
    free(c->username);
    free(c->domain);
    free(c->project_id);
    free(c->project_name);
    memset(c, 0, sizeof *c);
}

const char *credentials_kind_name(enum cred_kind k)
{
    switch (k) {
    case CRED_TOKEN:
        return "token";
    case CRED_AKSK:
        return "AK/SK";
    case CRED_PASSWORD:
        return "IAM password";
    case CRED_NONE:
        break;
    }
    return "none";
}

/* True when s has a byte that is a control character (C0 or DEL). */
static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* The value of an environment variable when set and not blank, else NULL. */
static const char *env(const char *(*getenv_fn)(const char *), const char *name)
{
    const char *v = getenv_fn(name);

    if (!v)
        return NULL;
    for (const char *p = v; *p; p++)
        if (!isspace((unsigned char)*p))
            return v;
    return NULL;
}

static const char *env2(const char *(*getenv_fn)(const char *), const char *a, const char *b)
{
    const char *v = env(getenv_fn, a);

    return v ? v : env(getenv_fn, b);
}

static int read_token_file(const char *path, char **out, struct err *e)
{
    struct buf b;
    size_t start = 0, end;
    int rc;

    buf_init(&b, TOKEN_FILE_MAX);
    rc = util_read_file(path, TOKEN_FILE_MAX, &b, e);
    if (rc) {
        err_prefix(e, rc, "token file");
        goto out;
    }
    path = util_path_label(path);
    end = b.len;
    while (start < end && isspace((unsigned char)b.data[start]))
        start++;
    while (end > start && isspace((unsigned char)b.data[end - 1]))
        end--;
    if (start == end) {
        rc = err_set(e, ERR_INVALID, "token file '%s' is empty", path);
        goto out;
    }
    for (size_t i = start; i < end; i++)
        if ((unsigned char)b.data[i] < 0x21 || (unsigned char)b.data[i] > 0x7e) {
            rc = err_set(e, ERR_INVALID,
                         "token file '%s' has a space, control character or non-ASCII byte inside "
                         "the token (more than one token, or binary data); it is refused and "
                         "not shown",
                         path);
            goto out;
        }
    *out = util_strndup(b.data + start, end - start);
    if (!*out)
        rc = err_set(e, ERR_NOMEM, "out of memory");
out:
    buf_wipe_free(&b);
    return rc;
}

/* Every variable a credential kind takes, so that one with a control character is refused before
 * anything is sent: a newline in a token would inject a request header. The value is never shown.
 */
static int refuse_control(const char *(*getenv_fn)(const char *), const char *const *names,
                          struct err *e)
{
    for (; *names; names++) {
        const char *v = env(getenv_fn, *names);
        if (v && has_control(v))
            return err_set(e, ERR_INVALID,
                           "%s contains a control character (a newline, tab or other byte below "
                           "0x20, or DEL); it is refused and not shown: set it again without one",
                           *names);
    }
    return 0;
}

/* What credentials_load does; *none tells that no set was complete (rather than refused). */
static int load_env(const char *token_file, const char *(*getenv_fn)(const char *name),
                    struct credentials *c, bool *none, struct err *e);

int credentials_load(const char *token_file, const char *(*getenv_fn)(const char *name),
                     struct credentials *c, struct err *e)
{
    bool none;

    return load_env(token_file, getenv_fn, c, &none, e);
}

int credentials_resolve(const char *token_file, const char *(*getenv_fn)(const char *name),
                        const struct cloud_config *cloud, struct credentials *c, struct err *e)
{
    bool none = false;
    int rc = load_env(token_file, getenv_fn, c, &none, e);

    if (rc && none && cloud)
        return credentials_from_cloud(cloud, c, e);
    if (rc && none) {
        char was[sizeof e->msg];
        snprintf(was, sizeof was, "%s", e->msg);
        e->code = 0;
        rc = err_set(e, ERR_INVALID,
                     "%.400s; or select a cloud of clouds.yaml with OS_CLOUD or --os-cloud NAME",
                     was);
    }
    return rc;
}

static int load_env(const char *token_file, const char *(*getenv_fn)(const char *name),
                    struct credentials *c, bool *none, struct err *e)
{
    *none = false;
    static const char *const os_aksk[] = {"OS_ACCESS_KEY", "OS_SECRET_KEY", "OS_SECURITY_TOKEN",
                                          NULL};
    static const char *const hw_aksk[] = {"HW_ACCESS_KEY", "HW_SECRET_KEY", "HW_SECURITY_TOKEN",
                                          NULL};
    static const char *const password[] = {
        "OS_USERNAME",     "OS_PASSWORD", "OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME", "OS_PROJECT_ID",
        "OS_PROJECT_NAME", NULL};
    const char *ak, *sk, *st, *user, *pw, *dom, *pid, *pname;
    const char *const *names;
    bool ok = true;
    int rc;

    memset(c, 0, sizeof *c);
    if (token_file) {
        rc = read_token_file(token_file, &c->token, e);
        if (rc)
            return rc;
        c->kind = CRED_TOKEN;
        c->source = "--token-file";
        return 0;
    }
    if (env(getenv_fn, "OS_AUTH_TOKEN")) {
        static const char *const token[] = {"OS_AUTH_TOKEN", NULL};
        if ((rc = refuse_control(getenv_fn, token, e)) != 0)
            return rc;
        c->token = util_strdup(env(getenv_fn, "OS_AUTH_TOKEN"));
        c->kind = CRED_TOKEN;
        c->source = "OS_AUTH_TOKEN";
        return c->token ? 0 : err_set(e, ERR_NOMEM, "out of memory");
    }
    ak = env(getenv_fn, "OS_ACCESS_KEY");
    sk = env(getenv_fn, "OS_SECRET_KEY");
    st = env(getenv_fn, "OS_SECURITY_TOKEN");
    c->source = "OS_ACCESS_KEY and OS_SECRET_KEY";
    names = os_aksk;
    if (!ak || !sk) {
        names = hw_aksk;
        ak = env(getenv_fn, "HW_ACCESS_KEY");
        sk = env(getenv_fn, "HW_SECRET_KEY");
        st = env(getenv_fn, "HW_SECURITY_TOKEN");
        c->source = "HW_ACCESS_KEY and HW_SECRET_KEY";
    }
    if (ak && sk) {
        if ((rc = refuse_control(getenv_fn, names, e)) != 0) {
            memset(c, 0, sizeof *c);
            return rc;
        }
        c->kind = CRED_AKSK;
        c->access_key = util_strdup_ok(ak, &ok);
        c->secret_key = util_strdup_ok(sk, &ok);
        c->security_token = util_strdup_ok(st, &ok);
        if (!ok) {
            credentials_clear(c);
            return err_set(e, ERR_NOMEM, "out of memory");
        }
        return 0;
    }
    user = env(getenv_fn, "OS_USERNAME");
    pw = env(getenv_fn, "OS_PASSWORD");
    dom = env2(getenv_fn, "OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME");
    pid = env(getenv_fn, "OS_PROJECT_ID");
    pname = env(getenv_fn, "OS_PROJECT_NAME");
    if (user && pw && dom && (pid || pname)) {
        if ((rc = refuse_control(getenv_fn, password, e)) != 0) {
            memset(c, 0, sizeof *c);
            return rc;
        }
        c->kind = CRED_PASSWORD;
        c->source = "OS_USERNAME and OS_PASSWORD";
        c->username = util_strdup_ok(user, &ok);
        c->password = util_strdup_ok(pw, &ok);
        c->domain = util_strdup_ok(dom, &ok);
        c->project_id = util_strdup_ok(pid, &ok);
        c->project_name = util_strdup_ok(pname, &ok);
        if (!ok) {
            credentials_clear(c);
            return err_set(e, ERR_NOMEM, "out of memory");
        }
        return 0;
    }
    memset(c, 0, sizeof *c);
    *none = true;
    return err_set(e, ERR_INVALID,
                   "no credentials: set OS_AUTH_TOKEN (or give --token-file FILE), or "
                   "OS_ACCESS_KEY and OS_SECRET_KEY, or OS_USERNAME, OS_PASSWORD, "
                   "OS_USER_DOMAIN_NAME and OS_PROJECT_ID (secrets are never taken from the "
                   "command line)");
}

int credentials_from_cloud(const struct cloud_config *cl, struct credentials *c, struct err *e)
{
    bool ok = true;

    memset(c, 0, sizeof *c);
    c->source = "clouds.yaml";
    if (cl->token && *cl->token) {
        c->kind = CRED_TOKEN;
        c->token = util_strdup_ok(cl->token, &ok);
    } else if (cl->ak && cl->sk) {
        c->kind = CRED_AKSK;
        c->access_key = util_strdup_ok(cl->ak, &ok);
        c->secret_key = util_strdup_ok(cl->sk, &ok);
        c->security_token = util_strdup_ok(cl->security_token, &ok);
    } else if (cl->username && cl->password && cl->user_domain_name &&
               (cl->project_id || cl->project_name)) {
        c->kind = CRED_PASSWORD;
        c->username = util_strdup_ok(cl->username, &ok);
        c->password = util_strdup_ok(cl->password, &ok);
        c->domain = util_strdup_ok(cl->user_domain_name, &ok);
        c->project_id = util_strdup_ok(cl->project_id, &ok);
        c->project_name = util_strdup_ok(cl->project_name, &ok);
    } else {
        return err_set(e, ERR_INVALID,
                       "clouds.yaml cloud '%s' (%s) has no complete credentials: auth.token; or "
                       "ak and sk; or auth.username, auth.password, auth.user_domain_name and "
                       "auth.project_id or auth.project_name",
                       cl->name, cl->file);
    }
    if (!ok) {
        credentials_clear(c);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    return 0;
}

void credentials_incomplete(const char *(*getenv_fn)(const char *name), char *buf, size_t size)
{
    static const char *const sets[][5] = {
        {"OS_ACCESS_KEY", "OS_SECRET_KEY", NULL},
        {"HW_ACCESS_KEY", "HW_SECRET_KEY", NULL},
        {"OS_USERNAME", "OS_PASSWORD", "OS_USER_DOMAIN_NAME|OS_DOMAIN_NAME",
         "OS_PROJECT_ID|OS_PROJECT_NAME", NULL},
    };
    struct buf b;

    buf_init(&b, 0);
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        struct buf missing;
        bool any = false;

        buf_init(&missing, 0);
        for (size_t i = 0; sets[s][i]; i++) {
            char names[64];
            char *bar;
            bool set;

            snprintf(names, sizeof names, "%s", sets[s][i]);
            bar = strchr(names, '|');
            if (bar) {
                *bar = '\0';
                set = env(getenv_fn, names) || env(getenv_fn, bar + 1);
            } else {
                set = env(getenv_fn, names) != NULL;
            }
            if (set)
                any = true;
            else
                buf_printf(&missing, "%s%s", missing.len ? ", " : "", sets[s][i]);
        }
        if (any && missing.len)
            buf_printf(&b, "%s%s is set but %s is not", b.len ? "; " : "", sets[s][0],
                       buf_str(&missing));
        buf_free(&missing);
    }
    snprintf(buf, size, "%s", buf_str(&b));
    buf_free(&b);
}

void endpoints_clear(struct endpoints *ep)
{
    free(ep->sdrs);
    free(ep->ecs);
    free(ep->ims);
    free(ep->iam);
    free(ep->evs);
    free(ep->project_id);
    free(ep->region);
    free(ep->interface);
    memset(ep, 0, sizeof *ep);
}

bool endpoint_cleartext(const char *url)
{
    const char *host;
    size_t n, dots = 0;

    if (!url || strncasecmp(url, "http://", 7) != 0)
        return false;
    host = url + 7;
    if (strncmp(host, "[::1]", 5) == 0 && (host[5] == ':' || host[5] == '/' || !host[5]))
        return false;
    n = strcspn(host, ":/");
    if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
        return false;
    /* 127.a.b.c written as an address; "127.0.0.1.example.com" is a name like any other */
    if (n < 7 || strncmp(host, "127.", 4) != 0 || strspn(host, "0123456789.") != n)
        return true;
    for (size_t i = 0; i < n; i++)
        dots += host[i] == '.';
    return dots != 3 || host[n - 1] == '.';
}

int endpoint_normalize(const char *url, char **out, char **project, struct err *e)
{
    const char *rest;
    char *u, *p, *v1;
    size_t n;

    *out = NULL;
    if (project)
        *project = NULL;
    if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    else
        return err_set(e, ERR_INVALID, "endpoint '%.200s' must start with https:// (or http://)",
                       has_control(url) ? "(with control characters)" : url);
    /* "user:password@host" would go on into snapshots, reports and logs: the URL is not named. */
    if (memchr(rest, '@', strcspn(rest, "/")))
        return err_set(e, ERR_INVALID,
                       "an endpoint URL must not hold user information ('user:password@host'): "
                       "give credentials through the environment (see --help)");
    if (!*rest || *rest == '/' || strpbrk(url, "?# ") || has_control(url))
        return err_set(e, ERR_INVALID,
                       "endpoint '%.200s' must be a base URL like "
                       "https://sdrs.eu-de.otc.t-systems.com (no query, no blanks or control "
                       "characters)",
                       has_control(url) ? "(with control characters)" : url);
    u = util_strdup(url);
    if (!u)
        return err_set(e, ERR_NOMEM, "out of memory");
    n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        u[--n] = '\0';
    /* A catalog URL ends in /v1/<project id> (or /v1/$(tenant_id)s), EVS's in /v2/<project id>;
     * IAM's in /v3. */
    p = strchr(u + (size_t)(rest - url), '/');
    v1 = p ? strstr(p, "/v1/") : NULL;
    if (!v1 && p)
        v1 = strstr(p, "/v2/");
    if (v1 && !strchr(v1 + 4, '/')) {
        if (project && v1[4] && !strchr(v1 + 4, '$')) {
            *project = util_strdup(v1 + 4);
            if (!*project) {
                free(u);
                return err_set(e, ERR_NOMEM, "out of memory");
            }
        }
        *v1 = '\0';
    } else if (p && (strcmp(p, "/v3") == 0 || strcmp(p, "/v1") == 0 || strcmp(p, "/v2") == 0)) {
        *p = '\0';
    }
    *out = u;
    return 0;
}

const char *region_of_project_name(const char *name)
{
    char prefix[64];
    size_t n = name ? strcspn(name, "_") : 0;
    const struct region_info *r;

    if (!n || n >= sizeof prefix)
        return NULL;
    memcpy(prefix, name, n);
    prefix[n] = '\0';
    r = region_lookup(prefix);
    return r ? r->region : NULL;
}

/* Sets slot from a URL and names its source. */
static int set_url(struct endpoints *ep, int which, char **slot, const char *url, char **found,
                   const char *source, struct err *e)
{
    int rc = endpoint_normalize(url, slot, found && !*found ? found : NULL, e);

    if (!rc)
        snprintf(ep->source[which], ENDPOINT_SOURCE_SIZE, "%s", source);
    return rc;
}

int endpoints_resolve(const struct endpoint_flags *f, struct endpoints *ep, struct err *e)
{
    const struct cloud_config *cl = f->cloud;
    const char *flags[EP_URLS] = {f->sdrs, f->ecs, f->ims, f->iam, f->evs};
    const char *flag_names[EP_URLS] = {"--endpoint", "--ecs-endpoint", "--ims-endpoint",
                                       "--iam-endpoint", "--evs-endpoint"};
    const char *cloud_urls[EP_URLS] = {
        cl ? cl->sdrs_endpoint : NULL, cl ? cl->ecs_endpoint : NULL, cl ? cl->ims_endpoint : NULL,
        cl ? (cl->iam_endpoint ? cl->iam_endpoint : cl->auth_url) : NULL,
        cl ? cl->evs_endpoint : NULL};
    char **slots[EP_URLS] = {&ep->sdrs, &ep->ecs, &ep->ims, &ep->iam, &ep->evs};
    const char *region = NULL, *region_src = NULL, *by_name;
    const struct region_info *ri = NULL;
    char *found = NULL, src[ENDPOINT_SOURCE_SIZE];
    int rc = 0;

    memset(ep, 0, sizeof *ep);
    by_name = region_of_project_name(f->project_name);
    if (f->region)
        region = f->region, region_src = "--region";
    else if (f->region_env && *f->region_env)
        region = f->region_env, region_src = "OS_REGION_NAME";
    else if (cl && cl->region_name)
        region = cl->region_name, region_src = "clouds.yaml region_name";
    else if (by_name)
        region = by_name, region_src = "the OTC project name";
    if (region) {
        char names[300];
        ri = region_lookup(region);
        if (!ri) {
            region_names(names, sizeof names);
            rc = err_set(e, ERR_INVALID,
                         "region '%.64s' (%s) is not a region this tool knows (%s); for another "
                         "cloud give the endpoints with --endpoint, --ecs-endpoint, "
                         "--ims-endpoint, --iam-endpoint and --evs-endpoint",
                         region, region_src, names);
            goto fail;
        }
        ep->region = util_strdup(ri->region);
        if (!ep->region)
            goto nomem;
        snprintf(ep->source[EP_REGION], ENDPOINT_SOURCE_SIZE, "%s", region_src);
    }
    for (size_t i = 0; i < EP_URLS; i++) {
        const char *table = !ri      ? NULL
                            : i == 0 ? ri->sdrs
                            : i == 1 ? ri->ecs
                            : i == 2 ? ri->ims
                            : i == 3 ? ri->iam
                                     : ri->evs;
        if (flags[i]) {
            rc = set_url(ep, (int)i, slots[i], flags[i], &found, flag_names[i], e);
        } else if (cloud_urls[i]) {
            snprintf(src, sizeof src, "clouds.yaml cloud '%.60s'", cl->name);
            rc = set_url(ep, (int)i, slots[i], cloud_urls[i], &found, src, e);
        } else if (table) {
            snprintf(src, sizeof src, "region table: %s, %s", ri->region,
                     region_cloud_name(ri->cloud));
            rc = set_url(ep, (int)i, slots[i], table, NULL, src, e);
        }
        if (rc)
            goto fail;
    }
    if (f->project_id || (f->project_env && *f->project_env) || (cl && cl->project_id)) {
        const char *pid = f->project_id                       ? f->project_id
                          : f->project_env && *f->project_env ? f->project_env
                                                              : cl->project_id;
        free(found);
        found = util_strdup(pid);
        if (!found)
            goto nomem;
        snprintf(ep->source[EP_PROJECT], ENDPOINT_SOURCE_SIZE, "%s",
                 f->project_id                       ? "--project-id"
                 : f->project_env && *f->project_env ? "OS_PROJECT_ID"
                                                     : "clouds.yaml auth.project_id");
    } else if (found) {
        snprintf(ep->source[EP_PROJECT], ENDPOINT_SOURCE_SIZE, "an endpoint's /v1/<project>");
    }
    ep->project_id = found;
    ep->interface = util_strdup(cl && cl->interface ? cl->interface : "public");
    if (!ep->interface)
        goto nomem;
    return 0;
nomem:
    rc = err_set(e, ERR_NOMEM, "out of memory");
fail:
    free(found);
    endpoints_clear(ep);
    return rc;
}
