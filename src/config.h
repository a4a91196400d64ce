/*
 * Credentials and endpoints for the live fetch, resolved without any network access.
 *
 * Credentials come, first complete set wins, from: a token (--token-file, else OS_AUTH_TOKEN); an
 * AK/SK pair (OS_ACCESS_KEY + OS_SECRET_KEY, else HW_ACCESS_KEY + HW_SECRET_KEY); an IAM password
 * (OS_USERNAME, OS_PASSWORD, OS_USER_DOMAIN_NAME or OS_DOMAIN_NAME, OS_PROJECT_ID or
 * OS_PROJECT_NAME). Never from the command line. A struct credentials owns its strings and
 * credentials_clear() wipes the secrets (secret_free) before freeing them.
 *
 * With none of these complete and a cloud selected (OS_CLOUD or --os-cloud), clouds.yaml gives them
 * (credentials_from_cloud).
 *
 * Endpoints: a flag wins, else the cloud's *_endpoint_override (or auth_url for IAM), else the
 * region table's host (regions.h), else (password flow) the IAM catalog, filled in later by the IAM
 * module. The region: --region, else OS_REGION_NAME, else the cloud's region_name, else the region
 * an OTC project name starts with ("eu-de_sub" is in eu-de). A struct endpoints owns its strings
 * (endpoints_clear) and says where each came from.
 */
#ifndef SDRS_CONFIG_H
#define SDRS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum cred_kind { CRED_NONE, CRED_TOKEN, CRED_AKSK, CRED_PASSWORD };

struct credentials {
    enum cred_kind kind;
    char *token; /* secret */
    char *access_key;
    char *secret_key;     /* secret */
    char *security_token; /* secret, temporary AK/SK (OS_SECURITY_TOKEN / HW_SECURITY_TOKEN) */
    char *username;
    char *password; /* secret */
    char *domain;
    char *project_id; /* of the password scope; may be NULL when project_name is set */
    char *project_name;
    const char *source; /* where they came from, for messages: "OS_AUTH_TOKEN", ... */
};

/* Reads the environment through getenv_fn (getenv in the program, a table in tests). token_file,
 * when given, is read (whitespace trimmed) and wins. Fails with ERR_INVALID and a message naming
 * every variable that would do when no set is complete; ERR_IO when the token file is unreadable.
 */
int credentials_load(const char *token_file, const char *(*getenv_fn)(const char *name),
                     struct credentials *out, struct err *e);
void credentials_clear(struct credentials *c);
struct cloud_config;
/* credentials_load, and when the environment has no complete set, the cloud's (when one was
 * selected): flags and variables win over clouds.yaml. */
int credentials_resolve(const char *token_file, const char *(*getenv_fn)(const char *name),
                        const struct cloud_config *cloud, struct credentials *out, struct err *e);
/* The credentials of a clouds.yaml cloud: a token, else ak and sk (with security_token), else a
 * password with username, user domain and project. ERR_INVALID naming what is missing. */
int credentials_from_cloud(const struct cloud_config *cloud, struct credentials *out,
                           struct err *e);
/* Overwrites a secret string (explicit_bzero) and frees it. NULL is a no-op. */
void secret_free(char *s);
/* "token", "AK/SK" or "IAM password". */
const char *credentials_kind_name(enum cred_kind k);
/* Parts of the environment set but not completing a set (e.g. OS_ACCESS_KEY without
 * OS_SECRET_KEY), for a notice; "" when none. Writes into buf. */
void credentials_incomplete(const char *(*getenv_fn)(const char *name), char *buf, size_t size);

/* Where an endpoint, the region or the project came from, for `endpoints` and -v. */
#define ENDPOINT_SOURCE_SIZE 160
enum { EP_SDRS, EP_ECS, EP_IMS, EP_IAM, EP_EVS, EP_REGION, EP_PROJECT, EP_COUNT };
#define EP_URLS 5 /* the services: EP_SDRS .. EP_EVS */

struct endpoints {
    char *sdrs; /* base URLs without a trailing slash and without /v1/{project_id} */
    char *ecs;
    char *ims;
    char *iam;
    char *evs; /* EVS (the disks behind the replication pairs), without /v2/{project_id} */
    char *project_id;
    char *region;
    char *interface; /* of catalog endpoints: "public" unless clouds.yaml says otherwise */
    char source[EP_COUNT][ENDPOINT_SOURCE_SIZE]; /* "" when not set */
};

struct endpoint_flags {
    const char *sdrs, *ecs, *ims, *iam,
        *evs; /* --endpoint, --ecs-endpoint, --ims-endpoint, --iam-endpoint, --evs-endpoint */
    const char *region;               /* --region */
    const char *region_env;           /* OS_REGION_NAME */
    const char *project_id;           /* --project-id */
    const char *project_env;          /* OS_PROJECT_ID */
    const char *project_name;         /* OS_PROJECT_NAME or the cloud's: its region prefix */
    const struct cloud_config *cloud; /* the selected clouds.yaml cloud, or NULL */
};

/* Fills what the flags and the region give. Missing endpoints stay NULL (the catalog may fill
 * them). A URL must be http:// or https:// without query, fragment, blanks, control characters or
 * user information ("user:password@"); a catalog-style suffix "/v1/<project>" or "/v3" is removed
 * (the project id is taken from it when none is given). The project id is not checked here: the
 * API session checks every project id, whatever its source (api_id_valid). */
int endpoints_resolve(const struct endpoint_flags *f, struct endpoints *out, struct err *e);
void endpoints_clear(struct endpoints *ep);
/* Normalises one base URL (see above) into a malloc'ed string; *project receives a project id
 * found in a "/v1/<id>" suffix (malloc'ed) when project is not NULL. */
/* True when url is http:// to a host that is not loopback (localhost, 127.0.0.0/8, [::1]): what
 * is sent there, credentials included, crosses the network in clear text. */
bool endpoint_cleartext(const char *url);

int endpoint_normalize(const char *url, char **out, char **project, struct err *e);
/* The region an OTC project name belongs to ("eu-de_sub" and "eu-de" are in eu-de) when it is a
 * known region, else NULL (static). */
const char *region_of_project_name(const char *name);

#endif
