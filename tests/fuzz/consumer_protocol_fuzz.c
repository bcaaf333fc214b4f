/* libFuzzer target for the consumer embedded protocol (lib/consumer):
 * the decoders of what other members and the broker send, and the
 * assignors run over whatever a leader decodes. The first byte picks:
 *   0  subscription    1  assignment
 *   2  sticky user data    3  cooperative-sticky user data
 *   4  a group: the next byte is the member count (1-8), then per member
 *      a 2-byte length and that many subscription bytes; every assignor
 *      runs over the members that decode
 * What decodes must re-encode at its version and decode again to the same
 * bytes; assignors must never assign a partition twice or outside its
 * member's subscription. */
#include <stdlib.h>
#include <string.h>

#include "consumer/assignor.h"

static void check(int ok)
{
    if (!ok) abort();
}

static volatile uint8_t sink;

static void touch(kslice s)
{
    uint8_t x = 0;
    for (size_t i = 0; i < s.len; i++)
        x ^= s.ptr[i];
    sink ^= x;
}

/* Decoded at v re-encodes, and that decodes and re-encodes the same. */
static void subscription_stable(const kp_consumer_protocol_subscription *s, int16_t v, karena *a)
{
    kbuf one = {0}, two = {0};
    kp_consumer_protocol_subscription back;
    if (kc_subscription_encode(s, v, &one) == 0) {
        check(kc_subscription_decode(&back, (kslice){one.data, one.len}, a, NULL) == 0);
        check(kc_subscription_encode(&back, v, &two) == 0);
        check(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
    }
    kbuf_free(&one);
    kbuf_free(&two);
}

static void fuzz_subscription(kslice in, karena *a)
{
    kp_consumer_protocol_subscription s;
    int16_t wire;
    int err = kc_subscription_decode(&s, in, a, &wire);
    check(err == 0 || err == KFK_ERR_MALFORMED || err == KFK_ERR_NO_MEMORY);
    if (err) return;
    for (int32_t i = 0; i < s.n_topics; i++)
        touch(s.topics[i]);
    touch(s.user_data);
    touch(s.rack_id);
    for (int32_t i = 0; i < s.n_owned_partitions; i++)
        touch(s.owned_partitions[i].topic);
    subscription_stable(&s, wire > KC_SUBSCRIPTION_VERSION ? KC_SUBSCRIPTION_VERSION : wire, a);
}

static void fuzz_assignment(kslice in, karena *a)
{
    kp_consumer_protocol_assignment m, back;
    int16_t wire;
    int err = kc_assignment_decode(&m, in, a, &wire);
    check(err == 0 || err == KFK_ERR_MALFORMED || err == KFK_ERR_NO_MEMORY);
    if (err || wire < 0) return;
    int16_t v = wire > KC_ASSIGNMENT_VERSION ? KC_ASSIGNMENT_VERSION : wire;
    kbuf one = {0}, two = {0};
    check(kc_assignment_encode(&m, v, &one) == 0);
    check(kc_assignment_decode(&back, (kslice){one.data, one.len}, a, NULL) == 0);
    check(kc_assignment_encode(&back, v, &two) == 0);
    check(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
    kbuf_free(&one);
    kbuf_free(&two);
}

static void fuzz_user_data(kslice in, karena *a, int cooperative)
{
    if (cooperative) {
        int32_t g = kc_cooperative_user_data_decode(in);
        check(in.len >= 4 || g == -1);
        return;
    }
    kp_sticky_assignor_user_data d;
    int err = kc_sticky_user_data_decode(&d, in, a);
    check(err == 0 || err == KFK_ERR_MALFORMED || err == KFK_ERR_NO_MEMORY);
    for (int32_t i = 0; !err && i < d.n_previous_assignment; i++)
        touch(d.previous_assignment[i].topic);
}

/* --- whole groups -------------------------------------------------------- */

#define MAX_MEMBERS 8

static int subscribes(const kc_member *m, kslice topic)
{
    for (int32_t i = 0; i < m->sub.n_topics; i++)
        if (kwire_eq(m->sub.topics[i], topic)) return 1;
    return 0;
}

/* Every assigned partition belongs to a topic its member subscribes to, is
 * in range, and appears once over the whole group. */
static void check_group(const kc_member *members, int32_t n, const kc_topic *topics,
                        int32_t n_topics, const kp_consumer_protocol_assignment *out)
{
    for (int32_t t = 0; t < n_topics; t++) {
        uint8_t seen[8] = {0};
        int32_t count = 0; /* a topic named twice counts with its larger count */
        for (int32_t u = 0; u < n_topics; u++)
            if (kwire_eq(topics[u].name, topics[t].name) && topics[u].partitions > count)
                count = topics[u].partitions;
        for (int32_t i = 0; i < n; i++)
            for (int32_t j = 0; j < out[i].n_assigned_partitions; j++) {
                const kp_consumer_protocol_assignment_topic_partition *tp =
                    &out[i].assigned_partitions[j];
                if (!kwire_eq(tp->topic, topics[t].name)) continue;
                check(subscribes(&members[i], tp->topic));
                for (int32_t k = 0; k < tp->n_partitions; k++) {
                    int32_t p = tp->partitions[k];
                    check(p >= 0 && p < count && !seen[p]);
                    seen[p] = 1;
                }
            }
    }
}

static void fuzz_group(kslice in, karena *a)
{
    static const char *const ids[MAX_MEMBERS] = {"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"};
    kc_member members[MAX_MEMBERS];
    kc_topic topics[64];
    kc_replica_racks replicas[8]; /* shared by every topic: up to 8 partitions */
    int32_t n = 0, n_topics = 0;
    size_t at = 1, want = in.len ? (size_t)(in.ptr[0] % MAX_MEMBERS) + 1 : 0;
    for (size_t i = 0; i < want && at + 2 <= in.len; i++) {
        size_t len = (size_t)in.ptr[at] << 8 | in.ptr[at + 1];
        at += 2;
        len = len > in.len - at ? in.len - at : len;
        kc_member *m = &members[n];
        if (kc_subscription_decode(&m->sub, (kslice){in.ptr + at, len}, a, NULL) == 0) {
            m->member_id = kwire_cstr(ids[n]);
            m->group_instance_id = (kslice){NULL, 0};
            /* Topics: what members name, 1-8 partitions by the name;
             * partition p's replica is in member (p % members)'s rack, so
             * the rack-aware paths run whenever members name racks. */
            for (int32_t t = 0; t < m->sub.n_topics && n_topics < 64; t++) {
                kslice name = m->sub.topics[t];
                topics[n_topics++] = (kc_topic){name, name.len ? name.ptr[0] % 8 + 1 : 1, replicas};
            }
            n++;
        }
        at += len;
    }
    for (int32_t p = 0; p < 8; p++) {
        kslice *r = n ? &members[p % n].sub.rack_id : NULL;
        replicas[p] = (kc_replica_racks){r, r && r->ptr ? 1 : 0};
    }
    const char *names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    for (int i = 0; i < 4; i++) {
        kp_consumer_protocol_assignment out[MAX_MEMBERS];
        karena oa = KARENA_INIT;
        int err = kc_assignor_find(names[i])->assign(members, n, topics, n_topics, out, &oa);
        check(err == 0 || err == KFK_ERR_NO_MEMORY);
        if (!err) check_group(members, n, topics, n_topics, out);
        karena_free(&oa);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    kslice in = {data + 1, size - 1};
    karena a = KARENA_INIT;
    switch (data[0] % 5) {
    case 0:
        fuzz_subscription(in, &a);
        break;
    case 1:
        fuzz_assignment(in, &a);
        break;
    case 2:
        fuzz_user_data(in, &a, 0);
        break;
    case 3:
        fuzz_user_data(in, &a, 1);
        break;
    default:
        fuzz_group(in, &a);
        break;
    }
    karena_free(&a);
    return 0;
}
