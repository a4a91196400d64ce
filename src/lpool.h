/*
 * Memory for one Lua state. A rule's state makes and drops tens of thousands of small objects
 * (tables, strings, closures, proxies of the snapshot) and frees every one of them again when it
 * closes; through malloc that was a fifth of a check's time, and more on several threads, where
 * glibc grows each thread's arena a few pages at a time.
 *
 * A pool serves blocks of up to LPOOL_SMALL bytes from size classes (16 bytes apart up to 1 KiB,
 * then 1.5 x 2^k and 2^(k+1)), carved from chunks of LPOOL_CHUNK bytes; a freed block goes on its
 * class's list for the next request of that class. Larger blocks come from malloc, on a list the
 * pool keeps. Like lua_Alloc, the caller gives a block's size back when it frees or resizes it, so
 * small blocks carry no header.
 *
 * A state is dropped with lpool_free, all at once, instead of lua_close freeing its objects one by
 * one (the sandbox allows no finalizer, so closing runs no code).
 *
 * When a pool is freed its chunks go to a depot that the pools of the process share, so the next
 * state starts on memory that is already mapped and touched (page faults and zeroing happen once
 * per process, not once per rule). lpool_depot_trim gives the depot's chunks back to the system.
 *
 * A pool is used by one thread at a time (as its Lua state is); the depot takes a lock. Under
 * AddressSanitizer, a block is poisoned while it is free, so a read after free is still caught.
 */
#ifndef SDRS_LPOOL_H
#define SDRS_LPOOL_H

#include <stddef.h>

#define LPOOL_SMALL (32 * 1024)
#define LPOOL_CHUNK (128 * 1024)

struct lpool;

struct lpool *lpool_new(void); /* NULL when out of memory */
/* Frees every block of the pool at once: its chunks go back to the depot, its blocks from malloc
 * are freed. A Lua state whose memory is all in one pool can so be dropped without lua_close
 * walking and freeing each of its objects (nothing may use the state afterwards). */
void lpool_free(struct lpool *p);

/* lua_Alloc's contract: ptr NULL allocates nsize bytes; nsize 0 frees ptr (osize bytes, NULL
 * returned); otherwise resizes ptr from osize to nsize bytes. Returns NULL when out of memory,
 * leaving ptr as it was. Blocks are aligned to 16 bytes. */
void *lpool_realloc(struct lpool *p, void *ptr, size_t osize, size_t nsize);

/* Gives the depot's memory back to the system when no pool holds any of it (else keeps it). */
void lpool_depot_trim(void);
/* Chunks the depot holds now, and chunks cut from its slabs since it was last emptied. */
void lpool_depot_stats(size_t *held, size_t *made);

#endif
