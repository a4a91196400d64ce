/*
 * json-c helpers shared by the readers (snapshot, facts, waivers, test cases) and the JSON writers.
 *
 * Parsed trees are owned by the caller (json_object_put). Lookups borrow.
 */
#ifndef SDRS_JSONUTIL_H
#define SDRS_JSONUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>
#include <json-c/json_visit.h>

#include "buf.h"
#include "err.h"

#define JSONUTIL_DEFAULT_DEPTH 64

/* A key that appears twice in one object: json-c keeps the last value, while a person reading
 * the text sees the first, so such a document is ambiguous. path is where the object is ("$",
 * "$.servers[\"a\"].server", "$.list[3]"), key the key; both printable and cut to fit. */
struct jsonutil_dup {
    bool found;
    char path[256];
    char key[128];
};

/* Parses exactly one JSON value from data (strict JSON, valid UTF-8, at most max_depth levels of
 * nesting, no key twice in one object; trailing blanks allowed, anything else is an error).
 * Errors name `name` and the line and column, or the repeated key and where it is. */
int jsonutil_parse(const char *data, size_t len, const char *name, int max_depth,
                   struct json_object **out, struct err *e);
/* The same, for readers that record an ambiguous document rather than refuse it: a repeated key
 * is not an error but fills *dup (the document is returned as json-c read it). */
int jsonutil_parse_dup(const char *data, size_t len, const char *name, int max_depth,
                       struct json_object **out, struct jsonutil_dup *dup, struct err *e);
/* Looks for a key that appears twice in one object of data[0..len), which must be well-formed
 * JSON (call it after a successful parse). Keys compare after unescaping ("a" and "\u0061" are
 * the same key). Fills *dup (found false when there is none). Returns 0 or ERR_NOMEM. */
int jsonutil_find_dup(const char *data, size_t len, struct jsonutil_dup *dup);

/* "null", "boolean", "number", "string", "array" or "object" (NULL is "null"). */
const char *jsonutil_type(struct json_object *o);

/* Member lookup; true when the key exists (its value may be NULL for JSON null). */
bool jsonutil_get(struct json_object *obj, const char *key, struct json_object **out);
/* The member when it exists and is a string, else NULL. Borrowed. */
const char *jsonutil_get_str(struct json_object *obj, const char *key);

/* Serialises o (pretty, two spaces, no escaped slashes) followed by a newline. */
int jsonutil_print(struct json_object *o, struct buf *out);

/* Applies JSON Patch operations (RFC 6902 "add", "replace", "remove"; paths are RFC 6901 JSON
 * Pointers) to root in place. ops is borrowed; values are copied. */
int jsonutil_patch(struct json_object *root, struct json_object *ops, struct err *e);

/* Appends s to out as a JSON string literal with quotes. */
int jsonutil_quote(const char *s, struct buf *out);

#endif
