/* Framing of the consumer embedded protocol: see protocol.h. */
#include "consumer/protocol.h"

static int put_version(kbuf *out, int16_t version)
{
    uint8_t *p = kbuf_extend(out, 2);
    if (!p) return KFK_ERR_NO_MEMORY;
    p[0] = (uint8_t)((uint16_t)version >> 8);
    p[1] = (uint8_t)version;
    return 0;
}

/* Reads the version prefix into *wire and returns the version to decode
 * at: a version past max is read as max, since each version only appends
 * fields to the one before. -1 on malformed input. */
static int16_t take_version(kreader *r, int16_t max, int16_t *wire)
{
    int16_t v = kread_i16(r);
    if (r->err || v < 0) return -1;
    if (wire) *wire = v;
    return v > max ? max : v;
}

int kc_subscription_encode(const kp_consumer_protocol_subscription *s, int16_t version, kbuf *out)
{
    size_t mark = out->len;
    int err = version < 0 ? KFK_ERR_UNSUPPORTED_VERSION : put_version(out, version);
    if (!err) err = kp_consumer_protocol_subscription_encode(s, version, out);
    if (err) out->len = mark;
    return err;
}

int kc_subscription_decode(kp_consumer_protocol_subscription *s, kslice in, karena *a,
                           int16_t *version)
{
    kreader r = kreader_of(in.ptr, in.len);
    int16_t v = take_version(&r, KC_SUBSCRIPTION_VERSION, version);
    if (v < 0) return KFK_ERR_MALFORMED;
    return kp_consumer_protocol_subscription_decode(s, v, &r, a);
}

int kc_assignment_encode(const kp_consumer_protocol_assignment *m, int16_t version, kbuf *out)
{
    size_t mark = out->len;
    int err = version < 0 ? KFK_ERR_UNSUPPORTED_VERSION : put_version(out, version);
    if (!err) err = kp_consumer_protocol_assignment_encode(m, version, out);
    if (err) out->len = mark;
    return err;
}

int kc_assignment_decode(kp_consumer_protocol_assignment *m, kslice in, karena *a, int16_t *version)
{
    if (in.len == 0) {
        kp_consumer_protocol_assignment_init(m);
        if (version) *version = -1;
        return 0;
    }
    kreader r = kreader_of(in.ptr, in.len);
    int16_t v = take_version(&r, KC_ASSIGNMENT_VERSION, version);
    if (v < 0) return KFK_ERR_MALFORMED;
    return kp_consumer_protocol_assignment_decode(m, v, &r, a);
}

int kc_sticky_user_data_encode(const kp_sticky_assignor_user_data *d, kbuf *out)
{
    return kp_sticky_assignor_user_data_encode(d, KP_STICKY_ASSIGNOR_USER_DATA_MAX_VERSION, out);
}

int kc_sticky_user_data_decode(kp_sticky_assignor_user_data *d, kslice in, karena *a)
{
    kp_sticky_assignor_user_data_init(d);
    if (!in.ptr || in.len == 0) return 0;
    /* v1 appends the generation; data without it is v0 (Java reads the
     * same way: v1 first, v0 when that runs out of bytes). */
    kreader r = kreader_of(in.ptr, in.len);
    int err = kp_sticky_assignor_user_data_decode(d, 1, &r, a);
    if (err != KFK_ERR_MALFORMED) return err;
    r = kreader_of(in.ptr, in.len);
    return kp_sticky_assignor_user_data_decode(d, 0, &r, a);
}

int kc_cooperative_user_data_encode(int32_t generation, kbuf *out)
{
    kp_cooperative_sticky_assignor_user_data d;
    kp_cooperative_sticky_assignor_user_data_init(&d);
    d.generation = generation;
    return kp_cooperative_sticky_assignor_user_data_encode(&d, 0, out);
}

int32_t kc_cooperative_user_data_decode(kslice in)
{
    if (!in.ptr || in.len < 4) return -1;
    kreader r = kreader_of(in.ptr, in.len);
    return kread_i32(&r);
}
