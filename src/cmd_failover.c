/* The failover command: the preflight, the approval and confirmation, the re-check, the call
 * itself and its audit; and verify-log, which reads that audit. */
#include "app.h"

#include "auditlog.h"
#include "diag.h"
#include "execute.h"
#include "runlock.h"
#include "util.h"
#include "verify.h"
#include "version.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        fputc('\r', stderr);
        diag_printf(stderr, "  job %-8s %3ld:%02ld", p->status, s / 60, s % 60);
        if (p->subjobs)
            diag_printf(stderr, "  sub-jobs %zu/%zu done%s", p->subjobs_done, p->subjobs,
                        p->subjobs_failed ? ", failed" : "");
        diag_printf(stderr, "   ");
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
    struct buf shown;
    size_t n;

    if (!isatty(STDIN_FILENO)) {
        diag_error("--execute asks for confirmation on a terminal; standard input is not one. "
                   "Give --yes to run without asking (for example in a pipeline)");
        return EXIT_USAGE;
    }
    /* The name comes from the API: it is shown as plain text, and what the operator types is
     * compared with what was shown. */
    buf_init(&shown, 0);
    if (util_put_clean(&shown, want, strlen(want))) {
        buf_free(&shown);
        diag_error("out of memory");
        return EXIT_INDETERMINATE;
    }
    fputc('\n', stderr);
    diag_printf(stderr, "About to run %s of protection group '%s' (%s) in project %s.", o->action,
                buf_str(&shown), rep->group_id ? rep->group_id : "?",
                rep->project_id ? rep->project_id : "?");
    fputc('\n', stderr);
    diag_printf(stderr, "This changes the production site. Type the group name to go ahead: ");
    if (!fgets(line, sizeof line, stdin)) {
        buf_free(&shown);
        diag_error("not confirmed; nothing was sent");
        return EXIT_NOGO;
    }
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    want = buf_str(&shown);
    if (strcmp(line, want) != 0) {
        buf_free(&shown);
        diag_error("'%s' is not the group's name: not confirmed; nothing was sent", line);
        return EXIT_NOGO;
    }
    buf_free(&shown);
    return 0;
}

