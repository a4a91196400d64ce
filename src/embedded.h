/* Rule sources embedded at build time (generated rules_builtin.c). All data is static. */
#ifndef SDRS_EMBEDDED_H
#define SDRS_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name; /* file name without extension: "SDRS-001-status", "sdrs" */
    const char *path; /* path in the source tree: "rules/SDRS-001-status.lua" */
    const char *data; /* NUL-terminated source text */
    size_t len;       /* length without the NUL */
};

extern const struct embedded_file embedded_rules[];
extern const size_t embedded_rules_count;
extern const struct embedded_file embedded_libs[];
extern const size_t embedded_libs_count;

#endif
