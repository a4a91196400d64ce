#include "luajson.h"

#include <json-c/json.h>
#include <lauxlib.h>

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
