#include "cli.h"

#include "app.h"
#include "diag.h"
#include "report.h"
#include "result.h"
#include "util.h"
#include "version.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
    "  rules list              list the rules: built-in and those added with --rules DIR\n"
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

#define USAGE_CONNECTION                                                                           \
    "Connection (live):\n"                                                                         \
    "  --region REGION        e.g. eu-de: the SDRS, ECS, IMS and IAM endpoints of the region\n"    \
    "                         (also OS_REGION_NAME)\n"                                             \
    "  --endpoint URL         the SDRS endpoint, e.g. https://sdrs.eu-de.otc.t-systems.com\n"      \
    "  --ecs-endpoint URL     the ECS endpoint;  --ims-endpoint URL  the IMS endpoint\n"           \
    "  --iam-endpoint URL     the IAM endpoint (password credentials)\n"                           \
    "  --project-id ID        the project (also OS_PROJECT_ID)\n"                                  \
    "  --token-file FILE      read the token from FILE instead of OS_AUTH_TOKEN\n"                 \
    "  --timeout SECONDS      per request attempt (default 30)\n"                                  \
    "  --retries N            retries after a failed attempt (default 3)\n"                        \
    "  --concurrency N        requests in flight (default 16)\n"                                   \
    "  --max-body MIB         largest response body accepted (default 32)\n"                       \
    "  --cacert FILE          CA certificates to verify the servers with\n"                        \
    "  --insecure             do not verify TLS certificates (loud warning; never in "             \
    "production)\n"                                                                                \
    "  --no-images            do not read image details from IMS\n"                                \
    "Credentials come from the environment, first complete set wins: OS_AUTH_TOKEN (or\n"          \
    "--token-file); OS_ACCESS_KEY and OS_SECRET_KEY (or HW_ACCESS_KEY and HW_SECRET_KEY), "        \
    "signed\n"                                                                                     \
    "with SDK-HMAC-SHA256; OS_USERNAME, OS_PASSWORD, OS_USER_DOMAIN_NAME and OS_PROJECT_ID (or\n"  \
    "OS_PROJECT_NAME), exchanged at IAM for a token. Never on the command line.\n"

static const char usage_check[] =
    "usage: " SDRS_NAME " check GROUP_ID [options]\n"
    "       " SDRS_NAME " check --snapshot FILE [options]\n"
    "       " SDRS_NAME " check --all | --snapshot-dir DIR [options]\n"
    "\n"
    "Evaluates the rules over one protection group, fetched live or from a saved snapshot, and\n"
    "prints a go/no-go report with evidence. Exit code 0 GO, 1 NO-GO, 2 usage error,\n"
    "3 INDETERMINATE (never GO when data is missing).\n"
    "\n"
    "Input:\n"
    "  GROUP_ID               the protection group to fetch from the API\n"
    "  --snapshot FILE        a snapshot (sdrs-preflight/snapshot@1) to evaluate instead\n"
    "  --all                  every protection group of the project (fleet audit: a line per\n"
    "                         group; exit code the worst of them, 3 > 1 > 0)\n"
    "  --snapshot-dir DIR     every DIR/*.json snapshot, offline, the same way\n"
    "  --save-snapshot FILE   also save what the live fetch saw (replay it with --snapshot)\n"
    "  --action ACTION        failover (default), planned-failover, enable-protection,\n"
    "                         disable-protection or drill\n"
    "  --facts FILE           facts no API tells: first switchover, Cloud-Init per server\n"
    "  --waivers FILE         reviewed, expiring exceptions (rule, group, reason, approver,\n"
    "                         expiry date); waived results stay in the report as waived\n"
    "Rules:\n"
    "  --rules DIR            add the rules in DIR/*.lua (repeatable; a rule with the id of a\n"
    "                         built-in rule replaces it)\n"
    "  --no-builtin-rules     use only the rules given with --rules\n"
    "  --fail-on warning      warnings block as well (NO-GO)\n"
    "  --rule-instructions N  instruction budget of each rule (default 50000000)\n"
    "  --rule-memory MIB      memory cap of each rule in MiB (default 64)\n"
    "  --max-findings N       findings one rule may report (default 10000)\n"
    "  --max-message BYTES    length of a finding's message (default 2048)\n"
    "  --max-depth N          JSON nesting of a snapshot or an API answer (default 64)\n"
    "  --max-items N          instances, pairs, drills and servers, each (default 20000)\n"
    "Output:\n"
    "  --format FORMAT        text (default), json (sdrs-preflight/report@1), junit (one\n"
    "                         testcase per rule) or markdown (a change-ticket summary)\n"
    "  -o, --output FILE      write the report to FILE instead of standard output; the file is\n"
    "                         replaced atomically and never an input file\n"
    "  --report FORMAT=FILE   also write the report in FORMAT to FILE (repeatable: one\n"
    "                         evaluation, several formats)\n"
    "  -v, --verbose          list every rule's result; -vv adds debug output on stderr\n"
    "  -q, --quiet            only the verdict line (text format) and errors\n"
    "  --no-color             no colour (also off when NO_COLOR is set or output is not a TTY)\n"
    "  --audit-log FILE       append the decision to a hash-chained audit log\n"
    "  -h, --help             this help\n";

