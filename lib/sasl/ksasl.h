/* SASL mechanisms: the one a client authenticates with, built from its
 * configuration. kfk's own mechanisms (PLAIN, SCRAM-SHA-256/512,
 * OAUTHBEARER) implement the same kfk_sasl_mechanism interface that
 * applications use for theirs, so lib/net drives every mechanism alike
 * (net/conn_sasl.c) and knows none of them.
 *
 * Threads: a ksasl is built once and then read-only, except the
 * OAUTHBEARER token and GSSAPI's kinit outcome, which the client's
 * background thread updates under the ksasl's lock while other threads
 * read them. */
#ifndef KFK_SASL_KSASL_H
#define KFK_SASL_KSASL_H

#include <stdint.h>

#include "base/conf.h"
#include "kfk.h"

typedef struct ksasl ksasl;

/* The mechanism sasl.mechanism names, with its credentials checked: a
 * registered application mechanism of that name first, else kfk's own.
 * NULL with the reason in errstr (naming the property) when the name is
 * unknown, a credential is missing or memory runs out. */
ksasl *ksasl_new(const kfk_conf *conf, char *errstr, size_t errlen);

/* What connections authenticate with; valid until ksasl_free. */
const kfk_sasl_mechanism *ksasl_mechanism(const ksasl *s);

/* Frees s, wiping its secrets. NULL is a no-op. */
void ksasl_free(ksasl *s);

/* OAUTHBEARER with the application's token callback: whether s needs
 * tokens fetched by the client (ksasl_refresh_token), and fetching one.
 * ksasl_refresh_token calls the callback (it may block) and returns
 * KFK_OK with *next_ms set to when to fetch again (milliseconds from
 * now), or the callback's error with the reason in errstr. Any thread. */
/* OAUTHBEARER with sasl.oauthbearer.token.endpoint.url: lib/sasl does no
 * I/O, so the client supplies the fetch (cb and opaque, which must
 * outlive s) before it uses s. */
void ksasl_set_token_source(ksasl *s, kfk_oauthbearer_token_cb *cb, void *opaque);

bool ksasl_wants_token(const ksasl *s);
kfk_err ksasl_refresh_token(ksasl *s, int64_t *next_ms, char *errstr, size_t errlen);

/* GSSAPI with a key tab: records the outcome of the last kinit (why NULL:
 * it worked). While it failed, authentication fails at once with why, so
 * a stale ticket in the cache is not used instead. Any thread. */
void ksasl_set_login_error(ksasl *s, const char *why);

#endif
