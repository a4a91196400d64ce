/*
 * The report (`sdrs-preflight/report@1`): the verdict, the rule results and the inputs' digests,
 * and the renderers that turn it into text for people, JSON for machines, JUnit XML for CI test
 * views or Markdown for change tickets.
 *
 * A struct report owns everything it points to (report_clear). Renderers append to a buf and keep
 * the report unchanged; the same report renders the same bytes every time.
 */
#ifndef SDRS_REPORT_H
#define SDRS_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "facts.h"
#include "result.h"
#include "snapshot.h"
#include "util.h"
#include "verify.h"
#include "waivers.h"

#define REPORT_SCHEMA "sdrs-preflight/report@1"

/* Exit codes: a promise to users (DESIGN §2, README, man page). */
enum exit_code {
    EXIT_GO = 0,
    EXIT_NOGO = 1,
    EXIT_USAGE = 2,
    EXIT_INDETERMINATE = 3,
    EXIT_ACTION_FAILED = 4,
};

enum verdict { VERDICT_GO, VERDICT_NOGO, VERDICT_INDETERMINATE };

/* What became of one waiver in this evaluation. */
struct finding_group;

struct report_waiver {
    char *rule, *group, *reason, *approved_by, *expires, *ticket;
    enum waiver_state state;
    bool for_group; /* names this group (or "*") */
    size_t results; /* results it waived (applied) or would have (expired) */
};

/* What an executed action did (`failover --execute`). A report that carries one is the
 * post-execution report: its rule results are the preflight of the next action over the group as
 * the action left it (action), and its exit_code is the execution's. */
#define REPORT_MAX_SUBJOBS 32
#define REPORT_MAX_NEXT    4
struct report_subjob {
    char id[64], type[64], status[16], error_code[32];
};
struct report_execution {
    char action[32];
    char outcome[16]; /* success, failed, timeout, refused, not-sent, not-seen, unknown,
                         unverified */
    bool verified;    /* the end state is the documented one (success only) */
    char message[600];
    long long duration_ms; /* from the POST to the verified end state (or the end of the run) */
    int posts;             /* action POSTs sent: 0 or 1 */
    int http_status;       /* what the POST got back (0: no answer) */
    char job_id[96], job_status[32], error_code[64], fail_reason[512], failed_subjob[256];
    struct report_subjob subjobs[REPORT_MAX_SUBJOBS];
    size_t nsubjobs, subjobs_total;
    char status_before[64], station_before[32], status_after[64], station_after[32];
    const char *effect;          /* the documented end state (static) */
    bool checked;                /* the end state was read and checked (verify) */
    struct verify_result verify; /* owned */
    bool replication_stopped;    /* the action stops replication and the group shows it did */
    char next[REPORT_MAX_NEXT][400];
    size_t nnext;
    char next_command[300];
    char preflight_verdict[16], preflight_snapshot_sha256[UTIL_SHA256_HEX],
        approved_report_sha256[UTIL_SHA256_HEX];
};

struct report {
    char generated_at[32];
    char *action;
    /* target */
    char *project_id;
    char *group_id;
    char *group_name;
    char *group_status;
    char *priority_station;
    long long ninstances, npairs, ndrills; /* -1 when unknown */
    /* decision */
    enum verdict verdict;
    int exit_code;
    size_t counts[RESULT_KIND_COUNT];
    bool fail_on_warning;
    /* inputs */
    char snapshot_sha256[UTIL_SHA256_HEX];
    char rules_sha256[UTIL_SHA256_HEX];
    char facts_sha256[UTIL_SHA256_HEX];   /* "" when there is no facts file */
    char waivers_sha256[UTIL_SHA256_HEX]; /* "" when there is no waivers file */
    char *fetched_at;
    /* details */
    struct rule_result *results;
    size_t nresults;
    struct problem_list errors; /* everything that made the decision impossible */
    struct report_waiver *waivers;
    size_t nwaivers;
    size_t expired_waivers; /* expired waivers for this group: they make the verdict NO-GO */
    struct report_execution *execution; /* owned; NULL for a preflight */
    /* results[i]'s findings folded (report_group.h), computed once for every renderer */
    struct finding_group **groups;
    size_t *ngroups;
};

struct report_inputs {
    const struct snapshot *snap;
    const struct facts *facts;     /* may be NULL */
    const struct waivers *waivers; /* may be NULL */
    const char *rules_sha256;
    const char *action;
    bool fail_on_warning;
    long long now; /* generated_at; from SOURCE_DATE_EPOCH in tests */
};

/* Builds the report and decides the verdict, after applying the waivers (which turn fail and warn
 * results of their rule into waived). Takes over results (sets *results to NULL). */
