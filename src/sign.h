/*
 * AK/SK request signing, "SDK-HMAC-SHA256" (Huawei Cloud / Open Telekom Cloud API gateway).
 *
 * Pure: no I/O, no clock, no network. The time is a parameter, so known-answer vectors test it.
 * Ownership: every input is borrowed and only read during the call. Output goes into
 * caller-owned storage: a `struct buf` the caller initialised (and later frees), or a
 * caller-sized char array. On error the output buffers are left empty. Nothing is retained.
 * Secret-derived intermediates (the raw HMAC and its hex form) are wiped before returning.
 *
 * The caller chooses the signed header set: `host` (from req->host unless SIGN_NO_HOST) and
 * `x-sdk-date` (from req->time) are added here; every entry of req->headers is signed too.
 * The project's client signs host;x-sdk-date and, when there is a body, content-type.
 */
#ifndef SDRS_SIGN_H
#define SDRS_SIGN_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define SIGN_ALGORITHM        "SDK-HMAC-SHA256"
#define SIGN_DATE_SIZE        17 /* "YYYYMMDDTHHMMSSZ" and a NUL */
#define SIGN_EMPTY_SHA256     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGN_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGN_MAX_HEADERS      32        /* caller headers per request */
#define SIGN_MAX_PARAMS       1024      /* query parameters per request */
#define SIGN_MAX_KEY          1024      /* bytes of AK or SK */
#define SIGN_MAX_CANONICAL    (1 << 20) /* bytes of a canonical request */

/* Flags for sign_request.flags. */
enum sign_flag {
    SIGN_NO_HOST = 1u << 0, /* do not add or sign `host` (huaweicloud-sdk-go-v3 style) */
};

struct sign_header {
    const char *name;  /* any case; an RFC 7230 token */
    const char *value; /* surrounding blanks are trimmed for signing; no control characters */
};

struct sign_request {
    const char *method; /* upper case: "GET", "POST", ... */
    const char *host;   /* Host header value as sent, default port already dropped:
                           "sdrs.eu-de.otc.t-systems.com", "127.0.0.1:8443"; may be NULL with
                           SIGN_NO_HOST */
    const char *path;   /* raw path as sent (percent-encoded), "" or starting with '/' */
    const char *query;  /* raw query as sent (percent-encoded), without '?'; NULL or "" for none */
    const struct sign_header *headers; /* further headers to sign, e.g. Content-Type; may be NULL */
    size_t nheaders;
    const char *body_sha256_hex; /* lower-case hex SHA-256 of the exact body bytes, or
                                    SIGN_UNSIGNED_PAYLOAD; NULL means an empty body */
    long long time;              /* seconds since the epoch, UTC, years 1970..9999 */
    unsigned flags;              /* SIGN_* flags */
};

/*
 * Signs req with the access key ak and secret key sk. Writes the X-Sdk-Date value
 * ("YYYYMMDDTHHMMSSZ", date_size >= SIGN_DATE_SIZE) and replaces the content of authorization
 * with "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex". The caller sends exactly
 * the signed headers with exactly these values. Returns 0, ERR_INVALID (empty or malformed
 * ak/sk, bad method, path, query, header, body hash or time), ERR_NOMEM or ERR_LIMIT.
 * Messages never contain the secret key.
 */
int sign_request(const struct sign_request *req, const char *ak, const char *sk, char *x_sdk_date,
                 size_t date_size, struct buf *authorization, struct err *e);

/*
 * Replaces the content of out with the canonical request of req, and, when signed_headers is
 * not NULL, the content of signed_headers with the sorted ';'-joined header names. Same
 * validation and return codes as sign_request (minus the keys). Exposed for tests and debugging.
 */
int sign_canonical_request(const struct sign_request *req, struct buf *out,
                           struct buf *signed_headers, struct err *e);

/* Replaces the content of out with "SDK-HMAC-SHA256\n<x_sdk_date>\n<hex sha256 of canonical>". */
int sign_string_to_sign(const char *x_sdk_date, const char *canonical, size_t len, struct buf *out,
                        struct err *e);

/*
 * Appends the canonical form of a raw query (percent-encoded, without '?'): pairs split on '&'
 * (empty pairs skipped) and on the first '=', names and values percent-decoded, sorted by decoded
 * name then value in byte order, re-encoded with sign_escape, joined as "name=value" with '&'
 * ("name=" for empty values). A raw '+' is rejected (ERR_INVALID) because servers disagree on
 * whether it means a space; send %20 or %2B. So are bad %-escapes, blanks and control bytes.
 */
int sign_canonical_query(const char *query, struct buf *out, struct err *e);

/*
 * Appends the canonical URI of a raw path: each '/'-separated segment percent-decoded and
 * re-encoded with sign_escape, a trailing '/' added when missing, "" becoming "/". Rejects
 * (ERR_INVALID) paths not starting with '/', '?', '#', blanks, control bytes, bad %-escapes and an
 * encoded '/' (%2F) inside a segment, whose canonical form servers disagree on.
 */
int sign_canonical_uri(const char *path, struct buf *out, struct err *e);

/* Appends in[0..len) with every byte but A-Z a-z 0-9 - _ . ~ written as upper-case %XX.
 * Returns 0, ERR_NOMEM or ERR_LIMIT. */
int sign_escape(const char *in, size_t len, struct buf *out);

/* Formats seconds since the epoch (years 1970..9999) as "YYYYMMDDTHHMMSSZ" into out
 * (size >= SIGN_DATE_SIZE). Returns 0 or ERR_INVALID. Does not depend on the C library's TZ. */
int sign_format_date(long long time, char *out, size_t size);

#endif
