#include "jdoc.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- the arena ------------------------------------------------------------------------------ */

struct block {
    struct block *next;
    size_t used, size;
    max_align_t data[];
};

struct jdoc {
    char *text;       /* the input, strings and keys decoded in place */
    size_t text_map;  /* bytes mapped for text (util_map), or 0 when it came from malloc */
    size_t block_min; /* the size of a new arena block */
    struct block *blocks;
    struct jval root;
};

#define BLOCK_MIN ((size_t)256 << 10)
/* A large input's text and arena blocks are mapped (util_map: huge pages where granted, so its
 * parse faults once per 2 MiB instead of once per 4 KiB page); a small one's come from malloc. */
#define MAP_MIN ((size_t)1 << 20)

static void *big_alloc(size_t n)
{
    return n >= MAP_MIN ? util_map(n) : malloc(n);
}

static void big_free(void *p, size_t n)
{
    if (n >= MAP_MIN)
        util_unmap(p, n);
    else
        free(p);
}

static void *arena_alloc(struct jdoc *d, size_t n)
{
    struct block *b = d->blocks;
    void *p;

    n = (n + 7) & ~(size_t)7;
    if (!b || b->size - b->used < n) {
        size_t size = n > d->block_min ? n : d->block_min;
        b = big_alloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = d->blocks;
        d->blocks = b;
    }
    p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void jdoc_free(struct jdoc *d)
{
    if (!d)
        return;
    while (d->blocks) {
        struct block *b = d->blocks;
        d->blocks = b->next;
        big_free(b, sizeof *b + b->size);
    }
    if (d->text_map)
        util_unmap(d->text, d->text_map);
    else
        free(d->text);
    free(d);
}

struct jval *jdoc_root(struct jdoc *d)
{
    return d ? &d->root : NULL;
}

/* ---- the parser ----------------------------------------------------------------------------- */

/* Where the parser is inside each open container, for the path of a repeated key. */
struct step {
    const char *key;
    uint32_t klen;
    bool object;
    size_t index;
};

struct parser {
    struct jdoc *doc;
    char *p, *end;
    const char *data; /* the caller's bytes, for line and column */
    struct jmem *stk; /* the members or elements of the open containers */
    size_t nstk, cap;
    struct step *steps; /* steps[level]: the position inside the container at that level */
    int max_depth;
    struct jdoc_dup *dup;
    /* the first error */
    int rc;
    const char *why;
    const char *at; /* in text */
};

static int fail(struct parser *ps, int rc, const char *why, const char *at)
{
    if (!ps->rc) {
        ps->rc = rc;
        ps->why = why;
        ps->at = at;
    }
    return ps->rc;
}

static int unexpected(struct parser *ps)
{
    if (ps->p >= ps->end)
        return fail(ps, ERR_PARSE, NULL, ps->p); /* ends in the middle */
    return fail(ps, ERR_PARSE, "unexpected character", ps->p);
}

/* JSON's four blanks (RFC 8259 §2), by byte: a fifth of a pretty-printed snapshot is blanks */
static const bool is_blank[256] = {[' '] = true, ['\n'] = true, ['\r'] = true, ['\t'] = true};

static void skip_blanks(struct parser *ps)
{
    char *p = ps->p;

    while (p < ps->end && is_blank[(unsigned char)*p])
        p++;
    ps->p = p;
}

static char *put_utf8(char *w, unsigned long cp)
{
    return w + util_utf8_encode(cp, w);
}

/* The string at ps->p (its opening quote), decoded in place and NUL-terminated. */
/* Eight bytes as one word: BYTES(c) repeats c; HAS_ZERO_BYTE(x) is nonzero exactly when a byte of
 * x is 0 (so HAS_ZERO_BYTE(x ^ BYTES(c)) when one is c). */
#define BYTES(c)         (0x0101010101010101ULL * (uint8_t)(c))
#define HAS_ZERO_BYTE(x) (((x)-BYTES(1)) & ~(x)&BYTES(0x80))

static int parse_string(struct parser *ps, bool key, const char **out, uint32_t *outlen)
{
    char *start = ++ps->p, *r = start, *w, *end = ps->end;
    bool high = false;

    /* the common case: no escape until the closing quote. Control characters are taken as they
     * are, as json-c takes them in the API's answers (a NUL is refused below, as not UTF-8).
     * Eight bytes at a time while none of them ends the run (most of a snapshot is strings). */
    while (end - r >= 8) {
        uint64_t x, stop;
        memcpy(&x, r, 8);
        stop = HAS_ZERO_BYTE(x) | HAS_ZERO_BYTE(x ^ BYTES('"')) | HAS_ZERO_BYTE(x ^ BYTES('\\'));
        if (stop) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* the lowest flag marks the first byte that ends the run: the bytes before it are
             * taken here, not one by one below */
            unsigned first = (unsigned)__builtin_ctzll(stop) / 8;
            high |= (x & BYTES(0x80) & ((1ULL << (first * 8)) - 1)) != 0;
            r += first;
#endif
            break;
        }
        high |= (x & BYTES(0x80)) != 0;
        r += 8;
    }
    while (r < end && *r != '"' && *r != '\\' && *r != '\0') {
        high |= (unsigned char)*r >= 0x80;
        r++;
    }
    w = r;
    while (r < end && *r != '"') {
        unsigned char c = (unsigned char)*r;
        if (c == 0) {
            ps->p = r;
            return fail(ps, ERR_PARSE,
                        key ? "a key is not valid UTF-8"
                            : "a string is not valid UTF-8 (or holds a NUL)",
                        r);
        }
        if (c != '\\') {
            high |= c >= 0x80;
            *w++ = *r++;
            continue;
        }
        if (end - r < 2) {
            ps->p = end;
            return unexpected(ps);
        }
        switch (r[1]) {
        case '"':
        case '\\':
        case '/':
            *w++ = r[1];
            break;
        case 'b':
            *w++ = '\b';
            break;
        case 'f':
            *w++ = '\f';
            break;
        case 'n':
            *w++ = '\n';
            break;
        case 'r':
            *w++ = '\r';
            break;
        case 't':
            *w++ = '\t';
            break;
        case 'u': {
            long cp, lo;
            for (int k = 2; k < 6; k++) { /* a character that is no hex digit, else the end */
                bool hex = r + k < end && ((r[k] >= '0' && r[k] <= '9') ||
                                           ((r[k] | 0x20) >= 'a' && (r[k] | 0x20) <= 'f'));
                if (!hex) {
                    ps->p = r + k < end ? r + k : end;
                    return unexpected(ps);
                }
            }
            cp = util_hex4(r + 2, end);
            if (cp >= 0xd800 && cp <= 0xdbff && end - r >= 12 && r[6] == '\\' && r[7] == 'u' &&
                (lo = util_hex4(r + 8, end)) >= 0xdc00 && lo <= 0xdfff) {
                w = put_utf8(w, 0x10000 + (((unsigned long)cp - 0xd800) << 10) +
                                    (unsigned long)(lo - 0xdc00));
                r += 12;
                high = true;
                continue;
            }
            if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
                return fail(ps, ERR_PARSE,
                            key ? "a key is not valid UTF-8"
                                : "a string is not valid UTF-8 (or holds a NUL)",
                            r);
            w = put_utf8(w, (unsigned long)cp);
            high |= cp >= 0x80;
            r += 6;
            continue;
        }
        default:
            ps->p = r + 1;
            return unexpected(ps);
        }
        r += 2;
    }
    if (r >= end) {
        ps->p = end;
        return unexpected(ps);
    }
    *w = '\0'; /* at most where the closing quote was */
    ps->p = r + 1;
    if ((size_t)(w - start) > UINT32_MAX)
        return fail(ps, ERR_LIMIT, "a string is too long", start);
    if (high && !util_utf8_valid(start, (size_t)(w - start)))
        return fail(ps, ERR_PARSE,
                    key ? "a key is not valid UTF-8"
                        : "a string is not valid UTF-8 (or holds a NUL)",
                    start);
    *out = start;
    *outlen = (uint32_t)(w - start);
    return 0;
}

