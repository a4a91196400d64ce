/*
 * Tests for apierr.c: every documented error shape, the shared example bodies (read at test
 * time, skipped when absent) and hostile input. Bodies are copied into exact-size heap blocks
 * without a NUL, so ASan catches any read past len.
 */
#include "testutil.h"

#include "apierr.h"
#include "buf.h"
#include "err.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An independent strict UTF-8 check that also forbids control characters. */
static bool printable_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    while (*s) {
        unsigned long c;
        int n;

        if (*s < 0x20 || *s == 0x7f)
            return false;
        if (*s < 0x80) {
            s++;
            continue;
        }
        n = *s >= 0xf0 ? 3 : *s >= 0xe0 ? 2 : *s >= 0xc0 ? 1 : -1;
        if (n < 0 || *s > 0xf4)
            return false;
        c = *s & (0x3f >> n);
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            c = c << 6 | (s[i] & 0x3f);
        }
        if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
            c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || (c >= 0x80 && c <= 0x9f))
            return false;
        s += n + 1;
    }
    return true;
}

static void assert_clean(const struct api_error *ae)
{
    ck_assert_msg(printable_utf8(ae->code), "code not clean: '%s'", ae->code);
    ck_assert_msg(printable_utf8(ae->message), "message not clean: '%s'", ae->message);
    ck_assert_msg(printable_utf8(ae->request_id), "request id not clean: '%s'", ae->request_id);
}

/* Parses body[0..len) from an exact-size, unterminated copy. */
static int parse_n(const char *body, size_t len, struct api_error *ae)
{
    char *copy = malloc(len ? len : 1);
    int rc;

    ck_assert_ptr_nonnull(copy);
    if (len)
        memcpy(copy, body, len);
    rc = apierr_parse(copy, len, ae);
    free(copy);
    assert_clean(ae);
    return rc;
}

static int parse(const char *body, struct api_error *ae)
{
    return parse_n(body, strlen(body), ae);
}

/* ---- shapes --------------------------------------------------------------------------------- */

