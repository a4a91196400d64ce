#include "diag.h"

#include "version.h"

#include <stdarg.h>
#include <stdio.h>

static int verbosity;
static bool quiet;

void diag_setup(int verbose, bool q)
{
    verbosity = verbose;
    quiet = q;
}

int diag_verbosity(void)
{
    return verbosity;
}

static void vprint(const char *kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vprint(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s", SDRS_NAME, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
}

void diag_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprint("error: ", fmt, ap);
    va_end(ap);
}

void diag_warn(const char *fmt, ...)
{
    va_list ap;

    if (quiet)
        return;
    va_start(ap, fmt);
    vprint("warning: ", fmt, ap);
    va_end(ap);
}

void diag_alert(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprint("WARNING: ", fmt, ap);
    va_end(ap);
}

void diag_notice(const char *fmt, ...)
{
    va_list ap;

    if (quiet)
        return;
    va_start(ap, fmt);
    vprint("", fmt, ap);
    va_end(ap);
}

void diag_verbose(int level, const char *fmt, ...)
{
    va_list ap;

    if (quiet || verbosity < level)
        return;
    va_start(ap, fmt);
    vprint("", fmt, ap);
    va_end(ap);
}