static const char usage_failover[] =
    "usage: " SDRS_NAME " failover GROUP_ID [--action ACTION] [--execute [--yes]] [options]\n"
    "\n"
    "Runs the preflight of `check GROUP_ID` and prints its report. Without --execute that is all\n"
    "(a dry run: no write request is sent). With --execute and a GO verdict it asks for the "
    "group's\n"
    "name on the terminal (unless --yes), re-reads and re-evaluates the group, and stops if\n"
    "anything that matters changed; then it sends the action once and follows its job to the end.\n"
    "On NO-GO or INDETERMINATE it refuses and sends nothing.\n"
    "\n"
    "Exit code: 0 the action succeeded (or, dry run, GO); 1 NO-GO, not confirmed, or the group\n"
    "changed; 2 usage error; 3 INDETERMINATE; 4 the action was called but its job failed, SDRS\n"
    "refused it, or it did not finish within --job-timeout.\n"
    "\n"
    "  --action ACTION        failover (default), planned-failover (the side that is not\n"
    "                         production now becomes production), enable-protection,\n"
    "                         disable-protection\n"
    "  --execute              really call the action (only on GO)\n"
    "  --yes                  do not ask for confirmation (pipelines)\n"
    "  --approved-report FILE go ahead only if FILE (a --format json report a reviewer approved)\n"
    "                         is GO for the same group, action, project and rules\n"
    "  --poll-interval SEC    seconds between job polls (default 5, fractions allowed)\n"
    "  --job-timeout SEC      give up following the job after SEC (default 3600)\n"
    "  --audit-log FILE       append the decisions and the action to a hash-chained log\n"
    "                         (check it with 'sdrs-preflight verify-log FILE')\n"
    "Report, rules and facts: as for check (--format, -o, --rules, --facts, --fail-on, -v, -q).\n";

static const char usage_verify_log[] =
    "usage: " SDRS_NAME " verify-log FILE\n"
    "\n"
    "Checks the hash chain of an audit log written with --audit-log: every line must carry the\n"
    "SHA-256 of the line before it. Prints the number of lines and the head hash (record it\n"
    "elsewhere: lines cut off the end cannot be seen from inside the file), or the first broken\n"
    "line. Exit code 0 intact, 1 broken, 2 unreadable.\n";

static const char usage_fetch[] =
    "usage: " SDRS_NAME " fetch GROUP_ID [-o FILE] [options]\n"
    "\n"
    "Fetches the protection group, its protected instances, replication pairs, DR drills, servers\n"
    "and images, and writes the snapshot (sdrs-preflight/snapshot@1) to FILE or standard output.\n"
    "Exit code 0 when everything was read, 3 when the snapshot records fetch errors (it is still\n"
    "written; a check of it is INDETERMINATE) or nothing could be read, 2 for usage errors.\n"
    "\n"
    "  -o, --output FILE      write the snapshot to FILE (atomically) instead of standard output\n"
    "  -v, --verbose          one line per request on stderr; -vv more\n"
    "  -q, --quiet            no notices\n"
    "  -h, --help             this help\n";

static const char usage_connection[] = USAGE_CONNECTION;

