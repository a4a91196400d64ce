#include "lpool.h"

#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define LPOOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LPOOL_ASAN 1
#endif
#endif

#ifdef LPOOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALIGN  16
#define NCLASS (1024 / ALIGN + 2 * 5) /* LPOOL_SMALL = 2^15: up to 1 KiB, then two per power */

/* A chunk starts with this header (padded to ALIGN); its blocks follow. */
struct chunk {
    struct chunk *next;
};
#define HEADER ((sizeof(struct chunk) + ALIGN - 1) / ALIGN * ALIGN)

struct freeblock {
    struct freeblock *next;
};

/* A block beyond LPOOL_SMALL comes from malloc behind this header, on the pool's list of them. */
struct large {
    struct large *prev, *next;
};
#define LARGE_HEADER ((sizeof(struct large) + ALIGN - 1) / ALIGN * ALIGN)

struct lpool {
    struct freeblock *free[NCLASS]; /* free[c]: free blocks of class_size(c) bytes */
    char *cur, *end;                /* the rest of the newest chunk */
    struct chunk *chunks;           /* the pool's chunks, newest first */
    struct large *large;            /* the blocks beyond LPOOL_SMALL */
};

static void large_link(struct lpool *p, struct large *b)
{
    b->prev = NULL;
    b->next = p->large;
    if (p->large)
        p->large->prev = b;
    p->large = b;
}

static void large_unlink(struct lpool *p, struct large *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        p->large = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

/* A block of n bytes beyond LPOOL_SMALL: a new one (ptr NULL) or ptr resized. NULL when out of
 * memory, ptr unchanged. */
static void *large_realloc(struct lpool *p, void *ptr, size_t n)
{
    struct large *b = ptr ? (struct large *)((char *)ptr - LARGE_HEADER) : NULL, *q;

    if (n > (size_t)-1 - LARGE_HEADER)
        return NULL;
    if (b)
        large_unlink(p, b);
    q = realloc(b, LARGE_HEADER + n);
    if (!q) {
        if (b)
            large_link(p, b);
        return NULL;
    }
    large_link(p, q);
    return (char *)q + LARGE_HEADER;
}

static void large_free(struct lpool *p, void *ptr)
{
    struct large *b = (struct large *)((char *)ptr - LARGE_HEADER);

    large_unlink(p, b);
    free(b);
}

/* The chunks of all pools come from slabs of SLAB bytes (util_map: huge pages where granted), so
 * a rule's state touching its memory costs a fault per 2 MiB, not per 4 KiB page. */
#define SLAB UTIL_MAP_ALIGN

static struct {
    util_spin mu;
    struct chunk *chunks; /* free chunks */
    char *cur, *end;      /* the part of the newest slab not yet cut into chunks */
    void **slabs;         /* every slab, for lpool_depot_trim */
    size_t nslabs, cap;
    size_t held, made; /* free chunks, chunks cut */
} depot = {.mu = UTIL_SPIN_INIT};

static struct chunk *chunk_take(void)
{
    struct chunk *c;

    util_spin_lock(&depot.mu);
    if ((c = depot.chunks) != NULL) {
        UNPOISON(c, HEADER);
        depot.chunks = c->next;
        depot.held--;
    } else {
        if (depot.cur == depot.end) {
            void *slab = NULL, **more = depot.slabs;
            if (depot.nslabs == depot.cap) {
                size_t cap = depot.cap ? depot.cap * 2 : 16;
                if ((more = realloc(depot.slabs, cap * sizeof *more)) != NULL) {
                    depot.slabs = more;
                    depot.cap = cap;
                }
            }
            if (!more || !(slab = util_map(SLAB))) {
                util_spin_unlock(&depot.mu);
                return NULL;
            }
            depot.slabs[depot.nslabs++] = slab;
            depot.cur = slab;
            depot.end = depot.cur + SLAB;
            POISON(depot.cur, SLAB);
        }
        c = (struct chunk *)depot.cur;
        depot.cur += LPOOL_CHUNK;
        depot.made++;
        UNPOISON(c, HEADER);
    }
    util_spin_unlock(&depot.mu);
    return c;
}

struct lpool *lpool_new(void)
{
    return calloc(1, sizeof(struct lpool));
}

void lpool_free(struct lpool *p)
{
    struct chunk *c, *last = NULL;
    size_t n = 0;

    if (!p)
        return;
    while (p->large)
        large_free(p, (char *)p->large + LARGE_HEADER);
    for (c = p->chunks; c; c = c->next) {
        POISON((char *)c + HEADER, LPOOL_CHUNK - HEADER);
        last = c;
        n++;
    }
    if (last) {
        util_spin_lock(&depot.mu);
        last->next = depot.chunks;
        depot.chunks = p->chunks;
        depot.held += n;
        util_spin_unlock(&depot.mu);
    }
    free(p);
}

void lpool_depot_trim(void)
{
    void **slabs = NULL;
    size_t n = 0;

    util_spin_lock(&depot.mu);
    if (depot.held == depot.made) { /* no pool holds a chunk */
        slabs = depot.slabs;
        n = depot.nslabs;
        depot.slabs = NULL;
        depot.nslabs = depot.cap = 0;
        depot.chunks = NULL;
        depot.cur = depot.end = NULL;
        depot.held = depot.made = 0;
    }
    util_spin_unlock(&depot.mu);
    for (size_t i = 0; i < n; i++) {
        UNPOISON(slabs[i], SLAB); /* the addresses may be mapped again, for anything */
        util_unmap(slabs[i], SLAB);
    }
    free(slabs);
}

void lpool_depot_stats(size_t *held, size_t *made)
{
    util_spin_lock(&depot.mu);
    if (held)
        *held = depot.held;
    if (made)
        *made = depot.made;
    util_spin_unlock(&depot.mu);
}

/* Classes: 16 bytes apart up to 1 KiB; above, 1.5 x 2^k and 2^(k+1) up to LPOOL_SMALL (a Lua
 * array of 2^k values is 16 x 2^k bytes, its hash part 24 x 2^k). */
#define NFINE (1024 / ALIGN)

/* The class of a block of n (1..LPOOL_SMALL) bytes. */
static size_t class_of(size_t n)
{
    unsigned b;

    if (n <= NFINE * ALIGN)
        return (n - 1) / ALIGN;
    b = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1)); /* 2^b < n <= 2^(b+1) */
    return NFINE + 2 * (b - 10) + (n > (size_t)3 << (b - 1));
}

