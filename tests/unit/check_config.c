/* Credentials and endpoints: which set wins, what is missing, how endpoints are derived. */
#include "testutil.h"

#include "api.h"
#include "clouds.h"
#include "config.h"

#include <stdlib.h>
#include <string.h>

static const char *const *vars; /* NAME=value strings, NULL-terminated */

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);

    for (const char *const *v = vars; v && *v; v++)
        if (strncmp(*v, name, n) == 0 && (*v)[n] == '=')
            return *v + n + 1;
    return NULL;
}

static struct credentials load(const char *const *env, const char *token_file, int want_rc)
{
    struct credentials c;
    struct err e = {0};

    vars = env;
    ck_assert_msg(credentials_load(token_file, fake_getenv, &c, &e) == want_rc, "%s", e.msg);
    return c;
}

START_TEST(first_complete_set_wins)
{
    static const char *const all[] = {
        "OS_AUTH_TOKEN=tok", "OS_ACCESS_KEY=ak",      "OS_SECRET_KEY=sk", "OS_USERNAME=u",
        "OS_PASSWORD=pw",    "OS_USER_DOMAIN_NAME=d", "OS_PROJECT_ID=p",  NULL};
    static const char *const aksk[] = {"OS_ACCESS_KEY=ak",
                                       "OS_SECRET_KEY=sk",
                                       "OS_USERNAME=u",
                                       "OS_PASSWORD=pw",
                                       "OS_DOMAIN_NAME=d",
                                       "OS_PROJECT_NAME=eu-de",
                                       NULL};
    static const char *const hw[] = {"OS_ACCESS_KEY=ak-only", "HW_ACCESS_KEY=hak",
                                     "HW_SECRET_KEY=hsk", NULL};
    static const char *const pw[] = {"OS_USERNAME=u",    "OS_PASSWORD=pw",
                                     "OS_DOMAIN_NAME=d", "OS_PROJECT_NAME=eu-de",
                                     "OS_AUTH_TOKEN=  ", NULL};
    struct credentials c = load(all, NULL, 0);

    ck_assert_int_eq(c.kind, CRED_TOKEN);
    ck_assert_str_eq(c.token, "tok");
    ck_assert_str_eq(c.source, "OS_AUTH_TOKEN");
    credentials_clear(&c);
    c = load(aksk, NULL, 0);
    ck_assert_int_eq(c.kind, CRED_AKSK);
    ck_assert_str_eq(c.access_key, "ak");
    ck_assert_str_eq(c.secret_key, "sk");
    credentials_clear(&c);
    ck_assert_ptr_null(c.secret_key);
    c = load(hw, NULL, 0);
    ck_assert_int_eq(c.kind, CRED_AKSK);
    ck_assert_str_eq(c.access_key, "hak");
    ck_assert_str_eq(c.source, "HW_ACCESS_KEY and HW_SECRET_KEY");
    credentials_clear(&c);
    c = load(pw, NULL, 0); /* a blank OS_AUTH_TOKEN does not count */
    ck_assert_int_eq(c.kind, CRED_PASSWORD);
    ck_assert_str_eq(c.domain, "d");
    ck_assert_ptr_null(c.project_id);
    ck_assert_str_eq(c.project_name, "eu-de");
    credentials_clear(&c);
}
END_TEST

