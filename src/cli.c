#include "cli.h"

#include "app.h"
#include "auditlog.h"
#include "diag.h"
#include "report.h"
#include "result.h"
#include "util.h"
#include "version.h"

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the option table ------------------------------------------------------------------------ */

enum kind {
    K_FLAG,    /* bool = true */
    K_COUNT,   /* int++ (-v) */
    K_STRING,  /* const char * */
    K_INT,     /* int in [min, max] */
    K_SIZE,    /* size_t in [min, max] */
    K_LLONG,   /* long long in [min, max] */
    K_MIB,     /* size_t bytes from MiB in [min, max] */
    K_SECONDS, /* long milliseconds from seconds in [min/1000, max/1000] (min and max in ms) */
    K_SPECIAL, /* parsed by its own case in set_option */
};

#define C_LIVE   (CLI_CHECK | CLI_FETCH | CLI_FAILOVER)
#define C_DECIDE (CLI_CHECK | CLI_FAILOVER)
#define C_RULES  (CLI_CHECK | CLI_FAILOVER | CLI_RULES)
#define C_WHERE                                                                                    \
    (C_LIVE | CLI_ENDPOINTS | CLI_DOCTOR) /* where a live run goes, with which credentials */
#define C_NET (C_LIVE | CLI_DOCTOR)       /* how it talks to the endpoints */
#define C_ALL                                                                                      \
    (CLI_CHECK | CLI_FETCH | CLI_FAILOVER | CLI_RULES | CLI_VERIFY_LOG | CLI_VERSION |             \
     CLI_ENDPOINTS | CLI_DOCTOR)

#define AT(field) offsetof(struct app_opts, field)

enum special {
    S_NONE,
    S_ACTION,
    S_FAIL_ON,
    S_RULES,
    S_REPORT,
    S_HELP,
    S_VERSION,
};

struct option_def {
    struct cli_option_info info;
    enum kind kind;
    size_t off;
    long long min, max;
    enum special special;
    bool live; /* a connection option: not for check --snapshot or --snapshot-dir */
};

static const char SEC_INPUT[] = "Input", SEC_RULES[] = "Rules", SEC_OUTPUT[] = "Output",
                  SEC_LIVE[] = "Connection (live)", SEC_FAILOVER[] = "Failover",
                  SEC_GENERAL[] = "General";

