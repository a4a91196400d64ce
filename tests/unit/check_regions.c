/*
 * Tests for regions.c: the Huawei Cloud rows against the official SDK's region tables, committed
 * as known answers in tests/unit/region-vectors.json (no npm at test time), the Open Telekom Cloud
 * rows against their host patterns, and the table's own invariants.
 */
#include "testutil.h"

#include "err.h"
#include "jsonutil.h"
#include "regions.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *vectors; /* tests/unit/region-vectors.json */

static struct json_object *jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    ck_assert_msg(json_object_object_get_ex(o, key, &v), "vectors: missing key '%s'", key);
    return v;
}

/* The vectors' region -> URL map `key` ("ecs" or "iam"), checked to be a non-empty object. */
static struct json_object *sdk_map(const char *key)
{
    struct json_object *m = jget(vectors, key);

    ck_assert_msg(json_object_is_type(m, json_type_object), "vectors: '%s' is not an object", key);
    ck_assert_int_gt(json_object_object_length(m), 0);
    return m;
}

/* The region's row, failing the test when there is none. */
static const struct region_info *must(const char *region)
{
    const struct region_info *r = region_lookup(region);

    ck_assert_msg(r != NULL, "region '%s' is not in the table", region);
    return r;
}

static const char *service_host(const struct region_info *r, const char *service)
{
    if (strcmp(service, "sdrs") == 0)
        return r->sdrs;
    if (strcmp(service, "ecs") == 0)
        return r->ecs;
    if (strcmp(service, "ims") == 0)
        return r->ims;
    if (strcmp(service, "iam") == 0)
        return r->iam;
    ck_assert_str_eq(service, "evs");
    return r->evs;
}

/* Asserts that the row's host for service is https://<prefix>.<region>.<domain>. */
static void assert_host(const struct region_info *r, const char *service, const char *prefix,
                        const char *domain)
{
    char want[256];
    const char *got = service_host(r, service);

    snprintf(want, sizeof want, "https://%s.%s.%s", prefix, r->region, domain);
    ck_assert_msg(got != NULL, "%s: no %s host", r->region, service);
    ck_assert_msg(strcmp(got, want) == 0, "%s: %s host is '%s', want '%s'", r->region, service, got,
                  want);
}

/* ---- the SDK's tables ------------------------------------------------------------------------ */

START_TEST(every_sdk_ecs_region_has_the_sdk_ecs_host)
{
    json_object_object_foreach(sdk_map("ecs"), region, url)
    {
        const struct region_info *r = must(region);

        ck_assert_msg(r->cloud == CLOUD_HUAWEI, "%s is not a Huawei Cloud row", region);
        ck_assert_ptr_nonnull(r->ecs);
        ck_assert_str_eq(r->ecs, json_object_get_string(url));
    }
}
END_TEST

START_TEST(every_sdk_iam_region_has_the_sdk_iam_host)
{
    json_object_object_foreach(sdk_map("iam"), region, url)
    {
        const struct region_info *r = must(region);

        ck_assert_msg(r->cloud == CLOUD_HUAWEI, "%s is not a Huawei Cloud row", region);
        ck_assert_ptr_nonnull(r->iam);
        ck_assert_str_eq(r->iam, json_object_get_string(url));
    }
}
END_TEST

/* Where the SDK has no regional IAM host, the row has the global host the SDK falls back to. */
START_TEST(regions_without_a_regional_iam_host_use_the_global_one)
{
    struct json_object *iam = sdk_map("iam"), *unused = NULL;
    const char *global = json_object_get_string(jget(vectors, "iam_global_fallback"));
    int n = 0;

    ck_assert_str_eq(global, "https://iam.myhuaweicloud.com");
    json_object_object_foreach(sdk_map("ecs"), region, url)
    {
        (void)url;
        if (json_object_object_get_ex(iam, region, &unused))
            continue;
        ck_assert_str_eq(must(region)->iam, global);
        n++;
    }
    /* the five of the issue: af-north-1, ap-southeast-5, cn-north-11, cn-south-4, cn-southwest-3 */
    ck_assert_int_eq(n, 5);
    ck_assert_str_eq(must("cn-southwest-3")->iam, global);
}
END_TEST

