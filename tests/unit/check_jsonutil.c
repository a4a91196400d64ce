/* The JSON reader's strictness: a key twice in one object is ambiguous, wherever it is. And the
 * table of documented values that the rules and the reader decide with. */
#include "testutil.h"

#include "jdoc.h"
#include "jsonutil.h"
#include "util.h"
#include "vocab.h"

#include <stdio.h>
#include <string.h>

static void expect_dup(const char *text, bool found, const char *path, const char *key)
{
    struct jsonutil_dup d;

    ck_assert_int_eq(jsonutil_find_dup(text, strlen(text), &d), 0);
    ck_assert_msg(d.found == found, "%s: found %d", text, d.found);
    if (found) {
        ck_assert_str_eq(d.path, path);
        ck_assert_str_eq(d.key, key);
    }
}

START_TEST(repeated_keys_are_found_where_they_are)
{
    expect_dup("{\"a\":1,\"b\":2}", false, NULL, NULL);
    expect_dup("{}", false, NULL, NULL); /* an object closed before any key was seen */
    expect_dup("[{},[],{\"a\":{}}]", false, NULL, NULL);
    expect_dup("{\"a\":1,\"a\":1}", true, "$", "a");
    expect_dup("[{\"a\":1},{\"a\":2}]", false, NULL, NULL); /* the same key in two objects */
    expect_dup("{\"a\":{\"a\":1}}", false, NULL, NULL);     /* ... or at two levels */
    expect_dup("{\"x\":{\"y\":[0,{\"k\":1,\"\\u006b\":2}]}}", true, "$.x.y[1]", "k");
    expect_dup("{\"servers\":{\"id-1\":{\"status\":\"A\",\"status\":\"B\"}}}", true,
               "$.servers[\"id-1\"]", "status");
    /* brackets, braces, commas and quotes inside strings are text */
    expect_dup("{\"s\":\"a\\\",{\\\"\",\"t\":[\"}\",\"{\",\",\"],\"s\":0}", true, "$", "s");
    /* a surrogate pair and the character it stands for are the same key */
    expect_dup("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", true, "$", "\xf0\x9f\x98\x80");
    /* escapes that differ are different keys */
    expect_dup("{\"a\\n\":1,\"a\\t\":2,\"a\":3}", false, NULL, NULL);
    /* many keys: the sort path */
    {
        char text[4096];
        size_t n = 0;
        n += (size_t)snprintf(text + n, sizeof text - n, "{");
        for (int i = 0; i < 200; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "\"k%d\":%d,", i, i);
        snprintf(text + n, sizeof text - n, "\"k117\":0}");
        expect_dup(text, true, "$", "k117");
    }
}
END_TEST

START_TEST(parse_refuses_or_reports_a_repeated_key)
{
    static const char text[] = "{\"list\":[{\"id\":\"a\",\"id\":\"b\"}]}";
    struct json_object *o = NULL;
    struct jsonutil_dup d = {0};
    struct err e = {0};

    ck_assert_int_eq(jsonutil_parse(text, strlen(text), "in.json", 16, &o, &e), ERR_PARSE);
    ck_assert_ptr_null(o);
    ck_assert_ptr_nonnull(strstr(e.msg, "in.json: ambiguous JSON: key \"id\" appears twice in "
                                        "$.list[0]"));
    /* a reader that records the ambiguity gets the document and where the key is */
    ck_assert_int_eq(jsonutil_parse_dup(text, strlen(text), "in.json", 16, &o, &d, &e), 0);
    ck_assert_ptr_nonnull(o);
    ck_assert(d.found);
    ck_assert_str_eq(d.path, "$.list[0]");
    ck_assert_str_eq(d.key, "id");
    json_object_put(o);
}
END_TEST

/* A top-level null is a whole document only when nothing but blanks follows it; the key scan
 * never runs past the end of a cut-off string. */
START_TEST(top_level_null_and_cut_strings)
{
    static const struct {
        const char *text;
        size_t len;
        bool ok;
    } cases[] = {
        {"null", 4, true},         {"null \n", 6, true},      {" null", 5, true},
        {"null x", 6, false},      {"null\0\0\"a", 8, false}, {"[null]", 6, true},
        {"{\"a\":\"\\", 7, false},
    };
    struct jsonutil_dup d;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct json_object *o = NULL;
        struct err e = {0};
        int rc = jsonutil_parse(cases[i].text, cases[i].len, "t", 16, &o, &e);

        ck_assert_msg((rc == 0) == cases[i].ok, "case %zu: rc %d %s", i, rc, e.msg);
        json_object_put(o);
        /* the scan alone, on any bytes, ends */
        ck_assert_int_eq(jsonutil_find_dup(cases[i].text, cases[i].len, &d), 0);
    }
    ck_assert_int_eq(jsonutil_find_dup("\"\\", 2, &d), 0);
    ck_assert_int_eq(jsonutil_find_dup("{\"\\u12", 6, &d), 0);
}
END_TEST

/* Numbers as RFC 8259 writes them, or refused: json-c's tokener takes "1.", "-.5" and "01e3" and
 * writes them back as they came, so a snapshot would carry them to the snapshot's reader (jdoc),
 * which refuses them. Both readers read the same numbers. */
