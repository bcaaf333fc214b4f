/* kfk's OAUTHBEARER login with an OIDC token endpoint
 * (sasl.oauthbearer.token.endpoint.url): fetches access tokens with the
 * client_credentials grant, retrying what may recover with
 * sasl.login.retry.backoff.*, or reads one from a file:// URL. It supplies
 * tokens to the client's ksasl through the token callback path, so they
 * are fetched and refreshed on kfk-bg, never on an I/O thread.
 *
 * Trust for an https endpoint is what Java's login uses: the ssl.*
 * options inside sasl.jaas.config (ssl.truststore.location, .type,
 * .password, .certificates, ssl.endpoint.identification.algorithm), else
 * the system's CA store; the broker connections' ssl.* properties do not
 * apply, as the endpoint's certificate usually comes from another CA. */
#ifndef KFK_CLIENT_OIDC_LOGIN_H
#define KFK_CLIENT_OIDC_LOGIN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "kfk.h"

typedef struct koidc_login koidc_login;

/* The login conf asks for, or NULL with *err KFK_OK when conf sets no
 * token endpoint. On failure NULL with *err set and the reason in errstr
 * (naming the property at fault). stop, when it becomes true, ends the
 * retries of a fetch early (the client is going away). */
koidc_login *koidc_login_new(const kfk_conf *conf, const atomic_bool *stop, kfk_err *err,
                             char *errstr, size_t errlen);
void koidc_login_free(koidc_login *l);

/* A kfk_oauthbearer_token_cb over the login (opaque: the koidc_login).
 * Blocks for at most the connect and read timeouts per attempt plus
 * sasl.login.retry.backoff.max.ms of waits between attempts. */
kfk_err koidc_login_fetch(void *opaque, char *token, size_t token_size, int64_t *expiry_ms,
                          char *errstr, size_t errlen);

#endif
