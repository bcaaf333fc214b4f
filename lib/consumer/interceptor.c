/* The consumer's interceptor hooks (kfk_conf_add_interceptor): called in
 * order, an error logged and ignored. */
#include "base/log.h"
#include "consumer/consumer_int.h"

void kcicpt_on_consume(kfk_consumer *c, kfk_message *const *msgs, size_t n)
{
    for (int i = 0; i < c->n_icpt; i++) {
        const kconf_icpt *ic = &c->icpt[i];
        if (!ic->ops.on_consume) continue;
        kfk_err err = ic->ops.on_consume(ic->opaque, c, msgs, n);
        long nerr = err ? atomic_fetch_add(&c->icpt_errors, 1) + 1 : 0;
        if (err && kconf_icpt_log(nerr))
            klog(kclient_log(c->client), KFK_LOG_WARNING, "interceptor",
                 "interceptor %d: on_consume of %zu messages failed: %s (ignored; %ld errors so "
                 "far)",
                 i, n, kfk_err_str(err), nerr);
    }
}

void kcicpt_on_commit(kfk_consumer *c, kfk_err result, const kfk_partition_list *offsets)
{
    for (int i = 0; i < c->n_icpt; i++) {
        const kconf_icpt *ic = &c->icpt[i];
        if (!ic->ops.on_commit) continue;
        kfk_err err = ic->ops.on_commit(ic->opaque, c, result, offsets);
        long nerr = err ? atomic_fetch_add(&c->icpt_errors, 1) + 1 : 0;
        if (err && kconf_icpt_log(nerr))
            klog(kclient_log(c->client), KFK_LOG_WARNING, "interceptor",
                 "interceptor %d: on_commit failed: %s (ignored; %ld errors so far)", i,
                 kfk_err_str(err), nerr);
    }
}
