/* Test PKI generation with OpenSSL's EVP and X509 APIs (kcerts.h). */
#include "kcerts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* A key and its certificate while the PKI is being made. */
typedef struct pair {
    EVP_PKEY *key;
    X509 *cert;
} pair;

static void pair_free(pair *p)
{
    EVP_PKEY_free(p->key);
    X509_free(p->cert);
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int rc = ext && X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
    X509_EXTENSION_free(ext);
    return rc;
}

/* Makes p (a new key and certificate for cn) signed by issuer, or
 * self-signed when issuer is NULL (a CA). san: NULL for none. */
static int make_pair(pair *p, const char *cn, const pair *issuer, const char *san, bool ca)
{
    p->key = EVP_EC_gen("P-256");
    p->cert = X509_new();
    if (!p->key || !p->cert) return -1;
    X509 *cert = p->cert;
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof(serial)) != 1) return -1;
    serial[0] &= 0x7f; /* positive */
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    int rc = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) ? 0 : -1;
    BN_free(bn);
    X509_NAME *name = X509_get_subject_name(cert);
    if (rc || X509_set_version(cert, 2) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert), 86400) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_pubkey(cert, p->key) != 1)
        return -1;
    X509 *issuer_cert = issuer ? issuer->cert : cert;
    EVP_PKEY *issuer_key = issuer ? issuer->key : p->key;
    if (X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) != 1) return -1;
    if (add_ext(cert, issuer_cert, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE") ||
        add_ext(cert, issuer_cert, NID_key_usage,
                ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") ||
        add_ext(cert, issuer_cert, NID_subject_key_identifier, "hash") ||
        (issuer && add_ext(cert, issuer_cert, NID_authority_key_identifier, "keyid:always")) ||
        (!ca && add_ext(cert, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth")) ||
        (san && add_ext(cert, issuer_cert, NID_subject_alt_name, san)))
        return -1;
    return X509_sign(cert, issuer_key, EVP_sha256()) > 0 ? 0 : -1;
}

static char *bio_string(BIO *bio)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)len);
        s[len] = '\0';
    }
    return s;
}

static char *cert_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = bio && PEM_write_bio_X509(bio, cert) == 1 ? bio_string(bio) : NULL;
    BIO_free(bio);
    return s;
}

static char *key_pem(EVP_PKEY *key, const char *password)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const EVP_CIPHER *cipher = password ? EVP_aes_256_cbc() : NULL;
    char *s =
        bio && PEM_write_bio_PKCS8PrivateKey(bio, key, cipher, NULL, 0, NULL, (void *)password) == 1
            ? bio_string(bio)
            : NULL;
    BIO_free(bio);
    return s;
}

static int export(const pair *p, char **cert, char **key)
{
    *cert = cert_pem(p->cert);
    *key = key_pem(p->key, NULL);
    return *cert && *key ? 0 : -1;
}

kcerts *kcerts_new(void)
{
    kcerts *c = calloc(1, sizeof(*c));
    pair ca = {0}, server = {0}, wrong = {0}, client = {0}, other = {0}, rogue = {0},
         rogue_server = {0};
    const char *localhost = "DNS:localhost,IP:127.0.0.1";
    int rc = !c || make_pair(&ca, "kfk-test-ca", NULL, NULL, true) ||
             make_pair(&server, "localhost", &ca, localhost, false) ||
             make_pair(&wrong, "wrong.example", &ca, "DNS:wrong.example", false) ||
             make_pair(&client, "kfk-client", &ca, NULL, false) ||
             make_pair(&other, "kfk-other", &ca, NULL, false) ||
             make_pair(&rogue, "kfk-rogue-ca", NULL, NULL, true) ||
             make_pair(&rogue_server, "localhost", &rogue, localhost, false) ||
             export(&ca, &c->ca_cert, &c->ca_key) ||
             export(&server, &c->server_cert, &c->server_key) ||
             export(&wrong, &c->wrong_cert, &c->wrong_key) ||
             export(&client, &c->client_cert, &c->client_key) ||
             export(&other, &c->other_cert, &c->other_key) ||
             export(&rogue, &c->rogue_ca_cert, &c->rogue_ca_key) ||
             export(&rogue_server, &c->rogue_server_cert, &c->rogue_server_key);
    pair *all[] = {&ca, &server, &wrong, &client, &other, &rogue, &rogue_server};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        pair_free(all[i]);
    if (rc) {
        ERR_clear_error();
        kcerts_free(c);
        return NULL;
    }
    return c;
}

void kcerts_free(kcerts *c)
{
    if (!c) return;
    char **all[] = {&c->ca_cert,           &c->ca_key,          &c->server_cert,   &c->server_key,
                    &c->wrong_cert,        &c->wrong_key,       &c->client_cert,   &c->client_key,
                    &c->other_cert,        &c->other_key,       &c->rogue_ca_cert, &c->rogue_ca_key,
                    &c->rogue_server_cert, &c->rogue_server_key};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        free(*all[i]);
    free(c);
}

/* ---------------------------------------------------------------- files */

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int write_str(const char *dir, const char *name, const char *s)
{
    return write_file(dir, name, s, strlen(s));
}

static X509 *parse_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

static EVP_PKEY *parse_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return k;
}

static int write_p12(const char *dir, const char *name, PKCS12 *p12)
{
    unsigned char *der = NULL;
    int len = p12 ? i2d_PKCS12(p12, &der) : -1;
    int rc = len > 0 ? write_file(dir, name, der, (size_t)len) : -1;
    OPENSSL_free(der);
    PKCS12_free(p12);
    return rc;
}

/* The client keystore and the CA truststore. */
static int write_stores(const kcerts *c, const char *dir, const char *password)
{
    X509 *ca = parse_cert(c->ca_cert), *cert = parse_cert(c->client_cert);
    EVP_PKEY *key = parse_key(c->client_key);
    STACK_OF(X509) *chain = sk_X509_new_null();
    int rc = -1;
    if (ca && cert && key && chain && sk_X509_push(chain, ca) > 0) {
        rc = write_p12(dir, "client.p12",
                       PKCS12_create(password, "kfk-client", key, cert, chain, 0, 0, 0, 0, 0));
        if (!rc)
            rc = write_p12(dir, "truststore.p12",
                           PKCS12_create(password, NULL, NULL, NULL, chain, 0, 0, 0, 0, 0));
    }
    sk_X509_free(chain);
    X509_free(ca);
    X509_free(cert);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return rc;
}

int kcerts_write(const kcerts *c, const char *dir, const char *password)
{
    const struct {
        const char *name, *pem;
    } files[] = {
        {"ca.pem", c->ca_cert},
        {"ca.key", c->ca_key},
        {"server.pem", c->server_cert},
        {"server.key", c->server_key},
        {"wrong.pem", c->wrong_cert},
        {"wrong.key", c->wrong_key},
        {"client.pem", c->client_cert},
        {"client.key", c->client_key},
        {"other.pem", c->other_cert},
        {"other.key", c->other_key},
        {"rogue-ca.pem", c->rogue_ca_cert},
        {"rogue-server.pem", c->rogue_server_cert},
        {"rogue-server.key", c->rogue_server_key},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (write_str(dir, files[i].name, files[i].pem)) return -1;
    EVP_PKEY *key = parse_key(c->client_key);
    char *enc = key ? key_pem(key, password) : NULL;
    EVP_PKEY_free(key);
    int rc = enc ? write_str(dir, "client-encrypted.key", enc) : -1;
    free(enc);
    return rc ? rc : write_stores(c, dir, password);
}
