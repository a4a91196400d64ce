#include "runlock.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* The pid recorded in a lock file's text ("pid 123, started …"), or 0. */
static long recorded_pid(const char *text)
{
    long long pid;
    char digits[24];
    size_t n;

    if (strncmp(text, "pid ", 4) != 0)
        return 0;
    n = strspn(text + 4, "0123456789");
    if (n == 0 || n >= sizeof digits)
        return 0;
    memcpy(digits, text + 4, n);
    digits[n] = '\0';
    return util_parse_int(digits, &pid) && pid > 0 ? (long)pid : 0;
}

/* The first line of the lock file, cleaned for a message. */
static void read_holder(int fd, char *out, size_t size)
{
    char raw[256];
    ssize_t n = pread(fd, raw, sizeof raw - 1, 0);
    struct buf b;

    out[0] = '\0';
    if (n <= 0)
        return;
    raw[n] = '\0';
    raw[strcspn(raw, "\n")] = '\0';
    buf_init(&b, size - 1);
    util_put_clean(&b, raw, strlen(raw));
    snprintf(out, size, "%s", buf_str(&b));
    buf_free(&b);
}

int runlock_acquire(const char *project, const char *group, struct runlock *l, struct err *e)
{
    const char *dir = getenv("SDRS_LOCK_DIR");
    char holder[200], when[32], line[400];
    struct passwd pw, *pwp = NULL;
    char pwbuf[1024];
    long pid;
    int w;

    memset(l, 0, sizeof *l);
    l->fd = -1;
    if (!dir || !*dir)
        dir = "/tmp";
    w = snprintf(l->path, sizeof l->path, "%s/sdrs-preflight.%s.%s.lock", dir,
                 project && *project ? project : "-", group);
    if (w < 0 || (size_t)w >= sizeof l->path)
        return err_set(e, ERR_INVALID, "the lock file name for group %s is too long", group);
    l->fd = open(l->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (l->fd < 0)
        return err_set(e, ERR_IO,
                       "cannot open the lock file '%s' (one execution per group per host): %s; "
                       "set SDRS_LOCK_DIR to a directory you can write",
                       l->path, strerror(errno));
    if (flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        read_holder(l->fd, holder, sizeof holder);
        close(l->fd);
        l->fd = -1;
        if (err == EWOULDBLOCK)
            return err_set(e, ERR_PRECOND,
                           "another failover --execute of group %s is running on this host (%s; "
                           "lock file %s): wait for it to end. Nothing was sent",
                           group, holder[0] ? holder : "its pid is not recorded", l->path);
        return err_set(e, ERR_IO, "cannot lock '%s': %s", l->path, strerror(err));
    }
    /* Ours now. A record left in the file is a run that died without releasing it: the kernel
     * dropped its lock, so it is stale whatever its pid does now (a live pid is a reused one). */
    read_holder(l->fd, holder, sizeof holder);
    pid = recorded_pid(holder);
    if (holder[0])
        snprintf(l->stale, sizeof l->stale, "%s%s", holder,
                 pid && kill((pid_t)pid, 0) != 0 && errno == ESRCH
                     ? " (that process is gone)"
                     : " (no longer holding the lock)");
    util_format_time((long long)time(NULL), when, sizeof when);
    if (getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &pwp) != 0)
        pwp = NULL;
    w = snprintf(line, sizeof line, "pid %ld, started %s, user %s\n", (long)getpid(), when,
                 pwp ? pw.pw_name : "?");
    if (ftruncate(l->fd, 0) != 0 || pwrite(l->fd, line, (size_t)w, 0) != w) {
        int err = errno;
        runlock_release(l);
        return err_set(e, ERR_IO, "cannot write the lock file '%s': %s", l->path, strerror(err));
    }
    return 0;
}

void runlock_release(struct runlock *l)
{
    if (l->fd < 0)
        return;
    /* the record stays behind: a later run reads it as a stale lock of a finished run only if
     * it was left by a crash; a clean end empties it */
    if (ftruncate(l->fd, 0) != 0) {
        /* nothing to do: the lock goes with the descriptor */
    }
    close(l->fd);
    l->fd = -1;
}
