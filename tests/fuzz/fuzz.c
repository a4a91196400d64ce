#include "fuzz.h"

#include "jdoc.h"

#include "engine.h"
#include "jsonutil.h"
#include "snapshot.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static struct engine *engine;

static void engine_release(void)
{
    engine_free(engine);
    engine = NULL;
}

struct engine *fuzz_engine(void)
{
    struct engine_opts opts = {
        .limits = {.memory = FUZZ_MEMORY, .instructions = FUZZ_INSTRUCTIONS, .timeout_ms = 0}};
    struct err e = {0};

    if (engine)
        return engine;
    if (engine_new(&opts, &engine, &e) != 0)
        fuzz_fail(__FILE__, __LINE__, "the built-in rules do not load: %s", e.msg);
    atexit(engine_release);
    return engine;
}

bool fuzz_eval_run(const uint8_t *data, size_t size, struct fuzz_eval *ev)
{
    struct engine_input in;
    struct jval *facts;
    struct err e = {0};
    int rc;

    memset(ev, 0, sizeof *ev);
    if (snapshot_load_buffer((const char *)data, size, "fuzz", NULL, &ev->snap, &e) != 0)
        return false;
    ev->action = jv_get_str(ev->snap->root, "fuzz_action");
    if (!action_valid(ev->action))
        ev->action = "failover";
    if ((facts = jv_get(ev->snap->root, "fuzz_facts")) != NULL) {
        /* the facts reader takes a json-c document: the member, written and read back */
        struct json_object *doc = NULL;
        struct buf text;
        buf_init(&text, 0);
        FUZZ_ASSERT(jv_write(facts, &text) == 0, "out of memory");
        if (jsonutil_parse(buf_str(&text), text.len, "facts 'fuzz'", 0, &doc, &e) != 0 ||
            facts_from_json(doc, "facts 'fuzz'", &ev->facts, &e) != 0)
            ev->facts = NULL;
        json_object_put(doc);
        buf_free(&text);
    }
    in = (struct engine_input){.snap = ev->snap, .facts = ev->facts, .action = ev->action};
    rc = engine_run(fuzz_engine(), &in, &ev->results, &ev->nresults, &e);
    FUZZ_ASSERT(rc == 0, "engine_run failed (%d): %s", rc, e.msg);
    return true;
}

void fuzz_eval_clear(struct fuzz_eval *ev)
{
    rule_results_free(ev->results, ev->nresults);
    facts_free(ev->facts);
    snapshot_free(ev->snap);
    memset(ev, 0, sizeof *ev);
}