static const char usage_rules[] =
    "usage: " SDRS_NAME " rules list [--format text|json] [--rules DIR] [--no-builtin-rules]\n"
    "       " SDRS_NAME " rules show ID [--rules DIR]\n"
    "       " SDRS_NAME " rules test DIR [--rules DIR] [--no-builtin-rules]\n"
    "\n"
    "list  every effective rule: id, severity, actions, source (built-in or path) and title\n"
    "show  one rule's documentation: rationale, remediation, docs, what it reads\n"
    "test  run every test case (*.json with an \"expect\" key) under DIR through the engine and\n"
    "      print one line per case; exit code 1 when a case does not match (see rules/README.md)\n"
    "\n"
    "Options:\n"
    "  --rules DIR            add the rules in DIR/*.lua (repeatable)\n"
    "  --no-builtin-rules     leave out the built-in rules\n"
    "  --format FORMAT        rules list: text (default) or json\n"
    "  -o, --output FILE      write to FILE instead of standard output\n"
    "  -h, --help             this help\n";

static const char usage_version[] = "usage: " SDRS_NAME " version\n";

enum {
    OPT_SNAPSHOT = 256,
    OPT_ACTION,
    OPT_FORMAT,
    OPT_FACTS,
    OPT_RULES,
    OPT_NO_BUILTIN,
    OPT_FAIL_ON,
    OPT_RULE_INSTRUCTIONS,
    OPT_RULE_MEMORY,
    OPT_MAX_FINDINGS,
    OPT_NO_COLOR,
    OPT_VERSION,
    OPT_SAVE_SNAPSHOT,
    OPT_REGION,
    OPT_ENDPOINT,
    OPT_ECS_ENDPOINT,
    OPT_IMS_ENDPOINT,
    OPT_IAM_ENDPOINT,
    OPT_PROJECT_ID,
    OPT_TOKEN_FILE,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_CONCURRENCY,
    OPT_MAX_BODY,
    OPT_CACERT,
    OPT_INSECURE,
    OPT_NO_IMAGES,
    OPT_PAGE_LIMIT,
    OPT_EXECUTE,
    OPT_YES,
    OPT_APPROVED_REPORT,
    OPT_POLL_INTERVAL,
    OPT_JOB_TIMEOUT,
    OPT_AUDIT_LOG,
    OPT_ALL,
    OPT_SNAPSHOT_DIR,
    OPT_REPORT,
    OPT_WAIVERS,
    OPT_MAX_MESSAGE,
    OPT_MAX_DEPTH,
    OPT_MAX_ITEMS,
};

static const struct option long_opts[] = {
    {"snapshot", required_argument, NULL, OPT_SNAPSHOT},
    {"action", required_argument, NULL, OPT_ACTION},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"output", required_argument, NULL, 'o'},
    {"facts", required_argument, NULL, OPT_FACTS},
    {"rules", required_argument, NULL, OPT_RULES},
    {"no-builtin-rules", no_argument, NULL, OPT_NO_BUILTIN},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"rule-instructions", required_argument, NULL, OPT_RULE_INSTRUCTIONS},
    {"rule-memory", required_argument, NULL, OPT_RULE_MEMORY},
    {"max-findings", required_argument, NULL, OPT_MAX_FINDINGS},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"save-snapshot", required_argument, NULL, OPT_SAVE_SNAPSHOT},
    {"region", required_argument, NULL, OPT_REGION},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"ecs-endpoint", required_argument, NULL, OPT_ECS_ENDPOINT},
    {"ims-endpoint", required_argument, NULL, OPT_IMS_ENDPOINT},
    {"iam-endpoint", required_argument, NULL, OPT_IAM_ENDPOINT},
    {"project-id", required_argument, NULL, OPT_PROJECT_ID},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"no-images", no_argument, NULL, OPT_NO_IMAGES},
    {"page-limit", required_argument, NULL, OPT_PAGE_LIMIT},
    {"execute", no_argument, NULL, OPT_EXECUTE},
    {"yes", no_argument, NULL, OPT_YES},
    {"approved-report", required_argument, NULL, OPT_APPROVED_REPORT},
    {"poll-interval", required_argument, NULL, OPT_POLL_INTERVAL},
    {"job-timeout", required_argument, NULL, OPT_JOB_TIMEOUT},
    {"audit-log", required_argument, NULL, OPT_AUDIT_LOG},
    {"all", no_argument, NULL, OPT_ALL},
    {"report", required_argument, NULL, OPT_REPORT},
    {"waivers", required_argument, NULL, OPT_WAIVERS},
    {"max-message", required_argument, NULL, OPT_MAX_MESSAGE},
    {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
    {"max-items", required_argument, NULL, OPT_MAX_ITEMS},
    {"snapshot-dir", required_argument, NULL, OPT_SNAPSHOT_DIR},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *help, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const char *help, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: error: ", SDRS_NAME);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%.*s", (int)strcspn(help, "\n") + 1, help);
    fprintf(stderr, "Try '%s --help' for more.\n", SDRS_NAME);
    return EXIT_USAGE;
}

