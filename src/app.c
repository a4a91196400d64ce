/* The plumbing the commands share: sessions, snapshots, evaluation, reports, files, audit. */
#include "app.h"

#include "api.h"
#include "auditlog.h"
#include "diag.h"
#include "facts.h"
#include "util.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void app_opts_init(struct app_opts *o)
{
    memset(o, 0, sizeof *o);
    o->action = "failover";
    o->limits = (struct snapshot_limits)SNAPSHOT_LIMITS_DEFAULT;
    http_opts_init(&o->live.http);
    o->live.page_limit = API_DEFAULT_PAGE_LIMIT;
}

int app_exit_code(int err)
{
    switch (err) {
    case 0:
        return EXIT_GO;
    case ERR_PARSE:
    case ERR_INVALID:
    case ERR_IO:
    case ERR_LIMIT:
        return EXIT_USAGE;
    default:
        break;
    }
    return EXIT_INDETERMINATE;
}

int app_fail(int code, const struct err *e)
{
    if (e && e->msg[0])
        diag_error("%s", e->msg);
    return app_exit_code(e && e->code ? e->code : code);
}

long long app_report_time(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    long long t;

    if (s && util_parse_int(s, &t) && t >= 0)
        return t;
    return (long long)time(NULL);
}

bool app_use_color(const struct app_opts *o)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

    if (o->out.no_color || (nc && *nc) || (o->out.output && strcmp(o->out.output, "-") != 0))
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(STDOUT_FILENO);
}

/* ---- files ----------------------------------------------------------------------------------- */

/* The file of dir ending in suffix that path names, or NULL (an owned path when found). */
static char *dir_member(const char *dir, const char *suffix, const char *path)
{
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *de;
    char *found = NULL;

    while (d && !found && (de = readdir(d))) {
        size_t n = strlen(de->d_name), k = strlen(suffix);
        struct buf member;

        if (n <= k || strcmp(de->d_name + n - k, suffix) != 0)
            continue;
        buf_init(&member, 0);
        if (!buf_printf(&member, "%s/%s", dir, de->d_name) &&
            util_same_file(path, buf_str(&member)))
            found = buf_take(&member);
        buf_free(&member);
    }
    if (d)
        closedir(d);
    return found;
}

int app_write_file(const struct app_opts *o, const char *what, const char *path,
                   const struct buf *b)
{
    const char *inputs[] = {o->in.snapshot,       o->in.facts,   o->in.token_file,
                            o->in.save_snapshot,  o->in.waivers, o->in.approved_report,
                            o->out.audit_log,     o->out.output, o->live.http.cacert,
                            o->out.audit_key_file};
    struct err e = {0};

    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        if (inputs[i] && inputs[i] != path && util_same_file(path, inputs[i])) {
            diag_error("refusing to write the %s over the input file '%s'", what, inputs[i]);
            return EXIT_USAGE;
        }
    }
    /* the rule files of --rules and the snapshots of --snapshot-dir are inputs too */
    for (size_t i = 0; i <= o->in.nrule_dirs; i++) {
        bool rules = i < o->in.nrule_dirs;
        char *member = rules && util_same_file(path, o->in.rule_dirs[i])
                           ? util_strdup(o->in.rule_dirs[i]) /* --rules FILE */
                           : dir_member(rules ? o->in.rule_dirs[i] : o->in.snapshot_dir,
                                        rules ? ".lua" : ".json", path);
        if (member) {
            diag_error("refusing to write the %s over the input file '%s'", what, member);
            free(member);
            return EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < o->out.nreports; i++)
        if (o->out.reports[i].file != path && util_same_file(path, o->out.reports[i].file)) {
            diag_error("refusing to write the %s over '%s', which --report writes too", what,
                       o->out.reports[i].file);
            return EXIT_USAGE;
        }
    if (util_write_file_atomic(path, buf_str(b), b->len, 0644, &e))
        return app_fail(ERR_IO, &e); /* a directory is ERR_INVALID: exit 2 as well */
    diag_verbose(1, "%s written to '%s'", what, path);
    return 0;
}

