/* JoinGroup's protocol metadata for one member under one assignor.
 *
 * Written in a canonical form, topics sorted and owned partitions grouped
 * by sorted topic with sorted partitions, as Java writes it: the broker
 * compares a rejoining member's metadata with what it stored, and the same
 * subscription must give the same bytes however the caller ordered it, or
 * a static member's restart (KIP-345) would look like a change. */
#include <stdlib.h>
#include <string.h>

#include "consumer/assignor_int.h"

typedef kp_consumer_protocol_subscription_topic_partition topic_parts;

static int slice_cmp(const void *x, const void *y)
{
    return kc_slice_cmp(*(const kslice *)x, *(const kslice *)y);
}

/* in[] regrouped: one entry per topic, topics and partitions ascending. */
static int canonical_parts(const topic_parts *in, int32_t n_in, const topic_parts **out,
                           int32_t *n_out, karena *a)
{
    int32_t n = 0;
    kc_tp *tps = kc_tp_flatten(in, n_in, a, &n);
    if (!tps) return KFK_ERR_NO_MEMORY;
    topic_parts *res;
    int err = kc_tp_group(tps, kc_tp_sort(tps, n), a, &res, n_out);
    *out = res;
    return err;
}

static int canonical_state(const kc_member_state *st, kc_member_state *c, karena *a)
{
    *c = *st;
    kslice *topics = karena_alloc(a, sizeof(kslice) * (size_t)st->n_topics);
    if (!topics) return KFK_ERR_NO_MEMORY;
    if (st->n_topics) memcpy(topics, st->topics, sizeof(kslice) * (size_t)st->n_topics);
    if (st->n_topics > 1) qsort(topics, (size_t)st->n_topics, sizeof(kslice), slice_cmp);
    c->topics = topics;
    int err = canonical_parts(st->owned, st->n_owned, &c->owned, &c->n_owned, a);
    if (!err) err = canonical_parts(st->previous, st->n_previous, &c->previous, &c->n_previous, a);
    return err;
}

int kc_assignor_metadata(const kc_assignor *as, const kc_member_state *st, kbuf *out)
{
    if (!as || !st || st->n_topics < 0 || st->n_owned < 0 || st->n_previous < 0)
        return KFK_ERR_INVALID_ARG;
    karena a = KARENA_INIT;
    kbuf ud = {0};
    kc_member_state c;
    kp_consumer_protocol_subscription s;
    kp_consumer_protocol_subscription_init(&s);
    int err = canonical_state(st, &c, &a);
    /* The generated struct is not const-qualified; encoding only reads. */
    s.topics = (kslice *)c.topics;
    s.n_topics = c.n_topics;
    s.owned_partitions = (topic_parts *)c.owned;
    s.n_owned_partitions = c.n_owned;
    s.generation_id = c.generation;
    s.rack_id = c.rack_id;
    if (!err && as->user_data) {
        err = as->user_data(&c, &ud);
        /* Non-NULL even when empty: null and empty user data differ. */
        s.user_data.ptr = ud.data ? ud.data : (const uint8_t *)"";
        s.user_data.len = ud.len;
    }
    if (!err) err = kc_subscription_encode(&s, KC_SUBSCRIPTION_VERSION, out);
    kbuf_free(&ud);
    karena_free(&a);
    return err;
}
