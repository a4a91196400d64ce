/* sched_getaffinity and CPU_COUNT (glibc): the processors this process may run on */
#define _GNU_SOURCE
#include "engine_internal.h"

#include "embedded.h"
#include "jsonutil.h"
#include "luajson.h"
#include "lpool.h"
#include "luavocab.h"
#include "sandbox.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

static const char KEY_RULE = 'r';

static void engine_log(const struct engine *eng, enum engine_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void engine_log(const struct engine *eng, enum engine_log_level lvl, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (!eng->opts.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    eng->opts.log(eng->opts.log_ud, lvl, msg);
}

struct job *engine_job_of(lua_State *L)
{
    return sandbox_user(sandbox_of(L));
}

/* ---- loading: the rule table and its metadata ---------------------------------------------- */

static bool id_valid(const char *id, size_t len)
{
    if (len == 0 || len > 64 || !isalpha((unsigned char)id[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("_.-", id[i]))
            return false;
    return true;
}

/* Pushes t[key] without metamethods. [-0, +1, m] */
static int raw_field(lua_State *L, int t, const char *key)
{
    lua_pushstring(L, key);
    return lua_rawget(L, t);
}

/* Copies the string field key of the rule table at t into *dst (owned by the caller's struct, so
 * a later error leaks nothing). Raises when a required field is missing or not a string. */
static void meta_string(lua_State *L, int t, const char *key, bool required, char **dst)
{
    int type = raw_field(L, t, key);
    size_t len;
    const char *s;

    if (type == LUA_TNIL && !required) {
        lua_pop(L, 1);
        return;
    }
    if (type != LUA_TSTRING)
        luaL_error(L, "field '%s' must be a string (got %s)", key, lua_typename(L, type));
    s = lua_tolstring(L, -1, &len);
    if (len > 16384 || !util_utf8_valid(s, len))
        luaL_error(L, "field '%s' must be valid UTF-8 text of at most 16384 bytes", key);
    *dst = util_strndup(s, len);
    lua_pop(L, 1);
    if (!*dst)
        luaL_error(L, "out of memory");
}

/* Copies a list of strings (field key) into *dst and *n; validate(name) may reject entries. */
static void meta_list(lua_State *L, int t, const char *key, char ***dst, size_t *n,
                      bool (*validate)(const char *))
{
    lua_Integer len;

    if (raw_field(L, t, key) != LUA_TTABLE)
        luaL_error(L, "field '%s' must be a list of strings", key);
    len = (lua_Integer)lua_rawlen(L, -1);
    if (len > 64)
        luaL_error(L, "field '%s' has more than 64 entries", key);
    if (len > 0) {
        *dst = calloc((size_t)len, sizeof **dst);
        if (!*dst)
            luaL_error(L, "out of memory");
        *n = (size_t)len;
    }
    for (lua_Integer i = 1; i <= len; i++) {
        if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
            luaL_error(L, "field '%s' must be a list of strings (entry %d is %s)", key, (int)i,
                       luaL_typename(L, -1));
        if (validate && !validate(lua_tostring(L, -1)))
            luaL_error(L, "field '%s': unknown value '%s'", key, lua_tostring(L, -1));
        (*dst)[i - 1] = util_strdup(lua_tostring(L, -1));
        if (!(*dst)[i - 1])
            luaL_error(L, "out of memory");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* A name a rule may list in `reads`: a snapshot part (snapshot.h), or the facts. */
static bool read_valid(const char *s)
{
    return snapshot_part_by_read(s) || strcmp(s, "facts") == 0;
}

/* Loads the chunk and calls it; leaves the rule table on the stack. [-0, +1, e] */
static int push_rule_table(lua_State *L, const struct rule_entry *r)
{
    sandbox_load(L, r->src, r->len, r->meta.chunkname);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: the file must return the rule table (got %s)", r->meta.chunkname + 1,
                   luaL_typename(L, -1));
    return lua_gettop(L);
}

static int l_load_meta(lua_State *L)
{
    struct job *j = engine_job_of(L);
    struct rule_meta *m = j->meta_out;
    int t = push_rule_table(L, j->rule);
    size_t len;
    const char *s;
    char *sev = NULL;

    if (raw_field(L, t, "id") != LUA_TSTRING)
        luaL_error(L, "field 'id' must be a string");
    s = lua_tolstring(L, -1, &len);
    if (!id_valid(s, len))
        luaL_error(L, "field 'id' must match [A-Za-z][A-Za-z0-9_.-]* (at most 64 bytes), got '%s'",
                   s);
    lua_pop(L, 1);
    meta_string(L, t, "id", true, &m->id);
    meta_string(L, t, "title", true, &m->title);
    meta_string(L, t, "severity", true, &sev);
    if (!severity_parse(sev, &m->severity)) {
        free(sev);
        luaL_error(L, "field 'severity' must be blocker, warning or info");
    }
    free(sev);
    if (raw_field(L, t, "actions") == LUA_TSTRING && strcmp(lua_tostring(L, -1), "all") == 0) {
        m->all_actions = true;
        lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
        meta_list(L, t, "actions", &m->actions, &m->nactions, action_valid);
        if (m->nactions == 0)
            luaL_error(L, "field 'actions' is empty (use \"all\" or list actions)");
    }
    if (raw_field(L, t, "reads") != LUA_TNIL) {
        lua_pop(L, 1);
        meta_list(L, t, "reads", &m->reads, &m->nreads, read_valid);
    } else {
        lua_pop(L, 1);
    }
    meta_string(L, t, "rationale", false, &m->rationale);
    meta_string(L, t, "remediation", false, &m->remediation);
    meta_string(L, t, "docs", false, &m->docs);
    if (raw_field(L, t, "check") != LUA_TFUNCTION)
        luaL_error(L, "field 'check' must be a function");
    lua_pushvalue(L, t);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_RULE);
    return 0;
}

/* The C modules rules may require besides rules/lib: the documented value sets. */
static const struct sandbox_module engine_modules[] = {
    {"vocab", luavocab_open},
    {NULL, NULL},
};

/* A fresh sandbox for a rule, sharing the engine's compiled chunks. */
static int new_sandbox(struct engine *eng, struct sandbox **sb, struct err *e)
{
    int rc = sandbox_new(&eng->opts.limits, NULL, NULL, sb, e);

    if (!rc) {
        sandbox_set_cache(*sb, eng->cache);
        sandbox_set_modules(*sb, engine_modules);
    }
    return rc;
}

/* Loads one rule's metadata into r->meta (source and chunkname already set). */
static int load_meta(struct engine *eng, struct rule_entry *r, struct err *e)
{
    struct sandbox *sb = NULL;
    struct rule_meta m = {0};
    struct job j = {.eng = eng, .rule = r, .meta_out = &m};
    int rc;

    rc = new_sandbox(eng, &sb, e);
    if (rc)
        return rc;
    sandbox_set_user(sb, &j);
    sandbox_set_origin(sb, r->meta.chunkname + 1);
    rc = sandbox_call(sb, l_load_meta, NULL, e);
    if (rc) {
        sandbox_free(sb);
        rule_meta_clear(&m);
        return err_prefix(e, ERR_INVALID, "invalid rule file '%s'", r->meta.source);
    }
    sandbox_free(r->warm);
    r->warm = sb;
    m.source = r->meta.source;
    m.chunkname = r->meta.chunkname;
    r->meta.source = NULL;
    r->meta.chunkname = NULL;
    rule_meta_clear(&r->meta);
    r->meta = m;
    return 0;
}

static void entry_clear(struct rule_entry *r)
{
    sandbox_free(r->warm);
    rule_meta_clear(&r->meta);
    free(r->owned_src);
    memset(r, 0, sizeof *r);
}

static int entry_init(struct rule_entry *r, const char *source, const char *chunk_path,
                      const char *src, size_t len, char *owned)
{
    struct buf chunk;

    memset(r, 0, sizeof *r);
    buf_init(&chunk, 0);
    r->src = src;
    r->len = len;
    r->owned_src = owned;
    r->meta.source = util_strdup(source);
    if (buf_printf(&chunk, "@%s", chunk_path) || !r->meta.source) {
        buf_free(&chunk);
        entry_clear(r);
        return ERR_NOMEM;
    }
    r->meta.chunkname = buf_take(&chunk);
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct rule_entry *)a)->meta.id, ((const struct rule_entry *)b)->meta.id);
}

/* Adds r (taken over) to the catalogue, replacing a rule with the same id. */
static int add_entry(struct engine *eng, struct rule_entry *r)
{
    for (size_t i = 0; i < eng->n; i++) {
        if (strcmp(eng->rules[i].meta.id, r->meta.id) == 0) {
            engine_log(eng, ENGINE_LOG_NOTICE, "rule %s from '%s' replaces the one from '%s'",
                       r->meta.id, r->meta.source, eng->rules[i].meta.source);
            entry_clear(&eng->rules[i]);
            eng->rules[i] = *r;
            goto sorted;
        }
    }
    if (eng->n == eng->cap) {
        size_t ncap = eng->cap ? eng->cap * 2 : 32;
        struct rule_entry *nr = realloc(eng->rules, ncap * sizeof *nr);
        if (!nr)
            return ERR_NOMEM;
        eng->rules = nr;
        eng->cap = ncap;
    }
    eng->rules[eng->n++] = *r;
sorted:
    memset(r, 0, sizeof *r);
    qsort(eng->rules, eng->n, sizeof *eng->rules, cmp_entry);
    eng->sha_valid = false;
    return 0;
}

static int for_each_rule(size_t jobs, size_t n, const size_t *order,
                         int (*fn)(void *, size_t, struct err *), void *ctx, struct err *e);
static size_t load_jobs(const struct engine *eng);
static size_t *longest_first(const struct rule_entry *rules, size_t n);

/* Loading the built-in rules: entries prepared, their metadata read on several threads. */
struct load {
    struct engine *eng;
    struct rule_entry *entries;
};

static int load_one(void *ctx, size_t i, struct err *e)
{
    struct load *l = ctx;

    return l->entries[i].src ? load_meta(l->eng, &l->entries[i], e) : 0;
}

static int add_builtin(struct engine *eng, struct err *e)
{
    size_t n = embedded_rules_count, *order = NULL;
    struct load l = {.eng = eng, .entries = calloc(n ? n : 1, sizeof *l.entries)};
    int rc = 0;

    if (!l.entries)
        return err_set(e, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        const struct embedded_file *f = &embedded_rules[i];
        if (!f->name)
            continue;
        if (entry_init(&l.entries[i], "built-in", f->path, f->data, f->len, NULL))
            rc = err_set(e, ERR_NOMEM, "out of memory");
        else
            l.entries[i].builtin = true;
    }
    if (!rc && !(order = longest_first(l.entries, n)))
        rc = err_set(e, ERR_NOMEM, "out of memory");
    if (!rc)
        rc = for_each_rule(load_jobs(eng), n, order, load_one, &l, e);
    for (size_t i = 0; i < n && !rc; i++)
        if (l.entries[i].src && (rc = add_entry(eng, &l.entries[i])) != 0)
            err_set(e, rc, "out of memory");
    for (size_t i = 0; i < n; i++)
        entry_clear(&l.entries[i]); /* the entries added were taken over (and zeroed) */
    free(l.entries);
    free(order);
    return rc;
}

int engine_new(const struct engine_opts *opts, struct engine **out, struct err *e)
{
    struct engine *eng;
    int rc = 0;

    *out = NULL;
    eng = calloc(1, sizeof *eng);
    if (!eng)
        return err_set(e, ERR_NOMEM, "out of memory");
    if (opts)
        eng->opts = *opts;
    if (!eng->opts.max_findings)
        eng->opts.max_findings = ENGINE_DEFAULT_MAX_FINDINGS;
    if (!eng->opts.max_message)
        eng->opts.max_message = ENGINE_MAX_MESSAGE;
    eng->cache = sandbox_cache_new();
    if (!eng->cache) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!eng->opts.no_builtin && (rc = add_builtin(eng, e)) != 0)
        goto fail;
    *out = eng;
    return 0;
fail:
    engine_free(eng);
    return rc;
}

