/* Partition lists for tests (kplist.h). */
#include "kplist.h"

#include <check.h>

kfk_partition_list *kpl_range(const char *topic, int32_t n, int64_t offset)
{
    kfk_partition_list *l = kfk_partition_list_new((size_t)n);
    ck_assert_ptr_nonnull(l);
    for (int32_t p = 0; p < n; p++)
        kpl_add(l, topic, p, offset);
    return l;
}

kfk_partition_list *kpl_one(const char *topic, int32_t partition, int64_t offset)
{
    kfk_partition_list *l = kfk_partition_list_new(1);
    ck_assert_ptr_nonnull(l);
    kpl_add(l, topic, partition, offset);
    return l;
}

size_t kpl_add(kfk_partition_list *l, const char *topic, int32_t partition, int64_t offset)
{
    ck_assert_int_eq(kfk_partition_list_add(l, topic, partition), KFK_OK);
    size_t i = kfk_partition_list_count(l) - 1;
    ck_assert_int_eq(kfk_partition_list_set_offset(l, i, offset), KFK_OK);
    return i;
}

kfk_err kpl_assign(kfk_consumer *c, const char *topic, int32_t n, int64_t offset)
{
    kfk_partition_list *l = kpl_range(topic, n, offset);
    kfk_err err = kfk_consumer_assign(c, l);
    kfk_partition_list_destroy(l);
    return err;
}

kfk_err kpl_assign_one(kfk_consumer *c, const char *topic, int32_t partition, int64_t offset)
{
    kfk_partition_list *l = kpl_one(topic, partition, offset);
    kfk_err err = kfk_consumer_assign(c, l);
    kfk_partition_list_destroy(l);
    return err;
}

kfk_err kpl_commit(kfk_consumer *c, const char *topic, int32_t partition, int64_t offset, int async)
{
    kfk_partition_list *l = kpl_one(topic, partition, offset);
    kfk_err err = kfk_consumer_commit(c, l, async);
    kfk_partition_list_destroy(l);
    return err;
}

kfk_err kpl_committed(kfk_consumer *c, const char *topic, int32_t partition, int64_t *offset,
                      int timeout_ms)
{
    kfk_partition_list *l = kpl_one(topic, partition, KFK_OFFSET_INVALID);
    kfk_err err = kfk_consumer_committed(c, l, timeout_ms);
    *offset = kfk_partition_list_offset(l, 0);
    kfk_partition_list_destroy(l);
    return err;
}

size_t kpl_assigned(kfk_consumer *c)
{
    kfk_partition_list *l = kfk_consumer_assignment(c);
    ck_assert_ptr_nonnull(l);
    size_t n = kfk_partition_list_count(l);
    kfk_partition_list_destroy(l);
    return n;
}
