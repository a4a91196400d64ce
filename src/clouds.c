#include "clouds.h"

#include "buf.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

/* ---- a YAML document, read into a small tree of its own -------------------------------------- */

/* The document and the mapping node that is clouds.<name>, or 0. */
struct ydoc {
    yaml_document_t doc;
    bool loaded;
    char *path;
};

static void ydoc_clear(struct ydoc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    free(d->path);
    memset(d, 0, sizeof *d);
}

/* Parses the file at path into d. */
static int ydoc_load(const char *path, struct ydoc *d, struct err *e)
{
    yaml_parser_t parser;
    struct buf b;
    int rc;

    memset(d, 0, sizeof *d);
    buf_init(&b, CLOUDS_MAX_FILE);
    if ((rc = util_read_file(path, CLOUDS_MAX_FILE, &b, e)) != 0) {
        buf_wipe_free(&b);
        return rc;
    }
    if (!yaml_parser_initialize(&parser)) {
        buf_wipe_free(&b);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf_str(&b), b.len);
    if (!yaml_parser_load(&parser, &d->doc)) {
        rc = err_set(e, ERR_PARSE, "'%s' is not YAML: %s at line %lu, column %lu", path,
                     parser.problem ? parser.problem : "error",
                     (unsigned long)parser.problem_mark.line + 1,
                     (unsigned long)parser.problem_mark.column + 1);
        yaml_parser_delete(&parser);
        buf_wipe_free(&b);
        return rc;
    }
    d->loaded = true;
    yaml_parser_delete(&parser);
    buf_wipe_free(&b);
    d->path = util_strdup(path);
    return d->path ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

/* The value node of key in the mapping node map, or NULL. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

/* clouds.<name> of d, or NULL. */
static yaml_node_t *cloud_node(struct ydoc *d, const char *name)
{
    yaml_node_t *root = yaml_document_get_root_node(&d->doc);

    return map_get(&d->doc, map_get(&d->doc, root, "clouds"), name);
}

/* ---- taking values --------------------------------------------------------------------------- */

struct taking {
    struct ydoc *d;
    yaml_node_t *cloud;
    struct err *e;
    int rc;
    bool secret_taken;
};

/* Sets *slot from the scalar at cloud[.sub].key when present (a later file overrides). A value
 * that is not a scalar, holds a NUL or a control character, is refused naming the key. */
static void take(struct taking *t, const char *sub, const char *key, char **slot, bool secret)
{
    yaml_node_t *n = sub ? map_get(&t->d->doc, map_get(&t->d->doc, t->cloud, sub), key)
                         : map_get(&t->d->doc, t->cloud, key);
    const char *v;
    size_t len;

    if (t->rc || !n)
        return;
    if (n->type != YAML_SCALAR_NODE) {
        t->rc = err_set(t->e, ERR_INVALID, "%s: %s%s%s must be a single value", t->d->path,
                        sub ? sub : "", sub ? "." : "", key);
        return;
    }
    v = (const char *)n->data.scalar.value;
    len = n->data.scalar.length;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            t->rc = err_set(t->e, ERR_INVALID, "%s: %s%s%s contains a control character%s",
                            t->d->path, sub ? sub : "", sub ? "." : "", key,
                            secret ? " (the value is not shown)" : "");
            return;
        }
    if (*slot) {
        if (secret)
            explicit_bzero(*slot, strlen(*slot));
        free(*slot);
    }
    *slot = util_strndup(v, len);
    if (!*slot)
        t->rc = err_set(t->e, ERR_NOMEM, "out of memory");
    if (secret && len)
        t->secret_taken = true;
}

/* Everything the tool reads from one file's clouds.<name>. */
static void take_all(struct taking *t, struct cloud_config *c)
{
    take(t, "auth", "auth_url", &c->auth_url, false);
    take(t, "auth", "username", &c->username, false);
    take(t, "auth", "password", &c->password, true);
    take(t, "auth", "domain_name", &c->user_domain_name, false);
    take(t, "auth", "user_domain_name", &c->user_domain_name, false);
    take(t, "auth", "project_id", &c->project_id, false);
    take(t, "auth", "project_name", &c->project_name, false);
    take(t, "auth", "token", &c->token, true);
    take(t, "auth", "ak", &c->ak, false);
    take(t, "auth", "sk", &c->sk, true);
    take(t, "auth", "security_token", &c->security_token, true);
    take(t, NULL, "ak", &c->ak, false);
    take(t, NULL, "sk", &c->sk, true);
    take(t, NULL, "security_token", &c->security_token, true);
    take(t, NULL, "region_name", &c->region_name, false);
    take(t, NULL, "interface", &c->interface, false);
    take(t, NULL, "compute_endpoint_override", &c->ecs_endpoint, false);
    take(t, NULL, "ecs_endpoint_override", &c->ecs_endpoint, false);
    take(t, NULL, "image_endpoint_override", &c->ims_endpoint, false);
    take(t, NULL, "ims_endpoint_override", &c->ims_endpoint, false);
    take(t, NULL, "sdrs_endpoint_override", &c->sdrs_endpoint, false);
    take(t, NULL, "identity_endpoint_override", &c->iam_endpoint, false);
    take(t, NULL, "volume_endpoint_override", &c->evs_endpoint, false);
    take(t, NULL, "evs_endpoint_override", &c->evs_endpoint, false);
}

