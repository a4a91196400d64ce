#include "execute.h"

#include "apierr.h"
#include "jsonutil.h"
#include "vocab.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct action_spec specs[] = {
    {"failover", "failover-server-group", "failing-over", NULL, "failed-over", "error-failing-over",
     NULL},
    {"planned-failover", "reverse-server-group", "reversing", NULL, "protected", "error-reversing",
     NULL},
    {"enable-protection", "start-server-group", "starting", "reprotecting", "protected",
     "error-starting", "error-reprotecting"},
    {"disable-protection", "stop-server-group", "stopping", NULL, "available", "error-stopping",
     NULL},
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

int execute_body(const char *action, const char *current_station, struct buf *out, struct err *e)
{
    const struct action_spec *sp = execute_spec(action);
    int rc;

    if (!sp)
        return err_set(e, ERR_INVALID, "the action '%s' cannot be executed", action ? action : "");
    if (strcmp(sp->key, "reverse-server-group") == 0) {
        const char *to;
        if (current_station && strcmp(current_station, "source") == 0)
            to = "target";
        else if (current_station && strcmp(current_station, "target") == 0)
            to = "source";
        else
            return err_set(e, ERR_INVALID,
                           "a planned failover needs the group's priority_station (source or "
                           "target), got '%s'",
                           current_station ? current_station : "none");
        rc = buf_printf(out, "{\"%s\": {\"priority_station\": \"%s\"}}", sp->key, to);
    } else {
        rc = buf_printf(out, "{\"%s\": {}}", sp->key);
    }
    return rc ? err_set(e, rc, "out of memory") : 0;
}

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

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool is(const char *s, const char *a)
{
    return s && a && strcmp(s, a) == 0;
}

/* Copies text from the API (NULL: "") as one printable line: it ends up on a terminal. */
static void clean(char *out, size_t size, const char *s)
{
    apierr_sanitize(s, s ? strlen(s) : 0, out, size);
}

/* Sleeps a poll interval, but not past the deadline (monotonic ms). */
static void sleep_until_next(const struct exec_opts *o, long long deadline)
{
    long long left = deadline - http_now_ms();

    sleep_ms(left < o->poll_interval_ms ? (long)(left > 0 ? left : 0) : o->poll_interval_ms);
}

/* Reads the group's status and priority_station (made printable). Returns false when it cannot. */
static bool read_group(struct api_session *s, const char *group_id, char *status, size_t ssize,
                       char *station, size_t tsize)
{
    struct api_response r;
    struct json_object *o = NULL, *g;
    struct err e = {0};
    char path[160];
    bool ok = false;

    snprintf(path, sizeof path, "/server-groups/%s", group_id);
    if (api_call(s, "GET", path, NULL, &r, &e) || r.error || r.status != 200)
        goto out;
    if (api_response_json(s, &r, "group", &o, &e) || !jsonutil_get(o, "server_group", &g) ||
        !jsonutil_get_str(g, "status"))
        goto out;
    clean(status, ssize, jsonutil_get_str(g, "status"));
    clean(station, tsize, jsonutil_get_str(g, "priority_station"));
    ok = true;
out:
    json_object_put(o);
    api_response_clear(&r);
    return ok;
}

static void progress(const struct exec_opts *o, struct exec_progress *p)
{
    if (o->progress)
        o->progress(o->progress_ud, p);
}

/* Copies the description of the first failed sub-job (made printable). */
static void failed_subjob(struct json_object *job, struct exec_result *out, size_t *n, size_t *done,
                          size_t *failed)
{
    struct json_object *ent, *subs;

    *n = *done = *failed = 0;
    if (!jsonutil_get(job, "entities", &ent) || !jsonutil_get(ent, "sub_jobs", &subs) ||
        !json_object_is_type(subs, json_type_array))
        return;
    *n = json_object_array_length(subs);
    for (size_t i = 0; i < *n; i++) {
        struct json_object *sj = json_object_array_get_idx(subs, i);
        const char *st = jsonutil_get_str(sj, "status");
        const char *id = jsonutil_get_str(sj, "job_id") ? jsonutil_get_str(sj, "job_id")
                                                        : jsonutil_get_str(sj, "id");
        if (is(st, "SUCCESS"))
            (*done)++;
        if (!is(st, "FAIL"))
            continue;
        if ((*failed)++ == 0) {
            char line[sizeof out->failed_subjob];
            snprintf(
                line, sizeof line, "%s %s: %s %s",
                jsonutil_get_str(sj, "job_type") ? jsonutil_get_str(sj, "job_type") : "sub-job",
                id ? id : "?",
                jsonutil_get_str(sj, "error_code") ? jsonutil_get_str(sj, "error_code") : "",
                jsonutil_get_str(sj, "fail_reason") ? jsonutil_get_str(sj, "fail_reason") : "");
            clean(out->failed_subjob, sizeof out->failed_subjob, line);
        }
    }
}

