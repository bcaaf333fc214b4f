/* What the delivery reports said of each produced record, for producer
 * tests: record i is produced with opaque (void *)(intptr_t)(i + 1), and
 * ktally_on_report (the dr_cb, with the tally as its opaque) counts its
 * reports and keeps the last one's partition, offset and error. */
#ifndef KFK_TESTS_KTALLY_H
#define KFK_TESTS_KTALLY_H

#include <stdatomic.h>
#include <stdint.h>

#include "kfk.h"

typedef struct ktally {
    int n;
    atomic_int *times; /* reports of each record */
    int32_t *partition;
    int64_t *offset;
    kfk_err *err;
    atomic_int reports; /* all of them */
} ktally;

/* Sets t up for n records; fails the test when out of memory. */
void ktally_init(ktally *t, int n);
void ktally_free(ktally *t);

/* A tally on the heap, for n records; and its end. */
ktally *ktally_new(int n);
void ktally_destroy(ktally *t);

/* The dr_cb: opaque is the tally. Fails the test on a record it does not
 * know. */
void ktally_on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r);

#endif
