#include "rulestest.h"

#include "facts.h"
#include "jsonutil.h"
#include "report.h"
#include "snapshot.h"
#include "util.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CASE_MAX_BYTES (64u << 20)

struct pathlist {
    char **v;
    size_t n, cap;
};

static int pathlist_add(struct pathlist *pl, const char *path)
{
    if (pl->n == pl->cap) {
        size_t ncap = pl->cap ? pl->cap * 2 : 16;
        char **nv = realloc(pl->v, ncap * sizeof *nv);
        if (!nv)
            return ERR_NOMEM;
        pl->v = nv;
        pl->cap = ncap;
    }
    if (!(pl->v[pl->n] = util_strdup(path)))
        return ERR_NOMEM;
    pl->n++;
    return 0;
}

static int read_json(const char *path, struct json_object **out, struct err *e)
{
    struct buf b;
    int rc;

    buf_init(&b, 0);
    rc = util_read_file(path, CASE_MAX_BYTES, &b, e);
    if (!rc) {
        char label[600];
        snprintf(label, sizeof label, "'%s'", path);
        rc = jsonutil_parse(buf_str(&b), b.len, label, JSONUTIL_DEFAULT_DEPTH, out, e);
    }
    buf_free(&b);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *dir, struct pathlist *pl, int depth, struct err *e)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > 16)
        return err_set(e, ERR_LIMIT, "'%s': directories nested too deeply", dir);
    d = opendir(dir);
    if (!d)
        return err_set(e, ERR_IO, "cannot read test directory '%s': %s", dir, strerror(errno));
    while (!rc && (de = readdir(d))) {
        struct buf path;
        struct stat st;
        size_t n = strlen(de->d_name);

        if (de->d_name[0] == '.')
            continue;
        buf_init(&path, 0);
        if (buf_printf(&path, "%s/%s", dir, de->d_name)) {
            rc = err_set(e, ERR_NOMEM, "out of memory");
        } else if (stat(path.data, &st) != 0) {
            rc = err_set(e, ERR_IO, "cannot read '%s': %s", path.data, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(path.data, pl, depth + 1, e);
        } else if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0) {
            struct json_object *doc = NULL;
            rc = read_json(path.data, &doc, e);
            if (!rc && jsonutil_get(doc, "expect", NULL))
                rc = pathlist_add(pl, path.data) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
            else if (!rc && !jsonutil_get(doc, "schema", NULL))
                rc = err_set(e, ERR_PARSE,
                             "'%s' is neither a test case (no \"expect\") nor a snapshot",
                             path.data);
            json_object_put(doc);
        }
        buf_free(&path);
    }
    closedir(d);
    return rc;
}

int rulestest_find(const char *dir, char ***paths, size_t *n, struct err *e)
{
    struct pathlist pl = {0};
    int rc = walk(dir, &pl, 0, e);

    if (rc) {
        rulestest_paths_free(pl.v, pl.n);
        return rc;
    }
    if (pl.n > 1)
        qsort(pl.v, pl.n, sizeof *pl.v, cmp_str);
    *paths = pl.v;
    *n = pl.n;
    return 0;
}

void rulestest_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}

void rulestest_result_clear(struct case_result *r)
{
    free(r->path);
    free(r->description);
    buf_free(&r->detail);
    memset(r, 0, sizeof *r);
}

static const struct rule_result *find_result(const struct report *r, const char *id)
{
    for (size_t i = 0; i < r->nresults; i++)
        if (strcmp(r->results[i].meta.id, id) == 0)
            return &r->results[i];
    return NULL;
}

static bool result_mentions(const struct rule_result *res, const char *needle)
{
    if (res->error && strstr(res->error, needle))
        return true;
    if (res->skip_reason && strstr(res->skip_reason, needle))
        return true;
    for (size_t i = 0; i < res->nfindings; i++)
        if (strstr(res->findings[i].message, needle))
            return true;
    return false;
}

