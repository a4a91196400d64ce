#include "report_exec.h"

#include "jsonutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *report_exec_headline(const struct report_execution *x)
{
    static const struct {
        const char *outcome, *words;
    } words[] = {
        {"success", "SUCCEEDED, verified"},
        {"unverified", "FINISHED, NOT VERIFIED"},
        {"failed", "FAILED"},
        {"timeout", "DID NOT FINISH IN TIME"},
        {"refused", "REFUSED BY SDRS"},
        {"not-sent", "NOT SENT"},
        {"not-seen", "NOT SEEN TO START"},
        {"unknown", "OUTCOME UNKNOWN"},
    };

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(x->outcome, words[i].outcome) == 0)
            return words[i].words;
    return "OUTCOME UNKNOWN";
}

void report_exec_duration(long long ms, char *out, size_t size)
{
    long long s = ms / 1000;

    if (ms < 0)
        snprintf(out, size, "unknown");
    else if (ms < 10000)
        snprintf(out, size, "%.1f s", (double)ms / 1000);
    else if (s < 3600)
        snprintf(out, size, "%lld min %lld s", s / 60, s % 60);
    else
        snprintf(out, size, "%lld h %lld min", s / 3600, s / 60 % 60);
}

const char *report_exec_power(enum verify_power p)
{
    return p == VERIFY_RUNNING ? "running" : p == VERIFY_STOPPED ? "stopped" : "other";
}

static int add(struct json_object *o, const char *key, struct json_object *v)
{
    if (!v)
        return ERR_NOMEM;
    if (json_object_object_add(o, key, v)) {
        json_object_put(v);
        return ERR_NOMEM;
    }
    return 0;
}

/* A JSON string of s. The execution's text comes from the API already cleaned; a byte that is
 * still not UTF-8 becomes '?', so that the report stays JSON. NULL when out of memory. */
static struct json_object *string_of(const char *s)
{
    struct json_object *v;
    char *c;

    if (util_utf8_valid(s, strlen(s)))
        return json_object_new_string(s);
    if (!(c = util_strdup(s)))
        return NULL;
    util_utf8_sanitize(c);
    v = json_object_new_string(c);
    free(c);
    return v;
}

/* A string member; "" is null. */
static int add_str(struct json_object *o, const char *key, const char *s)
{
    struct json_object *v = NULL;

    if (s && *s && !(v = string_of(s)))
        return ERR_NOMEM;
    return json_object_object_add(o, key, v) ? ERR_NOMEM : 0;
}

static int add_state(struct json_object *o, const char *key, const char *status,
                     const char *station)
{
    struct json_object *s = json_object_new_object();
    int rc = add(o, key, s);

    rc = rc ? rc : add_str(s, "status", status);
    return rc ? rc : add_str(s, "priority_station", station);
}

static int add_job(struct json_object *o, const struct report_execution *x)
{
    struct json_object *job, *subs = NULL;
    int rc;

    if (!x->job_id[0])
        return json_object_object_add(o, "job", NULL) ? ERR_NOMEM : 0;
    rc = add(o, "job", job = json_object_new_object());
    rc = rc ? rc : add_str(job, "id", x->job_id);
    rc = rc ? rc : add_str(job, "status", x->job_status);
    rc = rc ? rc : add_str(job, "error_code", x->error_code);
    rc = rc ? rc : add_str(job, "fail_reason", x->fail_reason);
    rc = rc ? rc : add_str(job, "failed_sub_job", x->failed_subjob);
    rc = rc ? rc : add(job, "sub_jobs_total", json_object_new_int64((long long)x->subjobs_total));
    rc = rc ? rc : add(job, "sub_jobs", subs = json_object_new_array());
    for (size_t i = 0; !rc && i < x->nsubjobs; i++) {
        const struct report_subjob *sj = &x->subjobs[i];
        struct json_object *s = json_object_new_object();
        if (!s || json_object_array_add(subs, s)) {
            json_object_put(s);
            return ERR_NOMEM;
        }
        rc = add_str(s, "id", sj->id);
        rc = rc ? rc : add_str(s, "type", sj->type);
        rc = rc ? rc : add_str(s, "status", sj->status);
        rc = rc ? rc : add_str(s, "error_code", sj->error_code);
    }
    return rc;
}