static int parse_number(struct parser *ps, struct jval *v)
{
    char *start = ps->p, *p = start;
    size_t n = util_json_number_len(start, (size_t)(ps->end - start));
    bool neg = *p == '-';
    unsigned long long acc = 0;
    bool overflow = false;

    if (!n) { /* not even "-0": the first character that cannot be one */
        ps->p += neg;
        return unexpected(ps);
    }
    ps->p = start + n; /* a character after it that cannot follow a value is the caller's error */
    if (!memchr(start, '.', n) && !memchr(start, 'e', n) && !memchr(start, 'E', n)) {
        for (p += neg; p < ps->p; p++) {
            unsigned d = (unsigned)(*p - '0');
            if (acc > (ULLONG_MAX - d) / 10)
                overflow = true;
            else
                acc = acc * 10 + d;
        }
        if (!overflow && acc <= (unsigned long long)LLONG_MAX + neg) {
            v->type = JT_INT;
            v->u.i = neg ? (acc == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)acc)
                         : (long long)acc;
            return 0;
        }
    }
    {
        /* strtod stops where the grammar stopped: the character after a number is never part of
         * one (the text is NUL-terminated) */
        char *stop;
        double d = strtod(start, &stop);
        if (stop != ps->p || !isfinite(d))
            return fail(ps, ERR_PARSE, "a number is out of range", start);
        v->type = JT_DOUBLE;
        v->u.d = d;
    }
    return 0;
}

