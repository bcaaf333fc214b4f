/* A client refuses the transports it cannot speak yet instead of sending
 * plaintext to a TLS or SASL listener. */
#include <check.h>
#include <string.h>

#include "client/client.h"
#include "ktest.h"

static kclient *client_with(const char *protocol, char *errstr, size_t errlen)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", errstr, errlen),
                     KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "security.protocol", protocol, errstr, errlen), KFK_OK);
    if (strstr(protocol, "SASL")) {
        ck_assert_int_eq(kfk_conf_set(conf, "sasl.mechanism", "PLAIN", errstr, errlen), KFK_OK);
        ck_assert_int_eq(kfk_conf_set(conf, "sasl.username", "u", errstr, errlen), KFK_OK);
        ck_assert_int_eq(kfk_conf_set(conf, "sasl.password", "p", errstr, errlen), KFK_OK);
    }
    return kclient_new(conf, KCONF_ADMIN, errstr, errlen);
}

static const char *const refused[] = {"SSL", "SASL_PLAINTEXT", "SASL_SSL"};

START_TEST(test_tls_and_sasl_are_refused_with_a_clear_error)
{
    char errstr[256] = "";
    kclient *c = client_with(refused[_i], errstr, sizeof(errstr));
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(errstr, "security.protocol=") && strstr(errstr, refused[_i]) &&
                      strstr(errstr, "PLAINTEXT only"),
                  "errstr: %s", errstr);
}
END_TEST

START_TEST(test_plaintext_is_accepted)
{
    char errstr[256] = "";
    kclient *c = client_with("PLAINTEXT", errstr, sizeof(errstr));
    ck_assert_msg(c != NULL, "%s", errstr);
    kclient_destroy(c);
}
END_TEST

static Suite *client_transport_suite(void)
{
    Suite *s = suite_create("client_transport");
    TCase *tc = tcase_create("security.protocol");
    tcase_add_loop_test(tc, test_tls_and_sasl_are_refused_with_a_clear_error, 0, 3);
    tcase_add_test(tc, test_plaintext_is_accepted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(client_transport_suite()); }