START_TEST(nothing_complete_is_an_error)
{
    static const char *const partial[] = {"OS_ACCESS_KEY=ak", "OS_USERNAME=u", NULL};
    struct credentials c;
    struct err e = {0};
    char buf[512];

    vars = partial;
    ck_assert_int_eq(credentials_load(NULL, fake_getenv, &c, &e), ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "no credentials"));
    ck_assert_ptr_nonnull(strstr(e.msg, "never taken from the command line"));
    credentials_incomplete(fake_getenv, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "OS_ACCESS_KEY is set but OS_SECRET_KEY is not"));
    ck_assert_ptr_nonnull(strstr(buf, "OS_USERNAME is set but OS_PASSWORD"));
    vars = NULL;
    credentials_incomplete(fake_getenv, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(token_file)
{
    static const char *const env[] = {"OS_ACCESS_KEY=ak", "OS_SECRET_KEY=sk", NULL};
    char *dir = tu_tmpdir();
    char *good = tu_write(dir, "good", "  the-token\n\n");
    char *empty = tu_write(dir, "empty", "\n \n");
    char *two = tu_write(dir, "two", "a b\n");
    struct credentials c = load(env, good, 0);
    struct err e = {0};

    ck_assert_int_eq(c.kind, CRED_TOKEN); /* the flag beats the environment */
    ck_assert_str_eq(c.token, "the-token");
    ck_assert_str_eq(c.source, "--token-file");
    credentials_clear(&c);
    vars = env;
    ck_assert_int_eq(credentials_load(empty, fake_getenv, &c, &e), ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "is empty"));
    ck_assert_int_eq(credentials_load(two, fake_getenv, &c, &e), ERR_INVALID);
    ck_assert_int_eq(credentials_load("/nonexistent/token", fake_getenv, &c, &e), ERR_IO);
    ck_assert_ptr_nonnull(strstr(e.msg, "token file: cannot read '/nonexistent/token'"));
    tu_rmtree(dir);
    free(dir);
    free(good);
    free(empty);
    free(two);
}
END_TEST

/* A control character in a credential is refused, naming the variable and never its value: a
 * newline in OS_AUTH_TOKEN would inject a request header. Variables of another kind are not read.
 */
START_TEST(control_characters_are_refused)
{
    static const struct {
        const char *env[6], *name;
    } cases[] = {
        {{"OS_AUTH_TOKEN=tok\r\nX-Injected: 1", NULL}, "OS_AUTH_TOKEN"},
        {{"OS_AUTH_TOKEN=tok\x7f", NULL}, "OS_AUTH_TOKEN"},
        {{"OS_ACCESS_KEY=ak", "OS_SECRET_KEY=s\tk", NULL}, "OS_SECRET_KEY"},
        {{"OS_ACCESS_KEY=ak", "OS_SECRET_KEY=sk", "OS_SECURITY_TOKEN=st\n", NULL},
         "OS_SECURITY_TOKEN"},
        {{"HW_ACCESS_KEY=a\x1bk", "HW_SECRET_KEY=sk", NULL}, "HW_ACCESS_KEY"},
        {{"OS_USERNAME=u", "OS_PASSWORD=p\nw", "OS_DOMAIN_NAME=d", "OS_PROJECT_ID=p", NULL},
         "OS_PASSWORD"},
        {{"OS_USERNAME=u", "OS_PASSWORD=pw", "OS_DOMAIN_NAME=d\001", "OS_PROJECT_ID=p", NULL},
         "OS_DOMAIN_NAME"},
    };
    static const char *const unused[] = {"OS_AUTH_TOKEN=tok", "OS_PASSWORD=p\nw", NULL};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct credentials c;
        struct err e = {0};
        vars = cases[i].env;
        ck_assert_int_eq(credentials_load(NULL, fake_getenv, &c, &e), ERR_INVALID);
        ck_assert_msg(strstr(e.msg, cases[i].name) && strstr(e.msg, "control character"),
                      "case %zu: %s", i, e.msg);
        ck_assert_msg(!strstr(e.msg, "tok") && !strstr(e.msg, "s\tk") && !strstr(e.msg, "p\nw"),
                      "case %zu echoes the value: %s", i, e.msg);
        ck_assert_ptr_null(c.token);
        ck_assert_ptr_null(c.secret_key);
        ck_assert_ptr_null(c.password);
    }
    {
        struct credentials c = load(unused, NULL, 0); /* OS_PASSWORD is not what is sent */
        ck_assert_str_eq(c.token, "tok");
        credentials_clear(&c);
    }
}
END_TEST

