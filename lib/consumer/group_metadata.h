/* kfk_consumer_group_metadata: what a transactional producer needs of a
 * consumer's group membership to commit offsets through a transaction
 * (KIP-447). Made by the consumer (group_metadata.c), read by the
 * producer's transaction manager. Immutable once made. */
#ifndef KFK_CONSUMER_GROUP_METADATA_H
#define KFK_CONSUMER_GROUP_METADATA_H

#include <stdint.h>

#include "kfk.h"

struct kfk_consumer_group_metadata {
    char *group_id;
    int32_t generation_id;    /* classic: the generation; KIP-848: the member epoch; -1 */
    char *member_id;          /* "" before the first join */
    char *group_instance_id;  /* NULL: none */
};

#endif
