/* lib/net against a broker (KFK_TEST_BOOTSTRAP: real Kafka or the mock):
 * connect, negotiate versions, fetch metadata, pipeline many requests,
 * and resolve a host name on the resolver thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/time.h"
#include "kwire_client.h"
#include "net/conn.h"
#include "net/sock.h"
#include "proto/gen/metadata.h"

typedef struct io {
    kloop *loop;
    kconn_group *group;
    kconn_config cfg;
    kresolver *resolver;
} io;

static void io_start(io *x)
{
    kconn_config_defaults(&x->cfg);
    x->cfg.client_id = "kfk-net-it";
    x->cfg.log.level = getenv("KFK_TEST_DEBUG") ? KFK_LOG_DEBUG : KFK_LOG_WARNING;
    x->resolver = kresolver_new(&x->cfg.log);
    x->cfg.resolver = x->resolver;
    x->loop = kloop_new("kfk-it-io", &x->cfg.log);
    x->group = kconn_group_new(x->loop, &x->cfg);
    ck_assert_int_eq(kloop_start(x->loop), 0);
}

static kconn_group *closing;
static void close_all(ktask *t)
{
    (void)t;
    kconn_group_close_all(closing, KFK_ERR_DESTROYED);
}

static void io_stop(io *x)
{
    ktask final = {.fn = close_all};
    closing = x->group;
    kloop_stop(x->loop, &final);
    kconn_group_free(x->group);
    kloop_free(x->loop);
    kresolver_free(x->resolver);
}

/* The first host:port of the bootstrap list. */
static void first_broker(char *host, size_t hostlen, int *port)
{
    const char *b = ktest_bootstrap();
    ck_assert_ptr_nonnull(b);
    const char *comma = strchr(b, ',');
    size_t len = comma ? (size_t)(comma - b) : strlen(b);
    ck_assert_int_eq(ksock_split_hostport(b, len, host, hostlen, port), 0);
}

typedef struct result {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done, ok, brokers, version;
    kfk_err last_err;
} result;

static result R;

static void on_metadata(kreq *r, kfk_err err, void *resp, karena *a)
{
    (void)a;
    pthread_mutex_lock(&R.lock);
    R.done++;
    R.last_err = err;
    if (!err) {
        R.ok++;
        R.brokers = ((kp_metadata_response *)resp)->n_brokers;
        R.version = r->version;
    }
    pthread_cond_broadcast(&R.cond);
    pthread_mutex_unlock(&R.lock);
}

static void reset(void)
{
    pthread_mutex_destroy(&R.lock);
    pthread_cond_destroy(&R.cond);
    memset(&R, 0, sizeof(R));
    pthread_mutex_init(&R.lock, NULL);
    pthread_cond_init(&R.cond, NULL);
}

static void wait_for(int n, int timeout_ms)
{
    int64_t deadline = ktime_mono_ns() + (int64_t)timeout_ms * KTIME_NS_PER_MS;
    pthread_mutex_lock(&R.lock);
    while (R.done < n && ktime_mono_ns() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&R.cond, &R.lock, &ts);
    }
    pthread_mutex_unlock(&R.lock);
    ck_assert_int_eq(R.done, n);
}

START_TEST(test_connects_negotiates_and_fetches_metadata)
{
    char host[256];
    int port;
    first_broker(host, sizeof(host), &port);
    io x;
    io_start(&x);
    reset();
    kconn *c = kconn_new(x.group, -1, host, port, NULL);
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.n_topics = -1; /* every topic */
    kreq r;
    kreq_init(&r, &kp_metadata_client, &body, ktime_mono_ns() + 15 * KTIME_NS_PER_S, on_metadata,
              NULL);
    kconn_submit(c, &r);
    wait_for(1, 20000);
    ck_assert_msg(R.ok == 1, "metadata failed: %s", kfk_err_str(R.last_err));
    ck_assert_int_ge(R.brokers, 1);
    ck_assert_int_ge(R.version, 9); /* any broker of the last five years */
    io_stop(&x);
}
END_TEST

START_TEST(test_many_requests_pipeline_on_one_connection)
{
    enum { N = 300 };
    char host[256];
    int port;
    first_broker(host, sizeof(host), &port);
    io x;
    io_start(&x);
    reset();
    kconn *c = kconn_new(x.group, -1, host, port, NULL);
    static kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.n_topics = 0;
    static kreq reqs[N];
    int64_t deadline = ktime_mono_ns() + 20 * KTIME_NS_PER_S;
    for (int i = 0; i < N; i++) {
        kreq_init(&reqs[i], &kp_metadata_client, &body, deadline, on_metadata, NULL);
        kconn_submit(c, &reqs[i]);
    }
    wait_for(N, 30000);
    ck_assert_int_eq(R.ok, N);
    io_stop(&x);
}
END_TEST

START_TEST(test_host_name_resolves_off_the_io_thread)
{
    char host[256];
    int port;
    first_broker(host, sizeof(host), &port);
    if (strcmp(host, "127.0.0.1") != 0)
        return; /* only loopback clusters have a name we know: localhost */
    io x;
    io_start(&x);
    reset();
    kconn *c = kconn_new(x.group, -1, "localhost", port, NULL);
    kp_metadata_request body;
    kp_metadata_request_init(&body);
    body.n_topics = 0;
    kreq r;
    kreq_init(&r, &kp_metadata_client, &body, ktime_mono_ns() + 15 * KTIME_NS_PER_S, on_metadata,
              NULL);
    kconn_submit(c, &r);
    wait_for(1, 20000);
    /* localhost may resolve to ::1 first, where nothing listens: the
     * connection moves on to the next address. */
    ck_assert_msg(R.ok == 1, "metadata via localhost failed: %s", kfk_err_str(R.last_err));
    io_stop(&x);
}
END_TEST

static Suite *net_broker_suite(void)
{
    Suite *s = suite_create("net_broker");
    TCase *tc = tcase_create("broker");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_connects_negotiates_and_fetches_metadata);
    tcase_add_test(tc, test_many_requests_pipeline_on_one_connection);
    tcase_add_test(tc, test_host_name_resolves_off_the_io_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(net_broker_suite());
}
