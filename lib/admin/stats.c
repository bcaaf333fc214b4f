/* The admin client's statistics: its connections only (an admin client
 * has no partitions of its own and no poll to deliver stats_cb from). */
#include "client/stats.h"
#include "admin/admin_int.h"

typedef kfk_err render_fn(const kstats_doc *d, kbuf *out);

static kfk_err stats_call(kfk_admin *a, render_fn *fn, char *buf, size_t *len)
{
    if (!a || !len) return KFK_ERR_INVALID_ARG;
    if (kclient_forked(a->client)) return KFK_ERR_STATE;
    kstats_doc d;
    kbuf out = {0};
    kfk_err err = kstats_doc_init(&d, a->client, false);
    if (!err) err = fn(&d, &out);
    if (!err) err = kstats_copy_out(&out, buf, len);
    kstats_doc_free(&d);
    kbuf_free(&out);
    return err;
}

kfk_err kfk_admin_stats_json(kfk_admin *a, char *buf, size_t *len)
{
    return stats_call(a, kstats_json, buf, len);
}

kfk_err kfk_admin_stats_prometheus(kfk_admin *a, char *buf, size_t *len)
{
    return stats_call(a, kstats_prometheus, buf, len);
}
