/* Statistics and interceptors: the C callbacks that carry them into Go. */
#include "shim.h"

#include "_cgo_export.h"

static void stats_cb(void *opaque, void *handle, const char *json, size_t json_len)
{
    (void)handle;
    gokfkStats((uintptr_t)opaque, (char *)json, json_len);
}

void gokfk_conf_set_stats(kfk_conf *conf, uintptr_t handle)
{
    kfk_conf_set_stats_cb(conf, stats_cb, (void *)handle);
}

/* on_send runs inside kfk_produce on the producing thread, so the id set
 * there names the record; a thread-local keeps concurrent ProduceBatch
 * calls apart. */
static _Thread_local uint64_t producing;

uint64_t gokfk_set_producing(uint64_t id)
{
    uint64_t before = producing;
    producing = id;
    return before;
}

static kfk_err on_send(void *opaque, kfk_producer *p, const kfk_record *rec)
{
    (void)p;
    (void)rec;
    if (producing) gokfkOnSend((uintptr_t)opaque, producing);
    return KFK_OK;
}

/* Served reports are also in dr_cb's array, and Go hands them to the
 * interceptors as it delivers them: only a refusal, reported inside the
 * kfk_produce of that record, crosses here. */
static kfk_err on_ack(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)p;
    if (producing && (uint64_t)(uintptr_t)r->opaque == producing)
        gokfkOnRefused((uintptr_t)opaque, producing, (int)r->err);
    return KFK_OK;
}

kfk_err gokfk_conf_add_producer_hooks(kfk_conf *conf, uintptr_t handle, int send, int ack)
{
    kfk_interceptor ops = {
        .on_send = send ? on_send : NULL,
        .on_acknowledgement = ack ? on_ack : NULL,
    };
    return kfk_conf_add_interceptor(conf, &ops, (void *)handle);
}

static kfk_err on_commit(void *opaque, kfk_consumer *c, kfk_err err,
                         const kfk_partition_list *offsets)
{
    (void)c;
    gokfkOnCommit((uintptr_t)opaque, (int)err, (kfk_partition_list *)offsets);
    return KFK_OK;
}

kfk_err gokfk_conf_add_consumer_hooks(kfk_conf *conf, uintptr_t handle)
{
    kfk_interceptor ops = {.on_commit = on_commit};
    return kfk_conf_add_interceptor(conf, &ops, (void *)handle);
}
