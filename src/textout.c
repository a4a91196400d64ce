#include "textout.h"

#include "result.h"
#include "util.h"

#include <stdarg.h>
#include <string.h>

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

void textout_putn_clean(struct textout *o, const char *s, size_t n)
{
    if (!o->rc)
        o->rc = util_put_clean(o->b, s, n);
}

void textout_put_clean(struct textout *o, const char *s)
{
    s = s ? s : "";
    textout_putn_clean(o, s, strlen(s));
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

void textout_finding_rows(struct textout *o, const struct finding *f, bool evidence,
                          textout_row_fn *row, void *ud)
{
    static const char *const first[] = {"observed", "expected"};

    if (f->resource) {
        struct evidence res = {.key = (char *)"resource", .type = EV_STRING, .s = f->resource};
        row(o, &res, true, ud);
    }
    if (!evidence)
        return;
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < f->nev; i++)
            if (strcmp(f->ev[i].key, first[k]) == 0)
                row(o, &f->ev[i], false, ud);
    for (size_t i = 0; i < f->nev; i++)
        if (strcmp(f->ev[i].key, first[0]) != 0 && strcmp(f->ev[i].key, first[1]) != 0)
            row(o, &f->ev[i], false, ud);
}