/* Appends "; " and a printf-formatted phrase to why. */
static void because(struct buf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void because(struct buf *why, const char *fmt, ...)
{
    char phrase[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(phrase, sizeof phrase, fmt, ap);
    va_end(ap);
    buf_printf(why, "%s%s", why->len ? "; " : "", phrase);
}

/* A digest for a message: its first 12 digits, or "none". */
static const char *digest12(const char *d, char *out)
{
    snprintf(out, 16, "%.12s", d && *d ? d : "none");
    return out;
}

/* Whether a rule's result decides the verdict: a blocker, or a warning under --fail-on warning. */
static bool blocking(const char *severity, bool fail_on_warning)
{
    return strcmp(severity, "blocker") == 0 ||
           (fail_on_warning && strcmp(severity, "warning") == 0);
}

/* The blocking rules whose result differs between the approved report and this preflight. */
static void compare_results(const struct report_summary *ap, const struct report *rep,
                            struct buf *why)
{
    for (size_t i = 0; i < rep->nresults; i++) {
        const struct rule_result *res = &rep->results[i];
        const char *sev = severity_name(res->meta.severity), *now = result_name(res->result);
        const struct report_summary_rule *then = NULL;

        if (!blocking(sev, rep->fail_on_warning))
            continue;
        for (size_t k = 0; !then && k < ap->nrules; k++)
            if (strcmp(ap->rules[k].id, res->meta.id) == 0)
                then = &ap->rules[k];
        if (!then)
            because(why, "%s was not in it", res->meta.id);
        else if (strcmp(then->result, now) != 0)
            because(why, "%s was %s then, is %s now", res->meta.id, then->result, now);
    }
    for (size_t k = 0; k < ap->nrules; k++) {
        bool found = false;
        if (!blocking(ap->rules[k].severity, rep->fail_on_warning))
            continue;
        for (size_t i = 0; !found && i < rep->nresults; i++)
            found = strcmp(ap->rules[k].id, rep->results[i].meta.id) == 0;
        if (!found)
            because(why, "%s was in it and is not run now", ap->rules[k].id);
    }
}

/* The approved report binds the call: same group, action and project, verdict GO, and every input
 * that decided: the rules, facts and waivers digests and the result of every blocking rule. */
static int check_approval(const struct app_opts *o, const struct report *rep,
                          struct report_summary *ap)
{
    struct err e = {0};
    struct buf why;
    char a[16], b[16];
    int code = 0;

    if (report_read_summary(o->in.approved_report, ap, &e))
        return app_fail(ERR_PARSE, &e);
    buf_init(&why, 0);
    if (ap->executed)
        because(&why, "it is a post-execution report, not a preflight");
    if (strcmp(ap->verdict, "GO") != 0)
        because(&why, "its verdict is %s, not GO", ap->verdict);
    if (!rep->group_id || strcmp(ap->group_id, rep->group_id) != 0)
        because(&why, "it is about group %s, not %s", ap->group_id,
                rep->group_id ? rep->group_id : "?");
    if (strcmp(ap->action, o->action) != 0)
        because(&why, "it approves %s, not %s", ap->action, o->action);
    if (ap->project_id[0] && rep->project_id && strcmp(ap->project_id, rep->project_id) != 0)
        because(&why, "it is about project %s, not %s", ap->project_id, rep->project_id);
    if (strcmp(ap->rules_sha256, rep->rules_sha256) != 0)
        because(&why, "the rules changed since it was written (rules_sha256 %s… then, %s… now)",
                digest12(ap->rules_sha256, a), digest12(rep->rules_sha256, b));
    if (strcmp(ap->facts_sha256, rep->facts_sha256) != 0)
        because(&why, "the facts differ (facts_sha256 %s then, %s now)",
                digest12(ap->facts_sha256, a), digest12(rep->facts_sha256, b));
    if (strcmp(ap->waivers_sha256, rep->waivers_sha256) != 0)
        because(&why, "the waivers differ (waivers_sha256 %s then, %s now)",
                digest12(ap->waivers_sha256, a), digest12(rep->waivers_sha256, b));
    compare_results(ap, rep, &why);
    if (why.len) {
        diag_error("the approved report '%s' (generated %s) does not cover this call: %s. Nothing "
                   "was sent",
                   util_path_label(o->in.approved_report),
                   ap->generated_at[0] ? ap->generated_at : "at an unknown time", buf_str(&why));
        code = EXIT_NOGO;
    } else {
        diag_verbose(1, "the approved report '%s' (sha256 %.16s…) covers this call",
                     util_path_label(o->in.approved_report), ap->sha256);
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

/* The next steps for people after the action. */
static void next_steps(const struct app_opts *o, const struct action_spec *sp,
                       struct report_execution *x)
{
    const struct verify_result *v = &x->verify;

#define NEXT(...)                                                                                  \
    do {                                                                                           \
        if (x->nnext < REPORT_MAX_NEXT)                                                            \
            snprintf(x->next[x->nnext++], sizeof x->next[0], __VA_ARGS__);                         \
    } while (0)
    if (strcmp(x->outcome, "success") != 0) {
        NEXT("Do not start anything else on this group before its state is understood: %s",
             strcmp(x->outcome, "not-sent") == 0
                 ? "nothing reached SDRS, so the preflight can simply run again"
                 : "check the group and its job in the SDRS console (task center)");
        snprintf(x->next_command, sizeof x->next_command, "%s check %s", SDRS_NAME, o->in.group_id);
        return;
    }
    if (v->nstopped)
        NEXT("Start the %zu stopped server%s of the new production site (ECS console, or "
             "POST /v1/{project_id}/cloudservers/action with os-start); the login credentials "
             "may have changed after the first failover (see the credential plan of SDRS-012 in "
             "the preflight report)",
             v->nstopped, v->nstopped == 1 ? "" : "s");
    if (v->nservers > v->nrunning + v->nstopped)
        NEXT("%zu server%s of the new production site %s neither running nor stopped: look at "
             "them in the ECS console",
             v->nservers - v->nrunning - v->nstopped,
             v->nservers - v->nrunning - v->nstopped == 1 ? "is" : "are",
             v->nservers - v->nrunning - v->nstopped == 1 ? "" : "s");
    NEXT("%s", sp->next_why);
    snprintf(x->next_command, sizeof x->next_command, "%s check %s --action %s", SDRS_NAME,
             o->in.group_id, sp->next_action);
#undef NEXT
}

/* The execution part of the post-execution report, from what execute_run and verify found. */
static struct report_execution *execution_of(const struct app_opts *o, const struct action_spec *sp,
                                             const struct exec_result *res,
                                             const struct report *pre, const char *approved)
{
    struct report_execution *x = calloc(1, sizeof *x);

    if (!x)
        return NULL;
    snprintf(x->action, sizeof x->action, "%s", sp->action);
    snprintf(x->outcome, sizeof x->outcome, "%s", exec_outcome_name(res->outcome));
    snprintf(x->message, sizeof x->message, "%s", res->message);
    x->posts = res->posts;
    x->http_status = res->post.status;
    snprintf(x->job_id, sizeof x->job_id, "%s", res->job_id);
    snprintf(x->job_status, sizeof x->job_status, "%s", res->job.status);
    snprintf(x->error_code, sizeof x->error_code, "%s", res->error_code);
    snprintf(x->fail_reason, sizeof x->fail_reason, "%s", res->fail_reason);
    snprintf(x->failed_subjob, sizeof x->failed_subjob, "%s", res->failed_subjob);
    x->subjobs_total = res->job.subjobs;
    x->nsubjobs = res->job.subjobs < REPORT_MAX_SUBJOBS ? res->job.subjobs : REPORT_MAX_SUBJOBS;
    if (x->nsubjobs > API_MAX_SUBJOBS)
        x->nsubjobs = API_MAX_SUBJOBS;
    for (size_t i = 0; i < x->nsubjobs; i++) {
        const struct api_subjob *a = &res->job.sub[i];
        struct report_subjob *b = &x->subjobs[i];
        snprintf(b->id, sizeof b->id, "%s", a->job_id);
        snprintf(b->type, sizeof b->type, "%s", a->job_type);
        snprintf(b->status, sizeof b->status, "%s", a->status);
        snprintf(b->error_code, sizeof b->error_code, "%s", a->error_code);
    }
    snprintf(x->status_before, sizeof x->status_before, "%s",
             pre->group_status ? pre->group_status : "");
    snprintf(x->station_before, sizeof x->station_before, "%s",
             pre->priority_station ? pre->priority_station : "");
    x->effect = sp->effect;
    snprintf(x->preflight_verdict, sizeof x->preflight_verdict, "%s", verdict_name(pre->verdict));
    snprintf(x->preflight_snapshot_sha256, sizeof x->preflight_snapshot_sha256, "%s",
             pre->snapshot_sha256);
    snprintf(x->approved_report_sha256, sizeof x->approved_report_sha256, "%s",
             approved ? approved : "");
    (void)o;
    return x;
}

/* After the POST: reads the group as the action left it, checks the end state against the
 * documented one (a SUCCESS that does not hold becomes "unverified"), and builds the
 * post-execution report (the preflight of the next action, carrying the execution) into post.
 * Returns 0 or an exit code. */
static int verify_outcome(const struct app_opts *o, struct session *ss,
                          const struct action_spec *sp, struct exec_result *res,
                          const struct report *pre, const char *approved, struct report *post)
{
    struct app_opts next = *o;
    struct snapshot *snap = NULL;
    struct report_execution *x;
    struct err e = {0};
    int code;

    next.action = sp->next_action;
    next.in.snapshot = NULL;
    code = res->outcome == EXEC_NOT_SENT ? -1 : app_decide_keep(&next, ss, false, post, &snap);
    if (code != 0) {
        /* nothing to read, or the group could not be read at all: the execution goes on the
         * re-check's report, unchecked */
        report_clear(post);
        code = app_decide(o, ss, false, post);
        if (code != 0)
            return code;
    }
    x = execution_of(o, sp, res, pre, approved);
    if (!x) {
        snapshot_free(snap);
        diag_error("out of memory");
        return EXIT_INDETERMINATE;
    }
    post->execution = x;
    if (snap) {
        if (verify_end_state(sp, pre->priority_station, snap, &x->verify, &e)) {
            snapshot_free(snap);
            return app_fail(ERR_NOMEM, &e);
        }
        x->checked = true;
        snprintf(x->status_after, sizeof x->status_after, "%s", x->verify.group_status);
        snprintf(x->station_after, sizeof x->station_after, "%s", x->verify.group_station);
        snapshot_free(snap);
        if (res->outcome == EXEC_SUCCESS && x->verify.nfailed) {
            char diff[400];
            res->outcome = EXEC_UNVERIFIED;
            verify_describe_failures(&x->verify, diff, sizeof diff);
            snprintf(res->message, sizeof res->message,
                     "%s reported success, but the group is not in the documented end state: %s",
                     sp->action, diff);
        }
    } else {
        snprintf(x->status_after, sizeof x->status_after, "%s", res->status_after);
        snprintf(x->station_after, sizeof x->station_after, "%s", res->station_after);
        if (res->outcome == EXEC_SUCCESS) {
            res->outcome = EXEC_UNVERIFIED;
            snprintf(res->message, sizeof res->message,
                     "%s reported success, but the group could not be read to verify it",
                     sp->action);
        }
    }
    x->verified = res->outcome == EXEC_SUCCESS;
    x->replication_stopped = x->verified && sp->replication_stopped;
    snprintf(x->outcome, sizeof x->outcome, "%s", exec_outcome_name(res->outcome));
    snprintf(x->message, sizeof x->message, "%s", res->message);
    x->duration_ms = res->posts ? util_now_ms() - res->posted_ms : 0;
    next_steps(o, sp, x);
    post->exit_code = outcome_exit(res->outcome);
    return 0;
}

/* Emits the preflight (or re-check) report when the run ends before any POST. */
static int emit_refused(const struct app_opts *o, const struct report *rep, int code)
{
    int c = o->execute ? app_emit_part(o, rep, APP_EMIT_DOCUMENTS) : 0;
    return c ? c : code;
}

int cmd_failover(const struct app_opts *o)
{
    const struct action_spec *sp = action_spec(o->action);
    struct session ss;
    struct report rep = {0}, again = {0}, post = {0};
    struct report_summary *approval = NULL;
    struct runlock lock = {.fd = -1};
    struct exec_result res;
    struct buf changes;
    struct err e = {0};
    bool tty = isatty(STDERR_FILENO);
    char end_state[600] = "";
    int code;

    buf_init(&changes, 0);
    memset(&ss, 0, sizeof ss);
    if (o->execute) {
        /* one execution per group per host, from the preflight to the end of the job */
        const char *project =
            o->live.endpoints.project_id ? o->live.endpoints.project_id : getenv("OS_PROJECT_ID");
        if (runlock_acquire(project ? project : "", o->in.group_id, &lock, &e)) {
            diag_error("%s", e.msg);
            app_audit(o, &(struct audit_event){.event = "refused",
                                               .phase = "lock",
                                               .group_id = o->in.group_id,
                                               .action = o->action,
                                               .message = e.msg});
            code = e.code == ERR_PRECOND ? EXIT_NOGO : app_exit_code(e.code);
            goto out;
        }
        if (lock.stale[0])
            diag_notice("took over a stale lock of a run that is gone: %s", lock.stale);
    }
    if ((code = app_session_open(o, &ss)) != 0)
        goto out;
    /* 1. The preflight, reported exactly as `check` would. */
    if ((code = app_decide(o, &ss, true, &rep)) != 0 ||
        (code = app_emit_part(o, &rep, o->execute ? APP_EMIT_LIVE_TEXT : APP_EMIT_ALL)) != 0 ||
        (code = app_audit(o, &(struct audit_event){
                                 .event = "decision", .phase = "preflight", .report = &rep})) != 0)
        goto out;
    if (!o->execute) {
        diag_notice("dry run: no request was sent. To run the %s after review: %s failover %s "
                    "--action %s --execute",
                    o->action, SDRS_NAME, o->in.group_id, o->action);
        code = rep.exit_code;
        goto out;
    }
    if (rep.verdict != VERDICT_GO) {
        diag_error("refusing to run the %s: the verdict is %s; nothing was sent", o->action,
                   verdict_name(rep.verdict));
        app_audit(o, &(struct audit_event){.event = "refused",
                                           .phase = "preflight",
                                           .report = &rep,
                                           .message = "the verdict is not GO"});
        code = emit_refused(o, &rep, rep.exit_code);
        goto out;
    }
    if (o->in.approved_report) {
        approval = calloc(1, sizeof *approval);
        if (!approval) {
            diag_error("out of memory");
            code = EXIT_INDETERMINATE;
            goto out;
        }
        if ((code = check_approval(o, &rep, approval)) != 0) {
            app_audit(o, &(struct audit_event){.event = "refused",
                                               .phase = "approval",
                                               .report = &rep,
                                               .approved_report_sha256 = approval->sha256,
                                               .message =
                                                   "the approved report does not cover this call"});
            code = emit_refused(o, &rep, code);
            goto out;
        }
    }
    if (!o->yes && (code = confirm(o, &rep)) != 0) {
        code = emit_refused(o, &rep, code);
        goto out;
    }
    /* 2. Re-check immediately before acting: the world may have moved since the report. */
    diag_notice("re-checking the group before the %s…", o->action);
    if ((code = app_decide(o, &ss, false, &again)) != 0)
        goto out;
    if ((code = app_audit(o, &(struct audit_event){
                                 .event = "decision", .phase = "re-check", .report = &again})) != 0)
        goto out;
    if (report_changes(&rep, &again, &changes) > 0 || again.verdict != VERDICT_GO) {
        diag_error("the group changed since the report (%s); the verdict is now %s. Nothing was "
                   "sent; run the preflight again",
                   changes.len ? buf_str(&changes) : "no blocking change",
                   verdict_name(again.verdict));
        app_audit(o, &(struct audit_event){.event = "refused",
                                           .phase = "re-check",
                                           .report = &again,
                                           .message = buf_str(&changes)});
        code = emit_refused(
            o, &again, again.verdict == VERDICT_INDETERMINATE ? EXIT_INDETERMINATE : EXIT_NOGO);
        goto out;
    }
    /* 3. The call, sent once, and its job followed to the end. */
    diag_notice("calling %s on protection group %s", o->action, o->in.group_id);
    {
        struct exec_opts eo = o->exec;
        struct exec_api_ctx ctx = {ss.lv.session, o->in.group_id};
        struct exec_ops ops;

        eo.progress = on_progress;
        eo.progress_ud = &tty;
        execute_api_ops(&ctx, &ops);
        if (execute_run(&ops, o->action, again.priority_station, again.group_status, &eo, &res,
                        &e)) {
            code = app_fail(ERR_NET, &e);
            goto out;
        }
    }
    if (tty)
        fputc('\n', stderr);
    /* 4. The outcome, checked against the group itself, and reported. */
    if (res.posts && res.outcome != EXEC_NOT_SENT)
        diag_notice("reading the group to verify the end state…");
    if ((code = verify_outcome(o, &ss, sp, &res, &again, approval ? approval->sha256 : NULL,
                               &post)) != 0)
        goto audit;
    if (res.outcome == EXEC_SUCCESS)
        diag_notice("%s; end state verified %.1f s after the POST", res.message,
                    (double)post.execution->duration_ms / 1000);
    else
        diag_error("%s", res.message);
    code = post.exit_code;
    if (post.execution) {
        const struct report_execution *x = post.execution;
        if (!x->checked)
            snprintf(end_state, sizeof end_state, "not checked: the group could not be read");
        else if (x->verify.nfailed)
            verify_describe_failures(&x->verify, end_state, sizeof end_state);
        else
            snprintf(end_state, sizeof end_state, "verified");
    }
    {
        int c = app_emit(o, &post);
        if (c && !code)
            code = c;
    }
audit:
    /* The action happened either way: a failed audit write is reported, not a change of outcome. */
    app_audit(
        o, &(struct audit_event){
               .event = "action",
               .phase = "execute",
               .report = &again,
               .approved_report_sha256 = approval ? approval->sha256 : NULL,
               .job_id = res.job_id,
               .outcome = exec_outcome_name(res.outcome),
               .status_after = post.execution ? post.execution->status_after : res.status_after,
               .station_after = post.execution ? post.execution->station_after : res.station_after,
               .end_state = end_state,
               .message = res.message,
               .executed = true,
               .duration_ms =
                   post.execution ? post.execution->duration_ms : util_now_ms() - res.posted_ms,
               .posts = res.posts});
    if (!code)
        code = outcome_exit(res.outcome);
out:
    free(approval);
    buf_free(&changes);
    report_clear(&post);
    report_clear(&again);
    report_clear(&rep);
    app_session_close(&ss);
    runlock_release(&lock);
    return code;
}

int cmd_verify_log(const struct app_opts *o)
{
    const struct auditlog_key *key = o->out.audit_key;
    const char *label = util_path_label(o->argument);
    struct auditlog_check c;
    struct err e = {0};

    if (auditlog_verify(o->argument, key, &c, &e))
        return app_fail(ERR_IO, &e);
    if (c.broken_line) {
        diag_printf(stdout, "audit log '%s': BROKEN at line %zu of %zu: %s", label, c.broken_line,
                    c.lines, c.reason);
        putchar('\n');
        return 1;
    }
    diag_printf(stdout, "audit log '%s': %zu line%s, chain intact%s%s; head sha256 %s", label,
                c.lines, c.lines == 1 ? "" : "s",
                key && c.lines ? ", every MAC checks with key " : "", key && c.lines ? key->id : "",
                c.lines ? c.head : "(empty)");
    putchar('\n');
    if (!key && c.keyed)
        diag_printf(stdout,
                    "(the lines carry MACs under key %s, NOT checked: give --audit-key-file to "
                    "find a line edited and re-chained without the key)",
                    c.key_id);
    else if (!key && c.lines)
        printf("(an unkeyed log: this finds damage and careless edits, not an edit re-chained by "
               "someone who can write the file; --audit-key-file keys a new log)");
    if (!key && c.lines)
        putchar('\n');
    printf("(lines cut off the end cannot be seen from inside the file: compare the head with the "
           "one recorded elsewhere)\n");
    return 0;
}
