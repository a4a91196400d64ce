/*
 * The documented values of every enumerated field that a rule, the snapshot reader or the failover
 * decides on, each classified, with the source that lists it. A value that is not in its field's
 * set is unrecognised: nothing passes on it (a case or blank variant, "" and an undocumented
 * number included). The rules see the same table as the Lua module "vocab" (engine.c), through
 * rules/lib/sdrs.lua.
 *
 * Everything here is static data: nothing is allocated, every pointer is borrowed for the life of
 * the program.
 */
#ifndef SDRS_VOCAB_H
#define SDRS_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

/* What a documented value means for a failover preflight. */
enum vocab_class {
    VOCAB_UNRECOGNISED = 0, /* not a documented value of the field */
    VOCAB_FINE,             /* a stable, healthy state */
    VOCAB_WARNS,            /* documented, not refused by SDRS, but worth a warning */
    VOCAB_BLOCKS,           /* SDRS refuses, or the resource is gone */
    VOCAB_PROGRESS,         /* an operation is running */
};

struct vocab_value {
    const char *value;
    enum vocab_class cls;
    const char *tag; /* a finer meaning some decisions need ("gone", "no task"), or NULL */
};

struct vocab_field {
    const char *name;   /* "protected_instance.status", "server.OS-EXT-STS:task_state", ... */
    const char *source; /* where the set is documented */
    bool null_ok;       /* JSON null (or no member) is a documented value: "not set" */
    const struct vocab_value *values;
    size_t nvalues;
};

/* Group statuses that allow an action (SDRS-001; sdrs-api.md §6.1, §6.3). */
struct vocab_action {
    const char *action;
    const char *const *statuses; /* NULL-terminated, in documentation order */
};

/* The fields, in a fixed order. */
size_t vocab_field_count(void);
const struct vocab_field *vocab_field_at(size_t i);
/* The field named name, or NULL. */
const struct vocab_field *vocab_field(const char *name);
/* The entry of value in field (exact, case-sensitive), or NULL when value is not documented (or
 * value or field is NULL). */
const struct vocab_value *vocab_lookup(const struct vocab_field *field, const char *value);
/* The class of value in the field named name: VOCAB_UNRECOGNISED for anything undocumented. */
enum vocab_class vocab_classify(const char *name, const char *value);
/* True when value is documented in the field named name with the tag tag. */
bool vocab_tagged(const char *name, const char *value, const char *tag);
/* "fine", "warns", "blocks", "progress" or "unrecognised". */
const char *vocab_class_name(enum vocab_class c);

size_t vocab_action_count(void);
const struct vocab_action *vocab_action_at(size_t i);
/* The actions' entry for action, or NULL. */
const struct vocab_action *vocab_action(const char *action);

#endif