static int push_slot(struct parser *ps)
{
    if (ps->nstk == ps->cap) {
        size_t ncap = ps->cap ? ps->cap * 2 : 256;
        struct jmem *n = realloc(ps->stk, ncap * sizeof *n);
        if (!n)
            return fail(ps, ERR_NOMEM, "out of memory", ps->p);
        ps->stk = n;
        ps->cap = ncap;
    }
    ps->nstk++;
    return 0;
}

/* The index of an object of n members (n > JDOC_INDEX_MIN): an open-addressing table of slots
 * (a power of two, at least twice n), each the key's hash and its member's position + 1 (0: empty),
 * right after the members. */
struct slot {
    uint32_t hash, pos;
};

static size_t index_size(size_t n)
{
    size_t m = 16;

    while (m < 2 * n)
        m *= 2;
    return m;
}

/* keys are short (ids, field names): util_hash takes them eight bytes at a time */
static uint32_t key_hash(const char *k, size_t n)
{
    return (uint32_t)util_hash(k, n);
}

static bool same_key(const struct jmem *x, const struct jmem *y)
{
    return x->klen == y->klen && memcmp(x->key, y->key, x->klen) == 0;
}

/* The path of the object at level (its parents' positions) and key, into ps->dup. */
static void note_dup(struct parser *ps, int level, const struct jmem *m)
{
    struct jdoc_dup *dup = ps->dup;
    struct buf p;

    if (!dup || dup->found)
        return;
    dup->found = true;
    buf_init(&p, sizeof dup->key - 1);
    util_put_clean(&p, m->key, m->klen);
    snprintf(dup->key, sizeof dup->key, "%s", buf_str(&p));
    buf_free(&p);
    buf_init(&p, sizeof dup->path - 1);
    buf_adds(&p, "$");
    for (int i = 1; i < level; i++) {
        const struct step *s = &ps->steps[i];
        if (s->object)
            util_put_path_key(&p, s->key, s->klen);
        else
            buf_printf(&p, "[%zu]", s->index);
    }
    snprintf(dup->path, sizeof dup->path, "%s", buf_str(&p));
    dup->path[util_utf8_prefix(dup->path, sizeof dup->path - 1)] = '\0';
    buf_free(&p);
}

/* Of the keys an object repeats, the one reported is the first by length, then bytes (as
 * jsonutil_find_dup reports it), whatever order they came in. */
static void first_dup(const struct jmem **best, const struct jmem *m)
{
    const struct jmem *b = *best;

    if (!b || m->klen < b->klen || (m->klen == b->klen && memcmp(m->key, b->key, m->klen) < 0))
        *best = m;
}

static int finish_object(struct parser *ps, size_t base, int level, struct jval *v)
{
    const struct jmem *dup = NULL;
    size_t n = ps->nstk - base;
    bool index = n > JDOC_INDEX_MIN;
    size_t slots = index ? index_size(n) : 0;
    struct jmem *m;

    if (n > UINT32_MAX / 4)
        return fail(ps, ERR_LIMIT, "an object has too many members", ps->p);
    m = arena_alloc(ps->doc, n * sizeof *m + slots * sizeof(struct slot));
    if (!m && n)
        return fail(ps, ERR_NOMEM, "out of memory", ps->p);
    if (n)
        memcpy(m, ps->stk + base, n * sizeof *m);
    ps->nstk = base;
    if (index) {
        struct slot *t = (struct slot *)(m + n);
        memset(t, 0, slots * sizeof *t);
        for (size_t i = 0; i < n; i++) {
            uint32_t h = key_hash(m[i].key, m[i].klen);
            size_t k = h & (slots - 1);
            while (t[k].pos && !(t[k].hash == h && same_key(&m[t[k].pos - 1], &m[i])))
                k = (k + 1) & (slots - 1);
            if (t[k].pos) { /* the key again: the later value is the one read */
                m[t[k].pos - 1].gone = 1;
                first_dup(&dup, &m[i]);
            }
            t[k].hash = h;
            t[k].pos = (uint32_t)i + 1;
        }
    } else {
        for (size_t i = 1; i < n; i++)
            for (size_t k = 0; k < i; k++)
                if (!m[k].gone && same_key(&m[k], &m[i])) {
                    m[k].gone = 1;
                    first_dup(&dup, &m[i]);
                }
    }
    if (dup)
        note_dup(ps, level, dup);
    v->type = JT_OBJECT;
    v->index = index;
    v->n = (uint32_t)n;
    v->u.m = m;
    return 0;
}

