/*
 * The rule engine: a catalogue of rules (built-in and from --rules directories) and their
 * evaluation over a snapshot, each rule in its own sandbox. No Lua type crosses this interface.
 *
 * engine_new returns an owned engine (engine_free). engine_meta borrows from the engine.
 * engine_run returns an owned array of results (rule_results_free), sorted by rule id.
 */
#ifndef SDRS_ENGINE_H
#define SDRS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "facts.h"
#include "result.h"
#include "rulelimits.h"
#include "snapshot.h"
#include "util.h"

#define ENGINE_DEFAULT_MAX_FINDINGS 10000
#define ENGINE_MAX_MESSAGE          2048
#define ENGINE_MAX_EVIDENCE         32
#define ENGINE_MAX_VALUE            1024
#define ENGINE_MAX_RULE_FILE        (1u << 20)
#define ENGINE_MAX_TABLES           4 /* ctx:row tables per rule */
#define ENGINE_MAX_COLUMNS          16
#define ENGINE_MAX_ROWS             1000 /* distinct rows per table */

enum engine_log_level { ENGINE_LOG_NOTICE, ENGINE_LOG_VERBOSE, ENGINE_LOG_DEBUG };

typedef void (*engine_log_fn)(void *ud, enum engine_log_level level, const char *msg);

/* The default age (days) beyond which a DR drill is no evidence: the period of SDRS's own
 * period_no_dr_drill filter of the protection group list. */
#define ENGINE_DRILL_AGE_DAYS 90

struct engine_opts {
    struct sandbox_limits limits;
    size_t max_findings;    /* per rule; 0: the default */
    size_t max_message;     /* bytes of a finding's message; 0: the default */
    int max_drill_age_days; /* ctx.max_drill_age_days, SDRS-017's limit; 0: ENGINE_DRILL_AGE_DAYS */
    bool no_builtin;
    int jobs;      /* rules evaluated at once; 0: one per processor (engine_jobs), at most
                      ENGINE_MAX_JOBS */
    int load_jobs; /* threads that load the built-in rules: 0 as many as jobs, a negative number
                      that many fewer (at least one), to leave a processor to other work
                      meanwhile (reading the snapshot) */
    engine_log_fn log;
    void *log_ud;
};

struct engine_input {
    const struct snapshot *snap;
    const struct facts *facts; /* may be NULL */
    const char *action;
};

struct engine;

#define ENGINE_MAX_JOBS 8

/* How many rules run at once: opts.jobs, else the processors this process may use (1 to 8). */
size_t engine_jobs(const struct engine *eng);

/* Creates an engine with the built-in rules (unless opts->no_builtin). A built-in rule that does
 * not load is an error (ERR_INVALID). */
int engine_new(const struct engine_opts *opts, struct engine **out, struct err *e);
void engine_free(struct engine *eng);

/* Adds every .lua file of path when it is a directory (sorted by name), else path as one rule file
 * (a pipe included). A rule whose id is already known replaces the earlier one, with a notice; two
 * files with the same id in one directory, or an invalid rule file, are errors (ERR_INVALID) and
 * leave the engine unchanged. */
int engine_add_rules(struct engine *eng, const char *path, struct err *e);

/* Effective rules, sorted by id. */
size_t engine_count(const struct engine *eng);
const struct rule_meta *engine_meta(const struct engine *eng, size_t i);
/* SHA-256 over the rule library modules and every effective rule's id and source text. */
const char *engine_rules_sha256(struct engine *eng);

/* Runs every effective rule. Rule failures are results, not errors: the function fails only when
 * memory runs out. The rules run on engine_jobs threads at once, each in its own Lua state; the
 * results, and the debug log, come in rule order whatever order the rules ran in. */
int engine_run(struct engine *eng, const struct engine_input *in, struct rule_result **out,
               size_t *n, struct err *e);

#endif