static int add_end_state(struct json_object *o, const struct report_execution *x)
{
    const struct verify_result *v = &x->verify;
    struct json_object *es, *checks = NULL, *servers = NULL;
    int rc = add(o, "end_state", es = json_object_new_object());

    rc = rc ? rc : add_str(es, "expected", x->effect);
    rc = rc ? rc : add(es, "checked", json_object_new_boolean(x->checked));
    rc = rc ? rc : add(es, "verified", json_object_new_boolean(x->verified));
    rc = rc ? rc : add(es, "checks", checks = json_object_new_array());
    for (size_t i = 0; !rc && i < v->nchecks; i++) {
        const struct verify_check *c = &v->checks[i];
        struct json_object *co = json_object_new_object();
        if (!co || json_object_array_add(checks, co)) {
            json_object_put(co);
            return ERR_NOMEM;
        }
        rc = add_str(co, "check", c->what);
        rc = rc ? rc : add_str(co, "expected", c->expected);
        rc = rc ? rc : add_str(co, "found", c->found);
        rc = rc ? rc : add(co, "ok", json_object_new_boolean(c->ok));
    }
    rc = rc ? rc : add(o, "servers", servers = json_object_new_array());
    for (size_t i = 0; !rc && i < v->nservers; i++) {
        const struct verify_server *s = &v->servers[i];
        struct json_object *so = json_object_new_object();
        if (!so || json_object_array_add(servers, so)) {
            json_object_put(so);
            return ERR_NOMEM;
        }
        rc = add_str(so, "id", s->id);
        rc = rc ? rc : add_str(so, "name", s->name);
        rc = rc ? rc : add_str(so, "protected_instance", s->instance);
        rc = rc ? rc : add_str(so, "status", s->status);
        rc = rc ? rc : add_str(so, "power", report_exec_power(s->power));
    }
    return rc;
}

struct json_object *report_exec_json(const struct report_execution *x)
{
    struct json_object *o = json_object_new_object(), *next = NULL, *pre = NULL;
    int rc = o ? 0 : ERR_NOMEM;

    rc = rc ? rc : add_str(o, "action", x->action);
    rc = rc ? rc : add_str(o, "outcome", x->outcome);
    rc = rc ? rc : add(o, "verified", json_object_new_boolean(x->verified));
    rc = rc ? rc : add_str(o, "message", x->message);
    rc = rc ? rc : add(o, "duration_ms", json_object_new_int64(x->duration_ms));
    rc = rc ? rc : add(o, "posts", json_object_new_int(x->posts));
    rc = rc ? rc : add(o, "http_status", json_object_new_int(x->http_status));
    rc = rc ? rc : add_job(o, x);
    rc = rc ? rc : add_state(o, "before", x->status_before, x->station_before);
    rc = rc ? rc : add_state(o, "after", x->status_after, x->station_after);
    rc = rc ? rc : add_end_state(o, x);
    rc = rc ? rc : add(o, "replication_stopped", json_object_new_boolean(x->replication_stopped));
    rc = rc ? rc : add(o, "next", next = json_object_new_array());
    for (size_t i = 0; !rc && i < x->nnext; i++) {
        struct json_object *s = string_of(x->next[i]);
        if (!s || json_object_array_add(next, s)) {
            json_object_put(s);
            rc = ERR_NOMEM;
        }
    }
    rc = rc ? rc : add_str(o, "next_command", x->next_command);
    rc = rc ? rc : add(o, "preflight", pre = json_object_new_object());
    rc = rc ? rc : add_str(pre, "verdict", x->preflight_verdict);
    rc = rc ? rc : add_str(pre, "snapshot_sha256", x->preflight_snapshot_sha256);
    rc = rc ? rc : add_str(pre, "approved_report_sha256", x->approved_report_sha256);
    if (rc) {
        json_object_put(o);
        return NULL;
    }
    return o;
}