/* clang-format off */
static const struct option_def table[] = {
    /* input */
    {{"snapshot", 0, "FILE", CLI_CHECK, "a snapshot (sdrs-preflight/snapshot@1) to evaluate instead of fetching; - reads standard input", SEC_INPUT}, K_STRING, AT(in.snapshot), 0, 0, S_NONE, false},
    {{"all", 0, NULL, CLI_CHECK, "every protection group of the project (fleet audit: a line per group; exit code the worst of them, 3 > 1 > 0)", SEC_INPUT}, K_FLAG, AT(in.all), 0, 0, S_NONE, false},
    {{"snapshot-dir", 0, "DIR", CLI_CHECK, "every DIR/*.json snapshot, offline, the same way", SEC_INPUT}, K_STRING, AT(in.snapshot_dir), 0, 0, S_NONE, false},
    {{"save-snapshot", 0, "FILE", C_DECIDE, "also save what the live fetch saw (replay it with --snapshot)", SEC_INPUT}, K_STRING, AT(in.save_snapshot), 0, 0, S_NONE, true},
    {{"action", 0, "ACTION", C_DECIDE, "failover (default), planned-failover, enable-protection, disable-protection or drill (check only: failover cannot create a drill)", SEC_INPUT}, K_SPECIAL, AT(action), 0, 0, S_ACTION, false},
    {{"facts", 0, "FILE", C_DECIDE, "facts no API tells: first switchover, Cloud-Init per server", SEC_INPUT}, K_STRING, AT(in.facts), 0, 0, S_NONE, false},
    {{"waivers", 0, "FILE", C_DECIDE, "reviewed, expiring exceptions (rule, group, reason, approver, expiry date)", SEC_INPUT}, K_STRING, AT(in.waivers), 0, 0, S_NONE, false},
    /* rules */
    {{"rules", 0, "PATH", C_RULES, "add the rules in PATH/*.lua, or the one rule file PATH (repeatable; a rule with the id of a built-in rule replaces it)", SEC_RULES}, K_SPECIAL, AT(in.rule_dirs), 0, 0, S_RULES, false},
    {{"no-builtin-rules", 0, NULL, C_RULES, "use only the rules given with --rules", SEC_RULES}, K_FLAG, AT(engine.no_builtin), 0, 0, S_NONE, false},
    {{"fail-on", 0, "warning|blocker", C_DECIDE, "warning: warnings block as well (NO-GO); blocker (default): only blockers", SEC_RULES}, K_SPECIAL, AT(fail_on_warning), 0, 0, S_FAIL_ON, false},
    {{"rule-instructions", 0, "N", C_RULES, "instruction budget of each rule (default 50000000)", SEC_RULES}, K_LLONG, AT(engine.limits.instructions), 1000, 1000000000000LL, S_NONE, false},
    {{"rule-memory", 0, "MIB", C_RULES, "memory cap of each rule in MiB (default 64)", SEC_RULES}, K_MIB, AT(engine.limits.memory), 1, 4096, S_NONE, false},
    {{"rule-timeout", 0, "SECONDS", C_RULES, "wall-clock time each rule may run (default 10)", SEC_RULES}, K_SECONDS, AT(engine.limits.timeout_ms), 100, 3600000, S_NONE, false},
    {{"max-findings", 0, "N", C_RULES, "findings one rule may report (default 10000)", SEC_RULES}, K_SIZE, AT(engine.max_findings), 1, 1000000, S_NONE, false},
    {{"max-message", 0, "BYTES", C_RULES, "length of a finding's message (default 2048)", SEC_RULES}, K_SIZE, AT(engine.max_message), 64, 65536, S_NONE, false},
    {{"max-drill-age", 0, "DAYS", C_RULES, "a DR drill older than DAYS is no evidence (SDRS-017; default 90, the period of SDRS's own period_no_dr_drill filter)", SEC_RULES}, K_INT, AT(engine.max_drill_age_days), 1, 3650, S_NONE, false},
    {{"max-depth", 0, "N", C_LIVE, "JSON nesting of a snapshot or an API answer (default 64)", SEC_RULES}, K_INT, AT(limits.max_depth), 8, 1000, S_NONE, false},
    {{"max-items", 0, "N", C_LIVE, "instances, pairs, drills and servers, each (default 20000)", SEC_RULES}, K_SIZE, AT(limits.max_items), 1, 1000000, S_NONE, false},
    /* output */
    {{"format", 0, "FORMAT", C_RULES | CLI_ENDPOINTS | CLI_DOCTOR, "the output format (see below)", SEC_OUTPUT}, K_STRING, AT(out.format), 0, 0, S_NONE, false},
    {{"output", 'o', "FILE", C_RULES | CLI_FETCH, "write to FILE instead of standard output (replaced atomically, never an input file)", SEC_OUTPUT}, K_STRING, AT(out.output), 0, 0, S_NONE, false},
    {{"report", 0, "FORMAT=FILE", C_DECIDE, "also write the report in FORMAT to FILE (repeatable: one evaluation, several formats)", SEC_OUTPUT}, K_SPECIAL, AT(out.reports), 0, 0, S_REPORT, false},
    {{"audit-log", 0, "FILE", C_DECIDE, "append the decisions (and an executed action) to a hash-chained log", SEC_OUTPUT}, K_STRING, AT(out.audit_log), 0, 0, S_NONE, false},
    {{"audit-key-file", 0, "FILE", C_DECIDE | CLI_VERIFY_LOG, "key the audit log's chain with HMAC-SHA256 under the key in FILE (16 bytes or more; never on the command line): without the key, an edited log cannot be re-chained", SEC_OUTPUT}, K_STRING, AT(out.audit_key_file), 0, 0, S_NONE, false},
    {{"verbose", 'v', NULL, C_RULES | CLI_FETCH | CLI_DOCTOR, "every rule's result; one line per request on stderr; -vv adds debug output", SEC_OUTPUT}, K_COUNT, AT(out.verbose), 0, 0, S_NONE, false},
    {{"quiet", 'q', NULL, C_RULES | CLI_FETCH, "only the verdict line (text) and errors", SEC_OUTPUT}, K_FLAG, AT(out.quiet), 0, 0, S_NONE, false},
    {{"no-color", 0, NULL, C_DECIDE, "no colour (also off when NO_COLOR is set or the output is not a terminal)", SEC_OUTPUT}, K_FLAG, AT(out.no_color), 0, 0, S_NONE, false},
    /* connection */
    {{"region", 0, "REGION", C_WHERE, "e.g. eu-de: the SDRS, ECS, IMS, IAM and EVS endpoints of the region (also OS_REGION_NAME)", SEC_LIVE}, K_STRING, AT(live.endpoints.region), 0, 0, S_NONE, true},
    {{"endpoint", 0, "URL", C_WHERE, "the SDRS endpoint, e.g. https://sdrs.eu-de.otc.t-systems.com", SEC_LIVE}, K_STRING, AT(live.endpoints.sdrs), 0, 0, S_NONE, true},
    {{"ecs-endpoint", 0, "URL", C_WHERE, "the ECS endpoint", SEC_LIVE}, K_STRING, AT(live.endpoints.ecs), 0, 0, S_NONE, true},
    {{"ims-endpoint", 0, "URL", C_WHERE, "the IMS endpoint", SEC_LIVE}, K_STRING, AT(live.endpoints.ims), 0, 0, S_NONE, true},
    {{"iam-endpoint", 0, "URL", C_WHERE, "the IAM endpoint (password credentials)", SEC_LIVE}, K_STRING, AT(live.endpoints.iam), 0, 0, S_NONE, true},
    {{"evs-endpoint", 0, "URL", C_WHERE, "the EVS endpoint: the disks of the replication pairs", SEC_LIVE}, K_STRING, AT(live.endpoints.evs), 0, 0, S_NONE, true},
    {{"project-id", 0, "ID", C_WHERE, "the project (also OS_PROJECT_ID)", SEC_LIVE}, K_STRING, AT(live.endpoints.project_id), 0, 0, S_NONE, true},
    {{"os-cloud", 0, "NAME", C_WHERE, "read credentials, region and endpoints of cloud NAME from clouds.yaml (also OS_CLOUD); flags and OS_* variables win", SEC_LIVE}, K_STRING, AT(live.os_cloud), 0, 0, S_NONE, true},
    {{"token-file", 0, "FILE", C_WHERE, "read the token from FILE instead of OS_AUTH_TOKEN", SEC_LIVE}, K_STRING, AT(in.token_file), 0, 0, S_NONE, true},
    {{"timeout", 0, "SECONDS", C_NET, "per request attempt (default 30)", SEC_LIVE}, K_SECONDS, AT(live.http.timeout_ms), 100, 3600000, S_NONE, true},
    {{"retries", 0, "N", C_NET, "retries after a failed attempt (default 3)", SEC_LIVE}, K_INT, AT(live.http.retries), 0, 10, S_NONE, true},
    {{"concurrency", 0, "N", C_NET, "requests in flight (default 16)", SEC_LIVE}, K_INT, AT(live.http.concurrency), 1, 256, S_NONE, true},
    {{"max-body", 0, "MIB", C_NET, "largest response body accepted (default 32)", SEC_LIVE}, K_MIB, AT(live.http.max_body), 1, 1024, S_NONE, true},
    {{"page-limit", 0, "N", C_LIVE, "items asked per list page (default 1000, the API's maximum)", SEC_LIVE}, K_SIZE, AT(live.page_limit), 1, 1000, S_NONE, true},
    {{"cacert", 0, "FILE", C_NET, "verify the servers with the PEM certificates in FILE only (not the system's)", SEC_LIVE}, K_STRING, AT(live.http.cacert), 0, 0, S_NONE, true},
    {{"insecure", 0, NULL, C_NET, "do not verify TLS certificates (loud warning; never in production)", SEC_LIVE}, K_FLAG, AT(live.http.insecure), 0, 0, S_NONE, true},
    {{"no-images", 0, NULL, C_LIVE, "do not read image details from IMS", SEC_LIVE}, K_FLAG, AT(live.no_images), 0, 0, S_NONE, true},
    {{"batch-servers", 0, "MODE", C_LIVE, "read up to 100 servers per request with ECS's server_id filter: auto (default: where the region is Huawei Cloud's, which has the filter), on (any cloud: one that ignores the filter is noticed and read server by server), off", SEC_LIVE}, K_STRING, AT(live.batch_servers), 0, 0, S_NONE, true},
    /* failover */
    {{"execute", 0, NULL, CLI_FAILOVER, "really call the action (only on GO)", SEC_FAILOVER}, K_FLAG, AT(execute), 0, 0, S_NONE, false},
    {{"yes", 0, NULL, CLI_FAILOVER, "do not ask for confirmation (pipelines)", SEC_FAILOVER}, K_FLAG, AT(yes), 0, 0, S_NONE, false},
    {{"approved-report", 0, "FILE", CLI_FAILOVER, "go ahead only if FILE (a --format json report a reviewer approved) is GO for the same group, action, project and rules", SEC_FAILOVER}, K_STRING, AT(in.approved_report), 0, 0, S_NONE, false},
    {{"poll-interval", 0, "SECONDS", CLI_FAILOVER, "seconds between job polls (default 5, fractions allowed)", SEC_FAILOVER}, K_SECONDS, AT(exec.poll_interval_ms), 50, 600000, S_NONE, false},
    {{"job-timeout", 0, "SECONDS", CLI_FAILOVER, "give up following the job after SECONDS (default 3600)", SEC_FAILOVER}, K_SECONDS, AT(exec.job_timeout_ms), 1000, 86400000, S_NONE, false},
    {{"accept-window", 0, "SECONDS", CLI_FAILOVER, "when the POST's answer leaves the outcome unknown (5xx, 401, 403, a timeout, a reset), watch the group this long for the action to show (default 120); never sent again", SEC_FAILOVER}, K_SECONDS, AT(exec.accept_window_ms), 1000, 3600000, S_NONE, false},
    /* general */
    {{"help", 'h', NULL, C_ALL, "this help", SEC_GENERAL}, K_SPECIAL, 0, 0, 0, S_HELP, false},
    {{"version", 0, NULL, C_ALL, "print the version", SEC_GENERAL}, K_SPECIAL, 0, 0, 0, S_VERSION, false},
};
/* clang-format on */

