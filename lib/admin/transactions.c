/* Transactions seen from outside the producer: listing them on every
 * coordinator (ListTransactions), describing them at their coordinator
 * (DescribeTransactions), the producers active on a partition at its
 * leader (DescribeProducers), and aborting a hanging transaction by
 * writing its abort marker (WriteTxnMarkers), as Java's Admin does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "base/partition_list.h"
#include "proto/gen/describe_producers.h"
#include "proto/gen/describe_transactions.h"
#include "proto/gen/list_transactions.h"
#include "proto/gen/write_txn_markers.h"

/* What list and describe report for a transaction. */
typedef struct txn_detail {
    int64_t producer_id;
    int16_t producer_epoch;
    char *state;
    int32_t timeout_ms;
    int64_t start_ms;
    int32_t coordinator_id;
    ktplist partitions;
} txn_detail;

static void txn_detail_free(void *p)
{
    txn_detail *d = p;
    free(d->state);
    ktplist_free(&d->partitions);
    free(d);
}

static char *slice_dup(kslice s)
{
    return s.ptr ? strndup((const char *)s.ptr, s.len) : NULL;
}

/* The states a transaction coordinator reports (Java's TransactionState). */
static const char *const txn_states[] = {
    "Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
    "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence",
};

static bool known_state(const char *s)
{
    for (size_t i = 0; i < sizeof(txn_states) / sizeof(txn_states[0]); i++)
        if (strcmp(s, txn_states[i]) == 0) return true;
    return false;
}

/* --- ListTransactions ---------------------------------------------------------- */

typedef struct list_op {
    kfk_admin_result *res;
    bool oom;
} list_op;

static kfk_err list_check(kcall *call, void *resp)
{
    (void)call;
    return kadmin_coordinator_busy(
        (kfk_err)((const kp_list_transactions_response *)resp)->error_code);
}

/* A broker that failed: a nameless entry with its error and broker id. */
static void list_failed(list_op *op, int32_t broker_id, kfk_err err)
{
    txn_detail *d = calloc(1, sizeof(*d));
    if (d)
        *d = (txn_detail){.producer_id = -1,
                          .producer_epoch = -1,
                          .timeout_ms = -1,
                          .start_ms = -1,
                          .coordinator_id = broker_id};
    if (!d || kadmin_result_append(op->res, NULL, err) < 0) {
        free(d);
        op->oom = true;
        return;
    }
    op->res->e[op->res->n - 1].detail = d;
}

static void list_each(void *opaque, int32_t broker_id, kfk_err err, void *resp)
{
    list_op *op = opaque;
    const kp_list_transactions_response *r = resp;
    if (!err) err = (kfk_err)r->error_code;
    if (err) {
        list_failed(op, broker_id, err);
        return;
    }
    for (int32_t i = 0; i < r->n_transaction_states; i++) {
        const kp_list_transactions_response_transaction_state *t = &r->transaction_states[i];
        char *id = slice_dup(t->transactional_id);
        txn_detail *d = calloc(1, sizeof(*d));
        if (d)
            *d = (txn_detail){.producer_id = t->producer_id,
                              .producer_epoch = -1,
                              .state = slice_dup(t->transaction_state),
                              .timeout_ms = -1,
                              .start_ms = -1,
                              .coordinator_id = broker_id};
        if (!id || !d || !d->state || kadmin_result_append(op->res, id, KFK_OK) < 0) {
            op->oom = true;
            free(id);
            if (d) txn_detail_free(d);
            return;
        }
        op->res->e[op->res->n - 1].detail = d;
        free(id);
    }
}

/* Checks filter and fills body from it; the arrays are allocated. */
static kfk_err list_body(kfk_admin *a, const char *fn, const kfk_transaction_filter *f,
                         kp_list_transactions_request *body)
{
    kp_list_transactions_request_init(body);
    if (!f) return KFK_OK;
    for (size_t i = 0; i < sizeof(f->reserved) / sizeof(f->reserved[0]); i++)
        if (f->reserved[i]) return kadmin_invalid(a, fn, "filter->reserved is not all zero");
    if ((f->n_states && !f->states) || (f->n_producer_ids && !f->producer_ids))
        return kadmin_invalid(a, fn, "a filter array is NULL with a count > 0");
    if (f->min_duration_ms < 0) return kadmin_invalid(a, fn, "filter->min_duration_ms < 0");
    body->state_filters = calloc(f->n_states + 1, sizeof(kslice));
    if (!body->state_filters) return KFK_ERR_NO_MEMORY;
    for (size_t i = 0; i < f->n_states; i++) {
        if (!f->states[i] || !known_state(f->states[i])) {
            char what[320];
            snprintf(what, sizeof(what),
                     "filter->states[%zu] is \"%.40s\"; a state is one of Empty, Ongoing, "
                     "PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead, "
                     "PrepareEpochFence",
                     i, f->states[i] ? f->states[i] : "(null)");
            return kadmin_invalid(a, fn, what);
        }
        body->state_filters[i] = kwire_cstr(f->states[i]);
    }
    body->n_state_filters = (int32_t)f->n_states;
    body->producer_id_filters = (int64_t *)f->producer_ids;
    body->n_producer_id_filters = (int32_t)f->n_producer_ids;
    body->duration_filter = f->min_duration_ms ? f->min_duration_ms : -1;
    body->transactional_id_pattern =
        f->transactional_id_pattern ? kwire_cstr(f->transactional_id_pattern) : (kslice){0};
    return KFK_OK;
}

