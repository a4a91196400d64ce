/* The ctx object of a rule's check: the snapshot's parts read on demand, the facts, and the methods
 * that report findings and look servers and images up. */
#include "engine_internal.h"

#include "jdoc.h"
#include "jsonutil.h"
#include "luajson.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

static const char KEY_CTX = 'c';
static const char KEY_CACHE = 'k';

/* ---- running: the ctx object ----------------------------------------------------------------- */

/* Checks that the method was called as ctx:name(...). */
static void check_self(lua_State *L, const char *name)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_CTX);
    if (!lua_rawequal(L, 1, -1))
        luaL_error(L, "call it as ctx:%s(...) (with a colon)", name);
    lua_pop(L, 1);
}

/* Validates the evidence table at idx; returns the number of entries other than `resource`. */
static size_t check_evidence(lua_State *L, int idx)
{
    size_t n = 0;

    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t klen, vlen;
        const char *k;
        int vt = lua_type(L, -1);

        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "evidence keys must be strings (got %s)", luaL_typename(L, -2));
        k = lua_tolstring(L, -2, &klen);
        if (klen == 0 || klen > 64 || !util_utf8_valid(k, klen))
            luaL_error(L, "evidence key must be UTF-8 text of 1 to 64 bytes");
        if (vt == LUA_TSTRING) {
            const char *v = lua_tolstring(L, -1, &vlen);
            if (vlen > ENGINE_MAX_VALUE)
                luaL_error(L, "evidence '%s' is %d bytes long (limit %d)", k, (int)vlen,
                           ENGINE_MAX_VALUE);
            if (!util_utf8_valid(v, vlen))
                luaL_error(L, "evidence '%s' is not valid UTF-8 text", k);
        } else if (strcmp(k, "resource") == 0) {
            luaL_error(L, "evidence 'resource' must be a string (got %s)", lua_typename(L, vt));
        } else if (vt == LUA_TNUMBER && !lua_isinteger(L, -1) &&
                   !isfinite((double)lua_tonumber(L, -1))) {
            luaL_error(L, "evidence '%s' is not a finite number", k);
        } else if (vt != LUA_TNUMBER && vt != LUA_TBOOLEAN) {
            luaL_error(L,
                       "evidence '%s' must be a string, number or boolean (got %s); evidence is "
                       "flat",
                       k, lua_typename(L, vt));
        }
        if (strcmp(k, "resource") != 0)
            n++;
        lua_pop(L, 1);
    }
    if (n > ENGINE_MAX_EVIDENCE)
        luaL_error(L, "%d evidence entries exceed the limit of %d", (int)n, ENGINE_MAX_EVIDENCE);
    return n;
}

/* Copies the validated evidence at idx into f; raises nothing. Returns false when out of memory. */
static bool copy_evidence(lua_State *L, int idx, struct finding *f, size_t n)
{
    bool ok = true;

    f->ev = n ? calloc(n, sizeof *f->ev) : NULL;
    if (n && !f->ev)
        return false;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t vlen;
        const char *k = lua_tostring(L, -2);
        struct evidence *ev;

        if (strcmp(k, "resource") == 0) {
            const char *v = lua_tolstring(L, -1, &vlen);
            free(f->resource);
            f->resource = util_strndup(v, vlen);
            ok = ok && f->resource;
            lua_pop(L, 1);
            continue;
        }
        ev = &f->ev[f->nev++];
        ev->key = util_strdup(k);
        ok = ok && ev->key;
        switch (lua_type(L, -1)) {
        case LUA_TSTRING: {
            const char *v = lua_tolstring(L, -1, &vlen);
            ev->type = EV_STRING;
            ev->s = util_strndup(v, vlen);
            ok = ok && ev->s;
            break;
        }
        case LUA_TBOOLEAN:
            ev->type = EV_BOOL;
            ev->b = lua_toboolean(L, -1);
            break;
        default:
            if (lua_isinteger(L, -1)) {
                ev->type = EV_INT;
                ev->i = (long long)lua_tointeger(L, -1);
            } else {
                ev->type = EV_NUMBER;
                ev->d = (double)lua_tonumber(L, -1);
            }
            break;
        }
        lua_pop(L, 1);
    }
    return ok;
}

static int cmp_evidence(const void *a, const void *b)
{
    return strcmp(((const struct evidence *)a)->key, ((const struct evidence *)b)->key);
}

