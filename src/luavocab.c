#include "luavocab.h"

#include "err.h"
#include "vocab.h"

#include <lauxlib.h>

/* next(), as the base library has it (pairs hands it out). */
static int l_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* Pushes the entry of field f: { source, null_ok, class = {value = class}, tag = {value = tag},
 * values = {documentation order} }. */
static void push_field(lua_State *L, const struct vocab_field *f)
{
    lua_createtable(L, 0, 5);
    lua_pushstring(L, f->source);
    lua_setfield(L, -2, "source");
    lua_pushboolean(L, f->null_ok);
    lua_setfield(L, -2, "null_ok");
    lua_createtable(L, 0, (int)f->nvalues); /* class */
    lua_newtable(L);                        /* tag */
    lua_createtable(L, (int)f->nvalues, 0); /* values */
    for (size_t k = 0; k < f->nvalues; k++) {
        const struct vocab_value *v = &f->values[k];
        lua_pushstring(L, vocab_class_name(v->cls));
        lua_setfield(L, -4, v->value);
        if (v->tag) {
            lua_pushstring(L, v->tag);
            lua_setfield(L, -3, v->value);
        }
        lua_pushstring(L, v->value);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -4, "values");
    lua_setfield(L, -3, "tag");
    lua_setfield(L, -2, "class");
}

/* vocab.fields[name]: the field's entry, made when first read (a rule reads a few of the fields,
 * and every rule's state opened them all: a quarter of a state's set-up). */
static int l_field_index(lua_State *L)
{
    const struct vocab_field *f =
        lua_type(L, 2) == LUA_TSTRING ? vocab_field(lua_tostring(L, 2)) : NULL;

    if (!f)
        return 0;
    push_field(L, f);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

/* pairs(vocab.fields): every entry is made first, so the iteration sees all of them. */
static int l_field_pairs(lua_State *L)
{
    for (size_t i = 0; i < vocab_field_count(); i++) {
        const struct vocab_field *f = vocab_field_at(i);
        if (lua_getfield(L, 1, f->name) == LUA_TNIL) { /* through __index: made and kept */
            lua_pop(L, 1);
            return luaL_error(L, "vocab: no entry for %s", f->name);
        }
        lua_pop(L, 1);
    }
    lua_pushcfunction(L, l_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

int luavocab_open(lua_State *L)
{
    size_t na = vocab_action_count();

    lua_createtable(L, 0, 2);
    lua_createtable(L, 0, (int)vocab_field_count());
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, l_field_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_field_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "vocab");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "fields");
    lua_createtable(L, 0, (int)na);
    for (size_t i = 0; i < na; i++) {
        const struct vocab_action *a = vocab_action_at(i);
        lua_Integer k = 0;

        lua_newtable(L);
        for (const char *const *s = a->statuses; *s; s++) {
            lua_pushstring(L, *s);
            lua_rawseti(L, -2, ++k);
        }
        lua_setfield(L, -2, a->action);
    }
    lua_setfield(L, -2, "actions");
    return 1;
}

int luavocab_text(struct buf *out)
{
    for (size_t i = 0; i < vocab_field_count(); i++) {
        const struct vocab_field *f = vocab_field_at(i);

        if (buf_printf(out, "field %s null_ok=%d source=%s\n", f->name, f->null_ok, f->source))
            return ERR_NOMEM;
        for (size_t k = 0; k < f->nvalues; k++)
            if (buf_printf(out, "  %s %s %s\n", f->values[k].value,
                           vocab_class_name(f->values[k].cls),
                           f->values[k].tag ? f->values[k].tag : "-"))
                return ERR_NOMEM;
    }
    for (size_t i = 0; i < vocab_action_count(); i++) {
        const struct vocab_action *a = vocab_action_at(i);

        if (buf_printf(out, "action %s", a->action))
            return ERR_NOMEM;
        for (const char *const *s = a->statuses; *s; s++)
            if (buf_printf(out, " %s", *s))
                return ERR_NOMEM;
        if (buf_adds(out, "\n"))
            return ERR_NOMEM;
    }
    return 0;
}
