/* A connection's output queue: frames encoded into one buffer (out), and
 * the long byte fields of KREQ_F_GATHER requests (record batches) left
 * where they are and written from there with one writev, so that a batch
 * reaches the socket without being copied into out first. */
#include <stdlib.h>
#include <string.h>

#include "net/conn_int.h"

/* Where the out bytes written next end: the next gathered field, or the
 * end of out. */
static size_t out_stop(const kconn *c, size_t ext)
{
    return ext < c->gather.n ? c->gather.v[ext].at : c->out.len;
}

int kconn_out_iov(const kconn *c, struct iovec *iov, int max)
{
    int n = 0;
    size_t pos = c->out_sent, skip = c->ext_sent;
    for (size_t e = c->ext_head; n < max; e++, skip = 0) {
        size_t stop = out_stop(c, e);
        if (pos < stop) iov[n++] = (struct iovec){c->out.data + pos, stop - pos};
        pos = stop;
        if (e >= c->gather.n || n == max) break;
        const kgather_ext *x = &c->gather.v[e];
        iov[n++] = (struct iovec){(void *)(x->s.ptr + skip), x->s.len - skip};
    }
    return n;
}

void kconn_out_advance(kconn *c, size_t n)
{
    c->wire_sent += n;
    while (n > 0) {
        size_t k = out_stop(c, c->ext_head) - c->out_sent;
        if (k > n) k = n;
        c->out_sent += k;
        n -= k;
        if (n == 0) break;
        const kgather_ext *x = &c->gather.v[c->ext_head];
        k = x->s.len - c->ext_sent;
        if (k > n) k = n;
        c->ext_sent += k;
        n -= k;
        if (c->ext_sent == x->s.len) {
            c->ext_head++;
            c->ext_sent = 0;
        }
    }
}

/* Without it a connection whose socket never drains completely (a slow
 * broker, big batches) appends behind an ever longer written prefix and
 * the buffer grows without bound. Moving only when the prefix is at
 * least as long as what remains keeps the cost to one copy per byte. */
void kconn_out_compact(kconn *c)
{
    size_t sent = c->out_sent, left = c->out.len - sent;
    if (!sent || sent < left) return;
    memmove(c->out.data, c->out.data + sent, left);
    c->out.len = left;
    c->out_sent = 0;
    size_t keep = c->gather.n - c->ext_head;
    if (keep && c->ext_head)
        memmove(c->gather.v, c->gather.v + c->ext_head, keep * sizeof(*c->gather.v));
    c->gather.n = keep;
    c->ext_head = 0;
    for (size_t i = 0; i < keep; i++)
        c->gather.v[i].at -= sent;
}

int kconn_out_flatten(kconn *c)
{
    if (c->ext_head == c->gather.n) return 0;
    kbuf flat = {0};
    size_t pos = c->out_sent, skip = c->ext_sent;
    int rc = 0;
    for (size_t e = c->ext_head; e < c->gather.n && !rc; e++, skip = 0) {
        const kgather_ext *x = &c->gather.v[e];
        rc = kbuf_append(&flat, c->out.data + pos, x->at - pos) ||
             kbuf_append(&flat, x->s.ptr + skip, x->s.len - skip);
        pos = x->at;
    }
    if (rc || kbuf_append(&flat, c->out.data + pos, c->out.len - pos)) {
        kbuf_free(&flat);
        return -1;
    }
    kbuf_free(&c->out);
    c->out = flat;
    c->out_sent = 0;
    c->gather.n = c->ext_head = c->ext_sent = 0;
    return 0;
}

void kconn_out_reset(kconn *c)
{
    c->out.len = 0;
    c->out_sent = 0;
    c->gather.n = c->ext_head = c->ext_sent = 0;
}
