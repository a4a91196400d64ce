/*
 * The application layer: runs one command from parsed options and returns the process exit code.
 * It is the only layer (with cli.c) that prints.
 */
#ifndef SDRS_APP_H
#define SDRS_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "sandbox.h"

#define APP_MAX_RULE_DIRS 16
#define APP_MAX_REPORTS   8

/* --report FORMAT=FILE */
struct app_report {
    const char *format;
    const char *file;
};

struct app_opts {
    const char *command;    /* "check", "fetch", "failover", "rules", "verify-log", "version" */
    const char *subcommand; /* rules: "list", "show", "test" */
    const char *argument;   /* GROUP_ID, rule id, test directory */
    const char *snapshot;
    const char *action;
    const char *format;
    const char *output;
    const char *facts;
    const char *waivers;
    const char *rule_dirs[APP_MAX_RULE_DIRS];
    size_t nrule_dirs;
    bool no_builtin;
    bool fail_on_warning;
    struct sandbox_limits limits;
    size_t max_findings;
    size_t max_message;
    int max_depth;
    size_t max_items;
    int verbose;
    bool quiet;
    bool no_color;
    /* live fetch */
    const char *group_id;
    const char *save_snapshot;
    const char *token_file;
    struct endpoint_flags endpoints;
    long timeout_ms;
    int retries;
    int concurrency;
    size_t max_body;
    size_t page_limit;
    const char *cacert;
    bool insecure;
    bool no_images;
    /* failover */
    bool execute;
    bool yes;
    const char *approved_report;
    long poll_interval_ms;
    long job_timeout_ms;
    const char *audit_log;
    struct app_report reports[APP_MAX_REPORTS];
    size_t nreports;
    /* fleet */
    bool all;
    const char *snapshot_dir;
};

int app_check(const struct app_opts *o);
int app_fetch(const struct app_opts *o);
int app_failover(const struct app_opts *o);
int app_fleet(const struct app_opts *o);
int app_verify_log(const struct app_opts *o);
int app_rules(const struct app_opts *o);
int app_version(const struct app_opts *o);

#endif
