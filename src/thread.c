/* Starting a thread on another processor (util_thread_start, util.h). */
#define _GNU_SOURCE /* pthread_attr_setaffinity_np, sched_getcpu, CPU_* (glibc) */
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

struct start {
    void *(*fn)(void *);
    void *arg;
    cpu_set_t allowed; /* the creator's processors, given back to the thread once it runs */
    bool pinned;
};

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;

    free(p);
    if (s.pinned)
        pthread_setaffinity_np(pthread_self(), sizeof s.allowed, &s.allowed);
    return s.fn(s.arg);
}

int util_thread_start_on(pthread_t *t, void *(*fn)(void *), void *arg, const cpu_set_t *first)
{
    struct start *s = malloc(sizeof *s);
    pthread_attr_t attr;
    int rc = EAGAIN;

    if (!s)
        return ENOMEM;
    s->fn = fn;
    s->arg = arg;
    s->pinned =
        first && CPU_COUNT(first) > 0 && sched_getaffinity(0, sizeof s->allowed, &s->allowed) == 0;
    if (s->pinned && pthread_attr_init(&attr) == 0) {
        if (pthread_attr_setaffinity_np(&attr, sizeof *first, first) == 0)
            rc = pthread_create(t, &attr, trampoline, s);
        pthread_attr_destroy(&attr);
    }
    /* a process that may not set affinities (a seccomp profile: EPERM), or a set it may not
     * use, still gets its thread, wherever Linux puts it */
    if (rc) {
        s->pinned = false;
        rc = pthread_create(t, NULL, trampoline, s);
    }
    if (rc)
        free(s);
    return rc;
}

int util_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    cpu_set_t other;
    int cpu = sched_getcpu();

    /* its first processor is any but the creator's, which goes on running */
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof other, &other) != 0)
        return util_thread_start_on(t, fn, arg, NULL);
    CPU_CLR(cpu, &other);
    return util_thread_start_on(t, fn, arg, &other);
}
