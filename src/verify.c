#include "verify.h"

#include "jdoc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *or_missing(const char *s)
{
    return s ? s : "(missing)";
}

static int add_check(struct verify_result *r, bool ok, const char *expected, const char *found,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add_check(struct verify_result *r, bool ok, const char *expected, const char *found,
                     const char *fmt, ...)
{
    struct verify_check *c, *nc = realloc(r->checks, (r->nchecks + 1) * sizeof *nc);
    va_list ap;

    if (!nc)
        return ERR_NOMEM;
    r->checks = nc;
    c = &nc[r->nchecks++];
    memset(c, 0, sizeof *c);
    va_start(ap, fmt);
    vsnprintf(c->what, sizeof c->what, fmt, ap);
    va_end(ap);
    snprintf(c->expected, sizeof c->expected, "%s", expected);
    snprintf(c->found, sizeof c->found, "%s", found);
    c->ok = ok;
    if (!ok)
        r->nfailed++;
    return 0;
}

/* One check per member of a list (instances or pairs) that differs, and one for all that hold. */
static int check_members(struct verify_result *r, const struct action_spec *sp, struct jval *list,
                         const char *noun, const char *plural)
{
    char expected[96], found[200];
    size_t n = jv_len(list), good = 0;
    int rc = 0;

    snprintf(expected, sizeof expected, "%s, production at %s", sp->member_status,
             r->station_after);
    if (!list)
        return add_check(r, false, expected, "not read", "%s", plural);
    for (size_t i = 0; !rc && i < n; i++) {
        struct jval *m = jv_at(list, i);
        const char *status = jv_get_str(m, "status"), *station = jv_get_str(m, "priority_station"),
                   *id = jv_get_str(m, "id"), *name = jv_get_str(m, "name");

        if (is(status, sp->member_status) && is(station, r->station_after)) {
            good++;
            continue;
        }
        snprintf(found, sizeof found, "%s, production at %s", or_missing(status),
                 or_missing(station));
        rc = add_check(r, false, expected, found, "%s %s (%s)", noun, name ? name : "",
                       or_missing(id));
    }
    if (!rc && good)
        rc = add_check(r, true, expected, expected, "%zu of %zu %s", good, n, plural);
    if (!rc && n == 0)
        rc = add_check(r, false, expected, "none", "%s", plural);
    return rc;
}

/* The servers that are production now, with their power state. */
static int list_servers(struct verify_result *r, const struct snapshot *post)
{
    const char *key = is(r->station_after, "target") ? "target_server" : "source_server";
    size_t n = jv_len(post->instances);

    if (!n)
        return 0;
    r->servers = calloc(n, sizeof *r->servers);
    if (!r->servers)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct jval *pi = jv_at(post->instances, i), *srv = NULL, *err = NULL;
        struct verify_server *v = &r->servers[r->nservers];
        const char *id = jv_get_str(pi, key), *name = NULL, *status = NULL;
        enum server_state st;

        if (!id)
            continue;
        r->nservers++;
        snprintf(v->id, sizeof v->id, "%s", id);
        snprintf(v->instance, sizeof v->instance, "%s", or_missing(jv_get_str(pi, "id")));
        st = snapshot_server(post, id, &srv, &err);
        if (srv) {
            name = jv_get_str(srv, "name");
            status = jv_get_str(srv, "status");
        }
        if (!name)
            name = jv_get_str(pi, "name");
        snprintf(v->name, sizeof v->name, "%s", name ? name : "");
        snprintf(v->status, sizeof v->status, "%s",
                 st == SERVER_DELETED   ? "deleted"
                 : st == SERVER_MISSING ? "not read"
                 : status               ? status
                                        : "(no status)");
        v->power = is(status, "ACTIVE") && st == SERVER_PRESENT    ? VERIFY_RUNNING
                   : is(status, "SHUTOFF") && st == SERVER_PRESENT ? VERIFY_STOPPED
                                                                   : VERIFY_OTHER;
        r->nrunning += v->power == VERIFY_RUNNING;
        r->nstopped += v->power == VERIFY_STOPPED;
    }
    return 0;
}

int verify_end_state(const struct action_spec *sp, const char *station_before,
                     const struct snapshot *post, struct verify_result *out, struct err *e)
{
    const char *after = sp->flips_station ? action_other_station(station_before) : station_before;
    const char *status, *station;
    char found[200];
    int rc = 0;

    memset(out, 0, sizeof *out);
    snprintf(out->station_after, sizeof out->station_after, "%s", after ? after : "?");
    if (post->problems.n) {
        const struct problem *p = &post->problems.items[0];
        snprintf(found, sizeof found, "%zu problem%s, first: %s %s: %s", post->problems.n,
                 post->problems.n == 1 ? "" : "s", p->kind, p->where, p->message);
        rc = add_check(out, false, "a complete read", found, "the group read after the action");
    }
    status = jv_get_str(post->group, "status");
    station = jv_get_str(post->group, "priority_station");
    snprintf(out->group_status, sizeof out->group_status, "%s", status ? status : "");
    snprintf(out->group_station, sizeof out->group_station, "%s", station ? station : "");
    if (!rc)
        rc = add_check(out, is(status, sp->success), sp->success, or_missing(status),
                       "group status");
    if (!rc) {
        snprintf(found, sizeof found, "%s", or_missing(station));
        rc = add_check(out, is(station, out->station_after), out->station_after, found,
                       "group priority_station (was %s)", or_missing(station_before));
    }
    if (!rc)
        rc = check_members(out, sp, post->instances, "protected instance", "protected instances");
    if (!rc)
        rc = check_members(out, sp, post->replications, "replication pair", "replication pairs");
    if (!rc && sp->flips_station)
        rc = list_servers(out, post);
    if (rc) {
        verify_result_clear(out);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    return 0;
}

void verify_result_clear(struct verify_result *r)
{
    free(r->checks);
    free(r->servers);
    memset(r, 0, sizeof *r);
}

void verify_describe_failures(const struct verify_result *r, char *out, size_t size)
{
    size_t len = 0;

    if (size)
        out[0] = '\0';
    for (size_t i = 0; i < r->nchecks && len < size; i++) {
        const struct verify_check *c = &r->checks[i];
        int w;
        if (c->ok)
            continue;
        w = snprintf(out + len, size - len, "%s%s: expected %s, found %s", len ? "; " : "", c->what,
                     c->expected, c->found);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}
