/* Sandbox escapes: every file in tests/sandbox/ is a rule whose check() tries one way out. Each
 * must end as that rule's error, with the expected message, naming the rule file; the run finishes.
 */
#include "testutil.h"

#include "embedded.h"
#include "engine.h"
#include "luavocab.h"
#include "sandbox.h"
#include "util.h"

#include <lauxlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The text after "-- expect: " on the first line of the rule file. */
static char *expectation(const char *path)
{
    struct buf b;
    struct err e;
    char *nl, *start, *out;

    buf_init(&b, 0);
    ck_assert_msg(util_read_file(path, 0, &b, &e) == 0, "%s", e.msg);
    start = strstr(b.data, "-- expect: ");
    ck_assert_msg(start == b.data, "%s: first line must be '-- expect: ...'", path);
    start += strlen("-- expect: ");
    nl = strchr(start, '\n');
    out = util_strndup(start, (size_t)(nl - start));
    buf_free(&b);
    return out;
}

START_TEST(every_escape_is_a_rule_error)
{
    /* A smaller budget than the default keeps the looping escapes quick under valgrind. No escape
     * expects the wall clock: its limit is far away, so that on a slow machine under valgrind an
     * escape still ends at the limit it is meant to meet (the table bomb once took over 10 s to
     * reach the memory limit there). */
    struct engine_opts eo = {.no_builtin = true,
                             .limits = {.instructions = 5000000, .timeout_ms = 60000}};
    struct engine *eng = NULL;
    struct snapshot *snap = NULL;
    struct rule_result *res = NULL;
    struct err e = {0};
    size_t n = 0;
    char *dir = tu_src_path("tests/sandbox"), *fixture = tu_src_path("tests/fixtures/minimal.json");
    struct engine_input in;

    unlink("/tmp/sdrs-escaped");
    ck_assert_msg(engine_new(&eo, &eng, &e) == 0, "%s", e.msg);
    ck_assert_msg(engine_add_rules(eng, dir, &e) == 0, "%s", e.msg);
    ck_assert_uint_ge(engine_count(eng), 40);
    ck_assert_msg(snapshot_load_file(fixture, NULL, &snap, &e) == 0, "%s", e.msg);
    in = (struct engine_input){snap, NULL, "failover"};
    /* The first run uses the states that loaded the rules; the second fresh states that load the
     * rules from compiled chunks. Both must hold. */
    for (int run = 0; run < 2; run++) {
        long long t0 = util_now_ms(), took;
        rule_results_free(res, n);
        ck_assert_msg(engine_run(eng, &in, &res, &n, &e) == 0, "%s", e.msg);
        /* every escape ends at a limit: the suite is over in seconds (a generous bound that holds
         * under valgrind too; a hang would end at the wall clock, which no escape expects) */
        took = util_now_ms() - t0;
        ck_assert_msg(took < 240000, "run %d of the escape suite took %lld ms", run, took);
        for (size_t i = 0; i < n; i++) {
            char *want = expectation(res[i].meta.source);
            const char *file = strrchr(res[i].meta.source, '/') + 1;

            ck_assert_msg(res[i].result == RESULT_ERROR, "%s: result %s, want error",
                          res[i].meta.id, result_name(res[i].result));
            ck_assert_ptr_nonnull(res[i].error);
            ck_assert_msg(strstr(res[i].error, want) != NULL, "%s: error '%s' lacks '%s'",
                          res[i].meta.id, res[i].error, want);
            ck_assert_msg(strstr(res[i].error, file) != NULL, "%s: error '%s' does not name %s",
                          res[i].meta.id, res[i].error, file);
            free(want);
        }
    }
    ck_assert_msg(access("/tmp/sdrs-escaped", F_OK) != 0, "a rule created a file");
    rule_results_free(res, n);
    snapshot_free(snap);
    engine_free(eng);
    free(dir);
    free(fixture);
}
END_TEST

static int l_load_chunk(lua_State *L)
{
    const char *src = lua_touserdata(L, 1);

    sandbox_load(L, src, strlen(src), "@rules/x.lua");
    lua_call(L, 0, 0);
    return 0;
}

/* A chunk compiled once loads from the cache in later states and fails the same way, with the
 * same file and line; other text under the same name is compiled anew. */
