/* SASL GSSAPI (RFC 4752, Kerberos V5), through cyrus-sasl's GSSAPI plugin.
 * The first step asks the KDC for the broker's service ticket and may
 * block, so the mechanism is may_block: kfk calls it off the I/O threads.
 * The client's Kerberos credentials are the ticket cache's (KRB5CCNAME, or
 * krb5.conf's default); with a key tab, kinit fills that cache first
 * (client/kerberos.c), and a failed kinit fails authentication with its
 * reason rather than falling back to whatever the cache holds.
 *
 * Kafka never wraps its traffic in a GSSAPI security layer, so kfk offers
 * none (max_ssf 0): the exchange authenticates, and TLS (SASL_SSL) is what
 * protects the bytes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <sasl/sasl.h>

#include "sasl/sasl_int.h"

typedef struct gss_state {
    sasl_conn_t *conn;
    /* The ticket cache's credential, acquired here and handed to cyrus:
     * Debian's plugin acquires one itself when given none, and never
     * releases it (about 16 KB per authentication). */
    gss_cred_id_t cred;
    bool started;  /* sasl_client_start has run */
    bool finished; /* cyrus said SASL_OK: its last message is on its way */
} gss_state;

static pthread_once_t cyrus_once = PTHREAD_ONCE_INIT;
static int cyrus_init_result;

static void cyrus_init(void)
{
    cyrus_init_result = sasl_client_init(NULL);
}

/* No log noise from the plugin (it logs to syslog by default); its errors
 * reach kfk through sasl_errdetail. */
static int cyrus_log(void *context, int level, const char *message)
{
    (void)context, (void)level, (void)message;
    return SASL_OK;
}

/* No authorization identity: act as the ticket's principal. */
static int cyrus_simple(void *context, int id, const char **result, unsigned *len)
{
    (void)context, (void)id;
    *result = "";
    if (len) *len = 0;
    return SASL_OK;
}

/* cyrus-sasl keeps every callback as int (*)(void); the detour through
 * void (*)(void) is the cast C allows between function pointer types. */
#define CYRUS_CB(f) ((int (*)(void))(void (*)(void))(f))

