/* kfk CLI: appending a partition with its offset in one call. */
#ifndef KFK_CLI_PLIST_H
#define KFK_CLI_PLIST_H
#include "kfk.h"
static inline void cli_plist_add(kfk_partition_list *l, const char *topic, int32_t p, int64_t off)
{
    if (kfk_partition_list_add(l, topic, p) == KFK_OK)
        kfk_partition_list_set_offset(l, kfk_partition_list_count(l) - 1, off);
}
#endif
