/* The live connection the commands share: credentials, endpoints, the API session, the fetch. */
#include "app.h"

#include "api.h"
#include "diag.h"
#include "regions.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A loud warning for each endpoint that would receive credentials in clear text (http:// to a
 * host that is not loopback), as loud as --insecure. done has a bit for each endpoint already
 * warned about; the new set is returned. */
static unsigned alert_cleartext(const struct endpoints *ep, enum cred_kind kind, unsigned done)
{
    const char *const url[] = {ep->iam, ep->sdrs, ep->ecs, ep->ims, ep->evs};
    const char *const name[] = {"IAM", "SDRS", "ECS", "IMS", "EVS"};

    for (unsigned i = kind == CRED_PASSWORD ? 0 : 1; i < 5; i++) {
        const char *what = kind == CRED_AKSK                 ? "access key id and signed requests"
                           : kind == CRED_PASSWORD && i == 0 ? "IAM password"
                                                             : "token";
        if (done & (1u << i) || !endpoint_cleartext(url[i]))
            continue;
        done |= 1u << i;
        diag_alert("the %s endpoint %s is plain http:// to a host that is not loopback: the %s "
                   "would travel in clear text, readable and changeable by anyone on the path; "
                   "use https://",
                   name[i], url[i], what);
    }
    return done;
}

/* ---- the live connection --------------------------------------------------------------------- */

