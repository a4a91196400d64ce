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

/* Parses exactly one JSON value from data (strict JSON, valid UTF-8, at most max_depth levels of
 * nesting; trailing blanks allowed, anything else is an error). Errors name `name` and the line
 * and column. */
int jsonutil_parse(const char *data, size_t len, const char *name, int max_depth,
                   struct json_object **out, struct err *e);

/* True when o is at most max_depth levels deep as jsonutil_parse counts them (json-c's tokener: a
 * value is one level, a value inside an array or object one more), so that a serialisation of o
 * parses with the same max_depth. */
bool jsonutil_depth_within(struct json_object *o, int max_depth);

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
