/*
 * What each group action does, from the documentation: the body that asks for it, the statuses
 * the group moves through, and the end state it leaves (sdrs-api.md §1.4 transitions, §6 bodies,
 * §6.1 constraints, §2.3 and §3.3 member statuses). The execution (execute.h) follows an action
 * by these statuses; the verification (verify.h) checks the end state against them.
 */
#ifndef SDRS_ACTION_H
#define SDRS_ACTION_H

#include <stdbool.h>

struct action_spec {
    const char *action;     /* the preflight action: "failover", "planned-failover", ... */
    const char *key;        /* the body's key: "failover-server-group", ... */
    bool names_station;     /* the body names the side that becomes production */
    const char *transient;  /* status while it runs */
    const char *transient2; /* another (enable-protection after a failover: "reprotecting") */
    const char *success;    /* status when it worked */
    const char *failure;    /* status when it failed */
    const char *failure2;
    /* the end state of a success */
    bool flips_station;        /* priority_station changes sides */
    const char *member_status; /* what each protected instance and pair shows ([inferred]: the
                                  group's status, from the member enums §2.3, §3.3) */
    bool replication_stopped;  /* no pair replicates afterwards: the data is unprotected */
    const char *effect;        /* one line for people, with its source */
    const char *next_action;   /* the preflight to run next */
    const char *next_why;      /* why */
};

/* The spec of an action that can be executed, or NULL ("drill" cannot). */
const struct action_spec *action_spec(const char *action);

/* The side that is not station ("source" <-> "target"), or NULL when station is neither. */
const char *action_other_station(const char *station);

#endif
