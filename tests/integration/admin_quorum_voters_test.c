/* The metadata quorum's voters and brokers' registrations against the
 * 3-node cluster of KFK_TEST_CLUSTER3 (a dynamic quorum, as tools/kafka
 * formats it): a voter that is not the leader is removed, becomes an
 * observer, and is added back with the directory and endpoints it had;
 * the controller's refusals (unknown voter, wrong directory, wrong
 * cluster id, a voter added twice, an unknown broker) come with its
 * message and change nothing; bad arguments are refused. The quorum is
 * left as it was found: the voters are recorded before the tests, in the
 * runner process, and whichever of them is no voter afterwards is added
 * back there, also when a test failed half way. Unregistering a broker
 * that is registered is left to the chaos test admin_unregister_test,
 * which may stop and restart nodes. The mock cluster serves none of
 * these APIs: skipped there, and on real Kafka without KFK_TEST_CLUSTER3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"

#define QUORUM_TIMEOUT_MS 60000

static const kfk_admin_options opts = {.timeout_ms = 30000};

/* A voter as recorded before the tests: what adding it back needs. */
typedef struct voter {
    int32_t id;
    uint8_t dir[16];
    char names[4][32], hosts[4][64];
    kfk_raft_voter_endpoint ep[4];
    size_t n_ep;
} voter;

static voter saved[9];
static size_t n_saved;

/* The quorum now; NULL when describing it failed. */
static kfk_admin_result *quorum(kfk_admin *a)
{
    kfk_admin_result *r = NULL;
    return kfk_admin_describe_quorum(a, &opts, &r) == KFK_OK ? r : NULL;
}

/* Replica id among r's voters (voters true) or observers: its state or NULL. */
static const kfk_replica_state *replica(const kfk_admin_result *r, bool voters, int32_t id)
{
    for (size_t j = 0; j < kfk_admin_result_quorum_replica_count(r, 0, voters); j++) {
        const kfk_replica_state *s = kfk_admin_result_quorum_replica(r, 0, voters, j);
        if (s->replica_id == id) return s;
    }
    return NULL;
}

static void record_voter(voter *v, const kfk_admin_result *r, const kfk_replica_state *s)
{
    *v = (voter){.id = s->replica_id};
    memcpy(v->dir, s->directory_id, sizeof(v->dir));
    size_t n = kfk_admin_result_quorum_endpoint_count(r, 0, v->id);
    for (size_t k = 0; k < n && v->n_ep < 4; k++) {
        const kfk_raft_voter_endpoint *e = kfk_admin_result_quorum_endpoint(r, 0, v->id, k);
        snprintf(v->names[v->n_ep], sizeof(v->names[0]), "%s", e->name);
        snprintf(v->hosts[v->n_ep], sizeof(v->hosts[0]), "%s", e->host);
        v->ep[v->n_ep] = (kfk_raft_voter_endpoint){
            .name = v->names[v->n_ep], .host = v->hosts[v->n_ep], .port = e->port};
        v->n_ep++;
    }
}

/* Runs in the runner process, before the tests: the voters as found. */
static void save_voters(void)
{
    n_saved = 0;
    kfk_admin *a = kfk_admin_new(kclus_conf(getenv("KFK_TEST_CLUSTER3")), NULL, 0);
    kfk_admin_result *r = a ? quorum(a) : NULL;
    for (size_t j = 0; r && j < kfk_admin_result_quorum_replica_count(r, 0, true) && j < 9; j++)
        record_voter(&saved[n_saved++], r, kfk_admin_result_quorum_replica(r, 0, true, j));
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}

/* Calls f until it answers other than REQUEST_TIMED_OUT (the controller
 * still commits an earlier change of the voters, or the voter to add has
 * not caught up yet) or the quorum timeout passes. */
#define UNTIL_SETTLED(err, call)                                                                   \
    do {                                                                                           \
        int64_t until_ = kclus_now_ms() + QUORUM_TIMEOUT_MS;                                       \
        while (((err) = (call)) == KFK_ERR_REQUEST_TIMED_OUT && kclus_now_ms() < until_)           \
            kclus_nap(500);                                                                        \
    } while (0)

static kfk_err add_back(kfk_admin *a, const voter *v)
{
    kfk_err err;
    UNTIL_SETTLED(err, kfk_admin_add_raft_voter(a, NULL, v->id, v->dir, v->ep, v->n_ep, &opts));
    return err;
}

/* Whether id is a voter (want true) or an observer and no voter (false)
 * before the quorum timeout. */
static bool wait_voter(kfk_admin *a, int32_t id, bool want)
{
    for (int64_t until = kclus_now_ms() + QUORUM_TIMEOUT_MS; kclus_now_ms() < until;
         kclus_nap(200)) {
        kfk_admin_result *r = quorum(a);
        bool ok = r && (want ? replica(r, true, id) != NULL
                             : !replica(r, true, id) && replica(r, false, id));
        kfk_admin_result_destroy(r);
        if (ok) return true;
    }
    return false;
}

/* Runs in the runner process after the tests, also when one failed: the
 * voters found before that are no voters now are added back. */
