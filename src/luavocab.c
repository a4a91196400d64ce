#include "luavocab.h"

#include "err.h"
#include "vocab.h"

#include <lauxlib.h>

int luavocab_open(lua_State *L)
{
    size_t nf = vocab_field_count(), na = vocab_action_count();

    lua_createtable(L, 0, 2);
    lua_createtable(L, 0, (int)nf);
    for (size_t i = 0; i < nf; i++) {
        const struct vocab_field *f = vocab_field_at(i);

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
        lua_setfield(L, -2, f->name);
    }
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
