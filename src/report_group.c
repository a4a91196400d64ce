#include "report_group.h"

#include "buf.h"
#include "util.h"

#define REPORT_GROUP_MAX_IDS 40 /* identity values of one finding considered */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Evidence keys that name the resource a finding is about rather than say something of it. */
static const char *const identity_keys[] = {
    "instance", "instance_name", "server", "server_A", "server_B", "pair",     "replication",
    "volume",   "drill",         "name",   "id",       "key_name", "resource", NULL,
};

static bool identity_key(const char *k)
{
    /* the first byte first: every key of every finding is asked about, twice */
    for (size_t i = 0; identity_keys[i]; i++)
        if (identity_keys[i][0] == k[0] && strcmp(identity_keys[i], k) == 0)
            return true;
    return false;
}

const char *report_resource_id(const char *resource)
{
    const char *slash = resource ? strchr(resource, '/') : NULL;

    return slash ? slash + 1 : resource ? resource : "";
}

/* The message with every identity value masked, and a quoted name right before "(…)" too. */
static int masked(const struct finding *f, struct buf *out)
{
    const char *ids[REPORT_GROUP_MAX_IDS + 2];
    size_t lens[REPORT_GROUP_MAX_IDS + 2], nids = 0;
    bool starts[256] = {false};
    const char *m = f->message;

    if (f->resource && *report_resource_id(f->resource))
        ids[nids++] = report_resource_id(f->resource);
    for (size_t i = 0; i < f->nev && nids < REPORT_GROUP_MAX_IDS; i++)
        if (f->ev[i].type == EV_STRING && identity_key(f->ev[i].key) && strlen(f->ev[i].s) >= 2)
            ids[nids++] = f->ev[i].s;
    for (size_t k = 0; k < nids; k++) {
        lens[k] = strlen(ids[k]);
        starts[(unsigned char)ids[k][0]] = true;
    }
    /* the text between ids is copied in one piece, at the next id or the end */
    for (const char *from = m;; m++) {
        size_t hit = 0;
        if (*m && starts[(unsigned char)*m])
            for (size_t k = 0; k < nids; k++)
                if (lens[k] > hit && strncmp(m, ids[k], lens[k]) == 0)
                    hit = lens[k];
        if (!hit && *m)
            continue;
        if (m > from && buf_add(out, from, (size_t)(m - from)))
            return ERR_NOMEM;
        if (!*m)
            return 0;
        /* `"name" (id)`: the name goes too */
        if (out->len >= 3 && out->data[out->len - 1] == '(' && out->data[out->len - 2] == ' ' &&
            out->data[out->len - 3] == '"') {
            size_t q = out->len - 3;
            while (q > 0 && out->data[q - 1] != '"')
                q--;
            if (q > 0) {
                out->len = q;
                out->data[q] = '\0';
                if (buf_adds(out, "…\" ("))
                    return ERR_NOMEM;
            }
        }
        if (buf_adds(out, "…"))
            return ERR_NOMEM;
        m += hit - 1; /* the loop steps past the id's last byte */
        from = m + 1;
    }
}

/* The grouping key: level, masked message, and the evidence that does not name the resource. */
static int key_of(const struct finding *f, struct buf *tmpl, struct buf *key)
{
    char lvl[4] = {(char)('0' + (int)f->level), '\x1e', '\0', '\0'};

    if (masked(f, tmpl) || buf_adds(key, lvl) || buf_add(key, tmpl->data, tmpl->len) ||
        buf_adds(key, "\x1e"))
        return ERR_NOMEM;
    for (size_t i = 0; i < f->nev; i++) {
        const struct evidence *ev = &f->ev[i];
        int rc = 0;
        if (identity_key(ev->key))
            continue;
        switch (ev->type) {
        case EV_STRING:
            rc = buf_adds(key, ev->key) || buf_adds(key, "=") || buf_adds(key, ev->s) ||
                 buf_adds(key, "\x1f");
            break;
        case EV_INT:
            rc = buf_printf(key, "%s=%lld\x1f", ev->key, ev->i);
            break;
        case EV_NUMBER:
            rc = buf_printf(key, "%s=%.17g\x1f", ev->key, ev->d);
            break;
        case EV_BOOL:
            rc = buf_printf(key, "%s=%d\x1f", ev->key, (int)ev->b);
            break;
        }
        if (rc)
            return ERR_NOMEM;
    }
    return 0;
}

/* `noun "…" (…): rest` or `noun "…" (…); rest` at the start of the template: noun and rest. */
static void split_subject(struct finding_group *g)
{
    const char *t = g->template_text, *q = strstr(t, " \"…\" (…)");
    size_t nl;

    if (!q || q == t || (size_t)(q - t) >= sizeof g->noun)
        return;
    nl = (size_t)(q - t);
    q += strlen(" \"…\" (…)");
    if ((q[0] != ':' && q[0] != ';' && q[0] != ',') || q[1] != ' ')
        return;
    for (size_t i = 0; i < nl; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || t[i] == ' ' || t[i] == '_' || t[i] == '-'))
            return;
    memcpy(g->noun, t, nl);
    g->noun[nl] = '\0';
    g->rest = (size_t)(q + 2 - t);
}