/* ctx:fail/warn/note/unknown(message, evidence) */
static int add_finding(lua_State *L, enum level lvl, const char *name)
{
    struct job *j = engine_job_of(L);
    struct rule_result *res = j->res;
    struct finding *f;
    size_t mlen, nev = 0;
    const char *msg;

    check_self(L, name);
    msg = luaL_checklstring(L, 2, &mlen);
    if (mlen > j->eng->opts.max_message)
        luaL_error(L, "finding message is %d bytes long (limit %d)", (int)mlen,
                   (int)j->eng->opts.max_message);
    if (!util_utf8_valid(msg, mlen))
        luaL_error(L, "finding message is not valid UTF-8 text");
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        nev = check_evidence(L, 3);
    }
    if (res->nfindings >= j->eng->opts.max_findings)
        luaL_error(L, "more than %d findings (the limit per rule)", (int)j->eng->opts.max_findings);
    if (res->nfindings == j->cap) {
        size_t ncap = j->cap ? j->cap * 2 : 8;
        struct finding *nf = realloc(res->findings, ncap * sizeof *nf);
        if (!nf)
            luaL_error(L, "out of memory");
        res->findings = nf;
        j->cap = ncap;
    }
    /* From here nothing raises until the finding is complete. */
    f = &res->findings[res->nfindings];
    memset(f, 0, sizeof *f);
    f->level = lvl;
    f->message = util_strndup(msg, mlen);
    if (!f->message || (lua_istable(L, 3) && !copy_evidence(L, 3, f, nev))) {
        finding_clear(f);
        return luaL_error(L, "out of memory");
    }
    if (f->nev > 1)
        qsort(f->ev, f->nev, sizeof *f->ev, cmp_evidence);
    res->nfindings++;
    return 0;
}

static int l_fail(lua_State *L)
{
    static const enum level by_severity[] = {LEVEL_FAIL, LEVEL_WARN, LEVEL_INFO};

    return add_finding(L, by_severity[engine_job_of(L)->res->meta.severity], "fail");
}

static int l_warn(lua_State *L)
{
    return add_finding(L, LEVEL_WARN, "warn");
}

static int l_note(lua_State *L)
{
    return add_finding(L, LEVEL_INFO, "note");
}

static int l_unknown(lua_State *L)
{
    return add_finding(L, LEVEL_ERROR, "unknown");
}

static int l_skip(lua_State *L)
{
    struct rule_result *res = engine_job_of(L)->res;
    size_t len;
    const char *reason;

    check_self(L, "skip");
    reason = luaL_checklstring(L, 2, &len);
    if (len > ENGINE_MAX_MESSAGE || !util_utf8_valid(reason, len))
        luaL_error(L, "skip reason must be UTF-8 text of at most %d bytes", ENGINE_MAX_MESSAGE);
    if (!res->skip_reason) {
        res->skip_reason = util_strndup(reason, len);
        if (!res->skip_reason)
            luaL_error(L, "out of memory");
    }
    return 0;
}

/* The first argument, allowing both ctx.f(x) and ctx:f(x). */
static int arg_base(lua_State *L)
{
    int base = 1;

    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_CTX);
    if (lua_rawequal(L, 1, -1))
        base = 2;
    lua_pop(L, 1);
    return base;
}

/* Pushes the per-state cache table for kind ("server", "image"), made with room for the members
 * of map (a rule that asks for one server asks for most; NULL: none). [-0, +1, m] */
static int push_cache(lua_State *L, const char *kind, const struct jval *map)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_CACHE);
    if (lua_getfield(L, -1, kind) != LUA_TTABLE) {
        size_t size = jv_len(map);
        lua_pop(L, 1);
        lua_createtable(L, 0, size > 4096 ? 4096 : (int)size);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, kind);
    }
    lua_remove(L, -2);
    return lua_gettop(L);
}

/* ctx.server(id) and ctx.volume(id): the record of id in a map of API answers, as object|nil,
 * state ("present", "deleted", "missing"), err|nil (with http_status). The cache holds the
 * object itself for one that is present without an error (a proxy: it has a metatable), else the
 * three values in a table (which has none). */
static int push_record(lua_State *L, const char *kind, struct jval *map,
                       enum server_state (*lookup)(const struct snapshot *, const char *,
                                                   struct jval **, struct jval **))
{
    struct job *j = engine_job_of(L);
    int base = arg_base(L);
    const char *id = luaL_checkstring(L, base);
    struct jval *obj, *err;
    enum server_state st;
    int cache = push_cache(L, kind, map), rec;

