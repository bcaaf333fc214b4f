#include "proto/api.h"

static const kproto_api *api_at(int16_t key, int16_t version)
{
    const kproto_api *api = kproto_api_get(key);
    if (!api || version < api->min_version || version > api->max_version)
        return NULL;
    return api;
}

static int is_flexible(const kproto_api *api, int16_t version)
{
    return api->first_flexible >= 0 && version >= api->first_flexible;
}

int kproto_request_header_version(int16_t key, int16_t version)
{
    const kproto_api *api = api_at(key, version);
    if (!api)
        return -1;
    return is_flexible(api, version) ? 2 : 1;
}

int kproto_response_header_version(int16_t key, int16_t version)
{
    const kproto_api *api = api_at(key, version);
    if (!api)
        return -1;
    /* ApiVersions answers with a v0 header at every version, so that a
     * client can read the error even when the broker rejects its version. */
    if (api->response_header_v0)
        return 0;
    return is_flexible(api, version) ? 1 : 0;
}

/* Fills in the size prefix of the frame at start, which has `gathered`
 * bytes outside out (kgather), or rolls it back. */
static int finish_gathered_frame(kbuf *out, size_t start, size_t gathered, int err)
{
    size_t n = out->len - start - 4 + gathered;
    if (!err && n > INT32_MAX) err = KFK_ERR_TOO_LARGE;
    if (err) {
        out->len = start;
        return err;
    }
    kput_u32(out->data + start, (uint32_t)n);
    return 0;
}

/* Reserves the size prefix; finish_frame fills it in or rolls back. */
static size_t begin_frame(kbuf *out, int *err)
{
    size_t start = out->len;
    *err = kwrite_i32(out, 0) ? KFK_ERR_NO_MEMORY : 0;
    return start;
}

static int finish_frame(kbuf *out, size_t start, int err)
{
    return finish_gathered_frame(out, start, 0, err);
}

/* Starts a request frame at out->len: the size prefix and the header.
 * On an error the caller passes it to finish_frame, which rolls back. */
static int begin_request(kbuf *out, int16_t key, int16_t version, int32_t correlation_id,
                         kslice client_id)
{
    int hv = kproto_request_header_version(key, version);
    if (hv < 0)
        return KFK_ERR_UNSUPPORTED_VERSION;
    kp_request_header h;
    kp_request_header_init(&h);
    h.request_api_key = key;
    h.request_api_version = version;
    h.correlation_id = correlation_id;
    h.client_id = client_id;
    int err;
    begin_frame(out, &err);
    if (!err)
        err = kp_request_header_encode(&h, (int16_t)hv, out);
    return err;
}

int kproto_write_request(kbuf *out, int16_t key, int16_t version, int32_t correlation_id,
                         kslice client_id, const void *m)
{
    size_t start = out->len;
    int err = begin_request(out, key, version, correlation_id, client_id);
    if (!err)
        err = kproto_request_encode(key, version, m, out);
    return finish_frame(out, start, err);
}

/* Encodes through api alone, never by key: a link that reaches only this
 * keeps the protocol code of the APIs its callers name. */
int kproto_write_client_request(kbuf *out, const kproto_client *api, int16_t version,
                                int32_t correlation_id, kslice client_id, const void *m)
{
    size_t start = out->len;
    kgather *g = out->gather;
    size_t n_ext = g ? g->n : 0;
    uint64_t gathered = g ? g->total : 0;
    int err = begin_request(out, api->key, version, correlation_id, client_id);
    if (!err) err = api->encode_request(m, version, out);
    if (g) {
        gathered = g->total - gathered;
        if (err) { /* the fields noted belong to the frame rolled back */
            g->n = n_ext;
            g->total -= gathered;
        }
    }
    return finish_gathered_frame(out, start, (size_t)gathered, err);
}

int kproto_write_response(kbuf *out, int16_t key, int16_t version, int32_t correlation_id,
                          const void *m)
{
    int hv = kproto_response_header_version(key, version);
    if (hv < 0)
        return KFK_ERR_UNSUPPORTED_VERSION;
    kp_response_header h;
    kp_response_header_init(&h);
    h.correlation_id = correlation_id;
    int err;
    size_t start = begin_frame(out, &err);
    if (!err)
        err = kp_response_header_encode(&h, (int16_t)hv, out);
    if (!err)
        err = kproto_response_encode(key, version, m, out);
    return finish_frame(out, start, err);
}

int kproto_read_request_header(kreader *r, kp_request_header *h)
{
    /* Every header version starts with key and version. */
    kreader peek = *r;
    int16_t key = kread_i16(&peek);
    int16_t version = kread_i16(&peek);
    if (peek.err)
        return KFK_ERR_MALFORMED;
    int hv = kproto_request_header_version(key, version);
    if (hv < 0) {
        kp_request_header_init(h);
        h->request_api_key = key;
        h->request_api_version = version;
        return KFK_ERR_UNSUPPORTED_VERSION;
    }
    return kp_request_header_decode(h, (int16_t)hv, r, NULL);
}

int kproto_read_response_header(kreader *r, int16_t key, int16_t version, kp_response_header *h)
{
    int hv = kproto_response_header_version(key, version);
    if (hv < 0)
        return KFK_ERR_UNSUPPORTED_VERSION;
    return kp_response_header_decode(h, (int16_t)hv, r, NULL);
}