kfk_err kfk_admin_list_transactions(kfk_admin *admin, const kfk_transaction_filter *filter,
                                    const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_list_transactions";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kp_list_transactions_request body;
    kp_list_transactions_request_init(&body);
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err) err = list_body(admin, fn, filter, &body);
    list_op op = {0};
    if (!err && !(op.res = kadmin_result_new(NULL, 0))) err = KFK_ERR_NO_MEMORY;
    if (!err) {
        op.res->kind = KADMIN_KIND_TRANSACTIONS;
        op.res->detail_free = txn_detail_free;
        /* The duration filter came with v1, the id pattern with v2. */
        int16_t min_version = body.transactional_id_pattern.ptr ? 2
                              : body.duration_filter >= 0       ? 1
                                                                : 0;
        err = kadmin_each_broker(admin, &kp_list_transactions_client, &body, list_check,
                                 min_version, &o, list_each, &op);
        if (op.oom) err = KFK_ERR_NO_MEMORY;
    }
    free(body.state_filters);
    /* A broker's failure is an entry; only not knowing the brokers fails
     * the call as a whole. */
    if (op.res && err != KFK_ERR_NO_MEMORY && (!err || op.res->n)) {
        kadmin_result_failures_last(op.res);
        *result = op.res;
        err = kadmin_result_status(op.res);
    } else {
        kfk_admin_result_destroy(op.res);
    }
    return kadmin_end_named(admin, fn, err, o.timeout_ms, NULL, "broker");
}

/* --- DescribeTransactions -------------------------------------------------------- */

typedef struct describe_one {
    kcall call;
    kp_describe_transactions_request body;
    kslice id;
    kfk_admin_result *res;
    size_t i;
    kadmin_wait *w;
    pthread_mutex_t *lock; /* protects left */
    int *left;
} describe_one;

static kfk_err describe_check(kcall *call, void *resp)
{
    (void)call;
    const kp_describe_transactions_response *r = resp;
    if (r->n_transaction_states != 1) return KFK_ERR_MALFORMED;
    kfk_err err = (kfk_err)r->transaction_states[0].error_code;
    /* Retried with a fresh coordinator lookup where that can help. */
    return kcoordinator_error(err) ? err : KFK_OK;
}

static txn_detail *describe_detail(const kp_describe_transactions_response_transaction_state *t,
                                   int32_t coordinator)
{
    txn_detail *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    *d = (txn_detail){.producer_id = t->producer_id,
                      .producer_epoch = t->producer_epoch,
                      .state = slice_dup(t->transaction_state),
                      .timeout_ms = t->transaction_timeout_ms,
                      .start_ms = t->transaction_start_time_ms,
                      .coordinator_id = coordinator};
    bool ok = d->state != NULL;
    for (int32_t k = 0; ok && k < t->n_topics; k++) {
        char *topic = slice_dup(t->topics[k].topic);
        ok = topic != NULL;
        for (int32_t p = 0; ok && p < t->topics[k].n_partitions; p++)
            ok = ktplist_add(&d->partitions, topic, t->topics[k].partitions[p]) == 0;
        free(topic);
    }
    if (!ok) {
        txn_detail_free(d);
        return NULL;
    }
    return d;
}

static void describe_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    describe_one *one = call->opaque;
    const kp_describe_transactions_response *r = resp;
    kslice msg = {0};
    if (!err && r->n_transaction_states == 1) {
        const kp_describe_transactions_response_transaction_state *t = &r->transaction_states[0];
        err = (kfk_err)t->error_code;
        if (!err) {
            one->res->e[one->i].detail = describe_detail(t, call->sent_to);
            if (!one->res->e[one->i].detail) err = KFK_ERR_NO_MEMORY;
        }
    }
    kadmin_result_set(one->res, one->i, err, msg);
    pthread_mutex_lock(one->lock);
    bool last = --*one->left == 0;
    pthread_mutex_unlock(one->lock);
    if (last) kadmin_wait_done(one->w);
}

