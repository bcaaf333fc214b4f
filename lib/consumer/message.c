/* Fetched messages: chunks (the messages of one partition from one Fetch,
 * as slots of one array pointing into the response frame or into the
 * blocks its compressed batches were decompressed into), the pool their
 * arrays and blocks are recycled through, their decoding with
 * read_committed filtering, and the kfk_message accessors. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bufpool.h"
#include "consumer/consumer_int.h"

/* --- the pool ---------------------------------------------------------------------- */

/* Compressed batches are decompressed back to back into blocks of up to
 * this size; a batch that does not fit in an empty one gets a buffer of
 * its own (kept by the pool only if no larger than a block). */
#define BLOCK_BYTES ((size_t)1 << 20)
/* Idle memory a pool keeps: at most 8 message arrays of up to 4 MiB (one
 * per partition of a Fetch; 4 MiB holds 40k messages) and 16 blocks. */
#define POOL_ARRAYS 8
#define POOL_ARRAY_BYTES ((size_t)4 << 20)
#define POOL_BLOCKS 16

struct kchunk_pool {
    atomic_int refs;
    kbufpool *arrays; /* message arrays */
    kbufpool *blocks; /* decompressed batches */
};

kchunk_pool *kchunk_pool_new(void)
{
    kchunk_pool *pool = calloc(1, sizeof(*pool));
    if (!pool) return NULL;
    atomic_init(&pool->refs, 1);
    pool->arrays = kbufpool_new(POOL_ARRAYS, POOL_ARRAY_BYTES);
    pool->blocks = kbufpool_new(POOL_BLOCKS, BLOCK_BYTES);
    if (!pool->arrays || !pool->blocks) {
        kbufpool_destroy(pool->arrays);
        kbufpool_destroy(pool->blocks);
        free(pool);
        return NULL;
    }
    return pool;
}

void kchunk_pool_unref(kchunk_pool *pool)
{
    if (!pool || atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_acq_rel) != 1) return;
    kbufpool_destroy(pool->arrays);
    kbufpool_destroy(pool->blocks);
    free(pool);
}

/* --- chunks ---------------------------------------------------------------------- */

static kchunk *chunk_new(kcpart *p, unsigned gen, int cap, kchunk_pool *pool)
{
    size_t tlen = strlen(p->topic) + 1;
    kchunk *ch = calloc(1, sizeof(*ch) + tlen);
    if (!ch) return NULL;
    memcpy(ch->topic, p->topic, tlen);
    if (cap < 1) cap = 1;
    kbuf arr = {0};
    if (pool ? kbufpool_get(pool->arrays, (size_t)cap * sizeof(*ch->msgs), &arr)
             : kbuf_reserve(&arr, (size_t)cap * sizeof(*ch->msgs))) {
        free(ch);
        return NULL;
    }
    if (pool) atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
    atomic_init(&ch->refs, 1);
    ch->pool = pool;
    ch->msgs = (kfk_message *)(void *)arr.data;
    ch->part = p;
    ch->gen = gen;
    ch->cap = (int)(arr.cap / sizeof(*ch->msgs));
    ch->runs = &ch->run0;
    ch->cap_runs = 1;
    ch->run_at = INT_MAX;
    return ch;
}

kchunk *kchunk_new(kcpart *p, unsigned gen, int cap)
{
    return chunk_new(p, gen, cap, NULL);
}

static kfk_message *chunk_slot(kchunk *ch)
{
    if (ch->n == ch->cap) {
        int cap = ch->cap * 2;
        kfk_message *m = realloc(ch->msgs, (size_t)cap * sizeof(*m));
        if (!m) return NULL;
        ch->msgs = m;
        ch->cap = cap;
    }
    kfk_message *m = &ch->msgs[ch->n++];
    m->chunk = ch;
    m->topic = ch->topic;
    return m;
}

kchunk *kchunk_error(kcpart *p, unsigned gen, int64_t offset, kfk_err err)
{
    kchunk *ch = kchunk_new(p, gen, 1);
    if (!ch) return NULL;
    kfk_message *m = chunk_slot(ch);
    *m = (kfk_message){.chunk = ch,
                       .topic = ch->topic,
                       .partition = p->partition,
                       .err = err,
                       .offset = offset,
                       .timestamp = -1,
                       .timestamp_type = KTS_NONE};
    return ch;
}

