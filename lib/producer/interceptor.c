/* The producer's interceptor hooks (kfk_conf_add_interceptor): called in
 * order, an error logged and ignored. */
#include "base/log.h"
#include "producer/producer_int.h"

void kicpt_on_send(kfk_producer *p, const kfk_record *rec)
{
    for (int i = 0; i < p->n_icpt; i++) {
        const kconf_icpt *ic = &p->icpt[i];
        if (!ic->ops.on_send) continue;
        kfk_err err = ic->ops.on_send(ic->opaque, p, rec);
        long nerr = err ? atomic_fetch_add(&p->icpt_errors, 1) + 1 : 0;
        if (err && kconf_icpt_log(nerr))
            klog(kclient_log(p->client), KFK_LOG_WARNING, "interceptor",
                 "interceptor %d: on_send for topic %.200s failed: %s (ignored; %ld errors so far)",
                 i, rec->topic, kfk_err_str(err), nerr);
    }
}

void kicpt_on_ack(kfk_producer *p, const kfk_delivery_report *r)
{
    for (int i = 0; i < p->n_icpt; i++) {
        const kconf_icpt *ic = &p->icpt[i];
        if (!ic->ops.on_acknowledgement) continue;
        kfk_err err = ic->ops.on_acknowledgement(ic->opaque, p, r);
        long nerr = err ? atomic_fetch_add(&p->icpt_errors, 1) + 1 : 0;
        if (err && kconf_icpt_log(nerr))
            klog(kclient_log(p->client), KFK_LOG_WARNING, "interceptor",
                 "interceptor %d: on_acknowledgement for %.200s [%d] failed: %s (ignored; %ld "
                 "errors so far)",
                 i, r->topic, (int)r->partition, kfk_err_str(err), nerr);
    }
}
