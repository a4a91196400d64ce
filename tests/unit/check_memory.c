/* The memory behind the checks: the Lua states' pools (lpool), mapped memory (util_map) and buffers
 * that move to it when they grow large. Each allocation is written and read back, so a block
 * handed out twice, or a copy that loses bytes, shows here (and, in the ASan build, a block used
 * after it was freed). */
#include "testutil.h"

#include "buf.h"
#include "lpool.h"
#include "util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31 + i * 7);
}

static bool filled(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed * 31 + i * 7))
            return false;
    return true;
}

/* Every size up to past LPOOL_SMALL, many at once: aligned, distinct, and each keeps what was
 * written while the others are written. */
START_TEST(pool_blocks_are_aligned_and_apart)
{
    enum { N = 3000 };
    struct lpool *p = lpool_new();
    unsigned char *b[N];
    size_t size[N];

    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < N; i++) {
        size[i] = 1 + (i * 37) % (LPOOL_SMALL + 200);
        b[i] = lpool_realloc(p, NULL, 0, size[i]);
        ck_assert_ptr_nonnull(b[i]);
        ck_assert_uint_eq((uintptr_t)b[i] % 16, 0);
        fill(b[i], size[i], (unsigned)i);
    }
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(filled(b[i], size[i], (unsigned)i), "block %zu (%zu bytes) changed", i,
                      size[i]);
    for (size_t i = 0; i < N; i++)
        ck_assert_ptr_null(lpool_realloc(p, b[i], size[i], 0));
    lpool_free(p);
}
END_TEST

/* A freed block serves the next request of its class; growing and shrinking across the classes
 * and across LPOOL_SMALL keeps the bytes the smaller size holds. */
START_TEST(pool_reuses_and_resizes)
{
    struct lpool *p = lpool_new();
    static const size_t steps[] = {
        5, 16, 17, 100, LPOOL_SMALL, LPOOL_SMALL + 1, 5000, 700, 33, LPOOL_SMALL + 1, 1};
    unsigned char *a = lpool_realloc(p, NULL, 0, 40), *c;
    size_t have = sizeof steps / sizeof *steps, cur;

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(lpool_realloc(p, a, 40, 0));
    c = lpool_realloc(p, NULL, 0, 48); /* the same class of 48 bytes */
    ck_assert_ptr_eq(c, a);
    fill(c, 48, 9);
    c = lpool_realloc(p, c, 48, 33); /* a smaller size in the same class: the same block */
    ck_assert_ptr_eq(c, a);
    ck_assert(filled(c, 33, 9));
    cur = 33;
    for (size_t i = 0; i < have; i++) {
        size_t n = steps[i], keep = n < cur ? n : cur;
        unsigned char *q = lpool_realloc(p, c, cur, n);
        ck_assert_ptr_nonnull(q);
        ck_assert_msg(filled(q, keep, 9), "resize %zu -> %zu lost bytes", cur, n);
        fill(q, n, 9);
        c = q;
        cur = n;
    }
    lpool_realloc(p, c, cur, 0);
    lpool_free(p);
}
END_TEST

/* A pool's chunks go back to the depot and serve the next pool; the depot gives its memory back
 * only when no pool holds any. */
START_TEST(depot_serves_the_next_pool)
{
    struct lpool *a = lpool_new(), *b;
    size_t held, made, made_before;
    void *x;

    lpool_depot_trim();
    lpool_depot_stats(&held, &made_before);
    ck_assert_uint_eq(made_before, 0);
    for (int i = 0; i < 2000; i++) /* about 2 MiB: several chunks */
        ck_assert_ptr_nonnull(lpool_realloc(a, NULL, 0, 1000));
    lpool_free(a);
    lpool_depot_stats(&held, &made);
    ck_assert_uint_gt(made, 1);
    ck_assert_uint_eq(held, made);

    b = lpool_new();
    x = lpool_realloc(b, NULL, 0, 64);
    ck_assert_ptr_nonnull(x);
    lpool_depot_stats(&held, &made_before);
    ck_assert_uint_eq(made_before, made); /* no chunk cut: one came back from the depot */
    ck_assert_uint_eq(held, made - 1);
    lpool_depot_trim(); /* b holds a chunk: nothing is given back */
    lpool_depot_stats(&held, &made);
    ck_assert_uint_eq(made, made_before);
    memset(x, 1, 64);
    lpool_realloc(b, x, 64, 0);
    lpool_free(b);
    lpool_depot_trim();
    lpool_depot_stats(&held, &made);
    ck_assert_uint_eq(held, 0);
    ck_assert_uint_eq(made, 0);
}
END_TEST

/* A pool freed with blocks still in use, small and large (as a Lua state is dropped without
 * lua_close), gives all of them back: the chunks to the depot, the large blocks to malloc (the
 * ASan and valgrind builds report a leak otherwise). */
