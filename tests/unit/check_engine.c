/* The rule engine: loading rule files, the ctx API, results and their limits. Rules are written
 * into a temporary directory by each test and evaluated over tests/fixtures/minimal.json. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_EQUAL */
#include "testutil.h"

#include "engine.h"
#include "facts.h"
#include "jsonutil.h"
#include "util.h"
#include "vocab.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

static char *tmp;
static struct buf logbuf;

static void setup(void)
{
    tmp = tu_tmpdir();
    buf_init(&logbuf, 0);
}

static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
    buf_free(&logbuf);
}

static void logger(void *ud, enum engine_log_level lvl, const char *msg)
{
    (void)ud;
    buf_printf(&logbuf, "%d:%s\n", (int)lvl, msg);
}

/* A rule file text with the given id, severity, actions and check body. */
static char *rule(const char *id, const char *severity, const char *actions, const char *body)
{
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b,
               "return {\n  id = \"%s\", title = \"test rule %s\", severity = \"%s\",\n"
               "  actions = %s, rationale = \"r\", remediation = \"fix it\", docs = \"d\",\n"
               "  check = function(ctx)\n%s\n  end,\n}\n",
               id, id, severity, actions, body);
    return buf_take(&b);
}

static void write_rule(const char *file, const char *id, const char *severity, const char *actions,
                       const char *body)
{
    char *text = rule(id, severity, actions, body);
    free(tu_write(tmp, file, text));
    free(text);
}

static struct engine *engine_with_dir(bool builtin, struct err *e)
{
    struct engine_opts eo = {.no_builtin = !builtin, .log = logger};
    struct engine *eng = NULL;

    ck_assert_msg(engine_new(&eo, &eng, e) == 0, "%s", e->msg);
    if (engine_add_rules(eng, tmp, e) != 0) {
        engine_free(eng);
        return NULL;
    }
    return eng;
}

static struct snapshot *fixture(void)
{
    char *path = tu_src_path("tests/fixtures/minimal.json");
    struct snapshot *s = NULL;
    struct err e = {0};

    ck_assert_msg(snapshot_load_file(path, NULL, &s, &e) == 0, "%s", e.msg);
    free(path);
    return s;
}

/* Runs the rules of tmp over the fixture; returns the results (caller frees). */
static struct rule_result *run(const char *action, const struct facts *facts, size_t *n)
{
    struct err e = {0};
    struct engine *eng = engine_with_dir(false, &e);
    struct snapshot *s = fixture();
    struct engine_input in = {s, facts, action};
    struct rule_result *res = NULL;

    ck_assert_msg(eng != NULL, "%s", e.msg);
    ck_assert_msg(engine_run(eng, &in, &res, n, &e) == 0, "%s", e.msg);
    engine_free(eng);
    snapshot_free(s);
    return res;
}

static const struct rule_result *find(const struct rule_result *res, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(res[i].meta.id, id) == 0)
            return &res[i];
    ck_abort_msg("no result for %s", id);
    return NULL;
}

