#include "diag.h"

#include "buf.h"
#include "util.h"
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

/* Writes the formatted text to f as plain text for a terminal or a log: the one sanitiser of what
 * a person reads (util_put_clean), so that text from the API, a rule or argv cannot move the
 * cursor, recolour, reorder or hide what the line says. */
static void vclean(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void vclean(FILE *f, const char *fmt, va_list ap)
{
    struct buf raw, out;

    buf_init(&raw, 64 * 1024);
    buf_init(&out, 64 * 1024);
    buf_vprintf(&raw, fmt, ap);
    util_put_clean(&out, buf_str(&raw), raw.len);
    fwrite(buf_str(&out), 1, out.len, f);
    buf_free(&raw);
    buf_free(&out);
}

void diag_printf(FILE *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vclean(f, fmt, ap);
    va_end(ap);
    fflush(f);
}

static void vprint(const char *kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vprint(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s", SDRS_NAME, kind);
    vclean(stderr, fmt, ap);
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
