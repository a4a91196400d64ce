/*
 * Shared pieces of the libFuzzer targets (tests/fuzz/README.md).
 *
 * A target aborts (FUZZ_ASSERT) when a documented contract does not hold, so that libFuzzer keeps
 * the input; everything else a target allocates is freed before it returns (LeakSanitizer is on).
 * fuzz_engine() returns a process-wide engine that the caller borrows (freed at exit).
 */
#ifndef SDRS_FUZZ_H
#define SDRS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "facts.h"
#include "result.h"
#include "snapshot.h"

/* libFuzzer's entry points; declared here for -Wmissing-prototypes. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz: <file>:<line>: <message>" to stderr and aborts. */
void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) __attribute__((noreturn));

#define FUZZ_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
    } while (0)

/* The time every target uses as "now" (2026-11-25T12:00:00Z), so that runs are deterministic. */
#define FUZZ_NOW 1795608000LL

/* Sandbox limits for fuzzing: 8 MiB and 2,000,000 instructions per rule, so a run stays fast. */
#define FUZZ_MEMORY       (8u << 20)
#define FUZZ_INSTRUCTIONS 2000000LL

/* The engine with the built-in rules and the fuzzing limits; created on first use, aborts when the
 * built-in rules do not load. Borrowed. */
struct engine *fuzz_engine(void);

/* One evaluation of a fuzzed snapshot; owns everything it points to (fuzz_eval_clear). */
struct fuzz_eval {
    struct snapshot *snap;
    struct facts *facts; /* NULL when the snapshot has no valid "fuzz_facts" member */
    const char *action;  /* borrowed from snap or static */
    struct rule_result *results;
    size_t nresults;
};

/* Loads data as a snapshot and runs the built-in rules on it. The snapshot reader ignores unknown
 * top-level members, so the input chooses the rest: "fuzz_action" (an action name, else
 * "failover") and "fuzz_facts" (a facts document, used when it is valid). Returns false, with
 * nothing to clear, when data is not a snapshot; aborts when engine_run fails. */
bool fuzz_eval_run(const uint8_t *data, size_t size, struct fuzz_eval *ev);
void fuzz_eval_clear(struct fuzz_eval *ev);

#endif