#define NOPTS (sizeof table / sizeof table[0])

size_t cli_option_count(void)
{
    return NOPTS;
}

const struct cli_option_info *cli_option_at(size_t i)
{
    return i < NOPTS ? &table[i].info : NULL;
}

/* ---- commands -------------------------------------------------------------------------------- */

struct command_def {
    const char *name;
    unsigned bit;
    const char *usage; /* the usage lines */
    const char *intro; /* what it does, exit codes */
    enum output_kind formats;
};

static const struct command_def commands[] = {
    {"check", CLI_CHECK,
     "usage: " SDRS_NAME " check GROUP_ID [options]\n"
     "       " SDRS_NAME " check --snapshot FILE [options]\n"
     "       " SDRS_NAME " check --all | --snapshot-dir DIR [options]\n",
     "Evaluates the rules over one protection group, fetched live or from a saved snapshot, and\n"
     "prints a go/no-go report with evidence. Exit code 0 GO, 1 NO-GO, 2 usage error,\n"
     "3 INDETERMINATE (never GO when data is missing). With --all or --snapshot-dir: a line per\n"
     "group and the worst exit code of them (formats text or json).\n",
     OUTPUT_REPORT},
    {"fetch", CLI_FETCH, "usage: " SDRS_NAME " fetch GROUP_ID [-o FILE] [options]\n",
     "Fetches the protection group, its protected instances, replication pairs, DR drills, "
     "servers\n"
     "and images, and writes the snapshot (sdrs-preflight/snapshot@1) to FILE or standard output.\n"
     "Exit code 0 when everything was read, 3 when the snapshot records fetch errors (it is still\n"
     "written; a check of it is INDETERMINATE) or nothing could be read, 2 for usage errors.\n",
     OUTPUT_REPORT},
    {"failover", CLI_FAILOVER,
     "usage: " SDRS_NAME " failover GROUP_ID [--action ACTION] [--execute [--yes]] [options]\n",
     "Runs the preflight of `check GROUP_ID` and prints its report. Without --execute that is all\n"
     "(a dry run: no write request is sent). With --execute and a GO verdict it asks for the\n"
     "group's name on the terminal (unless --yes), re-reads and re-evaluates the group, and stops\n"
     "if anything that matters changed; then it sends the action once, never again, and follows\n"
     "it to the end. What happened is read from the group: an answer that leaves the outcome\n"
     "unknown (5xx, 401, 403, a timeout, a reset) is watched for --accept-window; a job SUCCESS\n"
     "is checked against the action's documented end state. The post-execution report gives the\n"
     "outcome, the time from the POST to the verified end state (duration_ms), the job, each\n"
     "end-state check, which servers of the new production site run, and the next step. One\n"
     "execution per group per host. On NO-GO or INDETERMINATE it refuses and sends nothing. A DR\n"
     "drill is checked with `check --action drill`: failover does not create drills.\n"
     "\n"
     "Exit code: 0 the action succeeded and the end state is verified (or, dry run, GO); 1 NO-GO,\n"
     "not confirmed, the group changed, the approved report does not cover the call, or another\n"
     "run holds the group (nothing sent); 2 usage error; 3 INDETERMINATE (nothing sent); 4 the\n"
     "action was sent and did not verifiably succeed: failed, unverified, refused, not seen to\n"
     "start, unknown, or not finished within --job-timeout.\n",
     OUTPUT_REPORT},
    {"rules", CLI_RULES,
     "usage: " SDRS_NAME " rules list [--format text|json] [--rules PATH] [--no-builtin-rules]\n"
     "       " SDRS_NAME " rules show ID [--rules PATH]\n"
     "       " SDRS_NAME " rules test DIR [--rules PATH] [--no-builtin-rules]\n",
     "list  every effective rule: id, severity, actions, source (built-in or path) and title\n"
     "show  one rule's documentation: rationale, remediation, docs, what it reads\n"
     "test  run every test case (*.json with an \"expect\" key) under DIR through the engine and\n"
     "      print one line per case; exit code 1 when a case does not match (see "
     "rules/README.md)\n",
     OUTPUT_RULES},
    {"verify-log", CLI_VERIFY_LOG, "usage: " SDRS_NAME " verify-log FILE [--audit-key-file KEY]\n",
     "Checks the hash chain of an audit log written with --audit-log: every line must carry the\n"
     "SHA-256 of the line before it, and with --audit-key-file a valid HMAC-SHA256 under the key\n"
     "(then no edit, removal, reordering or appended line made without the key goes unseen).\n"
     "Prints the number of lines and the head hash (record it elsewhere: lines cut off the end\n"
     "cannot be seen from inside the file), or the first broken line. Exit code 0 intact, 1\n"
     "broken, 2 unreadable.\n",
     OUTPUT_REPORT},
    {"endpoints", CLI_ENDPOINTS,
     "usage: " SDRS_NAME " endpoints [--region R] [--os-cloud NAME] [--format text|json]\n",
     "Prints the SDRS, ECS, IMS and IAM endpoints, the region, the project and the credentials a\n"
     "live run would use, and where each comes from (a flag, an OS_* variable, clouds.yaml, the\n"
     "region table, the IAM catalog at login). No network access; no secret is shown. Exit code\n"
     "0, or 2 for a configuration error (an unknown region, an unreadable clouds.yaml).\n",
     OUTPUT_REPORT},
    {"doctor", CLI_DOCTOR,
     "usage: " SDRS_NAME " doctor [--region R] [--os-cloud NAME] [--format text|json]\n",
     "Checks, one line each, what a live check needs: the credentials found (kind and source,\n"
     "never the secret), the endpoints, that each answers over TLS, that the credential is\n"
     "accepted, that the project is visible, and read access to SDRS, ECS and IMS (one harmless\n"
     "GET each). Exit code 0 when a live check can run, 3 when it cannot (the failed line or the\n"
     "error says what to fix).\n",
     OUTPUT_REPORT},
    {"version", CLI_VERSION, "usage: " SDRS_NAME " version\n", "Prints the version.\n",
     OUTPUT_REPORT},
};

