#include "jsonutil.h"

#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* True when data[0..len) holds only JSON whitespace (data need not be NUL-terminated). */
static bool blank(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!data[i] || !strchr(" \t\r\n", data[i]))
            return false;
    return true;
}

/* json_c_visit callback: stops at the first value JSON does not allow but json-c accepts: NaN or
 * an infinity, a number outside RFC 8259's grammar, or a string (or key) that is not well-formed
 * UTF-8 (json-c lets overlong forms and surrogates through). arg receives what was found. */
static int strict_visit(struct json_object *jso, int flags, struct json_object *parent,
                        const char *key, size_t *index, void *arg)
{
    (void)flags;
    (void)parent;
    (void)index;
    if (key && !util_utf8_valid(key, strlen(key))) {
        *(const char **)arg = "a key is not valid UTF-8";
        return JSON_C_VISIT_RETURN_STOP;
    }
    if (json_object_is_type(jso, json_type_double) && !isfinite(json_object_get_double(jso))) {
        *(const char **)arg = "NaN and Infinity are not JSON numbers";
        return JSON_C_VISIT_RETURN_STOP;
    }
    if (json_object_is_type(jso, json_type_double)) {
        /* json-c's tokener takes "1.", "-.5" and "01e3", and writes a number back as it was
         * written: a snapshot would carry it to a reader that holds to RFC 8259 (jdoc) */
        const char *text = json_object_to_json_string_ext(jso, JSON_C_TO_STRING_PLAIN);
        size_t n = text ? strlen(text) : 0;
        if (!n || util_json_number_len(text, n) != n) {
            *(const char **)arg = "a number is not written as JSON allows (RFC 8259)";
            return JSON_C_VISIT_RETURN_STOP;
        }
    }
    if (json_object_is_type(jso, json_type_string) &&
        !util_utf8_valid(json_object_get_string(jso), (size_t)json_object_get_string_len(jso))) {
        *(const char **)arg = "a string is not valid UTF-8 (or holds a NUL)";
        return JSON_C_VISIT_RETURN_STOP;
    }
    return JSON_C_VISIT_RETURN_CONTINUE;
}

/* ---- repeated keys ------------------------------------------------------------------------- */

/* A container being scanned: objects keep their keys (decoded, in the arena) from key0 on. */
struct dup_frame {
    bool object;
    bool want_key; /* object: the next string is a key */
    size_t key0;   /* object: its first key in dup_scan.keys */
    size_t arena0; /* where its keys' bytes start in dup_scan.arena */
    size_t index;  /* array: the position of the current element */
};

struct dup_span {
    size_t off, len;
};

struct dup_scan {
    struct dup_frame *frames;
    size_t nframes, cap;
    struct dup_span *keys;
    size_t nkeys, kcap;
    struct buf arena;
};

/* Appends the code point cp as UTF-8. */
static int put_utf8(struct buf *b, unsigned long cp)
{
    char u[4];

    return buf_add(b, u, util_utf8_encode(cp, u));
}

/* Decodes the string literal at *p (its opening quote) into out (when out is not NULL) and moves
 * *p past the closing quote. */
static int dup_string(const char **p, const char *end, struct buf *out)
{
    const char *s = *p + 1;
    int rc = 0;

    while (s < end && *s != '"' && !rc) {
        const char *run = s;
        while (s < end && *s != '"' && *s != '\\')
            s++;
        if (out && s > run)
            rc = buf_add(out, run, (size_t)(s - run));
        if (s < end && *s == '\\' && s + 1 >= end)
            s = end; /* a backslash with nothing after it: the string is cut off */
        if (s < end && *s == '\\' && s + 1 < end && !rc) {
            char c = s[1];
            s += 2;
            if (c == 'u') {
                /* after a successful parse every \u has its four digits */
                long cp = util_hex4(s, end);
                s += 4;
                if (cp < 0)
                    cp = 0xFFFD;
                if (cp >= 0xD800 && cp <= 0xDBFF && s + 1 < end && s[0] == '\\' && s[1] == 'u') {
                    long lo = util_hex4(s + 2, end);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        s += 6;
                    }
                }
                if (out)
                    rc = put_utf8(out, (unsigned long)cp);
            } else if (out) {
                static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
                const char *k = strchr(from, c);
                char d = k && c ? to[k - from] : c;
                rc = buf_add(out, &d, 1);
            }
        }
    }
    *p = s < end ? s + 1 : end;
    return rc;
}