static void restore_voters(void)
{
    kfk_admin *a = kfk_admin_new(kclus_conf(getenv("KFK_TEST_CLUSTER3")), NULL, 0);
    kfk_admin_result *r = a ? quorum(a) : NULL;
    for (size_t i = 0; r && i < n_saved; i++) {
        if (replica(r, true, saved[i].id)) continue;
        kfk_err err = add_back(a, &saved[i]);
        bool back = !err && wait_voter(a, saved[i].id, true);
        fprintf(stderr, "admin_quorum_voters: voter %d was not restored by its test; %s\n",
                (int)saved[i].id, back ? "added back" : kfk_admin_last_error(a));
    }
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}

/* The recorded voter that is not the leader and has the highest id. */
static const voter *follower_voter(kfk_admin *a)
{
    kfk_admin_result *r = quorum(a);
    ck_assert_ptr_nonnull(r);
    int32_t leader = kfk_admin_result_quorum_leader_id(r, 0);
    kfk_admin_result_destroy(r);
    const voter *v = NULL;
    for (size_t i = 0; i < n_saved; i++)
        if (saved[i].id != leader && (!v || saved[i].id > v->id)) v = &saved[i];
    ck_assert_ptr_nonnull(v);
    return v;
}

static size_t voter_count(kfk_admin *a)
{
    kfk_admin_result *r = quorum(a);
    ck_assert_ptr_nonnull(r);
    size_t n = kfk_admin_result_quorum_replica_count(r, 0, true);
    kfk_admin_result_destroy(r);
    return n;
}

