/*
 * The application layer: the commands (cmd_check.c, cmd_failover.c, cmd_rules.c) and the plumbing
 * they share (app.c): the session of a decision, obtaining a snapshot, evaluating it, emitting the
 * reports, writing files, the audit log, and the one mapping of errors to exit codes. It is the
 * only layer (with cli.c) that prints.
 *
 * struct app_opts is what cli.c parsed: the modules' own option structs, filled directly from the
 * option table, plus what belongs to the commands. Every string in it is borrowed from argv.
 */
#ifndef SDRS_APP_H
#define SDRS_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "clouds.h"
#include "config.h"
#include "engine.h"
#include "execute.h"
#include "fetch.h"
#include "http.h"
#include "report.h"
#include "snapshot.h"

#define APP_MAX_RULE_DIRS 16
#define APP_MAX_REPORTS   8

/* --report FORMAT=FILE */
struct app_report {
    const char *format;
    const char *file;
};

/* What is evaluated, and the input files. */
struct input_opts {
    const char *group_id;      /* check GROUP_ID, fetch, failover */
    const char *snapshot;      /* --snapshot FILE */
    const char *snapshot_dir;  /* --snapshot-dir DIR */
    bool all;                  /* --all */
    const char *save_snapshot; /* --save-snapshot FILE */
    const char *facts;
    const char *waivers;
    const char *approved_report;
    const char *token_file;
    const char *rule_dirs[APP_MAX_RULE_DIRS];
    size_t nrule_dirs;
};

/* Where and how the outputs go. */
struct output_opts {
    const char *format; /* NULL: text */
    const char *output; /* -o FILE; NULL or "-": standard output */
    struct app_report reports[APP_MAX_REPORTS];
    size_t nreports;
    const char *audit_log;
    const char *audit_key_file;           /* --audit-key-file FILE */
    const struct auditlog_key *audit_key; /* its key, loaded by app_audit_key_load */
    int verbose;
    bool quiet;
    bool no_color;
};

/* The live connection besides the endpoints and credentials. */
struct live_opts {
    struct endpoint_flags endpoints;
    const char *os_cloud;  /* --os-cloud NAME, else OS_CLOUD */
    struct http_opts http; /* timeout, retries, concurrency, body cap, CA file, --insecure */
    size_t page_limit;
    bool no_images;
    const char *batch_servers; /* --batch-servers auto|on|off (NULL: auto) */
};

struct app_opts {
    const char *command;    /* "check", "fetch", "failover", "rules", "verify-log", "version" */
    const char *subcommand; /* rules: "list", "show", "test" */
    const char *argument;   /* rules show ID, rules test DIR, verify-log FILE */
    const char *action;     /* --action: failover (default), ... */
    bool fail_on_warning;
    struct input_opts in;
    struct output_opts out;
    struct engine_opts engine;     /* rule limits, --no-builtin-rules */
    struct snapshot_limits limits; /* --max-depth, --max-items (and the API answers') */
    struct live_opts live;
    struct exec_opts exec; /* --poll-interval, --job-timeout */
    bool execute;
    bool yes;
};

/* The defaults of every option. */
void app_opts_init(struct app_opts *o);

/* Loads --audit-key-file (when given) into k, which the caller clears, and points o at it; warns
 * when others may read the key file. Returns 0 or an exit code. */
struct auditlog_key;
int app_audit_key_load(struct app_opts *o, struct auditlog_key *k);

/* ---- the commands ---------------------------------------------------------------------------- */

int cmd_check(const struct app_opts *o);
int cmd_fetch(const struct app_opts *o);
int cmd_fleet(const struct app_opts *o);
int cmd_failover(const struct app_opts *o);
int cmd_verify_log(const struct app_opts *o);
int cmd_endpoints(const struct app_opts *o);
int cmd_doctor(const struct app_opts *o);
int cmd_rules(const struct app_opts *o);
int cmd_version(const struct app_opts *o);

/* ---- shared plumbing ------------------------------------------------------------------------- */

