/* The sticky partitioner driven by the accumulator, as kfk_produce will
 * drive them: a keyless record goes where kpartitioner_choose says, and
 * what kaccum_append reports (bytes, whether the batch is full) decides
 * the switch (KIP-480, KIP-794). */
#include <pthread.h>

#include "../common/ktest.h"
#include "base/conf.h"
#include "producer/accumulator.h"
#include "producer/partitioner.h"

#define N_PARTS 4
#define BATCH 1000

static uint8_t value[200];

START_TEST(test_keyless_records_fill_batches_before_moving_on)
{
    kaccum_conf c = {.batch_size = BATCH, .linger_ms = 60000, .buffer_memory = 1 << 20};
    kaccum *a = kaccum_new(&c);
    kaccum_part *parts[N_PARTS];
    for (int i = 0; i < N_PARTS; i++)
        parts[i] = kaccum_part_new(a, NULL);
    kpartitioner pt, ref;
    ck_assert_int_eq(
        kpartitioner_init(&pt, KCONF_PARTITIONER_DEFAULT, false, BATCH, NULL, NULL, 77), KFK_OK);
    ck_assert_int_eq(kpartitioner_init(&ref, KCONF_PARTITIONER_RANDOM, false, 0, NULL, NULL, 77),
                     KFK_OK);
    kpart_topic t = {"t", N_PARTS, NULL, 0};
    int32_t current = -1;
    size_t stint_bytes = 0;
    int stints = 0;
    bool must_switch = false;
    for (int i = 0; i < 400; i++) {
        int32_t part;
        bool sticky;
        ck_assert_int_eq(kpartitioner_choose(&pt, &t, (kslice){NULL, 0}, &part, &sticky), KFK_OK);
        ck_assert(sticky);
        if (part != current || must_switch) {
            /* A switch: only when due, and to the seeded stream's next pick. */
            ck_assert(current < 0 || must_switch);
            ck_assert_int_eq(part, (int32_t)(kpartitioner_random(&ref) % N_PARTS));
            current = part;
            stint_bytes = 0;
            stints++;
            must_switch = false;
        }
        kaccum_rec r = {.timestamp = 1, .value = {value, 50 + (size_t)(i * 37) % 150}};
        kaccum_appended res;
        ck_assert_int_eq(kaccum_append(a, parts[part], &r, 0, &res), KFK_OK);
        kpartitioner_appended(&pt, part, res.bytes, res.batch_full);
        stint_bytes += res.bytes;
        /* Switch after a batch's worth once the batch is full, and never
         * past twice that (Java's BuiltInPartitioner). */
        must_switch = (stint_bytes >= BATCH && res.batch_full) || stint_bytes >= 2 * BATCH;
        ck_assert_uint_lt(stint_bytes, 2 * BATCH + KBATCH_HEADER_SIZE + 220); /* + one record */
    }
    ck_assert_int_gt(stints, 20);
    kaccum_close(a);
    kaccum_list out = {0};
    kaccum_purge(a, parts, N_PARTS, &out);
    kaccum_batch *b;
    while ((b = kaccum_list_pop(&out)))
        kaccum_batch_release(a, b);
    kaccum_destroy(a);
    kpartitioner_destroy(&pt);
    kpartitioner_destroy(&ref);
}
END_TEST

struct chooser {
    kpartitioner *p;
    int hits[N_PARTS];
};

static void *choose_many(void *arg)
{
    struct chooser *ch = arg;
    kpart_topic t = {"t", N_PARTS, NULL, 0};
    for (int i = 0; i < 20000; i++) {
        int32_t part;
        bool sticky;
        ck_assert_int_eq(kpartitioner_choose(ch->p, &t, (kslice){NULL, 0}, &part, &sticky), KFK_OK);
        ck_assert(part >= 0 && part < N_PARTS);
        ch->hits[part]++;
        kpartitioner_appended(ch->p, part, 100, i % 3 == 0);
    }
    return NULL;
}

START_TEST(test_threads_share_one_sticky_state)
{
    /* Racing switches and reports must keep the state whole: every choice
     * in range, and (with batch_full on every third record) switches
     * happening throughout, so every partition gets records. */
    kpartitioner p;
    ck_assert_int_eq(kpartitioner_init(&p, KCONF_PARTITIONER_DEFAULT, false, BATCH, NULL, NULL, 5),
                     KFK_OK);
    const int32_t ids[] = {0, 1, 2, 3}, sizes[] = {3, 0, 1, 2};
    ck_assert_int_eq(kpartitioner_set_load(&p, ids, sizes, 4, N_PARTS), KFK_OK);
    struct chooser ch[4] = {{&p, {0}}, {&p, {0}}, {&p, {0}}, {&p, {0}}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, choose_many, &ch[i]);
    int total[N_PARTS] = {0};
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < N_PARTS; k++)
            total[k] += ch[i].hits[k];
    }
    ck_assert_int_eq(total[0] + total[1] + total[2] + total[3], 80000);
    for (int k = 0; k < N_PARTS; k++)
        ck_assert_int_gt(total[k], 0);
    kpartitioner_destroy(&p);
}
END_TEST

static Suite *sticky_suite(void)
{
    Suite *s = suite_create("producer_sticky");
    TCase *tc = tcase_create("sticky");
    tcase_add_test(tc, test_keyless_records_fill_batches_before_moving_on);
    tcase_add_test(tc, test_threads_share_one_sticky_state);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(sticky_suite());
}
