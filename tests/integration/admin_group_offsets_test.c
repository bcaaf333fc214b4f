/* The admin client's group-offset calls against a cluster
 * (KFK_TEST_BOOTSTRAP: the mock, then real Kafka): a classic group whose
 * kfk consumer committed every partition; its offsets are listed (all,
 * or chosen partitions), refused while the member is there, altered and
 * deleted once it left, and read back; its lag is the end offset minus
 * the committed one after more records arrive; a KIP-848 group with a
 * member refuses new offsets too; bad arguments are refused. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kclus.h"
#include "kfk.h"
#include "kmember.h"

#define TIMEOUT_MS 30000
#define NPARTS 4
#define PER_PART 5 /* records per partition at first */

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

typedef struct fixture {
    char topic[128], group[128];
    kmember m;
    bool up;
} fixture;

static bool settled(kmember *m)
{
    kmember_state s = kmember_snapshot(m);
    ck_assert_msg(!s.group_err, "group error %s", kfk_err_str(s.group_err));
    return s.owned == NPARTS && s.consumed >= NPARTS * PER_PART;
}

/* A group of protocol ("classic" or "consumer") whose one member
 * consumed every record of a new topic and committed. */
static void fixture_up(fixture *f, const char *what, const char *protocol)
{
    memset(f, 0, sizeof(*f));
    char name[96];
    snprintf(name, sizeof(name), "%s-t", what);
    ktest_unique_topic(f->topic, sizeof(f->topic), name);
    snprintf(name, sizeof(name), "%s-g", what);
    ktest_unique_topic(f->group, sizeof(f->group), name);
    kclus_create_topic(NULL, f->topic, NPARTS, -1);
    kclus_produce(NULL, f->topic, NPARTS, 0, NPARTS * PER_PART);
    const char *const kv[][2] = {
        {"group.protocol", protocol},
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", "false"},
        {NULL},
    };
    kmember_start(&f->m, kmember_conf(NULL, f->group, kv, NULL),
                  &(kmember_opts){.topic = f->topic, .thread = true});
    f->up = true;
    KMEMBER_UNTIL(TIMEOUT_MS, settled(&f->m), &f->m);
    ck_assert_int_eq(kfk_consumer_commit(f->m.c, NULL, false), KFK_OK);
}

static void member_leave(fixture *f)
{
    if (!f->up) return;
    kmember_close(&f->m);
    kmember_destroy(&f->m);
    f->up = false;
}

static void fixture_down(fixture *f)
{
    member_leave(f);
    kclus_delete_topic(NULL, f->topic);
}

/* The group's committed offset of partition p, KFK_OFFSET_INVALID: none. */
static int64_t committed(const kfk_partition_list *l, const char *topic, int32_t p)
{
    int64_t i = kfk_partition_list_find(l, topic, p);
    return i < 0 ? KFK_OFFSET_INVALID : kfk_partition_list_offset(l, (size_t)i);
}

static kfk_partition_list *list_all(kfk_admin *a, const char *group)
{
    kfk_partition_list *l = NULL;
    kfk_err err = kfk_admin_list_group_offsets(a, group, NULL, &opts, &l);
    ck_assert_msg(err == KFK_OK, "list offsets: %s (%s)", kfk_err_str(err),
                  kfk_admin_last_error(a));
    return l;
}

/* Waits until the group is listed Empty (its member left). */
static bool is_empty(kfk_admin *a, const char *group)
{
    kfk_admin_result *r = NULL;
    ck_assert_int_eq(kfk_admin_describe_groups(a, &group, 1, &opts, &r), KFK_OK);
    bool ok = kfk_admin_result_group_state(r, 0) == KFK_GROUP_STATE_EMPTY;
    kfk_admin_result_destroy(r);
    return ok;
}

static void await_empty(kfk_admin *a, const char *group)
{
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    while (!is_empty(a, group)) {
        ck_assert_msg(ktime_mono_ms() < deadline, "%s never became Empty", group);
        kclus_nap(50); /* polling the coordinator, with a deadline */
    }
}