/* qsort has no context argument: the arena of the scan being sorted (the program scans in one
 * thread). */
static const char *dup_arena;

/* Orders key spans by length, then bytes. */
static int dup_cmp(const void *a, const void *b)
{
    const struct dup_span *x = a, *y = b;

    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(dup_arena + x->off, dup_arena + y->off, x->len);
}

/* Appends a printable form of s[0..n) to out, cut on a character boundary at out's cap. */
static void dup_put(struct buf *out, const char *s, size_t n)
{
    if (util_put_clean(out, s, n) == ERR_LIMIT)
        return;
}

/* The path of the object in frame f: "$" and the members and positions of the frames below. */
static void dup_path(const struct dup_scan *sc, size_t f, struct jsonutil_dup *dup)
{
    struct buf p;

    buf_init(&p, sizeof dup->path - 1);
    buf_adds(&p, "$");
    for (size_t i = 0; i < f; i++) {
        const struct dup_frame *fr = &sc->frames[i];
        if (fr->object) {
            /* the frame's current key is its last one */
            const struct dup_span *k = &sc->keys[sc->frames[i + 1].key0 - 1];
            util_put_path_key(&p, sc->arena.data + k->off, k->len);
        } else {
            buf_printf(&p, "[%zu]", fr->index);
        }
    }
    snprintf(dup->path, sizeof dup->path, "%s", buf_str(&p));
    dup->path[util_utf8_prefix(dup->path, sizeof dup->path - 1)] = '\0';
    buf_free(&p);
}

/* The object in the top frame ends: a key in it twice fills dup. */
static int dup_close(struct dup_scan *sc, struct jsonutil_dup *dup)
{
    struct dup_frame *fr = &sc->frames[sc->nframes - 1];
    size_t n = sc->nkeys - fr->key0;

    if (n > 1) {
        struct dup_span *k = sc->keys + fr->key0; /* keys is NULL until the first key */
        dup_arena = sc->arena.data;
        qsort(k, n, sizeof *k, dup_cmp);
        for (size_t i = 1; i < n && !dup->found; i++) {
            if (dup_cmp(&k[i - 1], &k[i]) == 0) {
                struct buf kb;
                buf_init(&kb, sizeof dup->key - 1);
                dup_put(&kb, sc->arena.data + k[i].off, k[i].len);
                snprintf(dup->key, sizeof dup->key, "%s", buf_str(&kb));
                buf_free(&kb);
                dup->found = true;
                /* the keys of the frame were sorted: its path needs its parent's current key
                 * only, which lies below key0 */
                dup_path(sc, sc->nframes - 1, dup);
            }
        }
    }
    sc->nkeys = fr->key0;
    sc->arena.len = fr->arena0;
    sc->nframes--;
    return 0;
}

static int dup_push(struct dup_scan *sc, bool object)
{
    if (sc->nframes == sc->cap) {
        size_t ncap = sc->cap ? sc->cap * 2 : 16;
        struct dup_frame *nf = realloc(sc->frames, ncap * sizeof *nf);
        if (!nf)
            return ERR_NOMEM;
        sc->frames = nf;
        sc->cap = ncap;
    }
    sc->frames[sc->nframes++] = (struct dup_frame){
        .object = object, .want_key = object, .key0 = sc->nkeys, .arena0 = sc->arena.len};
    return 0;
}

