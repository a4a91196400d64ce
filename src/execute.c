#include "execute.h"

#include "util.h"
#include "vocab.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct action_spec specs[] = {
    {"failover", "failover-server-group", false, "failing-over", NULL, "failed-over",
     "error-failing-over", NULL},
    {"planned-failover", "reverse-server-group", true, "reversing", NULL, "protected",
     "error-reversing", NULL},
    {"enable-protection", "start-server-group", false, "starting", "reprotecting", "protected",
     "error-starting", "error-reprotecting"},
    {"disable-protection", "stop-server-group", false, "stopping", NULL, "available",
     "error-stopping", NULL},
};

const struct action_spec *execute_spec(const char *action)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (action && strcmp(specs[i].action, action) == 0)
            return &specs[i];
    return NULL;
}

const char *exec_outcome_name(enum exec_outcome o)
{
    static const char *const names[] = {"success",  "failed",       "timeout", "refused",
                                        "not-sent", "not-accepted", "unknown"};
    return names[o];
}

/* ---- the operations over an API session ------------------------------------------------------ */

static int api_read_group_op(void *ud, struct api_group_state *out, struct err *e)
{
    const struct exec_api_ctx *c = ud;

    return api_read_group(c->s, c->group_id, out, e);
}

static int api_post_op(void *ud, const char *key, const char *station, struct api_post *out,
                       struct err *e)
{
    const struct exec_api_ctx *c = ud;

    return api_post_action(c->s, c->group_id, key, station, out, e);
}

static int api_job_op(void *ud, const char *job_id, struct api_job *out, struct err *e)
{
    const struct exec_api_ctx *c = ud;

    return api_read_job(c->s, job_id, out, e);
}

static long long real_now_ms(void *ud)
{
    (void)ud;
    return util_now_ms();
}