START_TEST(test_list_alter_delete_read_back)
{
    fixture f;
    fixture_up(&f, "ago", "classic");
    kfk_admin *a = kclus_admin(NULL);

    kfk_partition_list *l = list_all(a, f.group);
    ck_assert_uint_eq(kfk_partition_list_count(l), NPARTS);
    for (int32_t p = 0; p < NPARTS; p++) {
        ck_assert_str_eq(kfk_partition_list_topic(l, (size_t)p), f.topic); /* sorted */
        ck_assert_int_eq(kfk_partition_list_partition(l, (size_t)p), p);
        ck_assert_int_eq(kfk_partition_list_offset(l, (size_t)p), PER_PART);
    }
    kfk_partition_list_destroy(l);

    /* Chosen partitions, in the caller's order; one never committed. */
    kfk_partition_list *want = kfk_partition_list_new(3);
    kfk_partition_list_add(want, f.topic, 2);
    kfk_partition_list_add(want, "kfk-it-ago-never-committed", 0);
    kfk_partition_list_add(want, f.topic, 0);
    ck_assert_int_eq(kfk_admin_list_group_offsets(a, f.group, want, &opts, &l), KFK_OK);
    ck_assert_uint_eq(kfk_partition_list_count(l), 3);
    ck_assert_int_eq(kfk_partition_list_partition(l, 0), 2);
    ck_assert_int_eq(kfk_partition_list_offset(l, 0), PER_PART);
    ck_assert_int_eq(kfk_partition_list_offset(l, 1), KFK_OFFSET_INVALID);
    ck_assert_int_eq(kfk_partition_list_offset(l, 2), PER_PART);
    kfk_partition_list_destroy(l);
    kfk_partition_list_destroy(want);

    /* While the member is there the coordinator refuses a commit from
     * outside the generation, for every partition. */
    kfk_partition_list *set = kfk_partition_list_new(2);
    kfk_partition_list_add(set, f.topic, 0);
    kfk_partition_list_add(set, f.topic, 1);
    kfk_partition_list_set_offset(set, 0, 2);
    kfk_partition_list_set_offset(set, 1, 3);
    ck_assert_int_eq(kfk_partition_list_set_metadata(set, 1, "by admin"), KFK_OK);
    kfk_err err = kfk_admin_alter_group_offsets(a, f.group, set, &opts);
    ck_assert_msg(err == KFK_ERR_UNKNOWN_MEMBER_ID || err == KFK_ERR_ILLEGAL_GENERATION ||
                      err == KFK_ERR_REBALANCE_IN_PROGRESS,
                  "alter while active: %s", kfk_err_str(err));
    ck_assert_int_eq(kfk_partition_list_error(set, 0), err);
    ck_assert_int_eq(kfk_partition_list_error(set, 1), err);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), f.group));

    member_leave(&f);
    await_empty(a, f.group);
    ck_assert_int_eq(kfk_admin_alter_group_offsets(a, f.group, set, &opts), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_error(set, 0), KFK_OK);
    l = list_all(a, f.group);
    ck_assert_int_eq(committed(l, f.topic, 0), 2);
    ck_assert_int_eq(committed(l, f.topic, 1), 3);
    ck_assert_str_eq(kfk_partition_list_metadata(l, (size_t)kfk_partition_list_find(l, f.topic, 1)),
                     "by admin");
    ck_assert_int_eq(committed(l, f.topic, 2), PER_PART);
    kfk_partition_list_destroy(l);

    /* Delete partition 0's offset only. */
    kfk_partition_list *del = kfk_partition_list_new(1);
    kfk_partition_list_add(del, f.topic, 0);
    ck_assert_int_eq(kfk_admin_delete_group_offsets(a, f.group, del, &opts), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_error(del, 0), KFK_OK);
    l = list_all(a, f.group);
    ck_assert_int_eq(committed(l, f.topic, 0), KFK_OFFSET_INVALID);
    ck_assert_int_eq(committed(l, f.topic, 1), 3);
    kfk_partition_list_destroy(l);

    /* A group that does not exist: every entry says so. */
    char nosuch[128];
    ktest_unique_topic(nosuch, sizeof(nosuch), "ago-nosuch");
    ck_assert_int_eq(kfk_admin_delete_group_offsets(a, nosuch, del, &opts),
                     KFK_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_int_eq(kfk_partition_list_error(del, 0), KFK_ERR_GROUP_ID_NOT_FOUND);
    kfk_partition_list_destroy(del);
    kfk_partition_list_destroy(set);
    kfk_admin_destroy(a);
    fixture_down(&f);
}
END_TEST

START_TEST(test_lag_is_end_minus_committed)
{
    enum { MORE = 3 }; /* records per partition produced after the commit */
    fixture f;
    fixture_up(&f, "agl", "classic");
    member_leave(&f);
    kclus_produce(NULL, f.topic, NPARTS, NPARTS * PER_PART, NPARTS * MORE);
    kfk_admin *a = kclus_admin(NULL);
    kfk_partition_list *l = NULL;
    kfk_err err = kfk_admin_group_lag(a, f.group, &opts, &l);
    ck_assert_msg(err == KFK_OK, "lag: %s (%s)", kfk_err_str(err), kfk_admin_last_error(a));
    ck_assert_uint_eq(kfk_partition_list_count(l), NPARTS);
    for (size_t i = 0; i < NPARTS; i++) {
        ck_assert_int_eq(kfk_partition_list_offset(l, i), PER_PART);
        ck_assert_int_eq(kfk_partition_list_end_offset(l, i), PER_PART + MORE);
        ck_assert_int_eq(kfk_partition_list_lag(l, i), MORE);
    }
    /* A copy keeps them; other lists have none. */
    kfk_partition_list *c = kfk_partition_list_copy(l);
    ck_assert_int_eq(kfk_partition_list_lag(c, 0), MORE);
    kfk_partition_list_destroy(c);
    kfk_partition_list_destroy(l);

    kfk_admin_options rc = {.timeout_ms = TIMEOUT_MS, .flags = KFK_ADMIN_READ_COMMITTED};
    ck_assert_int_eq(kfk_admin_group_lag(a, f.group, &rc, &l), KFK_OK);
    ck_assert_int_eq(kfk_partition_list_lag(l, 0), MORE); /* no transactions: LSO = HW */
    kfk_partition_list_destroy(l);
    kfk_admin_destroy(a);
    fixture_down(&f);
}
END_TEST

