/*
 * SDK-HMAC-SHA256 request signing (see sign.h and docs: sdrs-api.md §8.2).
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n
 *                      (name:value \n)* \n SignedHeaders \n HexSHA256(body)
 *   StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n HexSHA256(CanonicalRequest)
 *   Signature        = Hex(HMAC-SHA256(key = SK bytes as they are, StringToSign))
 */
#include "sign.h"

#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGN_MAX_NAME   128 /* bytes of a header name */
#define SIGN_MAX_METHOD 16
#define SIGN_MAX_TIME   253402300799LL /* 9999-12-31T23:59:59Z */

struct sign_hdr {
    char name[SIGN_MAX_NAME + 1]; /* lower case */
    const char *value;            /* trimmed: value[0..vlen) */
    size_t vlen;
};

struct sign_param {
    size_t noff, nlen, voff, vlen; /* decoded bytes in the arena */
    const char *name, *value;      /* set once the arena no longer moves */
};

static bool sign_is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* RFC 7230 tchar. */
static bool sign_is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int sign_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Copies at most 48 bytes of s into out for an error message, '?' for anything unprintable. */
static const char *sign_excerpt(const char *s, size_t len, char *out, size_t size)
{
    size_t i, n = 0;

    for (i = 0; i < len && n + 4 < size && i < 48; i++)
        out[n++] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (i < len && n + 3 < size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

int sign_escape(const char *in, size_t len, struct buf *out)
{
    size_t i = 0, run;
    int rc;

    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        char pct[3];

        for (run = i; run < len && sign_is_unreserved((unsigned char)in[run]); run++)
            ;
        if (run > i) {
            rc = buf_add(out, in + i, run - i);
            if (rc)
                return rc;
            i = run;
            continue;
        }
        pct[0] = '%';
        pct[1] = "0123456789ABCDEF"[c >> 4];
        pct[2] = "0123456789ABCDEF"[c & 15];
        rc = buf_add(out, pct, sizeof pct);
        if (rc)
            return rc;
        i++;
    }
    return 0;
}

/* Fills e for a failed append: ERR_NOMEM or ERR_LIMIT (the cap of `what`). Returns rc. */
static int sign_too_long(struct err *e, int rc, const char *what)
{
    return rc == ERR_NOMEM ? err_set(e, rc, "out of memory")
                           : err_set(e, rc, "%s is too long", what);
}

/* Appends the percent-decoding of in[0..len) to out; ERR_INVALID for a malformed escape. */
static int sign_decode(const char *in, size_t len, struct buf *out, const char *what, struct err *e)
{
    char ex[64], c;
    size_t i = 0, run;
    int rc;

    while (i < len) {
        for (run = i; run < len && in[run] != '%'; run++)
            ;
        if (run > i) {
            rc = buf_add(out, in + i, run - i);
            if (rc)
                return sign_too_long(e, rc, what);
            i = run;
            continue;
        }
        if (i + 2 >= len || sign_hex_value((unsigned char)in[i + 1]) < 0 ||
            sign_hex_value((unsigned char)in[i + 2]) < 0)
            return err_set(e, ERR_INVALID, "invalid percent-escape in %s '%s'", what,
                           sign_excerpt(in + i, len - i, ex, sizeof ex));
        c = (char)(sign_hex_value((unsigned char)in[i + 1]) * 16 +
                   sign_hex_value((unsigned char)in[i + 2]));
        rc = buf_add(out, &c, 1);
        if (rc)
            return sign_too_long(e, rc, what);
        i += 3;
    }
    return 0;
}

/* Rejects blanks, control bytes and the characters in `forbidden` in a raw path or query. */
static int sign_check_raw(const char *s, const char *forbidden, const char *what, struct err *e)
{
    char ex[64];

    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (c <= 0x20 || c == 0x7f || strchr(forbidden, c))
            return err_set(e, ERR_INVALID, "invalid character at offset %zu of %s '%s'",
                           (size_t)(p - s), what, sign_excerpt(s, strlen(s), ex, sizeof ex));
    }
    return 0;
}

static int sign_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t m = alen < blen ? alen : blen;
    int c = m ? memcmp(a, b, m) : 0;

    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int sign_param_cmp(const void *pa, const void *pb)
{
    const struct sign_param *a = pa, *b = pb;
    int c = sign_bytes_cmp(a->name, a->nlen, b->name, b->nlen);

    return c ? c : sign_bytes_cmp(a->value, a->vlen, b->value, b->vlen);
}

