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

struct evidence;
/* Writes an evidence value: numbers and booleans as the JSON report writes them, strings through
 * put_string (the format's own escaping). */
void textout_evidence(struct textout *o, const struct evidence *ev,
                      void (*put_string)(struct textout *o, const char *s));

#endif
