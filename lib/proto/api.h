/* The Kafka APIs kfk speaks: a table by API key (generated from
 * lib/proto/schema into lib/proto/gen/api_table.c), header versions, and
 * encoding or decoding any message by its key, for code that handles APIs
 * generically (the mock broker, tests); the client's connections go
 * through a kproto_client per API instead.
 *
 * The typed functions of lib/proto/gen/<api>.h are the fast path; the
 * dispatchers here add one switch. `m` points to the kp_<api>_request or
 * kp_<api>_response struct of the key. Any thread; nothing blocks. */
#ifndef KFK_PROTO_API_H
#define KFK_PROTO_API_H

#include <stddef.h>
#include <stdint.h>

#include "proto/gen/headers.h"
#include "proto/wire.h"

typedef struct kproto_api {
    int16_t key;
    int16_t min_version;
    int16_t max_version;
    int16_t max_stable_version; /* below max_version when the newest is unstable */
    int16_t first_flexible;     /* first flexible version, -1 if none */
    int16_t response_header_v0; /* 1: the response header stays v0 (ApiVersions) */
    const char *name;           /* Kafka's name: "Produce" */
    size_t request_size;        /* sizeof the request struct */
    size_t response_size;       /* sizeof the response struct */
    /* Where the response struct keeps throttle_time_ms (KIP-219: the
     * broker asks the client to hold off), -1 when it has none. */
    ptrdiff_t throttle_offset;
} kproto_api;

/* One API as a client speaks it: its key, the encoder of its requests
 * and the decoder of its responses (lib/proto/gen/api_client.h declares
 * kp_<api>_client for each). The client names the APIs it sends by these
 * rather than by key, so that its link keeps the protocol code of those
 * APIs only; the dispatchers by key below reach every API. */
typedef struct kproto_client {
    int16_t key;
    int (*encode_request)(const void *m, int16_t version, kbuf *out);
    int (*decode_response)(void *m, int16_t version, kreader *r, karena *a);
} kproto_client;

/* The API with this key, or NULL when kfk does not know it. */
const kproto_api *kproto_api_get(int16_t key);
/* Every API, sorted by key; *n gets the count. */
const kproto_api *kproto_api_list(size_t *n);

/* Header versions for an API at a version: request 1 or 2, response 0 or
 * 1. -1 when key or version is unknown. */
int kproto_request_header_version(int16_t key, int16_t version);
int kproto_response_header_version(int16_t key, int16_t version);

/* Dispatch by API key to kp_<api>_{request,response}_{init,size,encode,
 * decode}; see the generated headers for their contracts. An unknown key gives
 * KFK_ERR_UNSUPPORTED_VERSION (size: 0). */
int kproto_request_init(int16_t key, void *m);
size_t kproto_request_size(int16_t key, int16_t version, const void *m);
int kproto_request_encode(int16_t key, int16_t version, const void *m, kbuf *out);
int kproto_request_decode(int16_t key, int16_t version, void *m, kreader *r, karena *a);
int kproto_response_init(int16_t key, void *m);
size_t kproto_response_size(int16_t key, int16_t version, const void *m);
int kproto_response_encode(int16_t key, int16_t version, const void *m, kbuf *out);
int kproto_response_decode(int16_t key, int16_t version, void *m, kreader *r, karena *a);

/* Appends a whole request frame to out: int32 size, the request header
 * (the version the API needs) and the body m. client_id may be null.
 * Returns 0 or an encode error; out is unchanged on error. */
int kproto_write_request(kbuf *out, int16_t key, int16_t version, int32_t correlation_id,
                         kslice client_id, const void *m);

/* The same for api's request m, encoded by api. With out->gather set,
 * byte fields of at least gather->min bytes are noted there rather than
 * copied into out (the size prefix counts them); the caller sends them
 * in place, and they must stay unchanged until it has. */
int kproto_write_client_request(kbuf *out, const kproto_client *api, int16_t version,
                                int32_t correlation_id, kslice client_id, const void *m);

/* Appends a whole response frame: int32 size, response header, body m. */
int kproto_write_response(kbuf *out, int16_t key, int16_t version, int32_t correlation_id,
                          const void *m);

/* Reads a request header from r (a frame without its size prefix): the
 * header version follows from the key and version it starts with. h's
 * client_id points into r's buffer. Returns 0, KFK_ERR_MALFORMED, or
 * KFK_ERR_UNSUPPORTED_VERSION for a key or version kfk does not know (h's
 * key and version are still filled in then). */
int kproto_read_request_header(kreader *r, kp_request_header *h);

/* Reads the response header of a response to (key, version). */
int kproto_read_response_header(kreader *r, int16_t key, int16_t version, kp_response_header *h);

#endif
