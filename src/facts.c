#include "facts.h"

#include "jsonutil.h"

#include <stdlib.h>
#include <string.h>

#define FACTS_MAX_BYTES (16u << 20)

static bool bool_or_null(struct json_object *v)
{
    return v == NULL || json_object_is_type(v, json_type_boolean);
}

static int check_server(struct json_object *srv, const char *label, const char *id, struct err *e)
{
    if (!json_object_is_type(srv, json_type_object))
        return err_set(e, ERR_PARSE, "%s: $.servers[\"%.100s\"]: expected an object, got %s", label,
                       id, jsonutil_type(srv));
    json_object_object_foreach(srv, key, val)
    {
        if (strcmp(key, "cloud_init") == 0) {
            if (!bool_or_null(val))
                return err_set(
                    e, ERR_PARSE,
                    "%s: $.servers[\"%.100s\"].cloud_init: expected true, false or null, "
                    "got %s",
                    label, id, jsonutil_type(val));
        } else if (strcmp(key, "comment") != 0) {
            return err_set(e, ERR_PARSE,
                           "%s: $.servers[\"%.100s\"].%.60s: unknown key (expected cloud_init)",
                           label, id, key);
        }
    }
    return 0;
}

int facts_from_json(struct json_object *v, const char *label, struct facts **out, struct err *e)
{
    struct json_object *first = NULL, *servers = NULL, *root = NULL, *copy = NULL;
    struct facts *f;
    int rc;

    *out = NULL;
    if (!json_object_is_type(v, json_type_object))
        return err_set(e, ERR_PARSE, "%s: expected an object, got %s", label, jsonutil_type(v));
    json_object_object_foreach(v, key, val)
    {
        if (strcmp(key, "first_switchover") == 0) {
            if (!bool_or_null(val))
                return err_set(e, ERR_PARSE,
                               "%s: $.first_switchover: expected true, false or null, got %s",
                               label, jsonutil_type(val));
            first = val;
        } else if (strcmp(key, "servers") == 0) {
            if (val && !json_object_is_type(val, json_type_object))
                return err_set(e, ERR_PARSE, "%s: $.servers: expected an object, got %s", label,
                               jsonutil_type(val));
            servers = val;
        } else if (strcmp(key, "comment") != 0) {
            return err_set(e, ERR_PARSE,
                           "%s: $.%.60s: unknown key (expected first_switchover, servers, comment)",
                           label, key);
        }
    }
    if (servers) {
        json_object_object_foreach(servers, id, srv)
        {
            rc = check_server(srv, label, id, e);
            if (rc)
                return rc;
        }
    }
    f = calloc(1, sizeof *f);
    root = json_object_new_object();
    if (servers && json_object_deep_copy(servers, &copy, NULL) != 0)
        copy = NULL;
    else if (!servers)
        copy = json_object_new_object();
    if (!f || !root || !copy) {
        free(f);
        json_object_put(root);
        json_object_put(copy);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    json_object_object_add(root, "first_switchover", first ? json_object_get(first) : NULL);
    json_object_object_add(root, "servers", copy);
    f->root = root;
    *out = f;
    return 0;
}

int facts_load_file(const char *path, struct facts **out, struct err *e)
{
    struct json_object *v = NULL;
    struct buf b, label;
    int rc;

    *out = NULL;
    buf_init(&b, 0);
    buf_init(&label, 0);
    rc = util_read_file(path, FACTS_MAX_BYTES, &b, e);
    if (rc) {
        err_prefix(e, rc, "facts");
        goto out;
    }
    if ((rc = buf_printf(&label, "facts '%s'", util_path_label(path)))) {
        err_set(e, rc, "out of memory");
        goto out;
    }
    rc = jsonutil_parse(buf_str(&b), b.len, label.data, JSONUTIL_DEFAULT_DEPTH, &v, e);
    if (rc)
        goto out;
    rc = facts_from_json(v, label.data, out, e);
    if (!rc)
        util_sha256_hex(b.data ? b.data : "", b.len, (*out)->sha256);
out:
    json_object_put(v);
    buf_free(&b);
    buf_free(&label);
    return rc;
}

void facts_free(struct facts *f)
{
    if (!f)
        return;
    json_object_put(f->root);
    free(f);
}
