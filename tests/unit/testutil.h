/* Helpers shared by the Check suites. Returned strings are malloc'ed; the caller frees them. */
#ifndef SDRS_TESTUTIL_H
#define SDRS_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* Absolute path of a file in the source tree (SDRS_SOURCE_DIR, else the compile-time dir). */
char *tu_src_path(const char *rel);
/* Contents of a source-tree file; aborts the test when it cannot be read. */
char *tu_read_src(const char *rel, size_t *len);
/* Directory of the shared API examples, or NULL when it is not present. */
const char *tu_shared_dir(void);
/* A fresh empty temporary directory (removed by tu_rmtree). */
char *tu_tmpdir(void);
void tu_rmtree(const char *dir);
/* Writes text to dir/name and returns the full path. */
char *tu_write(const char *dir, const char *name, const char *text);
/* Runs a suite and returns the process exit status (0 when every test passed). */
int tu_run(Suite *s);

#endif
