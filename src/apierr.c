/*
 * Error bodies of SDRS, ECS, Nova, IAM and the API gateway (see apierr.h, sdrs-api.md §7.1).
 */
#include "apierr.h"

#include "err.h"
#include "util.h"

#include <json-c/json.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define APIERR_HTML_SCAN 65536 /* bytes of an HTML page searched for its title or text */

/* Output state of apierr_sanitize. */
struct apierr_out {
    char *p;
    size_t size, n;
    bool blank; /* a blank is pending before the next character */
    bool full;
};

static void apierr_emit(struct apierr_out *o, const char *s, size_t n)
{
    size_t need = n + (o->blank && o->n ? 1 : 0);

    if (o->full)
        return;
    if (o->n + need + 1 > o->size) {
        o->full = true;
        return;
    }
    if (o->blank && o->n)
        o->p[o->n++] = ' ';
    o->blank = false;
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

size_t apierr_sanitize(const char *in, size_t len, char *out, size_t size)
{
    struct apierr_out o = {out, size, 0, false, false};
    size_t i = 0, k;
    unsigned long cp;

    if (!out || size == 0)
        return 0;
    out[0] = '\0';
    if (!in)
        return 0;
    while (i < len && !o.full) {
        k = util_utf8_next(in + i, len - i, &cp);
        if (k == 0) {
            apierr_emit(&o, "?", 1);
            i++;
            continue;
        }
        if (cp == ' ' || (util_char_unsafe(cp) && (cp < 0xA0 || cp == 0x2028 || cp == 0x2029)))
            o.blank = true; /* blanks, C0, DEL, C1 and line separators end up as one space */
        else if (cp == 0xFEFF)
            ; /* byte order mark */
        else if (util_char_unsafe(cp))
            apierr_emit(&o, "?", 1); /* bidi controls could reorder the line; non-characters */
        else
            apierr_emit(&o, in + i, k);
        i += k;
    }
    if (o.full && size >= 4) {
        /* make room for "..." on a character boundary, then drop a trailing blank */
        out[o.n] = '\0';
        o.n = util_utf8_prefix(out, size - 4);
        while (o.n && out[o.n - 1] == ' ')
            o.n--;
        memcpy(out + o.n, "...", 3);
        o.n += 3;
    }
    out[o.n] = '\0';
    return o.n;
}

/* Case-insensitive search for needle (ASCII, lower case) in s[0..len). */
static const char *apierr_find_ci(const char *s, size_t len, const char *needle)
{
    size_t m = strlen(needle);

    for (size_t i = 0; i + m <= len; i++) {
        size_t j = 0;

        while (j < m && (s[i + j] | 0x20) == needle[j])
            j++;
        if (j == m)
            return s + i;
    }
    return NULL;
}

/* Fills out (APIERR_EXCERPT bytes at most) with a readable excerpt of a body nobody parsed. */
static void apierr_excerpt(const char *body, size_t len, char *out, size_t size)
{
    char text[4 * APIERR_EXCERPT];
    size_t i = 0, n = 0, scan = len < APIERR_HTML_SCAN ? len : APIERR_HTML_SCAN;
    const char *t, *end;
    bool tag = false;

    if (size > APIERR_EXCERPT + 1)
        size = APIERR_EXCERPT + 1;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len || body[i] != '<') {
        apierr_sanitize(body, len, out, size);
        return;
    }
    /* HTML: prefer the title, else the text between the tags */
    t = apierr_find_ci(body, scan, "<title>");
    if (t) {
        t += 7;
        end = apierr_find_ci(t, scan - (size_t)(t - body), "</title>");
        if (apierr_sanitize(t, end ? (size_t)(end - t) : 0, out, size) > 0)
            return;
    }
    for (i = 0; i < scan && n < sizeof text; i++) {
        if (body[i] == '<')
            tag = true;
        else if (body[i] == '>') {
            tag = false;
            text[n++] = ' ';
        } else if (!tag)
            text[n++] = body[i];
    }
    if (apierr_sanitize(text, n, out, size) == 0)
        apierr_sanitize(body, len, out, size);
}

/* Copies a scalar (string, number, boolean) member `key` of obj into out; false when absent,
 * null, an object or array, or empty after sanitising. */
static bool apierr_member(struct json_object *obj, const char *key, char *out, size_t size)
{
    struct json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) || !v)
        return false;
    switch (json_object_get_type(v)) {
    case json_type_string:
        return apierr_sanitize(json_object_get_string(v), (size_t)json_object_get_string_len(v),
                               out, size) > 0;
    case json_type_int:
    case json_type_double:
    case json_type_boolean: {
        const char *s = json_object_get_string(v);

        return s && apierr_sanitize(s, strlen(s), out, size) > 0;
    }
    default:
        return false;
    }
}