START_TEST(cleartext_endpoints)
{
    static const struct {
        const char *url;
        bool clear;
    } cases[] = {
        {"https://sdrs.eu-de.otc.t-systems.com", false},
        {"http://127.0.0.1:8080", false},
        {"http://127.12.0.9/x", false},
        {"http://localhost:9", false},
        {"HTTP://LOCALHOST", false},
        {"http://[::1]:80", false},
        {"http://sdrs.example.com", true},
        {"http://10.0.0.1:8080", true},
        {"http://localhost.evil.example:80", true},
        {"http://127.0.0.1.evil.example", true}, /* a name, not an address */
        {"http://127.0.0.1.", true},
        {"http://[::2]:80", true},
        {"http://127", true},
        {NULL, false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(endpoint_cleartext(cases[i].url) == cases[i].clear, "%s",
                      cases[i].url ? cases[i].url : "(null)");
}
END_TEST

START_TEST(endpoints_from_flags_region_and_catalog_urls)
{
    struct endpoint_flags f = {.region = "eu-de"};
    struct endpoints ep;
    struct err e = {0};
    char *url, *pid;

    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.sdrs, "https://sdrs.eu-de.otc.t-systems.com");
    ck_assert_str_eq(ep.ecs, "https://ecs.eu-de.otc.t-systems.com");
    ck_assert_str_eq(ep.iam, "https://iam.eu-de.otc.t-systems.com");
    ck_assert_ptr_null(ep.project_id);
    endpoints_clear(&ep);
    f = (struct endpoint_flags){
        .region = "cn-north-4", .sdrs = "https://x.example/v1/abc123/", .project_id = NULL};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.sdrs, "https://x.example");
    ck_assert_str_eq(ep.ecs, "https://ecs.cn-north-4.myhuaweicloud.com");
    ck_assert_str_eq(ep.project_id, "abc123"); /* from the catalog-style URL */
    endpoints_clear(&ep);
    f = (struct endpoint_flags){.sdrs = "https://x.example/v1/abc", .project_id = "p-9"};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.project_id, "p-9"); /* the flag wins */
    ck_assert_ptr_null(ep.ecs);
    endpoints_clear(&ep);

    ck_assert_int_eq(endpoint_normalize("https://iam.example.com/v3", &url, &pid, &e), 0);
    ck_assert_str_eq(url, "https://iam.example.com");
    ck_assert_ptr_null(pid);
    free(url);
    ck_assert_int_eq(endpoint_normalize("http://127.0.0.1:8080/v1/$(tenant_id)s", &url, &pid, &e),
                     0);
    ck_assert_str_eq(url, "http://127.0.0.1:8080");
    ck_assert_ptr_null(pid);
    free(url);
    ck_assert_int_ne(endpoint_normalize("ftp://x", &url, NULL, &e), 0);
    ck_assert_int_ne(endpoint_normalize("https://x/?q=1", &url, NULL, &e), 0);
    ck_assert_int_ne(endpoint_normalize("https://", &url, NULL, &e), 0);
    f = (struct endpoint_flags){.region = "EU DE"};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), ERR_INVALID);
    /* user information would end up in snapshots and logs; control characters in headers */
    ck_assert_int_eq(endpoint_normalize("https://u:secret@x.example.com", &url, NULL, &e),
                     ERR_INVALID);
    ck_assert_ptr_null(strstr(e.msg, "secret"));
    ck_assert_int_eq(endpoint_normalize("https://x.example.com\r\nX: y", &url, NULL, &e),
                     ERR_INVALID);
    ck_assert_ptr_null(strchr(e.msg, '\r'));
    /* the project id is checked by the API session (api_id_valid), whatever its source */
    f = (struct endpoint_flags){.project_id = "a/b"};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    endpoints_clear(&ep);
}
END_TEST