START_TEST(test_voters_have_directories_and_endpoints)
{
    static const uint8_t zero[16];
    ck_assert_uint_eq(n_saved, 3);
    for (size_t i = 0; i < n_saved; i++) {
        ck_assert_msg(memcmp(saved[i].dir, zero, 16) != 0, "voter %d: no directory id",
                      (int)saved[i].id);
        bool controller = false;
        for (size_t k = 0; k < saved[i].n_ep; k++) {
            ck_assert_str_eq(saved[i].ep[k].host, "127.0.0.1");
            ck_assert_int_gt(saved[i].ep[k].port, 0);
            controller = controller || strcmp(saved[i].ep[k].name, "CONTROLLER") == 0;
        }
        ck_assert_msg(controller, "voter %d: no CONTROLLER endpoint", (int)saved[i].id);
    }
    kfk_admin *a = kclus_admin(getenv("KFK_TEST_CLUSTER3"));
    kfk_admin_result *r = quorum(a);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(kfk_admin_result_quorum_endpoint_count(r, 0, 999), 0);
    ck_assert_ptr_null(kfk_admin_result_quorum_endpoint(r, 0, saved[0].id, saved[0].n_ep));
    ck_assert_ptr_null(kfk_admin_result_quorum_endpoint(r, 1, saved[0].id, 0));
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_voter_is_removed_and_added_back)
{
    kfk_admin *a = kclus_admin(getenv("KFK_TEST_CLUSTER3"));
    const voter *v = follower_voter(a);
    kfk_err err;
    UNTIL_SETTLED(err, kfk_admin_remove_raft_voter(a, NULL, v->id, v->dir, &opts));
    ck_assert_msg(err == KFK_OK, "remove: %s", kfk_admin_last_error(a));
    ck_assert_msg(wait_voter(a, v->id, false), "node %d still votes, or observes not", (int)v->id);
    ck_assert_uint_eq(voter_count(a), n_saved - 1);

    err = add_back(a, v);
    ck_assert_msg(err == KFK_OK, "add: %s", kfk_admin_last_error(a));
    ck_assert_msg(wait_voter(a, v->id, true), "node %d votes not", (int)v->id);
    kfk_admin_result *r = quorum(a);
    ck_assert_ptr_nonnull(r);
    ck_assert_mem_eq(replica(r, true, v->id)->directory_id, v->dir, 16);
    ck_assert_uint_eq(kfk_admin_result_quorum_replica_count(r, 0, true), n_saved);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_refusals_name_the_voter_and_change_nothing)
{
    kfk_admin *a = kclus_admin(getenv("KFK_TEST_CLUSTER3"));
    ck_assert_uint_eq(voter_count(a), n_saved);
    const voter *v = follower_voter(a);
    uint8_t wrong[16];
    memcpy(wrong, v->dir, 16);
    wrong[15] ^= 0x5a;
    kfk_err err;

    UNTIL_SETTLED(err, kfk_admin_remove_raft_voter(a, NULL, 999, v->dir, &opts));
    ck_assert_int_eq(err, KFK_ERR_VOTER_NOT_FOUND);
    ck_assert_msg(strstr(kfk_admin_last_error(a), "kfk_admin_remove_raft_voter: voter 999: ") &&
                      strstr(kfk_admin_last_error(a), "the broker says: "),
                  "%s", kfk_admin_last_error(a));

    UNTIL_SETTLED(err, kfk_admin_remove_raft_voter(a, NULL, v->id, wrong, &opts));
    ck_assert_int_eq(err, KFK_ERR_VOTER_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "the broker says: "));

    UNTIL_SETTLED(err, kfk_admin_remove_raft_voter(a, "kfk-no-such-cluster", v->id, v->dir, &opts));
    ck_assert_int_eq(err, KFK_ERR_INCONSISTENT_CLUSTER_ID);

    UNTIL_SETTLED(err, kfk_admin_add_raft_voter(a, NULL, v->id, v->dir, v->ep, v->n_ep, &opts));
    ck_assert_int_eq(err, KFK_ERR_DUPLICATE_VOTER);
    ck_assert_msg(strstr(kfk_admin_last_error(a), "the broker says: "), "%s",
                  kfk_admin_last_error(a));

    ck_assert_uint_eq(voter_count(a), n_saved);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_unregistering_an_unknown_broker_fails)
{
    kfk_admin *a = kclus_admin(getenv("KFK_TEST_CLUSTER3"));
    ck_assert_int_eq(kfk_admin_unregister_broker(a, 999, &opts), KFK_ERR_BROKER_ID_NOT_REGISTERED);
    ck_assert_msg(strstr(kfk_admin_last_error(a), "kfk_admin_unregister_broker: broker 999: ") &&
                      strstr(kfk_admin_last_error(a), "the broker says: "),
                  "%s", kfk_admin_last_error(a));
    kfk_metadata *md = NULL;
    ck_assert_int_eq(kfk_admin_describe_cluster(a, &opts, &md), KFK_OK);
    ck_assert_uint_eq(kfk_metadata_broker_count(md), 3);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(getenv("KFK_TEST_CLUSTER3"));
    uint8_t dir[16] = {1};
    kfk_raft_voter_endpoint ep = {.name = "CONTROLLER", .host = "127.0.0.1", .port = 9093};
    ck_assert_int_eq(kfk_admin_add_raft_voter(a, NULL, -1, dir, &ep, 1, &opts),
                     KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a), "kfk_admin_add_raft_voter: voter_id is negative");
    ck_assert_int_eq(kfk_admin_add_raft_voter(a, NULL, 1, NULL, &ep, 1, &opts),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_add_raft_voter(a, NULL, 1, dir, NULL, 1, &opts),
                     KFK_ERR_INVALID_ARG);
    ep.port = 65536;
    ck_assert_int_eq(kfk_admin_add_raft_voter(a, NULL, 1, dir, &ep, 1, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a),
                     "kfk_admin_add_raft_voter: an endpoint's port is not 1-65535");
    ep.port = 9093;
    ep.host = "";
    ck_assert_int_eq(kfk_admin_add_raft_voter(a, NULL, 1, dir, &ep, 1, &opts), KFK_ERR_INVALID_ARG);
    ep.host = "127.0.0.1";
    ep.reserved[2] = &ep;
    ck_assert_int_eq(kfk_admin_add_raft_voter(a, NULL, 1, dir, &ep, 1, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_remove_raft_voter(a, NULL, 1, NULL, &opts), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a), "kfk_admin_remove_raft_voter: directory_id is NULL");
    ck_assert_int_eq(kfk_admin_unregister_broker(a, -2, &opts), KFK_ERR_INVALID_ARG);
    kfk_admin_options v = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_unregister_broker(a, 1, &v), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a), "kfk_admin_unregister_broker: "
                                              "KFK_ADMIN_VALIDATE_ONLY does not apply to this "
                                              "operation");
    ck_assert_int_eq(kfk_admin_remove_raft_voter(a, NULL, 1, dir, &v), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_add_raft_voter(NULL, NULL, 1, dir, &ep, 0, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_remove_raft_voter(NULL, NULL, 1, dir, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_unregister_broker(NULL, 1, NULL), KFK_ERR_INVALID_ARG);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("admin_quorum_voters");
    /* One case per change of the quorum, so that the voters are restored
     * right after the test that changed them. */
    TCase *change = tcase_create("change");
    tcase_set_timeout(change, 240);
    tcase_add_unchecked_fixture(change, save_voters, restore_voters);
    tcase_add_test(change, test_voter_is_removed_and_added_back);
    TCase *refuse = tcase_create("refuse");
    tcase_set_timeout(refuse, 240);
    tcase_add_unchecked_fixture(refuse, save_voters, restore_voters);
    tcase_add_test(refuse, test_voters_have_directories_and_endpoints);
    tcase_add_test(refuse, test_refusals_name_the_voter_and_change_nothing);
    tcase_add_test(refuse, test_unregistering_an_unknown_broker_fails);
    tcase_add_test(refuse, test_bad_arguments_are_refused);
    suite_add_tcase(s, change);
    suite_add_tcase(s, refuse);
    return s;
}

int main(void)
{
    if (kclus_is_mock()) {
        printf("SKIP: the mock cluster serves neither AddRaftVoter, RemoveRaftVoter nor "
               "UnregisterBroker; real Kafka only\n");
        return KTEST_SKIP;
    }
    if (!getenv("KFK_TEST_CLUSTER3")) {
        printf("SKIP: real Kafka needs a 3-node cluster in KFK_TEST_CLUSTER3\n");
        return KTEST_SKIP;
    }
    return ktest_run(suite());
}