void kchunk_unref(kchunk *ch)
{
    if (atomic_fetch_sub_explicit(&ch->refs, 1, memory_order_acq_rel) != 1) return;
    if (ch->held) kheld_drop(ch->held, ch->bytes);
    kchunk_pool *pool = ch->pool;
    for (int i = 0; i < ch->n_bufs; i++) {
        if (pool)
            kbufpool_put(pool->blocks, &ch->bufs[i]); /* frees one too big to keep */
        else
            kbuf_free(&ch->bufs[i]);
    }
    free(ch->bufs);
    if (ch->runs != &ch->run0) free(ch->runs);
    if (ch->frame) krbuf_unref(ch->frame);
    kbuf arr = {(uint8_t *)ch->msgs, 0, (size_t)ch->cap * sizeof(*ch->msgs)};
    if (pool)
        kbufpool_put(pool->arrays, &arr);
    else
        kbuf_free(&arr);
    kchunk_pool_unref(pool);
    free(ch);
}

static int keep_buf(kchunk *ch, kbuf *b)
{
    if (ch->n_bufs == ch->cap_bufs) {
        int cap = ch->cap_bufs ? ch->cap_bufs * 2 : 4;
        kbuf *nb = realloc(ch->bufs, (size_t)cap * sizeof(*nb));
        if (!nb) return -1;
        ch->bufs = nb;
        ch->cap_bufs = cap;
    }
    ch->bufs[ch->n_bufs++] = *b;
    *b = (kbuf){0};
    return 0;
}

/* Starts a run for the batch whose records come next, written under
 * epoch: nothing to do while the epoch stays. A run that got no record
 * (its batch was empty) is replaced. -1 when out of memory. */
static int epoch_mark(kchunk *ch, int32_t epoch)
{
    if (ch->n_runs && ch->runs[ch->n_runs - 1].epoch == epoch) return 0;
    if (ch->n_runs && ch->runs[ch->n_runs - 1].from == ch->n) {
        ch->n_runs--;
        if (ch->n_runs && ch->runs[ch->n_runs - 1].epoch == epoch) return 0;
    }
    if (ch->n_runs == ch->cap_runs) {
        int cap = ch->cap_runs * 2;
        kepoch_run *r = malloc((size_t)cap * sizeof(*r));
        if (!r) return -1;
        memcpy(r, ch->runs, (size_t)ch->n_runs * sizeof(*r));
        if (ch->runs != &ch->run0) free(ch->runs);
        ch->runs = r;
        ch->cap_runs = cap;
    }
    ch->runs[ch->n_runs++] = (kepoch_run){ch->n, epoch};
    return 0;
}

/* --- read_committed ------------------------------------------------------------- */

static int by_first_offset(const void *a, const void *b)
{
    int64_t x = ((const kp_fetch_response_aborted_transaction *)a)->first_offset;
    int64_t y = ((const kp_fetch_response_aborted_transaction *)b)->first_offset;
    return x < y ? -1 : x > y;
}

kfk_err kaborted_init(kaborted *a, const kp_fetch_response_aborted_transaction *txns, int n)
{
    *a = (kaborted){0};
    if (n <= 0) return KFK_OK;
    a->txns = malloc((size_t)n * sizeof(*txns));
    if (!a->txns) return KFK_ERR_NO_MEMORY;
    memcpy(a->txns, txns, (size_t)n * sizeof(*txns));
    qsort(a->txns, (size_t)n, sizeof(*txns), by_first_offset);
    a->n = n;
    return KFK_OK;
}

static int pid_index(const kaborted *a, int64_t pid)
{
    for (int i = 0; i < a->n_pids; i++)
        if (a->pids[i] == pid) return i;
    return -1;
}

bool kaborted_skip(kaborted *a, const kbatch *b)
{
    /* Transactions that started at or before this batch's end are open
     * from here on (the Java consumer's rule). */
    while (a->next < a->n && a->txns[a->next].first_offset <= b->last_offset) {
        int64_t pid = a->txns[a->next++].producer_id;
        if (pid_index(a, pid) >= 0) continue;
        if (a->n_pids == a->cap_pids) {
            int cap = a->cap_pids ? a->cap_pids * 2 : 4;
            int64_t *np = realloc(a->pids, (size_t)cap * sizeof(*np));
            if (!np) continue; /* worst case: aborted records shown */
            a->pids = np;
            a->cap_pids = cap;
        }
        a->pids[a->n_pids++] = pid;
    }
    int i = pid_index(a, b->producer_id);
    if (b->control) {
        /* The marker ends the producer's transaction. */
        if (i >= 0) a->pids[i] = a->pids[--a->n_pids];
        return true;
    }
    return b->transactional && i >= 0;
}

