#include "auditlog.h"

#include "buf.h"
#include "jsonutil.h"
#include "version.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZERO_HASH         "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDITLOG_MAX_FILE (256u << 20)

/* Reads the last line of the open file (without its newline) into line. An empty file gives an
 * empty line; a file not ending in a newline is an error. */
static int read_last_line(int fd, const char *path, struct buf *line, struct err *e)
{
    struct stat st;
    off_t end, start;
    char *chunk;
    ssize_t n;

    if (fstat(fd, &st) != 0)
        return err_set(e, ERR_IO, "cannot read audit log '%s': %s", path, strerror(errno));
    if (st.st_size == 0)
        return 0;
    end = st.st_size;
    start = end > (off_t)AUDITLOG_MAX_LINE + 1 ? end - (off_t)AUDITLOG_MAX_LINE - 1 : 0;
    chunk = malloc((size_t)(end - start));
    if (!chunk)
        return err_set(e, ERR_NOMEM, "out of memory");
    n = pread(fd, chunk, (size_t)(end - start), start);
    if (n != end - start) {
        free(chunk);
        return err_set(e, ERR_IO, "cannot read audit log '%s': %s", path,
                       n < 0 ? strerror(errno) : "short read");
    }
    if (chunk[n - 1] != '\n') {
        free(chunk);
        return err_set(e, ERR_INVALID,
                       "audit log '%s' ends with an incomplete line: check it with "
                       "'sdrs-preflight verify-log %s'; nothing was appended",
                       path, path);
    }
    for (ssize_t i = n - 2; i >= -1; i--) {
        if (i == -1 && start > 0)
            break;
        if (i == -1 || chunk[i] == '\n') {
            int rc = buf_add(line, chunk + i + 1, (size_t)(n - 2 - i));
            free(chunk);
            return rc ? err_set(e, rc, "out of memory") : 0;
        }
    }
    free(chunk);
    return err_set(e, ERR_LIMIT, "audit log '%s': the last line is longer than %u bytes", path,
                   AUDITLOG_MAX_LINE);
}

/* ---- the key -------------------------------------------------------------------------------- */

#define MAC_PREFIX     ",\"mac\":\""
#define MAC_PREFIX_LEN (sizeof MAC_PREFIX - 1)
#define MAC_SUFFIX_LEN (MAC_PREFIX_LEN + 64 + 2) /* ,"mac":"<64 hex>"} */
#define KEY_ID_LABEL   "sdrs-preflight audit log key id"