void engine_free(struct engine *eng)
{
    if (!eng)
        return;
    for (size_t i = 0; i < eng->n; i++)
        entry_clear(&eng->rules[i]);
    free(eng->rules);
    sandbox_cache_free(eng->cache);
    free(eng);
    lpool_depot_trim(); /* the memory the rules' states used goes back to the system */
}

static int lua_file_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return n > 4 && d->d_name[0] != '.' && strcmp(d->d_name + n - 4, ".lua") == 0;
}

/* Loads the rule files paths[0..count) of where (a directory or one file) and adds them, all or
 * none. */
static int add_files(struct engine *eng, const char *where, char *const *paths, size_t count,
                     struct err *e)
{
    struct rule_entry *loaded = calloc(count, sizeof *loaded);
    size_t done = 0;
    int rc = 0;

    if (!loaded)
        return err_set(e, ERR_NOMEM, "out of memory");
    for (; done < count; done++) {
        struct buf content;

        buf_init(&content, 0);
        rc = util_read_file(paths[done], ENGINE_MAX_RULE_FILE, &content, e);
        if (rc) {
            err_prefix(e, ERR_INVALID, "invalid rule file");
            buf_free(&content);
            goto out;
        }
        /* the entry frees its source with free(): buf_take hands over malloc'ed memory (a buffer
         * of 1 MiB or more is mapped, and is copied) */
        size_t len = content.len;
        char *owned = buf_take(&content);
        /* a failed entry_init has freed owned already */
        if (!owned || entry_init(&loaded[done], paths[done], paths[done], owned, len, owned)) {
            rc = err_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        rc = load_meta(eng, &loaded[done], e);
        if (rc) {
            done++;
            goto out;
        }
        for (size_t k = 0; k < done; k++)
            if (strcmp(loaded[k].meta.id, loaded[done].meta.id) == 0) {
                rc = err_set(e, ERR_INVALID, "rules directory '%s': '%s' and '%s' both define %s",
                             where, paths[k], paths[done], loaded[k].meta.id);
                done++;
                goto out;
            }
    }
    for (size_t k = 0; k < count; k++) {
        engine_log(eng, ENGINE_LOG_VERBOSE, "loaded rule %s from '%s'", loaded[k].meta.id,
                   loaded[k].meta.source);
        rc = add_entry(eng, &loaded[k]);
        if (rc) {
            err_set(e, rc, "out of memory");
            done = count;
            goto out;
        }
    }
out:
    for (size_t k = 0; k < done; k++)
        entry_clear(&loaded[k]);
    free(loaded);
    return rc;
}

int engine_add_rules(struct engine *eng, const char *path, struct err *e)
{
    struct dirent **names = NULL;
    char **paths = NULL;
    struct stat st;
    int count, rc = 0;

    /* one file, a pipe included (--rules <(command)) */
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *one = (char *)path;
        return add_files(eng, path, &one, 1, e);
    }
    count = scandir(path, &names, lua_file_filter, alphasort);
    if (count < 0)
        return err_set(e, ERR_IO, "cannot read rules directory '%s': %s", path, strerror(errno));
    if (count == 0) {
        free(names);
        return err_set(e, ERR_INVALID, "rules directory '%s' has no *.lua files", path);
    }
    paths = calloc((size_t)count, sizeof *paths);
    for (int k = 0; paths && k < count; k++) {
        struct buf b;
        buf_init(&b, 0);
        if (buf_printf(&b, "%s/%s", path, names[k]->d_name)) {
            rc = err_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        paths[k] = buf_take(&b);
    }
    if (!paths)
        rc = err_set(e, ERR_NOMEM, "out of memory");
    if (!rc)
        rc = add_files(eng, path, paths, (size_t)count, e);
    for (int k = 0; k < count; k++) {
        free(paths ? paths[k] : NULL);
        free(names[k]);
    }
    free(paths);
    free(names);
    return rc;
}

size_t engine_count(const struct engine *eng)
{
    return eng->n;
}

const struct rule_meta *engine_meta(const struct engine *eng, size_t i)
{
    return i < eng->n ? &eng->rules[i].meta : NULL;
}

static void hash_part(struct util_sha256 *h, const char *kind, const char *name, const char *data,
                      size_t len)
{
    char head[64];

    util_sha256_update(h, kind, strlen(kind) + 1);
    util_sha256_update(h, name, strlen(name) + 1);
    snprintf(head, sizeof head, "%zu", len);
    util_sha256_update(h, head, strlen(head) + 1);
    util_sha256_update(h, data, len);
}

const char *engine_rules_sha256(struct engine *eng)
{
    struct util_sha256 *h;

    if (eng->sha_valid)
        return eng->sha256;
    h = util_sha256_new();
    if (!h)
        return "";
    for (size_t i = 0; i < embedded_libs_count; i++)
        if (embedded_libs[i].name)
            hash_part(h, "lib", embedded_libs[i].name, embedded_libs[i].data, embedded_libs[i].len);
    {
        struct buf v;
        buf_init(&v, 0);
        if (luavocab_text(&v)) {
            buf_free(&v);
            util_sha256_free(h);
            return "";
        }
        hash_part(h, "lib", "vocab", buf_str(&v), v.len);
        buf_free(&v);
    }
    for (size_t i = 0; i < eng->n; i++)
        hash_part(h, "rule", eng->rules[i].meta.id, eng->rules[i].src, eng->rules[i].len);
    util_sha256_final_hex(h, eng->sha256);
    eng->sha_valid = true;
    return eng->sha256;
}

static int l_run(lua_State *L)
{
    struct job *j = engine_job_of(L);
    int t;

    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_RULE) == LUA_TTABLE) {
        t = lua_gettop(L);
    } else {
        lua_pop(L, 1);
        t = push_rule_table(L, j->rule);
    }

    if (raw_field(L, t, "id") != LUA_TSTRING || strcmp(lua_tostring(L, -1), j->rule->meta.id) != 0)
        luaL_error(L, "the rule's id changed between loading and running");
    lua_pop(L, 1);
    if (raw_field(L, t, "check") != LUA_TFUNCTION)
        luaL_error(L, "field 'check' must be a function");
    rulectx_push(L, j);
    lua_call(L, 1, 0);
    return 0;
}

