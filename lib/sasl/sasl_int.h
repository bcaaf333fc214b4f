/* What the files of lib/sasl share. */
#ifndef KFK_SASL_SASL_INT_H
#define KFK_SASL_SASL_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "sasl/msk_iam.h"
#include "sasl/ksasl.h"

struct ksasl {
    kfk_sasl_mechanism mech; /* opaque: this ksasl */
    char *user, *password;   /* PLAIN, SCRAM */
    int scram_bits;          /* 256 or 512 */
    bool scram_tokenauth;    /* SCRAM: user and password are a delegation token's */
    /* OAUTHBEARER */
    char *jaas;                      /* for the unsecured JWT's claims */
    kfk_oauthbearer_token_cb *token_cb;
    void *token_opaque;
    bool fetch_tokens; /* kfk's OAUTHBEARER with the application's callback */
    bool endpoint;     /* sasl.oauthbearer.token.endpoint.url: the client sets token_cb */
    kmsk_env aws;      /* AWS_MSK_IAM: credentials and region from the environment */
    double refresh_factor, refresh_jitter;
    int64_t refresh_min_ms, refresh_buffer_ms;
    char *kerberos_service; /* GSSAPI: the brokers' service name */
    pthread_mutex_t lock;   /* guards token and login_error */
    char *token;            /* the application's last token; NULL: none yet */
    char login_error[256];  /* GSSAPI: why the last kinit failed; "": it did not */
};

/* Each built-in fills s->mech from the credentials already in s. */
kfk_err ksasl_plain_init(ksasl *s, char *errstr, size_t errlen);
kfk_err ksasl_scram_init(ksasl *s, char *errstr, size_t errlen);
kfk_err ksasl_oauthbearer_init(ksasl *s, char *errstr, size_t errlen);
kfk_err ksasl_msk_iam_init(ksasl *s, char *errstr, size_t errlen);
kfk_err ksasl_gssapi_init(ksasl *s, char *errstr, size_t errlen);

/* GSSAPI: true, with the reason in errstr, when the last kinit failed. */
bool ksasl_login_failed(ksasl *s, char *errstr, size_t errlen);

/* The message a built-in mechanism's step hands kfk: kept in the
 * authentication's state until its next step or its end. */
typedef struct ksasl_msg {
    unsigned char *data;
    size_t len;
} ksasl_msg;

/* Replaces m's bytes (wiping the old ones) with a copy of the n bytes at
 * p and points *out and *out_len at them. */
kfk_err ksasl_out(ksasl_msg *m, const unsigned char **out, size_t *out_len, const void *p,
                  size_t n);
/* Wipes and frees m's bytes. */
void ksasl_msg_free(ksasl_msg *m);

#endif