START_TEST(compiled_chunks_are_shared)
{
    static const char bad[] = "local a = 1\nlocal b = 2\nerror('boom ' .. (a + b))\n";
    static const char other[] = "error('other')\n";
    struct sandbox_cache *c = sandbox_cache_new();
    size_t hits, compiled;

    ck_assert_ptr_nonnull(c);
    for (int i = 0; i < 3; i++) {
        struct sandbox *sb = NULL;
        struct err e = {0};

        ck_assert_int_eq(sandbox_new(NULL, NULL, NULL, &sb, &e), 0);
        sandbox_set_cache(sb, c);
        ck_assert_int_eq(sandbox_call(sb, l_load_chunk, (void *)bad, &e), ERR_INVALID);
        ck_assert_msg(strstr(e.msg, "rules/x.lua:3: boom 3") != NULL, "run %d: %s", i, e.msg);
        ck_assert_ptr_nonnull(strstr(sandbox_last_traceback(sb), "rules/x.lua:3"));
        sandbox_free(sb);
    }
    sandbox_cache_stats(c, &hits, &compiled);
    ck_assert_uint_eq(hits, 2);
    ck_assert_uint_eq(compiled, 1);
    {
        struct sandbox *sb = NULL;
        struct err e = {0};

        ck_assert_int_eq(sandbox_new(NULL, NULL, NULL, &sb, &e), 0);
        sandbox_set_cache(sb, c);
        ck_assert_int_eq(sandbox_call(sb, l_load_chunk, (void *)other, &e), ERR_INVALID);
        ck_assert_ptr_nonnull(strstr(e.msg, "rules/x.lua:1: other"));
        sandbox_free(sb);
    }
    sandbox_cache_stats(c, &hits, &compiled);
    ck_assert_uint_eq(hits, 2);
    ck_assert_uint_eq(compiled, 2);
    sandbox_cache_free(c);
}
END_TEST

static int add_bytes(lua_State *L, const void *p, size_t n, void *ud)
{
    (void)L;
    return buf_add(ud, p, n) ? 1 : 0;
}

/* The bytecode the build embeds for every built-in rule and module is their text compiled, under
 * the chunk name a run gives it: what runs is what the text says (and `rules show` prints). */
START_TEST(embedded_bytecode_is_the_text_compiled)
{
    const struct embedded_file *sets[] = {embedded_rules, embedded_libs};
    const size_t counts[] = {embedded_rules_count, embedded_libs_count};
    size_t checked = 0;

    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; i < counts[s]; i++) {
            const struct embedded_file *f = &sets[s][i];
            lua_State *L = luaL_newstate();
            char chunk[300];
            struct buf code;

            ck_assert_ptr_nonnull(L);
            ck_assert_ptr_nonnull(f->code);
            snprintf(chunk, sizeof chunk, "@%s", f->path);
            ck_assert_int_eq(luaL_loadbufferx(L, f->data, f->len, chunk, "t"), LUA_OK);
            buf_init(&code, 0);
            ck_assert_int_eq(lua_dump(L, add_bytes, &code, 0), 0);
            ck_assert_msg(code.len == f->code_len && memcmp(code.data, f->code, code.len) == 0,
                          "%s: the embedded bytecode is not its text compiled", f->path);
            buf_free(&code);
            lua_close(L);
            checked++;
        }
    }
    ck_assert_uint_ge(checked, 23);
}
END_TEST

static int l_load_builtin(lua_State *L)
{
    const struct embedded_file *f = lua_touserdata(L, 1);
    char chunk[300];

    snprintf(chunk, sizeof chunk, "@%s", f->path);
    sandbox_load(L, f->data, f->len, chunk);
    lua_call(L, 0, 1);
    return 0;
}

/* A built-in rule and the modules it requires load from the embedded bytecode: nothing is parsed.
 * The same text under another name is not theirs, and is compiled. */
