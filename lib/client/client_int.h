/* What the files of lib/client share; nothing outside lib/client includes
 * this. */
#ifndef KFK_CLIENT_CLIENT_INT_H
#define KFK_CLIENT_CLIENT_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "client/client.h"
#include "client/oidc_login.h"
#include "client/stats.h"
#include "net/resolver.h"
#include "proto/gen/find_coordinator.h"
#include "sasl/ksasl.h"

/* One I/O thread: its loop and the connections it owns. */
typedef struct kio_thread {
    kloop *loop;
    kconn_group *group;
} kio_thread;

/* A cached coordinator and its lookup. */
typedef struct kcoord {
    struct kcoord *next;
    int8_t type;
    int32_t node_id;     /* -1: unknown */
    bool lookup_running; /* a FindCoordinator for it is in flight */
    bool old_format;     /* the broker speaks FindCoordinator v0-3 only */
    kfk_err failed;      /* the last lookup's terminal error, for the calls parked on it */
    kcall lookup;
    kp_find_coordinator_request body;
    kslice key_slice;
    char key[];
} kcoord;

/* The metadata refresh: its state lives on kfk-bg, except what the lock
 * guards. */
typedef struct krefresh {
    ktask trigger_task; /* posted by kclient_refresh */
    atomic_bool trigger_queued;
    ktask done_task;       /* posted by the call's completion */
    ktimer timer;          /* bg: the next periodic or deferred refresh */
    bool running;          /* bg: a refresh call is in flight */
    bool again;            /* bg: another was asked for meanwhile */
    bool all_topics;       /* bg: what the running one asked */
    kfk_err result;        /* written before done_task is posted */
    uint32_t failures;     /* bg: consecutive failed refreshes */
    int64_t last_ok_ns;    /* bg: when a refresh last succeeded (or the client started) */
    int64_t last_start_ns; /* bg */
    uint64_t asked_gen;    /* want_gen the last request was built from, under kclient.lock */
    /* kclient_set_meta_watch: called on bg after each successful refresh */
    _Atomic(kclient_meta_watch_fn *) watch;
    void *_Atomic watch_opaque;
    kcall call;
    kp_metadata_request body;
    kp_metadata_request_topic *topics;
    int32_t n_topics_cap;
    /* under kclient.lock */
    uint64_t started, finished; /* sequence numbers, for refresh_wait */
    kfk_err last_result;        /* the finished refresh's result, under c->lock */
} krefresh;

struct kclient {
    kfk_conf *conf;
    void *handle;    /* the kfk_producer, kfk_consumer or kfk_admin on top */
    uint64_t serial; /* unique in the process: keys the last-error texts */
    kconf_client type;
    unsigned fork_generation; /* the process's, when c was made */
    int64_t created_ns;       /* monotonic: statistics' age */
    kstats_timer stats;       /* statistics.interval.ms and stats_cb (stats.h) */
    /* Requests and bytes of connections whose broker left the registry (a
     * bootstrap entry, a broker that left the cluster), up to then: the
     * statistics' totals keep them. kstats_conn_gone adds; KSTATS_GONE_*
     * index. */
    _Atomic int64_t stats_gone[KSTATS_GONE__COUNT];
    /* kclient_stats_wake_on: kfk-bg signals the application's wake-up fd
     * when a document is due */
    void (*stats_wake)(void *opaque);
    void *stats_wake_opaque;
    ktimer stats_wake_timer;
    ktask stats_wake_task; /* arms stats_wake_timer on kfk-bg */
    /* reachability.c: connections READY now; "all brokers down" reported */
    atomic_int conns_ready;
    atomic_bool all_down;
    klogger log;
    kconn_config conn_cfg;
    ktls_ctx *tls; /* NULL: plaintext */
    ksasl *sasl;   /* NULL: no SASL */
    koidc_login *oidc; /* NULL: no token endpoint */
    kworker *sasl_worker; /* runs a blocking mechanism's calls; NULL: none blocks */
    ktimer token_timer;    /* kfk-bg: the next OAUTHBEARER token fetch */
    ktask token_task;      /* arms token_timer on kfk-bg */
    int64_t token_next_ms; /* kfk-bg: when, from the last fetch */
    bool kinit;             /* GSSAPI with a key tab: kinit.c logs in */
    ktimer kinit_timer;     /* kfk-bg: the next kinit */
    ktask kinit_task;       /* arms kinit_timer on kfk-bg */
    int64_t kinit_every_ms; /* sasl.kerberos.min.time.before.relogin; 0: once */
    /* kclient_set_error_watch: called on I/O threads for each TLS or
     * authentication failure */
    _Atomic(kclient_error_watch_fn *) err_watch;
    void *_Atomic err_watch_opaque;
    kresolver *resolver;
    kloop *bg;
    kmeta meta;
    atomic_bool destroying;
    atomic_uint rotate; /* spreads least-loaded ties */
    atomic_uint_fast64_t brokers_version;