START_TEST(findings_make_results)
{
    size_t n;
    struct rule_result *res;

    write_rule("a.lua", "T-FAIL", "blocker", "\"all\"", "ctx:fail('broken')");
    write_rule("b.lua", "T-WFAIL", "warning", "\"all\"", "ctx:fail('meh')");
    write_rule("c.lua", "T-IFAIL", "info", "\"all\"", "ctx:fail('fyi')");
    write_rule("d.lua", "T-WARN", "blocker", "\"all\"", "ctx:warn('w') ctx:note('n')");
    write_rule("e.lua", "T-NOTE", "blocker", "\"all\"", "ctx:note('n')");
    write_rule("f.lua", "T-UNK", "blocker", "\"all\"", "ctx:fail('f') ctx:unknown('cannot tell')");
    write_rule("g.lua", "T-PASS", "blocker", "\"all\"", "local x = 1");
    write_rule("h.lua", "T-SKIP", "blocker", "\"all\"", "ctx:skip('not relevant here')");
    write_rule("i.lua", "T-SKIPNOTE", "blocker", "\"all\"", "ctx:skip('x') ctx:note('but')");
    write_rule("j.lua", "T-OTHER", "blocker", "{ 'drill' }", "ctx:fail('never runs')");
    res = run("failover", NULL, &n);
    ck_assert_uint_eq(n, 10);
    ck_assert_int_eq(find(res, n, "T-FAIL")->result, RESULT_FAIL);
    ck_assert_int_eq(find(res, n, "T-FAIL")->findings[0].level, LEVEL_FAIL);
    ck_assert_int_eq(find(res, n, "T-WFAIL")->result, RESULT_WARN);
    ck_assert_int_eq(find(res, n, "T-IFAIL")->result, RESULT_INFO);
    ck_assert_int_eq(find(res, n, "T-WARN")->result, RESULT_WARN);
    ck_assert_int_eq(find(res, n, "T-NOTE")->result, RESULT_INFO);
    ck_assert_int_eq(find(res, n, "T-UNK")->result, RESULT_ERROR);
    ck_assert_ptr_null(find(res, n, "T-UNK")->error);
    ck_assert_int_eq(find(res, n, "T-PASS")->result, RESULT_PASS);
    ck_assert_int_eq(find(res, n, "T-SKIP")->result, RESULT_SKIPPED);
    ck_assert_str_eq(find(res, n, "T-SKIP")->skip_reason, "not relevant here");
    ck_assert_int_eq(find(res, n, "T-SKIPNOTE")->result, RESULT_INFO);
    ck_assert_int_eq(find(res, n, "T-OTHER")->result, RESULT_SKIPPED);
    ck_assert_ptr_nonnull(strstr(find(res, n, "T-OTHER")->skip_reason, "does not apply"));
    /* results come sorted by id */
    for (size_t i = 1; i < n; i++)
        ck_assert_int_lt(strcmp(res[i - 1].meta.id, res[i].meta.id), 0);
    rule_results_free(res, n);
}
END_TEST

START_TEST(evidence_is_typed_sorted_and_flat)
{
    size_t n;
    struct rule_result *res;
    const struct finding *f;

    write_rule("a.lua", "T-EV", "blocker", "\"all\"",
               "ctx:fail('m', { zeta = 'z', alpha = 3, mid = 2.5, flag = true, "
               "resource = 'server/x' })\n"
               "ctx:fail('a first', { resource = 'server/a' })\n"
               "ctx:warn('w')\n");
    res = run("failover", NULL, &n);
    ck_assert_uint_eq(find(res, n, "T-EV")->nfindings, 3);
    f = &find(res, n, "T-EV")->findings[0];
    ck_assert_str_eq(f->message, "a first"); /* fail before warn, then by resource */
    f = &find(res, n, "T-EV")->findings[1];
    ck_assert_str_eq(f->resource, "server/x");
    ck_assert_uint_eq(f->nev, 4);
    ck_assert_str_eq(f->ev[0].key, "alpha");
    ck_assert_int_eq(f->ev[0].type, EV_INT);
    ck_assert_int_eq(f->ev[0].i, 3);
    ck_assert_str_eq(f->ev[1].key, "flag");
    ck_assert_int_eq(f->ev[1].type, EV_BOOL);
    ck_assert_str_eq(f->ev[2].key, "mid");
    ck_assert_int_eq(f->ev[2].type, EV_NUMBER);
    ck_assert_str_eq(f->ev[3].key, "zeta");
    ck_assert_str_eq(f->ev[3].s, "z");
    ck_assert_int_eq(find(res, n, "T-EV")->findings[2].level, LEVEL_WARN);
    rule_results_free(res, n);
}
END_TEST

