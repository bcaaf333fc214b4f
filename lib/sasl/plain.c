/* SASL PLAIN (RFC 4616): one message, "\0user\0password"; the broker
 * answers with nothing, or fails the SaslAuthenticate. Send it over TLS
 * only: the password travels as it is. */
#include <stdlib.h>
#include <string.h>

#include "sasl/sasl_int.h"

enum { SENT_NOTHING, SENT_CREDENTIALS };

static kfk_err plain_start(void *opaque, const char *host, void **state, char *errstr,
                           size_t errlen)
{
    (void)opaque, (void)host, (void)errstr, (void)errlen;
    int *round = malloc(sizeof(*round));
    if (!round) return KFK_ERR_NO_MEMORY;
    *round = SENT_NOTHING;
    *state = round;
    return KFK_OK;
}

static kfk_err plain_step(void *opaque, void *state, const unsigned char *in, size_t in_len,
                          unsigned char **out, size_t *out_len, int *done, char *errstr,
                          size_t errlen)
{
    (void)in, (void)in_len, (void)errstr, (void)errlen;
    const ksasl *s = opaque;
    int *round = state;
    if (*round == SENT_CREDENTIALS) {
        *done = 1;
        return KFK_OK;
    }
    size_t ul = strlen(s->user), pl = strlen(s->password);
    unsigned char *m = malloc(ul + pl + 2);
    if (!m) return KFK_ERR_NO_MEMORY;
    m[0] = '\0'; /* no authorization identity: act as the user */
    memcpy(m + 1, s->user, ul);
    m[1 + ul] = '\0';
    memcpy(m + 2 + ul, s->password, pl);
    *out = m;
    *out_len = ul + pl + 2;
    *round = SENT_CREDENTIALS;
    return KFK_OK;
}

static void plain_end(void *opaque, void *state)
{
    (void)opaque;
    free(state);
}

kfk_err ksasl_plain_init(ksasl *s, char *errstr, size_t errlen)
{
    (void)errstr, (void)errlen;
    s->mech.start = plain_start;
    s->mech.step = plain_step;
    s->mech.end = plain_end;
    return KFK_OK;
}
