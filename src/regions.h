/*
 * The known regions and the base URL of each service the tool calls there.
 *
 * Pure data: every string is static and borrowed, nothing is allocated, nothing needs freeing.
 * docs/regions.md lists the table and where each row comes from; tests/unit/check_regions.c
 * checks the Huawei Cloud rows against the official SDK's region tables
 * (tests/unit/region-vectors.json).
 */
#ifndef SDRS_REGIONS_H
#define SDRS_REGIONS_H

#include <stdbool.h>
#include <stddef.h>

enum region_cloud {
    CLOUD_OTC,       /* Open Telekom Cloud: <service>.<region>.otc.t-systems.com */
    CLOUD_OTC_SWISS, /* Open Telekom Cloud Swiss: <service>.<region>.sc.otc.t-systems.com */
    CLOUD_HUAWEI,    /* Huawei Cloud: <service>.<region>.myhuaweicloud.com (.eu for eu-west-101) */
};

struct region_info {
    const char *region; /* "eu-de" */
    enum region_cloud cloud;
    /* Base URLs "https://host", without a path or a trailing slash; NULL when the service has no
     * host in the region. */
    const char *sdrs, *ecs, *ims, *iam, *evs;
    const char *source; /* where the row comes from */
};

/* The row of a region name (exact, case-sensitive match), or NULL when it is unknown or NULL.
 * Availability zones (eu-de-01) are not regions. */
const struct region_info *region_lookup(const char *region);

/* Number of rows, and row i in table order (NULL when i >= region_count()). */
size_t region_count(void);
const struct region_info *region_at(size_t i);

/* "Open Telekom Cloud", "Open Telekom Cloud (Swiss)" or "Huawei Cloud" ("unknown cloud" for a
 * value outside the enum). */
const char *region_cloud_name(enum region_cloud c);

/* True when the cloud's ECS filters cloudservers/detail by server_id (Huawei Cloud, per its API
 * reference and SDK; Open Telekom Cloud documents no such filter): sdrs-api.md 9.3. */
bool region_cloud_has_server_id_filter(enum region_cloud c);

/* Writes every known region name, in table order and separated by ", ", into out (for an error
 * message). Always NUL-terminates when size > 0; when out is too small the list is cut at a name
 * boundary and ends with "...". */
void region_names(char *out, size_t size);

#endif