static const char usage_main[] =
    "usage: " SDRS_NAME " <command> [options]\n"
    "\n"
    "Decides, before anyone presses the button, whether a failover of an SDRS protection group\n"
    "is safe to run, and says why.\n"
    "\n"
    "Commands:\n"
    "  check GROUP_ID          fetch the group from the SDRS and ECS APIs, evaluate, report\n"
    "  check --snapshot FILE   evaluate a saved snapshot (no network) and print a go/no-go report\n"
    "  check --all             every protection group of the project, a line each\n"
    "  fetch GROUP_ID -o FILE  save a snapshot of the group for audit or a later check\n"
    "  failover GROUP_ID       preflight, then (only with --execute, on GO, after a re-check)\n"
    "                          call the action and follow its job to the end\n"
    "  verify-log FILE         check the hash chain of an --audit-log file\n"
    "  endpoints               the endpoints, region, project and credentials a live run would "
    "use\n"
    "  doctor                  check that a live check can run: credentials, endpoints, access\n"
    "  rules list              list the rules: built-in and those added with --rules PATH\n"
    "  rules show ID           one rule: rationale, remediation, documentation, what it reads\n"
    "  rules test DIR          run rule test cases (for rule authors)\n"
    "  version                 print the version\n"
    "\n"
    "Run '" SDRS_NAME " <command> --help' for the options of a command.\n"
    "\n"
    "Exit codes:\n"
    "  0  GO: every blocking rule passed (warnings allowed unless --fail-on warning)\n"
    "  1  NO-GO: a blocking rule failed, or a warning with --fail-on warning\n"
    "  2  usage or configuration error: bad flags, unreadable or invalid input file or rule file\n"
    "  3  INDETERMINATE: the decision could not be made (data missing, a rule errored); never GO\n"
    "  4  failover --execute: the action was called but its job failed or did not finish\n";

