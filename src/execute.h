/*
 * Calling a protection-group action and following it to the end (`failover --execute`), as a
 * state machine over a few operations: read the group, post the action, read a job, wait. It knows
 * what each action does to the group (sdrs-api.md §1.4, §6) and nothing of URLs or JSON: the
 * operations are given (struct exec_ops), by the API session in the tool (execute_api_ops) and by
 * a fake in the unit tests.
 *
 * The action is POSTed exactly once. When its outcome is unknown (the request may have reached
 * SDRS but no answer came), it is never sent again: the group's status tells whether SDRS accepted
 * it. An accepted action is followed through its job (or, without a job id, through the group's
 * status) until it succeeds, fails or the time runs out. Nothing here prints: progress goes to a
 * callback.
 */
#ifndef SDRS_EXECUTE_H
#define SDRS_EXECUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "err.h"

/* What one action does to the group (sdrs-api.md §1.4, §6). */
struct action_spec {
    const char *action;     /* the preflight action: "failover", "planned-failover", ... */
    const char *key;        /* the body's key: "failover-server-group", ... */
    bool names_station;     /* the body names the side that becomes production */
    const char *transient;  /* status while it runs */
    const char *transient2; /* another (enable-protection after a failover: "reprotecting") */
    const char *success;    /* status when it worked */
    const char *failure;    /* status when it failed */
    const char *failure2;
};

/* The spec of an action that can be executed, or NULL ("drill" cannot). */
const struct action_spec *execute_spec(const char *action);

/* The operations an execution runs on. Each returns 0, or an ERR_* when it could not be done (the
 * group or the job could not be read, or the POST could not be submitted; why in e). */
struct exec_ops {
    void *ud;
    int (*read_group)(void *ud, struct api_group_state *out, struct err *e);
    /* sends the action once: key, and for a planned failover the side that becomes production */
    int (*post_action)(void *ud, const char *key, const char *station, struct api_post *out,
                       struct err *e);
    int (*read_job)(void *ud, const char *job_id, struct api_job *out, struct err *e);
    long long (*now_ms)(void *ud); /* a monotonic clock */
    void (*sleep_ms)(void *ud, long ms);
};

/* The operations over an API session, for group_id. ctx must outlive the ops. */
struct exec_api_ctx {
    struct api_session *s;
    const char *group_id;
};
void execute_api_ops(struct exec_api_ctx *ctx, struct exec_ops *out);

enum exec_outcome {
    EXEC_SUCCESS,      /* the job (or the group) reached the success status */
    EXEC_FAILED,       /* the job failed */
    EXEC_TIMEOUT,      /* --job-timeout passed; the job may still be running */
    EXEC_REFUSED,      /* SDRS answered the POST with an error: nothing was started */
    EXEC_NOT_SENT,     /* the POST certainly did not reach SDRS */
    EXEC_NOT_ACCEPTED, /* the outcome was unknown and the group shows it was not accepted */
    EXEC_UNKNOWN,      /* the outcome is unknown: the group could not be read, or a job or group
                          status the documentation does not list */
};

const char *exec_outcome_name(enum exec_outcome o);

struct exec_progress {
    const char *status; /* the job's status ("INIT", "RUNNING", …) or the group's */
    long elapsed_ms;
    size_t subjobs;
    size_t subjobs_done;
    size_t subjobs_failed;
    bool poll_failed; /* this poll got no answer (it goes on) */
    const char *note; /* a failed poll's message, or NULL */
};

struct exec_opts {
    long poll_interval_ms; /* default 5000 */
    long job_timeout_ms;   /* default one hour */
    void (*progress)(void *ud, const struct exec_progress *p);
    void *progress_ud;
};

struct exec_result {
    enum exec_outcome outcome;
    char job_id[96];
    char error_code[64];
    char fail_reason[512];
    char failed_subjob[256]; /* "<job_type> <job_id>: <error_code> <fail_reason>" */
    char status_after[64];   /* the group after the end, "" if it could not be read */
    char station_after[32];
    char message[600]; /* one line for people */
    long elapsed_ms;
    int posts; /* POSTs submitted: 0 or 1 */
};

/* Runs the action. station_before and status_before are the group's in the re-check. Returns 0
 * when the outcome is known well enough to report (see out->outcome), or ERR_INVALID (an action
 * that cannot be executed, a planned failover without a known station), ERR_NOMEM. */
int execute_run(const struct exec_ops *ops, const char *action, const char *station_before,
                const char *status_before, const struct exec_opts *o, struct exec_result *out,
                struct err *e);

#endif
