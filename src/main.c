/* sdrs-preflight: everything lives in the library; main only hands over argv (and readies the
 * heap). */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "cli.h"

/*
 * The heap in transparent huge pages. A 500-instance check builds some 40 MiB of json-c and Lua
 * objects; in 4 KiB pages that is about 8,000 page faults, which in a virtual machine cost a third
 * of the run's CPU time (bench/README.md). glibc grows its heap in one 64 MiB step here, kept (no
 * trimming, bodies up to 32 MiB from the heap too), and that range is marked MADV_HUGEPAGE (the
 * Lua states' pools and the snapshot are mapped in huge pages of their own: util_map); the whole
 * check takes about 360 faults. Only the pages touched count against memory; a run that
 * needs more than 64 MiB grows on in ordinary pages. Where the allocator is not glibc's (valgrind,
 * sanitizers, other libcs) or the kernel has no huge pages, this changes nothing.
 */
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
static void *heap_below_huge; /* the heap below its huge pages, kept unused (heap_prepare) */
#endif

static void heap_prepare(void)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
    const size_t pad = (size_t)64 << 20, huge = (size_t)2 << 20, grow = (size_t)1 << 20;
    uintptr_t before, start, end;
    void *volatile probe; /* volatile: a malloc that is freed at once may be elided */

    if (!mallopt(M_MMAP_THRESHOLD, 32 << 20) || !mallopt(M_TRIM_THRESHOLD, 128 << 20) ||
        !mallopt(M_TOP_PAD, (int)pad))
        return;
    before = (uintptr_t)sbrk(0);
    probe = malloc(grow); /* more than the heap's top holds: it grows by the pad */
    free(probe);
    end = (uintptr_t)sbrk(0);
    /* glibc wrote the probe's boundary tags up to grow bytes past before, and a 2 MiB range that
     * has one small page can never become a huge page: the huge part starts above them */
    start = (before + grow + 4096 + huge - 1) & ~(uintptr_t)(huge - 1);
    if (before == (uintptr_t)-1 || end <= start)
        return;
    madvise((void *)start, end - start, MADV_HUGEPAGE);
    /* The heap below start has small pages, one fault each (up to 3 MiB of them, depending on
     * where the kernel put the heap): a block that is kept, and never touched past its ends, takes
     * that part, so what the program allocates comes from the huge part. */
    probe = malloc(16);
    if (probe && (uintptr_t)probe + 4096 < start)
        heap_below_huge = malloc(start - (uintptr_t)probe - 64);
    free(probe);
#endif
}

int main(int argc, char **argv)
{
    heap_prepare();
    /* A peer closing a connection must be an error code, not a signal: curl runs with NOSIGNAL. */
    signal(SIGPIPE, SIG_IGN);
    return cli_main(argc, argv);
}
