/*
 * The limits of a rule's sandbox, without the Lua headers: the engine's options and the command
 * line name them, the sandbox enforces them (sandbox.h).
 */
#ifndef SDRS_RULELIMITS_H
#define SDRS_RULELIMITS_H

#include <stddef.h>

#define SANDBOX_DEFAULT_MEMORY       (64u << 20)
#define SANDBOX_DEFAULT_INSTRUCTIONS 50000000LL

struct sandbox_limits {
    size_t memory;          /* bytes the state may hold */
    long long instructions; /* VM instructions per sandbox_call */
};

#endif