START_TEST(numbers_outside_json_are_refused)
{
    static const struct {
        const char *text;
        bool ok;
    } cases[] = {
        {"[1.]", false},    {"[-.5]", false}, {"[01e3]", false}, {"[1.e5]", false},
        {"[-0.e3]", false}, {"[0.1]", true},  {"[1e3]", true},   {"[-0.0E-2]", true},
        {"[2.50]", true},   {"[-0]", true},   {"[1E+2]", true},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct json_object *o = NULL;
        struct jdoc *d = NULL;
        struct err e = {0};
        int rc = jsonutil_parse(cases[i].text, strlen(cases[i].text), "t", 16, &o, &e);

        ck_assert_msg((rc == 0) == cases[i].ok, "%s: rc %d %s", cases[i].text, rc, e.msg);
        if (!cases[i].ok)
            ck_assert_ptr_nonnull(strstr(e.msg, "RFC 8259"));
        rc = jdoc_parse(cases[i].text, strlen(cases[i].text), "t", 16, &d, NULL, &e);
        ck_assert_msg((rc == 0) == cases[i].ok, "jdoc %s: rc %d %s", cases[i].text, rc, e.msg);
        json_object_put(o);
        jdoc_free(d);
    }
    ck_assert_uint_eq(util_json_number_len("1.", 2), 1);
    ck_assert_uint_eq(util_json_number_len("-0.5e-3x", 8), 7);
    ck_assert_uint_eq(util_json_number_len("-", 1), 0);
    ck_assert_uint_eq(util_json_number_len("12e", 3), 2);
}
END_TEST

/* Printable paths: control characters and bidi overrides in keys are not passed on. */
START_TEST(dup_paths_are_printable)
{
    struct jsonutil_dup d;
    static const char text[] = "{\"a\\u001b[2Jb\":{\"\\u202ex\":1,\"\\u202ex\":2}}";

    ck_assert_int_eq(jsonutil_find_dup(text, strlen(text), &d), 0);
    ck_assert(d.found);
    ck_assert_ptr_null(strchr(d.path, 0x1b));
    ck_assert_ptr_null(strstr(d.key, "\xe2\x80\xae"));
}
END_TEST

START_TEST(vocab_is_exact_and_complete)
{
    const struct vocab_field *f;

    ck_assert_int_eq(vocab_classify("server_group.status", "protected"), VOCAB_FINE);
    ck_assert_int_eq(vocab_classify("server_group.status", "Protected"), VOCAB_UNRECOGNISED);
    ck_assert_int_eq(vocab_classify("server_group.status", "protected "), VOCAB_UNRECOGNISED);
    ck_assert_int_eq(vocab_classify("server_group.status", ""), VOCAB_UNRECOGNISED);
    ck_assert_int_eq(vocab_classify("server_group.status", NULL), VOCAB_UNRECOGNISED);
    ck_assert_int_eq(vocab_classify("protected_instance.status", "invalid"), VOCAB_BLOCKS);
    ck_assert_int_eq(vocab_classify("replication.fault_level", "5"), VOCAB_BLOCKS);
    ck_assert_int_eq(vocab_classify("replication.fault_level", "3"), VOCAB_UNRECOGNISED);
    ck_assert_int_eq(vocab_classify("server.status", "ERROR"), VOCAB_BLOCKS);
    ck_assert_int_eq(vocab_classify("server.status", "deleted"), VOCAB_UNRECOGNISED);
    ck_assert(vocab_tagged("server.status", "SOFT_DELETED", "gone"));
    ck_assert(!vocab_tagged("server.status", "ERROR", "gone"));
    ck_assert_int_eq(vocab_classify("job.status", "RUNNING"), VOCAB_PROGRESS);
    ck_assert_int_eq(vocab_classify("no.such.field", "x"), VOCAB_UNRECOGNISED);
    /* the sizes of the documented sets (sdrs-api.md §1.4, §2.3, §3.3, §4; ECS appendix) */
    ck_assert_uint_eq(vocab_field("server_group.status")->nvalues, 17);
    ck_assert_uint_eq(vocab_field("protected_instance.status")->nvalues, 23);
    ck_assert_uint_eq(vocab_field("replication.status")->nvalues, 25);
    ck_assert_uint_eq(vocab_field("disaster_recovery_drill.status")->nvalues, 5);
    ck_assert_uint_eq(vocab_field("server.OS-EXT-STS:task_state")->nvalues, 27);
    /* no value twice in a field; every field has a source */
    for (size_t i = 0; i < vocab_field_count(); i++) {
        f = vocab_field_at(i);
        ck_assert(f->source && *f->source);
        for (size_t a = 0; a < f->nvalues; a++)
            for (size_t b = a + 1; b < f->nvalues; b++)
                ck_assert_msg(strcmp(f->values[a].value, f->values[b].value) != 0, "%s: %s twice",
                              f->name, f->values[a].value);
    }
    /* every status an action allows is a documented group status */
    for (size_t i = 0; i < vocab_action_count(); i++)
        for (const char *const *s = vocab_action_at(i)->statuses; *s; s++)
            ck_assert_int_ne(vocab_classify("server_group.status", *s), VOCAB_UNRECOGNISED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jsonutil");
    TCase *dup = tcase_create("repeated keys"), *voc = tcase_create("vocab");

    tcase_add_test(dup, repeated_keys_are_found_where_they_are);
    tcase_add_test(dup, parse_refuses_or_reports_a_repeated_key);
    tcase_add_test(dup, dup_paths_are_printable);
    tcase_add_test(dup, top_level_null_and_cut_strings);
    tcase_add_test(dup, numbers_outside_json_are_refused);
    tcase_add_test(voc, vocab_is_exact_and_complete);
    suite_add_tcase(s, dup);
    suite_add_tcase(s, voc);
    return tu_run(s);
}
