/*
 * Calling a protection-group action and following it to the end (`failover --execute`), as a
 * state machine over a few operations: read the group, post the action, read a job, wait. It knows
 * what each action does to the group (sdrs-api.md §1.4, §6) and nothing of URLs or JSON: the
 * operations are given (struct exec_ops), by the API session in the tool (execute_api_ops) and by
 * a fake in the unit tests.
 *
 * The action is POSTed exactly once and never again. Only a clean 2xx with a job id says that
 * SDRS took it, and only SDRS's own refusal (a 4xx with an SDRS.* code) that it did not. Any other
 * answer (5xx, 401, 403, a malformed body, a timeout, a reset) leaves the outcome unknown: the
 * group is then read until it shows the action's transitional or final status, or until the accept
 * window has passed ("not seen to start", never "nothing was started"). An accepted action is
 * followed through its job (or, without a job id, through the group's status) until it succeeds,
 * fails or the time runs out. Whether the end state is the documented one is checked afterwards
 * (verify.h). Nothing here prints: progress goes to a callback.
 */
#ifndef SDRS_EXECUTE_H
#define SDRS_EXECUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "action.h"
#include "api.h"
#include "err.h"

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
    EXEC_SUCCESS,    /* the job (or the group) reached the success status */
    EXEC_FAILED,     /* the job failed */
    EXEC_TIMEOUT,    /* --job-timeout passed; the job may still be running */
    EXEC_REFUSED,    /* SDRS refused the POST with its own error code, and the group did not move */
    EXEC_NOT_SENT,   /* the POST certainly did not reach SDRS */
    EXEC_NOT_SEEN,   /* the answer left the outcome unknown and the group was not seen to move
                        within the accept window: SDRS may still start it */
    EXEC_UNKNOWN,    /* the outcome is unknown: a job or group status the documentation does not
                        list, or the group moved to a status this action does not lead to */
    EXEC_UNVERIFIED, /* the job succeeded but the end state is not the documented one (set by the
                        caller after verify_end_state) */
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
    long accept_window_ms; /* how long an unclear answer waits for the group to move; 120000 */
    void (*progress)(void *ud, const struct exec_progress *p);
    void *progress_ud;
};

struct exec_result {
    enum exec_outcome outcome;
    struct api_post post; /* what the POST got back */
    struct api_job job;   /* the job's last answer (status "" when it was never read) */
    char job_id[96];
    char error_code[64];
    char fail_reason[512];
    char failed_subjob[256]; /* "<job_type> <job_id>: <error_code> <fail_reason>" */
    char status_after[64];   /* the group after the end, "" if it could not be read */
    char station_after[32];
    char message[600];   /* one line for people */
    long long posted_ms; /* the clock (now_ms) when the POST was submitted */
    long elapsed_ms;     /* from the POST to the end of the run */
    int posts;           /* POSTs submitted: 0 or 1 */
    int group_reads;     /* reads of the group that answered after the POST */
};

/* Runs the action. station_before and status_before are the group's in the re-check. Returns 0
 * when the outcome is known well enough to report (see out->outcome), or ERR_INVALID (an action
 * that cannot be executed, a planned failover without a known station), ERR_NOMEM. */
int execute_run(const struct exec_ops *ops, const char *action, const char *station_before,
                const char *status_before, const struct exec_opts *o, struct exec_result *out,
                struct err *e);

#endif
