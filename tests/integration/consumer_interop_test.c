/* The consumer reads what other clients produced (KFK_TEST_BOOTSTRAP: the
 * mock, then real Kafka): for every codec, kafka-python's KafkaProducer
 * (consumer_interop.py) and kcat write records with keys, values, headers
 * and timestamps, and a kfk consumer assigned to every partition from the
 * beginning must hand each one back intact: partition, per-partition order
 * and offset, key, value, headers (null values too), timestamp and
 * CREATE_TIME. Each test makes its own topic and deletes it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kclus.h"
#include "kfk.h"
#include "kplist.h"
#include "kwire_client.h"

#define TIMEOUT_MS 20000
#define NPARTS 3
#define PY_RECORDS 300
#define KCAT_PER_PART 60
#define MAX_HDRS 4

static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};

/* Bytes that may be null. */
typedef struct bytes {
    unsigned char *p;
    size_t len;
    bool null;
} bytes;

/* One record as its producer sent it; ts_lo..ts_hi bounds its timestamp
 * (equal when the producer set it explicitly). */
typedef struct xrec {
    int32_t part;
    int64_t ts_lo, ts_hi;
    bytes key, value;
    size_t nh;
    bytes hname[MAX_HDRS], hval[MAX_HDRS];
} xrec;

typedef struct xrecs {
    xrec *r;
    size_t n, cap;
} xrecs;

static xrec *xrecs_add(xrecs *x)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 64;
        x->r = realloc(x->r, x->cap * sizeof(*x->r));
        ck_assert_ptr_nonnull(x->r);
    }
    xrec *r = &x->r[x->n++];
    memset(r, 0, sizeof(*r));
    return r;
}

static void xrecs_free(xrecs *x)
{
    for (size_t i = 0; i < x->n; i++) {
        xrec *r = &x->r[i];
        free(r->key.p);
        free(r->value.p);
        for (size_t h = 0; h < r->nh; h++) {
            free(r->hname[h].p);
            free(r->hval[h].p);
        }
    }
    free(x->r);
}

static bytes bytes_of(const char *s, size_t len)
{
    bytes b = {malloc(len + 1), len, false};
    ck_assert_ptr_nonnull(b.p);
    memcpy(b.p, s, len);
    return b;
}

/* --- admin ----------------------------------------------------------------------------------- */

/* --- reading consumer_interop.py's account of what it sent ---------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decodes "-" (null) or "x" + hex from s[0..n). */
static bytes decode(const char *s, size_t n)
{
    bytes b = {NULL, 0, true};
    if (n == 1 && s[0] == '-') return b;
    ck_assert_msg(n >= 1 && s[0] == 'x' && n % 2 == 1, "bad field %.*s", (int)n, s);
    b = (bytes){malloc(n / 2 + 1), n / 2, false};
    ck_assert_ptr_nonnull(b.p);
    for (size_t i = 0; i < b.len; i++) {
        int hi = hexval(s[1 + 2 * i]), lo = hexval(s[2 + 2 * i]);
        ck_assert_msg(hi >= 0 && lo >= 0, "bad hex in %.*s", (int)n, s);
        b.p[i] = (unsigned char)(hi << 4 | lo);
    }
    return b;
}

/* Splits s at sep into at most max fields; returns the count. */
static size_t split(char *s, char sep, char **out, size_t max)
{
    size_t n = 0;
    out[n++] = s;
    for (char *q = s; *q && n < max; q++)
        if (*q == sep) {
            *q = '\0';
            out[n++] = q + 1;
        }
    return n;
}

static void parse_headers(xrec *r, char *s)
{
    if (!*s) return;
    char *hs[MAX_HDRS + 1];
    size_t n = split(s, ',', hs, MAX_HDRS + 1);
    ck_assert_uint_le(n, MAX_HDRS);
    for (size_t h = 0; h < n; h++) {
        char *eq = strchr(hs[h], '=');
        ck_assert_ptr_nonnull(eq);
        r->hname[h] = decode(hs[h], (size_t)(eq - hs[h]));
        r->hval[h] = decode(eq + 1, strlen(eq + 1));
        ck_assert(!r->hname[h].null);
    }
    r->nh = n;
}

static void parse_line(xrecs *x, char *line)
{
    line[strcspn(line, "\n")] = '\0';
    char *f[5];
    ck_assert_msg(split(line, '\t', f, 5) == 5, "bad line from consumer_interop.py");
    xrec *r = xrecs_add(x);
    r->part = atoi(f[0]);
    ck_assert(r->part >= 0 && r->part < NPARTS);
    r->ts_lo = r->ts_hi = strtoll(f[1], NULL, 10);
    r->key = decode(f[2], strlen(f[2]));
    r->value = decode(f[3], strlen(f[3]));
    parse_headers(r, f[4]);
}