static int cmp_finding(const void *a, const void *b)
{
    const struct finding *x = a, *y = b;
    int c;

    if (x->level != y->level)
        return x->level > y->level ? -1 : 1;
    c = strcmp(x->resource ? x->resource : "", y->resource ? y->resource : "");
    return c ? c : strcmp(x->message, y->message);
}

/* What a rule prints while it runs, kept for the debug log (capped by the sandbox). */
static void keep_print(void *ud, const char *msg)
{
    struct buf *out = ud;

    if (!buf_adds(out, msg))
        buf_add(out, "\n", 1);
}

/* Forgets what a run of a rule gave (its findings, tables, skip reason and what it printed), to
 * run it again; the metadata stays. */
static void result_restart(struct rule_result *res, struct buf *printed)
{
    struct rule_meta meta = res->meta;

    memset(&res->meta, 0, sizeof res->meta);
    rule_result_clear(res);
    res->meta = meta;
    buf_reset(printed);
}

/* Evaluates one rule into res (metadata already copied). When the engine logs, *trace receives the
 * Lua traceback of a rule error, and printed what the rule printed (both for the debug log, which
 * engine_run writes in rule order). */
static int run_rule(struct engine *eng, struct rule_entry *r, const struct engine_input *in,
                    struct rule_result *res, char **trace, struct buf *printed, bool *again,
                    struct err *e)
{
    struct sandbox *sb = NULL;
    struct job j = {.eng = eng, .rule = r, .in = in, .res = res};
    struct err rerr = {0};
    enum level worst = LEVEL_INFO;
    int rc;