    lua_pushvalue(L, base);
    if (lua_rawget(L, cache) == LUA_TTABLE) {
        if (!lua_getmetatable(L, -1))
            goto unpack;
        lua_pop(L, 1);
        lua_pushstring(L, server_state_name(SERVER_PRESENT));
        lua_pushnil(L);
        return 3;
    }
    lua_pop(L, 1);
    st = lookup(j->in->snap, id, &obj, &err);
    if (st == SERVER_PRESENT && obj && !err) {
        luajson_push_lazy(L, obj);
        lua_pushvalue(L, base);
        lua_pushvalue(L, -2);
        lua_rawset(L, cache);
        lua_pushstring(L, server_state_name(st));
        lua_pushnil(L);
        return 3;
    }
    lua_createtable(L, 3, 0);
    if (obj)
        luajson_push_lazy(L, obj);
    else
        lua_pushnil(L);
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, server_state_name(st));
    lua_rawseti(L, -2, 2);
    if (err || (st != SERVER_PRESENT && !obj)) {
        struct jval *status = jv_get(jv_get(map, id), "http_status");
        if (err)
            luajson_push_lazy(L, err);
        else
            lua_newtable(L);
        if (jv_is(status, JT_INT)) {
            lua_pushinteger(L, (lua_Integer)status->u.i);
            lua_setfield(L, -2, "http_status");
        }
    } else {
        lua_pushnil(L);
    }
    lua_rawseti(L, -2, 3);
    lua_pushvalue(L, base);
    lua_pushvalue(L, -2);
    lua_rawset(L, cache);
unpack:
    rec = lua_gettop(L);
    for (int i = 1; i <= 3; i++)
        lua_rawgeti(L, rec, i);
    return 3;
}

/* ctx.server(id) -> server|nil, state, err|nil */
static int l_server(lua_State *L)
{
    return push_record(L, "server", engine_job_of(L)->in->snap->servers, snapshot_server);
}

/* ctx.volume(id) -> volume|nil, state, err|nil */
static int l_volume(lua_State *L)
{
    const struct snapshot *s = engine_job_of(L)->in->snap;

    if (!s->volumes)
        return luaL_error(L, "the snapshot has no volumes, so ctx.volume is not available");
    return push_record(L, "volume", s->volumes, snapshot_volume);
}

/* ctx.image(id) -> image|nil */
static int l_image(lua_State *L)
{
    struct job *j = engine_job_of(L);
    const char *id = luaL_checkstring(L, arg_base(L));
    struct jval *img;
    int cache = push_cache(L, "image", NULL);

    if (lua_getfield(L, cache, id) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    img = snapshot_image(j->in->snap, id);
    if (!img)
        return 0;
    luajson_push_lazy(L, img);
    lua_pushvalue(L, -1);
    lua_setfield(L, cache, id);
    return 1;
}

/* ---- ctx:row: tables ------------------------------------------------------------------------- */

/* The string field key of the table at idx (raw: no metamethod runs), or NULL when absent;
 * raises unless it is UTF-8 text of 1..max bytes. Leaves the stack as it was. */
static const char *row_field(lua_State *L, int idx, const char *key, size_t max, bool required,
                             size_t *len)
{
    const char *s;

    lua_pushstring(L, key);
    lua_rawget(L, idx);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        if (required)
            luaL_error(L, "ctx:row needs %s", key);
        return NULL;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "ctx:row: %s must be a string (got %s)", key, luaL_typename(L, -1));
    s = lua_tolstring(L, -1, len);
    if (*len == 0 || *len > max || !util_utf8_valid(s, *len))
        luaL_error(L, "ctx:row: %s must be UTF-8 text of 1 to %d bytes", key, (int)max);
    lua_pop(L, 1); /* the string stays alive: it is referenced by the argument table */
    return s;
}

/* The array field key of the table at idx: n strings, each UTF-8 of at most max bytes, into out
 * (borrowed from the argument table). Returns n. */
static size_t row_strings(lua_State *L, int idx, const char *key, size_t max, const char **out,
                          size_t *lens)
{
    size_t n;
    int arr;

    lua_pushstring(L, key);
    lua_rawget(L, idx);
    if (!lua_istable(L, -1))
        luaL_error(L, "ctx:row needs %s, a list of strings", key);
    arr = lua_gettop(L);
    n = lua_rawlen(L, arr);
    if (n == 0 || n > ENGINE_MAX_COLUMNS)
        luaL_error(L, "ctx:row: %s must have 1 to %d entries", key, ENGINE_MAX_COLUMNS);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, arr, (lua_Integer)i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "ctx:row: %s[%d] must be a string (got %s)", key, (int)i + 1,
                       luaL_typename(L, -1));
        out[i] = lua_tolstring(L, -1, &lens[i]);
        if (lens[i] > max || !util_utf8_valid(out[i], lens[i]))
            luaL_error(L, "ctx:row: %s[%d] must be UTF-8 text of at most %d bytes", key, (int)i + 1,
                       (int)max);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return n;
}

