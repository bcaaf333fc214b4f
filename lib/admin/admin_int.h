/* What the files of lib/admin share. */
#ifndef KFK_ADMIN_ADMIN_INT_H
#define KFK_ADMIN_ADMIN_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "client/client.h"
#include "kfk.h"

struct kfk_admin {
    kclient *client;
};

/* A call the application thread blocks on: its done handler records
 * what it needs and then calls kadmin_wait_done. */
typedef struct kadmin_wait {
    pthread_mutex_t lock; /* protects done */
    pthread_cond_t cond;
    bool done;
} kadmin_wait;

void kadmin_wait_init(kadmin_wait *w);
void kadmin_wait_destroy(kadmin_wait *w);
/* The retries property: how often a request that failed with a
 * retriable error is sent again. */
static inline int32_t kadmin_retries(const kfk_admin *a)
{
    return (int32_t)kconf_i64(kclient_conf(a->client), KCONF_RETRIES);
}

/* Starts call on a's client and blocks until its done handler signalled
 * (retries as the retries property allows). */
void kadmin_run(kfk_admin *a, kcall *call, kadmin_wait *w);
/* From the call's done handler, last: wakes the waiting thread. */
void kadmin_wait_done(kadmin_wait *w);

/* One entry of a kfk_admin_result. */
typedef struct kadmin_entry {
    char *name;
    kfk_err err;
    char *msg;    /* NULL: none */
    void *detail; /* what the operation reports beyond err and msg; NULL: none */
} kadmin_entry;

/* What a result's details are, so that an accessor given another
 * operation's result answers "none" instead of misreading it. Each
 * operation family that has details adds its kind here. */
typedef enum kadmin_kind {
    KADMIN_KIND_PLAIN, /* name, error and message only */
    KADMIN_KIND_CONFIGS,
    KADMIN_KIND_GROUPS,
    KADMIN_KIND_GROUP_DESCRIPTIONS,
    KADMIN_KIND_STREAMS_GROUP_DESCRIPTIONS, /* starts with a GROUP_DESCRIPTIONS detail */
    KADMIN_KIND_ACLS,
    KADMIN_KIND_TRANSACTIONS,
    KADMIN_KIND_TRANSACTION_DESCRIPTIONS,
    KADMIN_KIND_PRODUCERS,
    KADMIN_KIND_FEATURES,
    KADMIN_KIND_QUORUM,
    KADMIN_KIND_SCRAM,
    KADMIN_KIND_QUOTAS,
    KADMIN_KIND_DELEGATION_TOKENS,
} kadmin_kind;

struct kfk_admin_result {
    size_t n, cap;
    kadmin_entry *e;
    kadmin_kind kind;
    void (*detail_free)(void *detail); /* frees one entry's detail */
};

/* A call's options, checked: its deadline and flags. */
typedef struct kadmin_opts {
    int timeout_ms; /* resolved: > 0 */
    int64_t deadline_ns;
    unsigned flags;
} kadmin_opts;

/* Checks options (NULL: defaults) for public call fn, which accepts the
 * KFK_ADMIN_* flags in allowed, and fills *out. KFK_OK, or
 * KFK_ERR_INVALID_ARG with a's last error naming what is wrong. The
 * deadline starts now. */
kfk_err kadmin_opts_check(kfk_admin *a, const char *fn, const kfk_admin_options *options,
                          unsigned allowed, kadmin_opts *out);

/* Called once per broker of a kadmin_each_broker call, one call at a
 * time, on an I/O thread: resp (NULL when err) lives only during the
 * call. */
typedef void kadmin_fanout_fn(void *opaque, int32_t broker_id, kfk_err err, void *resp);

/* Sends body with api to every broker of the cluster (after a metadata
 * refresh, so the list is current) at once and waits for every answer or
 * o's deadline; check (may be NULL) picks the answers to ask again, as
 * for any kcall, and min_version (0: the API's) is the lowest version
 * body can be sent at: a broker without it fails at once with
 * KFK_ERR_UNSUPPORTED_VERSION. Returns KFK_OK when each broker answered, else the first
 * failure (fn saw which); KFK_ERR_TIMED_OUT when no metadata came. */
