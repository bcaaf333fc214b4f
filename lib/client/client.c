/* kclient's life cycle: configuration, threads, shutdown. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/container_of.h"
#include "base/time.h"
#include "base/topic_name.h"
#include "client/client_int.h"

/* Responses may exceed fetch.max.bytes by the per-partition overheads and
 * one whole batch; anything far larger is a broken or hostile peer. */
#define FRAME_MAX_FLOOR (100 * 1024 * 1024)

static void on_conn_state(void *opaque, kconn *conn, kconn_state from, kconn_state to)
{
    kclient *c = opaque;
    kclient_note_conn_state(c, conn, from, to);
    /* A broker that went away, or cannot be reached (a crashed node
     * refuses connections until the cluster fences it and moves its
     * leaderships), may have taken leaderships with it: ask where they
     * went now rather than at the next periodic refresh. Refreshes are
     * paced by retry.backoff.ms, reconnects by reconnect.backoff.ms. */
    if (to == KCONN_BACKOFF && kconn_node_id(conn) >= 0 && !kclient_destroying(c))
        kclient_refresh(c, from == KCONN_READY ? "broker connection lost"
                                               : "broker could not be reached");
}

static void on_conn_throttle(void *opaque, kconn *conn, int throttle_ms)
{
    kclient *c = opaque;
    void *cb_opaque;
    kfk_throttle_cb *cb = (kfk_throttle_cb *)kconf_cb(c->conf, KCONF_THROTTLE_CB, &cb_opaque);
    if (!cb || kclient_destroying(c)) return;
    /* A coordinator connection's node id is INT32_MAX - the broker's. */
    int32_t id = kconn_node_id(conn);
    cb(cb_opaque, c->handle, kconn_name(conn), id > INT32_MAX / 2 ? INT32_MAX - id : id,
       throttle_ms);
}

static void conn_config(kclient *c)
{
    const kfk_conf *conf = c->conf;
    kconn_config *cc = &c->conn_cfg;
    kconn_config_defaults(cc);
    const char *id = kconf_str(conf, KCONF_CLIENT_ID);
    cc->client_id = *id ? id : NULL;
    cc->setup_timeout_ms = kconf_i64(conf, KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MS);
    cc->setup_timeout_max_ms = kconf_i64(conf, KCONF_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS);
    cc->backoff_ms = kconf_i64(conf, KCONF_RECONNECT_BACKOFF_MS);
    cc->backoff_max_ms = kconf_i64(conf, KCONF_RECONNECT_BACKOFF_MAX_MS);
    cc->idle_ms = kconf_i64(conf, KCONF_CONNECTIONS_MAX_IDLE_MS);
    cc->max_in_flight = kconf_int(conf, KCONF_MAX_IN_FLIGHT);
    cc->sndbuf = kconf_int(conf, KCONF_SEND_BUFFER_BYTES);
    cc->rcvbuf = kconf_int(conf, KCONF_RECEIVE_BUFFER_BYTES);
    int64_t fetch_max = kconf_i64(conf, KCONF_FETCH_MAX_BYTES);
    int64_t frame_max = fetch_max * 2 > FRAME_MAX_FLOOR ? fetch_max * 2 : FRAME_MAX_FLOOR;
    cc->frame_max_bytes = (size_t)frame_max;
    cc->resolver = c->resolver;
    cc->log = c->log;
    cc->on_state = on_conn_state;
    cc->on_throttle = on_conn_throttle;
    cc->tls = c->tls;
    cc->sasl = c->sasl ? ksasl_mechanism(c->sasl) : NULL;
    cc->worker = c->sasl_worker;
    cc->on_error = kclient_on_conn_error;
}

static void read_settings(kclient *c)
{
    const kfk_conf *conf = c->conf;
    c->request_timeout_ms = kconf_i64(conf, KCONF_REQUEST_TIMEOUT_MS);
    c->retry_backoff_ms = kconf_i64(conf, KCONF_RETRY_BACKOFF_MS);
    c->retry_backoff_max_ms = kconf_i64(conf, KCONF_RETRY_BACKOFF_MAX_MS);
    c->metadata_max_age_ms = kconf_i64(conf, KCONF_METADATA_MAX_AGE_MS);
    c->rebootstrap_ms =
        kconf_int(conf, KCONF_METADATA_RECOVERY_STRATEGY) == KCONF_RECOVERY_REBOOTSTRAP
            ? kconf_i64(conf, KCONF_METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS)
            : -1;
    /* The Java producer always lets Metadata create topics; the consumer
     * follows allow.auto.create.topics; an admin client never does. */
    c->auto_create_topics =
        c->type == KCONF_PRODUCER ||
        (c->type == KCONF_CONSUMER && kconf_bool(conf, KCONF_ALLOW_AUTO_CREATE_TOPICS));
    int threads = kconf_int(conf, KCONF_IO_THREADS);
    if (threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (int)cores : 1;
    }
    c->max_io = threads;
}

