/*
 * Build-time tool (not part of sdrs-preflight): writes the C file that embeds the built-in rules
 * and the rules/lib modules, each as its text and as the Lua bytecode of that text.
 *
 *   sdrs-embed-rules OUT ROOT RULE.lua... [--libs LIB.lua...]
 *
 * A run loads the bytecode instead of parsing the text (src/sandbox.c seeds its chunk cache with
 * it); the text stays the rules' identity (their digest, `rules show`). The bytecode is not
 * stripped, so errors and the instruction budget's "at FILE:LINE" name the rule's lines. A syntax
 * error in a built-in rule stops the build here, naming the file and line. OUT is replaced only
 * when its content changes, so the build is reproducible and does not recompile for nothing.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bytes {
    unsigned char *p;
    size_t len, cap;
};

static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("sdrs-embed-rules: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void add(struct bytes *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        if (!(b->p = realloc(b->p, cap)))
            die("out of memory");
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void addf(struct bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addf(struct bytes *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        die("line too long");
    add(b, tmp, (size_t)n);
}

static struct bytes read_file(const char *path)
{
    struct bytes b = {0};
    unsigned char chunk[65536];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        die("cannot open '%s': %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        add(&b, chunk, n);
    if (ferror(f))
        die("cannot read '%s'", path);
    fclose(f);
    return b;
}

static int writer(lua_State *L, const void *p, size_t n, void *ud)
{
    (void)L;
    add(ud, p, n);
    return 0;
}

/* A C string literal of s: quotes and backslashes escaped (paths come from the source tree). */
static void add_literal(struct bytes *out, const char *s)
{
    add(out, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            add(out, "\\", 1);
        add(out, s, 1);
    }
    add(out, "\"", 1);
}

static void add_array(struct bytes *out, const char *name, const struct bytes *b)
{
    addf(out, "static const unsigned char %s[] = {", name);
    for (size_t i = 0; i < b->len; i++)
        addf(out, "%s0x%02x,", i % 16 ? "" : "\n    ", b->p[i]);
    addf(out, "\n    0x00};\n");
}

/* Embeds one file as prefix_i (text) and prefix_i_code (bytecode); its table row goes to table. */
static void embed(lua_State *L, struct bytes *out, struct bytes *table, const char *prefix,
                  size_t i, const char *root, const char *path)
{
    struct bytes text = read_file(path), code = {0};
    size_t rl = strlen(root);
    const char *rel, *base, *dot;
    char var[64], chunk[1024], name[256];

    if (strncmp(path, root, rl) != 0 || path[rl] != '/')
        die("'%s' is not under '%s'", path, root);
    rel = path + rl + 1;
    base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    dot = strrchr(base, '.');
    if (!dot || strcmp(dot, ".lua") != 0 || (size_t)(dot - base) >= sizeof name)
        die("'%s' is not a .lua file", path);
    memcpy(name, base, (size_t)(dot - base));
    name[dot - base] = '\0';
    /* the chunk name a run gives it (src/engine.c, src/sandbox.c): "@" and the path */
    snprintf(chunk, sizeof chunk, "@%s", rel);
    if (luaL_loadbufferx(L, (const char *)text.p, text.len, chunk, "t") != LUA_OK)
        die("%s", lua_tostring(L, -1));
    if (lua_dump(L, writer, &code, 0) != 0)
        die("cannot dump '%s'", path);
    lua_pop(L, 1);

    snprintf(var, sizeof var, "%s_%zu", prefix, i);
    add_array(out, var, &text);
    snprintf(var, sizeof var, "%s_%zu_code", prefix, i);
    add_array(out, var, &code);
    add(table, "    {", 5);
    add_literal(table, name);
    add(table, ", ", 2);
    add_literal(table, rel);
    addf(table, ", (const char *)%s_%zu, %zu, (const char *)%s_%zu_code, %zu},\n", prefix, i,
         text.len, prefix, i, code.len);
    free(text.p);
    free(code.p);
}

/* Writes content to path unless path already holds exactly that. */
static void write_if_changed(const char *path, const struct bytes *content)
{
    FILE *f = fopen(path, "rb");
    char tmp[4096];

    if (f) {
        struct bytes old = read_file(path);
        fclose(f);
        if (old.len == content->len && memcmp(old.p, content->p, old.len) == 0) {
            free(old.p);
            return;
        }
        free(old.p);
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "wb")) || fwrite(content->p, 1, content->len, f) != content->len ||
        fclose(f) != 0)
        die("cannot write '%s'", tmp);
    if (rename(tmp, path) != 0)
        die("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
}

int main(int argc, char **argv)
{
    struct bytes out = {0}, rules = {0}, libs = {0};
    size_t nrules = 0, nlibs = 0;
    bool in_libs = false;
    lua_State *L;

    if (argc < 3)
        die("usage: sdrs-embed-rules OUT ROOT RULE.lua... [--libs LIB.lua...]");
    if (!(L = luaL_newstate()))
        die("cannot create a Lua state");
    addf(&out, "/* Generated by src/embed_rules.c from rules/. Do not edit. */\n"
               "#include \"embedded.h\"\n\n");
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--libs") == 0)
            in_libs = true;
        else if (in_libs)
            embed(L, &out, &libs, "lib", nlibs++, argv[2], argv[i]);
        else
            embed(L, &out, &rules, "rule", nrules++, argv[2], argv[i]);
    }
    lua_close(L);
    addf(&out, "\nconst struct embedded_file embedded_rules[] = {\n");
    if (nrules)
        add(&out, rules.p, rules.len);
    else
        addf(&out, "    {0, 0, 0, 0, 0, 0},\n");
    addf(&out, "};\nconst size_t embedded_rules_count = %zu;\n\n", nrules);
    addf(&out, "const struct embedded_file embedded_libs[] = {\n");
    if (nlibs)
        add(&out, libs.p, libs.len);
    else
        addf(&out, "    {0, 0, 0, 0, 0, 0},\n");
    addf(&out, "};\nconst size_t embedded_libs_count = %zu;\n", nlibs);
    write_if_changed(argv[1], &out);
    free(out.p);
    free(rules.p);
    free(libs.p);
    return 0;
}
