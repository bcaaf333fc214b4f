/* client.dns.lookup: use_all_dns_ips keeps bootstrap.servers as written;
 * resolve_canonical_bootstrap_servers_only replaces each name by the
 * canonical (reverse-DNS) names of its addresses before connecting, as
 * Java does for Kerberos behind aliases, and refuses a list of which
 * nothing resolves. Runs on loopback only: 127.0.0.1's reverse name comes
 * from /etc/hosts. */
#include <check.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/ktest.h"
#include "client/client.h"
#include "kfk.h"
#include "kfk_mock.h"

static kfk_mock_cluster *mc;

static void setup(void)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

static kclient *client_for(const char *bootstrap, const char *lookup, char *err, size_t errlen)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", bootstrap, NULL, 0), KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "client.dns.lookup", lookup, NULL, 0), KFK_OK);
    kfk_conf_set(conf, "log.level", "crit", NULL, 0);
    return kclient_new(conf, KCONF_ADMIN, NULL, err, errlen);
}

/* The bootstrap entries' host names, in id order (-1 first), joined by ",". */
static void bootstrap_hosts(kclient *c, char *out, size_t size)
{
    kbroker **v;
    int n = kclient_brokers(c, &v);
    out[0] = '\0';
    for (int i = n - 1; i >= 0; i--) { /* sorted by id: -1 is last of the negatives */
        if (v[i]->id < 0) {
            if (out[0]) strncat(out, ",", size - strlen(out) - 1);
            strncat(out, v[i]->host, size - strlen(out) - 1);
        }
        kbroker_unref(v[i]);
    }
    free(v);
}

/* 127.0.0.1's reverse name, or NULL where the resolver has none. */
static const char *loopback_name(char *buf, size_t size)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (getnameinfo((struct sockaddr *)&sa, sizeof(sa), buf, (socklen_t)size, NULL, 0,
                    NI_NAMEREQD) != 0)
        return NULL;
    return buf;
}

START_TEST(test_all_ips_keeps_the_names_as_written)
{
    char bs[64], err[256], hosts[256];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", kfk_mock_broker_port(mc, 1));
    kclient *c = client_for(bs, "use_all_dns_ips", err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    bootstrap_hosts(c, hosts, sizeof(hosts));
    ck_assert_str_eq(hosts, "127.0.0.1");
    ck_assert_int_eq(kclient_refresh_wait(c, 10000), KFK_OK);
    kclient_destroy(c);
}
END_TEST

START_TEST(test_canonical_names_replace_the_bootstrap_names)
{
    char name[256];
    const char *canon = loopback_name(name, sizeof(name));
    ck_assert_msg(canon != NULL, "127.0.0.1 has no reverse name in /etc/hosts here");
    char bs[64], err[256], hosts[256];
    /* twice the same address: one entry */
    snprintf(bs, sizeof(bs), "127.0.0.1:%d,127.0.0.1:%d", kfk_mock_broker_port(mc, 1),
             kfk_mock_broker_port(mc, 1));
    kclient *c = client_for(bs, "resolve_canonical_bootstrap_servers_only", err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    bootstrap_hosts(c, hosts, sizeof(hosts));
    ck_assert_str_eq(hosts, canon);
    ck_assert_int_eq(kclient_refresh_wait(c, 10000), KFK_OK); /* and it connects */
    kclient_destroy(c);
}
END_TEST

START_TEST(test_canonical_lookup_refuses_names_that_do_not_resolve)
{
    char err[256] = "";
    kclient *c = client_for("no-such-host.invalid:9092", "resolve_canonical_bootstrap_servers_only",
                            err, sizeof(err));
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "bootstrap.servers") && strstr(err, "client.dns.lookup"), "%s", err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("client_bootstrap");
    TCase *tc = tcase_create("bootstrap");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_all_ips_keeps_the_names_as_written);
    tcase_add_test(tc, test_canonical_names_replace_the_bootstrap_names);
    tcase_add_test(tc, test_canonical_lookup_refuses_names_that_do_not_resolve);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
