/* JSON to Lua conversion: every JSON type, nulls, and the depth and memory limits. */
#include "testutil.h"

#include "jsonutil.h"
#include "luajson.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <string.h>

struct probe {
    struct json_object *doc;
    int depth;
    /* what the Lua side saw */
    char summary[512];
};

/* Converts probe->doc and runs a few Lua expressions over it, recording the answers. */
static int l_probe(lua_State *L)
{
    struct probe *p = sandbox_user(sandbox_of(L));
    static const char code[] =
        "local v = ...\n"
        "if type(v) ~= 'table' then return type(v) end\n"
        "local parts = {}\n"
        "for _, k in ipairs({'i','d','s','t','f','n','o','a'}) do\n"
        "  local x = v[k]\n"
        "  parts[#parts+1] = k .. '=' .. (type(x) == 'table' and ('table#' .. #x) or tostring(x))\n"
        "  parts[#parts+1] = math.type(x) or type(x)\n"
        "end\n"
        "parts[#parts+1] = 'a2=' .. tostring(v.a and v.a[2])\n"
        "parts[#parts+1] = 'null=' .. tostring(v.a and v.a[2] == nil)\n"
        "return table.concat(parts, ' ')\n";

    luajson_push(L, p->doc, p->depth);
    sandbox_load(L, code, sizeof code - 1, "=probe");
    lua_insert(L, -2);
    lua_call(L, 1, 1);
    snprintf(p->summary, sizeof p->summary, "%s", lua_tostring(L, -1));
    return 0;
}

static int probe(const char *json, int depth, size_t memory, struct probe *p, struct err *e)
{
    struct sandbox_limits lim = {.memory = memory};
    struct sandbox *sb = NULL;
    struct err pe = {0};
    int rc;

    memset(p, 0, sizeof *p);
    ck_assert_msg(jsonutil_parse(json, strlen(json), "t", 1000, &p->doc, &pe) == 0, "%s", pe.msg);
    p->depth = depth;
    ck_assert_int_eq(sandbox_new(&lim, NULL, NULL, &sb, &pe), 0);
    sandbox_set_user(sb, p);
    rc = sandbox_call(sb, l_probe, NULL, e);
    sandbox_free(sb);
    json_object_put(p->doc);
    return rc;
}

START_TEST(types)
{
    struct probe p;
    struct err e = {0};

    ck_assert_msg(probe("{\"i\": 42, \"d\": 2.5, \"s\": \"xy\", \"t\": true, "
                        "\"f\": false,"
                        " \"n\": null, \"o\": {\"k\": 1}, \"a\": [1, null, 3]}",
                        LUAJSON_MAX_DEPTH, 0, &p, &e) == 0,
                  "%s", e.msg);
    ck_assert_msg(strstr(p.summary, "i=42 integer") != NULL, "%s", p.summary);
    ck_assert_ptr_nonnull(strstr(p.summary, "d=2.5 float"));
    ck_assert_msg(strstr(p.summary, "t=true boolean f=false boolean") != NULL, "%s", p.summary);
    ck_assert_ptr_nonnull(strstr(p.summary, "n=nil nil")); /* a null member is absent */
    ck_assert_ptr_nonnull(strstr(p.summary, "a=table#3 table"));
    ck_assert_ptr_nonnull(strstr(p.summary, "a2=userdata: (nil)")); /* ctx.null */
    ck_assert_ptr_nonnull(strstr(p.summary, "null=false"));
}
END_TEST

START_TEST(depth_limit)
{
    char deep[300];
    struct probe p;
    struct err e = {0};
    size_t n = 0;

    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    ck_assert_int_ne(probe(deep, LUAJSON_MAX_DEPTH, 0, &p, &e), 0);
    ck_assert_msg(strstr(e.msg, "nested too deeply") != NULL, "%s", e.msg);
    ck_assert_int_eq(probe(deep, 200, 0, &p, &e), 0);
}
END_TEST

START_TEST(memory_limit)
{
    struct buf big;
    struct probe p;
    struct err e = {0};

    buf_init(&big, 0);
    buf_adds(&big, "{\"a\": [");
    for (int i = 0; i < 40000; i++)
        buf_printf(&big, "%s{\"id\": \"server-%d\", \"n\": %d}", i ? "," : "", i, i);
    buf_adds(&big, "]}");
    ck_assert_int_ne(probe(big.data, LUAJSON_MAX_DEPTH, 1u << 20, &p, &e), 0);
    ck_assert_msg(strstr(e.msg, "memory limit of 1 MiB") != NULL, "%s", e.msg);
    ck_assert_int_eq(probe(big.data, LUAJSON_MAX_DEPTH, 64u << 20, &p, &e), 0);
    buf_free(&big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("luajson");
    TCase *tc = tcase_create("convert");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, types);
    tcase_add_test(tc, depth_limit);
    tcase_add_test(tc, memory_limit);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