kio_thread *kclient_io_for_broker(kclient *c, bool bootstrap)
{
    int idx = bootstrap ? 0 : c->next_io++ % c->max_io;
    kio_thread *io = &c->io[idx];
    if (io->loop) return io;
    char name[24]; /* thread names keep 15 bytes: enough for 9999 threads */
    snprintf(name, sizeof(name), "kfk-io-%d", idx + 1);
    io->loop = kloop_new(name, &c->log);
    io->group = io->loop ? kconn_group_new(io->loop, &c->conn_cfg) : NULL;
    if (!io->group || kloop_start(io->loop) < 0) {
        kconn_group_free(io->group);
        kloop_free(io->loop);
        io->loop = NULL;
        io->group = NULL;
        /* The lock is held, so no logging (the callback is the
         * application's); loop 0 takes the broker instead. */
        return idx ? &c->io[0] : NULL;
    }
    c->n_io++;
    return io;
}

static int start(kclient *c, char *errstr, size_t errlen)
{
    c->resolver = kresolver_new(&c->log);
    c->io = calloc((size_t)c->max_io, sizeof(*c->io));
    c->bg = kloop_new("kfk-bg", &c->log);
    if (c->sasl && ksasl_mechanism(c->sasl)->may_block) c->sasl_worker = kworker_new("kfk-sasl");
    bool worker_ok = !c->sasl || !ksasl_mechanism(c->sasl)->may_block || c->sasl_worker;
    if (!c->resolver || !c->io || !c->bg || !worker_ok || kloop_start(c->bg) < 0) {
        snprintf(errstr, errlen, "cannot start the client's threads");
        return -1;
    }
    conn_config(c);
    pthread_mutex_lock(&c->lock);
    bool ok = kclient_io_for_broker(c, true) != NULL;
    pthread_mutex_unlock(&c->lock);
    if (!ok) {
        snprintf(errstr, errlen, "cannot start the client's threads");
        return -1;
    }
    if (kclient_bootstrap_init(c, errstr, errlen) < 0) return -1;
    return kclient_add_bootstrap(c, errstr, errlen);
}

/* Counts the forks this process came through (as a child): a client
 * made before the last one belongs to the parent. */
static atomic_uint fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
    atomic_fetch_add_explicit(&fork_generation, 1, memory_order_relaxed);
}

static void atfork_register(void)
{
    pthread_atfork(NULL, NULL, on_fork_child);
}

bool kclient_forked(const kclient *c)
{
    return c && atomic_load_explicit(&fork_generation, memory_order_relaxed) != c->fork_generation;
}

kstats_timer *kclient_stats_timer(kclient *c)
{
    return &c->stats;
}

void *kclient_handle(const kclient *c)
{
    return c ? c->handle : NULL;
}

kclient *kclient_new(kfk_conf *conf, kconf_client type, void *handle, char *errstr, size_t errlen)
{
    char scratch[1];
    if (!errstr || !errlen) {
        errstr = scratch;
        errlen = sizeof(scratch);
    }
    if (!conf) {
        snprintf(errstr, errlen, "no configuration");
        return NULL;
    }
    if (kconf_validate(conf, type, errstr, errlen)) {
        kfk_conf_destroy(conf);
        return NULL;
    }
    kclient *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(errstr, errlen, "out of memory");
        kfk_conf_destroy(conf);
        return NULL;
    }
    c->conf = conf;
    c->type = type;
    pthread_once(&atfork_once, atfork_register);
    c->fork_generation = atomic_load_explicit(&fork_generation, memory_order_relaxed);
    c->handle = handle;
    c->serial = kclient_next_serial();
    c->created_ns = ktime_mono_ns();
    kstats_timer_init(&c->stats, conf);
    kconf_logger(conf, &c->log);
    c->log.handle = handle;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    kmeta_init(&c->meta);
    read_settings(c);
    krefresh_init(c);
    kcall_init_client(c);
    if (kclient_security_init(c, errstr, errlen) < 0 || kclient_kinit_init(c, errstr, errlen) < 0 ||
        start(c, errstr, errlen) < 0) {
        kclient_destroy(c);
        return NULL;
    }
    krefresh_start(c);
    kclient_security_start(c);
    kclient_kinit_start(c);
    return c;
}

/* The final tasks of the loops: run on their own threads as they stop. */
typedef struct stop_task {
    ktask task;
    kclient *c;
    kconn_group *group;
} stop_task;

static void stop_bg(ktask *t)
{
    stop_task *s = container_of(t, stop_task, task);
    krefresh_stop(s->c);
    kcall_fail_bg(s->c, KFK_ERR_DESTROYED);
}

static void stop_io(ktask *t)
{
    stop_task *s = container_of(t, stop_task, task);
    kconn_group_close_all(s->group, KFK_ERR_DESTROYED);
}

