/* The failover command: the preflight, the approval and confirmation, the re-check, the call
 * itself and its audit; and verify-log, which reads that audit. */
#include "app.h"

#include "auditlog.h"
#include "diag.h"
#include "execute.h"
#include "util.h"
#include "version.h"

#include <stdio.h>
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

/* The approved report binds the call: same group, same action, verdict GO, same rules. */
static int check_approval(const struct app_opts *o, const struct report *rep,
                          struct report_summary *ap)
{
    struct err e = {0};
    struct buf why;
    int code = 0;

    if (report_read_summary(o->in.approved_report, ap, &e))
        return app_fail(ERR_PARSE, &e);
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
                   o->in.approved_report,
                   ap->generated_at[0] ? ap->generated_at : "at an unknown time", buf_str(&why));
        code = EXIT_NOGO;
    } else {
        diag_verbose(1, "the approved report '%s' (sha256 %.16s…) covers this call",
                     o->in.approved_report, ap->sha256);
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

int cmd_failover(const struct app_opts *o)
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
    if ((code = app_session_open(o, &ss)) != 0)
        goto out;
    /* 1. The preflight, reported exactly as `check` would. */
    if ((code = app_decide(o, &ss, true, &rep)) != 0 || (code = app_emit(o, &rep)) != 0 ||
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
        code = rep.exit_code;
        goto out;
    }
    if (o->in.approved_report && (code = check_approval(o, &rep, &approval)) != 0) {
        app_audit(o,
                  &(struct audit_event){.event = "refused",
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
        code = again.verdict == VERDICT_INDETERMINATE ? EXIT_INDETERMINATE : EXIT_NOGO;
        goto out;
    }
    /* 3. The call, sent once, and its job followed to the end. */
    diag_notice("calling %s on protection group %s", o->action, o->in.group_id);
    {
        struct exec_opts eo = {.poll_interval_ms = o->exec.poll_interval_ms,
                               .job_timeout_ms = o->exec.job_timeout_ms,
                               .progress = on_progress,
                               .progress_ud = &tty};
        struct exec_api_ctx ctx = {ss.lv.session, o->in.group_id};
        struct exec_ops ops;

        execute_api_ops(&ctx, &ops);
        if (execute_run(&ops, o->action, again.priority_station, again.group_status, &eo, &res,
                        &e)) {
            code = app_fail(ERR_NET, &e);
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
    app_audit(o, &(struct audit_event){.event = "action",
                                       .phase = "execute",
                                       .report = &again,
                                       .approved_report_sha256 =
                                           o->in.approved_report ? approval.sha256 : NULL,
                                       .job_id = res.job_id,
                                       .outcome = exec_outcome_name(res.outcome),
                                       .status_after = res.status_after,
                                       .station_after = res.station_after,
                                       .message = res.message});
out:
    buf_free(&changes);
    report_clear(&again);
    report_clear(&rep);
    app_session_close(&ss);
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
