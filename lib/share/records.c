/* A ShareFetch partition's records. The broker answers with whole stored
 * batches and the ranges of offsets it acquired for this member; the
 * batches are decoded as the consumer's Fetch data is (zero-copy into the
 * response frame), then cut to the acquired offsets, each message taking
 * its range's delivery count. An acquired offset with no record for the
 * application (a control record, or one compaction removed) gets a GAP
 * acknowledgement, so the broker is done with it without a lock timeout. */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "share/share_int.h"

/* The delivery count of offset in pd's acquired ranges; 0: not acquired.
 * *hint walks the ranges forward, offsets coming in ascending order. */
static int16_t acquired_count(const kp_share_fetch_response_partition_data *pd, int64_t offset,
                              int32_t *hint)
{
    for (int32_t i = *hint; i < pd->n_acquired_records; i++) {
        const kp_share_fetch_response_acquired_records *r = &pd->acquired_records[i];
        if (offset < r->first_offset) return 0;
        if (offset <= r->last_offset) {
            *hint = i;
            return r->delivery_count > 0 ? r->delivery_count : 1;
        }
    }
    return 0;
}

/* Keeps ch's messages that were acquired; returns how many. */
static int cut_to_acquired(kchunk *ch, const kp_share_fetch_response_partition_data *pd)
{
    int32_t hint = 0;
    int kept = 0;
    for (int i = 0; i < ch->n; i++) {
        int16_t count = acquired_count(pd, ch->msgs[i].offset, &hint);
        if (!count) continue;
        if (kept != i) ch->msgs[kept] = ch->msgs[i];
        ch->msgs[kept++].delivery_count = count;
    }
    ch->n = kept;
    /* Leader epoch runs index the uncut array; the share consumer does
     * not use them. */
    ch->n_runs = 0;
    ch->run_at = INT_MAX;
    return kept;
}

/* At most this many GAP acknowledgements per partition answer. An
 * acquired range is acknowledged offset by offset where it has no
 * record: a compacted batch can leave many, and a hostile broker's range
 * could name 2^62. Past the bound the gaps' locks pass instead and the
 * broker delivers those offsets again, still empty, until their delivery
 * limit archives them: no record is lost, and the client stays bounded. */
#define MAX_GAP_ACKS 65536

/* Whether pd's acquired ranges are well formed: each first <= last,
 * within offsets, in ascending order without overlap. */
static bool ranges_valid(const kp_share_fetch_response_partition_data *pd)
{
    int64_t after = -1;
    for (int32_t i = 0; i < pd->n_acquired_records; i++) {
        const kp_share_fetch_response_acquired_records *r = &pd->acquired_records[i];
        if (r->first_offset <= after || r->last_offset < r->first_offset ||
            r->last_offset == INT64_MAX)
            return false;
        after = r->last_offset;
    }
    return true;
}

static kfk_err ack_gap(kshare_part *p, int64_t from, int64_t to, int *budget)
{
    for (int64_t o = from; o <= to && *budget > 0; o++, (*budget)--)
        if (kshare_acks_add(&p->acks, o, KSHARE_ACK_GAP)) return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

/* GAP acknowledgements for the acquired offsets that have no message,
 * walking the ranges and the messages (both ascending) gap by gap. */
static kfk_err ack_gaps(kshare_part *p, const kp_share_fetch_response_partition_data *pd,
                        const kchunk *ch)
{
    int k = 0, budget = MAX_GAP_ACKS;
    kfk_err err = KFK_OK;
    for (int32_t i = 0; i < pd->n_acquired_records && !err && budget > 0; i++) {
        const kp_share_fetch_response_acquired_records *r = &pd->acquired_records[i];
        int64_t o = r->first_offset;
        while (o <= r->last_offset && !err && budget > 0) {
            while (ch && k < ch->n && ch->msgs[k].offset < o)
                k++;
            int64_t msg = ch && k < ch->n ? ch->msgs[k].offset : INT64_MAX;
            if (msg == o) {
                o++;
                continue;
            }
            int64_t end = msg <= r->last_offset ? msg - 1 : r->last_offset;
            err = ack_gap(p, o, end, &budget);
            o = end + 1; /* end < INT64_MAX: ranges_valid */
        }
    }
    return err;
}

kfk_err kshare_records_take(kfk_share_consumer *sc, kshare_part *p,
                            const kp_share_fetch_response_partition_data *pd, krbuf *frame)
{
    if (pd->n_acquired_records <= 0) return KFK_OK;
    if (!ranges_valid(pd)) return KFK_ERR_MALFORMED;
    int64_t first = pd->acquired_records[0].first_offset;
    for (int32_t i = 1; i < pd->n_acquired_records; i++)
        if (pd->acquired_records[i].first_offset < first)
            first = pd->acquired_records[i].first_offset;
    kp_fetch_response_partition_data fd = {
        .partition_index = pd->partition_index,
        .records = pd->records,
    };
    kdecode_opts o = {.fetch_offset = first, .check_crcs = sc->check_crcs, .last_epoch = -1};
    kchunk *ch = NULL;
    int64_t next = 0;
    kfk_err err = kchunk_decode(&p->cp, 0, &fd, frame, &o, &ch, &next);
    if (err) return err;
    if (ch && !cut_to_acquired(ch, pd)) {
        kchunk_unref(ch);
        ch = NULL;
    }
    err = ack_gaps(p, pd, ch);
    if (!ch) return err;
    ch->pos = 0;
    if (sc->tail)
        sc->tail->next = ch;
    else
        sc->head = ch;
    sc->tail = ch;
    kwakefd_signal(&sc->wake);
    pthread_cond_broadcast(&sc->cond);
    return err;
}
