/* A throwaway test PKI made at run time with OpenSSL (EC P-256 keys, valid
 * from an hour ago for a day): a CA and certificates it signs, plus an
 * untrusted second CA, for tests of TLS listeners and clients. Independent
 * of lib/mock: tests hand the PEM strings to whatever needs them. */
#ifndef KFK_TESTS_KCERTS_H
#define KFK_TESTS_KCERTS_H

/* Every string is NUL-terminated PEM text owned by the kcerts; keys are
 * unencrypted PKCS#8. */
typedef struct kcerts {
    char *ca_cert, *ca_key;                     /* CN=kfk-test-ca */
    char *server_cert, *server_key;             /* CN=localhost, SAN DNS:localhost, IP:127.0.0.1 */
    char *wrong_cert, *wrong_key;               /* CN=wrong.example, SAN DNS:wrong.example only */
    char *client_cert, *client_key;             /* CN=kfk-client, for client authentication */
    char *other_cert, *other_key;               /* CN=kfk-other */
    char *rogue_ca_cert, *rogue_ca_key;         /* CN=kfk-rogue-ca, trusted by nobody */
    char *rogue_server_cert, *rogue_server_key; /* CN=localhost as server_cert, signed by it */
} kcerts;

/* Makes a fresh PKI (a few milliseconds). The caller owns the result and
 * frees it with kcerts_free. NULL when OpenSSL fails. Any thread. */
kcerts *kcerts_new(void);

/* Frees c and its strings; c may be NULL. */
void kcerts_free(kcerts *c);

/* Writes c into the existing directory dir as files:
 *   ca.pem ca.key server.pem server.key wrong.pem wrong.key client.pem
 *   client.key other.pem other.key rogue-ca.pem rogue-server.pem
 *   rogue-server.key     the PEM strings above;
 *   client-encrypted.key the client key encrypted with password (PKCS#8
 *                        PEM, AES-256-CBC);
 *   client.p12           a PKCS#12 keystore of the client certificate, its
 *                        key and the CA certificate, with password;
 *   truststore.p12       a PKCS#12 truststore holding the CA certificate,
 *                        with password.
 * Files are replaced if present. Returns 0, or -1 (errno set or an OpenSSL
 * failure) with some files perhaps written. */
int kcerts_write(const kcerts *c, const char *dir, const char *password);

#endif