START_TEST(ctx_data)
{
    size_t n;
    struct rule_result *res;
    struct facts *facts = NULL;
    struct json_object *fv = NULL;
    struct err e = {0};
    static const char facts_json[] =
        "{\"first_switchover\": true, \"servers\": {\"aaaaaaaa-0000-0000-0000-000000000001\": "
        "{\"cloud_init\": false}}}";

    write_rule("a.lua", "T-CTX", "blocker", "\"all\"",
               "assert(ctx.action == 'drill', ctx.action)\n"
               "assert(ctx.now == 1795608000)\n"
               "assert(ctx.group.status == 'protected')\n"
               "assert(#ctx.instances == 1 and #ctx.replications == 1 and #ctx.drills == 0)\n"
               "assert(ctx.replications[1].fault_level == 0, 'fault_level normalised')\n"
               "assert(ctx.group.description == nil, 'null is nil')\n"
               "local s, st, err = ctx.server('aaaaaaaa-0000-0000-0000-000000000001')\n"
               "assert(st == 'present' and s.status == 'ACTIVE' and err == nil)\n"
               "local s2, st2, err2 = ctx:server('aaaaaaaa-0000-0000-0000-000000000001')\n"
               "assert(s2 == s and st2 == 'present' and err2 == nil, 'cached')\n"
               "local m, mst = ctx.server('nope')\n"
               "assert(m == nil and mst == 'missing')\n"
               "assert(ctx.image('nope') == nil)\n"
               "assert(ctx.parse_time('2019-05-22 08:16:54.413') == 1558513014)\n"
               "assert(ctx.parse_time('garbage') == nil)\n"
               "assert(ctx.facts.first_switchover == true)\n"
               "assert(ctx.facts.servers['aaaaaaaa-0000-0000-0000-000000000001'].cloud_init == "
               "false)\n"
               "assert(getmetatable(ctx.instances) == 'data array')\n"
               "assert(getmetatable(ctx.group) == 'data')\n"
               "local sdrs = require('sdrs')\n"
               "assert(sdrs.list(ctx.instances) == ctx.instances and sdrs.list(ctx.group) == nil)\n"
               "assert(sdrs.list({1, 2}) and sdrs.list({}) and not sdrs.list({a = 1}))\n"
               "ctx.group.status = 'changed'\n"
               "ctx:note('ok')\n");
    ck_assert_int_eq(jsonutil_parse(facts_json, strlen(facts_json), "facts", 16, &fv, &e), 0);
    ck_assert_msg(facts_from_json(fv, "facts", &facts, &e) == 0, "%s", e.msg);
    res = run("drill", facts, &n);
    ck_assert_msg(res[0].result == RESULT_INFO, "%s", res[0].error ? res[0].error : "?");
    rule_results_free(res, n);
    facts_free(facts);
    json_object_put(fv);

    /* without a facts file: first_switchover is nil and servers is empty */
    write_rule("a.lua", "T-CTX", "blocker", "\"all\"",
               "assert(ctx.facts.first_switchover == nil)\n"
               "assert(next(ctx.facts.servers) == nil)\n");
    res = run("failover", NULL, &n);
    ck_assert_msg(res[0].result == RESULT_PASS, "%s", res[0].error ? res[0].error : "?");
    rule_results_free(res, n);
}
END_TEST

START_TEST(deleted_and_missing_servers)
{
    struct engine_opts eo = {.no_builtin = true};
    struct engine *eng = NULL;
    struct snapshot *s = NULL;
    struct rule_result *res = NULL;
    struct err e = {0};
    size_t n;
    static const char snap[] =
        "{\"schema\":\"sdrs-preflight/snapshot@1\",\"fetched_at\":\"2026-11-25T12:00:00Z\","
        "\"server_group\":{\"id\":\"g\",\"status\":\"protected\",\"priority_station\":\"source\"},"
        "\"protected_instances\":[],\"disaster_recovery_drills\":[],"
        "\"servers\":{\"d1\":{\"http_status\":404,\"error\":{\"code\":\"Ecs.0114\","
        "\"message\":\"The ECS does not exist.\"}},"
        "\"d2\":{\"http_status\":200,\"server\":{\"id\":\"d2\",\"status\":\"DELETED\"}}}}";

    write_rule("a.lua", "T-SRV", "blocker", "\"all\"",
               "local s, st, err = ctx.server('d1')\n"
               "assert(s == nil and st == 'deleted', st)\n"
               "assert(err.http_status == 404 and err.code == 'Ecs.0114')\n"
               "s, st, err = ctx.server('d2')\n"
               "assert(s.status == 'DELETED' and st == 'deleted' and err == nil)\n"
               "local s1, st1, err1 = ctx.server('d1')\n" /* from the cache: the same three */
               "assert(s1 == nil and st1 == 'deleted' and err1.code == 'Ecs.0114')\n"
               "local s3, st3, err3 = ctx.server('d2')\n"
               "assert(s3 == s and st3 == 'deleted' and err3 == nil)\n"
               "local r = ctx.replications\n");
    ck_assert_int_eq(engine_new(&eo, &eng, &e), 0);
    ck_assert_int_eq(engine_add_rules(eng, tmp, &e), 0);
    ck_assert_int_eq(snapshot_load_buffer(snap, strlen(snap), "t", NULL, &s, &e), 0);
    ck_assert_int_eq(engine_run(eng, &(struct engine_input){s, NULL, "failover"}, &res, &n, &e), 0);
    ck_assert_int_eq(res[0].result, RESULT_ERROR);
    ck_assert_msg(strstr(res[0].error, "the snapshot has no replications") != NULL, "%s",
                  res[0].error);
    ck_assert_msg(strstr(res[0].error, "a.lua:14:") != NULL, "%s", res[0].error);
    rule_results_free(res, n);
    snapshot_free(s);
    engine_free(eng);
}
END_TEST