int sign_canonical_query(const char *query, struct buf *out, struct err *e)
{
    struct sign_param *params = NULL;
    struct buf arena;
    size_t count = 1, n = 0;
    const char *p;
    int rc;

    if (!query || !*query)
        return 0;
    rc = sign_check_raw(query, "#+", "query", e);
    if (rc)
        return rc;
    for (p = query; *p; p++)
        count += *p == '&';
    if (count > SIGN_MAX_PARAMS)
        return err_set(e, ERR_LIMIT, "query has more than %d parameters", SIGN_MAX_PARAMS);
    params = calloc(count, sizeof *params);
    if (!params)
        return sign_too_long(e, ERR_NOMEM, "query");
    buf_init(&arena, SIGN_MAX_CANONICAL);
    for (p = query;;) {
        const char *end = strchr(p, '&'), *eq;

        if (!end)
            end = p + strlen(p);
        if (end > p) {
            struct sign_param *q = &params[n++];

            eq = memchr(p, '=', (size_t)(end - p));
            if ((eq ? eq : end) == p) {
                rc = err_set(e, ERR_INVALID, "empty query parameter name");
                goto out;
            }
            q->noff = arena.len;
            rc = sign_decode(p, (size_t)((eq ? eq : end) - p), &arena, "query", e);
            if (rc)
                goto out;
            q->nlen = arena.len - q->noff;
            q->voff = arena.len;
            if (eq) {
                rc = sign_decode(eq + 1, (size_t)(end - eq - 1), &arena, "query", e);
                if (rc)
                    goto out;
            }
            q->vlen = arena.len - q->voff;
        }
        if (!*end)
            break;
        p = end + 1;
    }
    for (size_t i = 0; i < n; i++) {
        params[i].name = buf_str(&arena) + params[i].noff;
        params[i].value = buf_str(&arena) + params[i].voff;
    }
    qsort(params, n, sizeof *params, sign_param_cmp);
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = buf_add(out, "&", 1);
        if (!rc)
            rc = sign_escape(params[i].name, params[i].nlen, out);
        if (!rc)
            rc = buf_add(out, "=", 1);
        if (!rc)
            rc = sign_escape(params[i].value, params[i].vlen, out);
    }
    if (rc)
        sign_too_long(e, rc, "canonical query");
out:
    buf_free(&arena);
    free(params);
    return rc;
}

int sign_canonical_uri(const char *path, struct buf *out, struct err *e)
{
    char ex[64];
    struct buf seg;
    size_t start = out->len;
    const char *p;
    int rc;

    if (!path)
        path = "";
    if (*path && *path != '/')
        return err_set(e, ERR_INVALID, "path '%s' does not start with '/'",
                       sign_excerpt(path, strlen(path), ex, sizeof ex));
    rc = sign_check_raw(path, "?#", "path", e);
    if (rc)
        return rc;
    buf_init(&seg, SIGN_MAX_CANONICAL);
    for (p = path;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        buf_reset(&seg);
        rc = sign_decode(p, n, &seg, "path", e);
        if (rc)
            goto out;
        if (seg.len && memchr(seg.data, '/', seg.len)) {
            rc = err_set(e, ERR_INVALID, "encoded '/' in path segment '%s'",
                         sign_excerpt(p, n, ex, sizeof ex));
            goto out;
        }
        rc = sign_escape(buf_str(&seg), seg.len, out);
        if (!rc && end)
            rc = buf_add(out, "/", 1);
        if (rc || !end)
            break;
        p = end + 1;
    }
    if (!rc && (out->len == start || out->data[out->len - 1] != '/'))
        rc = buf_add(out, "/", 1);
    if (rc)
        sign_too_long(e, rc, "canonical path");
out:
    buf_free(&seg);
    return rc;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm, proleptic Gregorian). */
static void sign_civil(long long days, long long *y, int *m, int *d)
{
    long long z = days + 719468, era = z / 146097, doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int sign_format_date(long long time, char *out, size_t size)
{
    long long y, s;
    int m, d, n;

    if (!out || size < SIGN_DATE_SIZE)
        return ERR_INVALID;
    out[0] = '\0';
    if (time < 0 || time > SIGN_MAX_TIME)
        return ERR_INVALID;
    sign_civil(time / 86400, &y, &m, &d);
    s = time % 86400;
    n = snprintf(out, size, "%04lld%02d%02dT%02d%02d%02dZ", y, m, d, (int)(s / 3600),
                 (int)(s / 60 % 60), (int)(s % 60));
    if (n != SIGN_DATE_SIZE - 1) {
        out[0] = '\0';
        return ERR_INVALID;
    }
    return 0;
}

/* Validates and lower-cases one header into h. */
static int sign_header_add(struct sign_hdr *h, const char *name, const char *value, struct err *e)
{
    char ex[64];
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > SIGN_MAX_NAME)
        return err_set(e, ERR_INVALID, "header name is empty or longer than %d bytes",
                       SIGN_MAX_NAME);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!sign_is_tchar(c))
            return err_set(e, ERR_INVALID, "invalid header name '%s'",
                           sign_excerpt(name, n, ex, sizeof ex));
        h->name[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    h->name[n] = '\0';
    if (!value)
        return err_set(e, ERR_INVALID, "header '%s' has no value", h->name);
    for (const char *p = value; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return err_set(e, ERR_INVALID, "control character in the value of header '%s'",
                           h->name);
    }
    while (*value == ' ' || *value == '\t')
        value++;
    n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    h->value = value;
    h->vlen = n;
    return 0;
}