    if (!rule_meta_applies(&r->meta, in->action)) {
        res->result = RESULT_SKIPPED;
        res->skip_reason = util_strdup("does not apply to this action");
        return res->skip_reason ? 0 : err_set(e, ERR_NOMEM, "out of memory");
    }
    /* A rule that declares what it reads does not run without it: one clear reason instead of
     * an error at the first access. */
    for (size_t i = 0; i < r->meta.nreads; i++) {
        const struct snapshot_part *p = snapshot_part_by_read(r->meta.reads[i]);
        char msg[160];

        /* an optional part (images) may be absent: the rule reads it through ctx.image */
        if (!p || !(p->required || p->rule_needs) || snapshot_part_value(in->snap, p))
            continue;
        if (p->required)
            snprintf(msg, sizeof msg, "not run: it reads %s, which the snapshot lacks", p->key);
        else
            snprintf(msg, sizeof msg,
                     "not run: it reads %s, which the snapshot lacks (a snapshot of an older "
                     "version%s%s%s): fetch again",
                     p->key, p->endpoint ? ", or a fetch without the " : "",
                     p->endpoint ? p->endpoint : "", p->endpoint ? " endpoint" : "");
        res->result = RESULT_ERROR;
        res->error = util_strdup(msg);
        return res->error ? 0 : err_set(e, ERR_NOMEM, "out of memory");
    }
    if (r->warm) {
        sb = r->warm; /* used once: later runs start from a fresh state */
        r->warm = NULL;
        rc = 0;
    } else {
        rc = new_sandbox(eng, &sb, &rerr);
    }
    if (!rc) {
        sandbox_set_user(sb, &j);
        sandbox_set_origin(sb, r->meta.chunkname + 1);
        sandbox_set_log(sb, eng->opts.log ? keep_print : NULL, printed);
        /* A built-in rule runs first without the count hook; anything but a clean end (an
         * error, a limit, its CPU allowance spent) runs it again, from the start, with the hook,
         * as every other rule runs: its result is then the one the hook gives. */
        if (r->builtin && sandbox_try_unhooked(sb, l_run, NULL)) {
            sandbox_free(sb);
            goto ran;
        }
        if (r->builtin) {
            struct rule_meta scratch = {0};
            struct job prep = {.eng = eng, .rule = r, .meta_out = &scratch};

            *again = true;
            sandbox_free(sb);
            result_restart(res, printed);
            j = (struct job){.eng = eng, .rule = r, .in = in, .res = res};
            /* a state made as the first one was when the rule loaded, in a call of its own: the
             * loading counts against no limit of the run, as with the warm state */
            if ((rc = new_sandbox(eng, &sb, &rerr)) != 0)
                goto ran;
            sandbox_set_user(sb, &prep);
            sandbox_set_origin(sb, r->meta.chunkname + 1);
            rc = sandbox_call(sb, l_load_meta, NULL, &rerr);
            rule_meta_clear(&scratch);
            if (rc) {
                sandbox_free(sb);
                goto ran;
            }
            sandbox_set_user(sb, &j);
            sandbox_set_log(sb, eng->opts.log ? keep_print : NULL, printed);
        }
        rc = sandbox_call(sb, l_run, NULL, &rerr);
        if (rc && eng->opts.log)
            *trace = util_strdup(sandbox_last_traceback(sb));
        sandbox_free(sb);
    }
ran:
    if (res->nfindings > 1)
        qsort(res->findings, res->nfindings, sizeof *res->findings, cmp_finding);
    for (size_t i = 0; i < res->nfindings; i++)
        if (res->findings[i].level > worst)
            worst = res->findings[i].level;
    if (rc) {
        res->result = RESULT_ERROR;
        util_utf8_sanitize(rerr.msg);
        res->error = util_strdup(rerr.msg);
        if (!res->error)
            return err_set(e, ERR_NOMEM, "out of memory");
    } else if (res->nfindings == 0) {
        res->result = res->skip_reason ? RESULT_SKIPPED : RESULT_PASS;
    } else {
        static const enum result_kind by_level[] = {RESULT_INFO, RESULT_WARN, RESULT_FAIL,
                                                    RESULT_ERROR};
        res->result = by_level[worst];
        free(res->skip_reason);
        res->skip_reason = NULL;
    }
    return 0;
}

