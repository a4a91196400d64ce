/*
 * fuzz_rule: the input as a snapshot; when it loads, the built-in rules run on it through the real
 * engine (JSON to Lua conversion, the ctx API, the sandbox) with the fuzzing limits. The results
 * must keep the promises of engine.h and result.h whatever the data.
 */
#include "fuzz.h"

#include <string.h>

static void check_text(const char *s, bool nullable, const char *what, const char *id)
{
    FUZZ_ASSERT(s || nullable, "%s: %s is NULL", id, what);
    FUZZ_ASSERT(!s || util_utf8_valid(s, strlen(s)), "%s: %s is not valid UTF-8: %s", id, what, s);
}

static void check_finding(const struct rule_result *r, const struct finding *f)
{
    const char *id = r->meta.id;

    FUZZ_ASSERT(f->level >= LEVEL_INFO && f->level <= LEVEL_ERROR, "%s: level %d", id,
                (int)f->level);
    check_text(f->message, false, "finding message", id);
    FUZZ_ASSERT(strlen(f->message) <= ENGINE_MAX_MESSAGE, "%s: message of %zu bytes", id,
                strlen(f->message));
    check_text(f->resource, true, "resource", id);
    FUZZ_ASSERT(f->nev <= ENGINE_MAX_EVIDENCE, "%s: %zu evidence entries", id, f->nev);
    for (size_t i = 0; i < f->nev; i++) {
        const struct evidence *ev = &f->ev[i];

        check_text(ev->key, false, "evidence key", id);
        FUZZ_ASSERT(strcmp(ev->key, "resource") != 0, "%s: 'resource' kept as evidence", id);
        FUZZ_ASSERT(i == 0 || strcmp(f->ev[i - 1].key, ev->key) < 0, "%s: evidence not sorted", id);
        if (ev->type == EV_STRING) {
            check_text(ev->s, false, "evidence value", id);
            FUZZ_ASSERT(strlen(ev->s) <= ENGINE_MAX_VALUE, "%s: evidence of %zu bytes", id,
                        strlen(ev->s));
        }
    }
}

static void check_result(const struct rule_result *r, const char *action)
{
    const char *id = r->meta.id;
    enum level worst = LEVEL_INFO;

    FUZZ_ASSERT(r->result >= RESULT_PASS && r->result < RESULT_KIND_COUNT, "%s: result %d", id,
                (int)r->result);
    check_text(r->error, true, "error", id);
    check_text(r->skip_reason, true, "skip reason", id);
    for (size_t k = 0; k < r->nfindings; k++) {
        check_finding(r, &r->findings[k]);
        if (r->findings[k].level > worst)
            worst = r->findings[k].level;
    }
    if (!rule_meta_applies(&r->meta, action))
        FUZZ_ASSERT(r->result == RESULT_SKIPPED && r->nfindings == 0, "%s ran for %s", id, action);
    switch (r->result) {
    case RESULT_PASS:
        FUZZ_ASSERT(r->nfindings == 0 && !r->error, "%s passed with findings", id);
        break;
    case RESULT_SKIPPED:
        FUZZ_ASSERT(r->nfindings == 0 && r->skip_reason, "%s skipped without a reason", id);
        break;
    case RESULT_ERROR:
        FUZZ_ASSERT(r->error || worst == LEVEL_ERROR, "%s errored without saying why", id);
        break;
    case RESULT_FAIL:
    case RESULT_WARN:
    case RESULT_INFO:
        FUZZ_ASSERT(r->nfindings > 0 && !r->error, "%s: %s without findings", id,
                    result_name(r->result));
        break;
    case RESULT_WAIVED: /* only waivers (not used here) waive */
    case RESULT_KIND_COUNT:
        fuzz_fail(__FILE__, __LINE__, "%s: result %s", id, result_name(r->result));
    }
    /* findings come worst first */
    for (size_t k = 1; k < r->nfindings; k++)
        FUZZ_ASSERT(r->findings[k - 1].level >= r->findings[k].level, "%s: findings not sorted",
                    id);
    /* tables (ctx:row): within their limits, rows distinct, text UTF-8 */
    FUZZ_ASSERT(r->ntables <= ENGINE_MAX_TABLES, "%s: %zu tables", id, r->ntables);
    for (size_t t = 0; t < r->ntables; t++) {
        const struct rule_table *tb = &r->tables[t];
        FUZZ_ASSERT(tb->ncolumns >= 1 && tb->ncolumns <= ENGINE_MAX_COLUMNS &&
                        tb->nrows <= ENGINE_MAX_ROWS,
                    "%s: table %s is %zu x %zu", id, tb->name, tb->nrows, tb->ncolumns);
        check_text(tb->title, false, "table title", id);
        for (size_t k = 0; k < tb->nrows; k++) {
            FUZZ_ASSERT(tb->rows[k].nrefs > 0, "%s: a row of %s applies to nothing", id, tb->name);
            for (size_t c = 0; c < tb->ncolumns; c++)
                check_text(tb->rows[k].values[c], false, "table value", id);
            for (size_t q = 0; q < k; q++) {
                bool same = true;
                for (size_t c = 0; same && c < tb->ncolumns; c++)
                    same = strcmp(tb->rows[k].values[c], tb->rows[q].values[c]) == 0;
                FUZZ_ASSERT(!same, "%s: table %s has rows %zu and %zu equal", id, tb->name, q, k);
            }
        }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_engine();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct engine *eng = fuzz_engine();
    struct fuzz_eval ev;

    if (!fuzz_eval_run(data, size, &ev))
        return 0;
    FUZZ_ASSERT(ev.nresults == engine_count(eng), "%zu results for %zu rules", ev.nresults,
                engine_count(eng));
    for (size_t i = 0; i < ev.nresults; i++) {
        FUZZ_ASSERT(strcmp(ev.results[i].meta.id, engine_meta(eng, i)->id) == 0,
                    "result %zu is %s, not %s", i, ev.results[i].meta.id, engine_meta(eng, i)->id);
        check_result(&ev.results[i], ev.action);
    }
    fuzz_eval_clear(&ev);
    return 0;
}
