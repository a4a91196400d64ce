#include "sandbox.h"

#include "buf.h"
#include "embedded.h"
#include "lpool.h"
#include "util.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#define HOOK_EVERY 1000

struct sandbox {
    lua_State *L;
    struct lpool *pool;
    size_t used, peak, limit;
    bool mem_refused;
    long long budget, counted;
    long timeout_ms;
    long long deadline_ms;    /* monotonic: the time limit of the call running */
    enum sandbox_status stop; /* a limit hit in this call: SANDBOX_OK until then */
    char stop_msg[300];       /* what the limit was, for every raise after it */
    bool exhausted;           /* a limit was hit: every thread's hook raises at each instruction */
    char where[256];          /* the last source line the hook saw */
    enum sandbox_status status;
    struct buf traceback;
    sandbox_log_fn log;
    void *log_ud;
    size_t printed;
    struct sandbox_cache *cache; /* borrowed, may be NULL */
    void *user;
    char origin[256];                     /* the file being run, for messages without a line */
    const struct sandbox_module *modules; /* borrowed, may be NULL */
    bool unhooked;                        /* in sandbox_try_unhooked */
    volatile sig_atomic_t spent;          /* its CPU allowance ran out (set by a signal) */
};

/* Registry keys (addresses of these statics are unique light userdata). */
static const char KEY_ENV = 'e';
static const char KEY_LOADED = 'l';

/* The allocator contract of lua_Alloc (manual §4.6): ptr NULL means osize encodes a type; nsize 0
 * frees. Freeing always succeeds, and so does shrinking within the pool (a block beyond
 * LPOOL_SMALL that shrinks into it needs a new block, which only a process out of memory lacks);
 * growth past the cap is refused and remembered. */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct sandbox *sb = ud;
    void *p;

    if (!ptr)
        osize = 0;
    if (nsize == 0) {
        lpool_realloc(sb->pool, ptr, osize, 0);
        sb->used -= osize;
        return NULL;
    }
    if (nsize > osize && (nsize - osize > sb->limit || sb->used + (nsize - osize) > sb->limit)) {
        sb->mem_refused = true;
        return NULL;
    }
    p = lpool_realloc(sb->pool, ptr, osize, nsize);
    if (!p) {
        if (nsize > osize)
            sb->mem_refused = true;
        return NULL;
    }
    sb->used = sb->used - osize + nsize;
    if (sb->used > sb->peak)
        sb->peak = sb->used;
    return p;
}

struct sandbox *sandbox_of(lua_State *L)
{
    return *(struct sandbox **)lua_getextraspace(L);
}

static void hook(lua_State *L, lua_Debug *ar);

/* Records that a limit was hit (the first one wins) and raises. From now on every thread's hook
 * fires at each instruction and raises again, so neither pcall nor a coroutine can keep going. */