/* Polls the job until it ends or the deadline passes. */
static void follow_job(struct api_session *s, const struct exec_opts *o, long long start,
                       struct exec_result *out)
{
    char path[200], last[32] = "";
    size_t last_done = (size_t)-1;

    snprintf(path, sizeof path, "/jobs/%s", out->job_id);
    for (;;) {
        struct api_response r;
        struct json_object *job = NULL;
        struct exec_progress p = {0};
        struct err e = {0};
        char st[32];
        size_t n, done, failed;
        enum vocab_class cls;

        if (http_now_ms() - start >= o->job_timeout_ms) {
            out->outcome = EXEC_TIMEOUT;
            return;
        }
        sleep_until_next(o, start + o->job_timeout_ms);
        p.elapsed_ms = (long)(http_now_ms() - start);
        if (api_call(s, "GET", path, NULL, &r, &e) || r.error || r.status != 200 ||
            api_response_json(s, &r, "job", &job, &e) || !jsonutil_get_str(job, "status")) {
            p.poll_failed = true;
            p.note = e.msg[0]          ? e.msg /* not sent, or not JSON */
                     : r.error         ? r.message
                     : r.status != 200 ? (r.detail[0] ? r.detail : "no answer")
                                       : "the answer is not a job";
            progress(o, &p);
            json_object_put(job);
            api_response_clear(&r);
            continue; /* the HTTP layer already retried; the job goes on regardless */
        }
        clean(st, sizeof st, jsonutil_get_str(job, "status"));
        failed_subjob(job, out, &n, &done, &failed);
        p.status = st;
        p.subjobs = n;
        p.subjobs_done = done;
        p.subjobs_failed = failed;
        if (strcmp(last, st) != 0 || done != last_done) {
            progress(o, &p);
            snprintf(last, sizeof last, "%s", st);
            last_done = done;
        }
        cls = vocab_classify("job.status", jsonutil_get_str(job, "status"));
        if (cls == VOCAB_UNRECOGNISED) {
            /* a status the documentation does not list tells neither success nor failure */
            out->outcome = EXEC_UNKNOWN;
            say(out,
                "job %s reports status \"%s\", which the documentation does not list (SUCCESS, "
                "FAIL, RUNNING, INIT): its outcome is not known. Query GET "
                "/v1/{project_id}/jobs/%s and check the group's status before doing anything else",
                out->job_id, st, out->job_id);
            json_object_put(job);
            api_response_clear(&r);
            return;
        }
        if (cls == VOCAB_FINE || cls == VOCAB_BLOCKS) {
            out->outcome = cls == VOCAB_FINE ? EXEC_SUCCESS : EXEC_FAILED;
            clean(out->error_code, sizeof out->error_code, jsonutil_get_str(job, "error_code"));
            clean(out->fail_reason, sizeof out->fail_reason, jsonutil_get_str(job, "fail_reason"));
            json_object_put(job);
            api_response_clear(&r);
            return;
        }
        json_object_put(job);
        api_response_clear(&r);
    }
}

/* Follows an accepted action through the group's status (no job id to poll). */
static void follow_group(struct api_session *s, const char *group_id, const struct action_spec *sp,
                         const struct exec_opts *o, long long start, struct exec_result *out)
{
    char status[64], station[32], last[64] = "";

    for (;;) {
        struct exec_progress p = {0};
        long long now = http_now_ms();

        if (now - start >= o->job_timeout_ms) {
            out->outcome = EXEC_TIMEOUT;
            return;
        }
        p.elapsed_ms = (long)(now - start);
        if (!read_group(s, group_id, status, sizeof status, station, sizeof station)) {
            p.poll_failed = true;
            p.note = "the group could not be read";
            progress(o, &p);
        } else {
            p.status = status;
            if (strcmp(status, last) != 0)
                progress(o, &p);
            snprintf(last, sizeof last, "%s", status);
            if (is(status, sp->success)) {
                out->outcome = EXEC_SUCCESS;
                return;
            }
            if (is(status, sp->failure) || is(status, sp->failure2)) {
                out->outcome = EXEC_FAILED;
                snprintf(out->fail_reason, sizeof out->fail_reason, "the group's status became %s",
                         status);
                return;
            }
        }
        sleep_until_next(o, start + o->job_timeout_ms);
    }
}

