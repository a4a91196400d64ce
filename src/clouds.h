/*
 * clouds.yaml, as openstacksdk, the openstack CLI, python-otcextensions and the OTC Terraform
 * provider read it: OS_CLOUD (or --os-cloud NAME) selects clouds.<NAME> from the first clouds.yaml
 * found in ./, ~/.config/openstack/ and /etc/openstack/ (OS_CLIENT_CONFIG_FILE names one file
 * instead), and the secure.yaml of the same directories is merged into it (secrets kept apart).
 * Parsed with libyaml.
 *
 * What is taken: auth.auth_url, auth.username, auth.password, auth.user_domain_name (or
 * auth.domain_name), auth.project_id, auth.project_name, auth.token; ak, sk and security_token
 * (python-otcextensions writes them beside auth; under auth is read too); region_name; interface;
 * and sdrs_endpoint_override, ecs_endpoint_override (or compute_endpoint_override),
 * ims_endpoint_override (or image_endpoint_override), identity_endpoint_override,
 * evs_endpoint_override (or volume_endpoint_override). Secrets are
 * never shown; a file with secrets that others may read is noted in world_readable.
 */
#ifndef SDRS_CLOUDS_H
#define SDRS_CLOUDS_H

#include <stdbool.h>

#include "err.h"

#define CLOUDS_MAX_FILE (1u << 20)

struct cloud_config {
    char *name;   /* the cloud's name */
    char *file;   /* the clouds.yaml it came from */
    char *secure; /* the secure.yaml merged into it, or NULL */
    char *auth_url, *username, *password, *user_domain_name, *project_id, *project_name, *token;
    char *ak, *sk, *security_token;
    char *region_name, *interface;
    char *sdrs_endpoint, *ecs_endpoint, *ims_endpoint, *iam_endpoint,
        *evs_endpoint;   /* *_endpoint_override */
    bool world_readable; /* a file holding a secret may be read by others than its owner */
};

/* Loads the cloud called name. dirs is NULL for the standard search (./, ~/.config/openstack/,
 * /etc/openstack/, or OS_CLIENT_CONFIG_FILE), else a NULL-terminated list of directories (tests).
 * Returns 0, ERR_INVALID (no clouds.yaml, no such cloud, a value of the wrong type; the message
 * names the file and the key, never a secret), ERR_PARSE (not YAML), ERR_IO, ERR_NOMEM. */
int clouds_load(const char *name, const char *const *dirs, struct cloud_config *out, struct err *e);
/* Frees everything, wiping the secrets. */
void cloud_config_clear(struct cloud_config *c);

#endif