static const sasl_callback_t cyrus_callbacks[] = {
    {SASL_CB_LOG, CYRUS_CB(cyrus_log), NULL},
    {SASL_CB_USER, CYRUS_CB(cyrus_simple), NULL},
    {SASL_CB_AUTHNAME, CYRUS_CB(cyrus_simple), NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

static kfk_err cyrus_error(sasl_conn_t *conn, int rc, char *errstr, size_t errlen)
{
    const char *detail = conn ? sasl_errdetail(conn) : sasl_errstring(rc, NULL, NULL);
    snprintf(errstr, errlen, "%s", detail ? detail : "cyrus-sasl failed");
    return rc == SASL_NOMEM ? KFK_ERR_NO_MEMORY : KFK_ERR_AUTH;
}

static void gss_state_free(gss_state *g)
{
    OM_uint32 minor;
    if (g->conn) sasl_dispose(&g->conn);
    if (g->cred != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &g->cred);
    free(g);
}

/* The default credential: the ticket cache's ticket-granting ticket. */
static kfk_err acquire_cred(gss_state *g, char *errstr, size_t errlen)
{
    OM_uint32 minor;
    OM_uint32 major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
                                       GSS_C_INITIATE, &g->cred, NULL, NULL);
    if (!GSS_ERROR(major)) return KFK_OK;
    g->cred = GSS_C_NO_CREDENTIAL;
    char why[256] = "";
    OM_uint32 ctx = 0, m2;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    /* The mechanism's own words ("No Kerberos credentials available
     * (default cache: ...)") say more than the generic major status. */
    if (!GSS_ERROR(gss_display_status(&m2, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &text))) {
        snprintf(why, sizeof(why), "%.*s", (int)text.length, (const char *)text.value);
        gss_release_buffer(&m2, &text);
    }
    snprintf(errstr, errlen, "no Kerberos credentials: %s",
             *why ? why : "gss_acquire_cred failed");
    return KFK_ERR_AUTH;
}

static kfk_err gssapi_start(void *opaque, const char *host, void **state, char *errstr,
                            size_t errlen)
{
    ksasl *s = opaque;
    if (ksasl_login_failed(s, errstr, errlen)) return KFK_ERR_AUTH;
    gss_state *g = calloc(1, sizeof(*g));
    if (!g) return KFK_ERR_NO_MEMORY;
    g->cred = GSS_C_NO_CREDENTIAL;
    kfk_err err = acquire_cred(g, errstr, errlen);
    if (err) {
        gss_state_free(g);
        return err;
    }
    int rc = sasl_client_new(s->kerberos_service, host, NULL, NULL, cyrus_callbacks, 0, &g->conn);
    if (rc == SASL_OK) {
        sasl_security_properties_t props = {.min_ssf = 0, .max_ssf = 0, .maxbufsize = 0};
        rc = sasl_setprop(g->conn, SASL_SEC_PROPS, &props);
    }
    if (rc == SASL_OK) rc = sasl_setprop(g->conn, SASL_GSS_CREDS, g->cred);
    if (rc != SASL_OK) {
        err = cyrus_error(g->conn, rc, errstr, errlen);
        gss_state_free(g);
        return err;
    }
    *state = g;
    return KFK_OK;
}

static kfk_err gssapi_step(void *opaque, void *state, const unsigned char *in, size_t in_len,
                           const unsigned char **out, size_t *out_len, bool *done, char *errstr,
                           size_t errlen)
{
    (void)opaque;
    gss_state *g = state;
    if (g->finished) { /* the broker accepted cyrus's last message */
        *done = true;
        return KFK_OK;
    }
    const char *msg = NULL;
    unsigned msg_len = 0;
    int rc;
    if (!g->started) {
        const char *chosen = NULL;
        rc = sasl_client_start(g->conn, "GSSAPI", NULL, &msg, &msg_len, &chosen);
        g->started = true;
    } else {
        rc = sasl_client_step(g->conn, (const char *)in, (unsigned)in_len, NULL, &msg, &msg_len);
    }
    if (rc != SASL_OK && rc != SASL_CONTINUE) return cyrus_error(g->conn, rc, errstr, errlen);
    g->finished = rc == SASL_OK;
    /* msg is cyrus's until its next call on g->conn, as the interface
     * asks of a step's message. */
    *out = (const unsigned char *)msg;
    *out_len = msg_len;
    return KFK_OK;
}

static void gssapi_end(void *opaque, void *state)
{
    (void)opaque;
    if (state) gss_state_free(state);
}

/* Whether cyrus-sasl has a GSSAPI plugin to offer. */
static bool has_gssapi_plugin(void)
{
    const char **mechs = sasl_global_listmech();
    for (int i = 0; mechs && mechs[i]; i++)
        if (strcmp(mechs[i], "GSSAPI") == 0) return true;
    return false;
}

kfk_err ksasl_gssapi_init(ksasl *s, char *errstr, size_t errlen)
{
    pthread_once(&cyrus_once, cyrus_init);
    if (cyrus_init_result != SASL_OK) {
        snprintf(errstr, errlen, "sasl.mechanism=GSSAPI: cyrus-sasl does not start: %s",
                 sasl_errstring(cyrus_init_result, NULL, NULL));
        return KFK_ERR_CONFIG;
    }
    if (!has_gssapi_plugin()) {
        snprintf(errstr, errlen,
                 "sasl.mechanism=GSSAPI: cyrus-sasl has no GSSAPI plugin (install it: Debian's "
                 "libsasl2-modules-gssapi-mit, Red Hat's cyrus-sasl-gssapi)");
        return KFK_ERR_CONFIG;
    }
    s->mech.start = gssapi_start;
    s->mech.step = gssapi_step;
    s->mech.end = gssapi_end;
    s->mech.may_block = true;
    return KFK_OK;
}