static const char inputs_help[] =
    "An input FILE may be - (standard input, for one option of a run) or a pipe such as\n"
    "<(command). No output replaces an input; -o - (the default) is the standard output.\n";

static const char credentials_help[] =
    "Credentials come from the environment, first complete set wins: OS_AUTH_TOKEN (or\n"
    "--token-file); OS_ACCESS_KEY and OS_SECRET_KEY (or HW_ACCESS_KEY and HW_SECRET_KEY), signed\n"
    "with SDK-HMAC-SHA256; OS_USERNAME, OS_PASSWORD, OS_USER_DOMAIN_NAME and OS_PROJECT_ID (or\n"
    "OS_PROJECT_NAME), exchanged at IAM for a token. Never on the command line.\n";

static const struct command_def *command_named(const char *name)
{
    for (size_t i = 0; name && i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

unsigned cli_command_bit(const char *name)
{
    const struct command_def *c = command_named(name);

    return c ? c->bit : 0;
}

/* Appends text wrapped at 97 columns: the first line goes on from column col, the others start
 * at column indent. */
static int wrap(struct buf *out, const char *text, size_t col, size_t indent)
{
    const char *p = text;
    bool first = true;
    int rc = 0;

    while (*p && !rc) {
        size_t w = strcspn(p, " ");
        if (!first && col + 1 + w > 97) {
            rc = buf_printf(out, "\n%*s", (int)indent, "");
            col = indent;
        } else if (!first) {
            rc = buf_adds(out, " ");
            col++;
        }
        rc = rc ? rc : buf_add(out, p, w);
        col += w;
        p += w;
        while (*p == ' ')
            p++;
        first = false;
    }
    return rc ? ERR_NOMEM : buf_adds(out, "\n");
}

int cli_help(const char *command, struct buf *out)
{
    static const char *const sections[] = {SEC_INPUT, SEC_RULES,    SEC_OUTPUT,
                                           SEC_LIVE,  SEC_FAILOVER, SEC_GENERAL};
    const struct command_def *c = command_named(command);
    char names[120];
    int rc = 0;

    if (!c)
        return buf_adds(out, usage_main);
    rc = buf_printf(out, "%s\n%s", c->usage, c->intro);
    for (size_t s = 0; !rc && s < sizeof sections / sizeof sections[0]; s++) {
        bool head = false;
        for (size_t i = 0; !rc && i < NOPTS; i++) {
            const struct option_def *d = &table[i];
            char left[64];
            size_t n;

            if (d->info.section != sections[s] || !(d->info.commands & c->bit))
                continue;
            if (!head) {
                rc = buf_printf(out, "\n%s:\n", sections[s]);
                head = true;
            }
            if (d->info.short_name)
                n = (size_t)snprintf(left, sizeof left, "  -%c, --%s%s%s", d->info.short_name,
                                     d->info.name, d->info.arg ? " " : "",
                                     d->info.arg ? d->info.arg : "");
            else
                n = (size_t)snprintf(left, sizeof left, "  --%s%s%s", d->info.name,
                                     d->info.arg ? " " : "", d->info.arg ? d->info.arg : "");
            if (n < 25)
                rc = rc ? rc : buf_printf(out, "%-25s", left);
            else
                rc = rc ? rc : buf_printf(out, "%s\n%25s", left, "");
            rc = rc ? rc : wrap(out, d->info.help, 25, 25);
        }
    }
    if (!rc && (c->bit & (C_DECIDE | CLI_RULES))) {
        report_format_names(c->bit == CLI_RULES ? OUTPUT_RULES : OUTPUT_REPORT, names,
                            sizeof names);
        rc = buf_printf(out, "\nFormats (--format): %s (default text)%s.\n", names,
                        c->bit == CLI_CHECK ? "; a fleet check writes text or json" : "");
    }
    if (!rc && (c->bit & (C_DECIDE | C_LIVE)))
        rc = buf_printf(out, "\n%s", inputs_help);
    if (!rc && (c->bit & C_LIVE))
        rc = buf_printf(out, "\n%s", credentials_help);
    return rc;
}

/* ---- parsing --------------------------------------------------------------------------------- */

static int usage_error(const struct command_def *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const struct command_def *c, const char *fmt, ...)
{
    const char *usage = c ? c->usage : usage_main;
    va_list ap;

    char msg[1024];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_error("%s", msg); /* it quotes argv: through the sanitiser */
    fprintf(stderr, "%.*s", (int)strcspn(usage, "\n") + 1, usage);
    fprintf(stderr, "Try '%s %s%s--help' for more.\n", SDRS_NAME, c ? c->name : "", c ? " " : "");
    return EXIT_USAGE;
}

static int print_help(const struct command_def *c)
{
    struct buf b;
    int rc;

    buf_init(&b, 0);
    rc = cli_help(c ? c->name : NULL, &b);
    if (!rc)
        fputs(buf_str(&b), stdout);
    buf_free(&b);
    return rc ? EXIT_INDETERMINATE : 0;
}

/* What the words of a unit are in messages. */
static const char *unit_of(const struct option_def *d)
{
    switch (d->kind) {
    case K_MIB:
        return "MiB";
    case K_SECONDS:
        return "seconds";
    default:
        break;
    }
    return strcmp(d->info.arg, "BYTES") == 0 ? "bytes" : "a number";
}

/* Sets the value of option d from arg. Returns -1 to go on, else an exit code. */
static int set_option(const struct command_def *c, const struct option_def *d, const char *arg,
                      struct app_opts *o)
{
    char *base = (char *)o + d->off;
    long long v;
    double sec;

    switch (d->kind) {
    case K_FLAG:
        *(bool *)base = true;
        return -1;
    case K_COUNT:
        (*(int *)base)++;
        return -1;
    case K_STRING:
        *(const char **)base = arg;
        return -1;
    case K_INT:
    case K_SIZE:
    case K_LLONG:
    case K_MIB:
        if (!util_parse_int(arg, &v) || v < d->min || v > d->max)
            return usage_error(c, "--%s needs %s from %lld to %lld, not '%s'", d->info.name,
                               unit_of(d), d->min, d->max, arg);
        if (d->kind == K_INT)
            *(int *)base = (int)v;
        else if (d->kind == K_LLONG)
            *(long long *)base = v;
        else
            *(size_t *)base = d->kind == K_MIB ? (size_t)v << 20 : (size_t)v;
        return -1;
    case K_SECONDS:
        if (!util_parse_double(arg, &sec) || sec * 1000 < (double)d->min ||
            sec * 1000 > (double)d->max)
            return usage_error(c, "--%s needs seconds from %g to %g, not '%s'", d->info.name,
                               (double)d->min / 1000, (double)d->max / 1000, arg);
        *(long *)base = (long)(sec * 1000);
        return -1;
    case K_SPECIAL:
        break;
    }
    switch (d->special) {
    case S_ACTION:
        if (!action_valid(arg))
            return usage_error(c,
                               "unknown action '%s' (choose failover, planned-failover, "
                               "enable-protection, disable-protection or drill)",
                               arg);
        o->action = arg;
        return -1;
    case S_FAIL_ON:
        if (strcmp(arg, "warning") != 0 && strcmp(arg, "blocker") != 0)
            return usage_error(c, "--fail-on takes 'warning' or 'blocker', not '%s'", arg);
        o->fail_on_warning = strcmp(arg, "warning") == 0;
        return -1;
    case S_RULES:
        if (o->in.nrule_dirs == APP_MAX_RULE_DIRS)
            return usage_error(c, "too many --rules directories (at most %d): '%s'",
                               APP_MAX_RULE_DIRS, arg);
        o->in.rule_dirs[o->in.nrule_dirs++] = arg;
        return -1;
    case S_REPORT: {
        const char *eq = strchr(arg, '=');
        char fmt[32], names[120];
        if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof fmt)
            return usage_error(c, "--report takes FORMAT=FILE, not '%s'", arg);
        memcpy(fmt, arg, (size_t)(eq - arg));
        fmt[eq - arg] = '\0';
        if (!report_format_for(fmt, OUTPUT_REPORT)) {
            report_format_names(OUTPUT_REPORT, names, sizeof names);
            return usage_error(c, "--report: unknown format '%s' (choose %s)", fmt, names);
        }
        if (o->out.nreports == APP_MAX_REPORTS)
            return usage_error(c, "too many --report options (at most %d): '%s'", APP_MAX_REPORTS,
                               eq + 1);
        /* the format name is the part of arg before '=': a prefix of argv, which stays */
        o->out.reports[o->out.nreports++] =
            (struct app_report){report_format_for(fmt, OUTPUT_REPORT)->name, eq + 1};
        return -1;
    }
    case S_HELP:
        return print_help(c);
    case S_VERSION:
        return cmd_version(o);
    case S_NONE:
        break;
    }
    return -1;
}

/* Which options were given, by table index. */
struct given {
    bool set[NOPTS];
};

/* Parses the options after the command word into o and the positional arguments into pos.
 * Returns -1 to go on, else an exit code. */
static int parse_options(int argc, char **argv, const struct command_def *c, struct app_opts *o,
                         struct given *g, const char **pos, int *npos, int maxpos)
{
    struct option longs[NOPTS + 1];
    char shorts[2 * NOPTS + 4] = ":";
    size_t ns = 1;
    int rc, idx, ch;

    for (size_t i = 0; i < NOPTS; i++) {
        longs[i] =
            (struct option){table[i].info.name, table[i].info.arg ? required_argument : no_argument,
                            NULL, (int)(256 + i)};
        if (table[i].info.short_name) {
            shorts[ns++] = table[i].info.short_name;
            if (table[i].info.arg)
                shorts[ns++] = ':';
        }
    }
    longs[NOPTS] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
    opterr = 0;
    optind = 1;
    *npos = 0;
    while ((ch = getopt_long(argc, argv, shorts, longs, &idx)) != -1) {
        const struct option_def *d = NULL;

        if (ch == ':')
            return usage_error(c, "option '%s' needs a value", argv[optind - 1]);
        if (ch == '?')
            return usage_error(c, "unknown option '%s'", argv[optind - 1]);
        if (ch >= 256)
            d = &table[ch - 256];
        for (size_t i = 0; !d && i < NOPTS; i++)
            if (table[i].info.short_name == ch)
                d = &table[i];
        if (!d)
            return usage_error(c, "unknown option '%s'", argv[optind - 1]);
        if (!(d->info.commands & c->bit))
            return usage_error(c, "--%s does not apply to %s", d->info.name, c->name);
        g->set[d - table] = true;
        if ((rc = set_option(c, d, optarg, o)) >= 0)
            return rc;
    }
    for (int i = optind; i < argc; i++) {
        if (*npos == maxpos)
            return usage_error(c, "unexpected argument '%s'", argv[i]);
        pos[(*npos)++] = argv[i];
    }
    return -1;
}

/* The first given option with the live mark, or NULL. */
static const char *given_live(const struct given *g)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (g->set[i] && table[i].live)
            return table[i].info.name;
    return NULL;
}

