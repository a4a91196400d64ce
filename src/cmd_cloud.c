/* The commands about the cloud itself: endpoints (where a live run would go, without any
 * network) and doctor (whether it can). */
#include "app.h"

#include "api.h"
#include "diag.h"
#include "http.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool json_format(const struct app_opts *o)
{
    return o->out.format && strcmp(o->out.format, "json") == 0;
}

/* Appends s as a JSON string (escaped), or null. */
static void json_str(struct buf *b, const char *s)
{
    if (!s) {
        buf_adds(b, "null");
        return;
    }
    buf_adds(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            buf_printf(b, "\\u%04x", *p);
        else
            buf_add(b, p, 1);
    }
    buf_adds(b, "\"");
}

/* What an endpoint that is not known yet will be. */
static const char *missing_source(const struct live *lv, int which)
{
    if (which == EP_IAM)
        return lv->cred.kind == CRED_PASSWORD
                   ? "unknown: give --iam-endpoint URL or --region (password credentials need IAM)"
                   : "not needed (no password credentials)";
    if (lv->cred.kind == CRED_PASSWORD)
        return "from the IAM catalog at login";
    return which == EP_IMS
               ? "unknown: give --ims-endpoint URL or --region (images are then not read)"
           : which == EP_EVS
               ? "unknown: give --evs-endpoint URL or --region (without the disks of the pairs, "
                 "the verdict is INDETERMINATE)"
               : "unknown: give the endpoint flag or --region";
}

int cmd_endpoints(const struct app_opts *o)
{
    static const char *const names[EP_URLS] = {"sdrs", "ecs", "ims", "iam", "evs"};
    struct live lv;
    struct buf out;
    const char *urls[EP_URLS];
    int code = app_live_config(o, &lv);

    if (code)
        return code;
    urls[0] = lv.ep.sdrs;
    urls[1] = lv.ep.ecs;
    urls[2] = lv.ep.ims;
    urls[3] = lv.ep.iam;
    urls[4] = lv.ep.evs;
    buf_init(&out, 0);
    if (json_format(o)) {
        buf_adds(&out, "{\n");
        for (int i = 0; i < EP_URLS; i++) {
            buf_printf(&out, "  \"%s\": {\"url\": ", names[i]);
            json_str(&out, urls[i]);
            buf_adds(&out, ", \"source\": ");
            json_str(&out, urls[i] ? lv.ep.source[i] : missing_source(&lv, i));
            buf_adds(&out, "},\n");
        }
        buf_adds(&out, "  \"region\": {\"name\": ");
        json_str(&out, lv.ep.region);
        buf_adds(&out, ", \"source\": ");
        json_str(&out, lv.ep.region ? lv.ep.source[EP_REGION] : NULL);
        buf_adds(&out, "},\n  \"project_id\": {\"id\": ");
        json_str(&out, lv.ep.project_id);
        buf_adds(&out, ", \"source\": ");
        json_str(&out, lv.ep.project_id                ? lv.ep.source[EP_PROJECT]
                       : lv.cred.kind == CRED_PASSWORD ? "from the IAM token at login"
                                                       : NULL);
        buf_adds(&out, "},\n  \"credentials\": {\"kind\": ");
        json_str(&out, credentials_kind_name(lv.cred.kind));
        buf_adds(&out, ", \"source\": ");
        json_str(&out, lv.cred.source);
        buf_adds(&out, "}\n}\n");
    } else {
        for (int i = 0; i < EP_URLS; i++) {
            buf_printf(&out, "%-12s ", names[i]);
            if (urls[i])
                buf_printf(&out, "%s  (%s)\n", urls[i], lv.ep.source[i]);
            else
                buf_printf(&out, "-  (%s)\n", missing_source(&lv, i));
        }
        buf_printf(&out, "%-12s %s  (%s)\n", "region", lv.ep.region ? lv.ep.region : "-",
                   lv.ep.region ? lv.ep.source[EP_REGION] : "none given");
        buf_printf(&out, "%-12s %s  (%s)\n", "project", lv.ep.project_id ? lv.ep.project_id : "-",
                   lv.ep.project_id ? lv.ep.source[EP_PROJECT]
                   : lv.cred.kind == CRED_PASSWORD
                       ? "from the IAM token at login"
                       : "unknown: give --project-id or set OS_PROJECT_ID");
        buf_printf(&out, "%-12s %s from %s\n", "credentials", credentials_kind_name(lv.cred.kind),
                   lv.cred.source);
    }
    if (out.len && (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)))
        code = EXIT_USAGE;
    buf_free(&out);
    app_live_close(&lv);
    return code;
}