static int dup_key(struct dup_scan *sc, const char **p, const char *end)
{
    size_t off = sc->arena.len;
    int rc;

    if (sc->nkeys == sc->kcap) {
        size_t ncap = sc->kcap ? sc->kcap * 2 : 64;
        struct dup_span *nk = realloc(sc->keys, ncap * sizeof *nk);
        if (!nk)
            return ERR_NOMEM;
        sc->keys = nk;
        sc->kcap = ncap;
    }
    if ((rc = dup_string(p, end, &sc->arena)) != 0 || (rc = buf_add(&sc->arena, "", 1)) != 0)
        return rc; /* a NUL after each key, for strspn in dup_path */
    sc->keys[sc->nkeys++] = (struct dup_span){off, sc->arena.len - off - 1};
    return 0;
}

int jsonutil_find_dup(const char *data, size_t len, struct jsonutil_dup *dup)
{
    struct dup_scan sc = {0};
    const char *p = data, *end = data + len;
    int rc = 0;

    memset(dup, 0, sizeof *dup);
    buf_init(&sc.arena, 0);
    while (p < end && !rc && !dup->found) {
        struct dup_frame *top = sc.nframes ? &sc.frames[sc.nframes - 1] : NULL;
        char c = *p;

        if (c == '{' || c == '[') {
            rc = dup_push(&sc, c == '{');
            p++;
        } else if (c == '}' || c == ']') {
            if (top && top->object)
                rc = dup_close(&sc, dup);
            else if (top)
                sc.nframes--;
            p++;
        } else if (c == '"') {
            if (top && top->object && top->want_key) {
                rc = dup_key(&sc, &p, end);
                top->want_key = false;
            } else {
                rc = dup_string(&p, end, NULL);
            }
        } else if (c == ',') {
            if (top && top->object)
                top->want_key = true;
            else if (top)
                top->index++;
            p++;
        } else {
            p++; /* blanks, ':', and the characters of numbers and literals */
        }
    }
    free(sc.frames);
    free(sc.keys);
    buf_free(&sc.arena);
    return rc;
}

int jsonutil_parse(const char *data, size_t len, const char *name, int max_depth,
                   struct json_object **out, struct err *e)
{
    return jsonutil_parse_dup(data, len, name, max_depth, out, NULL, e);
}

int jsonutil_parse_dup(const char *data, size_t len, const char *name, int max_depth,
                       struct json_object **out, struct jsonutil_dup *dup, struct err *e)
{
    struct json_tokener *tok;
    struct json_object *o;
    enum json_tokener_error jerr;
    size_t end, line = 1, col = 1;
    int rc = 0;

