/* The mock cluster's life: brokers and their listeners, the loop thread
 * (a kloop whose hooks hold mc->lock while it is awake), and hand-offs
 * from control functions to the loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/murmur2.h"
#include "base/time.h"
#include "mock/groups.h"
#include "mock/mock.h"
#include "mock/txn.h"

/* ------------------------------------------------------------ randomness */

void mock_random(void *p, size_t n)
{
    uint8_t *b = p;
    while (n) {
        ssize_t got = getrandom(b, n, 0);
        if (got <= 0) break;
        b += got;
        n -= (size_t)got;
    }
    /* No entropy source: a clock-seeded xorshift is enough for mock ids. */
    uint64_t x = (uint64_t)ktime_mono_ns() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)p;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (uint8_t)x;
    }
}

/* A cluster id as Kafka makes them: a random UUID in URL-safe base64. */
static void make_cluster_id(char out[23])
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t u[16];
    mock_random(u, sizeof(u));
    for (int i = 0; i < 22; i++) {
        int bit = i * 6, byte = bit / 8, shift = bit % 8;
        unsigned v = (unsigned)u[byte] << 8 | (byte + 1 < 16 ? u[byte + 1] : 0);
        out[i] = abc[(v >> (10 - shift)) & 63];
    }
    out[22] = '\0';
}

int32_t mock_coordinator(mock_cluster *mc, int8_t key_type, kslice key)
{
    uint32_t h = key.len ? kmurmur2(key.ptr, key.len) : 0;
    h = (h ^ (uint32_t)key_type * 0x9e3779b9u) & 0x7fffffff;
    for (int i = 0; i < mc->n_brokers; i++) {
        mock_broker *b = &mc->brokers[(h + (uint32_t)i) % (uint32_t)mc->n_brokers];
        if (!b->down) return b->id;
    }
    return -1;
}

/* ------------------------------------------------------------------- loop */

void mock_loop_poke(mock_cluster *mc)
{
    if (!kloop_on_thread(mc->loop)) kloop_wake(mc->loop);
}

void mock_loop_sync(mock_cluster *mc)
{
    uint64_t ticket = ++mc->sync_asked;
    kloop_wake(mc->loop);
    while (mc->sync_done < ticket && !mc->stop)
        pthread_cond_wait(&mc->synced, &mc->lock);
}

/* -------------------------------------------------------------- listeners */

static int listener_open(mock_broker *b)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)b->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 512) ||
        getsockname(fd, (struct sockaddr *)&sa, &len)) {
        close(fd);
        return -1;
    }
    if (!b->port) b->port = ntohs(sa.sin_port); /* fixed from then on: read unlocked */
    b->listener.fd = fd;
    b->listener.fn = mock_conn_accept;
    if (kloop_io_add(b->mc->loop, &b->listener, EPOLLIN)) {
        close(fd);
        b->listener.fd = -1;
        return -1;
    }
    return 0;
}

static void listener_close(mock_broker *b)
{
    if (b->listener.fd < 0) return;
    kloop_io_del(b->mc->loop, &b->listener);
    close(b->listener.fd);
    b->listener.fd = -1;
}

/* set_down's half that needs no loop: the listening socket. */
kfk_err mock_broker_listen(mock_broker *b, bool on)
{
    if (!on) {
        listener_close(b);
        return KFK_OK;
    }
    if (b->listener.fd >= 0) return KFK_OK;
    return listener_open(b) ? KFK_ERR_TRANSPORT : KFK_OK;
}

/* ------------------------------------------------------------- loop pass */

static void close_conns(mock_broker *b)
{
    while (b->conns)
        mock_conn_close(b->conns);
}

/* Carries out what control functions asked of the brokers. */
static void apply_broker_requests(mock_cluster *mc)
{
    for (int i = 0; i < mc->n_brokers; i++) {
        mock_broker *b = &mc->brokers[i];
        if (b->drop_pending || b->down) close_conns(b);
        b->drop_pending = false;
    }
}

static void loop_lock(void *arg)
{
    mock_cluster *mc = arg;
    pthread_mutex_lock(&mc->lock);
}

static void loop_unlock(void *arg)
{
    mock_cluster *mc = arg;
    pthread_mutex_unlock(&mc->lock);
}

/* After the pass's events, timers and tasks: what control functions left
 * in the brokers, and what the pass itself left for later in it. */
static void loop_pass_end(void *arg)
{
    mock_cluster *mc = arg;
    apply_broker_requests(mc);
    /* Resumed connections may park or wake others: until all is quiet. */
    do {
        mock_groups_unpark_all(mc);
        mock_fetch_wake_all(mc);
    } while (mc->groups.n_unpark);
    mock_conns_free_closed(mc);
    if (mc->sync_done != mc->sync_asked) {
        mc->sync_done = mc->sync_asked;
        pthread_cond_broadcast(&mc->synced);
    }
}

