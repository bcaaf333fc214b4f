/* SCRAM-SHA-256 and SCRAM-SHA-512 as kfk_sasl_mechanism: three rounds
 * around the RFC 5802 client in scram.c (client-first, client-final, then
 * checking the server's signature). */
#include <stdlib.h>

#include "base/buf.h"
#include "sasl/sasl_int.h"
#include "sasl/scram.h"

typedef struct scram_state {
    kscram *scram;
    int round; /* messages sent so far */
    ksasl_msg msg;
} scram_state;

static kfk_err scram_start(void *opaque, const char *host, void **state, char *errstr,
                           size_t errlen)
{
    (void)host, (void)errstr, (void)errlen;
    const ksasl *s = opaque;
    scram_state *st = calloc(1, sizeof(*st));
    if (!st || !(st->scram = kscram_new(s->scram_bits, s->user, s->password))) {
        free(st);
        return KFK_ERR_NO_MEMORY;
    }
    if (s->scram_tokenauth) kscram_set_tokenauth(st->scram);
    *state = st;
    return KFK_OK;
}

/* Hands the bytes of b to the connection as the next message. */
static kfk_err take(scram_state *st, kbuf *b, const unsigned char **out, size_t *out_len)
{
    kfk_err err = ksasl_out(&st->msg, out, out_len, b->data, b->len);
    kbuf_free(b);
    return err;
}

static kfk_err scram_step(void *opaque, void *state, const unsigned char *in, size_t in_len,
                          const unsigned char **out, size_t *out_len, bool *done, char *errstr,
                          size_t errlen)
{
    (void)opaque;
    scram_state *st = state;
    kbuf b = {0};
    int rc;
    switch (st->round++) {
    case 0:
        rc = kscram_client_first(st->scram, &b);
        break;
    case 1:
        rc = kscram_client_final(st->scram, in, in_len, &b, errstr, errlen);
        break;
    default:
        rc = kscram_server_final(st->scram, in, in_len, errstr, errlen);
        if (!rc) *done = true;
        return (kfk_err)rc;
    }
    if (rc) {
        kbuf_free(&b);
        return (kfk_err)rc;
    }
    return take(st, &b, out, out_len);
}

static void scram_end(void *opaque, void *state)
{
    (void)opaque;
    scram_state *st = state;
    if (!st) return;
    kscram_free(st->scram);
    ksasl_msg_free(&st->msg);
    free(st);
}

kfk_err ksasl_scram_init(ksasl *s, char *errstr, size_t errlen)
{
    (void)errstr, (void)errlen;
    s->mech.start = scram_start;
    s->mech.step = scram_step;
    s->mech.end = scram_end;
    return KFK_OK;
}