/* The table has no Huawei Cloud region that neither SDK table lists. */
START_TEST(huawei_rows_are_exactly_the_sdk_regions)
{
    struct json_object *ecs = sdk_map("ecs"), *iam = sdk_map("iam"), *unused = NULL;
    size_t huawei = 0;

    for (size_t i = 0; i < region_count(); i++) {
        const struct region_info *r = region_at(i);

        if (r->cloud != CLOUD_HUAWEI)
            continue;
        huawei++;
        ck_assert_msg(json_object_object_get_ex(ecs, r->region, &unused) ||
                          json_object_object_get_ex(iam, r->region, &unused),
                      "%s is in no SDK table", r->region);
    }
    /* every IAM region is also an ECS region in this SDK version, so the ECS map is the union */
    json_object_object_foreach(iam, region, url)
    {
        (void)url;
        ck_assert_msg(json_object_object_get_ex(ecs, region, &unused), "%s: IAM only", region);
    }
    ck_assert_uint_eq(huawei, (size_t)json_object_object_length(ecs));
}
END_TEST

/* SDRS, IMS and EVS follow the documented pattern; eu-west-101 uses the .eu domain. */
START_TEST(huawei_pattern_hosts)
{
    static const char *const services[] = {"sdrs", "ims", "evs"};

    for (size_t i = 0; i < region_count(); i++) {
        const struct region_info *r = region_at(i);
        const char *domain =
            strcmp(r->region, "eu-west-101") == 0 ? "myhuaweicloud.eu" : "myhuaweicloud.com";

        if (r->cloud != CLOUD_HUAWEI)
            continue;
        for (size_t s = 0; s < sizeof services / sizeof services[0]; s++)
            assert_host(r, services[s], services[s], domain);
    }
    ck_assert_str_eq(must("eu-west-101")->iam, "https://iam.eu-west-101.myhuaweicloud.eu");
    /* the SDK's ECS table keeps eu-west-101 under .com (docs/regions.md) */
    ck_assert_str_eq(must("eu-west-101")->ecs, "https://ecs.eu-west-101.myhuaweicloud.com");
}
END_TEST

/* ---- Open Telekom Cloud ---------------------------------------------------------------------- */

START_TEST(otc_regions)
{
    static const char *const otc[] = {"eu-de", "eu-nl"};
    static const char *const services[] = {"sdrs", "ecs", "ims", "iam", "evs"};

    for (size_t i = 0; i < sizeof otc / sizeof otc[0]; i++) {
        const struct region_info *r = must(otc[i]);

        ck_assert_int_eq(r->cloud, CLOUD_OTC);
        for (size_t s = 0; s < sizeof services / sizeof services[0]; s++)
            assert_host(r, services[s], services[s], "otc.t-systems.com");
    }
    ck_assert_str_eq(must("eu-de")->sdrs, "https://sdrs.eu-de.otc.t-systems.com");
    ck_assert_str_eq(must("eu-nl")->iam, "https://iam.eu-nl.otc.t-systems.com");
}
END_TEST

START_TEST(swiss_otc_region)
{
    const struct region_info *r = must("eu-ch2");

    ck_assert_int_eq(r->cloud, CLOUD_OTC_SWISS);
    assert_host(r, "sdrs", "sdrs", "sc.otc.t-systems.com");
    assert_host(r, "ecs", "ecs", "sc.otc.t-systems.com");
    assert_host(r, "ims", "ims", "sc.otc.t-systems.com");
    assert_host(r, "evs", "evs", "sc.otc.t-systems.com");
    assert_host(r, "iam", "iam-pub", "sc.otc.t-systems.com");
    ck_assert_str_eq(r->iam, "https://iam-pub.eu-ch2.sc.otc.t-systems.com");
}
END_TEST

/* ---- lookup and the table's invariants ------------------------------------------------------- */

START_TEST(unknown_names)
{
    static const char *const unknown[] = {
        "eu-de-01", "eu-de-02", "eu-nl-01", "eu-ch2a", "cn-north-4a", /* availability zones */
        "EU-DE",    "Eu-De",    "eu-de ",   " eu-de",  "eu",          /* not exact */
        "",         "eu-ch",    "eu-west-1"};

    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        ck_assert_msg(region_lookup(unknown[i]) == NULL, "'%s' should be unknown", unknown[i]);
    ck_assert_ptr_null(region_lookup(NULL));
    ck_assert_ptr_null(region_at(region_count()));
}
END_TEST

static void assert_base_url(const struct region_info *r, const char *service)
{
    const char *url = service_host(r, service);
    const char *host;

    if (!url)
        return;
    ck_assert_msg(strncmp(url, "https://", 8) == 0, "%s %s: '%s'", r->region, service, url);
    host = url + 8;
    ck_assert_msg(*host && strpbrk(host, "/?#: ") == NULL, "%s %s: '%s' is not a bare host",
                  r->region, service, url);
    ck_assert_msg(strstr(host, r->region) != NULL ||
                      strcmp(url, "https://iam.myhuaweicloud.com") == 0,
                  "%s %s: '%s' names another region", r->region, service, url);
}