kfk_err kadmin_each_broker(kfk_admin *a, const kproto_client *api, const void *body,
                           kcall_check_fn *check, int16_t min_version, const kadmin_opts *o,
                           kadmin_fanout_fn *fn, void *opaque);

/* err when it says a coordinator is still loading or not there yet (ask
 * it again, as Java does), else KFK_OK: for kcall checks of the calls
 * that list what each broker coordinates. */
static inline kfk_err kadmin_coordinator_busy(kfk_err err)
{
    return err == KFK_ERR_COORDINATOR_LOAD_IN_PROGRESS || err == KFK_ERR_COORDINATOR_NOT_AVAILABLE
               ? err
               : KFK_OK;
}

/* Moves the failed entries of r after the others, keeping each part's
 * order: listing calls report brokers that failed after what the others
 * listed. */
void kadmin_result_failures_last(kfk_admin_result *r);

/* Sets a's last error to "fn: what" and returns KFK_ERR_INVALID_ARG. */
kfk_err kadmin_invalid(kfk_admin *a, const char *fn, const char *what);
/* KFK_OK when parts is NULL or each of its entries names a topic and a
 * partition >= 0 once; else kadmin_invalid, saying so (or
 * KFK_ERR_NO_MEMORY). */
kfk_err kadmin_parts_ok(kfk_admin *a, const char *fn, const kfk_partition_list *parts);
/* Ends public call fn on a that returns err: its last error names the
 * first topic of res that failed, or the timeout. Returns err. */
kfk_err kadmin_end(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                   const kfk_admin_result *res);
/* kadmin_end for results whose entries are other things than topics:
 * item names what an entry is ("ACL binding", "user"). */
kfk_err kadmin_end_named(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                         const kfk_admin_result *res, const char *item);

/* A result with n entries named by names (copied), each KFK_ERR_TIMED_OUT
 * until answered. NULL when out of memory. */
kfk_admin_result *kadmin_result_new(const char *const *names, size_t n);
/* Appends an entry named name (copied; NULL stays NULL) with err, for
 * calls that return what they find. Its index is r->n - 1. -1 when out of
 * memory (r unchanged). */
int kadmin_result_append(kfk_admin_result *r, const char *name, kfk_err err);
/* The detail of entry i when r is of kind, else NULL. */
void *kadmin_result_detail(const kfk_admin_result *r, size_t i, kadmin_kind kind);
/* Makes r a result whose entries carry configs (KADMIN_KIND_CONFIGS, read
 * with kfk_admin_result_config...) of resources of type, none yet. -1
 * when out of memory (r is then still valid, of its old kind). */
int kadmin_configs_result_init(kfk_admin_result *r, kfk_config_resource_type type);
struct kp_create_topics_response_creatable_topic_configs;
/* Sets entry i's configs of a kadmin_configs_result_init result to the n
 * configs CreateTopics (v5+) returned for a created topic. */
kfk_err
kadmin_configs_set_created(kfk_admin_result *r, size_t i,
                           const struct kp_create_topics_response_creatable_topic_configs *c,
                           int32_t n);
/* Sets entry i's outcome; msg (may be null) is copied. */
void kadmin_result_set(kfk_admin_result *r, size_t i, kfk_err err, kslice msg);
/* KFK_OK when every entry succeeded, else the first entry's error. */
kfk_err kadmin_result_status(const kfk_admin_result *r);

struct kfk_new_topic {
    char *name;
    int32_t partitions;
    int16_t replication_factor;
    size_t n_configs, cap_configs;
    char **configs; /* name, value, name, value, ... */
    struct kadmin_assignment *assign; /* explicit replicas per partition, by partition */
    size_t n_assign, cap_assign;
};

/* The replicas (brokers, first the preferred leader) of one partition. */
typedef struct kadmin_assignment {
    int32_t partition;
    int32_t *brokers;
    size_t n;
} kadmin_assignment;

/* Errors after which the admin sends the topic again (as the Java admin
 * client does): the controller moved, or a quota throttled the request. */
static inline bool kadmin_topic_retriable(kfk_err err)
{
    return err == KFK_ERR_NOT_CONTROLLER || err == KFK_ERR_THROTTLING_QUOTA_EXCEEDED;
}

#endif
