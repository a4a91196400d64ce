/*
 * Diagnostics on stderr for the application layer (cli, app): "sdrs-preflight: error: ...".
 * Library modules never print; they return errors that the application reports through here.
 * Every message is made plain text for a terminal on its way out (util_put_clean): whatever it
 * quotes (an API answer, a rule, argv) cannot carry escape sequences, C1 or bidi controls or line
 * breaks onto the screen.
 */
#ifndef SDRS_DIAG_H
#define SDRS_DIAG_H

#include <stdbool.h>
#include <stdio.h>

/* -v count (0 normal, 1 verbose, 2 debug) and -q. */
void diag_setup(int verbose, bool quiet);
int diag_verbosity(void);

void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning that -q does not silence (e.g. TLS verification switched off). */
void diag_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes the formatted text to f through the same sanitiser, without a prefix or a newline (a
 * prompt, a progress line: the caller adds its own \r or \n). */
void diag_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Printed when the verbosity is at least level. */
void diag_verbose(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