static int finish_array(struct parser *ps, size_t base, struct jval *v)
{
    size_t n = ps->nstk - base;
    struct jval *a;

    if (n > UINT32_MAX)
        return fail(ps, ERR_LIMIT, "an array has too many elements", ps->p);
    a = arena_alloc(ps->doc, n * sizeof *a);
    if (!a && n)
        return fail(ps, ERR_NOMEM, "out of memory", ps->p);
    for (size_t i = 0; i < n; i++)
        a[i] = ps->stk[base + i].v;
    ps->nstk = base;
    v->type = JT_ARRAY;
    v->index = 0;
    v->n = (uint32_t)n;
    v->u.a = a;
    return 0;
}

static int parse_value(struct parser *ps, struct jval *v, int level);

static int parse_object(struct parser *ps, struct jval *v, int level)
{
    size_t base = ps->nstk;
    struct step *st = &ps->steps[level];

    ps->p++;
    st->object = true;
    skip_blanks(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return finish_object(ps, base, level, v);
    }
    for (;;) {
        const char *key;
        uint32_t klen;
        struct jval child = {0};

        skip_blanks(ps);
        if (ps->p >= ps->end || *ps->p != '"')
            return unexpected(ps);
        if (parse_string(ps, true, &key, &klen))
            return ps->rc;
        skip_blanks(ps);
        if (ps->p >= ps->end || *ps->p != ':')
            return unexpected(ps);
        ps->p++;
        st->key = key;
        st->klen = klen;
        if (parse_value(ps, &child, level + 1) || push_slot(ps))
            return ps->rc;
        ps->stk[ps->nstk - 1] = (struct jmem){.key = key, .klen = klen, .v = child};
        skip_blanks(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return finish_object(ps, base, level, v);
        }
        return unexpected(ps);
    }
}

static int parse_array(struct parser *ps, struct jval *v, int level)
{
    size_t base = ps->nstk;
    struct step *st = &ps->steps[level];

    ps->p++;
    st->object = false;
    st->index = 0;
    skip_blanks(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return finish_array(ps, base, v);
    }
    for (;;) {
        struct jval child = {0};

        if (parse_value(ps, &child, level + 1) || push_slot(ps))
            return ps->rc;
        ps->stk[ps->nstk - 1].v = child;
        skip_blanks(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            st->index++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return finish_array(ps, base, v);
        }
        return unexpected(ps);
    }
}

static int literal(struct parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n) {
        /* a prefix of the word that the input cuts off ends in the middle; anything else is
         * wrong at its first differing character */
        size_t have = (size_t)(ps->end - ps->p);
        for (size_t i = 0; i < have; i++)
            if (ps->p[i] != word[i]) {
                ps->p += i;
                return unexpected(ps);
            }
        ps->p = ps->end;
        return unexpected(ps);
    }
    for (size_t i = 0; i < n; i++)
        if (ps->p[i] != word[i]) {
            ps->p += i;
            return unexpected(ps);
        }
    ps->p += n;
    return 0;
}

static int parse_value(struct parser *ps, struct jval *v, int level)
{
    skip_blanks(ps);
    if (ps->p >= ps->end)
        return unexpected(ps);
    if (level > ps->max_depth)
        return fail(ps, ERR_LIMIT, "nesting too deep", ps->p);
    switch (*ps->p) {
    case '{':
        return parse_object(ps, v, level);
    case '[':
        return parse_array(ps, v, level);
    case '"': {
        const char *s;
        uint32_t n;
        if (parse_string(ps, false, &s, &n))
            return ps->rc;
        v->type = JT_STRING;
        v->n = n;
        v->u.s = s;
        return 0;
    }
    case 't':
        v->type = JT_BOOL;
        v->u.b = true;
        return literal(ps, "true", 4);
    case 'f':
        v->type = JT_BOOL;
        v->u.b = false;
        return literal(ps, "false", 5);
    case 'n':
        v->type = JT_NULL;
        return literal(ps, "null", 4);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps, v);
        return unexpected(ps);
    }
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i]) || s[i] == '\0')
            return false;
    return true;
}