START_TEST(require_only_embedded_libs)
{
    size_t n;
    struct rule_result *res;

    write_rule("a.lua", "T-REQ", "blocker", "\"all\"",
               "local sdrs = require('sdrs')\n"
               "assert(sdrs == require('sdrs'), 'loaded once')\n"
               "assert(type(sdrs.res_group) == 'function')\n");
    write_rule("b.lua", "T-REQ2", "blocker", "\"all\"", "require('os')");
    res = run("failover", NULL, &n);
    ck_assert_msg(find(res, n, "T-REQ")->result == RESULT_PASS, "%s", find(res, n, "T-REQ")->error);
    ck_assert_int_eq(find(res, n, "T-REQ2")->result, RESULT_ERROR);
    ck_assert_ptr_nonnull(strstr(find(res, n, "T-REQ2")->error, "module 'os' not found"));
    rule_results_free(res, n);
}
END_TEST

/* The vocab module makes a field's entry when it is first read; pairs() sees every field, each
 * entry complete, and reading one again gives the same table. */
START_TEST(vocab_fields_are_complete)
{
    char code[1024];
    size_t n;
    struct rule_result *res;

    snprintf(
        code, sizeof code,
        "local v = require('vocab')\n"
        "local g = v.fields['server_group.status']\n"
        "assert(g.class.protected == 'fine' and g.values[1] ~= nil and g.source ~= nil)\n"
        "assert(v.fields['server_group.status'] == g, 'kept')\n"
        "assert(v.fields['no.such_field'] == nil and v.fields[1] == nil)\n"
        "assert(getmetatable(v.fields) == 'vocab')\n"
        "local count = 0\n"
        "for name, f in pairs(v.fields) do\n"
        "  count = count + 1\n"
        "  assert(type(name) == 'string' and type(f.class) == 'table' and #f.values > 0, name)\n"
        "  for _, value in ipairs(f.values) do assert(f.class[value], name .. ' ' .. value) end\n"
        "end\n"
        "assert(count == %zu, 'fields: ' .. count)\n"
        "assert(#v.actions.failover > 0)\n",
        vocab_field_count());
    write_rule("a.lua", "T-VOCAB", "blocker", "\"all\"", code);
    res = run("failover", NULL, &n);
    ck_assert_msg(res[0].result == RESULT_PASS, "%s", res[0].error ? res[0].error : "?");
    rule_results_free(res, n);
}
END_TEST

START_TEST(print_goes_to_the_log)
{
    size_t n;
    struct rule_result *res;

    write_rule("a.lua", "T-PRINT", "blocker", "\"all\"",
               "print('hello', 42)\nfor i = 1, 1000 do print(string.rep('x', 100)) end\n");
    buf_reset(&logbuf);
    res = run("failover", NULL, &n);
    ck_assert_int_eq(res[0].result, RESULT_PASS);
    /* in the debug log (-vv), capped: the first line whole, then the notice that the rest is
     * dropped */
    ck_assert_msg(strstr(buf_str(&logbuf), "rule T-PRINT: print: hello\t42\n") != NULL, "%s",
                  buf_str(&logbuf));
    ck_assert_ptr_nonnull(strstr(buf_str(&logbuf), "further print output of this rule is dropped"));
    rule_results_free(res, n);
}
END_TEST

