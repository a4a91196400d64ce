/* The commands that decide: check (one group, live or saved), fetch, and the fleet checks. */
#include "app.h"

#include "api.h"
#include "auditlog.h"
#include "diag.h"
#include "fleet.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_check(const struct app_opts *o)
{
    struct session ss;
    struct report rep = {0};
    int code;

    if ((code = app_session_open(o, &ss)) != 0)
        goto out;
    if ((code = app_decide(o, &ss, true, &rep)) != 0)
        goto out;
    if ((code = app_emit(o, &rep)) != 0)
        goto out;
    code =
        app_audit(o, &(struct audit_event){.event = "decision", .phase = "check", .report = &rep});
    if (!code)
        code = rep.exit_code;
    diag_verbose(1, "verdict %s, exit code %d", verdict_name(rep.verdict), code);
out:
    report_clear(&rep);
    app_session_close(&ss);
    return code;
}

int cmd_fetch(const struct app_opts *o)
{
    struct fetch_result res = {0};
    struct live lv;
    struct err e = {0};
    int code = app_live_open(o, &lv);

    if (code)
        return code;
    if (fetch_group(lv.session, o->in.group_id, &lv.fo, &res, &e))
        code = app_fail(ERR_NET, &e);
    app_live_close(&lv);
    if (code)
        return code;
    if (o->out.output && strcmp(o->out.output, "-") != 0)
        code = app_write_file(o, "snapshot", o->out.output, &res.snapshot);
    else
        code = app_write_output(o, &res.snapshot);
    if (!code && res.fetch_errors) {
        diag_warn("the snapshot records %zu fetch error%s: a check of it is INDETERMINATE",
                  res.fetch_errors, res.fetch_errors == 1 ? "" : "s");
        code = EXIT_INDETERMINATE;
    }
    fetch_result_clear(&res);
    return code;
}

/* ---- fleet checks ---------------------------------------------------------------------------- */

/* A live fleet check in progress: each group is evaluated as soon as its fetch completes. */
struct fleet_run {
    const struct app_opts *o;
    struct session *ss;
    struct fleet *fl; /* one entry per id, in id order, added before the fetch */
    char **ids;
    struct fetch_result *res;
    struct snapshot_limits lim;
    bool tty;
    size_t done, total;
    int code; /* the first exit code that ends the run */
};

/* Group i is fetched: evaluate it into its entry and release its data. */
static void on_group_done(void *ud, size_t i)
{
    struct fleet_run *fr = ud;
    struct report *rep = &fr->fl->items[i].rep;
    struct fetch_result *res = &fr->res[i];
    struct snapshot *snap = NULL;
    struct err e = {0};
    char label[200];

    fr->done++;
    if (fr->tty && fr->total >= 10) {
        fprintf(stderr, "\r  fetched %zu of %zu groups", fr->done, fr->total);
        if (fr->done == fr->total)
            fputc('\n', stderr);
        fflush(stderr);
    }
    if (fr->code)
        goto out;
    if (res->error) {
        if (fleet_unevaluated(rep, fr->o->action, fr->ids[i], "fetch", res->message,
                              app_report_time()))
            fr->code = EXIT_INDETERMINATE;
        goto out;
    }
    snprintf(label, sizeof label, "live fetch of group %s", fr->ids[i]);
    if (snapshot_load_buffer(buf_str(&res->snapshot), res->snapshot.len, label, &fr->lim, &snap,
                             &e)) {
        if (fleet_unevaluated(rep, fr->o->action, fr->ids[i], "snapshot", e.msg, app_report_time()))
            fr->code = EXIT_INDETERMINATE;
        goto out;
    }
    fr->code = app_evaluate(fr->o, fr->ss, snap, rep);
    snapshot_free(snap);
out:
    fetch_result_clear(res);
}

static int json_file_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return n > 5 && d->d_name[0] != '.' && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Every *.json file of --snapshot-dir, evaluated. A file that is not a snapshot is an entry that
 * could not be evaluated (INDETERMINATE), not the end of the audit. */