    *out = NULL;
    if (len > (size_t)INT32_MAX)
        return err_set(e, ERR_LIMIT, "%s: too large to parse", name);
    tok = json_tokener_new_ex(max_depth > 0 ? max_depth : JSONUTIL_DEFAULT_DEPTH);
    if (!tok)
        return err_set(e, ERR_NOMEM, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, data, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (!o && jerr == json_tokener_continue && len > 0 && !blank(data, len)) {
        /* A bare literal or number ends only at a terminator: give it one. */
        o = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        if (jerr == json_tokener_success || jerr != json_tokener_continue)
            end = len;
        if (jerr != json_tokener_success && jerr != json_tokener_continue) {
            json_object_put(o);
            o = NULL;
            jerr = json_tokener_continue;
        }
    }
    if (!o && jerr == json_tokener_continue) {
        /* The tokener wants more input: the document ended too early. */
        if (blank(data, len))
            rc = err_set(e, ERR_PARSE, "%s: not JSON: the input is empty", name);
        else
            rc = err_set(e, ERR_PARSE, "%s: not JSON: the input ends in the middle of a value",
                         name);
        goto out;
    }
    if (jerr != json_tokener_success || end < len) {
        /* Only an error needs the position. */
        util_line_col(data, end, len, &line, &col);
    }
    if (jerr != json_tokener_success) {
        rc = err_set(e, jerr == json_tokener_error_depth ? ERR_LIMIT : ERR_PARSE,
                     "%s: not JSON: %s at line %zu, column %zu", name,
                     json_tokener_error_desc(jerr), line, col);
        goto out;
    }
    while (end < len && data[end] && strchr(" \t\r\n", data[end]))
        end++;
    if (end < len) {
        rc = err_set(e, ERR_PARSE,
                     "%s: not JSON: unexpected data after the value at line %zu, column %zu", name,
                     line, col);
        goto out;
    }
    {
        const char *why = NULL;
        json_c_visit(o, 0, strict_visit, &why);
        if (why) {
            rc = err_set(e, ERR_PARSE, "%s: not JSON: %s", name, why);
            goto out;
        }
    }
    {
        struct jsonutil_dup found;
        if (jsonutil_find_dup(data, len, &found)) {
            rc = err_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if (found.found && !dup) {
            rc = err_set(e, ERR_PARSE,
                         "%s: ambiguous JSON: key \"%s\" appears twice in %s (a reader sees the "
                         "first value, json-c keeps the last)",
                         name, found.key, found.path);
            goto out;
        }
        if (dup)
            *dup = found;
    }
    *out = o;
    o = NULL;
out:
    json_object_put(o);
    json_tokener_free(tok);
    return rc;
}

const char *jsonutil_type(struct json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "boolean";
    case json_type_double:
    case json_type_int:
        return "number";
    case json_type_string:
        return "string";
    case json_type_array:
        return "array";
    case json_type_object:
        return "object";
    }
    return "unknown";
}

bool jsonutil_get(struct json_object *obj, const char *key, struct json_object **out)
{
    struct json_object *v = NULL;

    if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v)) {
        if (out)
            *out = NULL;
        return false;
    }
    if (out)
        *out = v;
    return true;
}

const char *jsonutil_get_str(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (!jsonutil_get(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int jsonutil_print(struct json_object *o, struct buf *out)
{
    size_t len = 0;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        &len);
    int rc;

    if (!s)
        return ERR_NOMEM;
    rc = buf_add(out, s, len);
    return rc ? rc : buf_adds(out, "\n");
}

int jsonutil_quote(const char *s, struct buf *out)
{
    struct json_object *o = json_object_new_string(s ? s : "");
    const char *q;
    int rc;

    if (!o)
        return ERR_NOMEM;
    q = json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE);
    rc = q ? buf_adds(out, q) : ERR_NOMEM;
    json_object_put(o);
    return rc;
}

/* Decodes one JSON Pointer token (~1 is '/', ~0 is '~') into out. */
static int pointer_token(const char *tok, size_t len, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < len; i++) {
        char c = tok[i];
        if (c == '~') {
            if (i + 1 >= len || (tok[i + 1] != '0' && tok[i + 1] != '1'))
                return ERR_PARSE;
            c = tok[++i] == '0' ? '~' : '/';
        }
        if (buf_add(out, &c, 1))
            return ERR_NOMEM;
    }
    if (!out->data && buf_add(out, "", 0))
        return ERR_NOMEM;
    return 0;
}

static bool array_index(const char *s, size_t len, size_t *out)
{
    long long v;

    if (!*s || (s[0] == '0' && s[1]) || strspn(s, "0123456789") != strlen(s) ||
        !util_parse_int(s, &v) || v < 0 || (size_t)v > len)
        return false;
    *out = (size_t)v;
    return true;
}

/* Inserts v (taken) at idx of arr, moving later elements up. */
static int array_insert(struct json_object *arr, size_t idx, struct json_object *v)
{
    size_t n = json_object_array_length(arr);

    if (json_object_array_add(arr, NULL))
        return ERR_NOMEM;
    for (size_t i = n; i > idx; i--)
        json_object_array_put_idx(arr, i, json_object_get(json_object_array_get_idx(arr, i - 1)));
    return json_object_array_put_idx(arr, idx, v) ? ERR_NOMEM : 0;
}

