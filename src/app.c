#include "app.h"

#include "api.h"
#include "diag.h"
#include "engine.h"
#include "facts.h"
#include "jsonutil.h"
#include "report.h"
#include "rulestest.h"
#include "snapshot.h"
#include "util.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void engine_logger(void *ud, enum engine_log_level lvl, const char *msg)
{
    (void)ud;
    switch (lvl) {
    case ENGINE_LOG_NOTICE:
        diag_notice("%s", msg);
        break;
    case ENGINE_LOG_VERBOSE:
        diag_verbose(1, "%s", msg);
        break;
    case ENGINE_LOG_DEBUG:
        diag_verbose(2, "%s", msg);
        break;
    }
}

/* Builds the rule catalogue: built-in rules unless --no-builtin-rules, then each --rules DIR. */
static int make_engine(const struct app_opts *o, struct engine **out)
{
    struct engine_opts eo = {
        .limits = o->limits,
        .max_findings = o->max_findings,
        .no_builtin = o->no_builtin,
        .log = engine_logger,
    };
    struct err e = {0};

    if (engine_new(&eo, out, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < o->nrule_dirs; i++) {
        if (engine_add_dir(*out, o->rule_dirs[i], &e)) {
            diag_error("%s", e.msg);
            engine_free(*out);
            *out = NULL;
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* The report's clock: SOURCE_DATE_EPOCH when set (reproducible output), else now. */
static long long report_time(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    long long t;

    if (s && util_parse_int(s, &t) && t >= 0)
        return t;
    return (long long)time(NULL);
}

static bool use_color(const struct app_opts *o)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

    if (o->no_color || (nc && *nc) || (o->output && strcmp(o->output, "-") != 0))
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(STDOUT_FILENO);
}

/* Writes the rendered output to -o FILE (atomically, never over an input) or stdout. */
static int write_output(const struct app_opts *o, const struct buf *b)
{
    const char *inputs[] = {o->snapshot, o->facts, o->token_file, o->save_snapshot};
    struct err e = {0};

    if (!o->output || strcmp(o->output, "-") == 0) {
        if (fwrite(buf_str(b), 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
            diag_error("cannot write the report to standard output");
            return EXIT_USAGE;
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        if (inputs[i] && util_same_file(o->output, inputs[i])) {
            diag_error("refusing to write the report over the input file '%s'", inputs[i]);
            return EXIT_USAGE;
        }
    }
    if (util_write_file_atomic(o->output, buf_str(b), b->len, 0644, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    diag_verbose(1, "report written to '%s'", o->output);
    return 0;
}

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

/* A live connection: credentials, endpoints and the API session that borrows them. */
struct live {
    struct credentials cred;
    struct endpoints ep;
    struct api_session *session;
    bool http_ready;
};

static void live_close(struct live *lv)
{
    api_session_free(lv->session);
    if (lv->http_ready)
        http_global_cleanup();
    credentials_clear(&lv->cred);
    endpoints_clear(&lv->ep);
    memset(lv, 0, sizeof *lv);
}

/* Resolves credentials and endpoints and opens the session (with an IAM password, the token
 * exchange). Returns 0 or an exit code; on failure everything is released. */
static int live_open(const struct app_opts *o, struct live *lv)
{
    struct endpoint_flags flags = o->endpoints;
    struct api_opts ao = {0};
    struct err e = {0};
    char incomplete[512];
    int rc, code = EXIT_USAGE;

    memset(lv, 0, sizeof *lv);
    if (credentials_load(o->token_file, env_get, &lv->cred, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    credentials_incomplete(env_get, incomplete, sizeof incomplete);
    if (*incomplete)
        diag_verbose(1, "ignored: %s", incomplete);
    diag_verbose(1, "credentials: %s from %s", credentials_kind_name(lv->cred.kind),
                 lv->cred.source);
    if (!flags.region)
        flags.region = getenv("OS_REGION_NAME");
    if (!flags.project_id)
        flags.project_id =
            lv->cred.kind == CRED_PASSWORD ? lv->cred.project_id : getenv("OS_PROJECT_ID");
    if (endpoints_resolve(&flags, &lv->ep, &e)) {
        diag_error("%s", e.msg);
        goto fail;
    }
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
    if (o->insecure)
        diag_alert("--insecure: TLS certificates are NOT verified; anyone on the network path can "
                   "read the credentials and change the answers");
    if (http_global_init(&e)) {
        diag_error("%s", e.msg);
        code = EXIT_INDETERMINATE;
        goto fail;
    }
    lv->http_ready = true;
    http_opts_init(&ao.http);
    if (o->timeout_ms)
        ao.http.timeout_ms = o->timeout_ms;
    if (o->retries >= 0)
        ao.http.retries = o->retries;
    if (o->concurrency)
        ao.http.concurrency = o->concurrency;
    if (o->max_body)
        ao.http.max_body = o->max_body;
    ao.http.cacert = o->cacert;
    ao.http.insecure = o->insecure;
    ao.http.log = http_logger;
    ao.cred = &lv->cred;
    ao.ep = &lv->ep;
    ao.page_limit = o->page_limit;
    ao.no_images = o->no_images;
    ao.now = clock_now();
    ao.clock = clock_now;
    ao.log = http_logger;
    rc = api_session_new(&ao, &lv->session, &e);
    if (rc) {
        diag_error("%s", e.msg);
        code = rc == ERR_INVALID ? EXIT_USAGE : EXIT_INDETERMINATE;
        goto fail;
    }
    return 0;
fail:
    live_close(lv);
    return code;
}

/* Fetches the group over an open connection. On success res holds the snapshot bytes. Returns 0
 * or an exit code. */
static int live_fetch(const struct app_opts *o, struct live *lv, struct api_result *res)
{
    struct err e = {0};
    int rc = api_fetch(lv->session, o->group_id, res, &e);

    if (rc) {
        diag_error("%s", e.msg);
        return rc == ERR_INVALID ? EXIT_USAGE : EXIT_INDETERMINATE;
    }
    diag_verbose(1, "fetched group %s: %ld requests so far (%ld retries, %ld connections), %zu fetch "
                    "errors",
                 o->group_id, res->stats.requests, res->stats.retries, res->stats.connects,
                 res->fetch_errors);
    return 0;
}

/* Writes a fetched snapshot to path, never over an input file. */
static int save_snapshot(const struct app_opts *o, const char *path, const struct buf *b)
{
    const char *inputs[] = {o->facts, o->token_file, o->output};
    struct err e = {0};

    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (inputs[i] && path != inputs[i] && util_same_file(path, inputs[i])) {
            diag_error("refusing to write the snapshot over '%s'", inputs[i]);
            return EXIT_USAGE;
        }
    if (util_write_file_atomic(path, buf_str(b), b->len, 0644, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    diag_verbose(1, "snapshot written to '%s'", path);
    return 0;
}

/* The snapshot to evaluate: the file of --snapshot, or a live fetch of the group over lv (opened
 * here when it is not open yet). */
static int obtain_snapshot(const struct app_opts *o, struct live *lv, struct snapshot **snap)
{
    struct api_result res = {0};
    struct err e = {0};
    char label[200];
    int code;

    if (o->snapshot) {
        if (snapshot_load_file(o->snapshot, NULL, snap, &e)) {
            diag_error("%s", e.msg);
            return EXIT_USAGE;
        }
        return 0;
    }
    if (!lv->session && (code = live_open(o, lv)) != 0)
        return code;
    code = live_fetch(o, lv, &res);
    if (!code && o->save_snapshot)
        code = save_snapshot(o, o->save_snapshot, &res.snapshot);
    if (!code) {
        snprintf(label, sizeof label, "live fetch of group %s", o->group_id);
        if (snapshot_load_buffer(buf_str(&res.snapshot), res.snapshot.len, label, NULL, snap, &e)) {
            diag_error("%s", e.msg);
            code = EXIT_INDETERMINATE;
        }
    }
    api_result_clear(&res);
    return code;
}

int app_check(const struct app_opts *o)
{
    const struct renderer *rend = report_renderer(o->format ? o->format : "text");
    struct render_opts ro = {.color = use_color(o), .verbose = o->verbose, .quiet = o->quiet};
    struct snapshot *snap = NULL;
    struct facts *facts = NULL;
    struct engine *eng = NULL;
    struct rule_result *results = NULL;
    struct report rep = {0};
    struct live lv = {0};
    struct buf out;
    struct err e = {0};
    size_t nres = 0;
    int code = EXIT_USAGE;

    buf_init(&out, 0);
    if (!rend) {
        diag_error("unknown format '%s' (choose one of: %s)", o->format, report_formats());
        return EXIT_USAGE;
    }
    /* Everything that can be checked before the network is checked first. */
    if (o->facts && facts_load_file(o->facts, &facts, &e)) {
        diag_error("%s", e.msg);
        goto out;
    }
    if ((code = make_engine(o, &eng)) != 0)
        goto out;
    if ((code = obtain_snapshot(o, &lv, &snap)) != 0)
        goto out;
    code = EXIT_INDETERMINATE;
    {
        struct engine_input in = {snap, facts, o->action};
        struct report_inputs ri = {snap,   facts, engine_rules_sha256(eng), o->action,
                                   o->fail_on_warning, report_time()};

        if (engine_run(eng, &in, &results, &nres, &e) ||
            report_build(&rep, &ri, &results, nres, &e)) {
            diag_error("%s", e.msg);
            goto out;
        }
    }
    if (rend->render(&rep, &ro, &out)) {
        diag_error("out of memory while rendering the report");
        goto out;
    }
    code = write_output(o, &out);
    if (!code)
        code = rep.exit_code;
    diag_verbose(1, "verdict %s, exit code %d", verdict_name(rep.verdict), code);
out:
    buf_free(&out);
    report_clear(&rep);
    rule_results_free(results, nres);
    engine_free(eng);
    facts_free(facts);
    snapshot_free(snap);
    live_close(&lv);
    return code;
}

int app_fetch(const struct app_opts *o)
{
    struct api_result res = {0};
    struct live lv;
    int code = live_open(o, &lv);

    if (code)
        return code;
    code = live_fetch(o, &lv, &res);
    live_close(&lv);
    if (code)
        return code;
    if (o->output && strcmp(o->output, "-") != 0)
        code = save_snapshot(o, o->output, &res.snapshot);
    else
        code = write_output(o, &res.snapshot);
    if (!code && res.fetch_errors) {
        diag_warn("the snapshot records %zu fetch error%s: a check of it is INDETERMINATE",
                  res.fetch_errors, res.fetch_errors == 1 ? "" : "s");
        code = EXIT_INDETERMINATE;
    }
    api_result_clear(&res);
    return code;
}

static void put_actions(struct buf *b, const struct rule_meta *m)
{
    if (m->all_actions) {
        buf_adds(b, "all");
        return;
    }
    for (size_t k = 0; k < m->nactions; k++)
        buf_printf(b, "%s%s", k ? "," : "", m->actions[k]);
}

static int rules_list(const struct app_opts *o, struct engine *eng, struct buf *b)
{
    size_t n = engine_count(eng);

    if (o->format && strcmp(o->format, "json") == 0) {
        struct json_object *arr = json_object_new_array();
        for (size_t i = 0; arr && i < n; i++) {
            const struct rule_meta *m = engine_meta(eng, i);
            struct json_object *r = json_object_new_object(), *acts = json_object_new_array();
            struct buf a;

            buf_init(&a, 0);
            put_actions(&a, m);
            json_object_object_add(r, "id", json_object_new_string(m->id));
            json_object_object_add(r, "severity", json_object_new_string(severity_name(m->severity)));
            if (m->all_actions)
                json_object_array_add(acts, json_object_new_string("all"));
            for (size_t k = 0; k < m->nactions; k++)
                json_object_array_add(acts, json_object_new_string(m->actions[k]));
            json_object_object_add(r, "actions", acts);
            json_object_object_add(r, "title", json_object_new_string(m->title));
            json_object_object_add(r, "source", json_object_new_string(m->source));
            json_object_array_add(arr, r);
            buf_free(&a);
        }
        if (!arr || jsonutil_print(arr, b)) {
            json_object_put(arr);
            return ERR_NOMEM;
        }
        json_object_put(arr);
        return 0;
    }
    if (o->format && strcmp(o->format, "text") != 0) {
        diag_error("rules list supports --format text or json");
        return EXIT_USAGE;
    }
    buf_printf(b, "%-10s %-8s %-46s %-10s %s\n", "ID", "SEVERITY", "ACTIONS", "SOURCE", "TITLE");
    for (size_t i = 0; i < n; i++) {
        const struct rule_meta *m = engine_meta(eng, i);
        struct buf a;

        buf_init(&a, 0);
        put_actions(&a, m);
        buf_printf(b, "%-10s %-8s %-46s %-10s %s\n", m->id, severity_name(m->severity),
                   buf_str(&a), m->source, m->title);
        buf_free(&a);
    }
    return 0;
}

static int rules_show(const struct app_opts *o, struct engine *eng, struct buf *b)
{
    const struct rule_meta *m = NULL;
    struct buf a;

    for (size_t i = 0; i < engine_count(eng); i++)
        if (strcmp(engine_meta(eng, i)->id, o->argument) == 0)
            m = engine_meta(eng, i);
    if (!m) {
        diag_error("no rule '%s' (see 'sdrs-preflight rules list')", o->argument);
        return EXIT_USAGE;
    }
    buf_init(&a, 0);
    put_actions(&a, m);
    buf_printf(b, "%s  %s\n\n", m->id, m->title);
    buf_printf(b, "severity     %s\nactions      %s\nsource       %s\n", severity_name(m->severity),
               buf_str(&a), m->source);
    buf_reset(&a);
    for (size_t k = 0; k < m->nreads; k++)
        buf_printf(&a, "%s%s", k ? ", " : "", m->reads[k]);
    buf_printf(b, "reads        %s\n", m->nreads ? buf_str(&a) : "(not declared)");
    buf_printf(b, "docs         %s\n\n", m->docs ? m->docs : "(none)");
    buf_printf(b, "Rationale\n  %s\n\nRemediation\n  %s\n",
               m->rationale ? m->rationale : "(none given)",
               m->remediation ? m->remediation : "(none given)");
    buf_free(&a);
    return 0;
}

static int rules_test(const struct app_opts *o, struct engine *eng, struct buf *b)
{
    char **paths = NULL;
    size_t n = 0, failed = 0;
    struct err e = {0};
    int code = 0;

    if (rulestest_find(o->argument, &paths, &n, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    if (n == 0) {
        diag_error("no test cases under '%s' (files with an \"expect\" key)", o->argument);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        struct case_result cr;

        if (rulestest_run(eng, paths[i], &cr, &e)) {
            diag_error("%s", e.msg);
            rulestest_result_clear(&cr);
            code = EXIT_USAGE;
            break;
        }
        buf_printf(b, "%s %s  %s\n", cr.passed ? "ok  " : "FAIL", cr.path, cr.description);
        if (!cr.passed) {
            failed++;
            buf_adds(b, buf_str(&cr.detail));
        }
        rulestest_result_clear(&cr);
    }
    if (!code) {
        buf_printf(b, "%zu case%s, %zu passed, %zu failed\n", n, n == 1 ? "" : "s", n - failed,
                   failed);
        code = failed ? 1 : 0;
    }
    rulestest_paths_free(paths, n);
    return code;
}

int app_rules(const struct app_opts *o)
{
    struct engine *eng = NULL;
    struct buf out;
    int code;

    buf_init(&out, 0);
    if ((code = make_engine(o, &eng)) != 0)
        return code;
    if (strcmp(o->subcommand, "list") == 0)
        code = rules_list(o, eng, &out);
    else if (strcmp(o->subcommand, "show") == 0)
        code = rules_show(o, eng, &out);
    else
        code = rules_test(o, eng, &out);
    if (code == ERR_NOMEM) {
        diag_error("out of memory");
        code = EXIT_INDETERMINATE;
    }
    if (out.len && write_output(o, &out) && !code)
        code = EXIT_USAGE;
    buf_free(&out);
    engine_free(eng);
    return code;
}

int app_version(const struct app_opts *o)
{
    (void)o;
    printf("%s %s\n", SDRS_NAME, SDRS_VERSION);
    return 0;
}