/* ---- rules on several threads ---------------------------------------------------------------- */

/* Work on the rules, item by item, shared by the threads of one call of for_each_rule: each takes
 * the next item not yet taken. Rules are independent (each has its own Lua state and its own
 * result; the snapshot is only read), so they load and run on as many threads as the machine has
 * processors (engine_jobs). */
struct pool {
    int (*fn)(void *ctx, size_t i, struct err *e);
    void *ctx;
    const size_t *order; /* the items in the order to take them */
    size_t n;
    atomic_size_t next; /* taken without a lock, which a worker could sleep on (util_spin) */
    atomic_bool failed;
    int rc; /* the first failure (out of memory): the others stop taking items */
    struct err e;
    util_spin mu; /* guards rc and e */
};

static void *pool_worker(void *arg)
{
    struct pool *q = arg;

    for (;;) {
        struct err e = {0};
        size_t k = atomic_fetch_add_explicit(&q->next, 1, memory_order_relaxed);
        int rc;

        if (k >= q->n || atomic_load_explicit(&q->failed, memory_order_relaxed))
            return NULL;
        if ((rc = q->fn(q->ctx, q->order[k], &e)) != 0) {
            util_spin_lock(&q->mu);
            if (!q->rc) {
                q->rc = rc;
                q->e = e;
            }
            util_spin_unlock(&q->mu);
            atomic_store_explicit(&q->failed, true, memory_order_relaxed);
        }
    }
}