int report_group_findings(const struct rule_result *res, struct finding_group **out, size_t *n)
{
    size_t nf = res->nfindings, ng = 0;
    struct finding_group *g = NULL;
    struct buf tmpl, key;
    char **keys = NULL;
    size_t *slots = NULL, nslots = 1;
    int rc = 0;

    *out = NULL;
    *n = 0;
    if (!nf)
        return 0;
    while (nslots < 2 * nf)
        nslots *= 2;
    /* one template and one key buffer for all findings: a new group takes copies */
    buf_init(&tmpl, 0);
    buf_init(&key, 0);
    g = calloc(nf, sizeof *g);
    keys = calloc(nf, sizeof *keys);
    slots = malloc(nslots * sizeof *slots);
    if (!g || !keys || !slots) {
        rc = ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nslots; i++)
        slots[i] = (size_t)-1;
    for (size_t i = 0; i < nf; i++) {
        const struct finding *f = &res->findings[i];
        size_t s;

        buf_reset(&tmpl);
        buf_reset(&key);
        if (key_of(f, &tmpl, &key)) {
            rc = ERR_NOMEM;
            goto out;
        }
        s = (size_t)util_hash(buf_str(&key), key.len) & (nslots - 1);
        while (slots[s] != (size_t)-1 && strcmp(keys[slots[s]], buf_str(&key)) != 0)
            s = (s + 1) & (nslots - 1);
        if (slots[s] == (size_t)-1) {
            struct finding_group *ng_ = &g[ng];
            slots[s] = ng;
            keys[ng] = util_strndup(buf_str(&key), key.len);
            ng_->level = f->level;
            ng_->template_text =
                util_strndup(buf_str(&tmpl), tmpl.len); /* "" for an empty message */
            ng_->members = malloc(sizeof *ng_->members);
            if (!keys[ng] || !ng_->template_text || !ng_->members) {
                ng++;
                rc = ERR_NOMEM;
                goto out;
            }
            ng_->members[ng_->n++] = i;
            ng++;
        } else {
            struct finding_group *gg = &g[slots[s]];
            /* grow by doubling: n is a power of two when full */
            if ((gg->n & (gg->n - 1)) == 0) {
                size_t *nm = realloc(gg->members, 2 * gg->n * sizeof *nm);
                if (!nm) {
                    rc = ERR_NOMEM;
                    goto out;
                }
                gg->members = nm;
            }
            gg->members[gg->n++] = i;
        }
    }
    for (size_t i = 0; i < ng; i++)
        split_subject(&g[i]);
out:
    buf_free(&tmpl);
    buf_free(&key);
    for (size_t i = 0; keys && i < nf; i++)
        free(keys[i]);
    free(keys);
    free(slots);
    if (rc) {
        report_groups_free(g, ng);
        return rc;
    }
    *out = g;
    *n = ng;
    return 0;
}

void report_groups_free(struct finding_group *g, size_t n)
{
    for (size_t i = 0; g && i < n; i++) {
        free(g[i].template_text);
        free(g[i].members);
    }
    free(g);
}

void report_finding_label(const struct finding *f, char *out, size_t size)
{
    const char *id = f->resource ? report_resource_id(f->resource) : "";
    char needle[300];
    const char *at, *open;

    out[0] = '\0';
    if (!*id || snprintf(needle, sizeof needle, "\" (%s)", id) >= (int)sizeof needle)
        return;
    at = strstr(f->message, needle);
    if (!at)
        return;
    for (open = at; open > f->message && open[-1] != '"'; open--)
        ;
    if (open == f->message)
        return;
    snprintf(out, size, "%.*s", (int)(at - open), open);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The longest common prefix of a and b. */
static size_t common(const char *a, const char *b)
{
    size_t n = 0;

    while (a[n] && a[n] == b[n])
        n++;
    return n;
}

/* The fewest characters from the start (or, reversed, from the end) that keep the ids apart. */
static size_t needed(char **v, size_t n)
{
    size_t need = 0;

    qsort(v, n, sizeof *v, cmp_str);
    for (size_t i = 1; i < n; i++) {
        size_t c = common(v[i - 1], v[i]) + 1;
        if (c > need)
            need = c;
    }
    return need;
}

struct short_ids report_short_ids(const char *const *ids, size_t n, size_t min)
{
    struct short_ids s = {0, false};
    char **fw = calloc(n ? n : 1, sizeof *fw), **bw = calloc(n ? n : 1, sizeof *bw);
    size_t longest = 0, pre, suf;

    if (!fw || !bw)
        goto out;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(ids[i]);
        fw[i] = (char *)ids[i];
        bw[i] = malloc(l + 1);
        if (!bw[i])
            goto out;
        for (size_t k = 0; k < l; k++)
            bw[i][k] = ids[i][l - 1 - k];
        bw[i][l] = '\0';
        if (l > longest)
            longest = l;
    }
    pre = needed(fw, n);
    suf = needed(bw, n);
    s.suffix = suf < pre;
    s.len = s.suffix ? suf : pre;
    if (s.len < min)
        s.len = min;
    if (s.len + 1 >= longest)
        s.len = 0; /* shortening would save nothing */
out:
    for (size_t i = 0; bw && i < n; i++)
        free(bw[i]);
    free(fw);
    free(bw);
    return s;
}

void report_short_id(const char *id, struct short_ids s, char *out, size_t size)
{
    size_t l = strlen(id);

    if (!s.len || l <= s.len)
        snprintf(out, size, "%s", id);
    else if (s.suffix)
        snprintf(out, size, "…%s", id + l - s.len);
    else
        snprintf(out, size, "%.*s…", (int)s.len, id);
}