START_TEST(built_in_rules_are_not_parsed)
{
    static const struct sandbox_module mods[] = {{"vocab", luavocab_open}, {NULL, NULL}};
    struct sandbox_cache *c = sandbox_cache_new();
    struct sandbox *sb = NULL;
    struct err e = {0};
    size_t hits, compiled;

    ck_assert_ptr_nonnull(c);
    ck_assert_uint_ge(embedded_rules_count, 1);
    ck_assert_int_eq(sandbox_new(NULL, NULL, NULL, &sb, &e), 0);
    sandbox_set_modules(sb, mods);
    sandbox_set_cache(sb, c);
    ck_assert_msg(sandbox_call(sb, l_load_builtin, (void *)&embedded_rules[0], &e) == 0, "%s",
                  e.msg);
    sandbox_free(sb);
    sandbox_cache_stats(c, &hits, &compiled);
    ck_assert_uint_ge(hits, 2); /* the rule and rules/lib/sdrs.lua */
    ck_assert_uint_eq(compiled, 0);

    {
        struct embedded_file other = embedded_rules[0];
        other.path = "rules/elsewhere.lua";
        ck_assert_int_eq(sandbox_new(NULL, NULL, NULL, &sb, &e), 0);
        sandbox_set_modules(sb, mods);
        sandbox_set_cache(sb, c);
        ck_assert_msg(sandbox_call(sb, l_load_builtin, &other, &e) == 0, "%s", e.msg);
        sandbox_free(sb);
    }
    sandbox_cache_stats(c, &hits, &compiled);
    ck_assert_uint_eq(compiled, 1);
    sandbox_cache_free(c);
}
END_TEST

static int l_run_chunk(lua_State *L)
{
    sandbox_load(L, lua_touserdata(L, 1), strlen(lua_touserdata(L, 1)), "=limits.lua");
    lua_call(L, 0, 0);
    return 0;
}

/* The wall-clock limit stops code the instruction budget would let run for hours, in every
 * thread, and well within the limit. */
START_TEST(time_limit_stops_every_thread)
{
    static const char *const chunks[] = {
        "while true do end",
        "local co = coroutine.wrap(function() while true do end end) co()",
        "while true do pcall(function() while true do end end) end",
    };
    struct sandbox_limits lim = {.instructions = 1000000000000LL, .timeout_ms = 300};

    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        struct sandbox *sb = NULL;
        struct err e = {0};
        long long t0;

        ck_assert_int_eq(sandbox_new(&lim, NULL, NULL, &sb, &e), 0);
        t0 = util_now_ms();
        ck_assert_int_eq(sandbox_call(sb, l_run_chunk, (void *)chunks[i], &e), ERR_INVALID);
        ck_assert_msg(util_now_ms() - t0 < 5000, "chunk %zu took %lld ms", i, util_now_ms() - t0);
        ck_assert_int_eq(sandbox_last_status(sb), SANDBOX_TIME);
        ck_assert_msg(strstr(e.msg, "time limit of 0.3 s exceeded"), "%s", e.msg);
        sandbox_free(sb);
    }
}
END_TEST

/* What rules do with strings every day stays allowed: the bounds are about worst cases. */
START_TEST(ordinary_library_calls_pass)
{
    static const char *const ok = "local s = ('word '):rep(2000)\n"
                                  "assert(#s:gsub('%s+', ' ') > 0)\n"
                                  "assert(s:find('word', 1, true) == 1)\n"
                                  "assert(('field.name'):match('^[%w_]+%.(.+)$') == 'name')\n"
                                  "assert(('x'):rep(80, ',') ~= nil)\n"
                                  "assert(table.concat({'a', 'b'}, '-') == 'a-b')\n"
                                  "assert(#table.move({1, 2, 3}, 1, 3, 2) == 4)\n"
                                  "for w in s:gmatch('%a+') do assert(w == 'word') end\n"
                                  "assert(type(nil) == 'nil' and type(true) == 'boolean')\n"
                                  "assert(type(1) == 'number' and type('') == 'string')\n"
                                  "assert(type({}) == 'table' and type(print) == 'function')\n"
                                  "assert(type(coroutine.create(print)) == 'thread')\n"
                                  "local ok, msg = pcall(type)\n"
                                  "assert(not ok and msg:find('value expected', 1, true))\n";
    struct sandbox *sb = NULL;
    struct err e = {0};

    ck_assert_int_eq(sandbox_new(NULL, NULL, NULL, &sb, &e), 0);
    ck_assert_msg(sandbox_call(sb, l_run_chunk, (void *)ok, &e) == 0, "%s", e.msg);
    sandbox_free(sb);
}
END_TEST

/* A call without the count hook ends well only when the code does, within its CPU allowance;
 * a loop, an error or a coroutine ends it (to run again with the hook), soon, and a budget below
 * SANDBOX_UNHOOKED_MIN never goes without the hook. */
