/*
 * The audit log (--audit-log FILE): one JSON object per line, each chained to the line before it.
 *
 * Every line carries "seq" (1, 2, …) and "prev_sha256", the SHA-256 of the previous line's bytes
 * (without its newline; 64 zeros for the first line). Changing, removing or reordering a line
 * breaks the chain at the line after it, and auditlog_verify names that line. Cutting lines off
 * the end cannot be seen from inside the file: keep the head hash that auditlog_verify reports
 * (and that every append returns) somewhere else, e.g. in the change ticket.
 *
 * Appends hold an exclusive lock (flock) from reading the last line to writing the new one, so
 * concurrent runs interleave whole, correctly chained lines. Earlier lines are never rewritten;
 * a file whose last line is incomplete is refused rather than extended.
 */
#ifndef SDRS_AUDITLOG_H
#define SDRS_AUDITLOG_H

#include <stddef.h>

#include "err.h"
#include "report.h"
#include "util.h"

struct json_object;

#define AUDITLOG_MAX_LINE (1u << 20)

/* Appends entry (borrowed; its members are copied after "seq" and "prev_sha256"). head receives
 * the SHA-256 of the line written (UTIL_SHA256_HEX bytes) when not NULL. */
int auditlog_append(const char *path, struct json_object *entry, char *head, struct err *e);

/* One event for the log: a decision (the report of a preflight or a re-check), a refusal, or an
 * executed action and its outcome. NULL members are left out. Nothing secret goes in. */
struct audit_event {
    const char *event; /* "decision", "refused", "action" */
    const char *phase; /* "preflight", "re-check", … */
    const struct report *report;
    const char *command;
    const char *group_id;
    const char *action;
    const char *approved_report_sha256;
    const char *job_id;
    const char *outcome;
    const char *status_after;
    const char *station_after;
    const char *message;
    long long time;
};

/* Builds the entry (time, user, host, tool, the report's verdict, target and input digests, the
 * rest of ev) and appends it. */
int auditlog_record(const char *path, const struct audit_event *ev, char *head, struct err *e);

struct auditlog_check {
    size_t lines;               /* lines read */
    size_t broken_line;         /* first line that breaks the chain (1-based), 0 when intact */
    char reason[300];           /* why it is broken */
    char head[UTIL_SHA256_HEX]; /* SHA-256 of the last line ("" for an empty file) */
};

/* Reads the whole log and checks the chain. Returns 0 when the file could be read (look at
 * out->broken_line), ERR_IO/ERR_LIMIT otherwise. */
int auditlog_verify(const char *path, struct auditlog_check *out, struct err *e);

#endif