/* Parses a whole-number option value within [min, max]. */
static bool number_arg(const char *s, long long min, long long max, long long *out)
{
    return util_parse_int(s, out) && *out >= min && *out <= max;
}

/* Prints a command's help; the live commands add the connection options. */
static void print_help(const char *help)
{
    fputs(help, stdout);
    if (help == usage_check || help == usage_failover || help == usage_fetch)
        fputs(usage_connection, stdout);
}

static const char *help_for(const char *command)
{
    if (!command)
        return usage_main;
    if (strcmp(command, "check") == 0)
        return usage_check;
    if (strcmp(command, "rules") == 0)
        return usage_rules;
    if (strcmp(command, "version") == 0)
        return usage_version;
    if (strcmp(command, "fetch") == 0)
        return usage_fetch;
    if (strcmp(command, "failover") == 0)
        return usage_failover;
    if (strcmp(command, "verify-log") == 0)
        return usage_verify_log;
    return NULL;
}

/* Parses the options after the command word into o. Returns -1 to go on, else an exit code. */
static int parse_options(int argc, char **argv, const char *help, struct app_opts *o,
                         const char **pos, int *npos)
{
    long long v;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:vqh", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_SNAPSHOT:
            o->snapshot = optarg;
            break;
        case OPT_ACTION:
            if (!action_valid(optarg))
                return usage_error(help,
                                   "unknown action '%s' (choose failover, planned-failover, "
                                   "enable-protection, disable-protection or drill)",
                                   optarg);
            o->action = optarg;
            break;
        case OPT_FORMAT:
            o->format = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case OPT_FACTS:
            o->facts = optarg;
            break;
        case OPT_RULES:
            if (o->nrule_dirs == APP_MAX_RULE_DIRS)
                return usage_error(help, "too many --rules directories (at most 16): '%s'", optarg);
            o->rule_dirs[o->nrule_dirs++] = optarg;
            break;
        case OPT_NO_BUILTIN:
            o->no_builtin = true;
            break;
        case OPT_FAIL_ON:
            if (strcmp(optarg, "warning") == 0)
                o->fail_on_warning = true;
            else if (strcmp(optarg, "blocker") == 0)
                o->fail_on_warning = false;
            else
                return usage_error(help, "--fail-on takes 'warning' or 'blocker', not '%s'",
                                   optarg);
            break;
        case OPT_RULE_INSTRUCTIONS:
            if (!number_arg(optarg, 1000, 1000000000000LL, &v))
                return usage_error(help,
                                   "--rule-instructions needs a number from 1000 to 10^12, "
                                   "not '%s'",
                                   optarg);
            o->limits.instructions = v;
            break;
        case OPT_RULE_MEMORY:
            if (!number_arg(optarg, 1, 4096, &v))
                return usage_error(help, "--rule-memory needs MiB from 1 to 4096, not '%s'",
                                   optarg);
            o->limits.memory = (size_t)v << 20;
            break;
        case OPT_MAX_FINDINGS:
            if (!number_arg(optarg, 1, 1000000, &v))
                return usage_error(
                    help, "--max-findings needs a number from 1 to 1000000, not '%s'", optarg);
            o->max_findings = (size_t)v;
            break;
        case OPT_SAVE_SNAPSHOT:
            o->save_snapshot = optarg;
            break;
        case OPT_REGION:
            o->endpoints.region = optarg;
            break;
        case OPT_ENDPOINT:
            o->endpoints.sdrs = optarg;
            break;
        case OPT_ECS_ENDPOINT:
            o->endpoints.ecs = optarg;
            break;
        case OPT_IMS_ENDPOINT:
            o->endpoints.ims = optarg;
            break;
        case OPT_IAM_ENDPOINT:
            o->endpoints.iam = optarg;
            break;
        case OPT_PROJECT_ID:
            o->endpoints.project_id = optarg;
            break;
        case OPT_TOKEN_FILE:
            o->token_file = optarg;
            break;
        case OPT_TIMEOUT: {
            double d;
            if (!util_parse_double(optarg, &d) || d < 0.1 || d > 3600)
                return usage_error(help, "--timeout needs seconds from 0.1 to 3600, not '%s'",
                                   optarg);
            o->timeout_ms = (long)(d * 1000);
            break;
        }
        case OPT_RETRIES:
            if (!number_arg(optarg, 0, 10, &v))
                return usage_error(help, "--retries needs a number from 0 to 10, not '%s'", optarg);
            o->retries = (int)v;
            break;
        case OPT_CONCURRENCY:
            if (!number_arg(optarg, 1, 256, &v))
                return usage_error(help, "--concurrency needs a number from 1 to 256, not '%s'",
                                   optarg);
            o->concurrency = (int)v;
            break;
        case OPT_MAX_BODY:
            if (!number_arg(optarg, 1, 1024, &v))
                return usage_error(help, "--max-body needs MiB from 1 to 1024, not '%s'", optarg);
            o->max_body = (size_t)v << 20;
            break;
        case OPT_PAGE_LIMIT:
            if (!number_arg(optarg, 1, 1000, &v))
                return usage_error(help, "--page-limit needs a number from 1 to 1000, not '%s'",
                                   optarg);
            o->page_limit = (size_t)v;
            break;
        case OPT_EXECUTE:
            o->execute = true;
            break;
        case OPT_YES:
            o->yes = true;
            break;
        case OPT_APPROVED_REPORT:
            o->approved_report = optarg;
            break;
        case OPT_AUDIT_LOG:
            o->audit_log = optarg;
            break;
        case OPT_ALL:
            o->all = true;
            break;
        case OPT_WAIVERS:
            o->waivers = optarg;
            break;
        case OPT_MAX_MESSAGE:
            if (!number_arg(optarg, 64, 65536, &v))
                return usage_error(help, "--max-message needs bytes from 64 to 65536, not '%s'",
                                   optarg);
            o->max_message = (size_t)v;
            break;
        case OPT_MAX_DEPTH:
            if (!number_arg(optarg, 8, 1000, &v))
                return usage_error(help, "--max-depth needs a number from 8 to 1000, not '%s'",
                                   optarg);
            o->max_depth = (int)v;
            break;
        case OPT_MAX_ITEMS:
            if (!number_arg(optarg, 1, 1000000, &v))
                return usage_error(help, "--max-items needs a number from 1 to 1000000, not '%s'",
                                   optarg);
            o->max_items = (size_t)v;
            break;
        case OPT_REPORT: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1])
                return usage_error(help, "--report takes FORMAT=FILE, not '%s'", optarg);
            *eq = '\0';
            if (!report_renderer(optarg))
                return usage_error(help, "--report: unknown format '%s' (choose one of: %s)",
                                   optarg, report_formats());
            if (o->nreports == APP_MAX_REPORTS)
                return usage_error(help, "too many --report options (at most 8): '%s'", eq + 1);
            o->reports[o->nreports++] = (struct app_report){optarg, eq + 1};
            break;
        }
        case OPT_SNAPSHOT_DIR:
            o->snapshot_dir = optarg;
            break;
        case OPT_POLL_INTERVAL:
        case OPT_JOB_TIMEOUT: {
            double d;
            bool poll = c == OPT_POLL_INTERVAL;
            if (!util_parse_double(optarg, &d) || d < (poll ? 0.05 : 1) || d > (poll ? 600 : 86400))
                return usage_error(help, "%s needs seconds from %s to %s, not '%s'",
                                   poll ? "--poll-interval" : "--job-timeout", poll ? "0.05" : "1",
                                   poll ? "600" : "86400", optarg);
            if (poll)
                o->poll_interval_ms = (long)(d * 1000);
            else
                o->job_timeout_ms = (long)(d * 1000);
            break;
        }
        case OPT_CACERT:
            o->cacert = optarg;
            break;
        case OPT_INSECURE:
            o->insecure = true;
            break;
        case OPT_NO_IMAGES:
            o->no_images = true;
            break;
        case 'v':
            o->verbose++;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_NO_COLOR:
            o->no_color = true;
            break;
        case 'h':
            print_help(help);
            return 0;
        case OPT_VERSION:
            return app_version(o);
        case ':':
            return usage_error(help, "option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error(help, "unknown option '%s'", argv[optind - 1]);
        }
    }
    *npos = 0;
    for (int i = optind; i < argc; i++) {
        if (*npos == 4)
            return usage_error(help, "unexpected argument '%s'", argv[i]);
        pos[(*npos)++] = argv[i];
    }
    return -1;
}