START_TEST(calls_without_the_hook)
{
    static const struct {
        const char *code;
        bool done;
    } cases[] = {
        {"local t = {} for i = 1, 100 do t[i] = tostring(i) end assert(#t == 100)", true},
        {"while true do end", false},
        {"while true do pcall(function() while true do end end) end", false},
        {"error('boom')", false},
        {"local t = {} for i = 1, 1e9 do t[i] = i end", false}, /* the memory cap */
        {"local co = coroutine.create(function() end)", false},
        {"local f = coroutine.wrap(function() end)", false},
        {"pcall(coroutine.create, print) local x = 1", false}, /* caught, and still over */
    };
    /* an allowance of 250 ms of CPU time (500 million instructions at two a nanosecond): the
     * clean case needs a thousandth of it, under valgrind too */
    struct sandbox_limits lim = {.memory = 8u << 20, .instructions = 500000000};

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sandbox *sb = NULL;
        struct err e = {0};
        long long t0 = util_now_ms();

        ck_assert_int_eq(sandbox_new(&lim, NULL, NULL, &sb, &e), 0);
        ck_assert_msg(sandbox_try_unhooked(sb, l_run_chunk, (void *)cases[i].code) == cases[i].done,
                      "case %zu: %s", i, cases[i].code);
        ck_assert_msg(util_now_ms() - t0 < 60000, "case %zu took %lld ms", i, util_now_ms() - t0);
        sandbox_free(sb);
    }
    /* a process that inherited the allowance's signal blocked still has its loops stopped */
    {
        struct sandbox *sb = NULL;
        struct err e = {0};
        sigset_t rt, old;
        long long t0 = util_now_ms();

        sigemptyset(&rt);
        sigaddset(&rt, SIGRTMIN);
        ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &rt, &old), 0);
        ck_assert_int_eq(sandbox_new(&lim, NULL, NULL, &sb, &e), 0);
        ck_assert(!sandbox_try_unhooked(sb, l_run_chunk, (void *)"while true do end"));
        ck_assert_msg(util_now_ms() - t0 < 60000, "took %lld ms", util_now_ms() - t0);
        sandbox_free(sb);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    /* the collector waits longer without the hook: garbage that fits under the cap with the
     * usual collector can meet it there, and the call then runs again as always */
    {
        static const char garbage[] =
            "local keep = {} for i = 1, 600 do keep[i] = string.rep('k', 500) .. i end "
            "for i = 1, 8000 do local s = string.rep('g', 400) .. i end";
        /* with the usual collector this fits from 700 KiB, without the hook it needs 1400: a cap
         * of 1000 KiB; no allowance or budget that could end it first, under valgrind too */
        struct sandbox_limits small = {.memory = 1000u << 10, .instructions = 1000000000000LL};
        struct sandbox *sb = NULL;
        struct err e = {0};

        ck_assert_int_eq(sandbox_new(&small, NULL, NULL, &sb, &e), 0);
        ck_assert(!sandbox_try_unhooked(sb, l_run_chunk, (void *)garbage));
        ck_assert_int_eq(sandbox_last_status(sb), SANDBOX_MEMORY);
        sandbox_free(sb);
        ck_assert_int_eq(sandbox_new(&small, NULL, NULL, &sb, &e), 0);
        ck_assert_msg(sandbox_call(sb, l_run_chunk, (void *)garbage, &e) == 0, "%s", e.msg);
        sandbox_free(sb);
    }
    lim.instructions = SANDBOX_UNHOOKED_MIN - 1;
    {
        struct sandbox *sb = NULL;
        struct err e = {0};
        ck_assert_int_eq(sandbox_new(&lim, NULL, NULL, &sb, &e), 0);
        ck_assert(!sandbox_try_unhooked(sb, l_run_chunk, (void *)"local x = 1"));
        /* nothing ran: the sandbox still runs code with the hook */
        ck_assert_int_eq(sandbox_call(sb, l_run_chunk, (void *)"while true do end", &e),
                         ERR_INVALID);
        ck_assert_int_eq(sandbox_last_status(sb), SANDBOX_BUDGET);
        sandbox_free(sb);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sandbox");
    TCase *tc = tcase_create("escapes");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_escape_is_a_rule_error);
    tcase_add_test(tc, compiled_chunks_are_shared);
    tcase_add_test(tc, embedded_bytecode_is_the_text_compiled);
    tcase_add_test(tc, built_in_rules_are_not_parsed);
    tcase_add_test(tc, time_limit_stops_every_thread);
    tcase_add_test(tc, ordinary_library_calls_pass);
    tcase_add_test(tc, calls_without_the_hook);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