START_TEST(pool_drops_every_block_at_once)
{
    struct lpool *p = lpool_new();
    size_t held, made;
    unsigned char *big = NULL;

    lpool_depot_trim();
    for (int i = 0; i < 500; i++)
        ck_assert_ptr_nonnull(lpool_realloc(p, NULL, 0, 24 + (size_t)i % 300));
    for (int i = 0; i < 20; i++) {
        unsigned char *b = lpool_realloc(p, NULL, 0, LPOOL_SMALL + 1 + (size_t)i * 4096);
        ck_assert_ptr_nonnull(b);
        fill(b, LPOOL_SMALL + 1, (unsigned)i);
        big = b;
    }
    big = lpool_realloc(p, big, LPOOL_SMALL + 1 + 19 * 4096, 3 * LPOOL_SMALL);
    ck_assert(filled(big, LPOOL_SMALL + 1, 19));
    big = lpool_realloc(p, big, 3 * LPOOL_SMALL, 100); /* back into the pool */
    ck_assert(filled(big, 100, 19));
    lpool_free(p);
    lpool_depot_stats(&held, &made);
    ck_assert_uint_gt(made, 0);
    ck_assert_uint_eq(held, made);
    lpool_depot_trim();
}
END_TEST

/* Pools made and dropped on several threads at once (as the rules run): the depot's lock loses
 * no chunk and hands none out twice (each thread's blocks keep what it wrote). */
static void *pools_in_turn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;

    for (int round = 0; round < 400; round++) {
        struct lpool *p = lpool_new();
        unsigned char *b[40];

        if (!p)
            return (void *)1;
        for (int i = 0; i < 40; i++) { /* 40 x 8 KiB: three chunks a pool */
            if (!(b[i] = lpool_realloc(p, NULL, 0, 8192)))
                return (void *)1;
            fill(b[i], 256, seed + (unsigned)i); /* enough to tell two owners apart */
        }
        for (int i = 0; i < 40; i++)
            if (!filled(b[i], 256, seed + (unsigned)i))
                return (void *)1;
        lpool_free(p);
    }
    return NULL;
}

START_TEST(depot_is_shared_by_threads)
{
    pthread_t th[4];
    size_t held, made;

    lpool_depot_trim();
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, pools_in_turn, (void *)(i * 1000)), 0);
    for (int i = 0; i < 4; i++) {
        void *rc;
        ck_assert_int_eq(pthread_join(th[i], &rc), 0);
        ck_assert_ptr_null(rc);
    }
    lpool_depot_stats(&held, &made);
    ck_assert_uint_gt(made, 0);
    ck_assert_uint_eq(held, made);
    lpool_depot_trim();
    lpool_depot_stats(&held, &made);
    ck_assert_uint_eq(made, 0);
}
END_TEST

START_TEST(mapped_memory_is_aligned_and_zeroed)
{
    static const size_t sizes[] = {
        1, 4096, 100000, UTIL_MAP_ALIGN / 2, UTIL_MAP_ALIGN + 1, 3 * UTIL_MAP_ALIGN};

    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        unsigned char *p = util_map(n);
        ck_assert_ptr_nonnull(p);
        if (n >= UTIL_MAP_ALIGN / 2)
            ck_assert_uint_eq((uintptr_t)p % UTIL_MAP_ALIGN, 0);
        ck_assert(p[0] == 0 && p[n / 2] == 0 && p[n - 1] == 0);
        fill(p, n, 3);
        ck_assert(filled(p, n, 3));
        util_unmap(p, n);
    }
    ck_assert_ptr_null(util_map(0));
    ck_assert_ptr_null(util_map((size_t)-1));
}
END_TEST

/* A buffer that grows past 1 MiB moves to mapped memory with its content; buf_take still hands
 * out memory free() takes; a cap still stops it. */
START_TEST(large_buffers_keep_their_content)
{
    struct buf b;
    char line[64];
    size_t lines = 0;
    char *taken;

    buf_init(&b, 0);
    while (b.len < 3u << 20) {
        snprintf(line, sizeof line, "line %zu of a large buffer\n", lines++);
        ck_assert_int_eq(buf_adds(&b, line), 0);
    }
    ck_assert_uint_ge(b.cap, (size_t)3 << 20);
    ck_assert_uint_eq(strlen(buf_str(&b)), b.len);
    ck_assert(strncmp(b.data, "line 0 of a large buffer\n", 25) == 0);
    snprintf(line, sizeof line, "line %zu of a large buffer\n", lines - 1);
    ck_assert_str_eq(b.data + b.len - strlen(line), line);
    taken = buf_take(&b);
    ck_assert_ptr_nonnull(taken);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert(strncmp(taken, "line 0 of", 9) == 0);
    free(taken);

    buf_init(&b, (2u << 20) + 5);
    ck_assert_int_eq(buf_reserve(&b, 2u << 20), 0);
    memset(b.data, 'x', 2u << 20);
    b.len = 2u << 20;
    b.data[b.len] = '\0';
    ck_assert_int_eq(buf_add(&b, "123456", 6), ERR_LIMIT);
    ck_assert_uint_eq(b.len, 2u << 20);
    buf_wipe_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("pools");

    tcase_add_test(tc, pool_blocks_are_aligned_and_apart);
    tcase_add_test(tc, pool_reuses_and_resizes);
    tcase_add_test(tc, depot_serves_the_next_pool);
    tcase_add_test(tc, pool_drops_every_block_at_once);
    tcase_add_test(tc, depot_is_shared_by_threads);
    tcase_add_test(tc, mapped_memory_is_aligned_and_zeroed);
    tcase_add_test(tc, large_buffers_keep_their_content);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