size_t engine_jobs(const struct engine *eng)
{
    long n = eng->opts.jobs;

    if (n <= 0) {
#ifdef CPU_COUNT
        cpu_set_t set;
        n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
#endif
        if (n <= 0)
            n = sysconf(_SC_NPROCESSORS_ONLN);
    }
    return n < 1 ? 1 : n > ENGINE_MAX_JOBS ? ENGINE_MAX_JOBS : (size_t)n;
}

/* The threads that load the built-in rules (opts.load_jobs): as many as run them, or fewer. */
static size_t load_jobs(const struct engine *eng)
{
    long jobs = (long)engine_jobs(eng), want = eng->opts.load_jobs;

    want = want > 0 ? want : jobs + want;
    return want < 1 ? 1 : want > jobs ? (size_t)jobs : (size_t)want;
}

/* Calls fn(ctx, i, e) for the n items, in the order given, on jobs threads (this one among them).
 * Returns 0, or the first failure with its message in e (items not yet taken are skipped). */
static int for_each_rule(size_t jobs, size_t n, const size_t *order,
                         int (*fn)(void *, size_t, struct err *), void *ctx, struct err *e)
{
    struct pool q = {.fn = fn, .ctx = ctx, .order = order, .n = n, .mu = UTIL_SPIN_INIT};
    pthread_t threads[ENGINE_MAX_JOBS];
    size_t started = 0;

    if (jobs > n)
        jobs = n;
    atomic_init(&q.next, 0);
    atomic_init(&q.failed, false);
    /* a thread that cannot be started leaves fewer: this one works through the rest */
    while (started + 1 < jobs && util_thread_start(&threads[started], pool_worker, &q) == 0)
        started++;
    pool_worker(&q);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (q.rc && e)
        *e = q.e;
    return q.rc;
}

