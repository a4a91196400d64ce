/*
 * Results of an evaluation, in plain C types (no Lua, no json-c).
 *
 * Everything reachable from a struct rule_result, struct finding or struct problem is owned by it
 * and released by the matching *_free / *_clear function. Strings are NUL-terminated UTF-8.
 */
#ifndef SDRS_RESULT_H
#define SDRS_RESULT_H

#include <stdbool.h>
#include <stddef.h>

/* Level of one finding; also orders findings (higher is worse). */
enum level { LEVEL_INFO, LEVEL_WARN, LEVEL_FAIL, LEVEL_ERROR };

/* Result of one rule. */
enum result_kind {
    RESULT_PASS,
    RESULT_FAIL,
    RESULT_WARN,
    RESULT_INFO,
    RESULT_SKIPPED,
    RESULT_WAIVED,
    RESULT_ERROR,
    RESULT_KIND_COUNT
};

enum severity { SEVERITY_BLOCKER, SEVERITY_WARNING, SEVERITY_INFO };

enum ev_type { EV_STRING, EV_INT, EV_NUMBER, EV_BOOL };

struct evidence {
    char *key;
    enum ev_type type;
    char *s;
    long long i;
    double d;
    bool b;
};

struct finding {
    enum level level;
    char *message;
    char *resource; /* may be NULL */
    struct evidence *ev;
    size_t nev;
};

/* What a rule declares about itself. */
struct rule_meta {
    char *id;
    char *title;
    enum severity severity;
    bool all_actions;
    char **actions;
    size_t nactions;
    char **reads;
    size_t nreads;
    char *rationale;
    char *remediation;
    char *docs;
    char *source; /* "built-in" or the file path */
    char *chunkname;
};

/* A table a rule fills row by row (ctx:row): rows with the same values are one row, with every
 * resource it applies to. SDRS-012's credential plan is one: a row per distinct combination, the
 * instances it applies to as its resources. */
struct table_ref {
    char *resource; /* "protected_instance/<id>" */
    char *label;    /* a name for people, or NULL */
};
struct table_row {
    char **values; /* ncolumns of them */
    struct table_ref *refs;
    size_t nrefs, cap;
};
struct rule_table {
    char *name;  /* "credential_plan" */
    char *title; /* "Credential plan" */
    char **columns;
    size_t ncolumns;
    struct table_row *rows;
    size_t nrows, cap;
};

struct rule_result {
    struct rule_meta meta;
    enum result_kind result;
    struct finding *findings;
    size_t nfindings;
    struct rule_table *tables; /* ctx:row; kept whatever the result */
    size_t ntables;
    char *error;       /* RESULT_ERROR: what went wrong, naming file and line */
    char *skip_reason; /* RESULT_SKIPPED: why */
    char *waiver;      /* RESULT_WAIVED: the waiver's reason (owned) */
};

/* Why a decision could not be made, found outside the rules (snapshot, fetch). */
struct problem {
    char *kind;  /* "snapshot", "fetch", "rule" */
    char *where; /* JSON path or request */
    char *message;
};

struct problem_list {
    struct problem *items;
    size_t n;
    size_t cap;
};

/* The actions a preflight can check, in documentation order (NULL-terminated). */
extern const char *const action_names[];
bool action_valid(const char *name);

const char *level_name(enum level l);
const char *result_name(enum result_kind r);
bool result_parse(const char *s, enum result_kind *out);
const char *severity_name(enum severity s);
bool severity_parse(const char *s, enum severity *out);

/* Deep-copies src into dst; returns 0 or ERR_NOMEM (dst is then cleared). */
int rule_meta_copy(struct rule_meta *dst, const struct rule_meta *src);
void rule_meta_clear(struct rule_meta *m);
bool rule_meta_applies(const struct rule_meta *m, const char *action);

void finding_clear(struct finding *f);
void rule_table_clear(struct rule_table *t);
void rule_result_clear(struct rule_result *r);
void rule_results_free(struct rule_result *r, size_t n);

/* Appends a problem (copies the strings); returns 0 or ERR_NOMEM. */
int problem_add(struct problem_list *pl, const char *kind, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void problem_list_clear(struct problem_list *pl);

#endif
