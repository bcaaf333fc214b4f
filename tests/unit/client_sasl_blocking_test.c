/* A SASL mechanism whose steps may block (may_block, as GSSAPI's KDC
 * round trip does) runs off the I/O thread: while one connection waits on
 * a blocked step, the I/O thread it shares with other brokers keeps
 * serving them; the connection's setup timeout still applies; and a
 * connection closed mid-step, or a client destroyed then, ends the
 * mechanism's state exactly once. PLAIN on a mock cluster stands in for
 * the mechanism: no KDC is needed. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "ktest.h"

#define USER "alice"
#define PASSWORD "alice-secret"
#define TOPIC "t"

/* Closed: every step that would send credentials waits until opened. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool closed;
    int blocked; /* steps waiting now */
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};

static atomic_int starts, ends;

static void gate_set(bool closed)
{
    pthread_mutex_lock(&gate.mu);
    gate.closed = closed;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

/* Waits up to ms for a step to block at the gate. */
static bool gate_wait_blocked(int ms)
{
    int64_t until = kclus_now_ms() + ms;
    for (;;) {
        pthread_mutex_lock(&gate.mu);
        int n = gate.blocked;
        pthread_mutex_unlock(&gate.mu);
        if (n > 0) return true;
        if (kclus_now_ms() > until) return false;
        kclus_nap(5);
    }
}

static kfk_err slow_start(void *opaque, const char *host, void **state, char *errstr,
                          size_t errlen)
{
    (void)opaque, (void)host, (void)errstr, (void)errlen;
    int *round = calloc(1, sizeof(*round));
    if (!round) return KFK_ERR_NO_MEMORY;
    *state = round;
    atomic_fetch_add(&starts, 1);
    return KFK_OK;
}

static kfk_err slow_step(void *opaque, void *state, const unsigned char *in, size_t in_len,
                         const unsigned char **out, size_t *out_len, bool *done, char *errstr,
                         size_t errlen)
{
    (void)opaque, (void)in, (void)in_len, (void)errstr, (void)errlen;
    int *round = state;
    if ((*round)++) {
        *done = true;
        return KFK_OK;
    }
    pthread_mutex_lock(&gate.mu);
    gate.blocked++;
    while (gate.closed)
        pthread_cond_wait(&gate.cv, &gate.mu);
    gate.blocked--;
    pthread_mutex_unlock(&gate.mu);
    /* The message stays the mechanism's (here: static); kfk copies it. */
    static const char msg[] = "\0" USER "\0" PASSWORD;
    *out_len = sizeof(msg) - 1;
    *out = (const unsigned char *)msg;
    return KFK_OK;
}

static void slow_end(void *opaque, void *state)
{
    (void)opaque;
    free(state);
    atomic_fetch_add(&ends, 1);
}

static const kfk_sasl_mechanism slow_plain = {
    .name = "PLAIN",
    .start = slow_start,
    .step = slow_step,
    .end = slow_end,
    .may_block = true,
};

static kfk_mock_cluster *mc;
static atomic_int delivered[3], failed;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    (void)opaque;
    if (r->err)
        atomic_fetch_add(&failed, 1);
    else
        atomic_fetch_add(&delivered[r->partition], 1);
}

static void start_cluster(int session_lifetime_ms)
{
    kfk_mock_security sec = {.protocol = "SASL_PLAINTEXT",
                             .sasl_mechanisms = "PLAIN",
                             .session_lifetime_ms = session_lifetime_ms};
    mc = kfk_mock_cluster_new_secure(3, &sec);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_user_add(mc, "PLAIN", USER, PASSWORD), KFK_OK);
    ck_assert_int_eq(kfk_mock_topic_create(mc, TOPIC, 3, 1), KFK_OK);
    for (int32_t p = 0; p < 3; p++)
        ck_assert_int_eq(kfk_mock_partition_set_leader(mc, TOPIC, p, p + 1), KFK_OK);
    gate_set(false);
    atomic_store(&starts, 0);
    atomic_store(&ends, 0);
    atomic_store(&failed, 0);
    for (int p = 0; p < 3; p++)
        atomic_store(&delivered[p], 0);
}

static void setup(void)
{
    start_cluster(0);
}

/* Sessions of 300 ms: KIP-368 renewals of READY connections. */
static void setup_short_sessions(void)
{
    start_cluster(300);
}

static void teardown(void)
{
    gate_set(false);
    kfk_mock_cluster_destroy(mc);
}