void kaborted_free(kaborted *a)
{
    free(a->txns);
    free(a->pids);
    *a = (kaborted){0};
}

/* --- decoding ---------------------------------------------------------------------- */

/* Adds r as the chunk's next message: KFK_ERR_MALFORMED for an offset no
 * log can hold (the position after it, offset + 1, would overflow). */
static kfk_err add_record(kchunk *ch, int32_t partition, const krecord *r)
{
    if (r->offset == INT64_MAX) return KFK_ERR_MALFORMED;
    kfk_message *m = chunk_slot(ch);
    if (!m) return KFK_ERR_NO_MEMORY;
    m->partition = partition;
    m->timestamp_type = r->timestamp_type;
    m->delivery_count = 0;
    m->err = KFK_OK;
    m->offset = r->offset;
    m->timestamp = r->timestamp;
    m->header_count = r->header_count;
    m->key = r->key;
    m->value = r->value;
    m->headers = r->headers;
    return KFK_OK;
}

/* Reads one batch's records into ch; false on error (*err set). */
static bool decode_batch(krecords_iter *it, kchunk *ch, int32_t partition, kfk_err *err)
{
    kbuf scratch = {0};
    it->scratch = &scratch;
    krecord r;
    while (krecords_iter_next_record(it, &r)) {
        if (r.control) continue;
        if ((*err = add_record(ch, partition, &r))) break;
    }
    if (!*err) *err = it->err;
    if (scratch.data && keep_buf(ch, &scratch)) {
        kbuf_free(&scratch);
        *err = KFK_ERR_NO_MEMORY;
    }
    return *err == KFK_OK;
}

/* Reads the records ri yields (v2, uncompressed bytes) into ch. */
static kfk_err take_records(krecord_iter *ri, kchunk *ch, int32_t partition)
{
    krecord r;
    while (krecord_iter_next(ri, &r)) {
        if (r.control) continue;
        kfk_err err = add_record(ch, partition, &r);
        if (err) return err;
    }
    return ri->err;
}

/* A new block for ch, of a size that suits what is left to decompress
 * (guessed as 4x the compressed bytes, 64 KiB to BLOCK_BYTES); it is the
 * chunk's from the start, as ch->bufs[*blk]. */
static kfk_err new_block(kchunk *ch, size_t left_in, int *blk)
{
    size_t want = (size_t)64 << 10;
    while (want < BLOCK_BYTES && want / 4 < left_in)
        want *= 2;
    kbuf b = {0};
    if (ch->pool ? kbufpool_get(ch->pool->blocks, want, &b) : kbuf_reserve(&b, want))
        return KFK_ERR_NO_MEMORY;
    if (keep_buf(ch, &b)) {
        kbuf_free(&b);
        return KFK_ERR_NO_MEMORY;
    }
    *blk = ch->n_bufs - 1;
    return KFK_OK;
}

/* Decompresses b's records after those already in the chunk's current
 * block (ch->bufs[*blk], -1: none yet), in a new block when they do not
 * fit, or in a buffer of their own when they fill more than an empty
 * block. Blocks never grow: records already in them point there. *out
 * gets the decompressed bytes; left_in is the compressed input still to
 * come from b on, for sizing a new block. */
