/* AWS_MSK_IAM as kfk_sasl_mechanism: one signed message (msk_iam.c) and
 * the broker's JSON answer. The credentials and region come from the
 * standard AWS environment variables, read once when the client is
 * created (getenv is not safe against a concurrent setenv, and the I/O
 * threads must not care); without a region the broker's host name gives
 * it, as MSK's names carry it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sasl/msk_iam.h"
#include "sasl/sasl_int.h"

static const char *env(void *arg, const char *name)
{
    (void)arg;
    return getenv(name);
}

typedef struct msk_state {
    int round;
    char host[256];
    ksasl_msg msg;
} msk_state;

static kfk_err msk_start(void *opaque, const char *host, void **state, char *errstr, size_t errlen)
{
    (void)opaque, (void)errstr, (void)errlen;
    msk_state *st = calloc(1, sizeof(*st));
    if (!st) return KFK_ERR_NO_MEMORY;
    snprintf(st->host, sizeof(st->host), "%s", host);
    *state = st;
    return KFK_OK;
}

static kfk_err msk_step(void *opaque, void *state, const unsigned char *in, size_t in_len,
                        const unsigned char **out, size_t *out_len, bool *done, char *errstr,
                        size_t errlen)
{
    const ksasl *s = opaque;
    msk_state *st = state;
    if (st->round++ == 0) {
        kmsk_params p = {
            .access_key = s->aws.access_key,
            .secret_key = s->aws.secret_key,
            .session_token = s->aws.session_token,
            .region = s->aws.region,
            .host = st->host,
            .time_s = (int64_t)time(NULL),
        };
        kbuf b = {0};
        kfk_err err = kmsk_payload(&p, &b);
        if (err == KFK_ERR_INVALID_ARG)
            snprintf(errstr, errlen,
                     "no AWS region: set AWS_REGION, or connect by the broker's MSK host name");
        if (!err) err = ksasl_out(&st->msg, out, out_len, b.data, b.len);
        if (b.data) explicit_bzero(b.data, b.len);
        kbuf_free(&b);
        return err;
    }
    char request_id[128];
    if (kmsk_parse_response(in, in_len, request_id, sizeof(request_id))) {
        snprintf(errstr, errlen, "the broker's answer is not AWS_MSK_IAM's");
        return KFK_ERR_AUTH;
    }
    *done = true;
    return KFK_OK;
}

static void msk_end(void *opaque, void *state)
{
    (void)opaque;
    msk_state *st = state;
    if (!st) return;
    ksasl_msg_free(&st->msg);
    free(st);
}

kfk_err ksasl_msk_iam_init(ksasl *s, char *errstr, size_t errlen)
{
    s->mech.start = msk_start;
    s->mech.step = msk_step;
    s->mech.end = msk_end;
    kfk_err err = kmsk_env_read(env, NULL, &s->aws);
    if (err == KFK_ERR_CONFIG)
        snprintf(errstr, errlen,
                 "sasl.mechanism=AWS_MSK_IAM needs AWS credentials: set AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)");
    return err;
}