/* -------------------------------------------------------------- lifecycle */

static int make_bootstrap(mock_cluster *mc)
{
    size_t cap = (size_t)mc->n_brokers * 22 + 1;
    mc->bootstrap = malloc(cap);
    if (!mc->bootstrap) return -1;
    size_t len = 0;
    for (int i = 0; i < mc->n_brokers; i++)
        len += (size_t)snprintf(mc->bootstrap + len, cap - len, "%s127.0.0.1:%d", i ? "," : "",
                                mc->brokers[i].port);
    return 0;
}

static int brokers_init(mock_cluster *mc, int n)
{
    mc->brokers = calloc((size_t)n, sizeof(*mc->brokers));
    if (!mc->brokers) return -1;
    mc->n_brokers = n;
    for (int i = 0; i < n; i++) {
        mock_broker *b = &mc->brokers[i];
        b->mc = mc;
        b->id = i + 1;
        b->listener.fd = -1;
        if (listener_open(b)) return -1;
    }
    return make_bootstrap(mc);
}

static int start_loop(mock_cluster *mc)
{
    kloop_set_hooks(mc->loop, &(kloop_hooks){loop_lock, loop_unlock, loop_pass_end, mc});
    /* Signals go to the application's threads, never to the mock's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = kloop_start(mc->loop);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void cluster_free(mock_cluster *mc)
{
    for (int i = 0; i < mc->n_brokers; i++) {
        mock_broker *b = &mc->brokers[i];
        close_conns(b);
        listener_close(b);
        mock_fetch_sessions_free(b);
    }
    mock_conns_free_closed(mc);
    mock_groups_free(mc);
    mock_acls_free(mc);
    for (size_t i = 0; i < mc->n_topics; i++)
        mock_topic_free(mc, mc->topics[i]);
    free(mc->topics);
    free(mc->brokers);
    free(mc->bootstrap);
    free(mc->errq);
    mock_txns_free(mc);
    mock_security_free(&mc->sec);
    kloop_free(mc->loop); /* after everything that disarms its timers */
    pthread_cond_destroy(&mc->synced);
    pthread_mutex_destroy(&mc->lock);
    free(mc);
}

kfk_mock_cluster *kfk_mock_cluster_new(int n_brokers)
{
    return kfk_mock_cluster_new_secure(n_brokers, NULL);
}

kfk_mock_cluster *kfk_mock_cluster_new_secure(int n_brokers, const kfk_mock_security *sec)
{
    if (n_brokers < 1 || n_brokers > KFK_MOCK_MAX_BROKERS) return NULL;
    mock_cluster *mc = calloc(1, sizeof(*mc));
    if (!mc) return NULL;
    pthread_mutex_init(&mc->lock, NULL);
    pthread_cond_init(&mc->synced, NULL);
    mc->loop = kloop_new("kfk-mock", NULL);
    mc->retention_bytes = MOCK_DEFAULT_RETENTION;
    mc->check_crcs = true;
    mc->auto_create_partitions = 1;
    mc->txn_version = 2; /* what a new Kafka 4.3 cluster finalizes */
    mc->features_epoch = 1;
    mc->txn_max_timeout_ms = MOCK_MAX_TXN_TIMEOUT_MS;
    mc->partition_page_limit = MOCK_PARTITION_PAGE_LIMIT;
    mc->next_producer_id = 0;
    mc->next_session_id = 1;
    mock_groups_init(&mc->groups);
    mc->share = (mock_share_conf){
        .lock_ms = 30000, .delivery_limit = 5, .session_ms = 45000, .hb_ms = 5000};
    mc->next_share_session_id = 1;
    make_cluster_id(mc->cluster_id);
    if (sec && mock_security_init(&mc->sec, sec)) {
        cluster_free(mc);
        return NULL;
    }
    mock_api_init(mc);
    if (!mc->loop || brokers_init(mc, n_brokers) || start_loop(mc)) {
        cluster_free(mc);
        return NULL;
    }
    return mc;
}

void kfk_mock_cluster_destroy(kfk_mock_cluster *mc)
{
    if (!mc) return;
    pthread_mutex_lock(&mc->lock);
    mc->stop = true;
    pthread_cond_broadcast(&mc->synced); /* a sync in progress gives up */
    pthread_mutex_unlock(&mc->lock);
    kloop_stop(mc->loop, NULL);
    cluster_free(mc);
}

const char *kfk_mock_cluster_bootstrap(const kfk_mock_cluster *mc)
{
    return mc ? mc->bootstrap : NULL;
}

int kfk_mock_broker_port(const kfk_mock_cluster *mc, int32_t broker_id)
{
    if (!mc || broker_id < 1 || broker_id > mc->n_brokers) return -1;
    return mc->brokers[broker_id - 1].port; /* fixed after new */
}
