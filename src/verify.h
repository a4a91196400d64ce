/*
 * The end state of an executed action, checked against what the documentation says the action
 * does (action.h): the group's status and priority_station, and every protected instance's and
 * replication pair's. A job that reports SUCCESS is believed only when these hold. The power state
 * of the servers at the new production site is reported, not judged: the API reference says they
 * start after a failover, the user manual that they must be started by hand.
 */
#ifndef SDRS_VERIFY_H
#define SDRS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "action.h"
#include "err.h"
#include "snapshot.h"

struct verify_check {
    char what[160];    /* "group status", "protected instance db-01 (ff80…)" */
    char expected[96]; /* "failed-over" */
    char found[200];   /* what the post-state shows */
    bool ok;
};

enum verify_power { VERIFY_RUNNING, VERIFY_STOPPED, VERIFY_OTHER };

/* A server of the new production site. */
struct verify_server {
    char id[96];
    char name[128];    /* the server's name, else the protected instance's, else "" */
    char instance[96]; /* the protected instance's id */
    char status[32];   /* ECS status ("ACTIVE", "SHUTOFF", …; "deleted", "not read") */
    enum verify_power power;
};

struct verify_result {
    struct verify_check *checks;
    size_t nchecks, nfailed;
    struct verify_server *servers; /* only when production moved */
    size_t nservers, nrunning, nstopped;
    char station_after[16]; /* the side that is production when the action worked */
    char group_status[64];  /* what the post-state shows ("" when it lacks it) */
    char group_station[32];
};

/* Checks post (the group read after the action ended) against sp's end state, production having
 * been at station_before. The post-state's own problems (a fetch error, a missing part) are a
 * failed check: what was not read was not verified. Returns 0 or ERR_NOMEM. */
int verify_end_state(const struct action_spec *sp, const char *station_before,
                     const struct snapshot *post, struct verify_result *out, struct err *e);
void verify_result_clear(struct verify_result *r);

/* "group status: expected failed-over, found failing-over; …" for the failed checks, into out
 * (cut to size). */
void verify_describe_failures(const struct verify_result *r, char *out, size_t size);

#endif
