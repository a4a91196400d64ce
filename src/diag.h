/*
 * Diagnostics on stderr for the application layer (cli, app): "sdrs-preflight: error: ...".
 * Library modules never print; they return errors that the application reports through here.
 */
#ifndef SDRS_DIAG_H
#define SDRS_DIAG_H

#include <stdbool.h>

/* -v count (0 normal, 1 verbose, 2 debug) and -q. */
void diag_setup(int verbose, bool quiet);
int diag_verbosity(void);

void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning that -q does not silence (e.g. TLS verification switched off). */
void diag_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed when the verbosity is at least level. */
void diag_verbose(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
