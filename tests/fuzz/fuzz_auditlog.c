/*
 * fuzz_auditlog: the input as an audit log file. auditlog_verify, with and without the key, fails
 * only when the file cannot be read, names a broken line inside the file with a one-line reason,
 * and gives a head hash; appending (keyed and unkeyed) is either refused, leaving the file as it
 * was, or adds one line, and a log that verified intact before still verifies intact after.
 */
#include "fuzz.h"

#include "auditlog.h"
#include "jsonutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The key of the keyed seeds (make-corpus.py AUDIT_KEY). */
#define FUZZ_AUDIT_KEY "fuzz-audit-key-0123456789abcdef"

static char log_path[64];
static struct auditlog_key key;

static void cleanup(void)
{
    unlink(log_path);
    auditlog_key_clear(&key);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char key_path[64] = "/tmp/fuzz-auditkey-XXXXXX";
    struct err e = {0};
    bool shared;
    int fd;

    (void)argc;
    (void)argv;
    fd = mkstemp(key_path);
    FUZZ_ASSERT(fd >= 0 && write(fd, FUZZ_AUDIT_KEY, strlen(FUZZ_AUDIT_KEY)) > 0, "key file");
    close(fd);
    FUZZ_ASSERT(auditlog_key_load(key_path, &key, &shared, &e) == 0, "%s", e.msg);
    unlink(key_path);
    /* every append is fsync'ed: in memory (/dev/shm) a run makes ten times the executions */
    snprintf(log_path, sizeof log_path, "%s/fuzz-auditlog-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    fd = mkstemp(log_path);
    FUZZ_ASSERT(fd >= 0, "log file");
    close(fd);
    atexit(cleanup);
    return 0;
}

static void put(const uint8_t *data, size_t size)
{
    FILE *f = fopen(log_path, "wb");

    FUZZ_ASSERT(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write the log");
}

static void verify(const struct auditlog_key *k, struct auditlog_check *c)
{
    struct err e = {0};

    FUZZ_ASSERT(auditlog_verify(log_path, k, c, &e) == 0, "verify failed: %s", e.msg);
    FUZZ_ASSERT(c->broken_line <= c->lines, "broken line %zu of %zu", c->broken_line, c->lines);
    FUZZ_ASSERT(!c->broken_line || c->reason[0], "broken without a reason");
    FUZZ_ASSERT(!strchr(c->reason, '\n'), "reason with a newline: %s", c->reason);
    FUZZ_ASSERT(c->keyed <= c->lines, "%zu keyed of %zu lines", c->keyed, c->lines);
    FUZZ_ASSERT(c->lines == 0 || strlen(c->head) == 64, "head '%s'", c->head);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct auditlog_check before[2], after;
    const struct auditlog_key *keys[2] = {NULL, &key};

    if (size > 65536)
        return 0;
    put(data, size);
    verify(NULL, &before[0]);
    verify(&key, &before[1]);
    for (int i = 0; i < 2; i++) {
        struct json_object *entry = json_object_new_object();
        char head[UTIL_SHA256_HEX];
        struct err e = {0};
        int rc;

        FUZZ_ASSERT(entry, "out of memory");
        json_object_object_add(entry, "event", json_object_new_string("fuzz"));
        json_object_object_add(entry, "seq", json_object_new_int(-1)); /* never copied */
        put(data, size);
        rc = auditlog_append(log_path, keys[i], entry, head, &e);
        json_object_put(entry);
        verify(keys[i], &after);
        if (rc != 0) {
            FUZZ_ASSERT(e.msg[0], "refused without a message");
            FUZZ_ASSERT(after.lines == before[i].lines && strcmp(after.head, before[i].head) == 0,
                        "a refused append changed the log");
            continue;
        }
        FUZZ_ASSERT(after.lines == before[i].lines + 1, "%zu lines after appending to %zu",
                    after.lines, before[i].lines);
        FUZZ_ASSERT(strcmp(after.head, head) == 0, "the head is not the appended line's hash");
        if (!before[i].broken_line)
            FUZZ_ASSERT(!after.broken_line, "appending (%s) broke an intact log at line %zu: %s",
                        keys[i] ? "keyed" : "unkeyed", after.broken_line, after.reason);
    }
    return 0;
}