static kfk_err inflate_batch(kchunk *ch, const kbatch *b, size_t left_in, int *blk, kslice *out)
{
    for (int tries = 0; tries < 2; tries++) {
        kfk_err err = *blk < 0 ? new_block(ch, left_in, blk) : KFK_OK;
        if (err) return err;
        kbuf *k = &ch->bufs[*blk];
        size_t at = k->len, room = k->cap - k->len;
        /* A limit under the room: the decoder errs instead of growing. */
        err = room > 1 ? kcodec_decompress(b->codec, b->records.ptr, b->records.len, k, room - 1)
                       : KFK_ERR_TOO_LARGE;
        if (!err) {
            *out = (kslice){k->data + at, k->len - at};
            return KFK_OK;
        }
        if (err != KFK_ERR_TOO_LARGE || at == 0) break;
        *blk = -1; /* full: the next batch starts a new block */
    }
    kbuf own = {0};
    kfk_err err = kcodec_decompress(b->codec, b->records.ptr, b->records.len, &own,
                                    KBATCH_DEFAULT_MAX_BYTES);
    if (!err && keep_buf(ch, &own)) err = KFK_ERR_NO_MEMORY;
    if (err) {
        kbuf_free(&own);
        return err;
    }
    kbuf *k = &ch->bufs[ch->n_bufs - 1];
    *out = (kslice){k->data, k->len};
    return KFK_OK;
}

/* A compressed v2 batch: decompressed into the chunk's blocks, then read
 * as the uncompressed batch it holds. */
static kfk_err decode_compressed(kchunk *ch, const kbatch *b, const kbatch_read_opts *ro,
                                 size_t left_in, int *blk, int32_t partition)
{
    kbatch plain = *b;
    kfk_err err = inflate_batch(ch, b, left_in, blk, &plain.records);
    if (err) return err;
    plain.codec = KCODEC_NONE;
    krecord_iter ri;
    err = krecord_iter_init(&ri, &plain, ro, NULL);
    return err ? err : take_records(&ri, ch, partition);
}

/* The smallest v2 record: its length, attributes, timestamp and offset
 * deltas, key and value lengths and header count, one byte each. */
#define MIN_RECORD_BYTES 7

/* How many records a batch can hold, for sizing: its header's count, but
 * no more than its bytes can carry, so a corrupt or hostile header cannot
 * make the client allocate for records that are not there. Compressed
 * records are smaller than their count suggests only up to a point the
 * growth of the message array covers: one per compressed byte. */
static int64_t batch_capacity(const kbatch *b)
{
    if (b->record_count <= 0 || b->magic < 2) return 1;
    int64_t fit = b->codec == KCODEC_NONE ? (int64_t)(b->records.len / MIN_RECORD_BYTES)
                                          : (int64_t)b->records.len;
    return b->record_count < fit ? b->record_count : (fit > 0 ? fit : 1);
}

/* How many records the blob holds, from batch headers alone (a legacy
 * compressed wrapper counts one; the array grows if needed), so a chunk's
 * message array is mostly allocated once at its size. */
static int count_records(kslice records)
{
    kbatch_read_opts ro = {0};
    krecords_iter it;
    krecords_iter_init(&it, records.ptr, records.len, &ro, NULL);
    const kbatch *b;
    int64_t n = 0;
    while (krecords_iter_next_batch(&it, &b))
        n += batch_capacity(b);
    return n > INT32_MAX / 2 ? INT32_MAX / 2 : (int)n;
}

