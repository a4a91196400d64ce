/*
 * Appending text to a buffer without checking every call: the first failure sticks in rc and later
 * calls do nothing. Shared by the renderers. The buffer is borrowed.
 */
#ifndef SDRS_TEXTOUT_H
#define SDRS_TEXTOUT_H

#include <stdbool.h>

#include "buf.h"

struct textout {
    struct buf *b;
    bool color; /* the text renderer's ANSI colours */
    int rc;     /* 0, or the first error */
};

void textout_put(struct textout *o, const char *s);
void textout_putn(struct textout *o, const char *s, size_t n);
void textout_putf(struct textout *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Untrusted text (s NULL as "") as plain text for a terminal: unsafe characters become spaces
 * and bytes that are not UTF-8 '?' (util_put_clean). */
void textout_put_clean(struct textout *o, const char *s);
void textout_putn_clean(struct textout *o, const char *s, size_t n);

struct evidence;
struct finding;
/* Writes an evidence value: integers as %lld, numbers as %.15g (0.25, 5; the JSON report writes
 * an integral number as 5.0 to keep it a number), booleans as true or false, strings through
 * put_string (the format's own escaping). */
void textout_evidence(struct textout *o, const struct evidence *ev,
                      void (*put_string)(struct textout *o, const char *s));

/* One line of a finding's details: the resource (resource true; ev->key is "resource" and
 * ev->s the resource), or one evidence entry. */
typedef void textout_row_fn(struct textout *o, const struct evidence *ev, bool resource, void *ud);
/* Calls row for a finding's details in reading order: its resource (when it has one), then, when
 * evidence is true, the evidence observed, expected and the other keys in the order the rule gave
 * them (sorted by the engine). */
void textout_finding_rows(struct textout *o, const struct finding *f, bool evidence,
                          textout_row_fn *row, void *ud);

#endif