    int64_t request_timeout_ms;
    int64_t retry_backoff_ms, retry_backoff_max_ms;
    int64_t metadata_max_age_ms;
    int64_t rebootstrap_ms; /* KIP-899; -1: never start over from bootstrap.servers */
    bool auto_create_topics;

    pthread_mutex_t lock; /* protects everything below */
    pthread_cond_t cond;  /* a refresh finished */
    kbroker **brokers;    /* sorted by id */
    int n_brokers, cap_brokers;
    bool have_real_brokers;
    int next_bootstrap_id;
    char *bootstrap; /* the bootstrap entries (bootstrap.c): set in kclient_new, then read-only */
    kio_thread *io; /* max_io slots, n_io started */
    int n_io, max_io;
    int next_io; /* loop for the next real broker */
    char **want; /* topics the refresh asks for, sorted */
    int n_want, cap_want;
    bool want_all;
    uint64_t want_gen; /* bumped when a topic (or every topic) is newly wanted */
    bool fatal_reported;
    kcoord *coords;
    krefresh refresh;

    ktask reroute_task; /* routes parked calls again (kclient_reroute_soon) */
    atomic_bool reroute_queued;
    kcall *bg_calls; /* kfk-bg only: calls parked or waiting to retry */
};

/* security.c */
/* Builds c->tls and c->sasl from the configuration; -1 with the reason in
 * errstr. */
int kclient_security_init(kclient *c, char *errstr, size_t errlen);
/* Starts refreshing OAUTHBEARER tokens on kfk-bg, when the application
 * supplies them. After the threads started. */
void kclient_security_start(kclient *c);
void kclient_security_free(kclient *c);
/* kconn_config.on_error: hands a TLS or authentication failure to the
 * application's error callback. */
void kclient_on_conn_error(void *opaque, kconn *conn, kfk_err err, const char *reason);

/* kinit.c */
/* GSSAPI with a key tab: runs kinit once (blocking while it talks to the
 * KDC); -1 with the reason in errstr only when the key tab cannot be
 * read. After kclient_security_init. */
int kclient_kinit_init(kclient *c, char *errstr, size_t errlen);
/* Runs kinit again every sasl.kerberos.min.time.before.relogin on kfk-bg.
 * After the threads started. */
void kclient_kinit_start(kclient *c);

/* broker.c */
/* The connection for calls routed KROUTE_COORDINATOR to b (see kbroker):
 * created on first use, on conn's loop. b->conn for a bootstrap entry
 * (never a coordinator) or when out of memory. Any thread, with a
 * reference to b held. */
kconn *kbroker_coord_conn(kbroker *b);
int kclient_add_bootstrap(kclient *c, char *errstr, size_t errlen);
/* reachability.c: a connection of c changed state (its loop thread). */
void kclient_note_conn_state(kclient *c, kconn *conn, kconn_state from, kconn_state to);
/* bootstrap.c: c->bootstrap from bootstrap.servers and client.dns.lookup.
 * -1 with the reason in errstr. */
int kclient_bootstrap_init(kclient *c, char *errstr, size_t errlen);
/* KIP-899: none of the known brokers answered for too long; adds the
 * bootstrap entries again so the next refresh may start over there. */
void kclient_rebootstrap(kclient *c);
void kclient_brokers_apply(kclient *c, const kp_metadata_response *resp);
void kclient_brokers_free(kclient *c);
/* The I/O thread for the next broker (lock held); starts it if needed.
 * NULL when it cannot start. */
kio_thread *kclient_io_for_broker(kclient *c, bool bootstrap);

/* refresh.c */
void krefresh_init(kclient *c);
/* bg: the refresh timer's first arming, after the client started. */
void krefresh_start(kclient *c);
void krefresh_free(kclient *c);
/* bg at shutdown: wakes refresh waiters. */
void krefresh_stop(kclient *c);

/* call.c */
/* bg: routes every parked call again (routing information changed). */
void kcall_reroute_parked(kclient *c);
/* bg, at shutdown: completes every parked or waiting call. */
void kcall_fail_bg(kclient *c, kfk_err err);
/* Any thread: routing information changed; parked calls try again. */
void kclient_reroute_soon(kclient *c);
void kcall_init_client(kclient *c);

/* coord.c */
/* The coordinator's node id for key; -1 with a lookup started (or
 * running), or -1 with *err set when the last lookup failed for good (the
 * error is then reported once). Any thread. */
int32_t kcoord_lookup(kclient *c, int8_t type, const char *key, kfk_err *err);
void kcoord_free_all(kclient *c);

#endif
