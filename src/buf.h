/*
 * A growable byte buffer with a hard cap (in the style of curl's dynbuf).
 *
 * The buffer owns its memory; buf_free() releases it and leaves an empty buffer that can be reused.
 * The content is always NUL-terminated (the terminator is not counted in len). Growing past the
 * cap fails with ERR_LIMIT and leaves the content unchanged: it never truncates silently.
 * A buffer of 1 MiB or more lives in memory mapped for it (util_map), which a large snapshot or
 * report fills with one page fault per 2 MiB.
 */
#ifndef SDRS_BUF_H
#define SDRS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap; /* allocated bytes */
    size_t max; /* the most len may become; 0 means no cap */
};

/* Initialises an empty buffer whose length may not exceed max bytes (0: unlimited). */
void buf_init(struct buf *b, size_t max);
/* Frees the memory; b stays usable as an empty buffer with the same cap. */
void buf_free(struct buf *b);
/* buf_free for a buffer that held a secret: the whole allocation is overwritten first. */
void buf_wipe_free(struct buf *b);
/* Empties the buffer, keeping the memory. */
void buf_reset(struct buf *b);
/* Appends n bytes. Returns 0, ERR_NOMEM or ERR_LIMIT. */
int buf_add(struct buf *b, const void *p, size_t n);
/* Makes room for extra more bytes (and the NUL after them) without changing len. Returns 0,
 * ERR_LIMIT (past max) or ERR_NOMEM. */
int buf_reserve(struct buf *b, size_t extra);
/* Appends a NUL-terminated string. */
int buf_adds(struct buf *b, const char *s);
/* Appends formatted text. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Returns the content (never NULL; "" when empty). Borrowed. */
const char *buf_str(const struct buf *b);
/* Takes the content as a malloc'ed NUL-terminated string (caller frees) and empties b. */
char *buf_take(struct buf *b);

#endif