/* --format must name a format that the command's output can be written in. */
static int check_format(const struct command_def *c, const struct app_opts *o,
                        enum output_kind kind)
{
    char names[120];

    if (!o->out.format || report_format_for(o->out.format, kind))
        return -1;
    report_format_names(kind, names, sizeof names);
    if (!report_format(o->out.format))
        return usage_error(c, "unknown format '%s' (choose %s)", o->out.format, names);
    return usage_error(c, "%s writes --format %s, not '%s'",
                       kind == OUTPUT_FLEET   ? "a fleet check"
                       : kind == OUTPUT_RULES ? "rules list"
                                              : c->name,
                       names, o->out.format);
}

static int run_check(const struct command_def *c, struct app_opts *o, const struct given *g,
                     const char **pos, int npos)
{
    bool offline = o->in.snapshot || o->in.snapshot_dir;
    int sources = (npos > 0) + (o->in.snapshot != NULL) + o->in.all + (o->in.snapshot_dir != NULL);
    const char *live = given_live(g);
    int rc;

    if (npos > 1)
        return usage_error(c, "unexpected argument '%s': check takes one GROUP_ID", pos[1]);
    if (npos > 0 && (offline || o->in.all))
        return usage_error(c, "unexpected argument '%s': check %s takes no GROUP_ID", pos[0],
                           o->in.snapshot       ? "--snapshot FILE"
                           : o->in.snapshot_dir ? "--snapshot-dir DIR"
                                                : "--all");
    if (sources > 1)
        return usage_error(c, "%s",
                           "give one of GROUP_ID, --snapshot FILE, --all or --snapshot-dir DIR");
    if (sources == 0)
        return usage_error(c, "%s",
                           "check needs a GROUP_ID (live) or --snapshot FILE (offline); --all or "
                           "--snapshot-dir DIR for every group");
    if (offline && live)
        return usage_error(c, "--%s applies to a live check (GROUP_ID or --all), not to %s", live,
                           o->in.snapshot ? "--snapshot" : "--snapshot-dir");
    if (o->in.save_snapshot && npos == 0)
        return usage_error(c, "%s", "--save-snapshot needs a live check of a GROUP_ID");
    if (o->in.all || o->in.snapshot_dir) {
        if ((rc = check_format(c, o, OUTPUT_FLEET)) >= 0)
            return rc;
        if (o->out.nreports)
            return usage_error(c, "%s", "a fleet check writes one report: --report does not apply");
        return cmd_fleet(o);
    }
    if ((rc = check_format(c, o, OUTPUT_REPORT)) >= 0)
        return rc;
    if (npos == 1)
        o->in.group_id = pos[0];
    return cmd_check(o);
}