int app_audit_key_load(struct app_opts *o, struct auditlog_key *k)
{
    struct err e = {0};
    bool shared;

    if (!o->out.audit_key_file)
        return 0;
    if (auditlog_key_load(o->out.audit_key_file, k, &shared, &e))
        return app_fail(ERR_INVALID, &e);
    if (shared)
        diag_alert("the audit key file '%s' may be read by others than its owner (chmod 600 it): "
                   "whoever reads the key can re-chain an edited log",
                   o->out.audit_key_file);
    o->out.audit_key = k;
    return 0;
}

int app_write_output(const struct app_opts *o, const struct buf *b)
{
    if (!o->out.output || strcmp(o->out.output, "-") == 0) {
        if (fwrite(buf_str(b), 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
            diag_error("cannot write to standard output");
            return EXIT_USAGE;
        }
        return 0;
    }
    return app_write_file(o, "report", o->out.output, b);
}

int app_audit(const struct app_opts *o, struct audit_event *ev)
{
    struct err e = {0};
    char head[UTIL_SHA256_HEX];

    if (!o->out.audit_log)
        return 0;
    ev->command = o->command;
    ev->time = (long long)time(NULL);
    if (auditlog_record(o->out.audit_log, o->out.audit_key, ev, head, &e))
        return app_fail(ERR_IO, &e);
    diag_verbose(1, "audit log '%s': %s recorded, head %.16s…", o->out.audit_log, ev->event, head);
    return 0;
}

/* ---- a decision ------------------------------------------------------------------------------ */

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

/* The rule catalogue; while a snapshot is read beside it (reading), with one thread fewer, so that
 * the read, the longer of the two, keeps a processor. */
static int open_engine(const struct app_opts *o, bool reading, struct engine **out)
{
    struct engine_opts eo = o->engine;
    struct err e = {0};

    eo.log = engine_logger;
    eo.load_jobs = reading ? -1 : 0;
    if (engine_new(&eo, out, &e))
        return app_fail(ERR_INVALID, &e);
    for (size_t i = 0; i < o->in.nrule_dirs; i++) {
        if (engine_add_rules(*out, o->in.rule_dirs[i], &e)) {
            engine_free(*out);
            *out = NULL;
            return app_fail(ERR_INVALID, &e);
        }
    }
    return 0;
}

/* ---- the snapshot file, read beside the rules --------------------------------------------- */

/* An offline decision reads its snapshot (the file, its digest, the parse and the checks) while
 * the rules load: the two take about the same time and need nothing of each other. */
struct snapshot_read {
    pthread_t thread;
    const char *path;
    struct snapshot_limits lim;
    struct snapshot *snap;
    struct err e;
    int rc;
    long long us; /* how long the read took */
};

static void *snapshot_read_run(void *arg)
{
    struct snapshot_read *r = arg;
    long long t0 = util_now_us();

    r->rc = snapshot_load_file(r->path, &r->lim, &r->snap, &r->e);
    r->us = util_now_us() - t0;
    return NULL;
}

/* Starts reading o's --snapshot; without a thread, app_decide reads it as before. */
static void snapshot_read_start(const struct app_opts *o, struct session *ss)
{
    struct snapshot_read *r;
    struct stat st;

    /* a regular file only: standard input or a pipe may not end until its writer does, and an
     * error in the facts or the rules must not wait for it */
    if (strcmp(o->in.snapshot, "-") == 0 || stat(o->in.snapshot, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if (!(r = calloc(1, sizeof *r)))
        return;
    r->path = o->in.snapshot;
    r->lim = app_limits(o);
    if (util_thread_start(&r->thread, snapshot_read_run, r) != 0) {
        free(r);
        return;
    }
    ss->pending = r;
}

/* Waits for the read of path and hands over its outcome (NULL when none is pending). */
static struct snapshot_read *snapshot_read_take(struct session *ss, const char *path)
{
    struct snapshot_read *r = ss->pending;

    if (!r || strcmp(r->path, path) != 0)
        return NULL;
    pthread_join(r->thread, NULL);
    ss->pending = NULL;
    return r;
}

int app_engine(const struct app_opts *o, struct engine **out)
{
    return open_engine(o, false, out);
}

void app_session_close(struct session *ss)
{
    if (ss->pending) {
        struct snapshot_read *r = snapshot_read_take(ss, ss->pending->path);
        snapshot_free(r->snap);
        free(r);
    }
    engine_free(ss->eng);
    facts_free(ss->facts);
    waivers_free(ss->waivers);
    app_live_close(&ss->lv);
    memset(ss, 0, sizeof *ss);
}

int app_session_open(const struct app_opts *o, struct session *ss)
{
    struct err e = {0};

    memset(ss, 0, sizeof *ss);
    if (o->in.snapshot || o->in.snapshot_dir)
        util_crypto_offline(); /* an offline check makes no request */
    if (o->in.snapshot)
        snapshot_read_start(o, ss);
    if (o->in.facts && facts_load_file(o->in.facts, &ss->facts, &e))
        return app_fail(ERR_INVALID, &e);
    if (o->in.waivers && waivers_load_file(o->in.waivers, &ss->waivers, &e))
        return app_fail(ERR_INVALID, &e);
    return open_engine(o, ss->pending != NULL, &ss->eng);
}

struct snapshot_limits app_limits(const struct app_opts *o)
{
    return o->limits;
}

/* Where a decision's time went, for -v (and the benchmark's account of the fixed costs). */
struct timings {
    long long start_us;
    long long fetch_us;    /* requests and answers, the assembly included */
    long long assemble_us; /* the document and its bytes, after the last answer */
    long long read_us;     /* checking the snapshot (and its digest), or reading the file */
    long long eval_us;     /* the rules and the report */
};

static void log_timings(const struct timings *t)
{
    if (t->fetch_us)
        diag_verbose(1,
                     "time: fetch %.1f ms (assembling the snapshot after the last answer %.1f ms), "
                     "checking the snapshot %.1f ms, rules and report %.1f ms",
                     t->fetch_us / 1e3, t->assemble_us / 1e3, t->read_us / 1e3, t->eval_us / 1e3);
    else
        diag_verbose(1, "time: reading the snapshot %.1f ms, rules and report %.1f ms",
                     t->read_us / 1e3, t->eval_us / 1e3);
}

/* The snapshot to evaluate: the file of --snapshot, or a live fetch of the group over lv (opened
 * here when it is not open yet). */
static int obtain_snapshot(const struct app_opts *o, bool save, struct session *ss,
                           struct snapshot **snap, struct timings *t)
{
    struct snapshot_limits lim = app_limits(o);
    struct fetch_result res = {0};
    struct live *lv = &ss->lv;
    struct err e = {0};
    char label[200];
    int code;

    if (o->in.snapshot) {
        struct snapshot_read *r = snapshot_read_take(ss, o->in.snapshot);
        if (r) {
            code = r->rc ? app_fail(ERR_PARSE, &r->e) : 0;
            *snap = r->snap;
            t->read_us = r->us;
            free(r);
            return code;
        }
        if (snapshot_load_file(o->in.snapshot, &lim, snap, &e))
            return app_fail(ERR_PARSE, &e);
        t->read_us = util_now_us() - t->start_us;
        return 0;
    }
    if (!lv->session && (code = app_live_open(o, lv)) != 0)
        return code;
    code = app_live_fetch(o, lv, &res);
    t->fetch_us = util_now_us() - t->start_us;
    t->assemble_us = res.assemble_us;
    if (!code && save && o->in.save_snapshot)
        code = app_write_file(o, "snapshot", o->in.save_snapshot, &res.snapshot);
    if (!code) {
        snprintf(label, sizeof label, "live fetch of group %s", o->in.group_id);
        if (snapshot_load_buffer(buf_str(&res.snapshot), res.snapshot.len, label, &lim, snap, &e)) {
            /* what the API sent could not be read: not the user's input */
            diag_error("%s", e.msg);
            code = EXIT_INDETERMINATE;
        }
        t->read_us = util_now_us() - t->start_us - t->fetch_us;
    }
    fetch_result_clear(&res);
    return code;
}

int app_evaluate(const struct app_opts *o, struct session *ss, const struct snapshot *snap,
                 struct report *rep)
{
    struct engine_input in = {snap, ss->facts, o->action};
    struct report_inputs ri = {.snap = snap,
                               .facts = ss->facts,
                               .waivers = ss->waivers,
                               .rules_sha256 = engine_rules_sha256(ss->eng),
                               .action = o->action,
                               .fail_on_warning = o->fail_on_warning,
                               .now = app_report_time()};
    struct rule_result *results = NULL;
    struct err e = {0};
    size_t nres = 0;
    int code = 0;

    if (engine_run(ss->eng, &in, &results, &nres, &e) || report_build(rep, &ri, &results, nres, &e))
        code = app_fail(ERR_NOMEM, &e);
    rule_results_free(results, nres);
    return code;
}

int app_decide_keep(const struct app_opts *o, struct session *ss, bool save, struct report *rep,
                    struct snapshot **keep)
{
    struct snapshot *snap = NULL;
    struct timings t = {.start_us = util_now_us()};
    int code;

    if (keep)
        *keep = NULL;
    if ((code = obtain_snapshot(o, save, ss, &snap, &t)) != 0)
        return code;
    t.eval_us = util_now_us();
    code = app_evaluate(o, ss, snap, rep);
    t.eval_us = util_now_us() - t.eval_us;
    log_timings(&t);
    if (keep)
        *keep = snap;
    else
        snapshot_free_at_exit(snap);
    return code;
}

int app_decide(const struct app_opts *o, struct session *ss, bool save, struct report *rep)
{
    return app_decide_keep(o, ss, save, rep, NULL);
}

/* Whether the main output is text on standard output. */
static bool live_text(const struct app_opts *o)
{
    return (!o->out.format || strcmp(o->out.format, "text") == 0) &&
           (!o->out.output || strcmp(o->out.output, "-") == 0);
}

int app_emit(const struct app_opts *o, const struct report *rep)
{
    return app_emit_part(o, rep, APP_EMIT_ALL);
}

int app_emit_part(const struct app_opts *o, const struct report *rep, enum app_emit_part part)
{
    const struct output_format *fmt =
        report_format_for(o->out.format ? o->out.format : "text", OUTPUT_REPORT);
    struct render_opts ro = {
        .color = app_use_color(o), .verbose = o->out.verbose, .quiet = o->out.quiet};
    struct render_opts plain = {.verbose = o->out.verbose};
    struct buf out;
    int code;

    buf_init(&out, 0);
    code = 0;
    if (part & (live_text(o) ? APP_EMIT_LIVE_TEXT : APP_EMIT_DOCUMENTS)) {
        if (fmt->report(rep, &ro, &out)) {
            buf_free(&out);
            diag_error("out of memory while rendering the report");
            return EXIT_INDETERMINATE;
        }
        code = app_write_output(o, &out);
    }
    /* A report that is not text on the terminal leaves a log empty: one line says the verdict and
     * its first reason (-q silences it). */
    if (!code && (part & APP_EMIT_DOCUMENTS) && !live_text(o) && !rep->execution) {
        char reason[400];
        report_first_reason(rep, reason, sizeof reason);
        diag_notice("%s: %s of group %s%s%s%s", verdict_name(rep->verdict), rep->action,
                    rep->group_id ? rep->group_id : "(unknown)", reason[0] ? ": " : "", reason,
                    reason[0] && strlen(reason) == sizeof reason - 1 ? "…" : "");
    }
    for (size_t i = 0; !code && (part & APP_EMIT_DOCUMENTS) && i < o->out.nreports; i++) {
        buf_reset(&out);
        if (report_format(o->out.reports[i].format)->report(rep, &plain, &out)) {
            diag_error("out of memory while rendering the report");
            code = EXIT_INDETERMINATE;
        } else {
            code = app_write_file(o, "report", o->out.reports[i].file, &out);
        }
    }
    buf_free(&out);
    return code;
}