static const struct shape {
    const char *body;
    int rc;
    const char *code, *message, *request_id;
} shapes[] = {
    /* generic SDRS */
    {"{\"error\": {\"message\": \"XXXX\", \"code\": \"XXX\"}}", 0, "XXX", "XXXX", ""},
    {"{\"error\":{\"message\":\"The protection group does not exist.\",\"code\":\"SDRS.1013\"}}", 0,
     "SDRS.1013", "The protection group does not exist.", ""},
    /* class-named wrappers */
    {"{\"badrequest\": {\"message\": \"XXXX\", \"code\": \"XXX\"}}", 0, "XXX", "XXXX", ""},
    {"{\"itemNotFound\": {\"message\": \"Instance could not be found\", \"code\": 404}}", 0, "404",
     "Instance could not be found", ""},
    {"{\"forbidden\":{\"code\":403,\"message\":\"Policy doesn't allow compute:get\"}}", 0, "403",
     "Policy doesn't allow compute:get", ""},
    /* no message */
    {"{\"error\": {\"code\": \"SDRS.0221\"}}", 0, "SDRS.0221", "", ""},
    /* message only */
    {"{\"error\": {\"message\": \"Internal error\"}}", 0, "", "Internal error", ""},
    /* ECS with code and message swapped */
    {"{\"error\": {\"code\": \"Ecs.0114\", \"message\": \"Invalid server id\"}}", 0, "Ecs.0114",
     "Invalid server id", ""},
    /* gateway and IAM flat shapes, any order */
    {"{\"error_msg\":\"Incorrect IAM authentication information: verify aksk signature fail\","
     "\"error_code\":\"APIG.0301\",\"request_id\":\"2b6d2ef3a8c4e4e9f0d1c2b3a4958677\"}",
     0, "APIG.0301", "Incorrect IAM authentication information: verify aksk signature fail",
     "2b6d2ef3a8c4e4e9f0d1c2b3a4958677"},
    {"{\"request_id\":\"r-1\",\"error_code\":\"APIG.0308\",\"error_msg\":\"The throttling "
     "threshold has been reached\"}",
     0, "APIG.0308", "The throttling threshold has been reached", "r-1"},
    {"{\"error_code\":\"IAM.0001\",\"error_msg\":\"The request you have made requires "
     "authentication.\"}",
     0, "IAM.0001", "The request you have made requires authentication.", ""},
    {"{\"error_code\":\"APIG.0101\",\"error_msg\":null}", 0, "APIG.0101", "", ""},
    {"{\"error_msg\":\"only a message\"}", 0, "", "only a message", ""},
    /* failed job: error_code and fail_reason */
    {"{\"status\":\"FAIL\",\"error_code\":\"EVS.2024\",\"fail_reason\":\"Insufficient quota\"}", 0,
     "EVS.2024", "Insufficient quota", ""},
    /* Keystone (IAM v3) */
    {"{\"error\":{\"code\":401,\"message\":\"The request you have made requires "
     "authentication.\",\"title\":\"Unauthorized\"}}",
     0, "401", "The request you have made requires authentication.", ""},
    /* wrapper variants */
    {"{\"error\":{\"error_code\":\"SDRS.1002\",\"error_msg\":\"state not allowed\","
     "\"request_id\":\"in-wrapper\"}}",
     0, "SDRS.1002", "state not allowed", "in-wrapper"},
    {"{\"meta\":{\"x\":1},\"conflictingRequest\":{\"message\":\"busy\",\"code\":409}}", 0, "409",
     "busy", ""},
    {"{\"error\":{\"code\":null,\"message\":null},\"x\":{\"code\":\"LATER\"}}", 0, "LATER", "", ""},
    /* flat code / message, last resort */
    {"{\"code\": 400, \"message\": \"Bad request\"}", 0, "400", "Bad request", ""},
    /* numbers, booleans and wrong types as values */
    {"{\"error\":{\"code\":4.5,\"message\":true}}", 0, "4.5", "true", ""},
    {"{\"error\":{\"code\":{\"x\":1},\"message\":\"m\"}}", 0, "", "m", ""},
    {"{\"error\":{\"code\":[\"a\"],\"message\":\"m\"}}", 0, "", "m", ""},
    {"{\"error\":{\"code\":-1}}", 0, "-1", "", ""},
    {"{\"error\":{\"code\":\"\",\"message\":\"\"},\"error_code\":\"\"}", ERR_PARSE, "",
     "{\"error\":{\"code\":\"\",\"message\":\"\"},\"error_code\":\"\"}", ""},
    /* sanitising */
    {"{\"error\":{\"code\":\"X\",\"message\":\"line1\\nline2\\r\\n\\tindented\\u001b[31mred\"}}", 0,
     "X", "line1 line2 indented [31mred", ""},
    {"{\"error\":{\"code\":\" X \\n\",\"message\":\"  caf\\u00e9 \\u4e00  \"}}", 0, "X",
     "caf\xc3\xa9 \xe4\xb8\x80", ""},
    {"{\"error\":{\"code\":\"X\",\"message\":\"a\\u0000b\"}}", 0, "X", "a b", ""},
    {"{\"error\":{\"code\":\"X\",\"message\":\"evil\\u202egnp.exe\\u2028next\"}}", 0, "X",
     "evil?gnp.exe next", ""},
    {"{\"error\":{\"code\":\"X\",\"message\":\"bad \xff\xfe overlong \xc0\xaf surrogate "
     "\xed\xa0\x80 end\"}}",
     0, "X", "bad ?? overlong ?? surrogate ??? end", ""},
    {"{\"error\":{\"code\":\"X\",\"message\":\"c1\xc2\x85here\"}}", 0, "X", "c1 here", ""},
    {"\xef\xbb\xbf{\"error\":{\"code\":\"BOM\"}}", 0, "BOM", "", ""},
    /* text after the first value is ignored (the docs concatenate two objects) */
    {"{\"error\":{\"code\":\"A\",\"message\":\"first\"}}{\"error\":{\"code\":\"B\"}}", 0, "A",
     "first", ""},
    {"  {\"error\":{\"code\":\"A\"}}  \n", 0, "A", "", ""},
    /* not errors */
    {"", ERR_PARSE, "", "", ""},
    {"   \r\n ", ERR_PARSE, "", "", ""},
    {"null", ERR_PARSE, "", "null", ""},
    {"42", ERR_PARSE, "", "42", ""},
    {"\"error\"", ERR_PARSE, "", "\"error\"", ""},
    {"[{\"error\":{\"code\":\"X\"}}]", ERR_PARSE, "", "[{\"error\":{\"code\":\"X\"}}]", ""},
    {"{}", ERR_PARSE, "", "{}", ""},
    {"{\"job_id\":\"0123\",\"status\":\"SUCCESS\",\"error_code\":null,\"fail_reason\":null}",
     ERR_PARSE, "",
     "{\"job_id\":\"0123\",\"status\":\"SUCCESS\",\"error_code\":null,\"fail_reason\":null}", ""},
    {"{\"error\":{\"message\":null,\"code\":null}}", ERR_PARSE, "",
     "{\"error\":{\"message\":null,\"code\":null}}", ""},
    {"{\"error\": {\"message\": \"trunc", ERR_PARSE, "", "{\"error\": {\"message\": \"trunc", ""},
    {"{\"error\": \"just a string\"}", ERR_PARSE, "", "{\"error\": \"just a string\"}", ""},
    {"Service Unavailable\r\n", ERR_PARSE, "", "Service Unavailable", ""},
    /* HTML pages */
    {"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
     "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
     ERR_PARSE, "", "502 Bad Gateway", ""},
    {"<!DOCTYPE html><HTML><HEAD><TITLE>\n  Access Denied \n</TITLE></HEAD></HTML>", ERR_PARSE, "",
     "Access Denied", ""},
    {"<html><body><h1>503</h1><p>Service\nUnavailable</p></body></html>", ERR_PARSE, "",
     "503 Service Unavailable", ""},
    {"<html><title></title><body>x</body></html>", ERR_PARSE, "", "x", ""},
    {"<><><>", ERR_PARSE, "", "<><><>", ""},
};