static char **copy_strings(const char *const *s, const size_t *lens, size_t n)
{
    char **out = calloc(n, sizeof *out);

    for (size_t i = 0; out && i < n; i++) {
        if (!(out[i] = util_strndup(s[i], lens[i]))) {
            for (size_t k = 0; k < i; k++)
                free(out[k]);
            free(out);
            return NULL;
        }
    }
    return out;
}

/* ctx:row{table = name, title = t, columns = {...}, values = {...}, resource = r, label = l} */
static int l_row(lua_State *L)
{
    struct job *j = engine_job_of(L);
    struct rule_result *res = j->res;
    const char *cols[ENGINE_MAX_COLUMNS], *vals[ENGINE_MAX_COLUMNS], *name, *title, *resource,
        *label;
    size_t clen[ENGINE_MAX_COLUMNS], vlen[ENGINE_MAX_COLUMNS], nlen, tlen, rlen = 0, llen = 0, ncol,
                                                                           nval;
    struct rule_table *t = NULL;
    struct table_row *row = NULL;

    check_self(L, "row");
    luaL_checktype(L, 2, LUA_TTABLE);
    name = row_field(L, 2, "table", 64, true, &nlen);
    title = row_field(L, 2, "title", 200, true, &tlen);
    resource = row_field(L, 2, "resource", ENGINE_MAX_VALUE, false, &rlen);
    label = row_field(L, 2, "label", 256, false, &llen);
    ncol = row_strings(L, 2, "columns", 100, cols, clen);
    nval = row_strings(L, 2, "values", ENGINE_MAX_VALUE, vals, vlen);
    if (nval != ncol)
        luaL_error(L, "ctx:row: %d values for %d columns", (int)nval, (int)ncol);
    for (size_t i = 0; i < res->ntables && !t; i++)
        if (strlen(res->tables[i].name) == nlen && memcmp(res->tables[i].name, name, nlen) == 0)
            t = &res->tables[i];
    if (t) {
        bool same =
            t->ncolumns == ncol && strlen(t->title) == tlen && memcmp(t->title, title, tlen) == 0;
        for (size_t c = 0; same && c < ncol; c++)
            same = strlen(t->columns[c]) == clen[c] && memcmp(t->columns[c], cols[c], clen[c]) == 0;
        if (!same)
            luaL_error(L, "ctx:row: table '%s' was begun with another title or other columns",
                       t->name);
    } else if (res->ntables >= ENGINE_MAX_TABLES) {
        luaL_error(L, "ctx:row: more than %d tables", ENGINE_MAX_TABLES);
    }
    for (size_t i = 0; t && i < t->nrows && !row; i++) {
        bool same = true;
        for (size_t c = 0; same && c < ncol; c++)
            same = strlen(t->rows[i].values[c]) == vlen[c] &&
                   memcmp(t->rows[i].values[c], vals[c], vlen[c]) == 0;
        if (same)
            row = &t->rows[i];
    }
    if (!row && t && t->nrows >= ENGINE_MAX_ROWS)
        luaL_error(L, "ctx:row: table '%s' has more than %d distinct rows", t->name,
                   ENGINE_MAX_ROWS);
    if (row && resource && row->nrefs >= j->eng->opts.max_findings)
        luaL_error(L, "ctx:row: a row of table '%s' names more than %d resources", t->name,
                   (int)j->eng->opts.max_findings);
    /* From here nothing raises but "out of memory", and the result stays consistent. */
    if (!t) {
        struct rule_table *nt = realloc(res->tables, (res->ntables + 1) * sizeof *nt);
        if (!nt)
            return luaL_error(L, "out of memory");
        res->tables = nt;
        t = &nt[res->ntables];
        memset(t, 0, sizeof *t);
        t->name = util_strndup(name, nlen);
        t->title = util_strndup(title, tlen);
        t->columns = copy_strings(cols, clen, ncol);
        if (!t->name || !t->title || !t->columns) {
            free(t->name);
            free(t->title);
            memset(t, 0, sizeof *t);
            return luaL_error(L, "out of memory");
        }
        t->ncolumns = ncol;
        res->ntables++;
    }
    if (!row) {
        char **copy;
        if (t->nrows == t->cap) {
            size_t ncap = t->cap ? t->cap * 2 : 4;
            struct table_row *nr = realloc(t->rows, ncap * sizeof *nr);
            if (!nr)
                return luaL_error(L, "out of memory");
            t->rows = nr;
            t->cap = ncap;
        }
        if (!(copy = copy_strings(vals, vlen, ncol)))
            return luaL_error(L, "out of memory");
        row = &t->rows[t->nrows++];
        memset(row, 0, sizeof *row);
        row->values = copy;
    }
    if (resource) {
        struct table_ref ref = {util_strndup(resource, rlen),
                                label ? util_strndup(label, llen) : NULL};
        if (row->nrefs == row->cap) {
            size_t ncap = row->cap ? row->cap * 2 : 8;
            struct table_ref *nr = realloc(row->refs, ncap * sizeof *nr);
            if (!nr) {
                free(ref.resource);
                free(ref.label);
                return luaL_error(L, "out of memory");
            }
            row->refs = nr;
            row->cap = ncap;
        }
        if (!ref.resource || (label && !ref.label)) {
            free(ref.resource);
            free(ref.label);
            return luaL_error(L, "out of memory");
        }
        row->refs[row->nrefs++] = ref;
    }
    return 0;
}

