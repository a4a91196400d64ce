/*
 * fuzz_apierr: apierr_parse on arbitrary bodies, apierr_format of the result and of a struct filled
 * with raw input bytes for several statuses and buffer sizes, and apierr_sanitize directly. Every
 * string written must be what apierr.h promises: clean single-line UTF-8 that fits its buffer.
 */
#include "fuzz.h"

#include "apierr.h"
#include "err.h"
#include "util.h"

#include <limits.h>
#include <string.h>

/* Decodes the code point at s (valid UTF-8 already checked); returns its length. */
static size_t decode(const unsigned char *s, unsigned long *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xe0) {
        *cp = ((s[0] & 0x1fUL) << 6) | (s[1] & 0x3fUL);
        return 2;
    }
    if (s[0] < 0xf0) {
        *cp = ((s[0] & 0x0fUL) << 12) | ((s[1] & 0x3fUL) << 6) | (s[2] & 0x3fUL);
        return 3;
    }
    *cp = ((s[0] & 0x07UL) << 18) | ((s[1] & 0x3fUL) << 12) | ((s[2] & 0x3fUL) << 6) |
          (s[3] & 0x3fUL);
    return 4;
}

/* apierr.h: valid UTF-8, no control characters or newlines, no bidi overrides, no BOM, no blank
 * runs and no blanks at either end (a line cut to fit may end in one). */
static void check_clean(const char *s, size_t size, bool cut, const char *what)
{
    size_t len = strnlen(s, size), n;
    unsigned long cp;

    FUZZ_ASSERT(len < size, "%s is not NUL-terminated within its %zu bytes", what, size);
    FUZZ_ASSERT(util_utf8_valid(s, len), "%s is not valid UTF-8: '%s'", what, s);
    FUZZ_ASSERT(len == 0 || (s[0] != ' ' && (cut || s[len - 1] != ' ')),
                "%s has a blank at an end: '%s'", what, s);
    FUZZ_ASSERT(!strstr(s, "  "), "%s has a run of blanks: '%s'", what, s);
    for (size_t i = 0; i < len; i += n) {
        n = decode((const unsigned char *)s + i, &cp);
        FUZZ_ASSERT(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f) && cp != 0x2028 &&
                        cp != 0x2029 && cp != 0xfeff && cp != 0x061c && cp != 0x200e &&
                        cp != 0x200f && !(cp >= 0x202a && cp <= 0x202e) &&
                        !(cp >= 0x2066 && cp <= 0x2069),
                    "%s has U+%04lX at byte %zu: '%s'", what, cp, i, s);
    }
}

static void check_parse(const uint8_t *data, size_t size, struct api_error *ae)
{
    int rc = apierr_parse((const char *)data, size, ae);

    FUZZ_ASSERT(rc == 0 || rc == ERR_PARSE, "apierr_parse returned %d", rc);
    check_clean(ae->code, sizeof ae->code, false, "code");
    check_clean(ae->message, sizeof ae->message, false, "message");
    check_clean(ae->request_id, sizeof ae->request_id, false, "request id");
    if (rc == 0) {
        FUZZ_ASSERT(ae->code[0] || ae->message[0], "recognised an error without code or message");
    } else {
        FUZZ_ASSERT(!ae->code[0] && !ae->request_id[0],
                    "unrecognised body with a code or request id");
        FUZZ_ASSERT(strlen(ae->message) <= APIERR_EXCERPT, "excerpt of %zu bytes",
                    strlen(ae->message));
        FUZZ_ASSERT(size > 0 || !ae->message[0], "excerpt of an empty body");
    }
}

/* Formats ae in full and, when `cuts` is set, into buffers of several sizes: a shorter buffer gets
 * a prefix of the full line, cut on a character boundary, and ERR_LIMIT. */
static void check_format(const struct api_error *ae, int status, bool cuts)
{
    static const size_t sizes[] = {1, 2, 3, 4, 7, 16, 64, 256};
    char full[1024], buf[256];

    FUZZ_ASSERT(apierr_format(ae, status, full, sizeof full) == 0,
                "format needs more than %zu bytes", sizeof full);
    check_clean(full, sizeof full, false, "formatted line");
    for (size_t k = 0; cuts && k < sizeof sizes / sizeof sizes[0]; k++) {
        int rc;

        memset(buf, 'x', sizes[k]);
        rc = apierr_format(ae, status, buf, sizes[k]);
        FUZZ_ASSERT(rc == 0 || rc == ERR_LIMIT, "apierr_format returned %d", rc);
        check_clean(buf, sizes[k], rc == ERR_LIMIT, "formatted line");
        FUZZ_ASSERT(
            strncmp(buf, full, strlen(buf)) == 0 && (rc == ERR_LIMIT) == (strlen(full) >= sizes[k]),
            "cut at %zu bytes: '%s' is not a prefix of '%s' (rc %d)", sizes[k], buf, full, rc);
    }
}

/* The output must not depend on what the buffer held before the call. */
static void check_sanitize(const uint8_t *data, size_t size)
{
    static const size_t sizes[] = {1, 2, 3, 4, 5, 6, 8, 13, 64, APIERR_EXCERPT + 1, 4096};
    char a[4096], b[4096];

    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t na, nb;

        memset(a, 0, sizes[k]);
        memset(b, 0x80, sizes[k]); /* a continuation byte everywhere */
        na = apierr_sanitize((const char *)data, size, a, sizes[k]);
        nb = apierr_sanitize((const char *)data, size, b, sizes[k]);
        check_clean(a, sizes[k], false, "sanitised text");
        FUZZ_ASSERT(na == strlen(a), "apierr_sanitize returned %zu for %zu bytes", na, strlen(a));
        FUZZ_ASSERT(
            na == nb && memcmp(a, b, na + 1) == 0,
            "apierr_sanitize into %zu bytes depends on the buffer's old content: '%s' vs '%s'",
            sizes[k], a, b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int statuses[] = {0, -1, 200, 404, 503, INT_MAX, INT_MIN};
    struct api_error ae, raw;
    int derived = 0;

    if (size >= sizeof derived)
        memcpy(&derived, data, sizeof derived);
    check_parse(data, size, &ae);
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        check_format(&ae, statuses[i], false);
    check_format(&ae, derived, true);
    check_format(NULL, derived, false);

    /* a caller-filled struct: raw bytes, no terminators */
    memset(&raw, 0, sizeof raw);
    memcpy(&raw, data, size < sizeof raw ? size : sizeof raw);
    check_format(&raw, derived, true);

    check_sanitize(data, size);
    return 0;
}
