/* A connection's output queue with gathered fields: the pieces it writes
 * are the frames byte for byte whatever the write sizes, compaction and
 * flattening keep what is left to write, and a gathering encode makes the
 * same bytes on the wire as a copying one. */
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "net/conn_int.h"
#include "proto/api.h"
#include "proto/gen/produce.h"

/* A kconn with only its output fields in use. */
static kconn *conn_new(void)
{
    kconn *c = calloc(1, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    c->gather.min = KCONN_GATHER_MIN;
    return c;
}

static void conn_free(kconn *c)
{
    kbuf_free(&c->out);
    kgather_free(&c->gather);
    free(c);
}

/* What is left to write, as one buffer. */
static void left_to_write(const kconn *c, kbuf *into)
{
    struct iovec iov[64];
    int n = kconn_out_iov(c, iov, 64);
    into->len = 0;
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(kbuf_append(into, iov[i].iov_base, iov[i].iov_len), 0);
}

static void note_ext(kconn *c, size_t at, const uint8_t *p, size_t len)
{
    if (c->gather.n == c->gather.cap) {
        c->gather.cap = c->gather.cap ? c->gather.cap * 2 : 4;
        c->gather.v = realloc(c->gather.v, c->gather.cap * sizeof(*c->gather.v));
        ck_assert_ptr_nonnull(c->gather.v);
    }
    c->gather.v[c->gather.n++] = (kgather_ext){at, {p, len}};
}

/* out "0123456789" with fields "abc" before byte 3, "DEFGH" and "ij"
 * before byte 7 and "klm" at the end: the stream
 * "012abc3456DEFGHij789klm". */
static const char stream[] = "012abc3456DEFGHij789klm";
static const uint8_t f1[] = "abc", f2[] = "DEFGH", f3[] = "ij", f4[] = "klm";

static kconn *conn_with_stream(void)
{
    kconn *c = conn_new();
    ck_assert_int_eq(kbuf_append(&c->out, "0123456789", 10), 0);
    note_ext(c, 3, f1, 3);
    note_ext(c, 7, f2, 5);
    note_ext(c, 7, f3, 2);
    note_ext(c, 10, f4, 3);
    c->wire_queued = sizeof(stream) - 1;
    return c;
}

START_TEST(test_pieces_are_the_stream_after_writes_of_any_size)
{
    size_t total = sizeof(stream) - 1;
    for (size_t step = 1; step <= total; step++) {
        kconn *c = conn_with_stream();
        kbuf left = {0};
        size_t done = 0;
        while (!kconn_out_done(c)) {
            left_to_write(c, &left);
            ck_assert_uint_eq(left.len, total - done);
            ck_assert_int_eq(memcmp(left.data, stream + done, left.len), 0);
            size_t n = step < total - done ? step : total - done;
            kconn_out_advance(c, n);
            done += n;
        }
        ck_assert_uint_eq(done, total);
        ck_assert_uint_eq(c->wire_sent, total);
        kbuf_free(&left);
        conn_free(c);
    }
}
END_TEST

START_TEST(test_iov_limit_cuts_at_a_piece)
{
    kconn *c = conn_with_stream();
    struct iovec iov[3];
    ck_assert_int_eq(kconn_out_iov(c, iov, 3), 3);
    ck_assert_uint_eq(iov[0].iov_len, 3);  /* "012" */
    ck_assert_ptr_eq(iov[1].iov_base, f1); /* in place, not copied */
    ck_assert_uint_eq(iov[2].iov_len, 4);  /* "3456" */
    conn_free(c);
}
END_TEST

START_TEST(test_compaction_keeps_what_is_left)
{
    size_t total = sizeof(stream) - 1;
    for (size_t first = 1; first < total; first++) {
        kconn *c = conn_with_stream();
        kconn_out_advance(c, first);
        kconn_out_compact(c);
        ck_assert_uint_le(c->out_sent, c->out.len);
        kbuf left = {0};
        left_to_write(c, &left);
        ck_assert_uint_eq(left.len, total - first);
        ck_assert_int_eq(memcmp(left.data, stream + first, left.len), 0);
        kbuf_free(&left);
        conn_free(c);
    }
}
END_TEST

START_TEST(test_flattening_copies_the_fields_left)
{
    size_t total = sizeof(stream) - 1;
    for (size_t first = 0; first < total; first++) {
        uint8_t mine[5];
        memcpy(mine, f2, 5);
        kconn *c = conn_with_stream();
        c->gather.v[1].s.ptr = mine;
        kconn_out_advance(c, first);
        ck_assert_int_eq(kconn_out_flatten(c), 0);
        memset(mine, 'x', sizeof(mine)); /* its owner may reuse it now */
        ck_assert_uint_eq(c->gather.n, 0);
        ck_assert_uint_eq(c->out.len - c->out_sent, total - first);
        ck_assert_int_eq(memcmp(c->out.data + c->out_sent, stream + first, total - first), 0);
        conn_free(c);
    }
}
END_TEST

/* A Produce request with one partition's records of `len` bytes per topic;
 * a topic named `bad_name` (when set) makes the encode fail after them. */
static void produce_req(kp_produce_request *r, kp_produce_request_topic_produce_data *t,
                        kp_produce_request_partition_produce_data *pd, const uint8_t *recs,
                        size_t len, kslice bad_name)
{
    kp_produce_request_init(r);
    r->acks = -1;
    r->timeout_ms = 30000;
    for (int i = 0; i < 2; i++) {
        kp_produce_request_topic_produce_data_init(&t[i]);
        kp_produce_request_partition_produce_data_init(&pd[i]);
        pd[i].index = i;
        pd[i].records = (kslice){recs, len};
        t[i].name = i == 1 && bad_name.ptr ? bad_name : kwire_cstr("topic");
        t[i].partition_data = &pd[i];
        t[i].n_partition_data = 1;
    }
    r->topic_data = t;
    r->n_topic_data = 2;
}

START_TEST(test_gathered_encode_is_the_copied_bytes)
{
    static const int16_t versions[] = {3, 8, 9, 12};
    static const size_t lens[] = {100, KCONN_GATHER_MIN, 70000};
    uint8_t *recs = malloc(70000);
    ck_assert_ptr_nonnull(recs);
    ktest_fill(recs, 70000, 7);
    for (size_t vi = 0; vi < 4; vi++) {
        for (size_t li = 0; li < 3; li++) {
            kp_produce_request r;
            kp_produce_request_topic_produce_data t[2];
            kp_produce_request_partition_produce_data pd[2];
            produce_req(&r, t, pd, recs, lens[li], (kslice){0});
            kbuf copied = {0}, wire = {0};
            ck_assert_int_eq(kproto_write_client_request(&copied, &kp_produce_client, versions[vi],
                                                         5, kwire_cstr("c"), &r),
                             0);
            kconn *c = conn_new();
            ck_assert_int_eq(kbuf_append(&c->out, "x", 1), 0); /* an earlier frame's tail */
            c->out_sent = 1;
            c->out.gather = &c->gather;
            ck_assert_int_eq(kproto_write_client_request(&c->out, &kp_produce_client, versions[vi],
                                                         5, kwire_cstr("c"), &r),
                             0);
            c->out.gather = NULL;
            ck_assert_uint_eq(c->gather.n, lens[li] >= KCONN_GATHER_MIN ? 2 : 0);
            left_to_write(c, &wire);
            ck_assert_uint_eq(wire.len, copied.len);
            ck_assert_int_eq(memcmp(wire.data, copied.data, copied.len), 0);
            kbuf_free(&copied);
            kbuf_free(&wire);
            conn_free(c);
        }
    }
    free(recs);
}
END_TEST

START_TEST(test_failed_gathered_encode_leaves_nothing_behind)
{
    uint8_t recs[KCONN_GATHER_MIN];
    ktest_fill(recs, sizeof(recs), 3);
    char *long_name = malloc(KWIRE_MAX_STRING + 2);
    ck_assert_ptr_nonnull(long_name);
    memset(long_name, 't', KWIRE_MAX_STRING + 1);
    long_name[KWIRE_MAX_STRING + 1] = 0;
    kp_produce_request r;
    kp_produce_request_topic_produce_data t[2];
    kp_produce_request_partition_produce_data pd[2];
    produce_req(&r, t, pd, recs, sizeof(recs), kwire_cstr(long_name));
    kconn *c = conn_new();
    c->out.gather = &c->gather;
    ck_assert_int_ne(
        kproto_write_client_request(&c->out, &kp_produce_client, 9, 5, kwire_cstr("c"), &r), 0);
    ck_assert_uint_eq(c->out.len, 0);
    ck_assert_uint_eq(c->gather.n, 0);
    ck_assert_uint_eq(c->gather.total, 0);
    conn_free(c);
    free(long_name);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net_conn_out");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_pieces_are_the_stream_after_writes_of_any_size);
    tcase_add_test(tc, test_iov_limit_cuts_at_a_piece);
    tcase_add_test(tc, test_compaction_keeps_what_is_left);
    tcase_add_test(tc, test_flattening_copies_the_fields_left);
    tcase_add_test(tc, test_gathered_encode_is_the_copied_bytes);
    tcase_add_test(tc, test_failed_gathered_encode_leaves_nothing_behind);
    suite_add_tcase(s, tc);
    return ktest_run(s);
}