static int run_check(struct app_opts *o, const char **pos, int npos)
{
    int sources = (npos > 0) + (o->snapshot != NULL) + o->all + (o->snapshot_dir != NULL);

    if (npos > 1)
        return usage_error(usage_check, "unexpected argument '%s'", pos[1]);
    if (sources > 1)
        return usage_error(usage_check, "%s",
                           "give one of GROUP_ID, --snapshot FILE, --all or --snapshot-dir DIR");
    if (sources == 0)
        return usage_error(usage_check, "%s",
                           "check needs a GROUP_ID (live) or --snapshot FILE (offline); --all or "
                           "--snapshot-dir DIR for every group");
    if (o->save_snapshot && npos == 0)
        return usage_error(usage_check, "%s", "--save-snapshot needs a live check of a GROUP_ID");
    if (o->all || o->snapshot_dir)
        return app_fleet(o);
    if (npos == 1)
        o->group_id = pos[0];
    return app_check(o);
}

static int run_failover(struct app_opts *o, const char **pos, int npos)
{
    if (npos != 1)
        return usage_error(usage_failover, "%s",
                           npos ? "failover takes one GROUP_ID" : "failover needs a GROUP_ID");
    if (o->snapshot)
        return usage_error(usage_failover, "%s",
                           "failover works on the live group, not on --snapshot (use check "
                           "--snapshot to evaluate a saved one)");
    if (strcmp(o->action, "drill") == 0)
        return usage_error(usage_failover, "%s",
                           "failover cannot create a DR drill: check it with check --action drill");
    if ((o->yes || o->approved_report) && !o->execute)
        return usage_error(usage_failover, "%s",
                           "--yes and --approved-report only make sense with --execute");
    o->group_id = pos[0];
    return app_failover(o);
}