/* The region table (regions.h), where each endpoint came from, and the region of an OTC project. */
START_TEST(regions_and_sources)
{
    struct endpoint_flags f = {.region = "eu-ch2"};
    struct endpoints ep;
    struct err e = {0};

    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.sdrs, "https://sdrs.eu-ch2.sc.otc.t-systems.com");
    ck_assert_str_eq(ep.iam, "https://iam-pub.eu-ch2.sc.otc.t-systems.com");
    ck_assert_ptr_nonnull(strstr(ep.source[EP_SDRS], "region table: eu-ch2"));
    ck_assert_str_eq(ep.source[EP_REGION], "--region");
    endpoints_clear(&ep);
    f = (struct endpoint_flags){.region_env = "eu-west-101", .sdrs = "https://sdrs.example"};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.iam, "https://iam.eu-west-101.myhuaweicloud.eu");
    ck_assert_str_eq(ep.source[EP_SDRS], "--endpoint");
    ck_assert_str_eq(ep.source[EP_REGION], "OS_REGION_NAME");
    endpoints_clear(&ep);
    f = (struct endpoint_flags){.region = "af-north-1"};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.iam, "https://iam.myhuaweicloud.com"); /* no regional IAM host */
    endpoints_clear(&ep);
    /* an availability zone is not a region: exit 2, listing the known ones, naming the flags */
    f = (struct endpoint_flags){.region = "eu-de-01"};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), ERR_INVALID);
    ck_assert_msg(strstr(e.msg, "region 'eu-de-01' (--region) is not a region this tool knows") &&
                      strstr(e.msg, "eu-de, eu-nl") && strstr(e.msg, "--endpoint"),
                  "%s", e.msg);
    /* an OTC project name says its region */
    f = (struct endpoint_flags){.project_name = "eu-nl_sub-project"};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.region, "eu-nl");
    ck_assert_str_eq(ep.source[EP_REGION], "the OTC project name");
    ck_assert_str_eq(ep.ecs, "https://ecs.eu-nl.otc.t-systems.com");
    endpoints_clear(&ep);
    ck_assert_ptr_null(region_of_project_name("myproject"));
    ck_assert_str_eq(region_of_project_name("eu-de"), "eu-de");
}
END_TEST

/* clouds.yaml and secure.yaml, as openstacksdk reads them. */
START_TEST(clouds_yaml)
{
    char *dir = tu_tmpdir();
    char *clouds = tu_write(dir, "clouds.yaml",
                            "clouds:\n"
                            "  otc:\n"
                            "    auth:\n"
                            "      username: 'alice'\n"
                            "      project_name: eu-nl_ops\n"
                            "      auth_url: 'https://iam.eu-nl.otc.t-systems.com:443/v3'\n"
                            "      user_domain_name: OTC00000000001000000xxx\n"
                            "    interface: public\n"
                            "    sdrs_endpoint_override: https://sdrs.example.test/v1/p1\n"
                            "  keys:\n"
                            "    region_name: eu-de\n"
                            "    ak: AKEXAMPLE\n"
                            "    sk: topsecret-sk\n"
                            "  bad:\n"
                            "    auth:\n"
                            "      password: {nested: yes}\n"
                            "  ctl:\n"
                            "    auth:\n"
                            "      password: \"pw\\u0007x\"\n");
    char *secure =
        tu_write(dir, "secure.yaml", "clouds:\n  otc:\n    auth:\n      password: s3cret\n");
    const char *dirs[] = {dir, NULL};
    struct cloud_config c;
    struct credentials cred;
    struct endpoint_flags f;
    struct endpoints ep;
    struct err e = {0};

    ck_assert_msg(clouds_load("otc", dirs, &c, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(c.username, "alice");
    ck_assert_str_eq(c.password, "s3cret"); /* from secure.yaml */
    ck_assert_ptr_nonnull(c.secure);
    ck_assert_int_eq(credentials_from_cloud(&c, &cred, &e), 0);
    ck_assert_int_eq(cred.kind, CRED_PASSWORD);
    ck_assert_str_eq(cred.project_name, "eu-nl_ops");
    credentials_clear(&cred);
    f = (struct endpoint_flags){.cloud = &c, .project_name = c.project_name};
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.region, "eu-nl"); /* from the project name */
    ck_assert_str_eq(ep.sdrs, "https://sdrs.example.test");
    ck_assert_str_eq(ep.project_id, "p1");
    ck_assert_str_eq(ep.iam, "https://iam.eu-nl.otc.t-systems.com:443");
    ck_assert_ptr_nonnull(strstr(ep.source[EP_SDRS], "clouds.yaml cloud 'otc'"));
    endpoints_clear(&ep);
    /* flags and OS_* variables win */
    f.region = "eu-de";
    f.sdrs = "https://flag.example";
    ck_assert_int_eq(endpoints_resolve(&f, &ep, &e), 0);
    ck_assert_str_eq(ep.region, "eu-de");
    ck_assert_str_eq(ep.sdrs, "https://flag.example");
    endpoints_clear(&ep);
    cloud_config_clear(&c);

    ck_assert_msg(clouds_load("keys", dirs, &c, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(credentials_from_cloud(&c, &cred, &e), 0);
    ck_assert_int_eq(cred.kind, CRED_AKSK);
    ck_assert_str_eq(cred.access_key, "AKEXAMPLE");
    credentials_clear(&cred);
    cloud_config_clear(&c);
    /* errors name the file and the key, never a secret */
    ck_assert_int_eq(clouds_load("bad", dirs, &c, &e), ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "auth.password must be a single value"));
    ck_assert_int_eq(clouds_load("ctl", dirs, &c, &e), ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "auth.password contains a control character"));
    ck_assert_ptr_null(strstr(e.msg, "pw"));
    ck_assert_int_eq(clouds_load("nosuch", dirs, &c, &e), ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "has no cloud 'nosuch'"));
    free(tu_write(dir, "clouds.yaml", "clouds: [unclosed\n"));
    ck_assert_int_eq(clouds_load("otc", dirs, &c, &e), ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(e.msg, "is not YAML"));
    tu_rmtree(dir);
    free(dir);
    free(clouds);
    free(secure);
}
END_TEST

