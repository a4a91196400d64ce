/*
 * The parts of an execution (struct report_execution) that every renderer shares: the headline
 * word, the duration in words and the JSON object. Internal to the report renderers.
 */
#ifndef SDRS_REPORT_EXEC_H
#define SDRS_REPORT_EXEC_H

#include <stddef.h>

#include "report.h"

struct json_object;

/* "SUCCEEDED, verified", "FINISHED, NOT VERIFIED", "FAILED", … in capitals: the first words. */
const char *report_exec_headline(const struct report_execution *x);
/* "4 min 12 s", "0.4 s", "2 h 3 min". */
void report_exec_duration(long long ms, char *out, size_t size);
/* "running", "stopped" or "other". */
const char *report_exec_power(enum verify_power p);
/* The "execution" member of the JSON report (owned), NULL when out of memory. */
struct json_object *report_exec_json(const struct report_execution *x);

#endif