static void http_logger(void *ud, int level, const char *msg)
{
    (void)ud;
    diag_verbose(level, "%s", msg);
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

static long long clock_now(void)
{
    return (long long)time(NULL);
}

void app_live_close(struct live *lv)
{
    api_session_free(lv->session);
    if (lv->http_ready)
        http_global_cleanup();
    credentials_clear(&lv->cred);
    endpoints_clear(&lv->ep);
    cloud_config_clear(&lv->cloud);
    memset(lv, 0, sizeof *lv);
}

int app_live_config(const struct app_opts *o, struct live *lv)
{
    struct endpoint_flags flags = o->live.endpoints;
    const char *cloud = o->live.os_cloud ? o->live.os_cloud : getenv("OS_CLOUD");
    struct err e = {0};
    char incomplete[512];
    int code;

    memset(lv, 0, sizeof *lv);
    if (cloud && *cloud) {
        if (clouds_load(cloud, NULL, &lv->cloud, &e))
            return app_fail(ERR_INVALID, &e);
        lv->have_cloud = true;
        diag_verbose(1, "cloud '%s' from %s%s%s", lv->cloud.name, lv->cloud.file,
                     lv->cloud.secure ? " and " : "", lv->cloud.secure ? lv->cloud.secure : "");
        if (lv->cloud.world_readable)
            diag_alert("clouds.yaml cloud '%s': a file holding its secrets (%s%s%s) may be read "
                       "by others than its owner: chmod 600 it",
                       lv->cloud.name, lv->cloud.file, lv->cloud.secure ? ", " : "",
                       lv->cloud.secure ? lv->cloud.secure : "");
    }
    if (credentials_resolve(o->in.token_file, env_get, lv->have_cloud ? &lv->cloud : NULL,
                            &lv->cred, &e)) {
        code = app_fail(ERR_INVALID, &e);
        goto fail;
    }
    credentials_incomplete(env_get, incomplete, sizeof incomplete);
    if (*incomplete)
        diag_verbose(1, "ignored: %s", incomplete);
    diag_verbose(1, "credentials: %s from %s", credentials_kind_name(lv->cred.kind),
                 lv->cred.source);
    flags.region_env = getenv("OS_REGION_NAME");
    flags.project_env = getenv("OS_PROJECT_ID");
    flags.project_name = lv->cred.project_name       ? lv->cred.project_name
                         : getenv("OS_PROJECT_NAME") ? getenv("OS_PROJECT_NAME")
                         : lv->have_cloud            ? lv->cloud.project_name
                                                     : NULL;
    flags.cloud = lv->have_cloud ? &lv->cloud : NULL;
    if (endpoints_resolve(&flags, &lv->ep, &e)) {
        code = app_fail(ERR_INVALID, &e);
        goto fail;
    }
    return 0;
fail:
    app_live_close(lv);
    return code;
}

/* --batch-servers: auto reads servers in batches where the region table says the cloud has ECS's
 * server_id filter (Huawei Cloud); on everywhere (fetch.c notices a cloud that ignores it); off
 * never. Returns 0 or EXIT_USAGE. */
static int batch_mode(const char *mode, const struct endpoints *ep, bool *on)
{
    const struct region_info *ri = region_lookup(ep->region);

    if (!mode || strcmp(mode, "auto") == 0) {
        *on = ri && region_cloud_has_server_id_filter(ri->cloud);
        diag_verbose(1, "servers: %s (--batch-servers auto: %s%s%s)",
                     *on ? "read in batches of up to 100" : "one request each",
                     ri ? region_cloud_name(ri->cloud) : "the region is not known",
                     ri ? (*on ? " has" : " does not document") : "", ri ? " the id filter" : "");
        return 0;
    }
    if (strcmp(mode, "on") == 0 || strcmp(mode, "off") == 0) {
        *on = strcmp(mode, "on") == 0;
        return 0;
    }
    diag_error("--batch-servers: unknown mode '%s' (choose auto, on or off)", mode);
    return EXIT_USAGE;
}

int app_live_open(const struct app_opts *o, struct live *lv)
{
    struct api_opts ao = {0};
    struct err e = {0};
    unsigned warned;
    bool batch = false;
    int code;

    if ((code = app_live_config(o, lv)) != 0)
        return code;
    code = EXIT_USAGE;
    if (lv->cred.kind == CRED_PASSWORD && !lv->ep.iam) {
        diag_error("the IAM endpoint is unknown: give --iam-endpoint URL or --region (or set "
                   "OS_REGION_NAME)");
        goto fail;
    }
    if (lv->cred.kind != CRED_PASSWORD && (!lv->ep.sdrs || !lv->ep.ecs)) {
        diag_error("the %s endpoint is unknown: give --%s URL or --region (or set OS_REGION_NAME)",
                   lv->ep.sdrs ? "ECS" : "SDRS", lv->ep.sdrs ? "ecs-endpoint" : "endpoint");
        goto fail;
    }
    if (lv->cred.kind != CRED_PASSWORD && !lv->ep.project_id) {
        diag_error("the project id is unknown: give --project-id or set OS_PROJECT_ID");
        goto fail;
    }
    if (batch_mode(o->live.batch_servers, &lv->ep, &batch))
        goto fail;
    warned = alert_cleartext(&lv->ep, lv->cred.kind, 0);
    if (o->live.http.insecure)
        diag_alert("--insecure: TLS certificates are NOT verified; anyone on the network path can "
                   "read the credentials and change the answers");
    if (http_global_init(&e)) {
        code = app_fail(ERR_NET, &e);
        goto fail;
    }
    lv->http_ready = true;
    ao.http = o->live.http;
    ao.http.log = http_logger;
    ao.cred = &lv->cred;
    ao.ep = &lv->ep;
    ao.page_limit = o->live.page_limit;
    ao.max_items = o->limits.max_items;
    ao.max_depth = o->limits.max_depth;
    ao.clock = clock_now;
    ao.log = http_logger;
    {
        /* Huawei Cloud's flavor capacity call: asked unless the region, or the ECS host, is
         * Open Telekom Cloud's, which documents no such call (elsewhere a cloud without it
         * answers 404, which costs a request and says nothing) */
        const struct region_info *ri = region_lookup(lv->ep.region);
        bool otc_host = lv->ep.ecs && strstr(lv->ep.ecs, ".otc.t-systems.com") != NULL;
        lv->fo = (struct fetch_opts){.no_images = o->live.no_images,
                                     .batch_servers = batch,
                                     .flavor_capacity = ri ? ri->cloud == CLOUD_HUAWEI : !otc_host,
                                     .clock = clock_now};
    }
    if (api_session_new(&ao, &lv->session, &e)) {
        code = app_fail(ERR_NET, &e);
        goto fail;
    }
    alert_cleartext(&lv->ep, lv->cred.kind, warned); /* the endpoints IAM's catalog named */
    return 0;
fail:
    app_live_close(lv);
    return code;
}

/* Fetches the group over an open connection into res. Returns 0 or an exit code. */
int app_live_fetch(const struct app_opts *o, struct live *lv, struct fetch_result *res)
{
    struct err e = {0};

    if (fetch_group(lv->session, o->in.group_id, &lv->fo, res, &e))
        return app_fail(ERR_NET, &e);
    diag_verbose(1,
                 "fetched group %s: %ld requests so far (%ld retries, %ld connections), %zu fetch "
                 "errors",
                 o->in.group_id, res->stats.requests, res->stats.retries, res->stats.connects,
                 res->fetch_errors);
    return 0;
}