static int patch_one(struct json_object *root, struct json_object *op, size_t i, struct err *e)
{
    const char *kind = jsonutil_get_str(op, "op"), *path = jsonutil_get_str(op, "path");
    struct json_object *parent = root, *value = NULL, *copy = NULL, *cur;
    struct buf tok;
    const char *p, *last;
    bool has_value = jsonutil_get(op, "value", &value);
    int rc = 0;

    if (!kind || (strcmp(kind, "add") && strcmp(kind, "replace") && strcmp(kind, "remove")))
        return err_set(e, ERR_PARSE, "patch[%zu]: op must be add, replace or remove", i);
    if (!path || path[0] != '/')
        return err_set(e, ERR_PARSE, "patch[%zu]: path must be a JSON Pointer starting with '/'",
                       i);
    if (strcmp(kind, "remove") && !has_value)
        return err_set(e, ERR_PARSE, "patch[%zu]: %s needs a value", i, kind);
    buf_init(&tok, 0);
    last = strrchr(path, '/');
    /* walk to the parent */
    for (p = path; p < last;) {
        const char *next = strchr(p + 1, '/');
        size_t idx;
        if ((rc = pointer_token(p + 1, (size_t)(next - p - 1), &tok)))
            goto bad;
        if (json_object_is_type(parent, json_type_object)) {
            if (!jsonutil_get(parent, tok.data, &cur) || !cur)
                goto missing;
        } else if (json_object_is_type(parent, json_type_array)) {
            if (!array_index(tok.data, json_object_array_length(parent), &idx) ||
                idx >= json_object_array_length(parent))
                goto missing;
            cur = json_object_array_get_idx(parent, idx);
        } else {
            goto missing;
        }
        parent = cur;
        p = next;
    }
    if ((rc = pointer_token(last + 1, strlen(last + 1), &tok)))
        goto bad;
    if (value && json_object_deep_copy(value, &copy, NULL) != 0) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (json_object_is_type(parent, json_type_object)) {
        bool exists = jsonutil_get(parent, tok.data, NULL);
        if (strcmp(kind, "add") && !exists)
            goto missing;
        if (!strcmp(kind, "remove"))
            json_object_object_del(parent, tok.data);
        else if (json_object_object_add(parent, tok.data, copy))
            rc = err_set(e, ERR_NOMEM, "out of memory");
        else
            copy = NULL;
    } else if (json_object_is_type(parent, json_type_array)) {
        size_t n = json_object_array_length(parent), idx = n;
        if (!(strcmp(kind, "add") == 0 && strcmp(tok.data, "-") == 0) &&
            !array_index(tok.data, n, &idx))
            goto missing;
        if (strcmp(kind, "add") && idx >= n)
            goto missing;
        if (!strcmp(kind, "remove")) {
            json_object_array_del_idx(parent, idx, 1);
        } else if (!strcmp(kind, "replace")) {
            json_object_array_put_idx(parent, idx, copy);
            copy = NULL;
        } else if (array_insert(parent, idx, copy)) {
            rc = err_set(e, ERR_NOMEM, "out of memory");
        } else {
            copy = NULL;
        }
    } else {
        goto missing;
    }
    goto out;
bad:
    rc = err_set(e, ERR_PARSE, "patch[%zu]: '%s' is not a valid JSON Pointer", i, path);
    goto out;
missing:
    rc = err_set(e, ERR_PARSE, "patch[%zu]: %s '%s': no such location", i, kind, path);
out:
    json_object_put(copy);
    buf_free(&tok);
    return rc;
}

int jsonutil_patch(struct json_object *root, struct json_object *ops, struct err *e)
{
    size_t n;

    if (!json_object_is_type(ops, json_type_array))
        return err_set(e, ERR_PARSE, "patch must be an array of operations");
    n = json_object_array_length(ops);
    for (size_t i = 0; i < n; i++) {
        struct json_object *op = json_object_array_get_idx(ops, i);
        int rc;
        if (!json_object_is_type(op, json_type_object))
            return err_set(e, ERR_PARSE, "patch[%zu]: expected an object", i);
        rc = patch_one(root, op, i, e);
        if (rc)
            return rc;
    }
    return 0;
}