START_TEST(test_shape)
{
    const struct shape *t = &shapes[_i];
    struct api_error ae;
    int rc = parse(t->body, &ae);

    ck_assert_msg(rc == t->rc, "shape %d: rc %d want %d ('%s')", _i, rc, t->rc, t->body);
    ck_assert_str_eq(ae.code, t->code);
    ck_assert_str_eq(ae.message, t->message);
    ck_assert_str_eq(ae.request_id, t->request_id);
}
END_TEST

/* ---- shared example bodies ------------------------------------------------------------------ */

static char *read_shared(const char *rel, size_t *len)
{
    const char *dir = tu_shared_dir();
    struct buf path, body;
    struct err e;

    if (!dir) {
        fprintf(stderr, "check_apierr: SKIP %s: SDRS_SHARED_DIR/api-examples is not available\n",
                rel);
        return NULL;
    }
    buf_init(&path, 0);
    buf_init(&body, 0);
    buf_printf(&path, "%s/%s", dir, rel);
    if (util_read_file(buf_str(&path), 0, &body, &e) != 0) {
        fprintf(stderr, "check_apierr: SKIP %s: %s\n", rel, e.msg);
        buf_free(&path);
        buf_free(&body);
        return NULL;
    }
    buf_free(&path);
    *len = body.len;
    return buf_take(&body);
}

START_TEST(test_shared_error_docs)
{
    static const char *files[] = {"docs/error.json", "docs/error-generic.json",
                                  "docs/error-badrequest.json"};
    struct api_error ae;
    char line[128];

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *body = read_shared(files[i], &len);

        if (!body)
            continue;
        ck_assert_msg(parse_n(body, len, &ae) == 0, "%s not recognised", files[i]);
        ck_assert_str_eq(ae.code, "XXX");
        ck_assert_str_eq(ae.message, "XXXX");
        ck_assert_int_eq(apierr_format(&ae, 400, line, sizeof line), 0);
        ck_assert_str_eq(line, "XXX: XXXX");
        free(body);
    }
}
END_TEST