/* Runs the script for codec and returns what it says it sent. */
static void python_produce(const char *topic, const char *codec, int64_t ts0, xrecs *x)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "python3 tests/integration/consumer_interop.py '%s' '%s' %s %d %lld %d",
             ktest_bootstrap(), topic, codec, PY_RECORDS, (long long)ts0, NPARTS);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0)
        parse_line(x, line);
    free(line);
    int st = pclose(f);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", cmd, st);
    ck_assert_uint_eq(x->n, PY_RECORDS);
}

/* --- consuming and comparing ----------------------------------------------------------------- */

static void assert_bytes(const char *what, size_t idx, const void *p, size_t len, const bytes *w)
{
    if (w->null) {
        ck_assert_msg(p == NULL, "%s of #%zu: want null, got %zu bytes", what, idx, len);
        return;
    }
    ck_assert_msg(p != NULL, "%s of #%zu: want %zu bytes, got null", what, idx, w->len);
    ck_assert_msg(len == w->len && !memcmp(p, w->p, len), "%s of #%zu: want %zu bytes, got %zu",
                  what, idx, w->len, len);
}

static void check_message(const kfk_message *m, const xrec *r, size_t idx)
{
    size_t len;
    const void *p = kfk_message_key(m, &len);
    assert_bytes("key", idx, p, len, &r->key);
    p = kfk_message_value(m, &len);
    assert_bytes("value", idx, p, len, &r->value);
    kfk_timestamp_type type = KFK_TIMESTAMP_NONE;
    int64_t ts = kfk_message_timestamp(m, &type);
    ck_assert_msg(ts >= r->ts_lo && ts <= r->ts_hi, "timestamp of #%zu: %lld not in [%lld, %lld]",
                  idx, (long long)ts, (long long)r->ts_lo, (long long)r->ts_hi);
    ck_assert_int_eq(type, KFK_TIMESTAMP_CREATE_TIME);
    ck_assert_uint_eq(kfk_message_header_count(m), r->nh);
    for (size_t h = 0; h < r->nh; h++) {
        const char *name;
        size_t nl, vl;
        const void *v;
        ck_assert_int_eq(kfk_message_header(m, h, &name, &nl, &v, &vl), KFK_OK);
        assert_bytes("header name", idx, name, nl, &r->hname[h]);
        assert_bytes("header value", idx, v, vl, &r->hval[h]);
    }
}

/* Reads every partition of topic from the beginning to its end with a
 * fresh consumer: partition p's k-th message must be at offset k and
 * match x's k-th record for p; nothing more follows. */
static void consume_and_compare(const char *topic, const xrecs *x)
{
    size_t *order[NPARTS], want[NPARTS] = {0}, got[NPARTS] = {0};
    for (int p = 0; p < NPARTS; p++) {
        order[p] = calloc(x->n + 1, sizeof(size_t));
        ck_assert_ptr_nonnull(order[p]);
    }
    for (size_t i = 0; i < x->n; i++)
        order[x->r[i].part][want[x->r[i].part]++] = i;
    kfk_conf *conf = kclus_conf(NULL);
    ck_assert_int_eq(kfk_conf_set(conf, "fetch.max.wait.ms", "100", NULL, 0), 0);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(kpl_assign(c, topic, NPARTS, KFK_OFFSET_BEGINNING), KFK_OK);
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    for (size_t total = 0; total < x->n; total++) {
        int64_t left = deadline - ktime_mono_ms();
        kfk_message *m = kfk_consumer_poll(c, left > 0 ? (int)left : 0);
        ck_assert_msg(m != NULL, "%s: %zu of %zu records within %d ms", topic, total, x->n,
                      TIMEOUT_MS);
        ck_assert_msg(kfk_message_error(m) == KFK_OK, "%s",
                      kfk_err_str(kfk_message_error(m)));
        int32_t p = kfk_message_partition(m);
        ck_assert(p >= 0 && p < NPARTS);
        ck_assert_msg(got[p] < want[p], "%s: more than %zu records in partition %d", topic,
                      want[p], (int)p);
        ck_assert_int_eq(kfk_message_offset(m), (int64_t)got[p]);
        check_message(m, &x->r[order[p][got[p]]], order[p][got[p]]);
        got[p]++;
        kfk_message_release(m);
    }
    /* Every partition's end reached: nothing beyond what was sent. */
    kfk_message *extra = kfk_consumer_poll(c, 300);
    ck_assert_msg(extra == NULL, "%s: an unexpected record at %d/%lld", topic,
                  (int)kfk_message_partition(extra), (long long)kfk_message_offset(extra));
    kfk_consumer_destroy(c);
    for (int p = 0; p < NPARTS; p++)
        free(order[p]);
}

/* --- kafka-python -------------------------------------------------------------------------- */

