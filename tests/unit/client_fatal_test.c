/* A fatal client error reaches the application's error_cb exactly once. */
#include <check.h>
#include <string.h>

#include "client/client.h"
#include "ktest.h"

typedef struct seen {
    int calls;
    kfk_err err;
    char reason[128];
} seen;

static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)handle;
    /* The loop thread may report that no broker is reachable (nothing
     * listens on port 1); that report is not the subject here. */
    if (err == KFK_ERR_NO_BROKERS) return;
    seen *s = opaque;
    s->calls++;
    s->err = err;
    strncpy(s->reason, reason, sizeof(s->reason) - 1);
}

static kclient *client_with(seen *s)
{
    char errstr[256];
    kfk_conf *conf = kfk_conf_new();
    /* Nothing listens on port 1: the client never gets a broker, which a
     * fatal error does not need. */
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", errstr,
                                  sizeof(errstr)),
                     KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "log.level", "crit", errstr, sizeof(errstr)), KFK_OK);
    if (s)
        kfk_conf_set_error_cb(conf, on_error, s);
    kclient *c = kclient_new(conf, KCONF_ADMIN, NULL, errstr, sizeof(errstr));
    ck_assert_msg(c != NULL, "%s", errstr);
    return c;
}

START_TEST(test_fatal_error_reaches_error_cb_once)
{
    seen s = {0};
    kclient *c = client_with(&s);
    kclient_fatal(c, KFK_ERR_PRODUCER_FENCED, "fenced by epoch %d", 7);
    kclient_fatal(c, KFK_ERR_FATAL, "a second fatal error is not reported");
    ck_assert_int_eq(s.calls, 1);
    ck_assert_int_eq(s.err, KFK_ERR_PRODUCER_FENCED);
    ck_assert_str_eq(s.reason, "fenced by epoch 7");
    kclient_destroy(c);
}
END_TEST

START_TEST(test_fatal_error_without_error_cb_is_only_logged)
{
    kclient *c = client_with(NULL);
    kclient_fatal(c, KFK_ERR_FATAL, "no callback set");
    ck_assert(!kclient_destroying(c));
    kclient_destroy(c);
}
END_TEST

static Suite *client_fatal_suite(void)
{
    Suite *s = suite_create("client_fatal");
    TCase *tc = tcase_create("error_cb");
    tcase_add_test(tc, test_fatal_error_reaches_error_cb_once);
    tcase_add_test(tc, test_fatal_error_without_error_cb_is_only_logged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(client_fatal_suite()); }
