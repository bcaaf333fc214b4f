/* What the consumer-group files of lib/admin share: the details their
 * results carry, the state and type names, and running one kcall per
 * broker or per group at once. Names take kagroup_ (the consumer's own
 * group code has kgroup_). */
#ifndef KFK_ADMIN_GROUPS_INT_H
#define KFK_ADMIN_GROUPS_INT_H

#include "admin/admin_int.h"
#include "base/partition_list.h"

/* The detail of a KADMIN_KIND_GROUPS entry, and the head of a
 * KADMIN_KIND_GROUP_DESCRIPTIONS one (so the shared accessors read
 * both). */
typedef struct kagroup_head {
    kfk_group_type type;
    kfk_group_state state;
    char *protocol_type; /* never NULL */
    int32_t coordinator; /* -1: unknown */
} kagroup_head;

typedef struct kagroup_member {
    char *member_id, *instance_id, *client_id, *host; /* instance_id NULL: none */
    ktplist assignment;
    ktplist target;
    bool has_target; /* KIP-848 */
    int32_t epoch;   /* -1: classic */
} kagroup_member;

/* The detail of a KADMIN_KIND_GROUP_DESCRIPTIONS entry. */
typedef struct kagroup_desc {
    kagroup_head head;
    char *protocol;                        /* never NULL */
    int32_t group_epoch, assignment_epoch; /* -1: classic */
    int64_t authorized_operations;         /* -1: not asked or not sent */
    kagroup_member *members;
    size_t n_members;
} kagroup_desc;

void kagroup_head_free(void *detail);
void kagroup_desc_free(void *detail);

/* Kafka's names (case-insensitive, as the broker parses them) to the
 * enums; UNKNOWN for anything else. */
kfk_group_type kagroup_type_parse(kslice s);
kfk_group_state kagroup_state_parse(kslice s);

/* A NUL-terminated copy of s (NULL ptr: ""); NULL when out of memory. */
char *kagroup_strdup(kslice s);

/* Runs several kcalls at once and waits for them all. */
typedef struct kagroup_fan {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t pending;
} kagroup_fan;

/* Starts the n calls (each set up, with done handlers that end with
 * kagroup_fan_done(f)) with the admin's retry settings, then blocks until
 * all are done. */
void kagroup_fan_run(kfk_admin *a, kagroup_fan *f, kcall *const *calls, size_t n);
/* From a done handler, last. */
void kagroup_fan_done(kagroup_fan *f);

/* As kadmin_end, naming the failed item a group (or, for an entry without
 * a name, the broker in its detail's coordinator). */
kfk_err kagroup_end(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                    const kfk_admin_result *res);

/* KFK_OK when ids holds n group ids (non-NULL, non-empty) and result is
 * not NULL; else the reason goes to the last error. */
kfk_err kagroup_ids_ok(kfk_admin *a, const char *fn, const char *const *ids, size_t n,
                       kfk_admin_result **result);

/* One API that describes a group per request (share and streams groups). */
typedef struct kagroup_each_api {
    const kproto_client *client;
    size_t body_size;
    /* Fills body (not yet initialised) to ask about the one group *id. */
    void (*body_init)(void *body, kslice *id, bool ops);
    /* The one group's error code and message in resp (MALFORMED: no group). */
    kfk_err (*group_error)(const void *resp, kslice *msg);
    /* The group's description in resp (no error), from the coordinator;
     * NULL when out of memory. */
    void *(*describe)(const void *resp, int32_t coordinator, bool ops);
    kadmin_kind kind;
    void (*detail_free)(void *detail);
} kagroup_each_api;

/* The whole public call fn: checks its arguments, describes the n groups
 * ids, one request each to its coordinator, all at once, into a new
 * *result of api->kind (also on a group's failure: returns the first
 * failed group's error), and ends as kagroup_end. The one flag taken is
 * KFK_ADMIN_INCLUDE_AUTHORIZED_OPERATIONS. */
kfk_err kagroup_describe_each(kfk_admin *a, const char *fn, const kagroup_each_api *api,
                              const char *const *ids, size_t n, const kfk_admin_options *options,
                              kfk_admin_result **result);

/* --- one request about a group's offsets, to its coordinator --- */

/* One such call: its entries are filled in place. */
typedef struct kagroup_offs {
    kadmin_wait w;
    kcall call;
    ktplist *parts; /* filled in place */
    bool all;       /* list: every partition the group has */
    kfk_err err;    /* the call's, or the group's */
} kagroup_offs;

/* A topic's run of entries in a sorted list. */
typedef struct kagroup_run {
    const char *topic;
    int start, n;
} kagroup_run;

/* The entries of a list laid out for a request body, which wants them
 * grouped by topic: sorted is a sorted copy of the list, runs[n_runs] its
 * topics' runs, and topics and parts are zeroed arrays for the request's
 * topic entries (one per run) and partition entries (one per entry, in
 * sorted's order, so run r's are parts[runs[r].start...]). */
typedef struct kagroup_split {
    ktplist sorted;
    kagroup_run *runs;
    int n_runs;
    void *topics, *parts;
} kagroup_split;

/* Lays out l in s for request entries of topic_size and part_size bytes;
 * -1 when out of memory. Free s with kagroup_split_free either way. */
int kagroup_split_init(kagroup_split *s, const ktplist *l, size_t topic_size, size_t part_size);
void kagroup_split_free(kagroup_split *s);
/* The entry topic/partition of op->parts (for a list of every partition,
 * added first); NULL when absent or out of memory. */
ktp *kagroup_entry_for(kagroup_offs *op, kslice topic, int32_t partition);
/* The first failed entry's error, else KFK_OK. */
kfk_err kagroup_first_error(const ktplist *l);
void kagroup_set_all(ktplist *l, kfk_err err);
/* Runs op->call (set up) to group_id's coordinator and waits; op->err
 * gets the outcome. */
void kagroup_offs_run(kfk_admin *a, kagroup_offs *op, const char *group_id, int64_t deadline);
/* Names the first failed entry of l (may be NULL) in the last error, or
 * the group for a group-level error; else as kadmin_end. */
kfk_err kagroup_parts_end(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                          const char *group, const ktplist *l);
/* Checks a call's group id and partitions (parts may be NULL when
 * may_be_null); offsets: each entry's offset must be >= 0. */
kfk_err kagroup_offsets_args_ok(kfk_admin *a, const char *fn, const char *group_id,
                                const kfk_partition_list *parts, bool may_be_null, bool offsets);

#endif
