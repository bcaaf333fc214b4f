/* Broker addresses: host:port parsing (IPv4, IPv6 in brackets, names)
 * and numeric resolution without DNS. */
#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>

#include "../common/ktest.h"
#include "net/sock.h"

static int split(const char *s, char *host, int *port)
{
    return ksock_split_hostport(s, strlen(s), host, 64, port);
}

START_TEST(test_splits_names_ipv4_and_bracketed_ipv6)
{
    char host[64];
    int port;
    ck_assert_int_eq(split("broker-1.example.com:9092", host, &port), 0);
    ck_assert_str_eq(host, "broker-1.example.com");
    ck_assert_int_eq(port, 9092);
    ck_assert_int_eq(split("10.0.0.7:1", host, &port), 0);
    ck_assert_str_eq(host, "10.0.0.7");
    ck_assert_int_eq(port, 1);
    ck_assert_int_eq(split("[::1]:65535", host, &port), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_int_eq(port, 65535);
    ck_assert_int_eq(split("[fe80::1%eth0]:9092", host, &port), 0);
    ck_assert_str_eq(host, "fe80::1%eth0");
}
END_TEST

START_TEST(test_refuses_what_is_not_host_and_port)
{
    char host[64];
    int port;
    const char *bad[] = {"",         "host",  "host:",     ":9092",     "host:0", "host:65536",
                         "host:12a", "[::1]", "[::1]9092", "[::1:9092", "[]:9092"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(split(bad[i], host, &port) == -1, "accepted \"%s\"", bad[i]);
    char tiny[4];
    ck_assert_int_eq(ksock_split_hostport("longhost:1", 10, tiny, sizeof(tiny), &port), -1);
    /* len bounds the input: a list is split without copying */
    ck_assert_int_eq(ksock_split_hostport("a:1,b:2", 3, host, sizeof(host), &port), 0);
    ck_assert_str_eq(host, "a");
    ck_assert_int_eq(port, 1);
}
END_TEST

START_TEST(test_numeric_addresses_resolve_without_dns)
{
    kaddrs a;
    ck_assert_int_eq(ksock_resolve("127.0.0.1", 9092, 1, &a), 0);
    ck_assert_int_eq(a.n, 1);
    ck_assert_int_eq(a.addr[0].ss_family, AF_INET);
    char s[64];
    ksock_addr_str((struct sockaddr *)&a.addr[0], s, sizeof(s));
    ck_assert_str_eq(s, "127.0.0.1:9092");
    if (ksock_resolve("::1", 9093, 1, &a) == 0) { /* hosts without IPv6 refuse it */
        ksock_addr_str((struct sockaddr *)&a.addr[0], s, sizeof(s));
        ck_assert_str_eq(s, "[::1]:9093");
    }
    ck_assert_int_ne(ksock_resolve("kafka.example.com", 9092, 1, &a), 0);
}
END_TEST

static Suite *sock_suite(void)
{
    Suite *s = suite_create("net_sock");
    TCase *tc = tcase_create("addresses");
    tcase_add_test(tc, test_splits_names_ipv4_and_bracketed_ipv6);
    tcase_add_test(tc, test_refuses_what_is_not_host_and_port);
    tcase_add_test(tc, test_numeric_addresses_resolve_without_dns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(sock_suite());
}