void kclient_destroy(kclient *c)
{
    if (!c) return;
    atomic_store(&c->destroying, true);
    /* bg first: calls parked or in backoff end there. Completions still
     * arriving on the I/O threads then find bg gone and finish at once. */
    if (c->bg) {
        stop_task s = {{.fn = stop_bg}, c, NULL};
        kloop_stop(c->bg, &s.task);
    }
    for (int i = 0; c->io && i < c->max_io; i++) {
        if (!c->io[i].loop) continue;
        stop_task s = {{.fn = stop_io}, c, c->io[i].group};
        kloop_stop(c->io[i].loop, &s.task);
    }
    /* Every thread is gone: nothing runs concurrently any more. */
    kclient_brokers_free(c);
    for (int i = 0; c->io && i < c->max_io; i++) {
        kconn_group_free(c->io[i].group);
        kloop_free(c->io[i].loop);
    }
    free(c->io);
    kloop_free(c->bg);
    kresolver_free(c->resolver);
    /* After the I/O loops (their connections cancelled its calls), before
     * the mechanism it calls is freed. */
    kworker_free(c->sasl_worker);
    kclient_security_free(c);
    kcoord_free_all(c);
    krefresh_free(c);
    kmeta_free(&c->meta);
    free(c->bootstrap);
    for (int i = 0; i < c->n_want; i++)
        free(c->want[i]);
    free(c->want);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    kfk_conf_destroy(c->conf);
    free(c);
}

bool kclient_destroying(const kclient *c)
{
    return atomic_load(&c->destroying);
}

const kfk_conf *kclient_conf(const kclient *c)
{
    return c->conf;
}

const klogger *kclient_log(const kclient *c)
{
    return &c->log;
}

kloop *kclient_bg_loop(const kclient *c)
{
    return c->bg;
}

kmeta *kclient_meta(kclient *c)
{
    return &c->meta;
}

int64_t kclient_deadline(int timeout_ms)
{
    return ktime_mono_ns() + (int64_t)(timeout_ms < 0 ? 0 : timeout_ms) * KTIME_NS_PER_MS;
}

void kclient_fatal(kclient *c, kfk_err err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&c->lock);
    bool first = !c->fatal_reported;
    c->fatal_reported = true;
    pthread_mutex_unlock(&c->lock);
    if (!first)
        return;
    klog(&c->log, KFK_LOG_ERR, "client", "fatal error %s: %s", kfk_err_name(err), msg);
    void *opaque;
    kfk_error_cb *cb = (kfk_error_cb *)kconf_cb(c->conf, KCONF_ERROR_CB, &opaque);
    if (cb) cb(opaque, c->handle, err, msg);
}

void kclient_error(kclient *c, kfk_err err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    klog(&c->log, KFK_LOG_ERR, "client", "%s: %s", kfk_err_name(err), msg);
    void *opaque;
    kfk_error_cb *cb = (kfk_error_cb *)kconf_cb(c->conf, KCONF_ERROR_CB, &opaque);
    if (cb) cb(opaque, c->handle, err, msg);
}

/* Each topic the answer says the client may not use, unless the cache
 * said so already: error_cb hears it once each time a topic becomes so
 * (the calls that need the topic fail with the same error). Before the
 * cache takes the answer. */
static void report_unauthorized(kclient *c, const kp_metadata_response *resp)
{
    for (int32_t i = 0; i < resp->n_topics; i++) {
        const kp_metadata_response_topic *rt = &resp->topics[i];
        char name[KTOPIC_NAME_MAX + 1];
        if (rt->error_code != KFK_ERR_TOPIC_AUTHORIZATION_FAILED || !rt->name.ptr ||
            rt->name.len >= sizeof(name))
            continue;
        memcpy(name, rt->name.ptr, rt->name.len);
        name[rt->name.len] = '\0';
        kmeta_topic *t = kmeta_topic_get(&c->meta, name);
        bool known = t && t->err == KFK_ERR_TOPIC_AUTHORIZATION_FAILED;
        if (t) kmeta_topic_unref(t);
        if (!known)
            kclient_error(c, KFK_ERR_TOPIC_AUTHORIZATION_FAILED,
                          "topic \"%s\": not authorized for this client's principal", name);
    }
}

void kclient_metadata_apply(kclient *c, const kp_metadata_response *resp, bool all_topics)
{
    kclient_brokers_apply(c, resp);
    report_unauthorized(c, resp);
    if (kmeta_update(&c->meta, resp, all_topics) < 0)
        klog(&c->log, KFK_LOG_WARNING, "metadata", "out of memory updating the metadata cache");
}

void kclient_leader_hint(kclient *c, const char *topic, int32_t partition, int32_t leader,
                         int32_t epoch)
{
    if (kmeta_leader_hint(&c->meta, topic, partition, leader, epoch) > 0)
        klog(&c->log, KFK_LOG_DEBUG, "metadata", "%s [%d]: leader %d (epoch %d) from a hint", topic,
             partition, leader, epoch);
}