/* Invalid rule files are configuration errors (exit code 2) that name the file. */
static void expect_invalid(const char *text, const char *needle)
{
    /* no wall-clock limit in practice: the budget must be what stops a loop, valgrind or not */
    struct engine_opts eo = {.no_builtin = true, .limits = {.timeout_ms = 3600000}};
    struct engine *eng = NULL;
    struct err e = {0};
    char *path = tu_write(tmp, "bad.lua", text);

    ck_assert_int_eq(engine_new(&eo, &eng, &e), 0);
    ck_assert_msg(engine_add_rules(eng, tmp, &e) == ERR_INVALID, "accepted: %s", text);
    ck_assert_msg(strstr(e.msg, "bad.lua") != NULL, "'%s' does not name the file", e.msg);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "'%s' lacks '%s'", e.msg, needle);
    ck_assert_uint_eq(engine_count(eng), 0);
    engine_free(eng);
    free(path);
}

START_TEST(invalid_rule_files)
{
    expect_invalid("return {", "unexpected symbol near <eof>");
    expect_invalid("return 42", "must return the rule table");
    expect_invalid("return { title = 't', severity = 'blocker', actions = 'all', check = print }",
                   "field 'id' must be a string");
    expect_invalid("return { id = '1bad', title = 't', severity = 'blocker', actions = 'all', "
                   "check = print }",
                   "must match");
    expect_invalid("return { id = 'X-1', title = 't', severity = 'critical', actions = 'all', "
                   "check = print }",
                   "severity");
    expect_invalid("return { id = 'X-1', title = 't', severity = 'info', actions = {'failvoer'}, "
                   "check = print }",
                   "unknown value 'failvoer'");
    expect_invalid("return { id = 'X-1', title = 't', severity = 'info', actions = {}, "
                   "check = print }",
                   "is empty");
    expect_invalid("return { id = 'X-1', title = 't', severity = 'info', actions = 'all' }",
                   "field 'check' must be a function");
    expect_invalid("return { id = 'X-1', severity = 'info', actions = 'all', check = print }",
                   "field 'title' must be a string");
    expect_invalid("while true do end", "instruction budget");
    expect_invalid("os.exit(1)", "undefined global 'os'");
    expect_invalid("\x1bLua\x54\x00\x19\x93\r\n\x1a\n", "binary chunk");
}
END_TEST

