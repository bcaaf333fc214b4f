/* A running broker of a real 3-node cluster unregistered
 * (kfk_admin_unregister_broker; tests/chaos/run gives the cluster): it
 * leaves the brokers the cluster describes and the controller's registry
 * (unregistering it again finds no such broker) while its process runs
 * on; restarted, it registers again and is back. A broker the test leaves
 * out (a failed assertion half way) is restarted by the runner process
 * after the test, so the cluster is left as it was found. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "../common/kwire_client.h"
#include "kfk.h"

#define WAIT_MS 60000

static const kfk_admin_options opts = {.timeout_ms = 30000};

/* The brokers found before the test, in the runner process. */
static int32_t found[9];
static size_t n_found;

static kfk_admin *admin_new(void)
{
    return kfk_admin_new(kclus_conf(ktest_bootstrap()), NULL, 0);
}

/* Whether the cluster lists broker id; -1 when describing it failed. */
static int listed(kfk_admin *a, int32_t id)
{
    kfk_metadata *md = NULL;
    if (kfk_admin_describe_cluster(a, &opts, &md) != KFK_OK) return -1;
    int in = 0;
    for (size_t b = 0; b < kfk_metadata_broker_count(md); b++)
        in |= kfk_metadata_broker_id(md, b) == id;
    kfk_metadata_destroy(md);
    return in;
}

/* Whether broker id is listed (want 1) or not (0) before WAIT_MS. */
static bool wait_listed(kfk_admin *a, int32_t id, int want)
{
    for (int64_t until = kclus_now_ms() + WAIT_MS; kclus_now_ms() < until; kclus_nap(200))
        if (listed(a, id) == want) return true;
    return false;
}

/* tools/kafka CMD NODE on the cluster of KFK_CHAOS_DIR; its exit status. */
static int kafka(const char *cmd, int32_t node)
{
    const char *dir = getenv("KFK_CHAOS_DIR");
    if (!dir) return -1;
    char line[1024];
    snprintf(line, sizeof(line), "tools/kafka %s %d --dir '%s' >&2", cmd, (int)node, dir);
    return system(line);
}

/* Waits until the cluster lists three brokers (an earlier chaos test may
 * have restarted one just now) and records them. */
static void record_brokers(void)
{
    kfk_admin *a = admin_new();
    n_found = 0;
    for (int64_t until = kclus_now_ms() + WAIT_MS; a && kclus_now_ms() < until; kclus_nap(200)) {
        kfk_metadata *md = NULL;
        if (kfk_admin_describe_cluster(a, &opts, &md) == KFK_OK &&
            kfk_metadata_broker_count(md) == 3) {
            for (size_t b = 0; b < 3; b++)
                found[n_found++] = kfk_metadata_broker_id(md, b);
            kfk_metadata_destroy(md);
            break;
        }
        kfk_metadata_destroy(md);
    }
    kfk_admin_destroy(a);
}

/* After the test, in the runner process: a broker found before and not
 * listed now is killed if it runs and started again. */
static void restore_brokers(void)
{
    kfk_admin *a = admin_new();
    for (size_t i = 0; a && i < n_found; i++) {
        if (listed(a, found[i]) == 1) continue;
        kafka("kill", found[i]); /* fails when it does not run: fine */
        int rc = kafka("restart", found[i]);
        bool back = rc == 0 && wait_listed(a, found[i], 1);
        fprintf(stderr, "admin_unregister: broker %d was not restored by the test; %s\n",
                (int)found[i], back ? "restarted" : "restart FAILED");
    }
    kfk_admin_destroy(a);
}

/* The broker that is not the metadata quorum's leader and has the highest
 * id: killing it causes no election. */
static int32_t victim(kfk_admin *a)
{
    kfk_admin_result *r = NULL;
    ck_assert_int_eq(kfk_admin_describe_quorum(a, &opts, &r), KFK_OK);
    int32_t leader = kfk_admin_result_quorum_leader_id(r, 0), v = -1;
    kfk_admin_result_destroy(r);
    for (size_t i = 0; i < n_found; i++)
        if (found[i] != leader && found[i] > v) v = found[i];
    ck_assert_int_ge(v, 0);
    return v;
}

START_TEST(test_unregistered_broker_is_out_until_it_restarts)
{
    ck_assert_uint_eq(n_found, 3);
    kfk_admin *a = admin_new();
    ck_assert_ptr_nonnull(a);
    int32_t id = victim(a);
    ck_assert_msg(kfk_admin_unregister_broker(a, id, &opts) == KFK_OK, "%s",
                  kfk_admin_last_error(a));
    ck_assert_msg(wait_listed(a, id, 0), "broker %d is still listed", (int)id);
    /* Its process runs on, but the controller no longer knows it. */
    ck_assert_int_eq(kfk_admin_unregister_broker(a, id, &opts), KFK_ERR_BROKER_ID_NOT_REGISTERED);
    ck_assert_int_eq(listed(a, id), 0);

    ck_assert_int_eq(kafka("kill", id), 0);
    ck_assert_int_eq(kafka("restart", id), 0);
    ck_assert_msg(wait_listed(a, id, 1), "broker %d is not back", (int)id);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *chaos_suite(void)
{
    Suite *s = suite_create("admin_unregister");
    TCase *tc = tcase_create("unregister");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, record_brokers, restore_brokers);
    tcase_add_test(tc, test_unregistered_broker_is_out_until_it_restarts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(chaos_suite());
}