/* Flags and variables win over clouds.yaml; with neither, the cloud's credentials. */
START_TEST(credentials_precedence)
{
    static const char *const env[] = {"OS_AUTH_TOKEN=from-env", NULL};
    char name[] = "x", file[] = "clouds.yaml", token[] = "from-cloud";
    struct cloud_config c = {.name = name, .file = file, .token = token};
    struct credentials cred;
    struct err e = {0};

    vars = env;
    ck_assert_int_eq(credentials_resolve(NULL, fake_getenv, &c, &cred, &e), 0);
    ck_assert_str_eq(cred.token, "from-env");
    credentials_clear(&cred);
    vars = NULL;
    ck_assert_int_eq(credentials_resolve(NULL, fake_getenv, &c, &cred, &e), 0);
    ck_assert_str_eq(cred.token, "from-cloud");
    ck_assert_str_eq(cred.source, "clouds.yaml");
    credentials_clear(&cred);
    ck_assert_int_eq(credentials_resolve(NULL, fake_getenv, NULL, &cred, &e), ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "OS_CLOUD or --os-cloud NAME"));
}
END_TEST

START_TEST(ids_for_urls)
{
    ck_assert(api_id_valid("5c8f0e9a-3d2b-4c1e-9a7f-6b5d4c3e2f10"));
    ck_assert(api_id_valid("ff8080826adfae02016ae2d123fc05ed"));
    ck_assert(!api_id_valid(""));
    ck_assert(!api_id_valid(".."));
    ck_assert(!api_id_valid("a/b"));
    ck_assert(!api_id_valid("a?b"));
    ck_assert(!api_id_valid("a b"));
    ck_assert(
        !api_id_valid("0123456789012345678901234567890123456789012345678901234567890123456789"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, first_complete_set_wins);
    tcase_add_test(tc, nothing_complete_is_an_error);
    tcase_add_test(tc, token_file);
    tcase_add_test(tc, control_characters_are_refused);
    tcase_add_test(tc, cleartext_endpoints);
    tcase_add_test(tc, endpoints_from_flags_region_and_catalog_urls);
    tcase_add_test(tc, ids_for_urls);
    tcase_add_test(tc, regions_and_sources);
    tcase_add_test(tc, clouds_yaml);
    tcase_add_test(tc, credentials_precedence);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
