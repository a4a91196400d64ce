/*
 * The limits of a rule's sandbox, without the Lua headers: the engine's options and the command
 * line name them, the sandbox enforces them (sandbox.h).
 */
#ifndef SDRS_RULELIMITS_H
#define SDRS_RULELIMITS_H

#include <stddef.h>

#define SANDBOX_DEFAULT_MEMORY       (64u << 20)
#define SANDBOX_DEFAULT_INSTRUCTIONS 50000000LL
#define SANDBOX_DEFAULT_TIMEOUT_MS   10000L
/* The most work one call of a library function may do before it runs: iterations of string.rep,
 * table.move and table.concat, and the estimated steps of a pattern search (sandbox.c). */
#define SANDBOX_MAX_C_STEPS 100000000.0

struct sandbox_limits {
    size_t memory;          /* bytes the state may hold */
    long long instructions; /* VM instructions per sandbox_call */
    long timeout_ms;        /* wall-clock time per sandbox_call (0: the default) */
};

#endif
