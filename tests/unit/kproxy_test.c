/* The chaos tests' loopback TCP proxy (tests/common/kproxy): its map
 * parser, bytes both ways through it (more than its buffers hold), a
 * blackhole that holds an open connection's bytes and a new connection's
 * connect, and healing that lets both through; no fd left behind. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kclus.h"
#include "kproxy.h"
#include "ktest.h"

#define BIG (1 << 20)
#define QUIET_MS 300 /* how long a blackholed route is watched for a leak */

START_TEST(test_parse)
{
    int f[3], b[3];
    ck_assert_int_eq(
        kproxy_parse("127.0.0.1:1000>127.0.0.1:2000,127.0.0.1:1001>127.0.0.1:2001\n", f, b, 3), 2);
    ck_assert_int_eq(f[0], 1000);
    ck_assert_int_eq(b[0], 2000);
    ck_assert_int_eq(f[1], 1001);
    ck_assert_int_eq(b[1], 2001);
    ck_assert_int_eq(kproxy_parse("", f, b, 3), -1);
    ck_assert_int_eq(kproxy_parse("127.0.0.1:1000", f, b, 3), -1);
    ck_assert_int_eq(kproxy_parse("127.0.0.1:1000>127.0.0.1:0", f, b, 3), -1);
    ck_assert_int_eq(kproxy_parse("127.0.0.1:1>127.0.0.1:2;x", f, b, 3), -1);
    ck_assert_int_eq(kproxy_parse("127.0.0.1:1>127.0.0.1:2,127.0.0.1:3>127.0.0.1:4", f, b, 1), -1);
}
END_TEST

static int listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 8) == 0);
    ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A port nothing listens on now (bound, then closed). */
static int free_port(void)
{
    int port, fd = listener(&port);
    close(fd);
    return port;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    return fd;
}

/* Whether fd becomes readable (or accepts) within ms. */
static bool readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

static void read_exactly(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ck_assert_msg(readable(fd, KCLUS_TIMEOUT_MS), "%zu of %zu bytes came", got, n);
        ssize_t r = read(fd, buf + got, n - got);
        ck_assert_msg(r > 0, "read: %s", r ? strerror(errno) : "end of stream");
        got += (size_t)r;
    }
}

typedef struct writer {
    int fd;
    const char *buf;
    size_t n;
} writer;

static void *write_all(void *arg)
{
    writer *w = arg;
    for (size_t put = 0; put < w->n;) {
        ssize_t r = write(w->fd, w->buf + put, w->n - put);
        if (r <= 0) break;
        put += (size_t)r;
    }
    return NULL;
}

/* n bytes from a to b and n others from b to a at once. */
static void exchange(int a, int b, size_t n, uint64_t seed)
{
    char *out_a = malloc(n), *out_b = malloc(n), *in = malloc(n);
    ck_assert(out_a && out_b && in);
    ktest_fill(out_a, n, seed);
    ktest_fill(out_b, n, seed + 1);
    writer wa = {a, out_a, n}, wb = {b, out_b, n};
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, write_all, &wa), 0);
    ck_assert_int_eq(pthread_create(&tb, NULL, write_all, &wb), 0);
    read_exactly(b, in, n);
    ck_assert(memcmp(in, out_a, n) == 0);
    read_exactly(a, in, n);
    ck_assert(memcmp(in, out_b, n) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    free(out_a);
    free(out_b);
    free(in);
}

START_TEST(test_pass_blackhole_heal)
{
    int fds_before = ktest_count_dir("/proc/self/fd");
    int back, lfd = listener(&back), front = free_port();
    kproxy *px = kproxy_start(1, &front, &back);
    ck_assert_ptr_nonnull(px);

    int c1 = dial(front);
    ck_assert(readable(lfd, KCLUS_TIMEOUT_MS));
    int s1 = accept(lfd, NULL, NULL);
    ck_assert_int_eq(kproxy_accepted(px, 0), 1);
    exchange(c1, s1, BIG, 1); /* 16 times the proxy's buffers, both ways */

    kproxy_set_mode(px, 0, KPROXY_BLACKHOLE);
    ck_assert_int_eq(write(c1, "held", 4), 4);
    ck_assert_int_eq(write(s1, "back", 4), 4);
    int c2 = dial(front); /* accepted by the proxy, not passed on */
    ck_assert_int_eq(write(c2, "new", 3), 3);
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (kproxy_accepted(px, 0) < 2 && kclus_now_ms() < deadline)
        kclus_nap(10);
    ck_assert_int_eq(kproxy_accepted(px, 0), 2);
    ck_assert_msg(!readable(s1, QUIET_MS), "bytes passed a blackhole to the broker side");
    ck_assert_msg(!readable(c1, QUIET_MS), "bytes passed a blackhole to the client side");
    ck_assert_msg(!readable(lfd, QUIET_MS), "a connection passed a blackhole");

    kproxy_set_mode(px, 0, KPROXY_PASS);
    char buf[8];
    read_exactly(s1, buf, 4);
    ck_assert(!memcmp(buf, "held", 4));
    read_exactly(c1, buf, 4);
    ck_assert(!memcmp(buf, "back", 4));
    ck_assert(readable(lfd, KCLUS_TIMEOUT_MS));
    int s2 = accept(lfd, NULL, NULL);
    read_exactly(s2, buf, 3);
    ck_assert(!memcmp(buf, "new", 3));
    exchange(c2, s2, BIG / 4, 3);

    /* A side that closes: the proxy closes the other. */
    close(c1);
    ck_assert(readable(s1, KCLUS_TIMEOUT_MS));
    ck_assert_int_eq(read(s1, buf, sizeof(buf)), 0);
    close(s1);
    close(c2);
    close(s2);
    kproxy_stop(px);
    close(lfd);
    ck_assert_int_eq(ktest_count_dir("/proc/self/fd"), fds_before);
}
END_TEST

START_TEST(test_listen_failure)
{
    int port, lfd = listener(&port), back = free_port();
    ck_assert_ptr_null(kproxy_start(1, &port, &back)); /* the front port is taken */
    close(lfd);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kproxy");
    TCase *tc = tcase_create("kproxy");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_pass_blackhole_heal);
    tcase_add_test(tc, test_listen_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