kfk_err kchunk_decode(kcpart *p, unsigned gen, const kp_fetch_response_partition_data *pd,
                      krbuf *frame, kdecode_opts *o, kchunk **out, int64_t *next)
{
    *out = NULL;
    *next = o->fetch_offset;
    if (!pd->records.ptr || !pd->records.len) return KFK_OK;
    kchunk *ch = chunk_new(p, gen, count_records(pd->records), o->pool);
    if (!ch) return KFK_ERR_NO_MEMORY;
    kaborted ab = {0};
    kfk_err err = KFK_OK;
    if (o->read_committed)
        err = kaborted_init(&ab, pd->aborted_transactions, pd->n_aborted_transactions);
    kbatch_read_opts ro = {.start_offset = o->fetch_offset, .check_crcs = o->check_crcs};
    krecords_iter it;
    krecords_iter_init(&it, pd->records.ptr, pd->records.len, &ro, NULL);
    const kbatch *b;
    int blk = -1; /* the block compressed batches go to */
    while (!err && krecords_iter_next_batch(&it, &b)) {
        if (b->last_offset < o->fetch_offset) continue;
        /* read_uncommitted hides control batches only; read_committed
         * aborted transactions too. */
        bool skip = o->read_committed ? kaborted_skip(&ab, b) : b->control;
        if (skip)
            ;
        else if (epoch_mark(ch, b->magic >= 2 ? b->partition_leader_epoch : -1))
            err = KFK_ERR_NO_MEMORY;
        else if (b->magic >= 2 && b->codec != KCODEC_NONE)
            err = decode_compressed(ch, b, &ro, (size_t)(it.r.end - b->records.ptr), &blk,
                                    p->partition);
        else
            decode_batch(&it, ch, p->partition, &err);
        if (!err) {
            *next = kbatch_next_offset(b);
            if (b->magic >= 2) o->last_epoch = b->partition_leader_epoch;
        }
    }
    if (!err && it.err && !(it.truncated)) err = it.err;
    kaborted_free(&ab);
    /* A batch bigger than the fetch size that got no record through at
     * all is the application's problem to see, not a silent stall. */
    if (!err && it.truncated && *next == o->fetch_offset && ch->n == 0) err = KFK_ERR_TOO_LARGE;
    if (err || ch->n == 0) {
        if (err && ch->n > 0) err = KFK_OK; /* keep what decoded; the rest comes again */
        if (ch->n == 0) {
            kchunk_unref(ch);
            return err;
        }
    }
    ch->frame = krbuf_ref(frame);
    if (ch->n_runs && ch->runs[ch->n_runs - 1].from == ch->n) ch->n_runs--; /* got no record */
    ch->run_at = ch->n_runs ? ch->runs[0].from : INT_MAX;
    ch->bytes = pd->records.len + (size_t)ch->cap * sizeof(kfk_message);
    for (int i = 0; i < ch->n_bufs; i++)
        ch->bytes += ch->bufs[i].cap; /* blocks are held whole */
    *out = ch;
    return KFK_OK;
}

/* --- kfk_message ------------------------------------------------------------------------ */

void kfk_message_release(kfk_message *m)
{
    if (m) kchunk_unref(m->chunk);
}

kfk_err kfk_message_error(const kfk_message *m)
{
    return m ? m->err : KFK_ERR_INVALID_ARG;
}

int16_t kfk_message_delivery_count(const kfk_message *m)
{
    return m ? m->delivery_count : 0;
}

const char *kfk_message_topic(const kfk_message *m)
{
    return m ? m->topic : NULL;
}

int32_t kfk_message_partition(const kfk_message *m)
{
    return m ? m->partition : -1;
}

int64_t kfk_message_offset(const kfk_message *m)
{
    return m ? m->offset : -1;
}

int32_t kfk_message_leader_epoch(const kfk_message *m)
{
    if (!m) return -1;
    const kchunk *ch = m->chunk;
    int32_t i = (int32_t)(m - ch->msgs);
    int k = ch->n_runs - 1;
    while (k > 0 && ch->runs[k].from > i)
        k--;
    return k >= 0 ? ch->runs[k].epoch : -1;
}

int64_t kfk_message_timestamp(const kfk_message *m, kfk_timestamp_type *type)
{
    if (type) *type = m ? (kfk_timestamp_type)m->timestamp_type : KFK_TIMESTAMP_NONE;
    return m ? m->timestamp : -1;
}

const void *kfk_message_key(const kfk_message *m, size_t *len)
{
    if (len) *len = m ? m->key.len : 0;
    return m ? m->key.ptr : NULL;
}

const void *kfk_message_value(const kfk_message *m, size_t *len)
{
    if (len) *len = m ? m->value.len : 0;
    return m ? m->value.ptr : NULL;
}

size_t kfk_message_header_count(const kfk_message *m)
{
    return m && m->header_count > 0 ? (size_t)m->header_count : 0;
}

kfk_err kfk_message_header(const kfk_message *m, size_t i, const char **name, size_t *name_len,
                           const void **value, size_t *value_len)
{
    if (i >= kfk_message_header_count(m)) return KFK_ERR_INVALID_ARG;
    krecord r = {.headers = m->headers, .header_count = m->header_count};
    krecord_header_iter it = krecord_headers(&r);
    krecord_header h;
    for (size_t k = 0; krecord_header_next(&it, &h); k++) {
        if (k != i) continue;
        /* An empty name is "": kfk_header reads name_len 0 as NUL-terminated. */
        if (name) *name = h.key.len ? (const char *)h.key.ptr : "";
        if (name_len) *name_len = h.key.len;
        if (value) *value = h.value.ptr;
        if (value_len) *value_len = h.value.len;
        return KFK_OK;
    }
    return KFK_ERR_INVALID_ARG;
}