static int stop(lua_State *L, enum sandbox_status why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int stop(lua_State *L, enum sandbox_status why, const char *fmt, ...)
{
    struct sandbox *sb = sandbox_of(L);
    va_list ap;

    if (!sb->exhausted) {
        sb->exhausted = true;
        sb->stop = why;
        va_start(ap, fmt);
        vsnprintf(sb->stop_msg, sizeof sb->stop_msg, fmt, ap);
        va_end(ap);
    }
    lua_sethook(L, hook, LUA_MASKCOUNT, 1);
    lua_pushstring(L, sb->stop_msg);
    return lua_error(L);
}

/* Count hook: charges the budget, watches the clock and notes where the code is. The hook of
 * every thread comes here (a coroutine inherits it), so a limit hit in one thread stops them all:
 * each re-arms to fire on every instruction the first time it runs after the stop. */
static void hook(lua_State *L, lua_Debug *ar)
{
    struct sandbox *sb = sandbox_of(L);

    if (sb->spent && !sb->exhausted)
        stop(L, SANDBOX_AGAIN, "the CPU allowance of a call without the count hook ran out");
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(sb->where, sizeof sb->where, "%s:%d", ar->short_src, ar->currentline);
    if (!sb->exhausted) {
        sb->counted += HOOK_EVERY;
        if (sb->counted > sb->budget)
            stop(L, SANDBOX_BUDGET, "instruction budget of %lld instructions exhausted at %s",
                 sb->budget, sb->where);
        if (util_now_ms() >= sb->deadline_ms)
            stop(L, SANDBOX_TIME, "time limit of %.3g s exceeded at %s",
                 (double)sb->timeout_ms / 1000, sb->where);
        return;
    }
    stop(L, sb->stop, "%s", sb->stop_msg);
}

/* ---- library calls bounded before they run ------------------------------------------------- */

/* A library call that would do more than SANDBOX_MAX_C_STEPS: refused like a limit (a long loop
 * inside C cannot be interrupted by the hook). */
static int refuse(lua_State *L, const char *fn, const char *what, double steps)
{
    struct sandbox *sb = sandbox_of(L);
    lua_Debug ar;

    /* the line of the Lua code that called fn (through pcall, perhaps) */
    for (int level = 1; level < 4 && lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(sb->where, sizeof sb->where, "%s:%d", ar.short_src, ar.currentline);
            break;
        }
    return stop(L, SANDBOX_BOUND,
                "%s refused: %s (about %.3g steps; a library call may do %.3g) at %s", fn, what,
                steps, SANDBOX_MAX_C_STEPS, sb->where[0] ? sb->where : sb->origin);
}

/* Calls the original library function (upvalue 1) with the arguments as given. */
static int call_original(lua_State *L)
{
    int n = lua_gettop(L);

    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* string.rep(s, n [, sep]): n iterations whatever the length (an empty s loops as long). */
static int l_rep(lua_State *L)
{
    lua_Integer n;

    luaL_checkstring(L, 1);
    n = luaL_checkinteger(L, 2);
    /* a result over the memory cap is the allocator's to refuse */
    if (n > 0 && (double)n > SANDBOX_MAX_C_STEPS)
        return refuse(L, "string.rep", "too many repetitions", (double)n);
    return call_original(L);
}

/* table.move(a1, f, e, t [, a2]) and table.concat(list [, sep [, i [, j]]]): one step per index. */
static int l_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);

    if (e >= f && (double)e - (double)f + 1 > SANDBOX_MAX_C_STEPS)
        return refuse(L, "table.move", "too many elements", (double)e - (double)f + 1);
    return call_original(L);
}

static int l_concat(lua_State *L)
{
    lua_Integer i, j;

    luaL_checktype(L, 1, LUA_TTABLE);
    i = luaL_optinteger(L, 3, 1);
    j = lua_isnoneornil(L, 4) ? (lua_Integer)lua_rawlen(L, 1) : luaL_checkinteger(L, 4);
    if (j >= i && (double)j - (double)i + 1 > SANDBOX_MAX_C_STEPS)
        return refuse(L, "table.concat", "too many elements", (double)j - (double)i + 1);
    return call_original(L);
}

/* An upper bound of the steps Lua's matcher may take for pattern p on a subject of n bytes:
 * every start position (unless anchored) times, for each item repeated with *, + or -, the n + 1
 * lengths it may try (2 for ?). A plain search (no special character, or find's plain flag)
 * compares the pattern at every position. */
static double pattern_steps(const char *p, size_t lp, size_t n, bool plain)
{
    double per = 1, last = 1; /* last: the factor of the last item, if it was repeated */
    bool anchored;
    size_t i = 0;

    if (plain || !strpbrk(p, "^$*+?.([%-") || strlen(p) < lp)
        return ((double)n + 1) * ((double)lp + 1);
    anchored = p[0] == '^';
    i = anchored ? 1 : 0;
    while (i < lp) {
        size_t item;
        if (p[i] == '(' || p[i] == ')') {
            i++;
            continue;
        }
        last = 1;
        if (p[i] == '%' && i + 1 < lp && p[i + 1] == 'b') {
            i += 4; /* %bxy: balanced, linear */
            continue;
        }
        if (p[i] == '%' && i + 1 < lp && p[i + 1] == 'f')
            i += 2; /* %f[set]: a frontier, then the set below */
        item = i;
        if (p[i] == '%')
            i += 2;
        else if (p[i] == '[') {
            i++;
            if (i < lp && p[i] == '^')
                i++;
            do { /* the first ']' of a set belongs to it */
                if (i < lp && p[i] == '%')
                    i++;
                i++;
            } while (i < lp && p[i] != ']');
            i++;
        } else
            i++;
        if (i < lp && item != i && strchr("*+-", p[i])) {
            last = (double)n + 1;
            i++;
        } else if (i < lp && p[i] == '?') {
            last = 2;
            i++;
        }
        per *= last;
        if (per > 1e30)
            break;
    }
    /* A repeated item with nothing after it (no item, no '$') never backtracks: the first length
     * it tries matches. */
    if (last > 1 && p[lp - 1] != '$')
        per /= last;
    return (anchored ? 1 : (double)n + 1) * per;
}