static int run_failover(const struct command_def *c, struct app_opts *o, const char **pos, int npos)
{
    int rc;

    if (npos != 1)
        return usage_error(c, "%s",
                           npos ? "failover takes one GROUP_ID" : "failover needs a GROUP_ID");
    if (strcmp(o->action, "drill") == 0)
        return usage_error(c, "%s",
                           "failover cannot create a DR drill: check it with check --action drill");
    if ((o->yes || o->in.approved_report) && !o->execute)
        return usage_error(c, "%s", "--yes and --approved-report only make sense with --execute");
    if ((rc = check_format(c, o, OUTPUT_REPORT)) >= 0)
        return rc;
    o->in.group_id = pos[0];
    return cmd_failover(o);
}

static int run_rules(const struct command_def *c, struct app_opts *o, const char **pos, int npos)
{
    int rc;

    if (npos == 0)
        return usage_error(c, "%s", "rules needs a subcommand: list, show ID or test DIR");
    o->subcommand = pos[0];
    if (strcmp(pos[0], "list") == 0) {
        if (npos > 1)
            return usage_error(c, "unexpected argument '%s': rules list takes none", pos[1]);
        if ((rc = check_format(c, o, OUTPUT_RULES)) >= 0)
            return rc;
    } else if (strcmp(pos[0], "show") == 0 || strcmp(pos[0], "test") == 0) {
        if (npos != 2)
            return usage_error(
                c, "%s",
                strcmp(pos[0], "show") == 0
                    ? "rules show needs exactly one argument: the rule ID (see "
                      "'sdrs-preflight rules list')"
                    : "rules test needs exactly one argument: the DIR of test cases");
        if (o->out.format)
            return usage_error(c, "--format applies to rules list, not to rules %s", pos[0]);
        o->argument = pos[1];
    } else {
        return usage_error(c, "unknown rules subcommand '%s' (list, show, test)", pos[0]);
    }
    return cmd_rules(o);
}

