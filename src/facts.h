/*
 * The facts file (--facts): what no API tells, given by the operator.
 *
 *   {"first_switchover": true|false|null,
 *    "servers": {"<server id>": {"cloud_init": true|false|null}},
 *    "comment": "free text"}
 *
 * facts_load_* return an owned struct facts (facts_free); f->root is a normalised copy that always
 * has both keys ("servers" may be empty). Any other key, or a wrong type, is an error (ERR_PARSE,
 * exit code 2): a typo must not silently leave a fact unknown.
 */
#ifndef SDRS_FACTS_H
#define SDRS_FACTS_H

#include "err.h"
#include "util.h"

struct json_object;

struct facts {
    struct json_object *root;
    char sha256[UTIL_SHA256_HEX]; /* of the file's bytes; "" for inline facts */
};

int facts_load_file(const char *path, struct facts **out, struct err *e);
/* Validates an already parsed value (borrowed; it is copied). */
int facts_from_json(struct json_object *v, const char *label, struct facts **out, struct err *e);
void facts_free(struct facts *f);

#endif