static int sign_hdr_cmp(const void *pa, const void *pb)
{
    const struct sign_hdr *a = pa, *b = pb;

    return strcmp(a->name, b->name);
}

static int sign_check_method(const char *method, struct err *e)
{
    char ex[64];
    size_t n = method ? strlen(method) : 0;

    if (n == 0 || n > SIGN_MAX_METHOD)
        return err_set(e, ERR_INVALID, "http method is empty or too long");
    for (size_t i = 0; i < n; i++)
        if (method[i] < 'A' || method[i] > 'Z')
            return err_set(e, ERR_INVALID, "invalid http method '%s' (upper-case letters only)",
                           sign_excerpt(method, n, ex, sizeof ex));
    return 0;
}

static int sign_check_body_hash(const char *h, struct err *e)
{
    size_t n = strlen(h);

    if (strcmp(h, SIGN_UNSIGNED_PAYLOAD) == 0)
        return 0;
    if (n != 64 || strspn(h, "0123456789abcdef") != 64)
        return err_set(e, ERR_INVALID,
                       "body hash is neither 64 lower-case hex digits nor '" SIGN_UNSIGNED_PAYLOAD
                       "'");
    return 0;
}

int sign_canonical_request(const struct sign_request *req, struct buf *out,
                           struct buf *signed_headers, struct err *e)
{
    struct sign_hdr hdrs[SIGN_MAX_HEADERS + 2];
    char date[SIGN_DATE_SIZE];
    struct buf names;
    const char *body;
    size_t nh = 0;
    int rc;

    buf_reset(out);
    if (signed_headers)
        buf_reset(signed_headers);
    if (!req)
        return err_set(e, ERR_INVALID, "no request to sign");
    rc = sign_check_method(req->method, e);
    if (rc)
        return rc;
    if (sign_format_date(req->time, date, sizeof date) != 0)
        return err_set(e, ERR_INVALID, "time %lld is outside 1970..9999", req->time);
    body = req->body_sha256_hex ? req->body_sha256_hex : SIGN_EMPTY_SHA256;
    rc = sign_check_body_hash(body, e);
    if (rc)
        return rc;
    if (req->nheaders > SIGN_MAX_HEADERS)
        return err_set(e, ERR_LIMIT, "more than %d headers to sign", SIGN_MAX_HEADERS);
    if (req->nheaders && !req->headers)
        return err_set(e, ERR_INVALID, "header list is missing");

    if (!(req->flags & SIGN_NO_HOST)) {
        if (!req->host || !*req->host)
            return err_set(e, ERR_INVALID, "no host to sign");
        for (const char *p = req->host; *p; p++)
            if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '/')
                return err_set(e, ERR_INVALID, "invalid character in host");
        rc = sign_header_add(&hdrs[nh++], "host", req->host, e);
        if (rc)
            return rc;
    }
    rc = sign_header_add(&hdrs[nh++], "x-sdk-date", date, e);
    for (size_t i = 0; i < req->nheaders && !rc; i++)
        rc = sign_header_add(&hdrs[nh++], req->headers[i].name, req->headers[i].value, e);
    if (rc)
        return rc;
    qsort(hdrs, nh, sizeof *hdrs, sign_hdr_cmp);
    for (size_t i = 1; i < nh; i++)
        if (strcmp(hdrs[i - 1].name, hdrs[i].name) == 0)
            return err_set(e, ERR_INVALID, "header '%s' is given twice", hdrs[i].name);

    buf_init(&names, 64 * (SIGN_MAX_NAME + 1));
    for (size_t i = 0; i < nh && !rc; i++) {
        if (i)
            rc = buf_add(&names, ";", 1);
        if (!rc)
            rc = buf_adds(&names, hdrs[i].name);
    }
    if (!rc)
        rc = buf_printf(out, "%s\n", req->method);
    if (rc) {
        sign_too_long(e, rc, "canonical request");
        goto out;
    }
    rc = sign_canonical_uri(req->path, out, e);
    if (!rc && !(rc = buf_add(out, "\n", 1)))
        rc = sign_canonical_query(req->query, out, e);
    if (rc)
        goto out;
    rc = buf_add(out, "\n", 1);
    for (size_t i = 0; i < nh && !rc; i++)
        rc = buf_printf(out, "%s:%.*s\n", hdrs[i].name, (int)hdrs[i].vlen, hdrs[i].value);
    if (!rc)
        rc = buf_printf(out, "\n%s\n%s", buf_str(&names), body);
    if (!rc && signed_headers)
        rc = buf_add(signed_headers, buf_str(&names), names.len);
    if (rc)
        sign_too_long(e, rc, "canonical request");