/* Fills code and message from obj using the first present key of each list. */
static bool apierr_fields(struct json_object *obj, const char *const *codes,
                          const char *const *messages, struct api_error *out)
{
    bool found = false;

    for (; *codes && !found; codes++)
        found = apierr_member(obj, *codes, out->code, sizeof out->code);
    for (found = false; *messages && !found; messages++)
        found = apierr_member(obj, *messages, out->message, sizeof out->message);
    return out->code[0] || out->message[0];
}

/* Recognises the documented shapes in a parsed top-level object. */
static bool apierr_extract(struct json_object *root, struct api_error *out)
{
    static const char *const codes[] = {"code", "error_code", NULL};
    static const char *const messages[] = {"message", "error_msg", NULL};
    bool code, msg;

    apierr_member(root, "request_id", out->request_id, sizeof out->request_id);
    /* gateway, IAM and failed jobs: top-level error_code / error_msg (jobs: fail_reason) */
    code = apierr_member(root, "error_code", out->code, sizeof out->code);
    msg = apierr_member(root, "error_msg", out->message, sizeof out->message);
    if (code || msg) {
        if (!msg && !apierr_member(root, "fail_reason", out->message, sizeof out->message))
            apierr_member(root, "message", out->message, sizeof out->message);
        return true;
    }
    /* the first top-level member that is an object with a code or message */
    json_object_object_foreach(root, key, val)
    {
        (void)key;
        if (json_object_is_type(val, json_type_object) &&
            apierr_fields(val, codes, messages, out)) {
            if (!out->request_id[0])
                apierr_member(val, "request_id", out->request_id, sizeof out->request_id);
            return true;
        }
    }
    /* last resort: flat code / message */
    return apierr_fields(root, codes, messages, out);
}

int apierr_parse(const char *body, size_t len, struct api_error *out)
{
    struct json_tokener *tok;
    struct json_object *root;
    bool found = false;

    if (!out)
        return ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (!body && len)
        return ERR_INVALID;
    if (len == 0)
        return ERR_PARSE;
    if (len <= APIERR_MAX_BODY && len <= INT_MAX) {
        const char *json = body;
        size_t jlen = len;

        if (jlen >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0) { /* UTF-8 byte order mark */
            json += 3;
            jlen -= 3;
        }
        tok = json_tokener_new_ex(APIERR_MAX_DEPTH);
        if (!tok) {
            apierr_excerpt(body, len, out->message, sizeof out->message);
            return ERR_NOMEM;
        }
        root = json_tokener_parse_ex(tok, json, (int)jlen);
        if (root && json_object_is_type(root, json_type_object))
            found = apierr_extract(root, out);
        json_object_put(root);
        json_tokener_free(tok);
    }
    if (found)
        return 0;
    memset(out, 0, sizeof *out);
    apierr_excerpt(body, len, out->message, sizeof out->message);
    return ERR_PARSE;
}

int apierr_format(const struct api_error *ae, int http_status, char *buf, size_t size)
{
    char code[sizeof ae->code], msg[sizeof ae->message], rid[sizeof ae->request_id];
    char tmp[sizeof code + sizeof msg + sizeof rid + 64];
    size_t n;
    int w;

    if (!buf || size == 0)
        return ERR_INVALID;
    code[0] = msg[0] = rid[0] = '\0';
    if (ae) {
        apierr_sanitize(ae->code, strnlen(ae->code, sizeof ae->code), code, sizeof code);
        apierr_sanitize(ae->message, strnlen(ae->message, sizeof ae->message), msg, sizeof msg);
        apierr_sanitize(ae->request_id, strnlen(ae->request_id, sizeof ae->request_id), rid,
                        sizeof rid);
    }
    if (code[0])
        w = snprintf(tmp, sizeof tmp, "%s%s%s", code, msg[0] ? ": " : "", msg);
    else if (http_status > 0)
        w = snprintf(tmp, sizeof tmp, "HTTP %d%s%s", http_status, msg[0] ? ": " : "", msg);
    else
        w = snprintf(tmp, sizeof tmp, "%s", msg[0] ? msg : "unknown error");
    if (w >= 0 && rid[0] && (size_t)w < sizeof tmp)
        snprintf(tmp + w, sizeof tmp - (size_t)w, " (request id: %s)", rid);
    n = strlen(tmp);
    if (n < size) {
        memcpy(buf, tmp, n + 1);
        return 0;
    }
    n = util_utf8_prefix(tmp, size - 1);
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return ERR_LIMIT;
}