START_TEST(test_consumes_what_kafka_python_produced)
{
    const char *codec = codecs[_i];
    char topic[128], what[32];
    snprintf(what, sizeof(what), "interop-py-%s", codec);
    ktest_unique_topic(topic, sizeof(topic), what);
    kclus_create_topic(NULL, topic, NPARTS, -1);
    /* An hour back: inside retention and the broker's timestamp bounds. */
    int64_t ts0 = ktime_wall_ms() - 3600 * 1000;
    xrecs x = {0};
    python_produce(topic, codec, ts0, &x);
    consume_and_compare(topic, &x);
    xrecs_free(&x);
    kclus_delete_topic(NULL, topic);
}
END_TEST

/* --- kcat ---------------------------------------------------------------------------------- */

/* The records kcat writes to partition p, "key:value" lines: keys never
 * hold ':', values may (kcat splits at the first); some values are empty,
 * some a few KiB; no newlines. kcat's -H headers go on every record
 * ("-H name" without '=': a null value). */
static void kcat_records(int p, xrecs *x, char *input, size_t cap)
{
    static const char *hdrs[NPARTS][3][2] = {{{NULL, NULL}, {NULL, NULL}, {NULL, NULL}},
                                              {{"trace", "p1"}, {NULL, NULL}, {NULL, NULL}},
                                              {{"a", "1:2"}, {"b", ""}, {"nul", NULL}}};
    size_t used = 0;
    for (int i = 0; i < KCAT_PER_PART; i++) {
        char key[32], value[5000];
        snprintf(key, sizeof(key), "kcat-%d-%d", p, i);
        size_t vlen = i % 9 == 4 ? 0 : i % 10 == 0 ? 3000 + (size_t)i * 7 : 5 + (size_t)i % 40;
        for (size_t k = 0; k < vlen; k++)
            value[k] = (char)(k % 17 == 16 ? ':' : ' ' + 1 + (i * 31 + (int)k) % 90);
        int n = snprintf(input + used, cap - used, "%s:%.*s\n", key, (int)vlen, value);
        ck_assert(n > 0 && (size_t)n < cap - used);
        used += (size_t)n;
        xrec *r = xrecs_add(x);
        r->part = p;
        r->key = bytes_of(key, strlen(key));
        r->value = bytes_of(value, vlen);
        for (int h = 0; h < 3 && hdrs[p][h][0]; h++) {
            const char *v = hdrs[p][h][1];
            r->hname[h] = bytes_of(hdrs[p][h][0], strlen(hdrs[p][h][0]));
            r->hval[h] = v ? bytes_of(v, strlen(v)) : (bytes){NULL, 0, true};
            r->nh++;
        }
    }
}

/* kcat writes partition p's records in codec; they must carry a
 * CreateTime of kcat's run. */
static void kcat_produce(const char *topic, const char *codec, int p, xrecs *x)
{
    static const char *hopts[NPARTS] = {"", "-H trace=p1", "-H a=1:2 -H b= -H nul"};
    size_t cap = KCAT_PER_PART * 3600;
    char *input = malloc(cap), path[] = "/tmp/kfk-interop-XXXXXX";
    ck_assert_ptr_nonnull(input);
    size_t first = x->n;
    kcat_records(p, x, input, cap);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(input);
    ck_assert_int_eq(write(fd, input, len), (ssize_t)len);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "kcat -P -b '%s' -t '%s' -p %d -z %s -K: %s < %s 2>&1",
             ktest_bootstrap(), topic, p, codec, hopts[p], path);
    int64_t lo = ktime_wall_ms();
    int st = system(cmd);
    int64_t hi = ktime_wall_ms();
    unlink(path);
    free(input);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", cmd, st);
    for (size_t i = first; i < x->n; i++) {
        x->r[i].ts_lo = lo - 1; /* the clocks' ms may round apart */
        x->r[i].ts_hi = hi + 1;
    }
}

START_TEST(test_consumes_what_kcat_produced)
{
    const char *codec = codecs[_i];
    char topic[128], what[32];
    snprintf(what, sizeof(what), "interop-kcat-%s", codec);
    ktest_unique_topic(topic, sizeof(topic), what);
    kclus_create_topic(NULL, topic, NPARTS, -1);
    xrecs x = {0};
    for (int p = 0; p < NPARTS; p++)
        kcat_produce(topic, codec, p, &x);
    consume_and_compare(topic, &x);
    xrecs_free(&x);
    kclus_delete_topic(NULL, topic);
}
END_TEST

static Suite *interop_suite(void)
{
    Suite *s = suite_create("consumer_interop");
    TCase *tc = tcase_create("interop");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_consumes_what_kafka_python_produced, 0, 5);
    tcase_add_loop_test(tc, test_consumes_what_kcat_produced, 0, 5);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    if (system("command -v kcat >/dev/null 2>&1") != 0) {
        printf("SKIP: kcat is not installed\n");
        return KTEST_SKIP;
    }
    if (system("python3 -c 'import kafka, snappy, lz4, zstandard' >/dev/null 2>&1") != 0) {
        printf("SKIP: python3 with kafka-python and its codecs (tests/requirements.txt) missing\n");
        return KTEST_SKIP;
    }
    return ktest_run(interop_suite());
}
