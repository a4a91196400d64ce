/*
 * The audit log (--audit-log FILE): one JSON object per line, each chained to the line before it.
 *
 * Every line carries "seq" (1, 2, …) and "prev_sha256", the SHA-256 of the previous line's bytes
 * (without its newline; 64 zeros for the first line). Changing, removing or reordering a line
 * breaks the chain at the line after it, and auditlog_verify names that line. Cutting lines off
 * the end cannot be seen from inside the file: keep the head hash that auditlog_verify reports
 * (and that every append returns) somewhere else, e.g. in the change ticket.
 *
 * That chain has no secret: whoever can write the file can edit a line and re-chain the rest. A
 * keyed log (--audit-key-file) closes that: every line ends in "key_id" (a fingerprint of the
 * key) and "mac", the HMAC-SHA256 under the key of the line's bytes without its ',"mac":"…"'
 * suffix. The line includes prev_sha256, the hash of the whole previous line (its MAC too), so
 * the MACs chain: without the key an edited, removed, moved or appended line cannot be made to
 * verify. A log is keyed from its first line or not at all: appending with a key to an unkeyed
 * log, or without one to a keyed log, is refused, and verifying with a key requires a valid MAC on
 * every line (stripping the MACs is an edit).
 *
 * Appends hold an exclusive lock (flock) from reading the last line to writing the new one, so
 * concurrent runs interleave whole, correctly chained lines. Earlier lines are never rewritten;
 * a file whose last line is incomplete is refused rather than extended.
 */
#ifndef SDRS_AUDITLOG_H
#define SDRS_AUDITLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "report.h"
#include "util.h"

struct json_object;

#define AUDITLOG_MAX_LINE    (1u << 20)
#define AUDITLOG_KEY_MIN     16   /* bytes of key, after trimming surrounding white space */
#define AUDITLOG_KEY_MAX     4096 /* bytes of a key file */
#define AUDITLOG_KEY_ID_SIZE 17   /* 16 hex digits and a NUL */

/* The key of a keyed log: secret bytes (wiped by auditlog_key_clear) and their public id. */
struct auditlog_key {
    unsigned char *data;
    size_t len;
    char id[AUDITLOG_KEY_ID_SIZE];
};

/* Reads the key from path (a pipe works; "-" is standard input). The bytes between leading and
 * trailing white space are the key: at least AUDITLOG_KEY_MIN of them. A file that others may
 * read is accepted with *shared set, so that the caller can warn. The key is never shown. */
int auditlog_key_load(const char *path, struct auditlog_key *k, bool *shared, struct err *e);
void auditlog_key_clear(struct auditlog_key *k);

/* Appends entry (borrowed; its members are copied after "seq" and "prev_sha256"), keyed when key
 * is not NULL. head receives the SHA-256 of the line written (UTIL_SHA256_HEX bytes) when not
 * NULL. */
int auditlog_append(const char *path, const struct auditlog_key *key, struct json_object *entry,
                    char *head, struct err *e);

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
    const char *end_state; /* an action: "verified", or the differences, or why not checked */
    const char *message;
    bool executed;         /* an action record: duration_ms and posts are written */
    long long duration_ms; /* from the POST to the verified end state */
    int posts;             /* action POSTs sent */
    long long time;
};

/* Builds the entry (time, user, host, tool, the report's verdict, target and input digests, the
 * rest of ev) and appends it. */
int auditlog_record(const char *path, const struct auditlog_key *key, const struct audit_event *ev,
                    char *head, struct err *e);

struct auditlog_check {
    size_t lines;                      /* lines read */
    size_t keyed;                      /* lines that end in a MAC (checked when a key was given) */
    char key_id[AUDITLOG_KEY_ID_SIZE]; /* the key id of the first keyed line, "" without one */
    size_t broken_line;         /* first line that breaks the chain (1-based), 0 when intact */
    char reason[300];           /* why it is broken */
    char head[UTIL_SHA256_HEX]; /* SHA-256 of the last line ("" for an empty file) */
};

/* Reads the whole log and checks the chain, and with key every line's MAC. Returns 0 when the file
 * could be read (look at out->broken_line), ERR_IO/ERR_LIMIT otherwise. */
int auditlog_verify(const char *path, const struct auditlog_key *key, struct auditlog_check *out,
                    struct err *e);

#endif