/* ---- doctor ---------------------------------------------------------------------------------- */

struct doctor {
    const struct app_opts *o;
    struct buf json; /* the checks, for --format json */
    size_t n, failed;
};

/* Records one check: printed as a line (text), or added to the JSON array. */
static void check(struct doctor *d, bool ok, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check(struct doctor *d, bool ok, const char *what, const char *fmt, ...)
{
    char detail[900];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    d->n++;
    d->failed += !ok;
    if (json_format(d->o)) {
        buf_adds(&d->json, d->n > 1 ? ",\n" : "");
        buf_printf(&d->json, "    {\"check\": ");
        json_str(&d->json, what);
        buf_printf(&d->json, ", \"ok\": %s, \"detail\": ", ok ? "true" : "false");
        json_str(&d->json, detail);
        buf_adds(&d->json, "}");
        return;
    }
    diag_printf(stdout, "%-6s %-28s %s", ok ? "ok" : "FAIL", what, detail);
    putchar('\n');
}

/* The line of one harmless GET of a service: it answers (over TLS where https), accepts the
 * credential, shows the project, and reads. */
static void probe_line(struct doctor *d, const struct api_probe *pr, const char *name,
                       const char *url)
{
    const struct api_probe p = *pr;
    char what[64];

    snprintf(what, sizeof what, "%s read access", name);
    switch (p.kind) {
    case API_PROBE_OK:
        check(d, true, what, "%s answers%s, HTTP %d in %ld ms", url,
              strncmp(url, "https://", 8) == 0 ? " over TLS" : "", p.status, p.elapsed_ms);
        break;
    case API_PROBE_NO_ANSWER:
        check(d, false, what,
              "%s does not answer: %s; check the endpoint, DNS, proxy and CA "
              "(--cacert)",
              url, p.detail);
        break;
    case API_PROBE_DENIED:
        check(d, false, what,
              "%s: HTTP %d %s: the credential is refused or lacks read permission "
              "for %s",
              p.label, p.status, p.detail, name);
        break;
    case API_PROBE_ERROR:
        check(d, false, what, "%s: HTTP %d %s: check the project (--project-id) and the endpoint",
              p.label, p.status, p.detail);
        break;
    case API_PROBE_BAD:
        check(d, false, what, "%s: the answer is not the JSON the API documents: %s", p.label,
              p.detail);
        break;
    }
}

int cmd_doctor(const struct app_opts *o)
{
    static const char *const names[EP_URLS] = {"SDRS", "ECS", "IMS", "IAM", "EVS"};
    struct doctor d = {.o = o};
    struct live lv;
    struct api_opts ao = {0};
    struct err e = {0};
    int code = app_live_config(o, &lv);

    buf_init(&d.json, 0);
    if (code) {
        check(&d, false, "credentials and endpoints", "see the error above");
        goto out;
    }
    check(&d, true, "credentials", "%s from %s%s%s", credentials_kind_name(lv.cred.kind),
          lv.cred.source, lv.have_cloud ? ", cloud " : "", lv.have_cloud ? lv.cloud.name : "");
    {
        const char *urls[EP_URLS] = {lv.ep.sdrs, lv.ep.ecs, lv.ep.ims, lv.ep.iam, lv.ep.evs};
        for (int i = 0; i < EP_URLS; i++) {
            char what[64];
            snprintf(what, sizeof what, "%s endpoint", names[i]);
            if (urls[i])
                check(&d, true, what, "%s (%s)", urls[i], lv.ep.source[i]);
            else if (i == EP_IAM && lv.cred.kind != CRED_PASSWORD)
                check(&d, true, what, "not needed (no password credentials)");
            else if (i != EP_IAM && lv.cred.kind == CRED_PASSWORD)
                check(&d, true, what, "from the IAM catalog at login");
            else
                check(&d, i == EP_IMS, what, "unknown: give --%s URL or --region",
                      i == EP_SDRS  ? "endpoint"
                      : i == EP_ECS ? "ecs-endpoint"
                      : i == EP_IMS ? "ims-endpoint"
                      : i == EP_IAM ? "iam-endpoint"
                                    : "evs-endpoint");
        }
    }
    if (d.failed) {
        code = EXIT_INDETERMINATE;
        goto out;
    }
    if (http_global_init(&e)) {
        check(&d, false, "HTTP client", "%s", e.msg);
        code = EXIT_INDETERMINATE;
        goto out;
    }
    lv.http_ready = true;
    ao.http = o->live.http;
    ao.cred = &lv.cred;
    ao.ep = &lv.ep;
    if (api_session_new(&ao, &lv.session, &e)) {
        check(&d, false, "credential accepted", "%s", e.msg);
        code = EXIT_INDETERMINATE;
        goto out;
    }
    {
        const enum api_service svcs[] = {API_SDRS, API_ECS, API_IMS, API_EVS};
        const char *const pnames[] = {"SDRS", "ECS", "IMS", "EVS"};
        const char *urls[] = {lv.ep.sdrs, lv.ep.ecs, lv.ep.ims, lv.ep.evs};
        struct api_probe p[4];
        bool sent[4] = {false, false, false, false};

        /* SDRS first: its answer tells whether the credential and the project are accepted */
        for (int i = 0; i < 4; i++) {
            struct err pe = {0};
            if (urls[i] && api_probe(lv.session, svcs[i], &p[i], &pe) == 0)
                sent[i] = true;
            else if (urls[i])
                snprintf(p[i].detail, sizeof p[i].detail, "%s", pe.msg);
        }
        if (lv.cred.kind == CRED_PASSWORD)
            check(&d, true, "credential accepted", "IAM issued a token");
        else if (sent[0] && p[0].kind != API_PROBE_NO_ANSWER)
            check(&d, !(p[0].kind == API_PROBE_DENIED && p[0].status == 401), "credential accepted",
                  "%s",
                  p[0].kind == API_PROBE_DENIED && p[0].status == 401
                      ? "SDRS refused it (HTTP 401): check the token "
                        "or the AK/SK pair and its expiry"
                      : "SDRS accepted it");
        else
            check(&d, false, "credential accepted", "not known: SDRS did not answer");
        check(&d, lv.ep.project_id != NULL && !(sent[0] && p[0].kind == API_PROBE_ERROR), "project",
              "%s (%s)%s", lv.ep.project_id ? lv.ep.project_id : "-",
              lv.ep.project_id && lv.ep.source[EP_PROJECT][0] ? lv.ep.source[EP_PROJECT]
                                                              : "from the IAM token",
              sent[0] && p[0].kind == API_PROBE_ERROR ? ": SDRS does not show it" : "");
        for (int i = 0; i < 4; i++) {
            char what[64];
            snprintf(what, sizeof what, "%s read access", pnames[i]);
            if (!urls[i])
                check(&d, i == 2, what, "no endpoint%s", i == 2 ? " (images are not read)" : "");
            else if (!sent[i])
                check(&d, false, what, "%s", p[i].detail);
            else
                probe_line(&d, &p[i], pnames[i], urls[i]);
        }
    }
    code = d.failed ? EXIT_INDETERMINATE : EXIT_GO;
out:
    if (json_format(o)) {
        printf("{\n  \"ready\": %s,\n  \"checks\": [\n%s\n  ]\n}\n",
               !d.failed && code == 0 ? "true" : "false", buf_str(&d.json));
    } else {
        printf("%s\n", !d.failed && code == 0 ? "a live check can run"
                                              : "a live check cannot run: fix the FAIL lines");
    }
    buf_free(&d.json);
    if (code == 0 || code == EXIT_INDETERMINATE)
        app_live_close(&lv);
    /* whatever kept it (a configuration error included), a live check cannot run: 3 */
    return code ? EXIT_INDETERMINATE : 0;
}