static int run_verify_log(struct app_opts *o, const char **pos, int npos)
{
    if (npos != 1)
        return usage_error(usage_verify_log, "%s", "verify-log needs exactly one FILE");
    o->argument = pos[0];
    return app_verify_log(o);
}

static int run_fetch(struct app_opts *o, const char **pos, int npos)
{
    if (npos != 1)
        return usage_error(usage_fetch, "%s",
                           npos ? "fetch takes one GROUP_ID" : "fetch needs a GROUP_ID");
    o->group_id = pos[0];
    return app_fetch(o);
}

static int run_rules(struct app_opts *o, const char **pos, int npos)
{
    if (npos == 0)
        return usage_error(usage_rules, "%s",
                           "rules needs a subcommand: list, show ID or test DIR");
    o->subcommand = pos[0];
    if (strcmp(pos[0], "list") == 0) {
        if (npos > 1)
            return usage_error(usage_rules, "unexpected argument '%s'", pos[1]);
    } else if (strcmp(pos[0], "show") == 0 || strcmp(pos[0], "test") == 0) {
        if (npos != 2)
            return usage_error(usage_rules, "rules %s needs exactly one argument", pos[0]);
        o->argument = pos[1];
    } else {
        return usage_error(usage_rules, "unknown rules subcommand '%s' (list, show, test)", pos[0]);
    }
    return app_rules(o);
}

int cli_main(int argc, char **argv)
{
    struct app_opts o = {.action = "failover", .retries = -1};
    const char *pos[4];
    const char *help;
    int npos = 0, rc;

    if (argc < 2)
        return usage_error(usage_main, "%s", "missing command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        help = argc > 2 ? help_for(argv[2]) : usage_main;
        print_help(help ? help : usage_main);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return app_version(&o);
    help = help_for(argv[1]);
    if (!help)
        return usage_error(usage_main, "unknown command '%s'", argv[1]);
    o.command = argv[1];
    rc = parse_options(argc - 1, argv + 1, help, &o, pos, &npos);
    if (rc >= 0)
        return rc;
    diag_setup(o.verbose, o.quiet);
    if (strcmp(o.command, "check") == 0)
        return run_check(&o, pos, npos);
    if (strcmp(o.command, "rules") == 0)
        return run_rules(&o, pos, npos);
    if (strcmp(o.command, "fetch") == 0)
        return run_fetch(&o, pos, npos);
    if (strcmp(o.command, "failover") == 0)
        return run_failover(&o, pos, npos);
    if (strcmp(o.command, "verify-log") == 0)
        return run_verify_log(&o, pos, npos);
    if (npos > 0)
        return usage_error(help, "unexpected argument '%s'", pos[0]);
    return app_version(&o);
}
