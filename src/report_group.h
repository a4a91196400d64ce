/*
 * Folding a rule's findings for people: findings that say the same thing about different resources
 * (the same level, the same message once the resource's names and ids are masked, and the same
 * evidence apart from the keys that name the resource) are one group. The text and Markdown
 * reports show a group as one entry with its count and its resources; the JSON report keeps every
 * finding and adds the groups as indices. Blocking findings are never folded by the renderers.
 *
 * Also: ids shortened to the fewest characters that keep them apart, for lists of resources.
 */
#ifndef SDRS_REPORT_GROUP_H
#define SDRS_REPORT_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

struct finding_group {
    enum level level;
    char *template_text; /* the message with the resource's names and ids as "…" */
    size_t *members;     /* indices into the rule's findings, in order */
    size_t n;
    /* When the template starts by naming its resource (`protected instance "…" (…): rest`): the
     * noun ("protected instance", else "") and where the rest starts in template_text. */
    char noun[48];
    size_t rest;
};

/* Groups res's findings (in their order; a group is placed at its first finding). Returns 0 or
 * ERR_NOMEM. */
int report_group_findings(const struct rule_result *res, struct finding_group **out, size_t *n);
void report_groups_free(struct finding_group *g, size_t n);

/* The name a finding's message gives its resource ("db-01" in `instance "db-01" (id)`), into out;
 * "" when it gives none. */
void report_finding_label(const struct finding *f, char *out, size_t size);
/* The id part of a resource ("protected_instance/<id>" -> "<id>"). */
const char *report_resource_id(const char *resource);

/* How to shorten the ids ids[0..n) so that they stay apart: keep `len` characters from the start
 * (suffix false) or from the end (suffix true), whichever is shorter; at least min characters;
 * len 0 when they are short enough already. */
struct short_ids {
    size_t len;
    bool suffix;
};
struct short_ids report_short_ids(const char *const *ids, size_t n, size_t min);
/* id shortened as s says, with "…" where characters were left out, into out. */
void report_short_id(const char *id, struct short_ids s, char *out, size_t size);

#endif
