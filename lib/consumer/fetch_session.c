/* KIP-227 incremental fetch sessions, the client's half: which partitions
 * a broker's session holds and at what fetch offset, so an incremental
 * request carries only the partitions whose offset (or leader epoch)
 * changed, plus the ones to forget.
 *
 * The first request of a session is full (session id 0, epoch 0: "make
 * a session"); the broker answers with the session's id and later
 * requests carry it with epochs 1, 2, ... (wrapping past INT32_MAX to 1,
 * as the Java client does). FETCH_SESSION_ID_NOT_FOUND or
 * INVALID_FETCH_SESSION_EPOCH, or any failed request, drop the session:
 * the next request is full again, as it is after an incremental request
 * answered with id 0 (the broker closed the session, as Kafka does when
 * a request forgets its last partition). A broker that gives id 0 keeps no
 * session (cache full, or Fetch < v7): every request is then full. */
#include <stdlib.h>

#include "consumer/consumer_int.h"

void ksess_reset(kfetch_session *s)
{
    s->id = 0;
    s->epoch = 0;
    s->n = 0;
}

void ksess_free(kfetch_session *s)
{
    free(s->e);
    *s = (kfetch_session){0};
}

ksess_entry *ksess_find(kfetch_session *s, const kcpart *p)
{
    /* Requests walk their partitions in the same order every time, as
     * the session's entries are: look where the last find stopped, and
     * just after, before searching all of them. */
    for (int i = s->hint; i < s->hint + 2 && i < s->n; i++)
        if (s->e[i].part == p) return &s->e[s->hint = i];
    for (int i = 0; i < s->n; i++)
        if (s->e[i].part == p) return &s->e[s->hint = i];
    return NULL;
}

int ksess_put(kfetch_session *s, kcpart *p, int64_t offset, int32_t epoch, int32_t last_epoch,
              unsigned gen)
{
    ksess_entry *e = ksess_find(s, p);
    if (!e) {
        if (s->n == s->cap) {
            int cap = s->cap ? s->cap * 2 : 16;
            ksess_entry *ne = realloc(s->e, (size_t)cap * sizeof(*ne));
            if (!ne) return -1;
            s->e = ne;
            s->cap = cap;
        }
        e = &s->e[s->n++];
        e->part = p;
    }
    e->offset = offset;
    e->epoch = epoch;
    e->last_epoch = last_epoch;
    e->gen = gen;
    e->keep = true;
    return 0;
}

bool ksess_changed(kfetch_session *s, const kcpart *p, int64_t offset, int32_t epoch,
                   int32_t last_epoch)
{
    const ksess_entry *e = ksess_find(s, p);
    return !e || e->offset != offset || e->epoch != epoch || e->last_epoch != last_epoch;
}

void ksess_answered(kfetch_session *s, int32_t id, kfk_err err, bool full)
{
    if (err) {
        ksess_reset(s);
        return;
    }
    if (!full && id == 0 && s->id != 0) {
        /* The broker closed the session (the request left it without
         * partitions) and answered sessionless: start a new one. */
        ksess_reset(s);
        return;
    }
    if (full) s->id = id;
    if (s->id == 0) {
        s->epoch = 0;
        return;
    }
    s->epoch = s->epoch == INT32_MAX ? 1 : s->epoch + 1;
}