int report_build(struct report *r, const struct report_inputs *in, struct rule_result **results,
                 size_t nresults, struct err *e);
void report_clear(struct report *r);

const char *verdict_name(enum verdict v);

/* Findings at lvl in results that are not waived. */
size_t report_count_findings(const struct report *r, enum level lvl);

/* The closing count, the same in every format: rules by result, the findings the sections show by
 * level, and the problems that made the decision impossible ("14 rules: 11 passed, …; findings: 0
 * blocking, 3 warnings, 1 note; no problem"). */
void report_counts_line(const struct report *r, char *out, size_t size);

/* The first reason for the verdict, for one line in a log: for NO-GO the first blocking finding
 * (rule, resource, message) or expired waiver, for INDETERMINATE the first problem; "" for GO. */
void report_first_reason(const struct report *r, char *out, size_t size);

/* What changed between two evaluations of one group that matters for going ahead: the group's
 * status and priority_station, and the result of every blocker rule. Appends one phrase per change
 * ("status protected -> failing-over", "SDRS-005 pass -> fail") to out, separated by "; ", and
 * returns how many. */
size_t report_changes(const struct report *before, const struct report *after, struct buf *out);

/* The parts of a saved JSON report (report@1) that bind an approval: what was decided on (group,
 * action, rules, facts, waivers) and the result of every rule, so that a blocking rule whose
 * result changed since (a waiver added, a fact edited) is seen. */
#define REPORT_SUMMARY_MAX_RULES 256
struct report_summary_rule {
    char id[64];
    char severity[16];
    char result[16];
};
struct report_summary {
    char verdict[32];
    char action[64];
    char group_id[96];
    char project_id[96];
    char rules_sha256[UTIL_SHA256_HEX];
    char facts_sha256[UTIL_SHA256_HEX];   /* "" without a facts file */
    char waivers_sha256[UTIL_SHA256_HEX]; /* "" without a waivers file */
    char generated_at[40];
    char sha256[UTIL_SHA256_HEX]; /* of the file */
    bool executed;                /* a post-execution report, not a preflight */
    struct report_summary_rule rules[REPORT_SUMMARY_MAX_RULES];
    size_t nrules;
};
/* Reads a report written by --format json. ERR_IO, or ERR_PARSE naming what is wrong. */
int report_read_summary(const char *path, struct report_summary *out, struct err *e);

struct render_opts {
    bool color;
    int verbose;
    bool quiet;
};

struct fleet;
struct rule_meta;

/* The output formats, in one table: what each can write. A NULL member: that output is not
 * written in this format. */
struct output_format {
    const char *name;
    int (*report)(const struct report *r, const struct render_opts *o, struct buf *out);
    int (*fleet)(const struct fleet *f, const struct render_opts *o, struct buf *out);
    int (*rules)(const struct rule_meta *const *rules, size_t n, struct buf *out);
};

/* What is being written, for report_format_names and the checks of --format. */
enum output_kind { OUTPUT_REPORT, OUTPUT_FLEET, OUTPUT_RULES };

/* The formats in table order. */
size_t report_format_count(void);
const struct output_format *report_format_at(size_t i);
/* The format named name, or NULL. */
const struct output_format *report_format(const char *name);
/* The format named name when it can write kind, else NULL. */
const struct output_format *report_format_for(const char *name, enum output_kind kind);
/* "text, json, junit or markdown": the formats that can write kind (text, the first, is the
 * default), for help and errors. */
void report_format_names(enum output_kind kind, char *out, size_t size);

/* The report as a json-c tree (owned), as report_render_json writes it: a fleet report embeds it
 * without rendering and parsing it again. NULL when out of memory. */
struct json_object *report_json_tree(const struct report *r);

int report_render_text(const struct report *r, const struct render_opts *o, struct buf *out);
int report_render_json(const struct report *r, const struct render_opts *o, struct buf *out);
/* JUnit XML: one testcase per rule (DESIGN §5); for CI test report viewers. */
int report_render_junit(const struct report *r, const struct render_opts *o, struct buf *out);
/* GitHub/GitLab Markdown: a change-ticket summary with evidence tables and the input digests. */
int report_render_markdown(const struct report *r, const struct render_opts *o, struct buf *out);

/* The rule catalogue (`rules list`): a line per rule with columns as wide as their widest entry,
 * or a JSON array of {id, severity, actions, title, source}. */
int rules_render_text(const struct rule_meta *const *rules, size_t n, struct buf *out);
int rules_render_json(const struct rule_meta *const *rules, size_t n, struct buf *out);
/* One rule's documentation (`rules show`). */
int rules_render_show(const struct rule_meta *m, struct buf *out);

#endif
