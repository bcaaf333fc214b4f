/* One request to every broker of the cluster at once, for the calls each
 * broker answers only for what it coordinates itself (ListGroups,
 * ListTransactions): the brokers come from a fresh Metadata answer, so a
 * broker added since the last refresh is asked too. */
#include <stdlib.h>

#include "admin/admin_int.h"

typedef struct fanout {
    kadmin_fanout_fn *fn;
    void *opaque;
    pthread_mutex_t lock; /* serialises fn; protects left and first_err */
    int left;
    kfk_err first_err;
    kadmin_wait w;
} fanout;

typedef struct fanout_call {
    kcall call;
    fanout *f;
    int32_t broker_id;
} fanout_call;

static void fanout_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    fanout_call *fc = call->opaque;
    fanout *f = fc->f;
    pthread_mutex_lock(&f->lock);
    f->fn(f->opaque, fc->broker_id, err, err ? NULL : resp);
    if (err && !f->first_err) f->first_err = err;
    bool last = --f->left == 0;
    pthread_mutex_unlock(&f->lock);
    if (last) kadmin_wait_done(&f->w);
}

/* The ids of the brokers the client knows now; -1 when out of memory. */
static int broker_ids(kclient *c, int32_t **out)
{
    kbroker **b;
    int n = kclient_brokers(c, &b);
    if (n < 0) return -1;
    *out = calloc(n ? (size_t)n : 1, sizeof(**out));
    for (int i = 0; i < n; i++) {
        if (*out) (*out)[i] = b[i]->id;
        kbroker_unref(b[i]);
    }
    free(b);
    return *out ? n : -1;
}

kfk_err kadmin_each_broker(kfk_admin *a, const kproto_client *api, const void *body,
                           kcall_check_fn *check, int16_t min_version, const kadmin_opts *o,
                           kadmin_fanout_fn *fn, void *opaque)
{
    int64_t left_ms = (o->deadline_ns - kclient_deadline(0)) / 1000000;
    kfk_err err = kclient_refresh_wait(a->client, left_ms > 0 ? (int)left_ms : 0);
    if (err) return err;
    int32_t *ids;
    int n = broker_ids(a->client, &ids);
    if (n < 0) return KFK_ERR_NO_MEMORY;
    fanout_call *calls = calloc(n ? (size_t)n : 1, sizeof(*calls));
    if (!calls) {
        free(ids);
        return KFK_ERR_NO_MEMORY;
    }
    fanout f = {.fn = fn, .opaque = opaque, .left = n};
    pthread_mutex_init(&f.lock, NULL);
    kadmin_wait_init(&f.w);
    int32_t retries = kadmin_retries(a);
    for (int i = 0; i < n; i++) {
        fanout_call *fc = &calls[i];
        fc->f = &f;
        fc->broker_id = ids[i];
        kcall_init(&fc->call, api, body, fanout_done, fc);
        fc->call.route = KROUTE_BROKER;
        fc->call.broker_id = ids[i];
        fc->call.deadline_ns = o->deadline_ns;
        fc->call.check = check;
        if (min_version > fc->call.min_version) fc->call.min_version = min_version;
        fc->call.no_retry = retries == 0;
        fc->call.max_retries = retries;
    }
    /* Started only once all are set up: the first may complete at once. */
    for (int i = 0; i < n; i++)
        kcall_start(a->client, &calls[i].call);
    pthread_mutex_lock(&f.w.lock);
    while (n > 0 && !f.w.done)
        pthread_cond_wait(&f.w.cond, &f.w.lock);
    pthread_mutex_unlock(&f.w.lock);
    kadmin_wait_destroy(&f.w);
    pthread_mutex_destroy(&f.lock);
    free(calls);
    free(ids);
    return f.first_err;
}
