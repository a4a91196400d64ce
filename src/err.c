#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return code;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

int err_prefix(struct err *e, int code, const char *fmt, ...)
{
    char old[sizeof e->msg];
    size_t n, m;
    va_list ap;
    int w;

    if (!e)
        return code;
    if (!e->code)
        e->code = code;
    memcpy(old, e->msg, sizeof old);
    va_start(ap, fmt);
    w = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    n = w < 0 ? 0 : (size_t)w;
    if (n > sizeof e->msg - 1)
        n = sizeof e->msg - 1;
    /* append ": " and the old message, truncated to fit */
    m = strlen(old);
    if (n + 2 + m > sizeof e->msg - 1)
        m = n + 2 < sizeof e->msg - 1 ? sizeof e->msg - 1 - n - 2 : 0;
    if (n + 2 < sizeof e->msg) {
        memcpy(e->msg + n, ": ", 2);
        memcpy(e->msg + n + 2, old, m);
        e->msg[n + 2 + m] = '\0';
    }
    return e->code;
}

void err_clear(struct err *e)
{
    if (!e)
        return;
    e->code = 0;
    e->msg[0] = '\0';
}