START_TEST(test_active_kip848_group_refuses_new_offsets)
{
    fixture f;
    fixture_up(&f, "ag8", "consumer");
    kfk_admin *a = kclus_admin(NULL);
    kfk_partition_list *set = kfk_partition_list_new(1);
    kfk_partition_list_add(set, f.topic, 0);
    kfk_partition_list_set_offset(set, 0, 1);
    kfk_err err = kfk_admin_alter_group_offsets(a, f.group, set, &opts);
    ck_assert_msg(err == KFK_ERR_UNKNOWN_MEMBER_ID || err == KFK_ERR_STALE_MEMBER_EPOCH,
                  "alter while active: %s", kfk_err_str(err));
    ck_assert_int_eq(kfk_partition_list_error(set, 0), err);
    kfk_partition_list *l = list_all(a, f.group);
    ck_assert_int_eq(committed(l, f.topic, 0), PER_PART);
    kfk_partition_list_destroy(l);

    /* Its subscribed topic's offsets cannot be deleted either. */
    ck_assert_int_eq(kfk_admin_delete_group_offsets(a, f.group, set, &opts),
                     KFK_ERR_GROUP_SUBSCRIBED_TO_TOPIC);
    kfk_partition_list_destroy(set);
    kfk_admin_destroy(a);
    fixture_down(&f);
}
END_TEST

static void refused(kfk_admin *a, kfk_err err, const char *what)
{
    ck_assert_int_eq(err, KFK_ERR_INVALID_ARG);
    ck_assert_msg(strstr(kfk_admin_last_error(a), what), "last error \"%s\" lacks \"%s\"",
                  kfk_admin_last_error(a), what);
}

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_partition_list *l = (kfk_partition_list *)1;
    kfk_partition_list *p = kfk_partition_list_new(2);
    kfk_partition_list_add(p, "t", 0);
    ck_assert_int_eq(kfk_admin_list_group_offsets(NULL, "g", NULL, NULL, &l), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(l);
    refused(a, kfk_admin_list_group_offsets(a, NULL, NULL, NULL, &l), "group_id");
    refused(a, kfk_admin_list_group_offsets(a, "", NULL, NULL, &l), "group_id");
    refused(a, kfk_admin_list_group_offsets(a, "g", NULL, NULL, NULL), "out is NULL");
    refused(a,
            kfk_admin_list_group_offsets(
                a, "g", NULL, &(kfk_admin_options){.flags = KFK_ADMIN_VALIDATE_ONLY}, &l),
            "KFK_ADMIN_VALIDATE_ONLY");
    refused(a, kfk_admin_alter_group_offsets(a, "g", NULL, NULL), "partition list is NULL");
    refused(a, kfk_admin_alter_group_offsets(a, "g", p, NULL), "no offset to set");
    kfk_partition_list_set_offset(p, 0, 7);
    kfk_partition_list_add(p, "t", 0);
    kfk_partition_list_set_offset(p, 1, 7);
    refused(a, kfk_admin_alter_group_offsets(a, "g", p, NULL), "twice");
    refused(a, kfk_admin_delete_group_offsets(a, "g", p, NULL), "twice");
    refused(a, kfk_admin_delete_group_offsets(a, NULL, p, NULL), "group_id");
    refused(a, kfk_admin_group_lag(a, "g", NULL, NULL), "out is NULL");
    refused(a,
            kfk_admin_group_lag(a, "g", &(kfk_admin_options){.flags = KFK_ADMIN_VALIDATE_ONLY}, &l),
            "KFK_ADMIN_VALIDATE_ONLY");
    ck_assert_ptr_null(l);
    ck_assert_int_eq(kfk_partition_list_end_offset(p, 0), -1);
    ck_assert_int_eq(kfk_partition_list_lag(p, 9), -1);
    kfk_partition_list_destroy(p);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *admin_group_offsets_suite(void)
{
    Suite *s = suite_create("admin_group_offsets");
    TCase *tc = tcase_create("offsets");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    tcase_add_test(tc, test_list_alter_delete_read_back);
    tcase_add_test(tc, test_lag_is_end_minus_committed);
    tcase_add_test(tc, test_active_kip848_group_refuses_new_offsets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(admin_group_offsets_suite());
}
