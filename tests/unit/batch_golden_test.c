/* Decodes the golden record batches in tests/data/batches/, written by
 * independent implementations (librdkafka, kafka-python, the Java client,
 * through a real Kafka 4.3.1 broker; legacy sets by kafka-python's encoder),
 * and checks every record against the rule that generated it. MANIFEST.tsv
 * says what each file holds; tools/golden/capture-batches writes both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "proto/batch.h"

#define DIR "tests/data/batches/"
#define N_RECORDS 50
#define MAX_VECTORS 64

/* One MANIFEST.tsv row. */
typedef struct vector {
    char file[64];
    int magic;
    char codec[16];
    char producer[32];
    int64_t first_offset;
    int gap_after;       /* data offsets skip one after this record (-1: never) */
    char controls[64];   /* "OFFSET:commit;OFFSET:abort" or "-" */
    char timestamps[16]; /* "create" or "none" */
    bool headers;
    bool null_header_empty; /* the producer writes null header values as "" */
} vector;

static vector vectors[MAX_VECTORS];
static int n_vectors;

/* --- the record rule (tools/golden/golden.py) ----------------------------- */

static kslice rule_key(int i, char *buf)
{
    if (i % 7 == 0) return (kslice){NULL, 0};
    int n = snprintf(buf, 16, "k-%d", i);
    return (kslice){(const uint8_t *)buf, (size_t)n};
}

static kslice rule_value(int i, uint8_t *buf)
{
    if (i == 13) return (kslice){NULL, 0};
    if (i == 5) return (kslice){buf, 0};
    uint32_t s = (uint32_t)(i + 1) * 2654435761u;
    size_t n = (size_t)(i * 37) % 200 + 1;
    for (size_t j = 0; j < n; j++) {
        s = s * 1664525u + 1013904223u;
        buf[j] = j % 3 == 0 ? (uint8_t)(s >> 24) : (uint8_t)('a' + (i + (int)j) % 26);
    }
    return (kslice){buf, n};
}

static int64_t rule_timestamp(int i)
{
    return 1700000000000LL + 1000LL * i - (i % 10 == 9 ? 5000 : 0);
}

/* --- manifest ------------------------------------------------------------- */

static void parse_manifest(void)
{
    size_t len;
    char *text = ktest_read_file(DIR "MANIFEST.tsv", &len);
    if (!text) return;
    for (char *line = strtok(text, "\n"); line && n_vectors < MAX_VECTORS;
         line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        vector *v = &vectors[n_vectors];
        char headers[8], nullh[8];
        long long first;
        if (sscanf(line, "%63s %d %15s %31s %lld %d %63s %15s %7s %7s", v->file, &v->magic,
                   v->codec, v->producer, &first, &v->gap_after, v->controls, v->timestamps,
                   headers, nullh) != 10)
            continue;
        v->first_offset = first;
        v->headers = strcmp(headers, "yes") == 0;
        v->null_header_empty = strcmp(nullh, "empty") == 0;
        n_vectors++;
    }
    free(text);
}

/* The control type expected at offset, or -2 when none is. */
static int control_at(const vector *v, int64_t offset)
{
    const char *p = v->controls;
    while (*p && *p != '-') {
        long long at = strtoll(p, (char **)&p, 10);
        int type = strncmp(p, ":commit", 7) == 0 ? KCONTROL_COMMIT : KCONTROL_ABORT;
        if (at == offset) return type;
        p = strchr(p, ';');
        if (!p) break;
        p++;
    }
    return -2;
}

static int count_controls(const vector *v)
{
    int n = 0;
    for (const char *p = v->controls; (p = strchr(p, ':')); p++)
        n++;
    return n;
}

/* --- checks --------------------------------------------------------------- */

static void check_headers(const vector *v, int i, const krecord *rec)
{
    int want = v->headers ? i % 4 : 0;
    ck_assert_int_eq(rec->header_count, want);
    krecord_header_iter it = krecord_headers(rec);
    krecord_header h;
    for (int k = 0; k < want; k++) {
        char name[16], val[32];
        snprintf(name, sizeof(name), "h%d", k);
        int vn = snprintf(val, sizeof(val), "v%d.%d", i, k);
        ck_assert(krecord_header_next(&it, &h));
        ck_assert_uint_eq(h.key.len, strlen(name));
        ck_assert_mem_eq(h.key.ptr, name, strlen(name));
        if ((i + k) % 5 == 0) {
            ck_assert(v->null_header_empty ? h.value.ptr && h.value.len == 0 : !h.value.ptr);
        } else {
            ck_assert(h.value.ptr && h.value.len == (size_t)vn);
            ck_assert_mem_eq(h.value.ptr, val, (size_t)vn);
        }
    }
    ck_assert(!krecord_header_next(&it, &h));
}

