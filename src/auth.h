/*
 * The credentials of a session behind one small interface: a token, an AK/SK pair (SDK-HMAC-SHA256)
 * or an IAM password exchanged for a token. It signs each request attempt, describes itself without
 * a secret, says which endpoints it needs, and (for a password) logs in at IAM.
 *
 * Ownership: auth_new returns an owned struct auth (auth_free wipes the token IAM issued). It
 * borrows the credentials, which must outlive it. Nothing here prints or keeps a secret in a
 * message.
 */
#ifndef SDRS_AUTH_H
#define SDRS_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "err.h"

struct requester;
struct auth;
struct json_object;

int auth_new(const struct credentials *c, long long (*clock)(void), struct auth **out,
             struct err *e);
void auth_free(struct auth *a);

/* The request_sign_fn of the session (ud is the struct auth): X-Auth-Token, or Host, X-Sdk-Date,
 * Authorization (and X-Security-Token) for AK/SK, signed at the time of each attempt. A password
 * session has no token until auth_login: then nothing is sent (ERR_AUTH). */
int auth_sign(void *ud, const char *method, const char *url, const char *body, size_t body_len,
              struct buf *out, struct err *e);

/* "token credentials from OS_AUTH_TOKEN": the kind and where they came from, never a secret. */
void auth_describe(const struct auth *a, char *out, size_t size);
/* What to check when a request was refused with status (401 or 403), for messages. */
const char *auth_what_to_check(const struct auth *a, int status);

/* The role names of the token IAM issued at login (borrowed; NULL before a login, and for tokens
 * and AK/SK, which show none). */
struct json_object *auth_roles(const struct auth *a);

/* True when the credentials are an IAM password: the session must log in first (auth_login), and
 * needs the IAM endpoint for it. */
bool auth_needs_login(const struct auth *a);

/* Exchanges the password for a token at ep->iam (POST /v3/auth/tokens, project scope) over rq,
 * and fills from the token what ep lacks: the project id and the SDRS, ECS and IMS endpoints of
 * its catalog (log is told which). Fails with ERR_AUTH (IAM refused the user: the message names
 * the user and what to check), ERR_NET or ERR_API (no token), ERR_INVALID (no IAM endpoint) or
 * ERR_NOMEM. */
int auth_login(struct auth *a, struct requester *rq, struct endpoints *ep,
               void (*log)(void *ud, int level, const char *msg), void *log_ud, struct err *e);

#endif