/* The items 0..n-1 by the length of their text, longest first: a rule's length is the best guess
 * of its cost before it runs (the two longest built-in rules take a third of the time), and a long
 * rule started last would keep one thread busy while the others wait. Returns NULL when out of
 * memory. */
static size_t *longest_first(const struct rule_entry *rules, size_t n)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);

    if (!order)
        return NULL;
    for (size_t i = 0; i < n; i++) { /* insertion sort: a few dozen rules */
        size_t k = i;
        while (k > 0 && rules[order[k - 1]].len < rules[i].len) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    return order;
}

/* One run's shared state: the results and, per rule, its time, the traceback of an error and what
 * it printed. */
struct run {
    struct engine *eng;
    const struct engine_input *in;
    struct rule_result *res;
    double *ms;
    char **trace;
    struct buf *printed;
    bool *again; /* the rule ran a second time, with the count hook */
};

static int run_one(void *ctx, size_t i, struct err *e)
{
    struct run *q = ctx;
    struct timespec t0, t1;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = run_rule(q->eng, &q->eng->rules[i], q->in, &q->res[i], &q->trace[i], &q->printed[i],
                  &q->again[i], e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    q->ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return rc;
}

int engine_run(struct engine *eng, const struct engine_input *in, struct rule_result **out,
               size_t *n, struct err *e)
{
    struct run q = {.eng = eng, .in = in};
    size_t *order = NULL;
    int rc = 0;

    *out = NULL;
    *n = 0;
    q.res = calloc(eng->n ? eng->n : 1, sizeof *q.res);
    q.ms = calloc(eng->n ? eng->n : 1, sizeof *q.ms);
    q.trace = calloc(eng->n ? eng->n : 1, sizeof *q.trace);
    q.printed = calloc(eng->n ? eng->n : 1, sizeof *q.printed); /* zeroed: empty buffers */
    q.again = calloc(eng->n ? eng->n : 1, sizeof *q.again);
    order = longest_first(eng->rules, eng->n);
    if (!q.res || !q.ms || !q.trace || !q.printed || !q.again || !order) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < eng->n; i++)
        if (rule_meta_copy(&q.res[i].meta, &eng->rules[i].meta)) {
            rc = err_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
    if ((rc = for_each_rule(engine_jobs(eng), eng->n, order, run_one, &q, e)) != 0)
        goto out;
    /* the debug log in rule order, whatever order the rules ran in */
    for (size_t i = 0; i < eng->n; i++) {
        const char *line = q.printed[i].data;
        while (line && *line) {
            size_t len = strcspn(line, "\n");
            engine_log(eng, ENGINE_LOG_DEBUG, "rule %s: print: %.*s", q.res[i].meta.id, (int)len,
                       line);
            line += len + (line[len] == '\n');
        }
        if (q.trace[i])
            engine_log(eng, ENGINE_LOG_DEBUG, "rule %s: %s", q.res[i].meta.id, q.trace[i]);
        engine_log(eng, ENGINE_LOG_DEBUG, "rule %s: %s (%.1f ms, %zu findings%s)", q.res[i].meta.id,
                   result_name(q.res[i].result), q.ms[i], q.res[i].nfindings,
                   q.again[i] ? "; ran again with the count hook" : "");
    }
out:
    for (size_t i = 0; q.trace && i < eng->n; i++)
        free(q.trace[i]);
    for (size_t i = 0; q.printed && i < eng->n; i++)
        buf_free(&q.printed[i]);
    free(q.trace);
    free(q.printed);
    free(q.again);
    free(order);
    free(q.ms);
    if (rc) {
        rule_results_free(q.res, eng->n);
        return rc;
    }
    *out = q.res;
    *n = eng->n;
    return 0;
}