out:
    buf_free(&names);
    if (rc) {
        buf_reset(out);
        if (signed_headers)
            buf_reset(signed_headers);
    }
    return rc;
}

int sign_string_to_sign(const char *x_sdk_date, const char *canonical, size_t len, struct buf *out,
                        struct err *e)
{
    char hex[UTIL_SHA256_HEX];
    int rc;

    buf_reset(out);
    if (!x_sdk_date || strlen(x_sdk_date) != SIGN_DATE_SIZE - 1 || (!canonical && len))
        return err_set(e, ERR_INVALID, "invalid x-sdk-date or canonical request");
    if (util_sha256_hex(canonical ? canonical : "", len, hex) != 0)
        return err_set(e, ERR_NOMEM, "out of memory");
    rc = buf_printf(out, SIGN_ALGORITHM "\n%s\n%s", x_sdk_date, hex);
    if (rc) {
        buf_reset(out);
        return sign_too_long(e, rc, "string to sign");
    }
    return 0;
}

/* Validates a key: 1..SIGN_MAX_KEY bytes; the access key also printable ASCII without ',' as it
 * is written into the Authorization header. Never quotes the key. */
static int sign_check_key(const char *key, bool access, struct err *e)
{
    const char *what = access ? "access key" : "secret key";
    size_t n = key ? strlen(key) : 0;

    if (n == 0)
        return err_set(e, ERR_INVALID, "%s is missing", what);
    if (n > SIGN_MAX_KEY)
        return err_set(e, ERR_INVALID, "%s is longer than %d bytes", what, SIGN_MAX_KEY);
    if (access)
        for (size_t i = 0; i < n; i++)
            if (key[i] <= 0x20 || key[i] >= 0x7f || key[i] == ',')
                return err_set(e, ERR_INVALID, "%s contains an invalid character", what);
    return 0;
}

int sign_request(const struct sign_request *req, const char *ak, const char *sk, char *x_sdk_date,
                 size_t date_size, struct buf *authorization, struct err *e)
{
    char sig[UTIL_SHA256_HEX];
    char date[SIGN_DATE_SIZE];
    struct buf canonical, names, sts;
    int rc;

    if (x_sdk_date && date_size)
        x_sdk_date[0] = '\0';
    if (authorization)
        buf_reset(authorization);
    if (!req || !x_sdk_date || !authorization)
        return err_set(e, ERR_INVALID, "missing argument to sign a request");
    if (date_size < SIGN_DATE_SIZE)
        return err_set(e, ERR_INVALID, "x-sdk-date buffer is too small");
    if ((rc = sign_check_key(ak, true, e)) || (rc = sign_check_key(sk, false, e)))
        return rc;

    buf_init(&canonical, SIGN_MAX_CANONICAL);
    buf_init(&names, 0);
    buf_init(&sts, 0);
    memset(sig, 0, sizeof sig);
    rc = sign_canonical_request(req, &canonical, &names, e);
    if (rc)
        goto out;
    sign_format_date(req->time, date, sizeof date); /* validated by sign_canonical_request */
    rc = sign_string_to_sign(date, buf_str(&canonical), canonical.len, &sts, e);
    if (rc)
        goto out;
    if (util_hmac_sha256_hex(sk, strlen(sk), buf_str(&sts), sts.len, sig)) {
        rc = err_set(e, ERR_NOMEM, "cannot compute the hmac-sha256 signature");
        goto out;
    }
    rc = buf_printf(authorization, SIGN_ALGORITHM " Access=%s, SignedHeaders=%s, Signature=%s", ak,
                    buf_str(&names), sig);
    if (rc) {
        sign_too_long(e, rc, "authorization header");
        goto out;
    }
    memcpy(x_sdk_date, date, SIGN_DATE_SIZE);
out:
    explicit_bzero(sig, sizeof sig);
    buf_free(&canonical);
    buf_free(&names);
    buf_free(&sts);
    if (rc)
        buf_reset(authorization);
    return rc;
}
