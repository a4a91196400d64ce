#include "app.h"

#include "api.h"
#include "auditlog.h"
#include "diag.h"
#include "execute.h"
#include "engine.h"
#include "facts.h"
#include "fleet.h"
#include "jsonutil.h"
#include "report.h"
#include "rulestest.h"
#include "snapshot.h"
#include "util.h"
#include "version.h"

#include <dirent.h>
#include <errno.h>
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
        .max_message = o->max_message,
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

/* Writes what (a report, a snapshot) to path: atomically, and never over a file the user gave as
 * an input. Returns 0 or an exit code. */
static int write_file(const struct app_opts *o, const char *what, const char *path,
                      const struct buf *b)
{
    const char *inputs[] = {o->snapshot, o->facts,           o->token_file, o->save_snapshot,
                            o->waivers,  o->approved_report, o->audit_log,  o->output};
    struct err e = {0};

    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        if (inputs[i] && inputs[i] != path && util_same_file(path, inputs[i])) {
            diag_error("refusing to write the %s over the input file '%s'", what, inputs[i]);
            return EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < o->nreports; i++)
        if (o->reports[i].file != path && util_same_file(path, o->reports[i].file)) {
            diag_error("refusing to write the %s over '%s', which --report writes too", what,
                       o->reports[i].file);
            return EXIT_USAGE;
        }
    if (util_write_file_atomic(path, buf_str(b), b->len, 0644, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    diag_verbose(1, "%s written to '%s'", what, path);
    return 0;
}

/* Writes the rendered output to -o FILE or stdout. */
static int write_output(const struct app_opts *o, const struct buf *b)
{
    if (!o->output || strcmp(o->output, "-") == 0) {
        if (fwrite(buf_str(b), 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
            diag_error("cannot write to standard output");
            return EXIT_USAGE;
        }
        return 0;
    }
    return write_file(o, "report", o->output, b);
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
    ao.max_items = o->max_items;
    ao.max_depth = o->max_depth;
    ao.no_images = o->no_images;
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
    diag_verbose(1,
                 "fetched group %s: %ld requests so far (%ld retries, %ld connections), %zu fetch "
                 "errors",
                 o->group_id, res->stats.requests, res->stats.retries, res->stats.connects,
                 res->fetch_errors);
    return 0;
}

/* Writes a fetched snapshot to path, never over an input file. */
static int save_snapshot(const struct app_opts *o, const char *path, const struct buf *b)
{
    return write_file(o, "snapshot", path, b);
}

/* The snapshot to evaluate: the file of --snapshot, or a live fetch of the group over lv (opened
 * here when it is not open yet). */
/* The snapshot reader's limits, from --max-depth and --max-items. */
static struct snapshot_limits limits_of(const struct app_opts *o)
{
    struct snapshot_limits lim = SNAPSHOT_LIMITS_DEFAULT;

    if (o->max_depth)
        lim.max_depth = o->max_depth;
    if (o->max_items)
        lim.max_items = o->max_items;
    return lim;
}

static int obtain_snapshot(const struct app_opts *o, struct live *lv, struct snapshot **snap)
{
    struct snapshot_limits lim = limits_of(o);
    struct api_result res = {0};
    struct err e = {0};
    char label[200];
    int code;

    if (o->snapshot) {
        if (snapshot_load_file(o->snapshot, &lim, snap, &e)) {
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
        int rc = snapshot_load_tree(res.tree, buf_str(&res.snapshot), res.snapshot.len, label, &lim,
                                    snap, &e);
        res.tree = NULL;
        if (rc) {
            diag_error("%s", e.msg);
            code = EXIT_INDETERMINATE;
        }
    }
    api_result_clear(&res);
    return code;
}

/* What a decision needs besides the snapshot: facts, the rule catalogue, a live connection. */
struct session {
    struct facts *facts;
    struct waivers *waivers;
    struct engine *eng;
    struct live lv;
};

static void session_clear(struct session *ss)
{
    engine_free(ss->eng);
    facts_free(ss->facts);
    waivers_free(ss->waivers);
    live_close(&ss->lv);
    memset(ss, 0, sizeof *ss);
}

/* Loads what can be checked before any network access: the facts and the rules. */
static int session_prepare(const struct app_opts *o, struct session *ss)
{
    struct err e = {0};

    memset(ss, 0, sizeof *ss);
    if (o->facts && facts_load_file(o->facts, &ss->facts, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    if (o->waivers && waivers_load_file(o->waivers, &ss->waivers, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    return make_engine(o, &ss->eng);
}

/* Evaluates a snapshot into rep. Returns 0 or an exit code. */
static int evaluate(const struct app_opts *o, struct session *ss, const struct snapshot *snap,
                    struct report *rep)
{
    struct engine_input in = {snap, ss->facts, o->action};
    struct report_inputs ri = {.snap = snap,
                               .facts = ss->facts,
                               .waivers = ss->waivers,
                               .rules_sha256 = engine_rules_sha256(ss->eng),
                               .action = o->action,
                               .fail_on_warning = o->fail_on_warning,
                               .now = report_time()};
    struct rule_result *results = NULL;
    struct err e = {0};
    size_t nres = 0;
    int code = 0;

    if (engine_run(ss->eng, &in, &results, &nres, &e) ||
        report_build(rep, &ri, &results, nres, &e)) {
        diag_error("%s", e.msg);
        code = EXIT_INDETERMINATE;
    }
    rule_results_free(results, nres);
    return code;
}

/* Obtains a snapshot (file or live) and evaluates it into rep. Returns 0 or an exit code. */
static int decide(const struct app_opts *o, struct session *ss, bool save, struct report *rep)
{
    struct app_opts oo = *o;
    struct snapshot *snap = NULL;
    int code;

    if (!save)
        oo.save_snapshot = NULL;
    if ((code = obtain_snapshot(&oo, &ss->lv, &snap)) != 0)
        return code;
    code = evaluate(o, ss, snap, rep);
    snapshot_free(snap);
    return code;
}

/* Renders the report in the chosen format and writes it, then every --report FORMAT=FILE.
 * Returns 0 or an exit code. */
static int emit(const struct app_opts *o, const struct report *rep)
{
    const struct renderer *rend = report_renderer(o->format ? o->format : "text");
    struct render_opts ro = {.color = use_color(o), .verbose = o->verbose, .quiet = o->quiet};
    struct render_opts plain = {.verbose = o->verbose};
    struct buf out;
    int code;

    buf_init(&out, 0);
    if (rend->render(rep, &ro, &out)) {
        buf_free(&out);
        diag_error("out of memory while rendering the report");
        return EXIT_INDETERMINATE;
    }
    code = write_output(o, &out);
    for (size_t i = 0; !code && i < o->nreports; i++) {
        buf_reset(&out);
        if (report_renderer(o->reports[i].format)->render(rep, &plain, &out)) {
            diag_error("out of memory while rendering the report");
            code = EXIT_INDETERMINATE;
        } else {
            code = write_file(o, "report", o->reports[i].file, &out);
        }
    }
    buf_free(&out);
    return code;
}

/* Appends an event to --audit-log, if one was given. Returns 0 or an exit code. */
static int audit(const struct app_opts *o, struct audit_event *ev)
{
    struct err e = {0};
    char head[UTIL_SHA256_HEX];

    if (!o->audit_log)
        return 0;
    ev->command = o->command;
    ev->time = clock_now();
    if (auditlog_record(o->audit_log, ev, head, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    diag_verbose(1, "audit log '%s': %s recorded, head %.16s…", o->audit_log, ev->event, head);
    return 0;
}

static bool format_known(const struct app_opts *o)
{
    if (report_renderer(o->format ? o->format : "text"))
        return true;
    diag_error("unknown format '%s' (choose one of: %s)", o->format, report_formats());
    return false;
}

int app_check(const struct app_opts *o)
{
    struct session ss;
    struct report rep = {0};
    int code;

    if (!format_known(o))
        return EXIT_USAGE;
    if ((code = session_prepare(o, &ss)) != 0)
        goto out;
    if ((code = decide(o, &ss, true, &rep)) != 0)
        goto out;
    if ((code = emit(o, &rep)) != 0)
        goto out;
    code = audit(o, &(struct audit_event){.event = "decision", .phase = "check", .report = &rep});
    if (!code)
        code = rep.exit_code;
    diag_verbose(1, "verdict %s, exit code %d", verdict_name(rep.verdict), code);
out:
    report_clear(&rep);
    session_clear(&ss);
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
            json_object_object_add(r, "severity",
                                   json_object_new_string(severity_name(m->severity)));
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
    {
        /* columns as wide as their widest entry, so that long action lists or paths stay aligned */
        int wid = 2, wact = 7, wsrc = 6;
        for (size_t i = 0; i < n; i++) {
            const struct rule_meta *m = engine_meta(eng, i);
            struct buf a;

            buf_init(&a, 0);
            put_actions(&a, m);
            wid = (int)(strlen(m->id) > (size_t)wid ? strlen(m->id) : (size_t)wid);
            wact = (int)(a.len > (size_t)wact ? a.len : (size_t)wact);
            wsrc = (int)(strlen(m->source) > (size_t)wsrc ? strlen(m->source) : (size_t)wsrc);
            buf_free(&a);
        }
        buf_printf(b, "%-*s  %-8s  %-*s  %-*s  %s\n", wid, "ID", "SEVERITY", wact, "ACTIONS", wsrc,
                   "SOURCE", "TITLE");
        for (size_t i = 0; i < n; i++) {
            const struct rule_meta *m = engine_meta(eng, i);
            struct buf a;

            buf_init(&a, 0);
            put_actions(&a, m);
            buf_printf(b, "%-*s  %-8s  %-*s  %-*s  %s\n", wid, m->id, severity_name(m->severity),
                       wact, buf_str(&a), wsrc, m->source, m->title);
            buf_free(&a);
        }
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

/* Progress of a running action on stderr: one updating line on a terminal, else one line per
 * change (what a CI log wants). */
static void on_progress(void *ud, const struct exec_progress *p)
{
    bool tty = *(bool *)ud;
    long s = p->elapsed_ms / 1000;

    if (p->poll_failed) {
        if (tty)
            fputc('\n', stderr);
        diag_notice("no answer about the job (%s); still waiting", p->note ? p->note : "?");
        return;
    }
    if (tty) {
        fprintf(stderr, "\r  job %-8s %3ld:%02ld", p->status, s / 60, s % 60);
        if (p->subjobs)
            fprintf(stderr, "  sub-jobs %zu/%zu done%s", p->subjobs_done, p->subjobs,
                    p->subjobs_failed ? ", failed" : "");
        fprintf(stderr, "   ");
        fflush(stderr);
    } else if (p->subjobs) {
        diag_notice("job %s after %ld s: sub-jobs %zu/%zu done, %zu failed", p->status, s,
                    p->subjobs_done, p->subjobs, p->subjobs_failed);
    } else {
        diag_notice("job %s after %ld s", p->status, s);
    }
}

/* Asks on the terminal for the group's name. Returns 0 when it was typed, else an exit code. */
static int confirm(const struct app_opts *o, const struct report *rep)
{
    const char *want = rep->group_name && *rep->group_name ? rep->group_name : rep->group_id;
    char line[512];
    size_t n;

    if (!isatty(STDIN_FILENO)) {
        diag_error("--execute asks for confirmation on a terminal; standard input is not one. "
                   "Give --yes to run without asking (for example in a pipeline)");
        return EXIT_USAGE;
    }
    fprintf(stderr,
            "\nAbout to run %s of protection group '%s' (%s) in project %s.\n"
            "This changes the production site. Type the group name to go ahead: ",
            o->action, want, rep->group_id ? rep->group_id : "?",
            rep->project_id ? rep->project_id : "?");
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin)) {
        diag_error("not confirmed; nothing was sent");
        return EXIT_NOGO;
    }
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (strcmp(line, want) != 0) {
        diag_error("'%s' is not '%s': not confirmed; nothing was sent", line, want);
        return EXIT_NOGO;
    }
    return 0;
}

/* The approved report binds the call: same group, same action, verdict GO, same rules. */
static int check_approval(const struct app_opts *o, const struct report *rep,
                          struct report_summary *ap)
{
    struct err e = {0};
    struct buf why;
    int code = 0;

    if (report_read_summary(o->approved_report, ap, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    buf_init(&why, 0);
    if (strcmp(ap->verdict, "GO") != 0)
        buf_printf(&why, "%sits verdict is %s, not GO", why.len ? "; " : "", ap->verdict);
    if (!rep->group_id || strcmp(ap->group_id, rep->group_id) != 0)
        buf_printf(&why, "%sit is about group %s, not %s", why.len ? "; " : "", ap->group_id,
                   rep->group_id ? rep->group_id : "?");
    if (strcmp(ap->action, o->action) != 0)
        buf_printf(&why, "%sit approves %s, not %s", why.len ? "; " : "", ap->action, o->action);
    if (ap->project_id[0] && rep->project_id && strcmp(ap->project_id, rep->project_id) != 0)
        buf_printf(&why, "%sit is about project %s, not %s", why.len ? "; " : "", ap->project_id,
                   rep->project_id);
    if (strcmp(ap->rules_sha256, rep->rules_sha256) != 0)
        buf_printf(&why,
                   "%sthe rules changed since it was written (rules_sha256 %.12s… then, "
                   "%.12s… now)",
                   why.len ? "; " : "", ap->rules_sha256[0] ? ap->rules_sha256 : "none",
                   rep->rules_sha256);
    if (why.len) {
        diag_error("the approved report '%s' (generated %s) does not cover this call: %s. Nothing "
                   "was sent",
                   o->approved_report,
                   ap->generated_at[0] ? ap->generated_at : "at an unknown time", buf_str(&why));
        code = EXIT_NOGO;
    } else {
        diag_verbose(1, "the approved report '%s' (sha256 %.16s…) covers this call",
                     o->approved_report, ap->sha256);
    }
    buf_free(&why);
    return code;
}

static int outcome_exit(enum exec_outcome oc)
{
    switch (oc) {
    case EXEC_SUCCESS:
        return EXIT_GO;
    case EXEC_NOT_SENT:
        return EXIT_INDETERMINATE;
    default:
        break;
    }
    return EXIT_ACTION_FAILED;
}

int app_failover(const struct app_opts *o)
{
    struct session ss;
    struct report rep = {0}, again = {0};
    struct report_summary approval = {0};
    struct exec_result res;
    struct buf changes;
    struct err e = {0};
    bool tty = isatty(STDERR_FILENO);
    int code;

    buf_init(&changes, 0);
    if (!format_known(o))
        return EXIT_USAGE;
    if ((code = session_prepare(o, &ss)) != 0)
        goto out;
    /* 1. The preflight, reported exactly as `check` would. */
    if ((code = decide(o, &ss, true, &rep)) != 0 || (code = emit(o, &rep)) != 0 ||
        (code = audit(o, &(struct audit_event){
                             .event = "decision", .phase = "preflight", .report = &rep})) != 0)
        goto out;
    if (!o->execute) {
        diag_notice("dry run: no request was sent. To run the %s after review: %s failover %s "
                    "--action %s --execute",
                    o->action, SDRS_NAME, o->group_id, o->action);
        code = rep.exit_code;
        goto out;
    }
    if (rep.verdict != VERDICT_GO) {
        diag_error("refusing to run the %s: the verdict is %s; nothing was sent", o->action,
                   verdict_name(rep.verdict));
        audit(o, &(struct audit_event){.event = "refused",
                                       .phase = "preflight",
                                       .report = &rep,
                                       .message = "the verdict is not GO"});
        code = rep.exit_code;
        goto out;
    }
    if (o->approved_report && (code = check_approval(o, &rep, &approval)) != 0) {
        audit(o, &(struct audit_event){.event = "refused",
                                       .phase = "approval",
                                       .report = &rep,
                                       .approved_report_sha256 = approval.sha256,
                                       .message = "the approved report does not cover this call"});
        goto out;
    }
    if (!o->yes && (code = confirm(o, &rep)) != 0)
        goto out;
    /* 2. Re-check immediately before acting: the world may have moved since the report. */
    diag_notice("re-checking the group before the %s…", o->action);
    if ((code = decide(o, &ss, false, &again)) != 0)
        goto out;
    if ((code = audit(o, &(struct audit_event){
                             .event = "decision", .phase = "re-check", .report = &again})) != 0)
        goto out;
    if (report_changes(&rep, &again, &changes) > 0 || again.verdict != VERDICT_GO) {
        diag_error("the group changed since the report (%s); the verdict is now %s. Nothing was "
                   "sent; run the preflight again",
                   changes.len ? buf_str(&changes) : "no blocking change",
                   verdict_name(again.verdict));
        audit(o, &(struct audit_event){.event = "refused",
                                       .phase = "re-check",
                                       .report = &again,
                                       .message = buf_str(&changes)});
        code = again.verdict == VERDICT_INDETERMINATE ? EXIT_INDETERMINATE : EXIT_NOGO;
        goto out;
    }
    /* 3. The call, sent once, and its job followed to the end. */
    diag_notice("calling %s on protection group %s", o->action, o->group_id);
    {
        struct exec_opts eo = {.poll_interval_ms = o->poll_interval_ms,
                               .job_timeout_ms = o->job_timeout_ms,
                               .progress = on_progress,
                               .progress_ud = &tty};
        if (execute_run(ss.lv.session, o->group_id, o->action, again.priority_station,
                        again.group_status, &eo, &res, &e)) {
            diag_error("%s", e.msg);
            code = EXIT_INDETERMINATE;
            goto out;
        }
    }
    if (tty)
        fputc('\n', stderr);
    if (res.outcome == EXEC_SUCCESS)
        diag_notice("%s (%ld s)", res.message, res.elapsed_ms / 1000);
    else
        diag_error("%s", res.message);
    code = outcome_exit(res.outcome);
    /* The action happened either way: a failed audit write is reported, not a change of outcome. */
    audit(o, &(struct audit_event){.event = "action",
                                   .phase = "execute",
                                   .report = &again,
                                   .approved_report_sha256 =
                                       o->approved_report ? approval.sha256 : NULL,
                                   .job_id = res.job_id,
                                   .outcome = exec_outcome_name(res.outcome),
                                   .status_after = res.status_after,
                                   .station_after = res.station_after,
                                   .message = res.message});
out:
    buf_free(&changes);
    report_clear(&again);
    report_clear(&rep);
    session_clear(&ss);
    return code;
}

int app_verify_log(const struct app_opts *o)
{
    struct auditlog_check c;
    struct err e = {0};

    if (auditlog_verify(o->argument, &c, &e)) {
        diag_error("%s", e.msg);
        return EXIT_USAGE;
    }
    if (c.broken_line) {
        printf("audit log '%s': BROKEN at line %zu of %zu: %s\n", o->argument, c.broken_line,
               c.lines, c.reason);
        return 1;
    }
    printf("audit log '%s': %zu line%s, chain intact; head sha256 %s\n", o->argument, c.lines,
           c.lines == 1 ? "" : "s", c.lines ? c.head : "(empty)");
    printf("(lines cut off the end cannot be seen from inside the file: compare the head with the "
           "one recorded elsewhere)\n");
    return 0;
}

/* A live fleet check in progress: each group is evaluated as soon as its fetch completes. */
struct fleet_run {
    const struct app_opts *o;
    struct session *ss;
    struct fleet *fl; /* one entry per id, in id order, added before the fetch */
    char **ids;
    struct api_result *res;
    struct snapshot_limits lim;
    bool tty;
    size_t done, total;
    int code; /* the first exit code that ends the run */
};

/* Group i is fetched: evaluate it into its entry and release its data. */
static void on_group_done(void *ud, size_t i)
{
    struct fleet_run *fr = ud;
    struct report *rep = &fr->fl->items[i].rep;
    struct api_result *res = &fr->res[i];
    struct snapshot *snap = NULL;
    struct err e = {0};
    char label[200];

    fr->done++;
    if (fr->tty && fr->total >= 10) {
        fprintf(stderr, "\r  fetched %zu of %zu groups", fr->done, fr->total);
        if (fr->done == fr->total)
            fputc('\n', stderr);
        fflush(stderr);
    }
    if (fr->code)
        goto out;
    if (res->error) {
        if (fleet_unevaluated(rep, fr->o->action, fr->ids[i], "fetch", res->message, report_time()))
            fr->code = EXIT_INDETERMINATE;
        goto out;
    }
    snprintf(label, sizeof label, "live fetch of group %s", fr->ids[i]);
    if (snapshot_load_tree(res->tree, buf_str(&res->snapshot), res->snapshot.len, label, &fr->lim,
                           &snap, &e)) {
        res->tree = NULL;
        if (fleet_unevaluated(rep, fr->o->action, fr->ids[i], "snapshot", e.msg, report_time()))
            fr->code = EXIT_INDETERMINATE;
        goto out;
    }
    res->tree = NULL;
    fr->code = evaluate(fr->o, fr->ss, snap, rep);
    snapshot_free(snap);
out:
    api_result_clear(res);
}

static int json_file_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return n > 5 && d->d_name[0] != '.' && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Every *.json file of --snapshot-dir, evaluated. A file that is not a snapshot is an entry that
 * could not be evaluated (INDETERMINATE), not the end of the audit. */
static int fleet_offline(const struct app_opts *o, struct session *ss, struct fleet *fl)
{
    struct snapshot_limits lim = limits_of(o);
    struct dirent **names = NULL;
    int count = scandir(o->snapshot_dir, &names, json_file_filter, alphasort), code = 0;

    if (count < 0) {
        diag_error("cannot read snapshot directory '%s': %s", o->snapshot_dir, strerror(errno));
        return EXIT_USAGE;
    }
    for (int i = 0; i < count; i++) {
        struct buf path;
        struct snapshot *snap = NULL;
        struct report *rep;
        struct err e = {0};

        buf_init(&path, 0);
        buf_printf(&path, "%s/%s", o->snapshot_dir, names[i]->d_name);
        rep = fleet_add(fl, buf_str(&path));
        if (!rep) {
            code = EXIT_INDETERMINATE;
        } else if (snapshot_load_file(buf_str(&path), &lim, &snap, &e)) {
            if (fleet_unevaluated(rep, o->action, NULL, "snapshot", e.msg, report_time()))
                code = EXIT_INDETERMINATE;
        } else {
            code = evaluate(o, ss, snap, rep);
        }
        snapshot_free(snap);
        buf_free(&path);
        free(names[i]);
        if (code) {
            for (int k = i + 1; k < count; k++)
                free(names[k]);
            break;
        }
    }
    free(names);
    if (!code && count == 0) {
        diag_error("no *.json snapshots in '%s'", o->snapshot_dir);
        code = EXIT_USAGE;
    }
    return code;
}

/* Every protection group of the project, fetched together, each evaluated as soon as it is in. */
static int fleet_live(const struct app_opts *o, struct session *ss, struct fleet *fl)
{
    struct fleet_run fr = {
        .o = o, .ss = ss, .fl = fl, .lim = limits_of(o), .tty = isatty(STDERR_FILENO)};
    struct err e = {0};
    size_t n = 0;
    int code;

    if ((code = live_open(o, &ss->lv)) != 0)
        return code;
    if (api_list_groups(ss->lv.session, &fr.ids, &n, &e)) {
        diag_error("%s", e.msg);
        return EXIT_INDETERMINATE;
    }
    diag_verbose(1, "%zu protection groups in project %s", n, ss->lv.ep.project_id);
    fr.total = n;
    fr.res = calloc(n ? n : 1, sizeof *fr.res);
    for (size_t i = 0; fr.res && i < n; i++)
        if (!fleet_add(fl, fr.ids[i]))
            code = EXIT_INDETERMINATE;
    if (!fr.res || code) {
        diag_error("out of memory");
        code = EXIT_INDETERMINATE;
        goto out;
    }
    if (api_fetch_many(ss->lv.session, (const char *const *)fr.ids, n, fr.res, on_group_done, &fr,
                       &e)) {
        diag_error("%s", e.msg);
        code = EXIT_INDETERMINATE;
        goto out;
    }
    code = fr.code;
out:
    for (size_t i = 0; fr.res && i < n; i++)
        api_result_clear(&fr.res[i]);
    free(fr.res);
    api_ids_free(fr.ids, n);
    return code;
}

int app_fleet(const struct app_opts *o)
{
    struct render_opts ro = {.color = use_color(o), .verbose = o->verbose, .quiet = o->quiet};
    struct session ss;
    struct fleet fl = {0};
    struct buf out;
    int code;

    buf_init(&out, 0);
    if (o->format && strcmp(o->format, "text") != 0 && strcmp(o->format, "json") != 0) {
        diag_error("a fleet check writes --format text or json, not '%s'", o->format);
        return EXIT_USAGE;
    }
    snprintf(fl.action, sizeof fl.action, "%s", o->action);
    util_format_time(report_time(), fl.generated_at, sizeof fl.generated_at);
    if ((code = session_prepare(o, &ss)) != 0)
        goto out;
    code = o->snapshot_dir ? fleet_offline(o, &ss, &fl) : fleet_live(o, &ss, &fl);
    if (code)
        goto out;
    for (size_t i = 0; i < fl.n; i++)
        if ((code = audit(o, &(struct audit_event){.event = "decision",
                                                   .phase = "fleet",
                                                   .report = &fl.items[i].rep})) != 0)
            goto out;
    if ((o->format && strcmp(o->format, "json") == 0 ? fleet_render_json(&fl, &out)
                                                     : fleet_render_text(&fl, &ro, &out))) {
        diag_error("out of memory while rendering the fleet report");
        code = EXIT_INDETERMINATE;
        goto out;
    }
    code = write_output(o, &out);
    if (!code)
        code = fleet_exit_code(&fl);
out:
    buf_free(&out);
    fleet_clear(&fl);
    session_clear(&ss);
    return code;
}
