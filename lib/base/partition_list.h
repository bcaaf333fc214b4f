/* Partition lists: the type behind kfk.h's opaque kfk_partition_list, and
 * the same type used by value inside the library (ktplist).
 *
 * A list owns the topic names and metadata strings of its entries
 * (strdup); ktp arrays that are not in a list (views built on the stack,
 * arrays pointing at a consumer's own names) own nothing. */
#ifndef KFK_BASE_PARTITION_LIST_H
#define KFK_BASE_PARTITION_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include "kfk.h"

/* One partition and what an operation reads or fills for it. */
typedef struct ktp {
    const char *topic;
    int32_t partition;
    int64_t offset;       /* an offset, KFK_OFFSET_BEGINNING, _END or _INVALID */
    const char *metadata; /* commits: stored with the offset; NULL: none */
    int32_t leader_epoch; /* -1: none */
    kfk_err err;          /* the per-partition result; KFK_OK */
    int64_t timestamp;    /* an offset lookup's record timestamp; -1: none */
    /* Group lag. has_end false (as a zeroed ktp has it): none, read as -1;
     * so ktps built field by field need not know of them. */
    bool has_end;
    int64_t end_offset; /* the partition's end offset */
    int64_t lag;        /* end_offset - offset; -1: unknown */
} ktp;

struct kfk_partition_list {
    ktp *v;
    int n, cap;
};

/* The library's name for a list held by value ({0} is an empty list). */
typedef struct kfk_partition_list ktplist;

/* Appends topic/partition (offset KFK_OFFSET_INVALID, no metadata, epoch
 * -1, timestamp -1, KFK_OK, no end offset or lag); -1 when out of memory.
 * Duplicates are not checked. */
int ktplist_add(ktplist *l, const char *topic, int32_t partition);
/* Appends a copy of tp (its strings copied); -1 when out of memory. */
int ktplist_add_tp(ktplist *l, const ktp *tp);
/* Appends copies of the n entries of v; -1 when out of memory (the
 * entries added so far stay). */
int ktplist_add_all(ktplist *l, const ktp *v, size_t n);
bool ktplist_has(const ktplist *l, const char *topic, int32_t partition);
/* The index of the first entry for topic/partition, or -1. */
int ktplist_find(const ktplist *l, const char *topic, int32_t partition);
/* Replaces entry i's metadata with a copy of md (NULL: none); -1 when
 * out of memory (the entry keeps its old value). */
int ktplist_set_metadata(ktplist *l, int i, const char *md);
void ktplist_clear(ktplist *l);
void ktplist_free(ktplist *l);
/* Removes topic/partition if present; true when it was. */
bool ktplist_remove(ktplist *l, const char *topic, int32_t partition);
/* Orders two ktp by topic, then partition (qsort, bsearch). */
int ktp_cmp(const void *a, const void *b);
/* Sorts by topic, then partition. */
void ktplist_sort(ktplist *l);

/* KFK_OK when each of the n entries of v names a partition (a topic, a
 * partition >= 0) and none comes twice; else KFK_ERR_INVALID_ARG, or
 * KFK_ERR_NO_MEMORY. O(n log n). */
kfk_err ktp_check_unique(const ktp *v, size_t n);

#endif
