/*
 * Rule test cases (`rules test DIR`): a snapshot, an optional JSON Patch, optional facts, an action
 * and the expected results, run through the real engine. The format is in rules/README.md.
 *
 * rulestest_find returns an owned, sorted list of case paths (rulestest_paths_free). A struct
 * case_result owns its strings (rulestest_result_clear).
 */
#ifndef SDRS_RULESTEST_H
#define SDRS_RULESTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "engine.h"
#include "err.h"

struct case_result {
    char *path;
    char *description;
    bool passed;
    struct buf detail; /* one line per mismatch */
};

/* Collects every *.json file under dir (recursively) that is a test case (has "expect"). Files
 * that are snapshots (have "schema") are skipped; any other JSON file is an error. */
int rulestest_find(const char *dir, char ***paths, size_t *n, struct err *e);
void rulestest_paths_free(char **paths, size_t n);

/* Runs one case. Returns 0 when it ran (passed or not: see out->passed), or an error for an
 * invalid case file (ERR_PARSE). */
int rulestest_run(struct engine *eng, const char *path, struct case_result *out, struct err *e);
void rulestest_result_clear(struct case_result *r);

/* Whether the case at path expects a result of a rule the engine does not have: 1 (the first such
 * id in id[size]), 0, or an error for an unreadable case. */
int rulestest_unknown_rule(struct engine *eng, const char *path, char *id, size_t size,
                           struct err *e);

#endif