/* One I/O thread for every broker, so a blocked one would stop them all. */
static kfk_producer *producer(const char *setup_timeout_ms)
{
    kfk_conf *conf = kclus_conf(kfk_mock_cluster_bootstrap(mc));
    kclus_set(conf, "security.protocol", "SASL_PLAINTEXT");
    kclus_set(conf, "sasl.mechanism", "PLAIN");
    kclus_set(conf, "io.threads", "1");
    kclus_set(conf, "linger.ms", "0");
    kclus_set(conf, "socket.connection.setup.timeout.ms", setup_timeout_ms);
    kclus_set(conf, "socket.connection.setup.timeout.max.ms", setup_timeout_ms);
    ck_assert_int_eq(kfk_conf_set_sasl_mechanism(conf, &slow_plain), KFK_OK);
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    return p;
}

static void produce(kfk_producer *p, int32_t partition, int n)
{
    for (int i = 0; i < n; i++) {
        kfk_record rec = {.topic = TOPIC, .partition = partition, .value = "v", .value_len = 1};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    }
}

/* Every broker connected and authenticated, then broker 1's connections
 * dropped with the gate closed: its reconnection blocks in the step. */
static void block_broker_1(kfk_producer *p)
{
    for (int32_t part = 0; part < 3; part++)
        produce(p, part, 1);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    gate_set(true);
    ck_assert_int_eq(kfk_mock_broker_drop_connections(mc, 1), KFK_OK);
    produce(p, 0, 1);
    ck_assert_msg(gate_wait_blocked(5000), "no step blocked");
}

static bool wait_delivered(kfk_producer *p, int32_t partition, int n, int ms)
{
    int64_t until = kclus_now_ms() + ms;
    while (atomic_load(&delivered[partition]) < n && kclus_now_ms() < until)
        kfk_producer_poll(p, 10);
    return atomic_load(&delivered[partition]) >= n;
}

START_TEST(test_a_blocked_step_leaves_other_brokers_served)
{
    kfk_producer *p = producer("60000");
    block_broker_1(p);
    int64_t t0 = kclus_now_ms();
    produce(p, 1, 1000);
    produce(p, 2, 1000);
    ck_assert_msg(wait_delivered(p, 1, 1001, 5000) && wait_delivered(p, 2, 1001, 5000),
                  "brokers 2 and 3 stalled while broker 1's step blocked");
    ck_assert_int_lt(kclus_now_ms() - t0, 5000);
    ck_assert_int_eq(atomic_load(&delivered[0]), 1);
    gate_set(false);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(atomic_load(&delivered[0]), 2);
    ck_assert_int_eq(atomic_load(&failed), 0);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&ends), atomic_load(&starts));
}
END_TEST

START_TEST(test_a_connection_timing_out_mid_step_is_safe)
{
    kfk_producer *p = producer("300");
    block_broker_1(p);
    /* The connection gives up on the step while it still runs. */
    kclus_nap(1000);
    gate_set(false);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(atomic_load(&delivered[0]), 2);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&ends), atomic_load(&starts));
}
END_TEST

static void *open_later(void *arg)
{
    (void)arg;
    kclus_nap(300);
    gate_set(false);
    return NULL;
}

START_TEST(test_destroy_during_a_blocked_step_is_safe)
{
    kfk_producer *p = producer("60000");
    block_broker_1(p);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, open_later, NULL), 0);
    kfk_producer_destroy(p); /* waits for the step, then ends its state */
    pthread_join(t, NULL);
    ck_assert_int_eq(atomic_load(&ends), atomic_load(&starts));
}
END_TEST

/* Renewals run their steps on the worker too, while the connection
 * stays READY and holds new requests back. */
START_TEST(test_sessions_renew_through_the_worker)
{
    kfk_producer *p = producer("10000");
    int64_t end = kclus_now_ms() + 2000;
    int n = 0;
    while (kclus_now_ms() < end) {
        produce(p, n % 3, 1);
        n++;
        kfk_producer_poll(p, 0);
        kclus_nap(2);
    }
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_int_eq(atomic_load(&failed), 0);
    ck_assert_int_eq(atomic_load(&delivered[0]) + atomic_load(&delivered[1]) +
                         atomic_load(&delivered[2]),
                     n);
    /* Three connections, renewed every 255 to 285 ms for 2 s. */
    ck_assert_msg(atomic_load(&starts) >= 3 + 3 * 4, "%d authentications", atomic_load(&starts));
    ck_assert_int_eq(atomic_load(&ends), atomic_load(&starts));
}
END_TEST

static Suite *client_sasl_blocking_suite(void)
{
    Suite *s = suite_create("client_sasl_blocking");
    TCase *tc = tcase_create("blocking steps");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_blocked_step_leaves_other_brokers_served);
    tcase_add_test(tc, test_a_connection_timing_out_mid_step_is_safe);
    tcase_add_test(tc, test_destroy_during_a_blocked_step_is_safe);
    suite_add_tcase(s, tc);
    tc = tcase_create("renewals");
    tcase_add_checked_fixture(tc, setup_short_sessions, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sessions_renew_through_the_worker);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(client_sasl_blocking_suite());
}