/* string.find/match/gmatch/gsub: refused when the search could exceed the bound. */
static int bounded_search(lua_State *L, const char *fn, bool may_be_plain)
{
    size_t ls, lp;
    const char *pat;
    bool plain = false;
    double steps;

    luaL_checklstring(L, 1, &ls);
    pat = luaL_checklstring(L, 2, &lp);
    if (may_be_plain)
        plain = lua_toboolean(L, 4);
    steps = pattern_steps(pat, lp, ls, plain);
    if (steps > SANDBOX_MAX_C_STEPS)
        return refuse(L, fn,
                      plain ? "a plain search this long may compare too many bytes"
                            : "the pattern may backtrack too long on a subject this long",
                      steps);
    return call_original(L);
}

static int l_find(lua_State *L)
{
    return bounded_search(L, "string.find", true);
}

static int l_match(lua_State *L)
{
    return bounded_search(L, "string.match", false);
}

static int l_gmatch(lua_State *L)
{
    return bounded_search(L, "string.gmatch", false);
}

static int l_gsub(lua_State *L)
{
    return bounded_search(L, "string.gsub", false);
}

/* Replaces lib[name] (the table on top of the stack) by fn with the original as upvalue 1. */
static void bound(lua_State *L, const char *name, lua_CFunction fn)
{
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
}

static void warnf(void *ud, const char *msg, int tocont)
{
    struct sandbox *sb = ud;

    (void)tocont;
    if (sb->log && msg && *msg != '@')
        sb->log(sb->log_ud, msg);
}

/* type(v), as the base library's, with the names kept as upvalues: the library's looks each name
 * up as a C string at every call, and type is what the rules' helpers call most (76,000 times in a
 * check of 500 instances). */
static int l_type(lua_State *L)
{
    int t = lua_type(L, 1);

    luaL_argcheck(L, t != LUA_TNONE, 1, "value expected");
    lua_pushvalue(L, lua_upvalueindex(t + 1));
    return 1;
}

/* print(...): to the diagnostic log, capped per sandbox. */
static int l_print(lua_State *L)
{
    struct sandbox *sb = sandbox_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;

    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    if (sb->printed < SANDBOX_PRINT_LIMIT) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        sb->printed += len;
        if (sb->log)
            sb->log(sb->log_ud, s);
        if (sb->printed >= SANDBOX_PRINT_LIMIT && sb->log)
            sb->log(sb->log_ud, "(further print output of this rule is dropped)");
    }
    return 0;
}

/* setmetatable without __gc and __close: both run code at moments (collection, a thread reset)
 * where Lua may not call the count hook. */
static int l_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);

    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        static const char *const banned[] = {"__gc", "__close"};
        for (size_t i = 0; i < 2; i++) {
            lua_pushstring(L, banned[i]);
            if (lua_rawget(L, 2) != LUA_TNIL)
                return luaL_error(L, "%s metamethods are not allowed in rules", banned[i]);
            lua_pop(L, 1);
        }
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* xpcall(f, handler, ...): the handler runs after the stack has unwound, not at the error point.
 * Lua calls a real message handler while an error raised by the count hook is still propagating,
 * with hooks switched off, so a looping handler would never be stopped. */
static int l_xpcall(lua_State *L)
{
    int n = lua_gettop(L);

    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++)
        lua_pushvalue(L, i);
    if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return lua_gettop(L) - n;
    }
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_pcall(L, 1, 1, 0);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/* The function a safe coroutine.wrap returns. Upvalue 1: the thread. Unlike the library's wrap,
 * a failed coroutine is not reset: a reset runs __close handlers without the count hook. */
static int l_wrap_call(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int narg = lua_gettop(L), nres, st = lua_status(co);

    if ((st == LUA_OK && lua_gettop(co) == 0) || (st != LUA_OK && st != LUA_YIELD))
        return luaL_error(L, "cannot resume dead coroutine");
    if (!lua_checkstack(co, narg))
        return luaL_error(L, "too many arguments to resume");
    lua_xmove(L, co, narg);
    st = lua_resume(co, L, narg, &nres);
    if (st == LUA_OK || st == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1))
            return luaL_error(L, "too many results to resume");
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1);
    return lua_error(L);
}

/* A coroutine takes the hook its creator has: in a call without one (sandbox_try_unhooked) a
 * loop in it could not be stopped, so the call ends, to run again with the hook. */
static void coroutine_guard(lua_State *L)
{
    if (sandbox_of(L)->unhooked)
        stop(L, SANDBOX_AGAIN, "a coroutine runs only with the count hook");
}

static int l_create(lua_State *L)
{
    coroutine_guard(L);
    return call_original(L);
}

