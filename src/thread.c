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

int util_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    struct start *s = malloc(sizeof *s);
    pthread_attr_t attr;
    int cpu = sched_getcpu(), rc;

    if (!s)
        return ENOMEM;
    s->fn = fn;
    s->arg = arg;
    s->pinned = false;
    if (pthread_attr_init(&attr) != 0) {
        free(s);
        return EAGAIN;
    }
    /* its first processor is any but the creator's, which goes on running */
    if (cpu >= 0 && sched_getaffinity(0, sizeof s->allowed, &s->allowed) == 0) {
        cpu_set_t other = s->allowed;
        CPU_CLR(cpu, &other);
        s->pinned =
            CPU_COUNT(&other) > 0 && pthread_attr_setaffinity_np(&attr, sizeof other, &other) == 0;
    }
    rc = pthread_create(t, &attr, trampoline, s);
    pthread_attr_destroy(&attr);
    if (rc)
        free(s);
    return rc;
}
