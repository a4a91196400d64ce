/*
 * Waivers (--waivers FILE): reviewed, expiring exceptions to rule results.
 *
 *   {"waivers": [{"rule": "SDRS-009", "group": "<group id or *>", "reason": "…",
 *                 "approved_by": "…", "expires": "2026-12-31", "ticket": "CHG-1234"}]}
 *
 * rule, group, reason, approved_by and expires are required; ticket and comment are optional; any
 * other key is an error (ERR_PARSE, exit code 2). A waiver applies to a fail or warn result of its
 * rule for its group (or every group with "*") until the end of its expiry day (UTC); the result
 * becomes `waived` and keeps its findings. An expired waiver does not apply and is reported (it
 * makes the verdict NO-GO, so that it is renewed or removed); one that matches nothing is reported
 * as unused. An `error` result is never waived: "could not look" stays INDETERMINATE.
 *
 * waivers_load_* return an owned struct waivers (waivers_free). waivers_apply fills a caller-owned
 * array of states, one per waiver, whose strings borrow from the waivers.
 */
#ifndef SDRS_WAIVERS_H
#define SDRS_WAIVERS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "result.h"
#include "util.h"

struct waiver {
    char *rule;
    char *group;
    char *reason;
    char *approved_by;
    char *expires;         /* YYYY-MM-DD as written */
    long long expires_end; /* the first second after the expiry day, UTC */
    char *ticket;          /* may be NULL */
};

struct waivers {
    struct waiver *items;
    size_t n;
    char sha256[UTIL_SHA256_HEX];
};

enum waiver_state { WAIVER_APPLIED, WAIVER_EXPIRED, WAIVER_UNUSED };

struct waiver_use {
    const struct waiver *w;
    enum waiver_state state;
    bool for_group; /* names this group, or "*": an expired one then makes the verdict NO-GO */
    size_t results; /* how many results it waived (applied) or would have (expired) */
};

int waivers_load_file(const char *path, struct waivers **out, struct err *e);
int waivers_load_buffer(const char *data, size_t len, const char *label, struct waivers **out,
                        struct err *e);
void waivers_free(struct waivers *w);

/* Applies the waivers to the results of one group's evaluation at time now. uses gets one entry
 * per waiver (caller-allocated, w->n entries). Changes the result of waived rules to RESULT_WAIVED
 * and sets their `waiver` text. Returns 0 or ERR_NOMEM. */
int waivers_apply(const struct waivers *w, const char *group_id, long long now,
                  struct rule_result *results, size_t n, struct waiver_use *uses);

const char *waiver_state_name(enum waiver_state s);

#endif