static void check_data_record(const vector *v, int i, const krecord *rec)
{
    char kb[16];
    uint8_t vb[256];
    kslice key = rule_key(i, kb), value = rule_value(i, vb);
    int64_t offset = v->first_offset + i + (v->gap_after >= 0 && i > v->gap_after);
    if (rec->offset != offset)
        ck_abort_msg("%s record %d: offset %lld, want %lld", v->file, i, (long long)rec->offset,
                     (long long)offset);
    ck_assert(!key.ptr ? !rec->key.ptr : rec->key.ptr && rec->key.len == key.len);
    if (key.ptr) ck_assert_mem_eq(rec->key.ptr, key.ptr, key.len);
    ck_assert(!value.ptr ? !rec->value.ptr : rec->value.ptr && rec->value.len == value.len);
    if (value.len) ck_assert_mem_eq(rec->value.ptr, value.ptr, value.len);
    if (strcmp(v->timestamps, "none") == 0) {
        ck_assert_int_eq(rec->timestamp, -1);
        ck_assert_int_eq(rec->timestamp_type, KTS_NONE);
    } else {
        ck_assert_int_eq(rec->timestamp, rule_timestamp(i));
        ck_assert_int_eq(rec->timestamp_type, KTS_CREATE_TIME);
    }
    check_headers(v, i, rec);
}

static void check_batch(const vector *v, const kbatch *b)
{
    ck_assert_int_eq(b->magic, v->magic);
    ck_assert_int_eq(kbatch_verify_crc(b), KFK_OK);
    if (!b->control)
        ck_assert_str_eq(kcodec_name(b->codec), v->codec);
    else
        ck_assert(b->transactional);
}

START_TEST(test_golden_vector_decodes_exactly)
{
    const vector *v = &vectors[_i];
    char path[128];
    snprintf(path, sizeof(path), DIR "%s", v->file);
    size_t len;
    uint8_t *data = (uint8_t *)ktest_read_file(path, &len);
    ck_assert_msg(data != NULL, "cannot read %s", path);

    kbatch_read_opts opts = {.check_crcs = true};
    kbuf scratch = {0};
    krecords_iter it;
    krecords_iter_init(&it, data, len, &opts, &scratch);
    const kbatch *b;
    krecord rec;
    int data_recs = 0, controls = 0, batches = 0;
    while (krecords_iter_next_batch(&it, &b)) {
        batches++;
        check_batch(v, b);
        while (krecords_iter_next_record(&it, &rec)) {
            if (rec.control) {
                ck_assert_int_eq(rec.control_type, control_at(v, rec.offset));
                kcontrol c;
                ck_assert_int_eq(kcontrol_parse(&rec, &c), KFK_OK);
                ck_assert_int_eq(c.type, rec.control_type);
                controls++;
                continue;
            }
            ck_assert_int_lt(data_recs, N_RECORDS);
            check_data_record(v, data_recs++, &rec);
        }
    }
    ck_assert_msg(it.err == KFK_OK, "%s: error %d", v->file, it.err);
    ck_assert(!it.truncated);
    ck_assert_int_eq(data_recs, N_RECORDS);
    ck_assert_int_eq(controls, count_controls(v));
    ck_assert_int_gt(batches, 0);
    kbuf_free(&scratch);
    free(data);
}
END_TEST

/* Reads v from record `from` on, as a Fetch at that offset would; with cut,
 * the blob loses its last byte, as when a Fetch ends inside a batch. */
static int read_from(const vector *v, const uint8_t *data, size_t len, int from, bool cut)
{
    kbatch_read_opts opts = {
        .start_offset = v->first_offset + from + (v->gap_after >= 0 && from > v->gap_after),
        .check_crcs = true,
    };
    kbuf scratch = {0};
    krecords_iter it;
    krecords_iter_init(&it, data, cut ? len - 1 : len, &opts, &scratch);
    krecord rec;
    int i = from;
    int64_t last = -1;
    while (krecords_iter_next(&it, &rec, NULL)) {
        ck_assert_int_gt(rec.offset, last);
        last = rec.offset;
        if (!rec.control) check_data_record(v, i++, &rec);
    }
    ck_assert_int_eq(it.err, KFK_OK);
    ck_assert(it.truncated == cut);
    kbuf_free(&scratch);
    return i - from;
}