static void real_sleep_ms(void *ud, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    (void)ud;
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void execute_api_ops(struct exec_api_ctx *ctx, struct exec_ops *out)
{
    *out = (struct exec_ops){.ud = ctx,
                             .read_group = api_read_group_op,
                             .post_action = api_post_op,
                             .read_job = api_job_op,
                             .now_ms = real_now_ms,
                             .sleep_ms = real_sleep_ms};
}

/* ---- the state machine ----------------------------------------------------------------------- */

/* One run: its operations, options and result. */
struct run {
    const struct exec_ops *ops;
    const struct exec_opts *o;
    const struct action_spec *sp;
    struct exec_result *out;
    long long start;
};

/* Sets out->message (truncated to fit). */
static void say(struct exec_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(struct exec_result *out, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
}

static bool is(const char *s, const char *a)
{
    return s && a && strcmp(s, a) == 0;
}

static long long now(const struct run *r)
{
    return r->ops->now_ms(r->ops->ud);
}

static void progress(const struct run *r, struct exec_progress *p)
{
    if (r->o->progress)
        r->o->progress(r->o->progress_ud, p);
}

/* Sleeps a poll interval, but not past the job timeout. */
static void sleep_until_next(const struct run *r)
{
    long long left = r->start + r->o->job_timeout_ms - now(r);

    r->ops->sleep_ms(r->ops->ud, left < r->o->poll_interval_ms ? (long)(left > 0 ? left : 0)
                                                               : r->o->poll_interval_ms);
}

/* Follows the job until it ends, the time runs out, or it reports an undocumented status. */
static void follow_job(struct run *r)
{
    struct exec_result *out = r->out;
    char last[32] = "";
    size_t last_done = (size_t)-1;

    for (;;) {
        struct exec_progress p = {0};
        struct api_job job;
        struct err e = {0};

        if (now(r) - r->start >= r->o->job_timeout_ms) {
            out->outcome = EXEC_TIMEOUT;
            return;
        }
        sleep_until_next(r);
        p.elapsed_ms = (long)(now(r) - r->start);
        if (r->ops->read_job(r->ops->ud, out->job_id, &job, &e)) {
            p.poll_failed = true;
            p.note = e.msg;
            progress(r, &p);
            continue; /* the HTTP layer already retried; the job goes on regardless */
        }
        if (job.cls == VOCAB_UNRECOGNISED) {
            /* a status the documentation does not list tells neither success nor failure */
            out->outcome = EXEC_UNKNOWN;
            say(out,
                "job %s reports status \"%s\", which the documentation does not list (SUCCESS, "
                "FAIL, RUNNING, INIT): its outcome is not known. Query GET "
                "/v1/{project_id}/jobs/%s and check the group's status before doing anything else",
                out->job_id, job.status, out->job_id);
            return;
        }
        p.status = job.status;
        p.subjobs = job.subjobs;
        p.subjobs_done = job.subjobs_done;
        p.subjobs_failed = job.subjobs_failed;
        if (strcmp(last, job.status) != 0 || job.subjobs_done != last_done) {
            progress(r, &p);
            snprintf(last, sizeof last, "%s", job.status);
            last_done = job.subjobs_done;
        }
        if (job.cls == VOCAB_FINE || job.cls == VOCAB_BLOCKS) {
            out->outcome = job.cls == VOCAB_FINE ? EXEC_SUCCESS : EXEC_FAILED;
            snprintf(out->error_code, sizeof out->error_code, "%s", job.error_code);
            snprintf(out->fail_reason, sizeof out->fail_reason, "%s", job.fail_reason);
            snprintf(out->failed_subjob, sizeof out->failed_subjob, "%s", job.failed_subjob);
            return;
        }
    }
}

/* Follows an accepted action through the group's status (no job id to poll). */
static void follow_group(struct run *r)
{
    struct exec_result *out = r->out;
    char last[64] = "";

    for (;;) {
        struct exec_progress p = {0};
        struct api_group_state g;
        struct err e = {0};

        if (now(r) - r->start >= r->o->job_timeout_ms) {
            out->outcome = EXEC_TIMEOUT;
            return;
        }
        p.elapsed_ms = (long)(now(r) - r->start);
        if (r->ops->read_group(r->ops->ud, &g, &e)) {
            p.poll_failed = true;
            p.note = "the group could not be read";
            progress(r, &p);
        } else {
            p.status = g.status;
            if (strcmp(g.status, last) != 0)
                progress(r, &p);
            snprintf(last, sizeof last, "%s", g.status);
            if (is(g.status, r->sp->success)) {
                out->outcome = EXEC_SUCCESS;
                return;
            }
            if (is(g.status, r->sp->failure) || is(g.status, r->sp->failure2)) {
                out->outcome = EXEC_FAILED;
                return;
            }
        }
        sleep_until_next(r);
    }
}

/* The group after the end, and the message for people. */
static void finish(struct run *r, const char *station_before)
{
    struct exec_result *out = r->out;
    struct api_group_state g;
    struct err e = {0};
    bool have = r->ops->read_group(r->ops->ud, &g, &e) == 0;
    const char *where = have ? g.status : "unknown";

    if (have) {
        snprintf(out->status_after, sizeof out->status_after, "%s", g.status);
        snprintf(out->station_after, sizeof out->station_after, "%s", g.station);
    }
    switch (out->outcome) {
    case EXEC_SUCCESS:
        say(out, "%s finished: the group is now %s, production at %s", r->sp->action, where,
            have ? g.station : "unknown");
        if (have && r->sp->names_station && is(g.station, station_before))
            snprintf(out->message + strlen(out->message),
                     sizeof out->message - strlen(out->message), "%s",
                     " (priority_station did not change: check the group)");
        break;
    case EXEC_FAILED:
        say(out, "%s failed: %s%s%s%s%s; the group is now %s", r->sp->action,
            out->error_code[0] ? out->error_code : "no error code", out->fail_reason[0] ? ": " : "",
            out->fail_reason, out->failed_subjob[0] ? "; failed sub-job " : "", out->failed_subjob,
            where);
        break;
    case EXEC_TIMEOUT:
        say(out,
            "%s did not finish within the job timeout; it may still be running (group %s). "
            "Query it with GET /v1/{project_id}/jobs/%s or check the group's status",
            r->sp->action, where, out->job_id[0] ? out->job_id : "(no job id)");
        break;
    default:
        break;
    }
}

/* A POST without an answer: the group tells whether SDRS took it. Never sent again. */
static void unclear_send(struct run *r, const struct api_post *post, const char *station_before,
                         const char *status_before)
{
    struct exec_result *out = r->out;
    struct api_group_state g;
    struct err e = {0};

    if (r->ops->read_group(r->ops->ud, &g, &e)) {
        out->outcome = EXEC_UNKNOWN;
        say(out,
            "the outcome of %s is unknown: %s, and the group could not be read (%s). It was not "
            "sent again; check the group's status and the SDRS task center before trying again",
            r->sp->action, post->detail, e.msg);
        return;
    }
    if (is(g.status, status_before) && is(g.station, station_before)) {
        out->outcome = EXEC_NOT_ACCEPTED;
        say(out,
            "%s got no answer (%s) and SDRS did not start it: the group is still %s; nothing "
            "changed",
            r->sp->action, post->detail, g.status);
        return;
    }
    if (!(is(g.status, r->sp->transient) || is(g.status, r->sp->transient2) ||
          is(g.status, r->sp->success) || is(g.status, r->sp->failure) ||
          is(g.status, r->sp->failure2))) {
        out->outcome = EXEC_UNKNOWN;
        say(out, "the outcome of %s is unknown: %s, and the group is now %s", r->sp->action,
            post->detail, g.status);
        return;
    }
    follow_group(r);
    finish(r, station_before);
}

int execute_run(const struct exec_ops *ops, const char *action, const char *station_before,
                const char *status_before, const struct exec_opts *o, struct exec_result *out,
                struct err *e)
{
    const struct action_spec *sp = execute_spec(action);
    struct exec_opts opts = *o;
    struct run r = {.ops = ops, .o = &opts, .sp = sp, .out = out};
    const char *to = NULL;
    struct api_post post;
    int rc;

    memset(out, 0, sizeof *out);
    if (!sp)
        return err_set(e, ERR_INVALID, "the action '%s' cannot be executed", action ? action : "");
    if (opts.poll_interval_ms <= 0)
        opts.poll_interval_ms = 5000;
    if (opts.job_timeout_ms <= 0)
        opts.job_timeout_ms = 3600000;
    if (sp->names_station) {
        if (is(station_before, "source"))
            to = "target";
        else if (is(station_before, "target"))
            to = "source";
        else
            return err_set(e, ERR_INVALID,
                           "a planned failover needs the group's priority_station (source or "
                           "target), got '%s'",
                           station_before ? station_before : "none");
    }
    r.start = now(&r);
    if ((rc = ops->post_action(ops->ud, sp->key, to, &post, e)) != 0)
        return rc; /* not submitted: nothing was sent */
    out->posts = 1;
    switch (post.kind) {
    case API_POST_NOT_SENT:
        out->outcome = EXEC_NOT_SENT;
        say(out, "%s was not sent: %s (%s); nothing was changed", action, post.detail, post.label);
        break;
    case API_POST_NO_ANSWER:
        unclear_send(&r, &post, station_before, status_before);
        break;
    case API_POST_REFUSED:
        out->outcome = EXEC_REFUSED;
        snprintf(out->error_code, sizeof out->error_code, "%s", post.code);
        say(out, "SDRS refused %s (%s); nothing was started", action, post.detail);
        break;
    case API_POST_ACCEPTED:
        snprintf(out->job_id, sizeof out->job_id, "%s", post.job_id);
        follow_job(&r);
        finish(&r, station_before);
        break;
    case API_POST_NO_JOB:
        follow_group(&r);
        finish(&r, station_before);
        break;
    }
    out->elapsed_ms = (long)(now(&r) - r.start);
    return 0;
}
