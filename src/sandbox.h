/*
 * A Lua 5.4 state for running one rule: capped allocator, instruction budget, safe libraries only,
 * text-only chunks, `require` limited to the embedded rules/lib modules, and an environment that
 * refuses unknown globals.
 *
 * sandbox_new returns an owned sandbox (sandbox_free closes the state). All work inside the state
 * happens through sandbox_call, which runs a C function in protected mode: nothing may touch the
 * state outside it, because any Lua API call that allocates can raise.
 */
#ifndef SDRS_SANDBOX_H
#define SDRS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "err.h"
#include "rulelimits.h"

#if LUA_VERSION_NUM != 504
#error "sdrs-preflight needs the Lua 5.4 C API"
#endif

#define SANDBOX_PRINT_LIMIT 4096

/* How a sandbox_call ended. */
enum sandbox_status {
    SANDBOX_OK,
    SANDBOX_RUNTIME, /* the code raised an error (message has file:line) */
    SANDBOX_SYNTAX,  /* a chunk did not compile, or was not text */
    SANDBOX_MEMORY,  /* the memory cap was reached */
    SANDBOX_BUDGET,  /* the instruction budget ran out */
    SANDBOX_TIME,    /* the wall-clock limit passed */
    SANDBOX_BOUND,   /* a library call would have done more work than a call may (string.rep,
                        table.move, table.concat, a pattern search on a long subject) */
    SANDBOX_AGAIN,   /* a call without the count hook must run again with it */
};

/* Receives print() output and warnings; chunk names the code that printed. */
typedef void (*sandbox_log_fn)(void *ud, const char *msg);

struct sandbox;

int sandbox_new(const struct sandbox_limits *lim, sandbox_log_fn log, void *log_ud,
                struct sandbox **out, struct err *e);
void sandbox_free(struct sandbox *sb);

/* Runs fn(L) in protected mode with arg as a light userdata at index 1. Returns 0, or
 * ERR_INVALID with e->msg describing the failure (for a runtime error: "file:line: message").
 * A run that reached the memory cap, the instruction budget, the time limit or a library call's
 * bound fails even if the code caught the error: once a limit is hit, every thread of the state
 * (coroutines included) raises at its next instruction, so no pcall can keep it going. */
int sandbox_call(struct sandbox *sb, lua_CFunction fn, void *arg, struct err *e);
/*
 * sandbox_call without the count hook, for code that is part of the program (the built-in rules).
 * While the hook is set, Lua calls it at every instruction to count them: a sixth of the
 * instructions of a check. Without it, the instruction budget is kept by a bound instead: the call
 * may use at most budget / SANDBOX_UNHOOKED_RATE ns of this thread's CPU time, and no Lua VM runs
 * SANDBOX_UNHOOKED_RATE instructions a nanosecond, so a call that ends within that time stayed
 * within the budget (the CPU time used is read after the call: the timer's signal, unblocked for
 * the call, only stops a call that would not end; one that took longer than the time limit is not
 * taken either). Returns true when fn ran to a clean end, exactly as with the hook. Returns false,
 * having run nothing or leaving the state unusable, when the allowance ran out, the code raised an
 * error, reached a limit or made a coroutine (a coroutine takes its creator's hook), or the budget
 * is below SANDBOX_UNHOOKED_MIN: the caller drops the sandbox and runs the code again, in a new
 * one, with sandbox_call, which gives the same errors, messages and tracebacks as always.
 * The collector waits longer in such a call (a pause of SANDBOX_UNHOOKED_GC_PAUSE instead of Lua's
 * 200): fewer collections, and a call that meets the memory cap sooner for it runs again with the
 * collector as always.
 */
#define SANDBOX_UNHOOKED_RATE     2        /* instructions per ns: 2 billion a second */
#define SANDBOX_UNHOOKED_MIN      10000000 /* a smaller budget always runs with the hook */
#define SANDBOX_UNHOOKED_GC_PAUSE 400 /* percent: a cycle starts at 4 times the memory in use */
#define SANDBOX_GC_PAUSE          200 /* Lua's default (LUAI_GCPAUSE), the pause of every other call */
bool sandbox_try_unhooked(struct sandbox *sb, lua_CFunction fn, void *arg);

/* How the last sandbox_call ended, and the traceback of its error ("" if none). Borrowed. */
enum sandbox_status sandbox_last_status(const struct sandbox *sb);
const char *sandbox_last_traceback(const struct sandbox *sb);
/* Bytes the state holds now, and the most it held. */
size_t sandbox_memory_peak(const struct sandbox *sb);

/* Inside a protected call: loads a text chunk with the sandbox environment and pushes it.
 * Raises on a syntax error or bytecode. With a cache set, a chunk compiled before (same name, same
 * text) is loaded from the bytecode the compiler made of it then. [-0, +1, e] */
void sandbox_load(lua_State *L, const char *src, size_t len, const char *chunkname);

/* Compiled chunks shared by the sandboxes of one owner (the engine): each text chunk is compiled
 * once, and later sandboxes load the bytecode lua_dump made of it, with its debug information, so
 * messages and tracebacks are the same. Only bytecode made here is ever loaded; rule code still
 * cannot load any. A sandbox borrows the cache (sandbox_set_cache); it must outlive its users. */
struct sandbox_cache;
struct sandbox_cache *sandbox_cache_new(void); /* NULL when out of memory */
void sandbox_cache_free(struct sandbox_cache *c);
void sandbox_set_cache(struct sandbox *sb, struct sandbox_cache *c);
/* Chunks loaded from the cache so far, and chunks compiled into it. */
void sandbox_cache_stats(const struct sandbox_cache *c, size_t *hits, size_t *compiled);

/* Modules written in C that `require` serves besides the embedded rules/lib ones: open pushes the
 * module's value (like a luaopen_ function). The array ends with a NULL name; the sandbox borrows
 * it, so it must outlive the sandbox (a static table). */
struct sandbox_module {
    const char *name;
    lua_CFunction open;
};
void sandbox_set_modules(struct sandbox *sb, const struct sandbox_module *modules);

/* Inside a protected call: the sandbox that owns L, and its user pointer. */
struct sandbox *sandbox_of(lua_State *L);
void sandbox_set_user(struct sandbox *sb, void *user);
/* Where print() and warn() of the code in the state go from now on (NULL: nowhere). */
void sandbox_set_log(struct sandbox *sb, sandbox_log_fn log, void *log_ud);
/* Names the code being run in messages that have no line (a memory error before the first hook). */
void sandbox_set_origin(struct sandbox *sb, const char *origin);
void *sandbox_user(const struct sandbox *sb);

#endif