/* A failed job whose fail_reason embeds a JSON error object in free text. */
START_TEST(test_shared_job_fail)
{
    struct api_error ae, inner;
    size_t len;
    char *body = read_shared("otcextensions/job-fail-fake.json", &len);
    const char *brace;

    if (!body)
        return;
    ck_assert_int_eq(parse_n(body, len, &ae), 0);
    ck_assert_str_eq(ae.code, "SDRS.001");
    ck_assert_msg(strncmp(ae.message,
                          "SdrsExtendReplicationPairNewTask-fail:SDRS.0011:Client error : "
                          "{\"badRequest\": {\"message\": \"Extending Replication error: ",
                          110) == 0,
                  "message: %s", ae.message);
    ck_assert_ptr_nonnull(strstr(ae.message, "\"code\": 400}}"));
    /* the embedded object parses on its own */
    brace = strchr(ae.message, '{');
    ck_assert_ptr_nonnull(brace);
    ck_assert_int_eq(parse(brace, &inner), 0);
    ck_assert_str_eq(inner.code, "400");
    ck_assert_str_eq(inner.message, "Extending Replication error: Check replication volume size "
                                    "or volume status or volume quota fail, detail is f() takes "
                                    "exactly 1 argument (2 given)");
    free(body);
}
END_TEST

/* Success bodies and invalid JSON from the docs are not errors and do not crash. */
START_TEST(test_shared_not_errors)
{
    static const char *files[] = {"docs/job-success.json", "docs/group-list.raw.txt",
                                  "docs/group-get.json", "docs/job-subjobs.json"};
    struct api_error ae;

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *body = read_shared(files[i], &len);

        if (!body)
            continue;
        ck_assert_msg(parse_n(body, len, &ae) == ERR_PARSE, "%s recognised as an error", files[i]);
        ck_assert_uint_le(strlen(ae.message), APIERR_EXCERPT);
        ck_assert_str_eq(ae.code, "");
        free(body);
    }
}
END_TEST

/* ---- hostile input -------------------------------------------------------------------------- */

START_TEST(test_deep_nesting)
{
    size_t n = 100000;
    char *body = malloc(2 * n);
    struct api_error ae;

    ck_assert_ptr_nonnull(body);
    memset(body, '[', n);
    memset(body + n, ']', n);
    ck_assert_int_eq(parse_n(body, 2 * n, &ae), ERR_PARSE);
    ck_assert_uint_le(strlen(ae.message), APIERR_EXCERPT);
    ck_assert_int_eq(strncmp(ae.message, "[[[[", 4), 0);
    ck_assert_ptr_nonnull(strstr(ae.message, "..."));
    /* nested inside a real error object */
    memcpy(body, "{\"error\":{\"code\":\"X\",\"d\":", 25);
    ck_assert_int_eq(parse_n(body, 2 * n, &ae), ERR_PARSE);
    free(body);
}
END_TEST

START_TEST(test_huge_message)
{
    size_t n = 1 << 20;
    struct buf b;
    struct api_error ae;

    buf_init(&b, 0);
    buf_adds(&b, "{\"error\":{\"code\":\"BIG\",\"message\":\"");
    for (size_t i = 0; i < n / 2; i++)
        buf_add(&b, "\xc3\xa9", 2); /* 2-byte characters, to test the cut */
    buf_adds(&b, "\"}}");
    ck_assert_int_eq(parse_n(b.data, b.len, &ae), 0);
    ck_assert_str_eq(ae.code, "BIG");
    ck_assert_uint_le(strlen(ae.message), sizeof ae.message - 1);
    ck_assert_uint_ge(strlen(ae.message), sizeof ae.message - 6);
    ck_assert_int_eq(strcmp(ae.message + strlen(ae.message) - 3, "..."), 0);
    /* a huge non-JSON body only yields an excerpt */
    memset(b.data, 'A', b.len);
    ck_assert_int_eq(parse_n(b.data, b.len, &ae), ERR_PARSE);
    ck_assert_uint_eq(strlen(ae.message), APIERR_EXCERPT);
    buf_free(&b);
}
END_TEST

START_TEST(test_too_big_to_parse)
{
    size_t n = (size_t)APIERR_MAX_BODY + 16;
    char *body = malloc(n);
    struct api_error ae;

    ck_assert_ptr_nonnull(body);
    memset(body, ' ', n);
    memcpy(body, "{\"error\":{\"code\":\"X\"}}", 22);
    ck_assert_int_eq(parse_n(body, n, &ae), ERR_PARSE);
    ck_assert_str_eq(ae.message, "{\"error\":{\"code\":\"X\"}}");
    free(body);
}
END_TEST

