/* kfk_consumer_group_metadata and its accessors: the consumer's group
 * membership as a transactional producer sends it with the offsets it
 * commits (TxnOffsetCommit), so that the group coordinator refuses them
 * from a member that has lost its place in the group (KIP-447). */
#include <stdlib.h>
#include <string.h>

#include "consumer/group_int.h"
#include "consumer/group_metadata.h"

/* A new metadata with copies of the strings; NULL when out of memory. */
static kfk_consumer_group_metadata *md_make(const char *group_id, int32_t generation,
                                            const char *member_id, const char *instance_id)
{
    kfk_consumer_group_metadata *md = calloc(1, sizeof(*md));
    if (!md) return NULL;
    md->generation_id = generation;
    md->group_id = strdup(group_id);
    md->member_id = strdup(member_id);
    md->group_instance_id = instance_id ? strdup(instance_id) : NULL;
    if (!md->group_id || !md->member_id || (instance_id && !md->group_instance_id)) {
        kfk_consumer_group_metadata_destroy(md);
        return NULL;
    }
    return md;
}

kfk_consumer_group_metadata *kfk_consumer_get_group_metadata(kfk_consumer *c)
{
    /* In a forked child kfk-bg may have held the lock when the process
     * forked, and is not there to let it go. */
    if (!c || !c->group || kclient_forked(c->client)) return NULL;
    kgroup *g = c->group;
    kgroup_core *k = g->core;
    /* The generation and the member id are set together under k->lock, so
     * one hold gives a pair the coordinator handed out together; the group
     * and instance ids never change. */
    pthread_mutex_lock(&k->lock);
    kfk_consumer_group_metadata *md =
        md_make(g->group_id, k->md_generation, k->md_member_id, g->instance_id);
    pthread_mutex_unlock(&k->lock);
    return md;
}

kfk_consumer_group_metadata *kfk_consumer_group_metadata_new(const char *group_id)
{
    if (!group_id || !group_id[0]) return NULL;
    return md_make(group_id, -1, "", NULL);
}

const char *kfk_consumer_group_metadata_group_id(const kfk_consumer_group_metadata *md)
{
    return md ? md->group_id : NULL;
}

int32_t kfk_consumer_group_metadata_generation_id(const kfk_consumer_group_metadata *md)
{
    return md ? md->generation_id : -1;
}

const char *kfk_consumer_group_metadata_member_id(const kfk_consumer_group_metadata *md)
{
    return md ? md->member_id : NULL;
}

const char *kfk_consumer_group_metadata_group_instance_id(const kfk_consumer_group_metadata *md)
{
    return md ? md->group_instance_id : NULL;
}

void kfk_consumer_group_metadata_destroy(kfk_consumer_group_metadata *md)
{
    if (!md) return;
    free(md->group_id);
    free(md->member_id);
    free(md->group_instance_id);
    free(md);
}
