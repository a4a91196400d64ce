/*
 * json-c values into Lua values. Runs only inside a protected sandbox call (it raises).
 */
#ifndef SDRS_LUAJSON_H
#define SDRS_LUAJSON_H

#include <lua.h>

struct json_object;

#define LUAJSON_MAX_DEPTH 64

/* Pushes a Lua copy of v: objects and arrays become tables (arrays 1-based), JSON null members
 * are left out, a null array element becomes the light userdata NULL (ctx.null). Raises a Lua
 * error when v nests deeper than max_depth. [-0, +1, e] */
void luajson_push(lua_State *L, struct json_object *v, int max_depth);

#endif