/* True when others than the owner may read path. */
static bool readable_by_others(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && (st.st_mode & 077) != 0;
}

/* The first of dir/clouds.yaml (or dir/secure.yaml) that exists, into out. */
static bool find_in(const char *const *dirs, const char *file, struct buf *out)
{
    for (size_t i = 0; dirs[i]; i++) {
        struct stat st;
        buf_reset(out);
        if (buf_printf(out, "%s/%s", dirs[i], file))
            return false;
        if (stat(buf_str(out), &st) == 0 && S_ISREG(st.st_mode))
            return true;
    }
    return false;
}

int clouds_load(const char *name, const char *const *dirs, struct cloud_config *out, struct err *e)
{
    const char *home = getenv("HOME"), *one = getenv("OS_CLIENT_CONFIG_FILE");
    char user_dir[600];
    const char *std_dirs[] = {".", user_dir, "/etc/openstack", NULL};
    struct ydoc clouds = {0}, secure = {0};
    struct buf path;
    struct taking t;
    int rc = 0;

    memset(out, 0, sizeof *out);
    snprintf(user_dir, sizeof user_dir, "%s/.config/openstack", home && *home ? home : "/");
    if (!dirs)
        dirs = std_dirs;
    buf_init(&path, 0);
    if (one && *one && dirs == std_dirs) {
        if (buf_adds(&path, one))
            return err_set(e, ERR_NOMEM, "out of memory");
    } else if (!find_in(dirs, "clouds.yaml", &path)) {
        buf_free(&path);
        return err_set(e, ERR_INVALID,
                       "cloud '%s' was asked for (OS_CLOUD or --os-cloud), but there is no "
                       "clouds.yaml in ./, ~/.config/openstack/ or /etc/openstack/",
                       name);
    }
    if ((rc = ydoc_load(buf_str(&path), &clouds, e)) != 0)
        goto out;
    t = (struct taking){.d = &clouds, .cloud = cloud_node(&clouds, name), .e = e};
    if (!t.cloud || t.cloud->type != YAML_MAPPING_NODE) {
        rc = err_set(e, ERR_INVALID, "%s has no cloud '%s' (clouds.%s)", clouds.path, name, name);
        goto out;
    }
    out->name = util_strdup(name);
    out->file = util_strdup(clouds.path);
    take_all(&t, out);
    if (!t.rc && t.secret_taken && readable_by_others(clouds.path))
        out->world_readable = true;
    rc = t.rc;
    /* secure.yaml of the same directories: what it has for this cloud wins */
    if (!rc && find_in(dirs, "secure.yaml", &path)) {
        if ((rc = ydoc_load(buf_str(&path), &secure, e)) != 0)
            goto out;
        t = (struct taking){.d = &secure, .cloud = cloud_node(&secure, name), .e = e};
        if (t.cloud) {
            out->secure = util_strdup(secure.path);
            take_all(&t, out);
            if (!t.rc && t.secret_taken && readable_by_others(secure.path))
                out->world_readable = true;
            rc = t.rc;
        }
    }
    if (!rc && (!out->name || !out->file))
        rc = err_set(e, ERR_NOMEM, "out of memory");
out:
    ydoc_clear(&clouds);
    ydoc_clear(&secure);
    buf_free(&path);
    if (rc)
        cloud_config_clear(out);
    return rc;
}

static void wipe(char **s)
{
    if (*s)
        explicit_bzero(*s, strlen(*s));
    free(*s);
    *s = NULL;
}

void cloud_config_clear(struct cloud_config *c)
{
    char **secrets[] = {&c->password, &c->token, &c->sk, &c->security_token};
    char **plain[] = {&c->name,         &c->file,         &c->secure,
                      &c->auth_url,     &c->username,     &c->user_domain_name,
                      &c->project_id,   &c->project_name, &c->ak,
                      &c->region_name,  &c->interface,    &c->sdrs_endpoint,
                      &c->ecs_endpoint, &c->ims_endpoint, &c->iam_endpoint,
                      &c->evs_endpoint};

    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        wipe(secrets[i]);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        free(*plain[i]);
        *plain[i] = NULL;
    }
    c->world_readable = false;
}