int auditlog_key_load(const char *path, struct auditlog_key *k, bool *shared, struct err *e)
{
    struct buf b;
    size_t start = 0, end;
    char id[UTIL_SHA256_HEX];
    struct stat st;
    int rc;

    memset(k, 0, sizeof *k);
    *shared = false;
    buf_init(&b, AUDITLOG_KEY_MAX);
    rc = util_read_file(path, AUDITLOG_KEY_MAX, &b, e);
    if (rc) {
        buf_wipe_free(&b);
        return err_prefix(e, rc, "audit key file");
    }
    end = b.len;
    while (start < end && isspace((unsigned char)b.data[start]))
        start++;
    while (end > start && isspace((unsigned char)b.data[end - 1]))
        end--;
    if (end - start < AUDITLOG_KEY_MIN) {
        buf_wipe_free(&b);
        return err_set(e, ERR_INVALID,
                       "audit key file '%s' holds %zu bytes of key, fewer than %d: make one with "
                       "'head -c 32 /dev/urandom | base64 > FILE' (and keep it from the log's "
                       "writers)",
                       util_path_label(path), end - start, AUDITLOG_KEY_MIN);
    }
    k->data = malloc(end - start);
    if (!k->data) {
        buf_wipe_free(&b);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    memcpy(k->data, b.data + start, end - start);
    k->len = end - start;
    buf_wipe_free(&b);
    if (util_hmac_sha256_hex(k->data, k->len, KEY_ID_LABEL, strlen(KEY_ID_LABEL), id)) {
        auditlog_key_clear(k);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    memcpy(k->id, id, AUDITLOG_KEY_ID_SIZE - 1);
    k->id[AUDITLOG_KEY_ID_SIZE - 1] = '\0';
    *shared = strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
              (st.st_mode & 077) != 0;
    return 0;
}

void auditlog_key_clear(struct auditlog_key *k)
{
    if (k->data)
        explicit_bzero(k->data, k->len);
    free(k->data);
    memset(k, 0, sizeof *k);
}

/* When line ends in the MAC suffix, the MAC's 64 hex digits; else NULL. */
static const char *line_mac_of(const char *line, size_t len)
{
    const char *tail, *mac;

    if (len < MAC_SUFFIX_LEN + 2)
        return NULL;
    tail = line + len - MAC_SUFFIX_LEN;
    mac = tail + MAC_PREFIX_LEN;
    if (memcmp(tail, MAC_PREFIX, MAC_PREFIX_LEN) != 0 || memcmp(mac + 64, "\"}", 2) != 0)
        return NULL;
    for (size_t i = 0; i < 64; i++)
        if (!strchr("0123456789abcdef", mac[i]) || !mac[i])
            return NULL;
    return mac;
}

/* The MAC a keyed line must carry: over its bytes without the MAC suffix, closed by '}'. */
static int line_mac(const struct auditlog_key *k, const char *line, size_t len, char *out)
{
    struct buf body;
    int rc;

    buf_init(&body, 0);
    rc = buf_add(&body, line, len - MAC_SUFFIX_LEN);
    rc = rc ? rc : buf_adds(&body, "}");
    rc = rc ? rc : util_hmac_sha256_hex(k->data, k->len, body.data, body.len, out);
    buf_free(&body);
    return rc;
}

/* Why a keyed line does not verify under k, or NULL when it does. */
static const char *mac_problem(const struct auditlog_key *k, struct json_object *o,
                               const char *line, size_t len)
{
    const char *mac = line_mac_of(line, len), *id = jsonutil_get_str(o, "key_id");
    char want[UTIL_SHA256_HEX];

    if (!mac)
        return "the line has no MAC: it was written without the key, or its MAC was removed";
    if (!id || strcmp(id, k->id) != 0)
        return "the line was written with another key (its key_id is not the given key's)";
    if (line_mac(k, line, len, want) != 0)
        return "out of memory";
    if (!util_secret_equal(want, mac, 64))
        return "the MAC does not match: the line was changed, or forged without the key";
    return NULL;
}

/* ---- appending ------------------------------------------------------------------------------- */

/* Checks that the log's last line (parsed into last) can be followed by a line of this kind and
 * gives its seq. */
static int check_last(const char *path, const struct auditlog_key *key, struct json_object *last,
                      const struct buf *line, long long *seq, struct err *e)
{
    const char *label = util_path_label(path), *why;
    bool keyed = line_mac_of(line->data, line->len) != NULL;
    struct json_object *seqv;

    if (!jsonutil_get(last, "seq", &seqv) || !json_object_is_type(seqv, json_type_int))
        return err_set(e, ERR_INVALID,
                       "audit log '%s': the last line is not an audit entry: check it with "
                       "'sdrs-preflight verify-log %s'; nothing was appended",
                       label, label);
    *seq = json_object_get_int64(seqv);
    if (*seq < 1 || *seq >= INT64_MAX)
        return err_set(e, ERR_INVALID,
                       "audit log '%s': the last line's seq %.40s is out of range (1 to %lld): "
                       "check it with 'sdrs-preflight verify-log %s'; nothing was appended",
                       label, json_object_to_json_string(seqv), (long long)INT64_MAX - 1, label);
    if (key && !keyed)
        return err_set(e, ERR_INVALID,
                       "audit log '%s' was begun without a key: a keyed log is keyed from its "
                       "first line, so give --audit-log a new file; nothing was appended",
                       label);
    if (!key && keyed)
        return err_set(e, ERR_INVALID,
                       "audit log '%s' is keyed: give --audit-key-file with its key; nothing was "
                       "appended",
                       label);
    if (key && (why = mac_problem(key, last, line->data, line->len)) != NULL)
        return err_set(e, ERR_INVALID,
                       "audit log '%s': the last line does not verify with the key (%s): check it "
                       "with 'sdrs-preflight verify-log --audit-key-file KEY %s'; nothing was "
                       "appended",
                       label, why, label);
    return 0;
}

int auditlog_append(const char *path, const struct auditlog_key *key, struct json_object *entry,
                    char *head, struct err *e)
{
    struct json_object *line_obj = NULL, *last = NULL;
    struct buf prev_line, out;
    char prev[UTIL_SHA256_HEX], mac[UTIL_SHA256_HEX];
    long long seq = 0;
    const char *text;
    size_t tlen;
    int fd, rc = 0;

    buf_init(&prev_line, AUDITLOG_MAX_LINE);
    buf_init(&out, AUDITLOG_MAX_LINE + 2);
    fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(e, ERR_IO, "cannot open audit log '%s': %s", path, strerror(errno));
    if (flock(fd, LOCK_EX) != 0) {
        rc = err_set(e, ERR_IO, "cannot lock audit log '%s': %s", path, strerror(errno));
        goto out;
    }
    if ((rc = read_last_line(fd, path, &prev_line, e)) != 0)
        goto out;
    if (prev_line.len) {
        struct err pe = {0};
        if (jsonutil_parse(prev_line.data, prev_line.len, "the last line", 16, &last, &pe) ||
            !json_object_is_type(last, json_type_object)) {
            rc = err_set(e, ERR_INVALID,
                         "audit log '%s': the last line is not an audit entry: check it with "
                         "'sdrs-preflight verify-log %s'; nothing was appended",
                         path, path);
            goto out;
        }
        if ((rc = check_last(path, key, last, &prev_line, &seq, e)) != 0)
            goto out;
        util_sha256_hex(prev_line.data, prev_line.len, prev);
    } else {
        snprintf(prev, sizeof prev, "%s", ZERO_HASH);
    }
    line_obj = json_object_new_object();
    if (!line_obj || json_object_object_add(line_obj, "seq", json_object_new_int64(seq + 1)) ||
        json_object_object_add(line_obj, "prev_sha256", json_object_new_string(prev))) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    json_object_object_foreach(entry, k, val)
    {
        if (strcmp(k, "seq") && strcmp(k, "prev_sha256") && strcmp(k, "key_id") && strcmp(k, "mac"))
            json_object_object_add(line_obj, k, json_object_get(val));
    }
    if (key && json_object_object_add(line_obj, "key_id", json_object_new_string(key->id))) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    text = json_object_to_json_string_ext(line_obj,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    tlen = text ? strlen(text) : 0;
    if (!text || (key && util_hmac_sha256_hex(key->data, key->len, text, tlen, mac))) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    /* a keyed line is the entry with ,"mac":"…" before its closing brace */
    rc = buf_add(&out, text, key ? tlen - 1 : tlen);
    if (!rc && key)
        rc = buf_printf(&out, MAC_PREFIX "%s\"}", mac);
    if (rc || (rc = buf_adds(&out, "\n")) != 0) {
        rc = err_set(e, rc == ERR_LIMIT ? ERR_LIMIT : ERR_NOMEM, "audit entry too large");
        goto out;
    }
    /* One write of the whole line, then make it durable before the action goes ahead. */
    if (write(fd, out.data, out.len) != (ssize_t)out.len || fsync(fd) != 0) {
        rc = err_set(e, ERR_IO, "cannot write audit log '%s': %s", path, strerror(errno));
        goto out;
    }
    if (head)
        util_sha256_hex(out.data, out.len - 1, head);
out:
    close(fd); /* releases the lock */
    json_object_put(line_obj);
    json_object_put(last);
    buf_free(&prev_line);
    buf_free(&out);
    return rc;
}

/* ---- verifying ------------------------------------------------------------------------------- */

static void broken(struct auditlog_check *out, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void broken(struct auditlog_check *out, size_t line, const char *fmt, ...)
{
    va_list ap;

    if (out->broken_line)
        return;
    out->broken_line = line;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

int auditlog_verify(const char *path, const struct auditlog_key *key, struct auditlog_check *out,
                    struct err *e)
{
    struct buf b;
    char prev[UTIL_SHA256_HEX] = ZERO_HASH;
    const char *p, *end;
    int rc;

    memset(out, 0, sizeof *out);
    buf_init(&b, 0);
    rc = util_read_file(path, AUDITLOG_MAX_FILE, &b, e);
    if (rc) {
        buf_free(&b);
        return err_prefix(e, rc, "audit log");
    }
    p = buf_str(&b);
    end = p + b.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *why;
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct json_object *o = NULL, *v = NULL;
        struct err pe = {0};
        size_t line = ++out->lines;
        bool keyed = line_mac_of(p, len) != NULL;

        if (keyed && ++out->keyed == 1 && line == 1) {
            const char *id = NULL;
            if (!jsonutil_parse(p, len, "line", 16, &o, &pe) &&
                (id = jsonutil_get_str(o, "key_id")) != NULL)
                snprintf(out->key_id, sizeof out->key_id, "%.16s", id);
            json_object_put(o);
            o = NULL;
        }
        if (!nl) {
            broken(out, line, "the line is incomplete (no newline): the last write was cut off");
        } else if (jsonutil_parse(p, len, "line", 16, &o, &pe) ||
                   !json_object_is_type(o, json_type_object)) {
            broken(out, line, "not a JSON object (the line was changed)");
        } else if (!jsonutil_get(o, "seq", &v) || !json_object_is_type(v, json_type_int) ||
                   json_object_get_int64(v) != (long long)line) {
            /* json-c saturates an integer beyond int64 (at UINT64_MAX): not a number to show */
            char shown[64];
            if (v && json_object_is_type(v, json_type_int) &&
                json_object_get_uint64(v) > (uint64_t)INT64_MAX)
                snprintf(shown, sizeof shown, "out of range (beyond %lld)", (long long)INT64_MAX);
            else
                snprintf(shown, sizeof shown, "%.40s",
                         v ? json_object_to_json_string(v) : "missing");
            broken(out, line, "seq is %s, expected %zu (a line before it was removed or moved)",
                   shown, line);
        } else if (!jsonutil_get_str(o, "prev_sha256") ||
                   strcmp(jsonutil_get_str(o, "prev_sha256"), prev) != 0) {
            broken(out, line,
                   line == 1 ? "the first line does not start the chain"
                             : "the previous line's hash does not match (line %zu was "
                               "changed, removed or moved)",
                   line - 1);
        } else if (key && (why = mac_problem(key, o, p, len)) != NULL) {
            broken(out, line, "%s", why);
        } else if (!key && (keyed ? out->keyed != line : out->keyed != 0)) {
            broken(out, line,
                   keyed ? "a keyed line follows unkeyed ones (forged, or the log was mixed)"
                         : "an unkeyed line in a keyed log (its MAC was removed, or it was "
                           "forged)");
        }
        json_object_put(o);
        util_sha256_hex(p, len, prev);
        snprintf(out->head, sizeof out->head, "%s", prev);
        p += len + (nl ? 1 : 0);
    }
    buf_free(&b);
    return 0;
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
    if (v && *v)
        json_object_object_add(o, key, json_object_new_string(v));
}

int auditlog_record(const char *path, const struct auditlog_key *key, const struct audit_event *ev,
                    char *head, struct err *e)
{
    struct json_object *o = json_object_new_object();
    char when[32], host[256] = "", *user = NULL;
    struct passwd pw, *pwp = NULL;
    char pwbuf[1024];
    int rc;

    if (!o)
        return err_set(e, ERR_NOMEM, "out of memory");
    util_format_time(ev->time, when, sizeof when);
    if (getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &pwp) == 0 && pwp)
        user = pw.pw_name;
    gethostname(host, sizeof host - 1);
    add_str(o, "time", when);
    add_str(o, "event", ev->event);
    add_str(o, "phase", ev->phase);
    add_str(o, "tool", SDRS_NAME " " SDRS_VERSION);
    add_str(o, "user", user);
    add_str(o, "host", host);
    add_str(o, "command", ev->command);
    add_str(o, "action", ev->action ? ev->action : ev->report ? ev->report->action : NULL);
    add_str(o, "group_id", ev->group_id ? ev->group_id : ev->report ? ev->report->group_id : NULL);
    if (ev->report) {
        const struct report *r = ev->report;
        struct json_object *in = json_object_new_object();
        add_str(o, "project_id", r->project_id);
        add_str(o, "group_name", r->group_name);
        add_str(o, "group_status", r->group_status);
        add_str(o, "priority_station", r->priority_station);
        add_str(o, "verdict", verdict_name(r->verdict));
        json_object_object_add(o, "exit_code", json_object_new_int(r->exit_code));
        add_str(in, "snapshot_sha256", r->snapshot_sha256);
        add_str(in, "rules_sha256", r->rules_sha256);
        add_str(in, "facts_sha256", r->facts_sha256);
        add_str(in, "waivers_sha256", r->waivers_sha256);
        add_str(in, "fetched_at", r->fetched_at);
        json_object_object_add(o, "inputs", in);
    }
    add_str(o, "approved_report_sha256", ev->approved_report_sha256);
    add_str(o, "job_id", ev->job_id);
    add_str(o, "outcome", ev->outcome);
    add_str(o, "status_after", ev->status_after);
    add_str(o, "priority_station_after", ev->station_after);
    add_str(o, "end_state", ev->end_state);
    if (ev->executed) {
        json_object_object_add(o, "duration_ms", json_object_new_int64(ev->duration_ms));
        json_object_object_add(o, "posts", json_object_new_int(ev->posts));
    }
    add_str(o, "message", ev->message);
    rc = auditlog_append(path, key, o, head, e);
    json_object_put(o);
    return rc;
}
