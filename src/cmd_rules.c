/* The rule commands (list, show, test) and version. */
#include "app.h"

#include "diag.h"
#include "rulestest.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The effective rules as an array of metadata pointers (owned array, borrowed entries). */
static const struct rule_meta **catalogue(struct engine *eng, size_t *n)
{
    const struct rule_meta **v;

    *n = engine_count(eng);
    v = calloc(*n ? *n : 1, sizeof *v);
    for (size_t i = 0; v && i < *n; i++)
        v[i] = engine_meta(eng, i);
    return v;
}

static int rules_list(const struct app_opts *o, struct engine *eng, struct buf *b)
{
    const struct output_format *fmt =
        report_format_for(o->out.format ? o->out.format : "text", OUTPUT_RULES);
    size_t n;
    const struct rule_meta **v = catalogue(eng, &n);
    int rc = v ? fmt->rules(v, n, b) : ERR_NOMEM;

    free(v);
    return rc;
}

static int rules_show(const struct app_opts *o, struct engine *eng, struct buf *b)
{
    for (size_t i = 0; i < engine_count(eng); i++)
        if (strcmp(engine_meta(eng, i)->id, o->argument) == 0)
            return rules_render_show(engine_meta(eng, i), b);
    diag_error("no rule '%s' (see 'sdrs-preflight rules list'%s)", o->argument,
               o->in.nrule_dirs ? "" : "; a rule of your own needs --rules DIR");
    return EXIT_USAGE;
}

/* True when some case under the paths expects a rule the engine does not have. */
static bool cases_name_unknown_rules(struct engine *eng, char **paths, size_t n, char *id,
                                     size_t size)
{
    for (size_t i = 0; i < n; i++) {
        struct err e = {0};
        if (rulestest_unknown_rule(eng, paths[i], id, size, &e) == 1)
            return true;
    }
    return false;
}

static int rules_test(const struct app_opts *o, struct engine *eng, struct buf *b)
{
    char **paths = NULL, missing[80];
    size_t n = 0, failed = 0;
    struct err e = {0};
    int code = 0;

    if (rulestest_find(o->argument, &paths, &n, &e))
        return app_fail(ERR_IO, &e);
    if (n == 0) {
        diag_error("no test cases under '%s' (files with an \"expect\" key)", o->argument);
        return EXIT_USAGE;
    }
    if (cases_name_unknown_rules(eng, paths, n, missing, sizeof missing))
        diag_notice("the cases under '%s' expect rule %s, which is not loaded%s", o->argument,
                    missing,
                    o->in.nrule_dirs ? "" : ": give the directory of your rules with --rules DIR");
    for (size_t i = 0; i < n; i++) {
        struct case_result cr;

        if (rulestest_run(eng, paths[i], &cr, &e)) {
            code = app_fail(ERR_INVALID, &e);
            rulestest_result_clear(&cr);
            break;
        }
        buf_printf(b, "%s %s  %s\n", cr.passed ? "ok  " : "FAIL", cr.path, cr.description);
        if (!cr.passed) {
            failed++;
            buf_adds(b, buf_str(&cr.detail));
        }
        rulestest_result_clear(&cr);
    }
    if (!code) {
        buf_printf(b, "%zu case%s, %zu passed, %zu failed\n", n, n == 1 ? "" : "s", n - failed,
                   failed);
        code = failed ? 1 : 0;
    }
    rulestest_paths_free(paths, n);
    return code;
}

int cmd_rules(const struct app_opts *o)
{
    struct engine *eng = NULL;
    struct buf out;
    int code;

    buf_init(&out, 0);
    if ((code = app_engine(o, &eng)) != 0)
        return code;
    if (strcmp(o->subcommand, "list") == 0)
        code = rules_list(o, eng, &out);
    else if (strcmp(o->subcommand, "show") == 0)
        code = rules_show(o, eng, &out);
    else
        code = rules_test(o, eng, &out);
    if (code == ERR_NOMEM) {
        diag_error("out of memory");
        code = EXIT_INDETERMINATE;
    }
    if (out.len && app_write_output(o, &out) && !code)
        code = EXIT_USAGE;
    buf_free(&out);
    engine_free(eng);
    return code;
}

int cmd_version(const struct app_opts *o)
{
    (void)o;
    printf("%s %s\n", SDRS_NAME, SDRS_VERSION);
    return 0;
}