static int l_wrap(lua_State *L)
{
    lua_State *co;

    coroutine_guard(L);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, l_wrap_call, 1);
    return 1;
}

static const struct embedded_file *find_lib(const char *name)
{
    for (size_t i = 0; i < embedded_libs_count; i++)
        if (embedded_libs[i].name && strcmp(embedded_libs[i].name, name) == 0)
            return &embedded_libs[i];
    return NULL;
}

void sandbox_set_modules(struct sandbox *sb, const struct sandbox_module *modules)
{
    sb->modules = modules;
}

/* require(name): only the embedded rules/lib modules and the embedder's C modules, each loaded
 * once per state. */
static int l_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const struct sandbox_module *mods = sandbox_of(L)->modules;
    const struct embedded_file *lib;
    char chunk[300];

    lua_settop(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_LOADED);
    if (lua_getfield(L, 2, name) != LUA_TNIL) {
        if (lua_toboolean(L, -1) && lua_type(L, -1) == LUA_TLIGHTUSERDATA)
            return luaL_error(L, "module '%s' requires itself", name);
        return 1;
    }
    lua_pop(L, 1);
    for (const struct sandbox_module *m = mods; m && m->name; m++) {
        if (strcmp(m->name, name) != 0)
            continue;
        lua_pushcfunction(L, m->open);
        lua_call(L, 0, 1);
        lua_pushvalue(L, -1);
        lua_setfield(L, 2, name);
        return 1;
    }
    lib = find_lib(name);
    if (!lib) {
        luaL_Buffer b;
        bool first = true;
        luaL_buffinit(L, &b);
        for (size_t i = 0; i < embedded_libs_count; i++) {
            if (!embedded_libs[i].name)
                continue;
            if (!first)
                luaL_addstring(&b, ", ");
            luaL_addstring(&b, embedded_libs[i].name);
            first = false;
        }
        for (const struct sandbox_module *m = mods; m && m->name; m++) {
            if (!first)
                luaL_addstring(&b, ", ");
            luaL_addstring(&b, m->name);
            first = false;
        }
        luaL_pushresult(&b);
        return luaL_error(L, "module '%s' not found (rules can require only: %s)", name,
                          lua_tostring(L, -1));
    }
    lua_pushlightuserdata(L, (void *)&KEY_LOADED); /* loading marker */
    lua_setfield(L, 2, name);
    snprintf(chunk, sizeof chunk, "@%s", lib->path);
    sandbox_load(L, lib->data, lib->len, chunk);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, name);
    return 1;
}

/* __index of the allowed globals' own metatable: a name that is not one of them is an error. */
static int l_env_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "undefined global '%s'", lua_tostring(L, 2));
    return luaL_error(L, "undefined global");
}

static int l_env_newindex(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "assignment to global '%s' (declare it local)", lua_tostring(L, 2));
    return luaL_error(L, "assignment to a global (declare it local)");
}