static void mismatch(struct case_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void mismatch(struct case_result *out, const char *fmt, ...)
{
    va_list ap;

    out->passed = false;
    va_start(ap, fmt);
    buf_vprintf(&out->detail, fmt, ap);
    va_end(ap);
    buf_adds(&out->detail, "\n");
}

/* One line describing what the rule reported, for a mismatch. */
static void describe(struct case_result *out, const struct rule_result *res)
{
    if (res->error)
        buf_printf(&out->detail, "    error: %s\n", res->error);
    for (size_t i = 0; i < res->nfindings && i < 5; i++)
        buf_printf(&out->detail, "    %s: %s\n", level_name(res->findings[i].level),
                   res->findings[i].message);
}

static int compare(const struct report *rep, struct json_object *tc, struct case_result *out,
                   struct err *e)
{
    struct json_object *expect = NULL, *msgs = NULL;
    const char *verdict;

    jsonutil_get(tc, "expect", &expect);
    if (!json_object_is_type(expect, json_type_object))
        return err_set(e, ERR_PARSE, "'%s': \"expect\" must be an object", out->path);
    json_object_object_foreach(expect, id, want)
    {
        const struct rule_result *res = find_result(rep, id);
        enum result_kind k;

        if (!json_object_is_type(want, json_type_string) ||
            !result_parse(json_object_get_string(want), &k))
            return err_set(e, ERR_PARSE, "'%s': expect.%s must be a result name", out->path, id);
        if (!res) {
            mismatch(out, "  %s: expected %s, but no such rule is loaded", id, result_name(k));
        } else if (res->result != k) {
            mismatch(out, "  %s: expected %s, got %s", id, result_name(k),
                     result_name(res->result));
            describe(out, res);
        }
    }
    if (jsonutil_get(tc, "expect_messages", &msgs) && msgs) {
        if (!json_object_is_type(msgs, json_type_object))
            return err_set(e, ERR_PARSE, "'%s': \"expect_messages\" must be an object", out->path);
        json_object_object_foreach(msgs, rid, list)
        {
            const struct rule_result *res = find_result(rep, rid);
            size_t n;

            if (!json_object_is_type(list, json_type_array))
                return err_set(e, ERR_PARSE, "'%s': expect_messages.%s must be a list of strings",
                               out->path, rid);
            n = json_object_array_length(list);
            for (size_t i = 0; i < n; i++) {
                const char *needle = json_object_get_string(json_object_array_get_idx(list, i));
                if (!res || !needle || !result_mentions(res, needle))
                    mismatch(out, "  %s: no message contains \"%s\"", rid, needle ? needle : "?");
            }
        }
    }
    verdict = jsonutil_get_str(tc, "expect_verdict");
    if (verdict && strcmp(verdict, verdict_name(rep->verdict)) != 0) {
        mismatch(out, "  verdict: expected %s, got %s", verdict, verdict_name(rep->verdict));
        for (size_t i = 0; i < rep->errors.n; i++)
            buf_printf(&out->detail, "    %s %s: %s\n", rep->errors.items[i].kind,
                       rep->errors.items[i].where, rep->errors.items[i].message);
    }
    return 0;
}

int rulestest_run(struct engine *eng, const char *path, struct case_result *out, struct err *e)
{
    struct json_object *tc = NULL, *snapdoc = NULL, *patch = NULL, *fv = NULL;
    struct snapshot *snap = NULL;
    struct facts *facts = NULL;
    struct rule_result *results = NULL;
    struct report rep = {0};
    struct buf snappath;
    const char *rel, *action, *desc, *serial;
    size_t nres = 0;
    char *dir = NULL, *slash;
    int rc;

    memset(out, 0, sizeof *out);
    buf_init(&out->detail, 0);
    buf_init(&snappath, 0);
    out->passed = true;
    out->path = util_strdup(path);
    if (!out->path)
        return err_set(e, ERR_NOMEM, "out of memory");
    if ((rc = read_json(path, &tc, e)))
        goto out;
    desc = jsonutil_get_str(tc, "description");
    out->description = util_strdup(desc ? desc : "");
    rel = jsonutil_get_str(tc, "snapshot");
    if (!rel) {
        rc = err_set(e, ERR_PARSE, "'%s': \"snapshot\" (a path) is required", path);
        goto out;
    }
    action = jsonutil_get_str(tc, "action");
    if (!action)
        action = "failover";
    if (!action_valid(action)) {
        rc = err_set(e, ERR_PARSE, "'%s': unknown action '%s'", path, action);
        goto out;
    }
    dir = util_strdup(path);
    if (!dir || !out->description) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (buf_printf(&snappath, "%s/%s", slash ? dir : ".", rel)) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = read_json(snappath.data, &snapdoc, e)))
        goto out;
    if (jsonutil_get(tc, "patch", &patch) && patch && (rc = jsonutil_patch(snapdoc, patch, e))) {
        err_prefix(e, rc, "'%s'", path);
        goto out;
    }
    serial = json_object_to_json_string_ext(snapdoc, JSON_C_TO_STRING_PLAIN);
    if (!serial) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = snapshot_load_buffer(serial, strlen(serial), path, NULL, &snap, e);
    if (rc) {
        /* The case's snapshot is not a snapshot: a failed case, not an invalid case file. */
        mismatch(out, "  snapshot rejected: %s", e->msg);
        err_clear(e);
        rc = 0;
        goto out;
    }
    if (jsonutil_get(tc, "facts", &fv) && fv && (rc = facts_from_json(fv, path, &facts, e)) != 0)
        goto out;
    {
        struct engine_input in = {snap, facts, action};
        struct report_inputs ri = {.snap = snap,
                                   .facts = facts,
                                   .rules_sha256 = engine_rules_sha256(eng),
                                   .action = action};

        if ((rc = engine_run(eng, &in, &results, &nres, e)))
            goto out;
        if ((rc = report_build(&rep, &ri, &results, nres, e)))
            goto out;
    }
    rc = compare(&rep, tc, out, e);
out:
    report_clear(&rep);
    rule_results_free(results, nres);
    facts_free(facts);
    snapshot_free(snap);
    json_object_put(snapdoc);
    json_object_put(tc);
    buf_free(&snappath);
    free(dir);
    return rc;
}

int rulestest_unknown_rule(struct engine *eng, const char *path, char *id, size_t size,
                           struct err *e)
{
    struct json_object *doc = NULL, *expect;
    int found = 0;
    int rc = read_json(path, &doc, e);

    if (rc)
        return rc;
    if (jsonutil_get(doc, "expect", &expect) && json_object_is_type(expect, json_type_object)) {
        json_object_object_foreach(expect, rule, v)
        {
            bool known = false;
            (void)v;
            for (size_t i = 0; i < engine_count(eng) && !known; i++)
                known = strcmp(engine_meta(eng, i)->id, rule) == 0;
            if (!known && !found) {
                snprintf(id, size, "%s", rule);
                found = 1;
            }
        }
    }
    json_object_put(doc);
    return found;
}