int jdoc_parse(const char *data, size_t len, const char *name, int max_depth, struct jdoc **out,
               struct jdoc_dup *dup, struct err *e)
{
    struct parser ps = {0};
    struct jdoc *d;

    *out = NULL;
    if (dup)
        memset(dup, 0, sizeof *dup);
    if (len > (size_t)INT32_MAX * 8)
        return err_set(e, ERR_LIMIT, "%s: too large to parse", name);
    if (blank(data, len))
        return err_set(e, ERR_PARSE, "%s: not JSON: the input is empty", name);
    if (max_depth <= 0)
        max_depth = JDOC_DEFAULT_DEPTH;
    d = calloc(1, sizeof *d);
    ps.steps = calloc((size_t)max_depth + 2, sizeof *ps.steps);
    if (d) {
        /* the parse of a large input takes about as much again as its text: blocks of 2 MiB */
        d->block_min = len >= MAP_MIN ? UTIL_MAP_ALIGN - sizeof(struct block) : BLOCK_MIN;
        d->text_map = len + 1 >= MAP_MIN ? len + 1 : 0;
        d->text = big_alloc(len + 1);
    }
    if (!d || !d->text || !ps.steps) {
        free(ps.steps);
        jdoc_free(d);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    memcpy(d->text, data, len);
    d->text[len] = '\0';
    ps.doc = d;
    ps.data = data;
    ps.p = d->text;
    ps.end = d->text + len;
    ps.max_depth = max_depth;
    ps.dup = dup;
    if (!parse_value(&ps, &d->root, 1)) {
        skip_blanks(&ps);
        if (ps.p < ps.end)
            fail(&ps, ERR_PARSE, "unexpected data after the value", ps.p);
    }
    free(ps.stk);
    free(ps.steps);
    if (ps.rc == ERR_NOMEM) {
        jdoc_free(d);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    if (ps.rc && !ps.why) {
        jdoc_free(d);
        return err_set(e, ERR_PARSE, "%s: not JSON: the input ends in the middle of a value", name);
    }
    if (ps.rc) {
        size_t line, col;
        util_line_col(data, (size_t)(ps.at - d->text), len, &line, &col);
        err_set(e, ps.rc, "%s: not JSON: %s at line %zu, column %zu", name, ps.why, line, col);
        jdoc_free(d);
        return ps.rc;
    }
    *out = d;
    return 0;
}

/* ---- reading -------------------------------------------------------------------------------- */

const char *jv_type_name(const struct jval *v)
{
    if (!v)
        return "null";
    switch ((enum jtype)v->type) {
    case JT_NULL:
        return "null";
    case JT_BOOL:
        return "boolean";
    case JT_INT:
    case JT_DOUBLE:
        return "number";
    case JT_STRING:
        return "string";
    case JT_ARRAY:
        return "array";
    case JT_OBJECT:
        return "object";
    }
    return "unknown";
}

struct jval *jv_getn(const struct jval *obj, const char *key, size_t klen)
{
    const struct jmem *m;

    if (!obj || obj->type != JT_OBJECT || klen > UINT32_MAX)
        return NULL;
    m = obj->u.m;
    if (obj->index) {
        const struct slot *t = (const struct slot *)(m + obj->n);
        size_t slots = index_size(obj->n);
        uint32_t h = key_hash(key, klen);
        for (size_t k = h & (slots - 1); t[k].pos; k = (k + 1) & (slots - 1)) {
            const struct jmem *x = &m[t[k].pos - 1];
            if (t[k].hash == h && x->klen == klen && memcmp(x->key, key, klen) == 0)
                return x->gone ? NULL : (struct jval *)&x->v;
        }
        return NULL;
    }
    for (size_t i = obj->n; i-- > 0;)
        if (m[i].klen == klen && memcmp(m[i].key, key, klen) == 0)
            return m[i].gone ? NULL : (struct jval *)&m[i].v;
    return NULL;
}

struct jval *jv_get(const struct jval *obj, const char *key)
{
    return key ? jv_getn(obj, key, strlen(key)) : NULL;
}

const char *jv_str(const struct jval *v)
{
    return v && v->type == JT_STRING ? v->u.s : NULL;
}

const char *jv_get_str(const struct jval *obj, const char *key)
{
    return jv_str(jv_get(obj, key));
}

size_t jv_len(const struct jval *v)
{
    size_t n = 0;

    if (v && v->type == JT_ARRAY)
        return v->n;
    if (!v || v->type != JT_OBJECT)
        return 0;
    for (size_t i = 0; i < v->n; i++)
        n += !v->u.m[i].gone;
    return n;
}

struct jval *jv_at(const struct jval *arr, size_t i)
{
    return arr && arr->type == JT_ARRAY && i < arr->n ? &arr->u.a[i] : NULL;
}

struct jmem *jv_members(const struct jval *obj, struct jmem **end)
{
    if (!obj || obj->type != JT_OBJECT) {
        *end = NULL;
        return NULL;
    }
    *end = obj->u.m + obj->n;
    return obj->u.m;
}

void jv_set_int(struct jval *v, long long i)
{
    v->type = JT_INT;
    v->index = 0;
    v->n = 0;
    v->u.i = i;
}

void jv_set_bool(struct jval *v, bool b)
{
    v->type = JT_BOOL;
    v->index = 0;
    v->n = 0;
    v->u.b = b;
}

void jv_remove(struct jval *obj, const char *key)
{
    struct jval *v = jv_get(obj, key);

    if (v) /* v is the member's value: the member holds it at a fixed offset */
        ((struct jmem *)((char *)v - offsetof(struct jmem, v)))->gone = 1;
}

/* ---- writing -------------------------------------------------------------------------------- */

static int write_string(const char *s, size_t n, struct buf *out)
{
    int rc = buf_add(out, "\"", 1);
    size_t run = 0;

    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        static const char short_escapes[] =
            "\"\"\\\\\nn\rr\tt\bb\ff"; /* the character, its letter */
        const char *hit = c ? memchr(short_escapes, c, sizeof short_escapes - 1) : NULL;
        char esc[8] = "";
        if (hit && (hit - short_escapes) % 2 == 0)
            snprintf(esc, sizeof esc, "\\%c", hit[1]);
        else if (c < 0x20)
            snprintf(esc, sizeof esc, "\\u%04x", c);
        if (!esc[0]) {
            run++;
            continue;
        }
        rc = buf_add(out, s + i - run, run);
        run = 0;
        if (!rc)
            rc = buf_adds(out, esc);
    }
    if (!rc)
        rc = buf_add(out, s + n - run, run);
    return rc ? rc : buf_add(out, "\"", 1);
}

int jv_write(const struct jval *v, struct buf *out)
{
    int rc = 0;

    if (!v)
        return buf_adds(out, "null");
    switch ((enum jtype)v->type) {
    case JT_NULL:
        return buf_adds(out, "null");
    case JT_BOOL:
        return buf_adds(out, v->u.b ? "true" : "false");
    case JT_INT:
        return buf_printf(out, "%lld", v->u.i);
    case JT_DOUBLE: {
        char num[40];
        /* the shortest form that reads back as the same number */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(num, sizeof num, "%.*g", prec, v->u.d);
            if (strtod(num, NULL) == v->u.d)
                break;
        }
        /* a number that reads as an integer is written as a double, as json-c writes it */
        return buf_printf(out, "%s%s", num, strpbrk(num, ".eEni") ? "" : ".0");
    }
    case JT_STRING:
        return write_string(v->u.s, v->n, out);
    case JT_ARRAY:
        rc = buf_add(out, "[", 1);
        for (size_t i = 0; i < v->n && !rc; i++) {
            if (i)
                rc = buf_add(out, ",", 1);
            if (!rc)
                rc = jv_write(&v->u.a[i], out);
        }
        return rc ? rc : buf_add(out, "]", 1);
    case JT_OBJECT: {
        bool first = true;
        rc = buf_add(out, "{", 1);
        for (size_t i = 0; i < v->n && !rc; i++) {
            const struct jmem *m = &v->u.m[i];
            if (m->gone)
                continue;
            if (!first)
                rc = buf_add(out, ",", 1);
            first = false;
            if (!rc)
                rc = write_string(m->key, m->klen, out);
            if (!rc)
                rc = buf_add(out, ":", 1);
            if (!rc)
                rc = jv_write(&m->v, out);
        }
        return rc ? rc : buf_add(out, "}", 1);
    }
    }
    return 0;
}
