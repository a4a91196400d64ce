#include "buf.h"

#include "err.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

/* A buffer of BUF_MAP_MIN bytes or more lives in memory mapped for it (util_map): whether it does
 * follows from cap alone. */
#define BUF_MAP_MIN ((size_t)1 << 20)

static void release(char *data, size_t cap)
{
    if (cap >= BUF_MAP_MIN)
        util_unmap(data, cap);
    else
        free(data);
}

void buf_free(struct buf *b)
{
    release(b->data, b->cap);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_wipe_free(struct buf *b)
{
    if (b->data)
        explicit_bzero(b->data, b->cap);
    buf_free(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (extra > (size_t)-1 - b->len - 1)
        return ERR_LIMIT;
    need = b->len + extra;
    if (b->max && need > b->max)
        return ERR_LIMIT;
    if (need + 1 <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 64;
    while (ncap < need + 1)
        ncap = ncap > ((size_t)-1) / 2 ? need + 1 : ncap * 2;
    if (ncap < BUF_MAP_MIN) {
        p = realloc(b->data, ncap);
    } else if ((p = util_map(ncap)) != NULL && b->data) {
        memcpy(p, b->data, b->len + 1);
        release(b->data, b->cap);
    }
    if (!p)
        return ERR_NOMEM;
    b->data = p;
    b->cap = ncap;
    return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ERR_INVALID;
    rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

char *buf_take(struct buf *b)
{
    char *p = b->data;

    if (b->cap >= BUF_MAP_MIN) { /* the caller frees it with free() */
        if ((p = malloc(b->len + 1)) != NULL)
            memcpy(p, b->data, b->len + 1);
        release(b->data, b->cap);
    } else if (!p) {
        p = calloc(1, 1);
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
