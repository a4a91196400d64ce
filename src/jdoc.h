/*
 * jdoc: a compact JSON document for the snapshot, the largest input the tool reads.
 *
 * json-c spends about 900 bytes on every object (a 16-slot hash table, a copy of every key), so a
 * 3 MiB snapshot of 500 instances became some 30 MiB of small allocations, and reading it cost
 * more than deciding on it. A jdoc is the input text, decoded in place, plus one arena of 16-byte
 * values and 32-byte members: about twice the size of the text, in a handful of allocations, and
 * freed in one step. Objects keep their members in document order; an object of more than
 * JDOC_INDEX_MIN members also gets a hash index, so a lookup in a map of 5,000 servers is one
 * probe or two.
 *
 * The parser is as strict as jsonutil_parse (RFC 8259, valid UTF-8 without NUL, no NaN, at most
 * max_depth levels, nothing after the value but blanks), and its messages name what is wrong with
 * the line and column as jsonutil's do (the wording of syntax errors is its own). An escaped lone
 * surrogate, which json-c replaces by U+FFFD, is refused (jsonutil refuses numbers outside RFC
 * 8259, which json-c's tokener takes, so both read the same numbers). A key that appears twice in
 * one object is not an error: it fills *dup (of the first object that has one, its key first by
 * length, then bytes, with its path)
 * and the last value is the one that is read, as json-c would keep it.
 *
 * Values are borrowed from the document and live as long as it. The reader of the snapshot
 * normalises in place (jv_set_int, jv_set_bool, jv_remove); nothing else writes to a document.
 */
#ifndef SDRS_JDOC_H
#define SDRS_JDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum jtype { JT_NULL, JT_BOOL, JT_INT, JT_DOUBLE, JT_STRING, JT_ARRAY, JT_OBJECT };

#define JDOC_INDEX_MIN     8
#define JDOC_DEFAULT_DEPTH 64

/* A key that appears twice in one object (the reader records it: the document is ambiguous). path
 * is where the object is ("$", "$.servers[\"a\"].server", "$.list[3]"), key the key; both
 * printable and cut to fit, as jsonutil_parse_dup reports them. */
struct jdoc_dup {
    bool found;
    char path[256];
    char key[128];
};

struct jmem;

struct jval {
    uint8_t type;  /* enum jtype */
    uint8_t index; /* objects: the members are followed by a hash index */
    uint32_t n;    /* strings: bytes; arrays: elements; objects: members, removed ones included */
    union {
        bool b;
        long long i;
        double d;
        const char *s; /* NUL-terminated, valid UTF-8 */
        struct jval *a;
        struct jmem *m;
    } u;
};

struct jmem {
    const char *key; /* NUL-terminated, valid UTF-8 */
    uint32_t klen;
    uint32_t gone; /* removed (jv_remove), or an earlier value of a repeated key */
    struct jval v;
};

struct jdoc;

/* Parses data[0..len) (which is copied). name labels messages: "snapshot 'x.json': not JSON: ...".
 * Returns 0, ERR_PARSE, ERR_LIMIT (nesting deeper than max_depth, or a value too large) or
 * ERR_NOMEM. */
int jdoc_parse(const char *data, size_t len, const char *name, int max_depth, struct jdoc **out,
               struct jdoc_dup *dup, struct err *e);
void jdoc_free(struct jdoc *d);
struct jval *jdoc_root(struct jdoc *d);

static inline bool jv_is(const struct jval *v, enum jtype t)
{
    return v && v->type == t;
}

/* "null", "boolean", "number", "string", "array", "object" (as jsonutil_type). */
const char *jv_type_name(const struct jval *v);

/* The member key of obj (a JSON null included), or NULL when obj is not an object or lacks it. */
struct jval *jv_getn(const struct jval *obj, const char *key, size_t klen);
struct jval *jv_get(const struct jval *obj, const char *key);
/* The string member key of obj, or NULL. */
const char *jv_get_str(const struct jval *obj, const char *key);
/* A string's text, or NULL for any other type. */
const char *jv_str(const struct jval *v);
/* Elements of an array, members of an object (removed ones not counted); 0 for anything else. */
size_t jv_len(const struct jval *v);
/* Element i of an array, or NULL. */
struct jval *jv_at(const struct jval *arr, size_t i);

/* The members of obj in document order, removed ones included (skip m->gone): for (m = first;
 * m < end; m++). Both NULL when obj is not an object. */
struct jmem *jv_members(const struct jval *obj, struct jmem **end);

/* In-place normalisation. */
void jv_set_int(struct jval *v, long long i);
void jv_set_bool(struct jval *v, bool b);
/* Removes member key of obj (it is no longer found or iterated). */
void jv_remove(struct jval *obj, const char *key);

/* Appends v as JSON (compact, '/' not escaped). Returns 0 or ERR_NOMEM/ERR_LIMIT from out. */
int jv_write(const struct jval *v, struct buf *out);

#endif