static int l_readonly(lua_State *L)
{
    return luaL_error(L, "attempt to modify a read-only table (field '%s')",
                      lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* __pairs of a read-only proxy: iterate the real table (upvalue 1). */
static int l_proxy_pairs(lua_State *L)
{
    lua_getglobal(L, "next");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushnil(L);
    return 3;
}

/* Pushes a read-only proxy of the table at idx. [-0, +1, m] */
static void push_readonly(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_createtable(L, 0, 4);
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_readonly);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, l_proxy_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* Builds the libraries and the environment. Runs in protected mode. */
static int l_init(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},
        {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string},
        {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
        {LUA_COLIBNAME, luaopen_coroutine},
        {NULL, NULL},
    };
    static const char *const base_allowed[] = {
        "assert", "error",  "ipairs",   "next",     "pairs", "pcall",    "rawequal",     "rawget",
        "rawlen", "select", "tonumber", "tostring", "type",  "_VERSION", "getmetatable", NULL,
    };
    static const char *const proxied[] = {
        LUA_TABLIBNAME, LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME, LUA_COLIBNAME, NULL,
    };
    int allowed, env;

    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    /* Remove what breaks the sandbox or determinism from the real library tables. */
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    bound(L, "rep", l_rep);
    bound(L, "find", l_find);
    bound(L, "match", l_match);
    bound(L, "gmatch", l_gmatch);
    bound(L, "gsub", l_gsub);
    lua_pop(L, 1);
    lua_getglobal(L, LUA_TABLIBNAME);
    bound(L, "move", l_move);
    bound(L, "concat", l_concat);
    lua_pop(L, 1);
    lua_getglobal(L, LUA_MATHLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "random");
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_getglobal(L, LUA_COLIBNAME);
    lua_pushcfunction(L, l_wrap);
    lua_setfield(L, -2, "wrap");
    bound(L, "create", l_create);
    lua_pushnil(L);
    lua_setfield(L, -2, "close");
    lua_pop(L, 1);

    /* The string metatable is shared by every string: lock it. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    lua_newtable(L);
    allowed = lua_gettop(L);
    for (const char *const *n = base_allowed; *n; n++) {
        lua_getglobal(L, *n);
        lua_setfield(L, allowed, *n);
    }
    for (const char *const *n = proxied; *n; n++) {
        lua_getglobal(L, *n);
        push_readonly(L, -1);
        lua_setfield(L, allowed, *n);
        lua_pop(L, 1);
    }
    for (int t = 0; t < LUA_NUMTYPES; t++)
        lua_pushstring(L, lua_typename(L, t));
    lua_pushcclosure(L, l_type, LUA_NUMTYPES);
    lua_setfield(L, allowed, "type");
    lua_pushcfunction(L, l_print);
    lua_setfield(L, allowed, "print");
    lua_pushcfunction(L, l_require);
    lua_setfield(L, allowed, "require");
    lua_pushcfunction(L, l_setmetatable);
    lua_setfield(L, allowed, "setmetatable");
    lua_pushcfunction(L, l_xpcall);
    lua_setfield(L, allowed, "xpcall");

    /* The environment is empty: a global is looked up in `allowed` (a table, which the VM reads
     * itself: a rule reads globals such as type and pairs in every line, and a C function as
     * __index made each read a call), and a name allowed lacks reaches allowed's own __index, which
     * raises. Neither table is reachable from Lua: both metatables are locked. */
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, l_env_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, allowed);
    lua_newtable(L);
    env = lua_gettop(L);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, allowed);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, env);
    lua_pushvalue(L, env);
    lua_setfield(L, allowed, "_G");
    lua_pushvalue(L, env);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_ENV);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_LOADED);
    lua_settop(L, 0);
    return 0;
}

/* ---- compiled chunks ------------------------------------------------------------------------ */

struct cached_chunk {
    char *name;         /* chunk name */
    const char *source; /* the text it was compiled from (the key, with name) */
    size_t source_len;
    const char *code; /* lua_dump output */
    size_t code_len;
    bool embedded; /* source and code are the build's (static); else the three are allocated */
};

/* Shared by the sandboxes of an engine, which run on several threads at once: mu guards it. */
struct sandbox_cache {
    pthread_mutex_t mu;
    struct cached_chunk *items;
    size_t n, cap;
    size_t hits, compiled;
};

static bool cache_grow(struct sandbox_cache *c)
{
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct cached_chunk *ni = realloc(c->items, ncap * sizeof *ni);
        if (!ni)
            return false;
        c->items = ni;
        c->cap = ncap;
    }
    return true;
}

/* Adds the bytecode the build compiled from the embedded files (src/embed_rules.c), under the
 * chunk names the engine and require give them: a built-in rule or module is never parsed. */
static bool cache_seed(struct sandbox_cache *c, const struct embedded_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct embedded_file *f = &files[i];
        struct cached_chunk k = {.source = f->data,
                                 .source_len = f->len,
                                 .code = f->code,
                                 .code_len = f->code_len,
                                 .embedded = true};
        size_t len;

        if (!f->name || !f->code)
            continue;
        len = strlen(f->path) + 2;
        if (!cache_grow(c) || !(k.name = malloc(len)))
            return false;
        snprintf(k.name, len, "@%s", f->path);
        c->items[c->n++] = k;
    }
    return true;
}

struct sandbox_cache *sandbox_cache_new(void)
{
    struct sandbox_cache *c = calloc(1, sizeof(struct sandbox_cache));

    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    if (!cache_seed(c, embedded_rules, embedded_rules_count) ||
        !cache_seed(c, embedded_libs, embedded_libs_count)) {
        sandbox_cache_free(c);
        return NULL;
    }
    return c;
}

void sandbox_cache_free(struct sandbox_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].name);
        if (!c->items[i].embedded) {
            free((char *)c->items[i].source);
            free((char *)c->items[i].code);
        }
    }
    free(c->items);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void sandbox_set_cache(struct sandbox *sb, struct sandbox_cache *c)
{
    sb->cache = c;
}

void sandbox_cache_stats(const struct sandbox_cache *c, size_t *hits, size_t *compiled)
{
    *hits = c ? c->hits : 0;
    *compiled = c ? c->compiled : 0;
}