START_TEST(test_nul_bytes)
{
    static const char raw_nul[] = "{\"error\":{\"code\":\"X\",\"message\":\"a\0b\"}}";
    static const char nul_first[] = "\0{\"error\":{\"code\":\"X\"}}";
    static const char nul_after[] = "{\"error\":{\"code\":\"X\"}}\0garbage";
    struct api_error ae;
    int rc;

    /* a raw NUL inside a string: either rejected or kept as a blank, never cut silently */
    rc = parse_n(raw_nul, sizeof raw_nul - 1, &ae);
    ck_assert(rc == 0 || rc == ERR_PARSE);
    if (rc == 0)
        ck_assert_str_eq(ae.message, "a b");
    else
        ck_assert_str_eq(ae.message, "{\"error\":{\"code\":\"X\",\"message\":\"a b\"}}");
    ck_assert_int_eq(parse_n(nul_first, sizeof nul_first - 1, &ae), ERR_PARSE);
    ck_assert_str_eq(ae.message, "{\"error\":{\"code\":\"X\"}}");
    ck_assert_int_eq(parse_n(nul_after, sizeof nul_after - 1, &ae), 0);
    ck_assert_str_eq(ae.code, "X");
}
END_TEST

/* Every prefix of a valid error body: no crash, no over-read, clean output. */
START_TEST(test_every_prefix)
{
    static const char body[] = "{\"error_msg\":\"caf\xc3\xa9 \xe4\xb8\x80\",\"error_code\":"
                               "\"APIG.0301\",\"request_id\":\"abc\"}";
    struct api_error ae;

    for (size_t n = 0; n < sizeof body - 1; n++)
        ck_assert_int_eq(parse_n(body, n, &ae), ERR_PARSE);
    ck_assert_int_eq(parse_n(body, sizeof body - 1, &ae), 0);
    ck_assert_str_eq(ae.request_id, "abc");
}
END_TEST

START_TEST(test_bad_args)
{
    struct api_error ae;

    ck_assert_int_eq(apierr_parse("{}", 2, NULL), ERR_INVALID);
    ck_assert_int_eq(apierr_parse(NULL, 5, &ae), ERR_INVALID);
    ck_assert_str_eq(ae.message, "");
    ck_assert_int_eq(apierr_parse(NULL, 0, &ae), ERR_PARSE);
    ck_assert_str_eq(ae.message, "");
}
END_TEST

/* ---- sanitize and format -------------------------------------------------------------------- */

static void expect_sanitized(const char *in, size_t size, const char *want)
{
    char out[512];
    size_t n;

    ck_assert_uint_le(size, sizeof out);
    memset(out, 'Z', sizeof out);
    n = apierr_sanitize(in, in ? strlen(in) : 0, out, size);
    ck_assert_str_eq(out, want);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert(printable_utf8(out));
}

