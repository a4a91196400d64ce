#include "result.h"

#include "buf.h"
#include "err.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {"info", "warn", "fail", "error"};
static const char *const result_names[] = {"pass",    "fail",   "warn", "info",
                                           "skipped", "waived", "error"};
static const char *const severity_names[] = {"blocker", "warning", "info"};

const char *const action_names[] = {
    "failover", "planned-failover", "enable-protection", "disable-protection", "drill", NULL,
};

bool action_valid(const char *name)
{
    for (const char *const *a = action_names; *a; a++)
        if (name && strcmp(name, *a) == 0)
            return true;
    return false;
}

const char *level_name(enum level l)
{
    return level_names[l];
}

const char *result_name(enum result_kind r)
{
    return result_names[r];
}

bool result_parse(const char *s, enum result_kind *out)
{
    for (int i = 0; i < RESULT_KIND_COUNT; i++)
        if (s && strcmp(s, result_names[i]) == 0) {
            *out = (enum result_kind)i;
            return true;
        }
    return false;
}

const char *severity_name(enum severity s)
{
    return severity_names[s];
}

bool severity_parse(const char *s, enum severity *out)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, severity_names[i]) == 0) {
            *out = (enum severity)i;
            return true;
        }
    return false;
}

static char **strv_copy(char *const *v, size_t n, bool *ok)
{
    char **c;

    if (!n)
        return NULL;
    c = calloc(n, sizeof *c);
    if (!c) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!(c[i] = util_strdup(v[i])))
            *ok = false;
    return c;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int rule_meta_copy(struct rule_meta *dst, const struct rule_meta *src)
{
    bool ok = true;

    memset(dst, 0, sizeof *dst);
    dst->id = util_strdup_ok(src->id, &ok);
    dst->title = util_strdup_ok(src->title, &ok);
    dst->severity = src->severity;
    dst->all_actions = src->all_actions;
    dst->actions = strv_copy(src->actions, src->nactions, &ok);
    dst->nactions = src->nactions;
    dst->reads = strv_copy(src->reads, src->nreads, &ok);
    dst->nreads = src->nreads;
    dst->rationale = util_strdup_ok(src->rationale, &ok);
    dst->remediation = util_strdup_ok(src->remediation, &ok);
    dst->docs = util_strdup_ok(src->docs, &ok);
    dst->source = util_strdup_ok(src->source, &ok);
    dst->chunkname = util_strdup_ok(src->chunkname, &ok);
    if (!ok) {
        rule_meta_clear(dst);
        return ERR_NOMEM;
    }
    return 0;
}

void rule_meta_clear(struct rule_meta *m)
{
    free(m->id);
    free(m->title);
    strv_free(m->actions, m->nactions);
    strv_free(m->reads, m->nreads);
    free(m->rationale);
    free(m->remediation);
    free(m->docs);
    free(m->source);
    free(m->chunkname);
    memset(m, 0, sizeof *m);
}

bool rule_meta_applies(const struct rule_meta *m, const char *action)
{
    if (m->all_actions)
        return true;
    for (size_t i = 0; i < m->nactions; i++)
        if (strcmp(m->actions[i], action) == 0)
            return true;
    return false;
}

void finding_clear(struct finding *f)
{
    free(f->message);
    free(f->resource);
    for (size_t i = 0; i < f->nev; i++) {
        free(f->ev[i].key);
        free(f->ev[i].s);
    }
    free(f->ev);
    memset(f, 0, sizeof *f);
}

void rule_table_clear(struct rule_table *t)
{
    for (size_t i = 0; i < t->nrows; i++) {
        struct table_row *row = &t->rows[i];
        for (size_t c = 0; row->values && c < t->ncolumns; c++)
            free(row->values[c]);
        free(row->values);
        for (size_t k = 0; k < row->nrefs; k++) {
            free(row->refs[k].resource);
            free(row->refs[k].label);
        }
        free(row->refs);
    }
    free(t->rows);
    for (size_t c = 0; t->columns && c < t->ncolumns; c++)
        free(t->columns[c]);
    free(t->columns);
    free(t->name);
    free(t->title);
    memset(t, 0, sizeof *t);
}

void rule_result_clear(struct rule_result *r)
{
    rule_meta_clear(&r->meta);
    for (size_t i = 0; i < r->nfindings; i++)
        finding_clear(&r->findings[i]);
    free(r->findings);
    for (size_t i = 0; i < r->ntables; i++)
        rule_table_clear(&r->tables[i]);
    free(r->tables);
    free(r->error);
    free(r->skip_reason);
    free(r->waiver);
    memset(r, 0, sizeof *r);
}

void rule_results_free(struct rule_result *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        rule_result_clear(&r[i]);
    free(r);
}

int problem_add(struct problem_list *pl, const char *kind, const char *where, const char *fmt, ...)
{
    struct problem *p;
    struct buf msg;
    va_list ap;
    int rc;

    if (pl->n == pl->cap) {
        size_t ncap = pl->cap ? pl->cap * 2 : 8;
        struct problem *np = realloc(pl->items, ncap * sizeof *np);
        if (!np)
            return ERR_NOMEM;
        pl->items = np;
        pl->cap = ncap;
    }
    buf_init(&msg, 0);
    va_start(ap, fmt);
    rc = buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (rc) {
        buf_free(&msg);
        return rc;
    }
    p = &pl->items[pl->n];
    p->kind = util_strdup(kind);
    p->where = util_strdup(where ? where : "");
    p->message = buf_take(&msg);
    if (p->where)
        util_utf8_sanitize(p->where); /* a message may quote and cut any input: keep it UTF-8 */
    if (p->message)
        util_utf8_sanitize(p->message);
    if (!p->kind || !p->where || !p->message) {
        free(p->kind);
        free(p->where);
        free(p->message);
        return ERR_NOMEM;
    }
    pl->n++;
    return 0;
}

void problem_list_clear(struct problem_list *pl)
{
    for (size_t i = 0; i < pl->n; i++) {
        free(pl->items[i].kind);
        free(pl->items[i].where);
        free(pl->items[i].message);
    }
    free(pl->items);
    memset(pl, 0, sizeof *pl);
}
