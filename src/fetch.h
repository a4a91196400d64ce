/*
 * The live fetch: a protection group, its protected instances, replication pairs and DR drills
 * (every page), every source and target server from ECS and their images from IMS, assembled into
 * a snapshot (`sdrs-preflight/snapshot@1`, the parts of snapshot.h).
 *
 * Requests go out as soon as their inputs are known: the group and the first page of each list
 * together, further pages as soon as a first page tells the count, each server as soon as an
 * instance names it (or, in batch mode, the servers of a page of instances together), each image as
 * soon as a server names it, ahead of the queue. What could not be fetched after the
 * HTTP layer's retries goes into the snapshot's fetch_errors, never into silence.
 *
 * Ownership: a struct fetch_result owns its snapshot bytes (fetch_result_clear) and holds
 * no secret. The session is borrowed.
 */
#ifndef SDRS_FETCH_H
#define SDRS_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "buf.h"
#include "err.h"

struct json_object;

struct fetch_opts {
    bool no_images;           /* skip IMS */
    bool flavor_capacity;     /* ask Huawei Cloud's flavor capacity call for each server's flavor
                                 (a cloud without it answers 404: the flavor has no entry) */
    bool batch_servers;       /* read servers in batches with ECS's server_id filter (Huawei
                                 Cloud); ids it does not return with real fields are read one by
                                 one, and a cloud that ignores the filter turns it off */
    long long (*clock)(void); /* seconds since the epoch: fetched_at (NULL: time()) */
};

struct fetch_result {
    struct buf snapshot;     /* the snapshot JSON (complete or with fetch_errors) */
    size_t fetch_errors;     /* entries in its fetch_errors */
    struct http_stats stats; /* the session's counters when the group was done */
    long long assemble_us;   /* building the document and its bytes after the last answer */
    int error;               /* fetch_groups: why this group has no snapshot (0: it has one) */
    char message[512];
};

/* Fetches one group. Fails only when nothing useful can be said about the group (ERR_AUTH: the
 * credentials were refused; ERR_API: the group does not exist; ERR_INVALID: not a group id;
 * ERR_NOMEM); every other failure is a fetch error inside the snapshot. */
int fetch_group(struct api_session *s, const char *group_id, const struct fetch_opts *fo,
                struct fetch_result *out, struct err *e);

/* Fetches many groups over the one session, starting groups as the request queue drains and asking
 * IMS once per image. done(ud, i) runs as soon as group i is complete (out[i] holds its snapshot,
 * or out[i].error and message say why it has none), so the caller can evaluate it while the others
 * are still fetched. Fails only for what ends the whole run (ERR_AUTH, ERR_NOMEM). */
int fetch_groups(struct api_session *s, const char *const *ids, size_t n,
                 const struct fetch_opts *fo, struct fetch_result *out,
                 void (*done)(void *ud, size_t i), void *ud, struct err *e);

void fetch_result_clear(struct fetch_result *r);

#endif
