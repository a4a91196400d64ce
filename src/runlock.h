/*
 * One execution per group per host: `failover --execute` holds an exclusive lock on a file named
 * after the project and the group while it prepares, sends and follows the action. A second run
 * for the same group is refused and told who holds the lock (pid, start time, user). The lock is an
 * flock(2), so the kernel drops it when its process dies: the file of a dead run is a stale lock,
 * detected (its pid is gone) and taken over, never obeyed.
 *
 * The files live in $SDRS_LOCK_DIR, else /tmp, as sdrs-preflight.<project>.<group>.lock (the ids
 * hold only URL-safe characters). They are opened without following a symlink.
 */
#ifndef SDRS_RUNLOCK_H
#define SDRS_RUNLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct runlock {
    int fd;
    char path[512];
    char stale[300]; /* the holder of a stale lock taken over ("" when there was none) */
};

/* Takes the lock for project and group. Returns 0 (the lock is held until runlock_release), or
 * ERR_PRECOND when another live run holds it (e->msg names its pid, start time and user, and the
 * file), or ERR_IO. */
int runlock_acquire(const char *project, const char *group, struct runlock *l, struct err *e);
void runlock_release(struct runlock *l);

#endif