static struct cached_chunk *cache_find(struct sandbox_cache *c, const char *src, size_t len,
                                       const char *chunkname)
{
    for (size_t i = 0; i < c->n; i++) {
        struct cached_chunk *k = &c->items[i];
        if (k->source_len == len && strcmp(k->name, chunkname) == 0 &&
            (k->source == src || memcmp(k->source, src, len) == 0))
            return k;
    }
    return NULL;
}

static int dump_writer(lua_State *L, const void *p, size_t size, void *ud)
{
    (void)L;
    return buf_add(ud, p, size) ? 1 : 0;
}

/* Keeps the bytecode of the function on top of the stack. Out of memory only means no entry. */
static void cache_add(lua_State *L, struct sandbox_cache *c, const char *src, size_t len,
                      const char *chunkname)
{
    struct cached_chunk k = {0};
    struct buf code;
    char *source;

    if (!cache_grow(c))
        return;
    buf_init(&code, 0);
    k.name = util_strdup(chunkname);
    source = malloc(len ? len : 1);
    if (!k.name || !source || lua_dump(L, dump_writer, &code, 0) != 0) {
        free(k.name);
        free(source);
        buf_free(&code);
        return;
    }
    memcpy(source, src, len);
    k.source = source;
    k.source_len = len;
    k.code_len = code.len;
    k.code = buf_take(&code);
    if (!k.code) {
        free(k.name);
        free(source);
        return;
    }
    c->items[c->n++] = k;
    c->compiled++;
}

void sandbox_load(lua_State *L, const char *src, size_t len, const char *chunkname)
{
    struct sandbox_cache *c = sandbox_of(L)->cache;
    struct cached_chunk *k;
    int rc;

    if (c)
        pthread_mutex_lock(&c->mu);
    k = c ? cache_find(c, src, len, chunkname) : NULL;
    if (k) {
        /* bytecode of the same text, made by this cache or by the build: the only binary chunks
         * ever loaded (lua_load runs protected: it returns, so the lock is always released) */
        rc = luaL_loadbufferx(L, k->code, k->code_len, chunkname, "b");
        c->hits++;
        pthread_mutex_unlock(&c->mu);
        if (rc != LUA_OK)
            lua_error(L);
    } else {
        if (c)
            pthread_mutex_unlock(&c->mu);
        if (luaL_loadbufferx(L, src, len, chunkname, "t") != LUA_OK)
            lua_error(L);
        if (c) {
            pthread_mutex_lock(&c->mu);
            if (!cache_find(c, src, len, chunkname)) /* another thread may have added it */
                cache_add(L, c, src, len, chunkname);
            pthread_mutex_unlock(&c->mu);
        }
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_ENV);
    if (!lua_setupvalue(L, -2, 1))
        lua_pop(L, 1);
}

/* Message handler: the error as text plus a traceback (lua.c's msghandler). */
static int l_msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);

    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* The last words before Lua aborts the process (a bug: every call is protected). The message is
 * made plain text, as every line a person reads is. */
static int l_atpanic(lua_State *L)
{
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
    struct buf clean;

    buf_init(&clean, 4096);
    util_put_clean(&clean, msg, strlen(msg));
    fprintf(stderr, "sdrs-preflight: unprotected Lua error: %s\n", buf_str(&clean));
    buf_free(&clean);
    return 0; /* Lua aborts */
}

/* True when the first n bytes of s contain needle. */
static bool contains(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);

    for (size_t i = 0; m && i + m <= n; i++)
        if (memcmp(s + i, needle, m) == 0)
            return true;
    return false;
}

/* The first "file:line" of a Lua frame in a traceback, or NULL; *len gets its length. */
static const char *traceback_location(const char *tb, size_t *len)
{
    for (const char *p = tb ? strstr(tb, "\n\t") : NULL; p; p = strstr(p + 1, "\n\t")) {
        const char *start = p + 2, *colon = strchr(start, ':');
        if (!colon || strncmp(start, "[C]", 3) == 0 || colon[1] < '0' || colon[1] > '9')
            continue;
        colon++;
        while (*colon >= '0' && *colon <= '9')
            colon++;
        *len = (size_t)(colon - start);
        return start;
    }
    return NULL;
}

/* The error message without the traceback; prefixed with the first Lua location of the
 * traceback when the message has none (an error object with __tostring, error(msg, 0)). */
