/*
 * The documented value sets (vocab.h) as the Lua module "vocab" that rules require. Runs only
 * inside a protected sandbox call (it raises).
 */
#ifndef SDRS_LUAVOCAB_H
#define SDRS_LUAVOCAB_H

#include <lua.h>

#include "buf.h"

/* The module's opener, for sandbox_set_modules: pushes a new table
 *   { fields = { [name] = { source = "...", null_ok = bool, class = { [value] = "fine" | "warns" |
 *                           "blocks" | "progress" }, tag = { [value] = "gone", ... },
 *                           values = { value, ... } (documentation order) } },
 *     actions = { [action] = { group status, ... } } }
 * [-0, +1, m] */
int luavocab_open(lua_State *L);

/* Appends a canonical text of the whole table to out (for the rules digest: the module is part of
 * what the rules decide with). Returns 0 or ERR_NOMEM. */
int luavocab_text(struct buf *out);

#endif
