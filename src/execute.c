#include "execute.h"

#include "util.h"
#include "vocab.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *exec_outcome_name(enum exec_outcome o)
{
    static const char *const names[] = {"success",  "failed",   "timeout", "refused",
                                        "not-sent", "not-seen", "unknown", "unverified"};
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
        out->job = job;
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

/* True when status is one the action moves the group through or ends in. */
static bool action_status(const struct action_spec *sp, const char *status)
{
    return is(status, sp->transient) || is(status, sp->transient2) || is(status, sp->success) ||
           is(status, sp->failure) || is(status, sp->failure2);
}

/* Follows the group once it has moved, to the end. */
static void follow_moved(struct run *r, const char *station_before)
{
    follow_group(r);
    finish(r, station_before);
}

/* An answer that does not tell whether SDRS took the action: the group tells. It is read until it
 * shows the action's transitional or final status (then followed to the end), or until the accept
 * window has passed. A stale read that still shows the old status only means "not yet". Never
 * sent again. */
static void watch_group(struct run *r, const char *why, const char *station_before,
                        const char *status_before)
{
    struct exec_result *out = r->out;
    long long deadline = now(r) + r->o->accept_window_ms;
    struct api_group_state g;
    char last_error[sizeof((struct err *)0)->msg] = "";
    int failed = 0;

    memset(&g, 0, sizeof g);
    for (;;) {
        struct exec_progress p = {0};
        struct err e = {0};

        p.elapsed_ms = (long)(now(r) - r->start);
        if (r->ops->read_group(r->ops->ud, &g, &e) == 0) {
            out->group_reads++;
            p.status = g.status;
            progress(r, &p);
            if (!is(g.status, status_before) || !is(g.station, station_before)) {
                if (action_status(r->sp, g.status)) {
                    follow_moved(r, station_before);
                    return;
                }
                out->outcome = EXEC_UNKNOWN;
                snprintf(out->status_after, sizeof out->status_after, "%s", g.status);
                snprintf(out->station_after, sizeof out->station_after, "%s", g.station);
                say(out,
                    "the outcome of %s is unknown: %s, and the group is now %s (production at "
                    "%s), a status %s does not lead to. It was not sent again; check the group "
                    "and the SDRS task center before doing anything else",
                    r->sp->action, why, g.status, g.station, r->sp->action);
                return;
            }
        } else {
            failed++;
            snprintf(last_error, sizeof last_error, "%s", e.msg);
            p.poll_failed = true;
            p.note = last_error;
            progress(r, &p);
        }
        if (now(r) >= deadline)
            break;
        {
            long long left = deadline - now(r);
            r->ops->sleep_ms(r->ops->ud,
                             left < r->o->poll_interval_ms ? (long)left : r->o->poll_interval_ms);
        }
    }
    out->outcome = EXEC_NOT_SEEN;
    if (out->group_reads)
        say(out,
            "%s was not seen to start within %ld s: %s, and the group still shows %s, production "
            "at %s (%d read%s%s). It was not sent again, and SDRS may still start it: watch the "
            "group (sdrs-preflight check GROUP_ID) and the SDRS task center before doing anything "
            "else",
            r->sp->action, r->o->accept_window_ms / 1000, why, g.status, g.station,
            out->group_reads, out->group_reads == 1 ? "" : "s",
            failed ? ", some reads failed" : "");
    else
        say(out,
            "%s was not seen to start within %ld s: %s, and the group could not be read (%s). "
            "It was not sent again, and SDRS may have started it: check the group and the SDRS "
            "task center before doing anything else",
            r->sp->action, r->o->accept_window_ms / 1000, why, last_error);
}

/* SDRS refused the action with its own code: one read of the group confirms that it did not move
 * (a refusal is not taken on trust either). */
static void refused(struct run *r, const char *station_before, const char *status_before)
{
    struct exec_result *out = r->out;
    const struct api_post *post = &out->post;
    struct api_group_state g;
    struct err e = {0};

    snprintf(out->error_code, sizeof out->error_code, "%s", post->code);
    if (r->ops->read_group(r->ops->ud, &g, &e) != 0) {
        watch_group(r, post->detail, station_before, status_before);
        return;
    }
    out->group_reads++;
    if (!is(g.status, status_before) || !is(g.station, station_before)) {
        if (action_status(r->sp, g.status)) {
            follow_moved(r, station_before);
            return;
        }
    }
    out->outcome = EXEC_REFUSED;
    snprintf(out->status_after, sizeof out->status_after, "%s", g.status);
    snprintf(out->station_after, sizeof out->station_after, "%s", g.station);
    say(out, "SDRS refused %s (HTTP %d, %s); the group shows %s, production at %s", r->sp->action,
        post->status, post->detail, g.status, g.station);
}

int execute_run(const struct exec_ops *ops, const char *action, const char *station_before,
                const char *status_before, const struct exec_opts *o, struct exec_result *out,
                struct err *e)
{
    const struct action_spec *sp = action_spec(action);
    struct exec_opts opts = *o;
    struct run r = {.ops = ops, .o = &opts, .sp = sp, .out = out};
    const struct api_post *post;
    const char *to = NULL;
    char why[700];
    int rc;

    memset(out, 0, sizeof *out);
    if (!sp)
        return err_set(e, ERR_INVALID, "the action '%s' cannot be executed", action ? action : "");
    if (opts.poll_interval_ms <= 0)
        opts.poll_interval_ms = 5000;
    if (opts.job_timeout_ms <= 0)
        opts.job_timeout_ms = 3600000;
    if (opts.accept_window_ms <= 0)
        opts.accept_window_ms = 120000;
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
    out->posted_ms = r.start;
    if ((rc = ops->post_action(ops->ud, sp->key, to, &out->post, e)) != 0)
        return rc; /* not submitted: nothing was sent */
    out->posts = 1;
    post = &out->post;
    switch (post->kind) {
    case API_POST_NOT_SENT:
        out->outcome = EXEC_NOT_SENT;
        say(out, "%s was not sent: %s (%s); nothing reached SDRS", action, post->detail,
            post->label);
        break;
    case API_POST_REFUSED:
        refused(&r, station_before, status_before);
        break;
    case API_POST_UNCLEAR:
        snprintf(why, sizeof why, "SDRS answered HTTP %d (%s)", post->status, post->detail);
        watch_group(&r, why, station_before, status_before);
        break;
    case API_POST_NO_ANSWER:
        snprintf(why, sizeof why, "no answer came (%s)", post->detail);
        watch_group(&r, why, station_before, status_before);
        break;
    case API_POST_NO_JOB:
        snprintf(why, sizeof why, "SDRS answered HTTP %d without a job id", post->status);
        watch_group(&r, why, station_before, status_before);
        break;
    case API_POST_ACCEPTED:
        snprintf(out->job_id, sizeof out->job_id, "%s", post->job_id);
        follow_job(&r);
        finish(&r, station_before);
        break;
    }
    out->elapsed_ms = (long)(now(&r) - r.start);
    return 0;
}