static void set_message(struct sandbox *sb, struct err *e, const char *full)
{
    const char *tb = strstr(full, "\nstack traceback:"), *loc;
    size_t n = tb ? (size_t)(tb - full) : strlen(full), loclen = 0;

    buf_reset(&sb->traceback);
    buf_adds(&sb->traceback, full);
    if (n > 400)
        n = 400;
    loc = traceback_location(tb, &loclen);
    if (loc && !(sb->origin[0] && contains(full, n, sb->origin)))
        err_set(e, ERR_INVALID, "%.*s: %.*s", (int)loclen, loc, (int)n, full);
    else
        err_set(e, ERR_INVALID, "%.*s", (int)n, full);
}

int sandbox_call(struct sandbox *sb, lua_CFunction fn, void *arg, struct err *e)
{
    lua_State *L = sb->L;
    int rc;

    lua_settop(L, 0);
    sb->status = SANDBOX_OK;
    sb->counted = 0;
    sb->where[0] = '\0';
    sb->deadline_ms = util_now_ms() + sb->timeout_ms;
    buf_reset(&sb->traceback);
    if (sb->exhausted) {
        sb->exhausted = false;
        sb->stop = SANDBOX_OK;
        lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    }
    sb->mem_refused = false;
    if (!lua_checkstack(L, 3)) {
        sb->status = SANDBOX_MEMORY;
        return err_set(e, ERR_INVALID, "memory limit of %zu bytes reached", sb->limit);
    }
    lua_pushcfunction(L, l_msghandler);
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, arg);
    rc = lua_pcall(L, 1, 0, 1);
    if (sb->exhausted) {
        sb->status = sb->stop;
        err_set(e, ERR_INVALID, "%s", sb->stop_msg);
    } else if (sb->mem_refused || rc == LUA_ERRMEM) {
        sb->status = SANDBOX_MEMORY;
        if (sb->where[0])
            err_set(e, ERR_INVALID, "memory limit of %zu MiB reached near %s", sb->limit >> 20,
                    sb->where);
        else
            err_set(e, ERR_INVALID, "memory limit of %zu MiB reached in %s", sb->limit >> 20,
                    sb->origin[0] ? sb->origin : "the rule");
    } else if (rc != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        sb->status = msg && strstr(msg, "attempt to load a binary chunk") ? SANDBOX_SYNTAX
                     : rc == LUA_ERRSYNTAX                                ? SANDBOX_SYNTAX
                                                                          : SANDBOX_RUNTIME;
        set_message(sb, e, msg ? msg : "unknown error");
    }
    lua_settop(L, 0);
    if (sb->status == SANDBOX_BUDGET || sb->status == SANDBOX_TIME || sb->status == SANDBOX_BOUND ||
        sb->status == SANDBOX_MEMORY) {
        /* The error message the code saw may have been caught; keep ours. */
        return ERR_INVALID;
    }
    return rc == LUA_OK ? 0 : ERR_INVALID;
}

/* ---- calls without the count hook ---------------------------------------------------------- */

/* The sandbox running without the hook on this thread, for the allowance's signal. */
static _Thread_local struct sandbox *volatile unhooked_sb;
static int allowance_signal; /* 0 until set up, -1 when it cannot be */
static pthread_once_t allowance_once = PTHREAD_ONCE_INIT;

/* On this thread's CPU timer: the call has used its allowance. lua_sethook may be called from a
 * signal handler (ldebug.c says so; lua.c stops a script on SIGINT this way): the next instruction
 * runs the hook, which ends the call. */
static void on_allowance(int sig)
{
    struct sandbox *sb = unhooked_sb;

    (void)sig;
    if (sb) {
        sb->spent = 1;
        lua_sethook(sb->L, hook, LUA_MASKCOUNT, 1);
    }
}

static void allowance_setup(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_allowance;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    allowance_signal = sigaction(SIGRTMIN, &sa, NULL) == 0 ? SIGRTMIN : -1;
}