/* "-" is standard input for one input file (--snapshot - reads a snapshot from a pipe) and the
 * standard output for -o. An output that must be a file, a second reader of standard input, and
 * standard input while a confirmation would read it, are usage errors. */
static int check_dashes(const struct command_def *c, const struct app_opts *o)
{
    const struct {
        const char *name, *value;
    } in[] = {{"snapshot", o->in.snapshot},
              {"facts", o->in.facts},
              {"waivers", o->in.waivers},
              {"token-file", o->in.token_file},
              {"approved-report", o->in.approved_report},
              {"audit-key-file", o->out.audit_key_file}},
      out[] = {{"save-snapshot", o->in.save_snapshot}, {"audit-log", o->out.audit_log}};
    const char *first = NULL;

    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        if (!in[i].value || strcmp(in[i].value, "-") != 0)
            continue;
        if (first)
            return usage_error(c,
                               "--%s - and --%s - both read standard input: give one of them a "
                               "file (or <(command))",
                               first, in[i].name);
        first = in[i].name;
    }
    if (first && o->execute && !o->yes)
        return usage_error(c,
                           "--%s - reads standard input, where the confirmation is typed: give "
                           "a file, or --yes",
                           first);
    if (o->out.audit_key_file && !o->out.audit_log && c->bit != CLI_VERIFY_LOG)
        return usage_error(c, "%s",
                           "--audit-key-file keys the log of --audit-log FILE: give that too");
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        if (out[i].value && strcmp(out[i].value, "-") == 0)
            return usage_error(c, "--%s needs a FILE, not '-' (-o - writes the standard output)",
                               out[i].name);
    for (size_t i = 0; i < o->out.nreports; i++)
        if (strcmp(o->out.reports[i].file, "-") == 0)
            return usage_error(c,
                               "--report %s=FILE needs a FILE, not '-' (use --format %s for "
                               "the standard output)",
                               o->out.reports[i].format, o->out.reports[i].format);
    return -1;
}

/* Runs the command c with what was parsed. */
static int dispatch(const struct command_def *c, struct app_opts *o, const struct given *g,
                    const char **pos, int npos)
{
    switch (c->bit) {
    case CLI_CHECK:
        return run_check(c, o, g, pos, npos);
    case CLI_RULES:
        return run_rules(c, o, pos, npos);
    case CLI_FETCH:
        if (npos != 1)
            return usage_error(c, "%s",
                               npos ? "fetch takes one GROUP_ID" : "fetch needs a GROUP_ID");
        o->in.group_id = pos[0];
        return cmd_fetch(o);
    case CLI_FAILOVER:
        return run_failover(c, o, pos, npos);
    case CLI_ENDPOINTS:
    case CLI_DOCTOR:
        if (npos > 0)
            return usage_error(c, "unexpected argument '%s'", pos[0]);
        if (o->out.format && strcmp(o->out.format, "text") && strcmp(o->out.format, "json"))
            return usage_error(c, "%s writes --format text or json, not '%s'", c->name,
                               o->out.format);
        return c->bit == CLI_ENDPOINTS ? cmd_endpoints(o) : cmd_doctor(o);
    case CLI_VERIFY_LOG:
        if (npos != 1)
            return usage_error(c, "%s", "verify-log needs exactly one FILE");
        if (strcmp(pos[0], "-") == 0 && o->out.audit_key_file &&
            strcmp(o->out.audit_key_file, "-") == 0)
            return usage_error(c, "%s",
                               "the log and --audit-key-file cannot both be standard input");
        o->argument = pos[0];
        return cmd_verify_log(o);
    default:
        break;
    }
    if (npos > 0)
        return usage_error(c, "unexpected argument '%s'", pos[0]);
    return cmd_version(o);
}

int cli_main(int argc, char **argv)
{
    const struct command_def *c;
    struct app_opts o;
    struct given g = {{false}};
    struct auditlog_key key = {0};
    const char *pos[4];
    int npos = 0, rc;

    app_opts_init(&o);
    if (argc < 2)
        return usage_error(NULL, "%s", "missing command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return print_help(argc > 2 ? command_named(argv[2]) : NULL);
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(&o);
    c = command_named(argv[1]);
    if (!c)
        return usage_error(NULL, "unknown command '%s'", argv[1]);
    o.command = c->name;
    rc = parse_options(argc - 1, argv + 1, c, &o, &g, pos, &npos, 3);
    if (rc >= 0)
        return rc;
    diag_setup(o.out.verbose, o.out.quiet);
    if ((rc = check_dashes(c, &o)) >= 0)
        return rc;
    if ((rc = app_audit_key_load(&o, &key)) != 0)
        return rc;
    rc = dispatch(c, &o, &g, pos, npos);
    auditlog_key_clear(&key);
    return rc;
}
