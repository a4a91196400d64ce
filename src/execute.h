/*
 * Calling a protection-group action and following it to the end (`failover --execute`).
 *
 * The action is POSTed exactly once with the documented body. When its outcome is unknown (the
 * request may have reached SDRS but no answer came), it is never sent again: the group's status
 * tells whether SDRS accepted it. An accepted action is followed through its job (or, without a job
 * id, through the group's status) until it succeeds, fails or the time runs out. Nothing here
 * prints: progress goes to a callback.
 */
#ifndef SDRS_EXECUTE_H
#define SDRS_EXECUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "buf.h"
#include "err.h"

/* What one action does to the group (sdrs-api.md §1.4, §6). */
struct action_spec {
    const char *action;     /* the preflight action: "failover", "planned-failover", ... */
    const char *key;        /* the body's key: "failover-server-group", ... */
    const char *transient;  /* status while it runs */
    const char *transient2; /* another (enable-protection after a failover: "reprotecting") */
    const char *success;    /* status when it worked */
    const char *failure;    /* status when it failed */
    const char *failure2;
};

/* The spec of an action that can be executed, or NULL ("drill" cannot). */
const struct action_spec *execute_spec(const char *action);

/* The exact request body: {"failover-server-group": {}}; a planned failover names the side that
 * becomes production, the opposite of current_station ("source" or "target"). */
int execute_body(const char *action, const char *current_station, struct buf *out, struct err *e);

enum exec_outcome {
    EXEC_SUCCESS,      /* the job (or the group) reached the success status */
    EXEC_FAILED,       /* the job failed */
    EXEC_TIMEOUT,      /* --job-timeout passed; the job may still be running */
    EXEC_REFUSED,      /* SDRS answered the POST with an error: nothing was started */
    EXEC_NOT_SENT,     /* the POST certainly did not reach SDRS */
    EXEC_NOT_ACCEPTED, /* the outcome was unknown and the group shows it was not accepted */
    EXEC_UNKNOWN,      /* the outcome is unknown and the group could not be read */
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
};

/* Runs the action on the group. status_before is the group's status in the re-check. Returns 0
 * when the outcome is known well enough to report (see out->outcome), or ERR_NOMEM. */
int execute_run(struct api_session *s, const char *group_id, const char *action,
                const char *station_before, const char *status_before, const struct exec_opts *o,
                struct exec_result *out, struct err *e);

#endif