/* The one mapping of a library error to an exit code: a problem with what the user gave (flags,
 * files, configuration: ERR_PARSE, ERR_INVALID, ERR_IO, ERR_LIMIT) is EXIT_USAGE; anything that
 * kept the tool from deciding (ERR_NET, ERR_API, ERR_AUTH, ERR_PRECOND, ERR_NOMEM) is
 * EXIT_INDETERMINATE; 0 is 0. */
int app_exit_code(int err);
/* Prints e->msg as an error and returns app_exit_code(e->code, or code when e has none). */
int app_fail(int code, const struct err *e);

/* A live connection: credentials, endpoints and the API session that borrows them. */
struct api_session;
struct live {
    struct cloud_config cloud; /* the clouds.yaml cloud selected, when have_cloud */
    bool have_cloud;
    struct credentials cred;
    struct endpoints ep;
    struct api_session *session;
    struct fetch_opts fo;
    bool http_ready;
};
/* The credentials and endpoints a live run would use, without any network (app_live_open, the
 * endpoints and doctor commands). Returns 0 or an exit code (lv is then closed). */
int app_live_config(const struct app_opts *o, struct live *lv);
int app_live_open(const struct app_opts *o, struct live *lv);
void app_live_close(struct live *lv);
/* Fetches o's group over lv (app_live.c); the result is the caller's (fetch_result_clear). */
int app_live_fetch(const struct app_opts *o, struct live *lv, struct fetch_result *res);

/* What a decision needs besides the snapshot: facts, waivers, the rule catalogue, a live
 * connection (opened when first needed). */
struct snapshot_read;
struct session {
    struct facts *facts;
    struct waivers *waivers;
    struct engine *eng;
    struct live lv;
    struct snapshot_read *pending; /* the --snapshot file, read while the rules load */
};
/* Loads what can be checked before any network access: the facts, the waivers and the rules.
 * The --snapshot file is read meanwhile, on a thread of its own; app_decide takes it. */
int app_session_open(const struct app_opts *o, struct session *ss);
void app_session_close(struct session *ss);
/* The rule catalogue alone (rules commands). */
int app_engine(const struct app_opts *o, struct engine **out);

/* The snapshot reader's limits. */
struct snapshot_limits app_limits(const struct app_opts *o);
/* Obtains the snapshot to evaluate (--snapshot, or a live fetch of the group; save: honour
 * --save-snapshot) and evaluates it into rep. Returns 0 or an exit code. */
int app_decide(const struct app_opts *o, struct session *ss, bool save, struct report *rep);
/* The same, handing the snapshot evaluated to *snap (the caller frees it) when it was obtained. */
int app_decide_keep(const struct app_opts *o, struct session *ss, bool save, struct report *rep,
                    struct snapshot **snap);
/* Evaluates a loaded snapshot into rep. Returns 0 or an exit code. */
int app_evaluate(const struct app_opts *o, struct session *ss, const struct snapshot *snap,
                 struct report *rep);
/* Renders rep in the chosen format to -o or standard output, then every --report. */
int app_emit(const struct app_opts *o, const struct report *rep);
/* The two parts of app_emit, for a run that reports twice (failover --execute): the text on the
 * terminal (-o - with --format text), which a person reads as the run goes, and the documents
 * (every other destination), which receive one report at the end. */
enum app_emit_part { APP_EMIT_LIVE_TEXT = 1, APP_EMIT_DOCUMENTS = 2, APP_EMIT_ALL = 3 };
int app_emit_part(const struct app_opts *o, const struct report *rep, enum app_emit_part part);
/* Writes bytes to -o FILE or standard output. */
int app_write_output(const struct app_opts *o, const struct buf *b);
/* Writes what (a report, a snapshot) to path atomically, never over an input file. */
int app_write_file(const struct app_opts *o, const char *what, const char *path,
                   const struct buf *b);
/* Appends ev to --audit-log when one was given. Returns 0 or an exit code. */
struct audit_event;
int app_audit(const struct app_opts *o, struct audit_event *ev);
/* The report's clock: SOURCE_DATE_EPOCH when set, else now. */
long long app_report_time(void);
/* Colour on standard output. */
bool app_use_color(const struct app_opts *o);

#endif
