#include "testutil.h"

#include "buf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SDRS_SOURCE_DIR_DEFAULT
#define SDRS_SOURCE_DIR_DEFAULT "."
#endif

char *tu_src_path(const char *rel)
{
    const char *root = getenv("SDRS_SOURCE_DIR");
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, "%s/%s", root && *root ? root : SDRS_SOURCE_DIR_DEFAULT, rel);
    return buf_take(&b);
}

char *tu_read_src(const char *rel, size_t *len)
{
    char *path = tu_src_path(rel);
    struct buf b;
    struct err e;

    buf_init(&b, 0);
    if (util_read_file(path, 0, &b, &e) != 0)
        ck_abort_msg("%s", e.msg);
    free(path);
    if (len)
        *len = b.len;
    return buf_take(&b);
}

const char *tu_shared_dir(void)
{
    static char path[4096];
    const char *d = getenv("SDRS_SHARED_DIR");
    struct stat st;

    if (!d || !*d)
        return NULL;
    snprintf(path, sizeof path, "%s/api-examples", d);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return path;
}

char *tu_tmpdir(void)
{
    char tmpl[] = "/tmp/sdrs-test-XXXXXX";
    char *d = mkdtemp(tmpl);

    ck_assert_ptr_nonnull(d);
    return util_strdup(d);
}

void tu_rmtree(const char *dir)
{
    struct buf cmd;

    if (!dir || strncmp(dir, "/tmp/sdrs-test-", 15) != 0)
        return;
    buf_init(&cmd, 0);
    buf_printf(&cmd, "rm -rf '%s'", dir);
    if (system(cmd.data) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    buf_free(&cmd);
}

char *tu_write(const char *dir, const char *name, const char *text)
{
    struct buf path;
    FILE *f;

    buf_init(&path, 0);
    buf_printf(&path, "%s/%s", dir, name);
    f = fopen(path.data, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return buf_take(&path);
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