/* ctx.parse_time(s) -> seconds since the epoch | nil */
static int l_parse_time(lua_State *L)
{
    int base = arg_base(L);
    long long t;

    if (lua_type(L, base) != LUA_TSTRING || !util_parse_time(lua_tostring(L, base), &t))
        return 0;
    lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

static const luaL_Reg ctx_methods[] = {
    {"fail", l_fail}, {"warn", l_warn},     {"note", l_note},   {"unknown", l_unknown},
    {"skip", l_skip}, {"server", l_server}, {"image", l_image}, {"parse_time", l_parse_time},
    {"row", l_row},   {"volume", l_volume}, {NULL, NULL},
};

/* __index of ctx: methods (upvalue 1), then plain values and data parts converted on first use
 * (upvalue 2, the cache). ctx itself stays empty, so every assignment reaches __newindex. */
static int l_ctx_index(lua_State *L)
{
    struct job *j = engine_job_of(L);
    const char *key;

    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    {
        const struct snapshot_part *p = snapshot_part_by_read(key);
        if (p && p->in_ctx) {
            struct jval *v = snapshot_part_value(j->in->snap, p);
            if (!v && !p->required && !p->rule_needs)
                return 0; /* an optional part (flavor_capacity): nil when the snapshot lacks it */
            if (!v)
                return luaL_error(L, "the snapshot has no %s, so ctx.%s is not available", p->key,
                                  key);
            luajson_push_lazy(L, v);
            goto cache;
        }
    }
    if (strcmp(key, "caller") == 0) {
        if (!j->in->snap->caller)
            return 0; /* nil: the credential shows no roles (a token or AK/SK) */
        luajson_push_lazy(L, j->in->snap->caller);
        goto cache;
    }
    if (strcmp(key, "facts") == 0) {
        if (j->in->facts) {
            luajson_push(L, j->in->facts->root, LUAJSON_MAX_DEPTH);
        } else {
            lua_createtable(L, 0, 1);
            lua_newtable(L);
            lua_setfield(L, -2, "servers");
        }
        goto cache;
    }
    return luaL_error(L, "ctx has no field '%s'", key);
cache:
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, lua_upvalueindex(2));
    return 1;
}

static int l_ctx_newindex(lua_State *L)
{
    return luaL_error(L, "ctx is read-only");
}

void rulectx_push(lua_State *L, struct job *j)
{
    int ctx, data;

    lua_newtable(L);
    ctx = lua_gettop(L);
    lua_createtable(L, 0, 8);
    data = lua_gettop(L);
    lua_pushstring(L, j->in->action);
    lua_setfield(L, data, "action");
    if (j->in->snap->now) {
        lua_pushinteger(L, (lua_Integer)j->in->snap->now);
        lua_setfield(L, data, "now");
    }
    lua_pushinteger(L, j->eng->opts.max_drill_age_days > 0 ? j->eng->opts.max_drill_age_days
                                                           : ENGINE_DRILL_AGE_DAYS);
    lua_setfield(L, data, "max_drill_age_days");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, data, "null");
    lua_createtable(L, 0, 3);
    lua_newtable(L);
    luaL_setfuncs(L, ctx_methods, 0);
    lua_pushvalue(L, data);
    lua_pushcclosure(L, l_ctx_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_ctx_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, ctx);
    lua_pop(L, 1);
    lua_pushvalue(L, ctx);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_CTX);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_CACHE);
}