static void finish(struct api_session *s, const char *group_id, const struct action_spec *sp,
                   const char *station_before, struct exec_result *out)
{
    bool have = read_group(s, group_id, out->status_after, sizeof out->status_after,
                           out->station_after, sizeof out->station_after);
    const char *where = have ? out->status_after : "unknown";

    switch (out->outcome) {
    case EXEC_SUCCESS:
        say(out, "%s finished: the group is now %s, production at %s", sp->action, where,
            have ? out->station_after : "unknown");
        if (have && strcmp(sp->action, "planned-failover") == 0 &&
            is(out->station_after, station_before))
            snprintf(out->message + strlen(out->message),
                     sizeof out->message - strlen(out->message), "%s",
                     " (priority_station did not change: check the group)");
        break;
    case EXEC_FAILED:
        say(out, "%s failed: %s%s%s%s%s; the group is now %s", sp->action,
            out->error_code[0] ? out->error_code : "no error code", out->fail_reason[0] ? ": " : "",
            out->fail_reason, out->failed_subjob[0] ? "; failed sub-job " : "", out->failed_subjob,
            where);
        break;
    case EXEC_TIMEOUT:
        say(out,
            "%s did not finish within the job timeout; it may still be running (group %s). "
            "Query it with GET /v1/{project_id}/jobs/%s or check the group's status",
            sp->action, where, out->job_id[0] ? out->job_id : "(no job id)");
        break;
    default:
        break;
    }
}

int execute_run(struct api_session *s, const char *group_id, const char *action,
                const char *station_before, const char *status_before, const struct exec_opts *o,
                struct exec_result *out, struct err *e)
{
    const struct action_spec *sp = execute_spec(action);
    struct exec_opts opts = *o;
    struct api_response r;
    struct json_object *resp = NULL;
    struct buf body;
    char path[160], status[64], station[32];
    long long start;
    int rc;

    memset(out, 0, sizeof *out);
    buf_init(&body, 0);
    if (opts.poll_interval_ms <= 0)
        opts.poll_interval_ms = 5000;
    if (opts.job_timeout_ms <= 0)
        opts.job_timeout_ms = 3600000;
    if ((rc = execute_body(action, station_before, &body, e)) != 0)
        return rc;
    snprintf(path, sizeof path, "/server-groups/%s/action", group_id);
    start = http_now_ms();
    rc = api_call(s, "POST", path, body.data, &r, e);
    buf_free(&body);
    if (rc)
        return rc;
    if (r.error && !r.maybe_sent) {
        out->outcome = EXEC_NOT_SENT;
        say(out, "%s was not sent: %s (%s); nothing was changed", action, r.message, r.label);
        goto done;
    }
    if (r.error) {
        /* It may have reached SDRS: never send it again, look at the group instead. */
        if (!read_group(s, group_id, status, sizeof status, station, sizeof station)) {
            out->outcome = EXEC_UNKNOWN;
            say(out,
                "the outcome of %s is unknown: %s, and the group could not be read. It was "
                "not sent again; check the group's status and the SDRS task center before "
                "trying again",
                action, r.message);
            goto done;
        }
        if (is(status, status_before) && is(station, station_before)) {
            out->outcome = EXEC_NOT_ACCEPTED;
            say(out,
                "%s got no answer (%s) and SDRS did not start it: the group is still %s; "
                "nothing changed",
                action, r.message, status);
            goto done;
        }
        if (!(is(status, sp->transient) || is(status, sp->transient2) || is(status, sp->success) ||
              is(status, sp->failure) || is(status, sp->failure2))) {
            out->outcome = EXEC_UNKNOWN;
            say(out, "the outcome of %s is unknown: %s, and the group is now %s", action, r.message,
                status);
            goto done;
        }
        follow_group(s, group_id, sp, &opts, start, out);
        finish(s, group_id, sp, station_before, out);
        goto done;
    }
    if (r.status < 200 || r.status >= 300) {
        out->outcome = EXEC_REFUSED;
        snprintf(out->error_code, sizeof out->error_code, "%s", r.code);
        say(out, "SDRS refused %s (%s); nothing was started", action, r.detail);
        goto done;
    }
    if (jsonutil_parse(buf_str(&r.body), r.body.len, "action answer", 16, &resp, e) == 0 &&
        jsonutil_get_str(resp, "job_id") && api_id_valid(jsonutil_get_str(resp, "job_id"))) {
        snprintf(out->job_id, sizeof out->job_id, "%s", jsonutil_get_str(resp, "job_id"));
        follow_job(s, &opts, start, out);
    } else {
        err_clear(e);
        follow_group(s, group_id, sp, &opts, start, out);
    }
    finish(s, group_id, sp, station_before, out);
done:
    out->elapsed_ms = (long)(http_now_ms() - start);
    json_object_put(resp);
    api_response_clear(&r);
    return 0;
}