START_TEST(test_sanitize)
{
    expect_sanitized(NULL, 8, "");
    expect_sanitized("", 8, "");
    expect_sanitized("  a \t\r\n b  ", 32, "a b");
    expect_sanitized("\xef\xbb\xbfhello", 32, "hello");
    expect_sanitized("abcdefghij", 8, "abcd...");
    expect_sanitized("abcdefg", 8, "abcdefg");
    expect_sanitized("abcdefgh", 8, "abcd...");
    expect_sanitized("ab        cdefgh", 7, "ab..."); /* no blank before the dots */
    expect_sanitized("abcdefgh", 4, "...");
    expect_sanitized("abcdefgh", 3, "ab");
    expect_sanitized("abcdefgh", 1, "");
    expect_sanitized("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, "\xc3\xa9\xc3\xa9...");
    expect_sanitized("\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80", 9, "\xe4\xb8\x80...");
    expect_sanitized("\xf0\x9f\x98\x80 ok", 32, "\xf0\x9f\x98\x80 ok");
    expect_sanitized("\xf4\x90\x80\x80", 32, "????"); /* above U+10FFFF */
    expect_sanitized("\xe2\x80\xae\xe2\x81\xa6x", 32, "??x");
    expect_sanitized("a\x7f"
                     "b\xc2\x9f"
                     "c",
                     32, "a b c");
    expect_sanitized("trunc\xe4\xb8", 32, "trunc??");
    ck_assert_uint_eq(apierr_sanitize("x", 1, NULL, 8), 0);
}
END_TEST

static void expect_format(const char *code, const char *msg, const char *rid, int status,
                          const char *want)
{
    struct api_error ae = {{0}, {0}, {0}};
    char out[512];

    snprintf(ae.code, sizeof ae.code, "%s", code);
    snprintf(ae.message, sizeof ae.message, "%s", msg);
    snprintf(ae.request_id, sizeof ae.request_id, "%s", rid);
    ck_assert_int_eq(apierr_format(&ae, status, out, sizeof out), 0);
    ck_assert_str_eq(out, want);
}

START_TEST(test_format)
{
    struct api_error ae;
    char out[512], small[10];

    expect_format("SDRS.1013", "The group does not exist.", "", 400,
                  "SDRS.1013: The group does not exist.");
    expect_format("SDRS.0221", "", "", 400, "SDRS.0221");
    expect_format("", "Internal error", "", 500, "HTTP 500: Internal error");
    expect_format("", "", "", 503, "HTTP 503");
    expect_format("", "", "", 0, "unknown error");
    expect_format("", "boom", "", -1, "boom");
    expect_format("APIG.0301", "Incorrect IAM authentication information", "abc", 401,
                  "APIG.0301: Incorrect IAM authentication information (request id: abc)");
    expect_format("", "", "abc", 502, "HTTP 502 (request id: abc)");
    expect_format("X\n", "a\r\nb", "", 400, "X: a b"); /* caller-filled fields are sanitised */
    ck_assert_int_eq(apierr_format(NULL, 500, out, sizeof out), 0);
    ck_assert_str_eq(out, "HTTP 500");

    /* an unrecognised body, as the client prints it */
    apierr_parse("<html><title>502 Bad Gateway</title></html>", 44, &ae);
    ck_assert_int_eq(apierr_format(&ae, 502, out, sizeof out), 0);
    ck_assert_str_eq(out, "HTTP 502: 502 Bad Gateway");

    /* truncation on a character boundary */
    memset(&ae, 0, sizeof ae);
    snprintf(ae.code, sizeof ae.code, "X");
    snprintf(ae.message, sizeof ae.message, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
    ck_assert_int_eq(apierr_format(&ae, 400, small, sizeof small), ERR_LIMIT);
    ck_assert_str_eq(small, "X: \xc3\xa9\xc3\xa9\xc3\xa9");
    ck_assert_int_eq(apierr_format(&ae, 400, small, 1), ERR_LIMIT);
    ck_assert_str_eq(small, "");
    ck_assert_int_eq(apierr_format(&ae, 400, NULL, 10), ERR_INVALID);
    ck_assert_int_eq(apierr_format(&ae, 400, small, 0), ERR_INVALID);

    /* fields without a terminator are read only within their arrays */
    memset(&ae, 'A', sizeof ae);
    ck_assert_int_eq(apierr_format(&ae, 400, out, sizeof out), 0);
    /* each field cut to its array size minus one, ending in "...": 63 + ": " + 255 +
     * " (request id: " + 95 + ")" */
    ck_assert_uint_eq(strlen(out), 63 + 2 + 255 + 14 + 95 + 1);
    ck_assert(printable_utf8(out));
}
END_TEST

static Suite *apierr_suite(void)
{
    Suite *s = suite_create("apierr");
    TCase *tc;

    tc = tcase_create("shapes");
    tcase_add_loop_test(tc, test_shape, 0, (int)(sizeof shapes / sizeof shapes[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("shared");
    tcase_add_test(tc, test_shared_error_docs);
    tcase_add_test(tc, test_shared_job_fail);
    tcase_add_test(tc, test_shared_not_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_huge_message);
    tcase_add_test(tc, test_too_big_to_parse);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_every_prefix);
    tcase_add_test(tc, test_bad_args);
    suite_add_tcase(s, tc);

    tc = tcase_create("format");
    tcase_add_test(tc, test_sanitize);
    tcase_add_test(tc, test_format);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(apierr_suite());
}
