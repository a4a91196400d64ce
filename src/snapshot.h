/*
 * The snapshot (`sdrs-preflight/snapshot@1`): reading, validating and normalising it.
 *
 * snapshot_load_* return an owned struct snapshot (snapshot_free). The document is a jdoc (jdoc.h);
 * every struct jval pointer in the snapshot is borrowed from it and lives as long as the snapshot.
 * Loading fails (ERR_PARSE, exit code 2) only when the input is not a snapshot at all: not JSON,
 * wrong schema, wrong top-level types. Data that is a snapshot but cannot support a decision
 * (missing parts, fetch errors, fields of the wrong type, servers that instances reference but the
 * snapshot lacks) is recorded in s->problems, which makes the verdict INDETERMINATE.
 *
 * Normalisation (done in place on s->root, never on the input bytes): the fields listed in
 * rules/README.md become integers or booleans when the API sent them as strings, numbers become
 * strings where a string belongs, and fields of an unusable type are removed after being reported.
 */
#ifndef SDRS_SNAPSHOT_H
#define SDRS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "result.h"
#include "util.h"

struct jdoc;
struct jval;

#define SNAPSHOT_SCHEMA "sdrs-preflight/snapshot@1"

struct snapshot_limits {
    size_t max_bytes; /* size of the file */
    int max_depth;    /* JSON nesting */
    size_t max_items; /* instances, pairs, drills and servers, each */
};

#define SNAPSHOT_LIMITS_DEFAULT                                                                    \
    {                                                                                              \
        256u << 20, 64, 20000                                                                      \
    }

/*
 * The parts of a snapshot, in one table that the fetch (what to request and where it goes), the
 * reader (what is required, how each part is checked) and the engine (what a rule's `reads` and
 * ctx name) all iterate. Adding a part is one row here and one member of struct snapshot.
 */
enum snapshot_part_kind {
    SNAPSHOT_PART_OBJECT, /* one object: the protection group */
    SNAPSHOT_PART_LIST,   /* a paged SDRS list of the group */
    SNAPSHOT_PART_MAP,    /* records keyed by id: servers, images, volumes, flavor lists */
};

/* What the items of a list name, for the fetch to read as they arrive. */
enum snapshot_names {
    SNAPSHOT_NAMES_NONE,
    SNAPSHOT_NAMES_SERVERS,       /* instances: source_server, target_server */
    SNAPSHOT_NAMES_VOLUMES,       /* pairs: the disks of volume_ids */
    SNAPSHOT_NAMES_DRILL_SERVERS, /* drills: drill_servers[].drill_server_id */
};

struct snapshot_part {
    const char *key;  /* the snapshot's member: "protected_instances" */
    const char *read; /* its name in a rule's `reads` and, for ctx parts, ctx.<read>: "instances" */
    enum snapshot_part_kind kind;
    bool required;   /* the decision needs it: a snapshot without it is INDETERMINATE */
    bool rule_needs; /* optional in a snapshot (older versions did not fetch it), but a rule that
                        reads it cannot run without it: that rule is an error ("fetch again") */
    bool in_ctx;     /* a ctx field (maps are read through ctx.server, ctx.volume, ...) */
    const char *api_path;      /* lists: the SDRS path below /v1/{project_id}/ */
    const char *count_key;     /* lists: the group's count of the list ("protected_instance_num") */
    const char *noun;          /* one item, for messages ("protected instance", "disk") */
    const char *service;       /* maps of API answers: the service that answers ("ECS", "EVS") */
    const char *endpoint;      /* optional parts: the endpoint a fetch needs for it, or NULL */
    enum snapshot_names names; /* lists: what its items name for the fetch to read */
    const char *record;        /* maps of API answers: the member of a record holding the answer
                                  ("server"); NULL for images, which are stored bare */
    const char *gone_code;  /* maps: the error-code prefix with which a 404 means "does not exist"
                               ("Ecs."); NULL: no 404 means that */
    bool record_is_list;    /* maps: the record member is an array (a zone's flavors) */
    const char *item_key;   /* list records: the member that names an item once ("id"); an item
                               named twice is a problem (which one holds cannot be told) */
    bool not_offered_404;   /* maps: a 404 means the cloud does not offer the call (no problem) */
    bool gone_404_names_id; /* maps: a gone_code entry without '.' ("404") counts only when the
                               error message names the record's id (Cinder's itemNotFound) */
    size_t off;             /* offsetof(struct snapshot, the member) */
};

size_t snapshot_part_count(void);
const struct snapshot_part *snapshot_part_at(size_t i);
/* The part named by `read` ("instances"), or NULL. */
const struct snapshot_part *snapshot_part_by_read(const char *read);

struct snapshot {
    char *name; /* for messages: "snapshot 'file.json'" */
    struct jdoc *doc;
    struct jval *root;
    struct jval *group;     /* NULL when missing */
    struct jval *instances; /* arrays and objects below: NULL when missing */
    struct jval *replications;
    struct jval *drills;
    struct jval *servers;
    struct jval *images;
    struct jval *volumes;         /* EVS disks by id (NULL in snapshots of older versions) */
    struct jval *flavors;         /* ECS flavor lists by availability zone (idem) */
    struct jval *flavor_capacity; /* Huawei Cloud's flavor capacity by flavor id (idem) */
    struct jval *caller;          /* what the credential shows of its roles (NULL: not visible) */
    const char *project_id;
    const char *fetched_at;
    long long now; /* fetched_at in seconds since the epoch, 0 when unknown */
    char sha256[UTIL_SHA256_HEX];
    struct problem_list problems;
};

enum server_state { SERVER_PRESENT, SERVER_DELETED, SERVER_MISSING };

/* Reads and validates a snapshot file. */
int snapshot_load_file(const char *path, const struct snapshot_limits *lim, struct snapshot **out,
                       struct err *e);
/* Same for bytes already in memory (a file's, or the serialisation of a live fetch); `label`
 * names the input in messages. */
int snapshot_load_buffer(const char *data, size_t len, const char *label,
                         const struct snapshot_limits *lim, struct snapshot **out, struct err *e);
void snapshot_free(struct snapshot *s);
/* Frees s when the process exits, for the last snapshot a command evaluates: see snapshot.c. */
void snapshot_free_at_exit(struct snapshot *s);

/* The value of a part in s (borrowed; NULL when the snapshot lacks it). */
struct jval *snapshot_part_value(const struct snapshot *s, const struct snapshot_part *p);

/* Looks a server up. *server is the ECS object when the snapshot has one (present, or deleted
 * with status DELETED), *error the recorded API error object; both may be NULL. */
enum server_state snapshot_server(const struct snapshot *s, const char *id, struct jval **server,
                                  struct jval **error);
const char *server_state_name(enum server_state st);

/* Looks a disk up, like snapshot_server: *volume is the EVS object when the snapshot has one;
 * SERVER_DELETED means EVS answered 404 with its own error code. */
enum server_state snapshot_volume(const struct snapshot *s, const char *id, struct jval **volume,
                                  struct jval **error);

/* The image object for an id, or NULL. */
struct jval *snapshot_image(const struct snapshot *s, const char *id);

#endif
