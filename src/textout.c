#include "textout.h"

#include "result.h"

#include <stdarg.h>

void textout_put(struct textout *o, const char *s)
{
    if (!o->rc)
        o->rc = buf_adds(o->b, s);
}

void textout_putn(struct textout *o, const char *s, size_t n)
{
    if (!o->rc)
        o->rc = buf_add(o->b, s, n);
}

void textout_putf(struct textout *o, const char *fmt, ...)
{
    va_list ap;

    if (o->rc)
        return;
    va_start(ap, fmt);
    o->rc = buf_vprintf(o->b, fmt, ap);
    va_end(ap);
}

void textout_evidence(struct textout *o, const struct evidence *ev,
                      void (*put_string)(struct textout *o, const char *s))
{
    switch (ev->type) {
    case EV_STRING:
        put_string(o, ev->s);
        break;
    case EV_INT:
        textout_putf(o, "%lld", ev->i);
        break;
    case EV_NUMBER:
        textout_putf(o, "%.15g", ev->d);
        break;
    case EV_BOOL:
        textout_put(o, ev->b ? "true" : "false");
        break;
    }
}
