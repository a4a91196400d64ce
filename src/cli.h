/*
 * Command-line front end: one data table of options (name, kind, range, target field, the commands
 * it applies to, help text), from which argv is parsed, each command's --help is written, and a
 * test checks the man page and the bash completion. Parses argv, runs the command, returns the
 * process exit code.
 */
#ifndef SDRS_CLI_H
#define SDRS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The commands, as a bit set for the options that apply to them. */
enum cli_command {
    CLI_CHECK = 1 << 0,
    CLI_FETCH = 1 << 1,
    CLI_FAILOVER = 1 << 2,
    CLI_RULES = 1 << 3,
    CLI_VERIFY_LOG = 1 << 4,
    CLI_VERSION = 1 << 5,
    CLI_ENDPOINTS = 1 << 6,
    CLI_DOCTOR = 1 << 7,
};

/* One option of the table (the details of parsing are private to cli.c). */
struct cli_option_info {
    const char *name;  /* "timeout" (given as --timeout) */
    char short_name;   /* 'o', or 0 */
    const char *arg;   /* "SECONDS", or NULL for a flag */
    unsigned commands; /* enum cli_command bits */
    const char *help;  /* one line */
    const char *section;
};

size_t cli_option_count(void);
const struct cli_option_info *cli_option_at(size_t i);
/* The command's bit for its name ("check"), or 0. */
unsigned cli_command_bit(const char *name);
/* The whole --help text of a command (NULL: the main help) into out. Returns 0 or ERR_NOMEM. */
int cli_help(const char *command, struct buf *out);

int cli_main(int argc, char **argv);

#endif