/* This thread's CPU time in ns. */
static long long thread_cpu_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return -1;
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool sandbox_try_unhooked(struct sandbox *sb, lua_CFunction fn, void *arg)
{
    long long ns = sb->budget / SANDBOX_UNHOOKED_RATE, t0 = util_now_ms(), cpu0;
    struct sigevent sev;
    struct itimerspec its;
    struct err e = {0};
    sigset_t allowance, mask;
    timer_t timer;
    bool done;

    if (sb->exhausted || sb->budget < SANDBOX_UNHOOKED_MIN)
        return false;
    pthread_once(&allowance_once, allowance_setup);
    if (allowance_signal <= 0)
        return false;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = allowance_signal;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &timer) != 0)
        return false;
    if (ns > (long long)sb->timeout_ms * 1000000) /* and the time limit, which the hook keeps */
        ns = (long long)sb->timeout_ms * 1000000;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = ns / 1000000000;
    its.it_value.tv_nsec = ns % 1000000000;
    /* the signal must reach this thread, whatever mask the process inherited */
    sigemptyset(&allowance);
    sigaddset(&allowance, allowance_signal);
    if (pthread_sigmask(SIG_UNBLOCK, &allowance, &mask) != 0 || (cpu0 = thread_cpu_ns()) < 0) {
        timer_delete(timer);
        return false;
    }
    sb->spent = 0;
    sb->unhooked = true;
    lua_sethook(sb->L, NULL, 0, 0);
    lua_gc(sb->L, LUA_GCINC, SANDBOX_UNHOOKED_GC_PAUSE, 0, 0);
    unhooked_sb = sb;
    done = timer_settime(timer, 0, &its, NULL) == 0 && sandbox_call(sb, fn, arg, &e) == 0;
    unhooked_sb = NULL; /* a signal still on its way finds no sandbox */
    timer_delete(timer);
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    sb->unhooked = false;
    /* The timer fires on the kernel's tick, after the allowance: the CPU time used decides (the
     * signal only stops a call that would not end). The time limit is wall-clock time. Past
     * either, the call runs again, with the hook. */
    done = done && !sb->spent && sb->status == SANDBOX_OK && thread_cpu_ns() - cpu0 <= ns &&
           util_now_ms() - t0 <= sb->timeout_ms;
    lua_gc(sb->L, LUA_GCINC, SANDBOX_GC_PAUSE, 0, 0);
    if (done)
        lua_sethook(sb->L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    return done;
}

int sandbox_new(const struct sandbox_limits *lim, sandbox_log_fn log, void *log_ud,
                struct sandbox **out, struct err *e)
{
    struct sandbox *sb;
    int rc;

    *out = NULL;
    sb = calloc(1, sizeof *sb);
    if (!sb)
        return err_set(e, ERR_NOMEM, "out of memory");
    sb->limit = lim && lim->memory ? lim->memory : SANDBOX_DEFAULT_MEMORY;
    sb->budget = lim && lim->instructions > 0 ? lim->instructions : SANDBOX_DEFAULT_INSTRUCTIONS;
    sb->timeout_ms = lim && lim->timeout_ms > 0 ? lim->timeout_ms : SANDBOX_DEFAULT_TIMEOUT_MS;
    sb->log = log;
    sb->log_ud = log_ud;
    buf_init(&sb->traceback, 64 * 1024);
    if (!(sb->pool = lpool_new())) {
        free(sb);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    sb->L = lua_newstate(l_alloc, sb);
    if (!sb->L) {
        lpool_free(sb->pool);
        free(sb);
        return err_set(e, ERR_NOMEM, "cannot create a Lua state (memory limit %zu bytes)",
                       lim ? lim->memory : 0);
    }
    *(struct sandbox **)lua_getextraspace(sb->L) = sb;
    lua_atpanic(sb->L, l_atpanic);
    lua_setwarnf(sb->L, warnf, sb);
    lua_sethook(sb->L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    rc = sandbox_call(sb, l_init, NULL, e);
    if (rc) {
        err_prefix(e, rc, "cannot set up the Lua sandbox");
        sandbox_free(sb);
        return rc;
    }
    *out = sb;
    return 0;
}

void sandbox_free(struct sandbox *sb)
{
    if (!sb)
        return;
    /* Every byte of the state is in its pool, which is dropped at once: lua_close would walk and
     * free each object first (a fortieth of a check). Closing would run no code: the sandbox
     * refuses __gc and __close. */
    lpool_free(sb->pool);
    buf_free(&sb->traceback);
    free(sb);
}

enum sandbox_status sandbox_last_status(const struct sandbox *sb)
{
    return sb->status;
}

const char *sandbox_last_traceback(const struct sandbox *sb)
{
    return buf_str(&sb->traceback);
}

size_t sandbox_memory_peak(const struct sandbox *sb)
{
    return sb->peak;
}

void sandbox_set_origin(struct sandbox *sb, const char *origin)
{
    snprintf(sb->origin, sizeof sb->origin, "%s", origin ? origin : "");
}

void sandbox_set_user(struct sandbox *sb, void *user)
{
    sb->user = user;
}

void sandbox_set_log(struct sandbox *sb, sandbox_log_fn log, void *log_ud)
{
    sb->log = log;
    sb->log_ud = log_ud;
}

void *sandbox_user(const struct sandbox *sb)
{
    return sb->user;
}
