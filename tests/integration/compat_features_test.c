/* What a cluster can and cannot do, asked of whichever cluster
 * KFK_TEST_BOOTSTRAP names (the mock, Kafka 4.x, and in the compatibility
 * pass 3.9 and 2.8): a feature the broker advertises works, and one it
 * does not fails at once with an error that names what is missing,
 * instead of hanging or retrying without end. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/kmember.h"
#include "../common/ktest.h"
#include "../common/kwire_client.h"
#include "../common/mt_conn.h"
#include "kfk.h"

#define NPARTS 3
#define WAIT_MS 60000

/* What the bootstrap broker says of KIP-848: whether it advertises
 * ConsumerGroupHeartbeat, and the group.version it finalized (0: none).
 * Kafka 3.9 advertises the API while the protocol is a preview that
 * refuses members unless enabled; from 4.0 group.version 1 says it is
 * served. ApiVersions v3 (Kafka 2.4 on) carries the features. */
static void kip848_offer(bool *advertised, int16_t *group_version)
{
    mt_conn c = {0};
    c.fd = kwire_connect(ktest_bootstrap(), WAIT_MS);
    ck_assert_int_ge(c.fd, 0);
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    req.client_software_name = kwire_cstr("kfk-compat-test");
    req.client_software_version = kwire_cstr("1");
    kp_api_versions_response resp;
    ck_assert_int_eq(mt_try_call(&c, KP_API_VERSIONS_KEY, 3, &req, &resp), 0);
    ck_assert_int_eq(resp.error_code, 0);
    *advertised = false;
    *group_version = 0;
    for (int32_t i = 0; i < resp.n_api_keys; i++)
        if (resp.api_keys[i].api_key == KP_CONSUMER_GROUP_HEARTBEAT_KEY) *advertised = true;
    for (int32_t i = 0; i < resp.n_finalized_features; i++)
        if (kwire_eq(resp.finalized_features[i].name, kwire_cstr("group.version")))
            *group_version = resp.finalized_features[i].max_version_level;
    mt_close(&c);
}

/* group.protocol=consumer (KIP-848). Where the cluster finalized
 * group.version 1 the member gets every partition; where it does not
 * advertise ConsumerGroupHeartbeat, poll hands out KFK_ERR_UNSUPPORTED
 * well within the wait and the member owns nothing; in between (the
 * mock, Kafka 3.9) it is one or the other, never a hang or another
 * error. */
START_TEST(test_consumer_protocol_is_served_or_refused_clearly)
{
    char topic[96], group[128];
    ktest_unique_topic(topic, sizeof(topic), "compat-848");
    snprintf(group, sizeof(group), "%s-g", topic);
    kclus_create_topic(NULL, topic, NPARTS, 1);
    bool advertised;
    int16_t group_version;
    kip848_offer(&advertised, &group_version);
    const char *const kv[][2] = {{"group.protocol", "consumer"}, {NULL}};
    kmember m;
    kmember_start(&m, kmember_conf(NULL, group, kv, NULL), &(kmember_opts){.topic = topic});
    KMEMBER_UNTIL(WAIT_MS, m.st.owned == NPARTS || m.st.group_err != KFK_OK, &m);
    bool joined = m.st.group_err == KFK_OK;
    if (group_version >= 1)
        ck_assert_msg(joined, "group.version %d is finalized, yet: %s", group_version,
                      kfk_err_str(m.st.group_err));
    if (!advertised) ck_assert_msg(!joined, "joined without ConsumerGroupHeartbeat advertised");
    if (joined) {
        ck_assert_int_eq(m.st.owned, NPARTS);
        kmember_close(&m);
    } else {
        ck_assert_msg(m.st.group_err == KFK_ERR_UNSUPPORTED, "got %s", kfk_err_str(m.st.group_err));
        ck_assert_int_eq(m.st.owned, 0);
    }
    printf("NOTE: ConsumerGroupHeartbeat %s, group.version %d: %s\n",
           advertised ? "advertised" : "not advertised", group_version,
           joined ? "joined" : "KFK_ERR_UNSUPPORTED");
    kmember_destroy(&m);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("compat_features");
    TCase *tc = tcase_create("features");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_consumer_protocol_is_served_or_refused_clearly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    return ktest_run(suite());
}
