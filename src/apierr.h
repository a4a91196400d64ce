/*
 * API error bodies into one printable line, "CODE: message".
 *
 * Ownership: the body is borrowed and only read during the call (len bytes, no NUL needed).
 * Results go into caller-owned fixed-size storage (`struct api_error`, a char array); nothing is
 * allocated for the caller and nothing is retained. Every string written is sanitised: valid
 * UTF-8, no control characters or newlines, no bidi overrides, truncated on a character boundary.
 *
 * Shapes understood (sdrs-api.md §7.1), keys in any order, codes as strings or numbers:
 *   {"error": {"message": "...", "code": "SDRS.1013"}}        generic SDRS / ECS v1
 *   {"badrequest": {...}}, {"itemNotFound": {..., "code": 404}} class-named / Nova wrappers
 *   {"error": {"code": "..."}}                                  no message
 *   {"error_msg": "...", "error_code": "APIG.0301", "request_id": "..."}  gateway / IAM
 *   {"error_code": "SDRS.001", "fail_reason": "..."}            failed job
 *   {"code": ..., "message": "..."}                             flat, last resort
 */
#ifndef SDRS_APIERR_H
#define SDRS_APIERR_H

#include <stddef.h>

#define APIERR_EXCERPT   120       /* bytes of body excerpt kept when nothing is recognised */
#define APIERR_MAX_BODY  (4 << 20) /* larger bodies are not parsed, only excerpted */
#define APIERR_MAX_DEPTH 32        /* JSON nesting accepted */

struct api_error {
    char code[64];       /* "SDRS.1013", "APIG.0301", "404"; "" when none */
    char message[256];   /* the message, or a body excerpt when nothing was recognised */
    char request_id[96]; /* "" when none */
};

/*
 * Parses an error response body. Returns 0 when it holds a recognisable error (code and/or
 * message filled). Otherwise returns ERR_PARSE with out->message holding a sanitised excerpt of
 * at most APIERR_EXCERPT bytes (an HTML page's <title> or text when there is one; "" for an empty
 * body). Text after the first JSON value is ignored. ERR_NOMEM when the parser cannot be
 * allocated (excerpt filled), ERR_INVALID when out is NULL or body is NULL with len > 0.
 * Never reads beyond body[len - 1].
 */
int apierr_parse(const char *body, size_t len, struct api_error *out);

/*
 * Formats ae into buf (always NUL-terminated when size > 0):
 *   "CODE: message", "CODE", "HTTP 503: message" (no code), "HTTP 503" (nothing),
 * followed by " (request id: X)" when there is one; http_status <= 0 leaves out "HTTP n"
 * ("message" or "unknown error"). ae may be NULL. Fields are sanitised again, so a
 * caller-filled struct is safe too. Returns 0, ERR_LIMIT when the text had to be truncated (on
 * a character boundary), or ERR_INVALID when buf is NULL or size is 0.
 */
int apierr_format(const struct api_error *ae, int http_status, char *buf, size_t size);

/*
 * Writes a printable single-line form of in[0..len) into out[size]. Of the unsafe characters
 * (util_char_unsafe), control characters (C0, DEL, C1, U+2028/9) and blank runs become one space,
 * a BOM is dropped and the rest (bidi controls, U+FFFE/F) become '?'; invalid UTF-8 bytes become
 * '?'; leading and trailing blanks are trimmed; when it does not fit, it is cut on a character
 * boundary and ends in "...". Returns the bytes written (without the NUL).
 */
size_t apierr_sanitize(const char *in, size_t len, char *out, size_t size);

#endif
