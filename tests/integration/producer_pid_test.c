/* InitProducerId for an idempotent (non-transactional) producer, against
 * the mock and real Kafka, so the mock's rules are pinned to the broker's
 * (KafkaApis.handleInitProducerIdRequest, TransactionCoordinator.
 * handleInitProducerId): without a transactional id every request gets a
 * new producer id at epoch 0, whatever id and epoch it carries, and the
 * largest transaction timeout (what Java and kfk send) is fine; an
 * expected producer id without an epoch, or the reverse, is
 * INVALID_REQUEST. The producer relies on the first rule when its epoch
 * is exhausted (idempotence.c: pid_renew). */
#include <stdint.h>
#include <stdio.h>

#include "kwire_client.h"
#include "mt_conn.h"

#define TIMEOUT_MS 15000

/* A connection to the cluster under test, and the InitProducerId version
 * to use: the newest both sides speak. */
typedef struct conn {
    mt_conn c;
    int16_t version;
} conn;

static void conn_open(conn *c)
{
    const char *bootstrap = ktest_bootstrap();
    memset(c, 0, sizeof(*c));
    c->c.fd = kwire_connect(bootstrap, TIMEOUT_MS);
    ck_assert_msg(c->c.fd >= 0, "cannot connect to %s", bootstrap);
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    req.client_software_name = kwire_cstr("kfk-integration-test");
    req.client_software_version = kwire_cstr("1.0");
    kp_api_versions_response resp;
    mt_call(&c->c, KP_API_VERSIONS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    c->version = -1;
    for (int32_t i = 0; i < resp.n_api_keys; i++)
        if (resp.api_keys[i].api_key == KP_INIT_PRODUCER_ID_KEY)
            c->version = resp.api_keys[i].max_version;
    ck_assert_int_ge(c->version, 3); /* the expected id and epoch: KIP-360 */
    int16_t ours = kproto_api_get(KP_INIT_PRODUCER_ID_KEY)->max_version;
    if (c->version > ours) c->version = ours;
}

static void conn_close(conn *c)
{
    mt_close(&c->c);
}

/* An idempotent producer's InitProducerId carrying pid and epoch. A
 * fresh broker answers COORDINATOR_LOAD_IN_PROGRESS (or NOT_AVAILABLE)
 * while it creates and loads __transaction_state, whose coordinator also
 * hands out idempotent ids; as the producer does, ask again then. */
static kp_init_producer_id_response init_pid(conn *c, int64_t pid, int16_t epoch)
{
    kp_init_producer_id_request req;
    kp_init_producer_id_request_init(&req);
    req.transactional_id = (kslice){NULL, 0};
    req.transaction_timeout_ms = INT32_MAX;
    req.producer_id = pid;
    req.producer_epoch = epoch;
    kp_init_producer_id_response resp;
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (;;) {
        mt_call(&c->c, KP_INIT_PRODUCER_ID_KEY, c->version, &req, &resp);
        if (resp.error_code != KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS &&
            resp.error_code != KFK_ERR_COORDINATOR_NOT_AVAILABLE)
            return resp;
        ck_assert_msg(ktime_mono_ms() < deadline, "InitProducerId: %s for %d ms",
                      kfk_err_name(resp.error_code), TIMEOUT_MS);
        usleep(50 * 1000); /* the coordinator is loading: ask again */
    }
}

START_TEST(test_every_request_gets_a_new_producer_id_at_epoch_0)
{
    conn c;
    conn_open(&c);
    kp_init_producer_id_response a = init_pid(&c, -1, -1);
    ck_assert_int_eq(a.error_code, 0);
    ck_assert_int_ge(a.producer_id, 0);
    ck_assert_int_eq(a.producer_epoch, 0);
    /* An exhausted epoch, as the producer's state before it asks again:
     * the id is new, the epoch 0. */
    kp_init_producer_id_response b = init_pid(&c, a.producer_id, INT16_MAX);
    ck_assert_int_eq(b.error_code, 0);
    ck_assert_int_ne(b.producer_id, a.producer_id);
    ck_assert_int_eq(b.producer_epoch, 0);
    kp_init_producer_id_response d = init_pid(&c, b.producer_id, 0);
    ck_assert_int_eq(d.error_code, 0);
    ck_assert_int_ne(d.producer_id, a.producer_id);
    ck_assert_int_ne(d.producer_id, b.producer_id);
    ck_assert_int_eq(d.producer_epoch, 0);
    conn_close(&c);
}
END_TEST

START_TEST(test_half_an_expected_producer_is_an_invalid_request)
{
    conn c;
    conn_open(&c);
    kp_init_producer_id_response a = init_pid(&c, -1, -1);
    ck_assert_int_eq(a.error_code, 0);
    kp_init_producer_id_response b = init_pid(&c, a.producer_id, -1);
    ck_assert_int_eq(b.error_code, KFK_ERR_INVALID_REQUEST);
    b = init_pid(&c, -1, 3);
    ck_assert_int_eq(b.error_code, KFK_ERR_INVALID_REQUEST);
    conn_close(&c);
}
END_TEST

static Suite *pid_suite(void)
{
    Suite *s = suite_create("producer_pid");
    TCase *tc = tcase_create("InitProducerId");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_request_gets_a_new_producer_id_at_epoch_0);
    tcase_add_test(tc, test_half_an_expected_producer_is_an_invalid_request);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(pid_suite());
}