static int fleet_offline(const struct app_opts *o, struct session *ss, struct fleet *fl)
{
    struct snapshot_limits lim = app_limits(o);
    struct dirent **names = NULL;
    int count = scandir(o->in.snapshot_dir, &names, json_file_filter, alphasort), code = 0;

    if (count < 0) {
        diag_error("cannot read snapshot directory '%s': %s", o->in.snapshot_dir, strerror(errno));
        return EXIT_USAGE;
    }
    for (int i = 0; i < count; i++) {
        struct buf path;
        struct snapshot *snap = NULL;
        struct report *rep;
        struct err e = {0};

        buf_init(&path, 0);
        buf_printf(&path, "%s/%s", o->in.snapshot_dir, names[i]->d_name);
        rep = fleet_add(fl, buf_str(&path));
        if (!rep) {
            code = EXIT_INDETERMINATE;
        } else if (snapshot_load_file(buf_str(&path), &lim, &snap, &e)) {
            if (fleet_unevaluated(rep, o->action, NULL, "snapshot", e.msg, app_report_time()))
                code = EXIT_INDETERMINATE;
        } else {
            code = app_evaluate(o, ss, snap, rep);
        }
        snapshot_free(snap);
        buf_free(&path);
        free(names[i]);
        if (code) {
            for (int k = i + 1; k < count; k++)
                free(names[k]);
            break;
        }
    }
    free(names);
    if (!code && count == 0) {
        diag_error("no *.json snapshots in '%s'", o->in.snapshot_dir);
        code = EXIT_USAGE;
    }
    return code;
}

/* Every protection group of the project, fetched together, each evaluated as soon as it is in. */
static int fleet_live(const struct app_opts *o, struct session *ss, struct fleet *fl)
{
    struct fleet_run fr = {
        .o = o, .ss = ss, .fl = fl, .lim = app_limits(o), .tty = isatty(STDERR_FILENO)};
    struct err e = {0};
    size_t n = 0;
    int code;

    if ((code = app_live_open(o, &ss->lv)) != 0)
        return code;
    if (api_list_ids(ss->lv.session, "server-groups", "server_groups", &fr.ids, &n, &e))
        return app_fail(ERR_API, &e);
    diag_verbose(1, "%zu protection groups in project %s", n, ss->lv.ep.project_id);
    fr.total = n;
    fr.res = calloc(n ? n : 1, sizeof *fr.res);
    for (size_t i = 0; fr.res && i < n; i++)
        if (!fleet_add(fl, fr.ids[i]))
            code = EXIT_INDETERMINATE;
    if (!fr.res || code) {
        diag_error("out of memory");
        code = EXIT_INDETERMINATE;
        goto out;
    }
    if (fetch_groups(ss->lv.session, (const char *const *)fr.ids, n, &ss->lv.fo, fr.res,
                     on_group_done, &fr, &e)) {
        code = app_fail(ERR_NET, &e);
        goto out;
    }
    code = fr.code;
out:
    for (size_t i = 0; fr.res && i < n; i++)
        fetch_result_clear(&fr.res[i]);
    free(fr.res);
    api_ids_free(fr.ids, n);
    return code;
}

int cmd_fleet(const struct app_opts *o)
{
    const struct output_format *fmt =
        report_format_for(o->out.format ? o->out.format : "text", OUTPUT_FLEET);
    struct render_opts ro = {
        .color = app_use_color(o), .verbose = o->out.verbose, .quiet = o->out.quiet};
    struct session ss;
    struct fleet fl = {0};
    struct buf out;
    int code;

    buf_init(&out, 0);
    snprintf(fl.action, sizeof fl.action, "%s", o->action);
    util_format_time(app_report_time(), fl.generated_at, sizeof fl.generated_at);
    if ((code = app_session_open(o, &ss)) != 0)
        goto out;
    code = o->in.snapshot_dir ? fleet_offline(o, &ss, &fl) : fleet_live(o, &ss, &fl);
    if (code)
        goto out;
    for (size_t i = 0; i < fl.n; i++)
        if ((code = app_audit(o, &(struct audit_event){.event = "decision",
                                                       .phase = "fleet",
                                                       .report = &fl.items[i].rep})) != 0)
            goto out;
    if (fmt->fleet(&fl, &ro, &out)) {
        diag_error("out of memory while rendering the fleet report");
        code = EXIT_INDETERMINATE;
        goto out;
    }
    code = app_write_output(o, &out);
    if (!code)
        code = fleet_exit_code(&fl);
out:
    buf_free(&out);
    fleet_clear(&fl);
    app_session_close(&ss);
    return code;
}
