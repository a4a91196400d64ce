/*
 * The inside of the rule engine, shared by engine.c (the catalogue, loading, running) and rulectx.c
 * (the ctx object a rule's check receives). Only the Lua layer includes this header.
 */
#ifndef SDRS_ENGINE_INTERNAL_H
#define SDRS_ENGINE_INTERNAL_H

#include "engine.h"
#include "sandbox.h"

#include <lua.h>

struct rule_entry {
    struct rule_meta meta;
    const char *src; /* borrowed (embedded) or owned_src */
    size_t len;
    char *owned_src;
    /* The state that loaded the metadata, with the rule table kept: the first run uses it
     * instead of compiling the rule and its library again (NULL once used). */
    struct sandbox *warm;
    bool builtin; /* part of the program: its run may go without the count hook */
};

struct engine {
    struct engine_opts opts;
    struct rule_entry *rules;
    size_t n, cap;
    char sha256[UTIL_SHA256_HEX];
    bool sha_valid;
    struct sandbox_cache *cache; /* rules and libraries compiled once, for every state */
};

/* What a protected call works on; reached through sandbox_user(). */
struct job {
    struct engine *eng;
    const struct rule_entry *rule;
    const struct engine_input *in;
    struct rule_meta *meta_out; /* loading: metadata being filled */
    struct rule_result *res;    /* running: findings being collected */
    size_t cap;                 /* allocated findings */
};

/* The job of the protected call running on L. */
struct job *engine_job_of(lua_State *L);

/* Pushes the ctx table for the job: its data parts converted on first read, the facts, the
 * reporting methods (fail, warn, note, unknown, skip) and the lookups (server, image,
 * parse_time). [-0, +1, m] */
void rulectx_push(lua_State *L, struct job *j);

#endif
