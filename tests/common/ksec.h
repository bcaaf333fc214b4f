/* The secured listeners of the cluster under test, for the security
 * suites. Against real Kafka they are the listeners tools/kafka --sasl
 * adds, read from the file KFK_TEST_KAFKA_ENV names; against the mock
 * (KFK_TEST_MOCK=1) they are in-process mock clusters, one per listener,
 * with a test PKI made for the run. Either way the files the tests point
 * kfk at (CA, client certificates and keys, PKCS#12 stores) are in one
 * directory, under the same names. Helpers ck_assert on failure: call
 * them from a Check test. */
#ifndef KFK_TESTS_KSEC_H
#define KFK_TESTS_KSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kfk.h"

typedef enum ksec_listener {
    KSEC_SSL,            /* TLS, no client certificate */
    KSEC_MTLS,           /* TLS with a required client certificate */
    KSEC_SASL_SSL,       /* SASL over TLS */
    KSEC_SASL_PLAINTEXT, /* SASL in the clear */
    KSEC__COUNT
} ksec_listener;

/* Users every SASL listener knows, for PLAIN and SCRAM. */
#define KSEC_USER "alice"
#define KSEC_PASSWORD "alice-secret"
/* The passwords of the test PKI's encrypted key and of its PKCS#12
 * stores. */
const char *ksec_key_password(void);
const char *ksec_store_password(void);

/* Whether the cluster under test has secured listeners; false, with the
 * reason in *why, for a real Kafka started without --sasl (the caller
 * skips). Call from main. */
bool ksec_available(const char **why);

/* Real Kafka: the value of key in the file KFK_TEST_KAFKA_ENV names, into
 * out; false when there is no such file or key (always, for the mock). */
bool ksec_env_value(const char *key, char *out, size_t outlen);

/* Whether the listeners are the mock's (after ksec_setup). */
bool ksec_is_mock(void);

/* Kerberos on real Kafka started with --kerberos (tools/kafka): the
 * realm's krb5.conf, the brokers' service name, and the client's
 * principal and key tab. */
typedef struct ksec_krb5 {
    char config[512];
    char service[64];
    char principal[128];
    char keytab[512];
} ksec_krb5;

/* Fills k and returns true when the cluster under test has a KDC; false,
 * with the reason in *why, against the mock (which has no Kerberos) or a
 * Kafka started without --kerberos. Call from main. */
bool ksec_kerberos(ksec_krb5 *k, const char **why);

/* Sets the listeners up: a checked fixture, so that it runs in each
 * test's own process (Check forks one per test, and a mock cluster's
 * thread would not survive the fork). */
void ksec_setup(void);

/* Stops what ksec_setup started (the mock clusters). */
void ksec_teardown(void);

/* The mock cluster behind listener l (NULL against real Kafka). */
struct kfk_mock_cluster *ksec_mock(ksec_listener l);

/* The session lifetime (connections.max.reauth.ms) of the SASL_PLAINTEXT
 * listener: its connections must re-authenticate (KIP-368). */
int64_t ksec_reauth_ms(void);

/* host:port of listener l. */
const char *ksec_bootstrap(ksec_listener l);

/* The path of a file of the test PKI, named as tools/kafka names them:
 * "ca.pem" (the CA), "client.pem" and "client.key" (kfk-client's
 * certificate, CN=kfk-client, and key), "client-encrypted.key" (the key
 * encrypted with ksec_key_password()), "client.p12" (key store), "truststore.p12"
 * (the CA; both with ksec_store_password()),
 * "other.pem" and "other.key" (CN=kfk-other). */
const char *ksec_file(const char *name);

/* Writes a CRL signed by the test CA to path, revoking the brokers'
 * certificate when revoke_broker is set (else revoking nothing). */
void ksec_write_crl(const char *path, bool revoke_broker);

/* A configuration for listener l: bootstrap.servers, security.protocol and
 * the CA for the TLS ones; mechanism (NULL: none) with KSEC_USER's
 * credentials for PLAIN and SCRAM, or an unsecured JWT for KSEC_USER for
 * OAUTHBEARER. */
kfk_conf *ksec_conf(ksec_listener l, const char *mechanism);

/* Creates a topic on the cluster behind listener l and waits for its
 * leaders. */
void ksec_create_topic(ksec_listener l, const char *name, int32_t partitions);

/* Produces n records (value "<i>") to topic with a producer made from
 * pconf, checking each has exactly one delivery report and no error,
 * then reads them back from the beginning with a consumer made from
 * cconf, checking each arrives once. Takes both configurations. */
void ksec_roundtrip(kfk_conf *pconf, kfk_conf *cconf, const char *topic, int32_t partitions,
                    int n);

/* Reads records "0".."n-1" from the beginning of topic with a consumer
 * made from conf (taken), checking each arrives once. */
void ksec_read_back(kfk_conf *conf, const char *topic, int32_t partitions, int n);

/* Each of an admin call, a producer's first record to a topic and a
 * consumer's poll, on a client made from conf_of() (a fresh configuration
 * each time), must see the broker's refusal as want within 10 s of a 20 s
 * timeout, and error_cb must have said why: a reason holding because and,
 * when secret is not NULL, not holding it. */
void ksec_expect_refused(kfk_conf *(*conf_of)(void), kfk_err want, const char *because,
                         const char *secret);

#endif
