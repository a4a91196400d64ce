/*
 * Error reporting for library code.
 *
 * Functions below the application layer return 0 on success or a negative ERR_* code, and fill an
 * optional `struct err` with a one-line, lower-case message (problem first, subject quoted). They
 * never print and never exit. `err` may be NULL when the caller does not want the message.
 */
#ifndef SDRS_ERR_H
#define SDRS_ERR_H

enum err_code {
    ERR_OK = 0,
    ERR_NOMEM = -1,   /* allocation failed */
    ERR_IO = -2,      /* a file could not be read or written */
    ERR_PARSE = -3,   /* input is not what it should be (JSON, schema, flags) */
    ERR_INVALID = -4, /* valid syntax, invalid content (configuration, rule file) */
    ERR_LIMIT = -5,   /* a configured limit was reached */
    ERR_NET = -6,     /* network or protocol failure */
    ERR_API = -7,     /* the API answered with an error */
    ERR_AUTH = -8,    /* credentials missing or rejected */
    ERR_PRECOND = -9, /* the operation is not possible in the current state */
};

struct err {
    int code;
    char msg[512];
};

/* Sets e->code and formats e->msg (truncated to fit); returns code. e may be NULL. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message; returns e->code (or code if e is NULL). */
int err_prefix(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Clears e (code 0, empty message). */
void err_clear(struct err *e);

#endif