START_TEST(test_golden_vector_from_fetch_offset)
{
    const vector *v = &vectors[_i];
    char path[128];
    snprintf(path, sizeof(path), DIR "%s", v->file);
    size_t len;
    uint8_t *data = (uint8_t *)ktest_read_file(path, &len);
    ck_assert(data != NULL);
    ck_assert_int_eq(read_from(v, data, len, 30, false), N_RECORDS - 30);
    ck_assert_int_le(read_from(v, data, len, 30, true), N_RECORDS - 30);
    ck_assert_int_eq(read_from(v, data, len, 0, false), N_RECORDS);
    free(data);
}
END_TEST

START_TEST(test_manifest_lists_every_producer_and_codec)
{
    static const char *producers[] = {"librdkafka", "kafka-python", "java"};
    static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int p = 0; p < 3; p++) {
        for (int c = 0; c < 5; c++) {
            bool found = false;
            for (int k = 0; k < n_vectors; k++)
                found |= vectors[k].magic == 2 && !strcmp(vectors[k].producer, producers[p]) &&
                         !strcmp(vectors[k].codec, codecs[c]);
            ck_assert_msg(found, "no v2 vector for %s %s", producers[p], codecs[c]);
        }
    }
    int legacy[2] = {0, 0};
    for (int k = 0; k < n_vectors; k++)
        if (vectors[k].magic < 2) legacy[vectors[k].magic]++;
    ck_assert_int_ge(legacy[0], 4);
    ck_assert_int_ge(legacy[1], 4);
}
END_TEST

/* The other direction: kfk's writer, fed the same records, must produce
 * the very bytes the Java client and librdkafka produced (the broker only
 * set fields outside the CRC: base offset and leader epoch). */
START_TEST(test_writer_output_equals_uncompressed_vectors)
{
    static const char *files[] = {DIR "java-none.bin", DIR "librdkafka-none.bin"};
    size_t len;
    uint8_t *want = (uint8_t *)ktest_read_file(files[_i], &len);
    ck_assert(want != NULL);
    kreader r = kreader_of(want, len);
    kbatch wb;
    ck_assert_int_eq(kbatch_parse_header(&r, &wb), KFK_OK);

    kbuf buf = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &buf, wb.base_offset, rule_timestamp(0),
                                         wb.producer_id, wb.producer_epoch, wb.base_sequence, 0, 0),
                     KFK_OK);
    for (int i = 0; i < N_RECORDS; i++) {
        char kb[16], hv[3][32];
        uint8_t vb[256];
        krecord_header h[3];
        for (int k = 0; k < i % 4; k++) {
            h[k].key = (kslice){(const uint8_t *)(k == 0 ? "h0" : k == 1 ? "h1" : "h2"), 2};
            int n = snprintf(hv[k], sizeof(hv[k]), "v%d.%d", i, k);
            h[k].value =
                (i + k) % 5 == 0 ? (kslice){NULL, 0} : (kslice){(const uint8_t *)hv[k], (size_t)n};
        }
        ck_assert_int_eq(kbatch_writer_append(&w, rule_timestamp(i), rule_key(i, kb),
                                              rule_value(i, vb), h, (size_t)(i % 4)),
                         KFK_OK);
    }
    kslice got;
    ck_assert_int_eq(kbatch_writer_finish(&w, KCODEC_NONE, -1, NULL, &got), KFK_OK);
    kbatch_set_partition_leader_epoch((uint8_t *)got.ptr, wb.partition_leader_epoch);
    ck_assert_uint_eq(got.len, len);
    ck_assert_mem_eq(got.ptr, want, len);
    kbuf_free(&buf);
    free(want);
}
END_TEST

static Suite *batch_golden_suite(void)
{
    Suite *s = suite_create("batch_golden");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_manifest_lists_every_producer_and_codec);
    tcase_add_loop_test(tc, test_golden_vector_decodes_exactly, 0, n_vectors);
    tcase_add_loop_test(tc, test_golden_vector_from_fetch_offset, 0, n_vectors);
    tcase_add_loop_test(tc, test_writer_output_equals_uncompressed_vectors, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    parse_manifest();
    return ktest_run(batch_golden_suite());
}