START_TEST(every_row_is_well_formed)
{
    static const char *const services[] = {"sdrs", "ecs", "ims", "iam", "evs"};

    ck_assert_uint_gt(region_count(), 0);
    for (size_t i = 0; i < region_count(); i++) {
        const struct region_info *r = region_at(i);

        ck_assert_ptr_nonnull(r);
        ck_assert_msg(r->region && *r->region, "row %zu has no name", i);
        ck_assert_msg(r->source && *r->source, "%s has no source", r->region);
        ck_assert_ptr_eq(region_lookup(r->region), r);
        ck_assert_msg(r->ecs && r->iam, "%s: no ECS or IAM host", r->region);
        for (size_t s = 0; s < sizeof services / sizeof services[0]; s++)
            assert_base_url(r, services[s]);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(region_at(j)->region, r->region) != 0, "%s twice", r->region);
    }
}
END_TEST

START_TEST(cloud_names)
{
    ck_assert_str_eq(region_cloud_name(CLOUD_OTC), "Open Telekom Cloud");
    ck_assert_str_eq(region_cloud_name(CLOUD_OTC_SWISS), "Open Telekom Cloud (Swiss)");
    ck_assert_str_eq(region_cloud_name(CLOUD_HUAWEI), "Huawei Cloud");
    ck_assert_str_eq(region_cloud_name((enum region_cloud)42), "unknown cloud");
}
END_TEST

START_TEST(names_list)
{
    char all[4096], small[24], tiny[3];
    size_t len = 0;

    region_names(all, sizeof all);
    ck_assert_msg(strncmp(all, "eu-de, eu-nl, eu-ch2, ", 22) == 0, "'%s'", all);
    ck_assert_ptr_null(strstr(all, "..."));
    for (size_t i = 0; i < region_count(); i++)
        len += strlen(region_at(i)->region) + (i ? 2 : 0);
    ck_assert_uint_eq(strlen(all), len);

    /* too small: cut at a name boundary, "..." after it */
    region_names(small, sizeof small);
    ck_assert_str_eq(small, "eu-de, eu-nl, ...");
    region_names(tiny, sizeof tiny);
    ck_assert_str_eq(tiny, "");
    region_names(tiny, 0); /* writes nothing */

    /* every size from 1 to the full length: always terminated, always a prefix of the list */
    for (size_t size = 1; size <= len + 1; size++) {
        char buf[4096];

        memset(buf, 'x', sizeof buf);
        region_names(buf, size);
        ck_assert_uint_lt(strlen(buf), size);
        if (strcmp(buf, all) != 0 && *buf) {
            size_t keep = strlen(buf) - strlen("...");

            ck_assert_str_eq(buf + keep, "...");
            ck_assert_int_eq(strncmp(buf, all, keep), 0);
        }
    }
}
END_TEST

int main(void)
{
    char *path = tu_src_path("tests/unit/region-vectors.json");
    size_t len = 0;
    char *text = tu_read_src("tests/unit/region-vectors.json", &len);
    struct err e = {0};
    Suite *s = suite_create("regions");
    TCase *tc;

    if (jsonutil_parse(text, len, path, JSONUTIL_DEFAULT_DEPTH, &vectors, &e) != 0) {
        fprintf(stderr, "check_regions: %s\n", e.msg);
        return EXIT_FAILURE;
    }
    free(text);
    free(path);

    tc = tcase_create("sdk");
    tcase_add_test(tc, every_sdk_ecs_region_has_the_sdk_ecs_host);
    tcase_add_test(tc, every_sdk_iam_region_has_the_sdk_iam_host);
    tcase_add_test(tc, regions_without_a_regional_iam_host_use_the_global_one);
    tcase_add_test(tc, huawei_rows_are_exactly_the_sdk_regions);
    tcase_add_test(tc, huawei_pattern_hosts);
    suite_add_tcase(s, tc);

    tc = tcase_create("otc");
    tcase_add_test(tc, otc_regions);
    tcase_add_test(tc, swiss_otc_region);
    suite_add_tcase(s, tc);

    tc = tcase_create("table");
    tcase_add_test(tc, unknown_names);
    tcase_add_test(tc, every_row_is_well_formed);
    tcase_add_test(tc, cloud_names);
    tcase_add_test(tc, names_list);
    suite_add_tcase(s, tc);

    int rc = tu_run(s);

    json_object_put(vectors);
    return rc;
}
