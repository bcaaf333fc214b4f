/* SASL PLAIN (RFC 4616): one message, "\0user\0password"; the broker
 * answers with nothing, or fails the SaslAuthenticate. Send it over TLS
 * only: the password travels as it is. */
#include <stdlib.h>
#include <string.h>

#include "sasl/sasl_int.h"

enum { SENT_NOTHING, SENT_CREDENTIALS };

typedef struct plain_state {
    int round;
    ksasl_msg msg;
} plain_state;

static kfk_err plain_start(void *opaque, const char *host, void **state, char *errstr,
                           size_t errlen)
{
    (void)opaque, (void)host, (void)errstr, (void)errlen;
    plain_state *st = calloc(1, sizeof(*st));
    if (!st) return KFK_ERR_NO_MEMORY;
    st->round = SENT_NOTHING;
    *state = st;
    return KFK_OK;
}

static kfk_err plain_step(void *opaque, void *state, const unsigned char *in, size_t in_len,
                          const unsigned char **out, size_t *out_len, bool *done, char *errstr,
                          size_t errlen)
{
    (void)in, (void)in_len, (void)errstr, (void)errlen;
    const ksasl *s = opaque;
    plain_state *st = state;
    if (st->round == SENT_CREDENTIALS) {
        *done = true;
        return KFK_OK;
    }
    size_t ul = strlen(s->user), pl = strlen(s->password);
    unsigned char *m = malloc(ul + pl + 2);
    if (!m) return KFK_ERR_NO_MEMORY;
    m[0] = '\0'; /* no authorization identity: act as the user */
    memcpy(m + 1, s->user, ul);
    m[1 + ul] = '\0';
    memcpy(m + 2 + ul, s->password, pl);
    ksasl_msg_free(&st->msg);
    st->msg.data = m;
    st->msg.len = ul + pl + 2;
    *out = m;
    *out_len = st->msg.len;
    st->round = SENT_CREDENTIALS;
    return KFK_OK;
}

static void plain_end(void *opaque, void *state)
{
    (void)opaque;
    plain_state *st = state;
    if (!st) return;
    ksasl_msg_free(&st->msg);
    free(st);
}

kfk_err ksasl_plain_init(ksasl *s, char *errstr, size_t errlen)
{
    (void)errstr, (void)errlen;
    s->mech.start = plain_start;
    s->mech.step = plain_step;
    s->mech.end = plain_end;
    return KFK_OK;
}
