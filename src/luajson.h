/*
 * JSON values into Lua values: json-c trees (the facts file) by copy, the snapshot's jdoc values
 * (jdoc.h) on demand. Runs only inside a protected sandbox call (it raises).
 */
#ifndef SDRS_LUAJSON_H
#define SDRS_LUAJSON_H

#include <lua.h>

struct json_object;
struct jval;

#define LUAJSON_MAX_DEPTH 64

/* Pushes a Lua copy of v: objects and arrays become tables (arrays 1-based), JSON null members
 * are left out, a null array element becomes the light userdata NULL (ctx.null). Raises a Lua
 * error when v nests deeper than max_depth. [-0, +1, e] */
void luajson_push(lua_State *L, struct json_object *v, int max_depth);

/* Pushes v for reading on demand: scalars as values, objects and arrays as tables that convert a
 * member the first time it is read and keep it. #t, ipairs and pairs work as on a plain table;
 * next and rawget see only what was read so far. Writes stay in the table (the JSON is never
 * changed). v must outlive the Lua state. [-0, +1, e] */
void luajson_push_lazy(lua_State *L, const struct jval *v);

#endif
