/*
 * Fleet checks (`check --all`, `check --snapshot-dir DIR`): one report per protection group, a line
 * per group and a summary for people, `sdrs-preflight/fleet-report@1` for machines.
 *
 * A struct fleet owns its entries and their reports (fleet_clear).
 */
#ifndef SDRS_FLEET_H
#define SDRS_FLEET_H

#include <stddef.h>

#include "report.h"

#define FLEET_SCHEMA "sdrs-preflight/fleet-report@1"

struct fleet_entry {
    char *name;        /* group id, or snapshot file */
    struct report rep; /* always built: an entry that could not be evaluated is INDETERMINATE */
};

struct fleet {
    struct fleet_entry *items;
    size_t n, cap;
    char action[64];
    char generated_at[32];
};

/* Adds an entry and returns its report to fill (zeroed), or NULL when out of memory. */
struct report *fleet_add(struct fleet *f, const char *name);
/* Fills rep as an INDETERMINATE report for a group (or a file: group_id NULL) that could not be
 * evaluated at all. */
int fleet_unevaluated(struct report *rep, const char *action, const char *group_id,
                      const char *kind, const char *message, long long now);
void fleet_clear(struct fleet *f);

/* The worst exit code of the entries (3 > 1 > 0); 3 for an empty fleet. */
int fleet_exit_code(const struct fleet *f);

int fleet_render_text(const struct fleet *f, const struct render_opts *o, struct buf *out);
int fleet_render_json(const struct fleet *f, const struct render_opts *o, struct buf *out);

#endif
