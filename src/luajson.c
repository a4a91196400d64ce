#include "luajson.h"

#include "jdoc.h"

#include <json-c/json.h>
#include <lauxlib.h>
#include <stdbool.h>

static void push(lua_State *L, struct json_object *v, int depth)
{
    if (depth < 0)
        luaL_error(L, "JSON value nested too deeply for a rule (limit %d)", LUAJSON_MAX_DEPTH);
    luaL_checkstack(L, 3, "JSON value nested too deeply");
    switch (json_object_get_type(v)) {
    case json_type_null:
        lua_pushlightuserdata(L, NULL);
        break;
    case json_type_boolean:
        lua_pushboolean(L, json_object_get_boolean(v));
        break;
    case json_type_int:
        lua_pushinteger(L, (lua_Integer)json_object_get_int64(v));
        break;
    case json_type_double:
        lua_pushnumber(L, (lua_Number)json_object_get_double(v));
        break;
    case json_type_string:
        lua_pushlstring(L, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    case json_type_array: {
        size_t n = json_object_array_length(v);
        lua_createtable(L, n > 1u << 24 ? 1 << 24 : (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            push(L, json_object_array_get_idx(v, i), depth - 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case json_type_object: {
        int n = json_object_object_length(v);
        lua_createtable(L, 0, n < 0 ? 0 : n);
        json_object_object_foreach(v, key, val)
        {
            if (!val)
                continue;
            lua_pushstring(L, key);
            push(L, val, depth - 1);
            lua_rawset(L, -3);
        }
        break;
    }
    }
}

void luajson_push(lua_State *L, struct json_object *v, int max_depth)
{
    push(L, v, max_depth);
}

/* Registry keys of the two metatables; KEY_NODE is also the private key under which a proxy keeps
 * its JSON node (a light userdata no rule can make). */
static const char KEY_NODE = 'n';
static const char KEY_OBJ_MT = 'o';
static const char KEY_ARR_MT = 'a';

/* The JSON node behind the proxy at idx, or NULL. [-0, +0, -] */
static const struct jval *node_of(lua_State *L, int idx)
{
    const struct jval *v;

    lua_rawgetp(L, idx, &KEY_NODE);
    v = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return v;
}

/* next() that skips the private key. */
static int l_lazy_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    while (lua_next(L, 1)) {
        if (lua_touserdata(L, -2) == (void *)&KEY_NODE) {
            lua_pop(L, 1);
            continue;
        }
        return 2;
    }
    lua_pushnil(L);
    return 1;
}

/* Pushes one member value: scalars directly, containers as new proxies; null as ctx.null when
 * in an array (as_element), else nothing is pushed and false is returned. */
static bool push_member(lua_State *L, const struct jval *v, bool as_element)
{
    switch ((enum jtype)v->type) {
    case JT_NULL:
        if (!as_element)
            return false;
        lua_pushlightuserdata(L, NULL);
        return true;
    case JT_BOOL:
        lua_pushboolean(L, v->u.b);
        return true;
    case JT_INT:
        lua_pushinteger(L, (lua_Integer)v->u.i);
        return true;
    case JT_DOUBLE:
        lua_pushnumber(L, (lua_Number)v->u.d);
        return true;
    case JT_STRING:
        lua_pushlstring(L, v->u.s, v->n);
        return true;
    case JT_OBJECT:
    case JT_ARRAY:
        luajson_push_lazy(L, v);
        return true;
    }
    return false;
}

static int l_obj_index(lua_State *L)
{
    const struct jval *obj = node_of(L, 1), *v;
    const char *key;
    size_t klen;

    if (!obj || lua_type(L, 2) != LUA_TSTRING)
        return 0;
    key = lua_tolstring(L, 2, &klen);
    if (!(v = jv_getn(obj, key, klen)) || !push_member(L, v, false))
        return 0;
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

static int l_arr_index(lua_State *L)
{
    const struct jval *arr = node_of(L, 1);
    lua_Integer i;

    if (!arr || !lua_isinteger(L, 2))
        return 0;
    i = lua_tointeger(L, 2);
    if (i < 1 || (size_t)i > jv_len(arr))
        return 0;
    push_member(L, jv_at(arr, (size_t)i - 1), true);
    lua_pushvalue(L, -1);
    lua_rawseti(L, 1, i);
    return 1;
}

static int l_arr_len(lua_State *L)
{
    const struct jval *arr = node_of(L, 1);

    lua_pushinteger(L, arr ? (lua_Integer)jv_len(arr) : 0);
    return 1;
}

/* pairs(): every member is read first, so the iteration sees all of them. */
static int l_lazy_pairs(lua_State *L)
{
    const struct jval *v = node_of(L, 1);

    if (jv_is(v, JT_ARRAY)) {
        size_t n = jv_len(v);
        for (size_t i = 0; i < n; i++) {
            luaL_checkstack(L, 2, "pairs");
            if (lua_rawgeti(L, 1, (lua_Integer)i + 1) == LUA_TNIL &&
                push_member(L, jv_at(v, i), true))
                lua_rawseti(L, 1, (lua_Integer)i + 1);
            lua_pop(L, 1);
        }
    } else if (v) {
        struct jmem *m, *end;
        for (m = jv_members(v, &end); m < end; m++) {
            if (m->gone)
                continue;
            luaL_checkstack(L, 3, "pairs");
            lua_pushlstring(L, m->key, m->klen);
            if (lua_rawget(L, 1) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_pushlstring(L, m->key, m->klen);
                if (push_member(L, &m->v, false))
                    lua_rawset(L, 1);
                else
                    lua_pop(L, 1);
                continue;
            }
            lua_pop(L, 1);
        }
    }
    lua_pushcfunction(L, l_lazy_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Creates the two metatables in the registry. [-0, +0, m] */
static void lazy_setup(lua_State *L)
{
    lua_createtable(L, 0, 4);
    lua_pushcfunction(L, l_obj_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_lazy_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "data");
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_OBJ_MT);

    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, l_arr_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_arr_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, l_lazy_pairs);
    lua_setfield(L, -2, "__pairs");
    /* what getmetatable() gives: a rule tells a JSON array without reading it (sdrs.list) */
    lua_pushliteral(L, "data array");
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_ARR_MT);
}

void luajson_push_lazy(lua_State *L, const struct jval *v)
{
    bool array = jv_is(v, JT_ARRAY);

    if (!array && !jv_is(v, JT_OBJECT)) {
        if (!v || !push_member(L, v, true))
            lua_pushnil(L);
        return;
    }
    luaL_checkstack(L, 4, "JSON value");
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, array ? &KEY_ARR_MT : &KEY_OBJ_MT) == LUA_TNIL) {
        lua_pop(L, 1);
        lazy_setup(L);
        lua_rawgetp(L, LUA_REGISTRYINDEX, array ? &KEY_ARR_MT : &KEY_OBJ_MT);
    }
    /* sized for the node key and a few members read: a rule reads a handful of the 40 members of
     * a server, and room for all of them in every proxy made the memory of a check half proxies */
    if (array)
        lua_createtable(L, v->n > 4096 ? 4096 : (int)v->n, 1);
    else
        lua_createtable(L, 0, (v->n < 4 ? (int)v->n : 4) + 1);
    lua_pushlightuserdata(L, (void *)v);
    lua_rawsetp(L, -2, &KEY_NODE);
    lua_insert(L, -2);
    lua_setmetatable(L, -2);
}