/* One DescribeTransactions per id, each at its coordinator, all at once. */
static kfk_err describe_all(kfk_admin *a, const char *const *ids, size_t n, const kadmin_opts *o,
                            kfk_admin_result *res)
{
    describe_one *ones = calloc(n ? n : 1, sizeof(*ones));
    if (!ones) return KFK_ERR_NO_MEMORY;
    kadmin_wait w;
    kadmin_wait_init(&w);
    pthread_mutex_t lock;
    pthread_mutex_init(&lock, NULL);
    int left = (int)n;
    int32_t retries = kadmin_retries(a);
    for (size_t i = 0; i < n; i++) {
        describe_one *one = &ones[i];
        *one = (describe_one){
            .id = kwire_cstr(ids[i]), .res = res, .i = i, .w = &w, .lock = &lock, .left = &left};
        kp_describe_transactions_request_init(&one->body);
        one->body.transactional_ids = &one->id;
        one->body.n_transactional_ids = 1;
        kcall_init(&one->call, &kp_describe_transactions_client, &one->body, describe_done, one);
        one->call.route = KROUTE_COORDINATOR;
        one->call.coord_type = 1;
        one->call.coord_key = ids[i];
        one->call.check = describe_check;
        one->call.deadline_ns = o->deadline_ns;
        one->call.no_retry = retries == 0;
        one->call.max_retries = retries;
    }
    for (size_t i = 0; i < n; i++)
        kcall_start(a->client, &ones[i].call);
    pthread_mutex_lock(&w.lock);
    while (n && !w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    kadmin_wait_destroy(&w);
    pthread_mutex_destroy(&lock);
    free(ones);
    return kadmin_result_status(res);
}

kfk_err kfk_admin_describe_transactions(kfk_admin *admin, const char *const *ids, size_t n,
                                        const kfk_admin_options *options, kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_transactions";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && !ids && n) err = kadmin_invalid(admin, fn, "ids is NULL with n > 0");
    for (size_t i = 0; !err && i < n; i++)
        if (!ids[i] || !*ids[i])
            err = kadmin_invalid(admin, fn, "an entry of ids is NULL or empty");
    if (err) return kclient_error_end(admin->client, err);
    kfk_admin_result *res = kadmin_result_new(ids, n);
    if (!res) return kadmin_end(admin, fn, KFK_ERR_NO_MEMORY, o.timeout_ms, NULL);
    res->kind = KADMIN_KIND_TRANSACTIONS;
    res->detail_free = txn_detail_free;
    err = describe_all(admin, ids, n, &o, res);
    if (err == KFK_ERR_NO_MEMORY) {
        kfk_admin_result_destroy(res);
        res = NULL;
    }
    *result = res;
    return kadmin_end_named(admin, fn, err, o.timeout_ms, res, "transactional id");
}

/* --- reading transactions ------------------------------------------------------- */

static const txn_detail *txn_at(const kfk_admin_result *r, size_t i)
{
    return kadmin_result_detail(r, i, KADMIN_KIND_TRANSACTIONS);
}

const char *kfk_admin_result_transaction_state(const kfk_admin_result *result, size_t i)
{
    const txn_detail *d = txn_at(result, i);
    return d ? d->state : NULL;
}

int64_t kfk_admin_result_transaction_producer_id(const kfk_admin_result *result, size_t i)
{
    const txn_detail *d = txn_at(result, i);
    return d ? d->producer_id : -1;
}

int16_t kfk_admin_result_transaction_producer_epoch(const kfk_admin_result *result, size_t i)
{
    const txn_detail *d = txn_at(result, i);
    return d ? d->producer_epoch : -1;
}

int32_t kfk_admin_result_transaction_timeout_ms(const kfk_admin_result *result, size_t i)
{
    const txn_detail *d = txn_at(result, i);
    return d ? d->timeout_ms : -1;
}

int64_t kfk_admin_result_transaction_start_ms(const kfk_admin_result *result, size_t i)
{
    const txn_detail *d = txn_at(result, i);
    return d ? d->start_ms : -1;
}

int32_t kfk_admin_result_transaction_coordinator(const kfk_admin_result *result, size_t i)
{
    const txn_detail *d = txn_at(result, i);
    return d ? d->coordinator_id : -1;
}

const kfk_partition_list *kfk_admin_result_transaction_partitions(const kfk_admin_result *result,
                                                                  size_t i)
{
    const txn_detail *d = txn_at(result, i);
    return d ? &d->partitions : NULL;
}