/* The bytes of a block of class c. */
static size_t class_size(size_t c)
{
    size_t j = c - NFINE, b = 10 + j / 2;

    if (c < NFINE)
        return (c + 1) * ALIGN;
    return j % 2 ? (size_t)2 << b : (size_t)3 << (b - 1);
}

/* The largest class whose blocks fit in n (>= ALIGN) bytes. */
static size_t class_within(size_t n)
{
    size_t c = n >= LPOOL_SMALL ? NCLASS - 1 : class_of(n);

    return class_size(c) > n ? c - 1 : c;
}

static void *block_alloc(struct lpool *p, size_t c)
{
    size_t size = class_size(c);
    struct freeblock *b = p->free[c];

    if (b) {
        UNPOISON(b, size);
        p->free[c] = b->next;
        return b;
    }
    if ((size_t)(p->end - p->cur) < size) {
        struct chunk *k = chunk_take();
        if (!k)
            return NULL;
        /* the rest of the old chunk serves the classes that fit it, not this request */
        while ((size_t)(p->end - p->cur) >= ALIGN) {
            size_t rc = class_within((size_t)(p->end - p->cur));
            struct freeblock *r = (struct freeblock *)p->cur;
            UNPOISON(r, sizeof *r);
            r->next = p->free[rc];
            p->free[rc] = r;
            POISON(r, class_size(rc));
            p->cur += class_size(rc);
        }
        k->next = p->chunks;
        p->chunks = k;
        p->cur = (char *)k + HEADER;
        p->end = (char *)k + LPOOL_CHUNK;
    }
    b = (struct freeblock *)p->cur;
    p->cur += size;
    UNPOISON(b, size);
    return b;
}

static void block_free(struct lpool *p, void *ptr, size_t c)
{
    struct freeblock *b = ptr;

    UNPOISON(b, sizeof *b);
    b->next = p->free[c];
    p->free[c] = b;
    POISON(b, class_size(c));
}

/* Only the n bytes asked for of a block of class c may be read (ASan). */
static void *fit(void *b, size_t c, size_t n)
{
    UNPOISON(b, class_size(c));
    POISON((char *)b + n, class_size(c) - n);
    return b;
}

void *lpool_realloc(struct lpool *p, void *ptr, size_t osize, size_t nsize)
{
    bool opool = ptr && osize > 0 && osize <= LPOOL_SMALL, npool = nsize <= LPOOL_SMALL;
    size_t oc = opool ? class_of(osize) : 0, nc = npool && nsize ? class_of(nsize) : 0;
    void *q;

    if (ptr && !opool && !npool && nsize)
        return large_realloc(p, ptr, nsize); /* both sizes beyond the pool */
    if (nsize == 0) {
        if (opool)
            block_free(p, ptr, oc);
        else if (ptr)
            large_free(p, ptr);
        return NULL;
    }
    if (opool && npool && oc == nc)
        return fit(ptr, nc, nsize); /* the block holds the new size too */
    q = npool ? block_alloc(p, nc) : large_realloc(p, NULL, nsize);
    if (!q && opool && npool && nsize < osize)
        return fit(ptr, nc, nsize); /* a shrink keeps its block (it is freed by the smaller size,
                                       which a larger block serves as well) */
    if (!q)
        return NULL;
    if (npool)
        fit(q, nc, nsize);
    if (ptr) {
        memcpy(q, ptr, osize < nsize ? osize : nsize);
        if (opool)
            block_free(p, ptr, oc);
        else
            large_free(p, ptr);
    }
    return q;
}