START_TEST(overrides_and_duplicates)
{
    struct engine *eng;
    struct err e = {0};
    const struct rule_meta *m = NULL;

    write_rule("mine.lua", "SDRS-001", "warning", "\"all\"", "ctx:warn('mine')");
    eng = engine_with_dir(true, &e);
    ck_assert_msg(eng != NULL, "%s", e.msg);
    for (size_t i = 0; i < engine_count(eng); i++)
        if (strcmp(engine_meta(eng, i)->id, "SDRS-001") == 0)
            m = engine_meta(eng, i);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(strstr(m->source, "mine.lua"));
    ck_assert_msg(strstr(buf_str(&logbuf), "0:rule SDRS-001 from") != NULL, "no notice: %s",
                  buf_str(&logbuf));
    ck_assert_ptr_nonnull(strstr(buf_str(&logbuf), "replaces the one from 'built-in'"));
    engine_free(eng);

    write_rule("second.lua", "SDRS-001", "warning", "\"all\"", "ctx:warn('again')");
    ck_assert_ptr_null(engine_with_dir(true, &e));
    ck_assert_msg(strstr(e.msg, "both define SDRS-001") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(rules_digest)
{
    struct engine *eng;
    struct err e = {0};
    char first[UTIL_SHA256_HEX];

    write_rule("a.lua", "T-D", "blocker", "\"all\"", "ctx:note('1')");
    eng = engine_with_dir(false, &e);
    snprintf(first, sizeof first, "%s", engine_rules_sha256(eng));
    ck_assert_uint_eq(strlen(first), 64);
    ck_assert_str_eq(first, engine_rules_sha256(eng));
    engine_free(eng);
    eng = engine_with_dir(false, &e);
    ck_assert_str_eq(first, engine_rules_sha256(eng));
    engine_free(eng);
    write_rule("a.lua", "T-D", "blocker", "\"all\"", "ctx:note('2')");
    eng = engine_with_dir(false, &e);
    ck_assert_str_ne(first, engine_rules_sha256(eng));
    engine_free(eng);
}
END_TEST

START_TEST(limits_are_configurable)
{
    struct engine_opts eo = {.no_builtin = true,
                             .max_findings = 3,
                             .limits = {.memory = 2u << 20, .instructions = 100000}};
    struct engine *eng = NULL;
    struct snapshot *s = fixture();
    struct rule_result *res = NULL;
    struct err e = {0};
    size_t n;

    write_rule("a.lua", "T-FIND", "blocker", "\"all\"", "for i = 1, 4 do ctx:note('n' .. i) end");
    write_rule("b.lua", "T-MEM", "blocker", "\"all\"",
               "local s = string.rep('x', 3 * 1024 * 1024)");
    write_rule("c.lua", "T-CPU", "blocker", "\"all\"", "for i = 1, 1000000 do end");
    write_rule("d.lua", "T-OK", "blocker", "\"all\"", "for i = 1, 1000 do ctx:group() end");
    ck_assert_int_eq(engine_new(&eo, &eng, &e), 0);
    ck_assert_msg(engine_add_rules(eng, tmp, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(engine_run(eng, &(struct engine_input){s, NULL, "failover"}, &res, &n, &e), 0);
    ck_assert_ptr_nonnull(strstr(find(res, n, "T-FIND")->error, "more than 3 findings"));
    ck_assert_ptr_nonnull(strstr(find(res, n, "T-MEM")->error, "memory limit of 2 MiB"));
    ck_assert_ptr_nonnull(strstr(find(res, n, "T-CPU")->error, "budget of 100000 instructions"));
    ck_assert_int_eq(find(res, n, "T-OK")->result, RESULT_ERROR); /* ctx:group() is not a method */
    rule_results_free(res, n);
    snapshot_free(s);
    engine_free(eng);
}
END_TEST

START_TEST(deterministic)
{
    size_t n1, n2;
    struct rule_result *a, *b;

    write_rule("a.lua", "T-DET", "blocker", "\"all\"",
               "local t = {}\n"
               "for i = 1, 50 do t['k' .. i] = i end\n"
               "for k, v in pairs(t) do ctx:fail('finding ' .. k, { resource = 'r/' .. (v % 7) }) "
               "end\n");
    a = run("failover", NULL, &n1);
    b = run("failover", NULL, &n2);
    ck_assert_uint_eq(a[0].nfindings, 50);
    for (size_t i = 0; i < a[0].nfindings; i++)
        ck_assert_str_eq(a[0].findings[i].message, b[0].findings[i].message);
    rule_results_free(a, n1);
    rule_results_free(b, n2);
}
END_TEST

/* The rules run on several threads (engine_jobs), longest first: the results are the same as on
 * one thread, result by result and finding by finding, in rule order, and the debug log lists the
 * rules in order too. */
static void run_builtin(int jobs, struct rule_result **res, size_t *n)
{
    struct engine_opts eo = {.jobs = jobs};
    struct engine *eng = NULL;
    struct snapshot *s = fixture();
    struct engine_input in = {s, NULL, "failover"};
    struct err e = {0};

    ck_assert_msg(engine_new(&eo, &eng, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(engine_jobs(eng), jobs > 0 ? (size_t)jobs : engine_jobs(eng));
    ck_assert_msg(engine_run(eng, &in, res, n, &e) == 0, "%s", e.msg);
    engine_free(eng);
    snapshot_free(s);
}

/* A thread started beside its creator (util_thread_start) runs its function with its argument,
 * returns its value, and may then run on every processor its creator may. */
static void *affinity_of(void *arg)
{
    cpu_set_t *set = arg;

    return sched_getaffinity(0, sizeof *set, set) == 0 ? arg : NULL;
}

START_TEST(threads_start_beside_their_creator)
{
    cpu_set_t mine, theirs;

    ck_assert_int_eq(sched_getaffinity(0, sizeof mine, &mine), 0);
    for (int i = 0; i < 20; i++) {
        pthread_t t;
        void *rc = NULL;

        CPU_ZERO(&theirs);
        ck_assert_int_eq(util_thread_start(&t, affinity_of, &theirs), 0);
        ck_assert_int_eq(pthread_join(t, &rc), 0);
        ck_assert_ptr_eq(rc, &theirs);
        ck_assert_msg(CPU_EQUAL(&mine, &theirs), "run %d: the thread kept a narrower set", i);
    }
    /* a set the process may not use (here a processor it does not have; a seccomp profile that
     * refuses sched_setaffinity fails the same way) still starts the thread, anywhere */
    {
        cpu_set_t none;
        pthread_t t;
        void *rc = NULL;

        CPU_ZERO(&none);
        CPU_SET(CPU_SETSIZE - 1, &none);
        CPU_ZERO(&theirs);
        ck_assert_int_eq(util_thread_start_on(&t, affinity_of, &theirs, &none), 0);
        ck_assert_int_eq(pthread_join(t, &rc), 0);
        ck_assert_ptr_eq(rc, &theirs);
        ck_assert(CPU_EQUAL(&mine, &theirs));
    }
}
END_TEST

START_TEST(threads_change_nothing)
{
    size_t n1, n4;
    struct rule_result *one, *four;

    run_builtin(1, &one, &n1);
    run_builtin(4, &four, &n4);
    ck_assert_uint_eq(n1, 22);
    ck_assert_uint_eq(n1, n4);
    for (size_t i = 0; i < n1; i++) {
        ck_assert_str_eq(one[i].meta.id, four[i].meta.id);
        ck_assert_int_eq(one[i].result, four[i].result);
        ck_assert_uint_eq(one[i].nfindings, four[i].nfindings);
        for (size_t k = 0; k < one[i].nfindings; k++)
            ck_assert_str_eq(one[i].findings[k].message, four[i].findings[k].message);
    }
    rule_results_free(one, n1);
    rule_results_free(four, n4);
}
END_TEST

/* A rule that fails on every thread at once: each result is its own (no finding crosses over). */
START_TEST(threads_keep_results_apart)
{
    size_t n;
    struct rule_result *res;
    char file[32], id[32], body[256];

    for (int i = 0; i < 12; i++) {
        snprintf(file, sizeof file, "r%02d.lua", i);
        snprintf(id, sizeof id, "T-%02d", i);
        snprintf(body, sizeof body,
                 "for k = 1, %d do ctx:warn('rule %s finding ' .. k, { resource = 'r/' .. k }) end",
                 10 + i, id);
        write_rule(file, id, "warning", "\"all\"", body);
    }
    res = run("failover", NULL, &n);
    ck_assert_uint_eq(n, 12);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "T-%02zu", i);
        ck_assert_str_eq(res[i].meta.id, want);
        ck_assert_uint_eq(res[i].nfindings, 10 + i);
        for (size_t k = 0; k < res[i].nfindings; k++)
            ck_assert_ptr_nonnull(strstr(res[i].findings[k].message, want));
    }
    rule_results_free(res, n);
}
END_TEST

START_TEST(builtin_rules_load)
{
    struct engine *eng = NULL;
    struct err e = {0};

    ck_assert_msg(engine_new(&(struct engine_opts){0}, &eng, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(engine_count(eng), 22);
    for (size_t i = 0; i < 22; i++) {
        const struct rule_meta *m = engine_meta(eng, i);
        char want[16];
        snprintf(want, sizeof want, "SDRS-%03zu", i + 1);
        ck_assert_str_eq(m->id, want);
        ck_assert_str_eq(m->source, "built-in");
        ck_assert_ptr_nonnull(m->rationale);
        ck_assert_ptr_nonnull(m->remediation);
        ck_assert_ptr_nonnull(m->docs);
    }
    engine_free(eng);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("rules");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, findings_make_results);
    tcase_add_test(tc, evidence_is_typed_sorted_and_flat);
    tcase_add_test(tc, ctx_data);
    tcase_add_test(tc, deleted_and_missing_servers);
    tcase_add_test(tc, require_only_embedded_libs);
    tcase_add_test(tc, vocab_fields_are_complete);
    tcase_add_test(tc, print_goes_to_the_log);
    tcase_add_test(tc, invalid_rule_files);
    tcase_add_test(tc, overrides_and_duplicates);
    tcase_add_test(tc, rules_digest);
    tcase_add_test(tc, limits_are_configurable);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, builtin_rules_load);
    tcase_add_test(tc, threads_change_nothing);
    tcase_add_test(tc, threads_start_beside_their_creator);
    tcase_add_test(tc, threads_keep_results_apart);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
