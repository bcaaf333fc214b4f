/* Building a client's TLS context from its ssl.* settings (see tls.h):
 * trust, the client's own certificate and key, versions, ciphers, CRLs.
 * Every failure names the property at fault and OpenSSL's reason. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/tls_int.h"

static bool set(const char *s)
{
    return s && *s;
}

/* Formats "what: OpenSSL's reason" into errstr and returns NULL-able -1. */
static int fail(char *errstr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *errstr, size_t errlen, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    unsigned long e = ERR_peek_last_error();
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    snprintf(errstr, errlen, "%s%s%s", what, why ? ": " : "", why ? why : "");
    ERR_clear_error();
    return -1;
}

/* --- reading files ---------------------------------------------------------- */

static BIO *open_file(const char *path, const char *prop, char *errstr, size_t errlen)
{
    BIO *b = BIO_new_file(path, "rb");
    if (!b) {
        ERR_clear_error();
        snprintf(errstr, errlen, "%s: cannot read %s: %s", prop, path, strerror(errno));
    }
    return b;
}

/* Whether the file at path is PEM text (else DER, as PKCS#12 is). */
static int file_is_pem(const char *path, const char *prop, char *errstr, size_t errlen)
{
    BIO *b = open_file(path, prop, errstr, errlen);
    if (!b) return -1;
    char head[64] = {0};
    int n = BIO_read(b, head, sizeof(head) - 1);
    BIO_free(b);
    if (n < 0) n = 0;
    head[n] = '\0';
    return strstr(head, "-----BEGIN") != NULL || n == 0;
}

/* Resolves a store's type: "PEM" or "PKCS12", as set or guessed from the
 * file. Java's JKS has no OpenSSL reader: refused with the way out. */
static int store_type(const char *type, const char *path, const char *prop, char *errstr,
                      size_t errlen)
{
    if (set(type) && strcasecmp(type, "PEM") == 0) return 0;
    if (set(type) && strcasecmp(type, "PKCS12") == 0) return 1;
    if (set(type))
        return fail(errstr, errlen,
                    "%s.type=%s is not supported: kfk reads PEM and PKCS12 (convert a JKS store "
                    "with keytool -importkeystore -deststoretype PKCS12)",
                    prop, type);
    char location[64];
    snprintf(location, sizeof(location), "%s.location", prop);
    int pem = file_is_pem(path, location, errstr, errlen);
    return pem < 0 ? -1 : !pem;
}

/* Adds every certificate of PEM text in b to store; returns how many. */
static int add_pem_certs(X509_STORE *store, BIO *b)
{
    int n = 0;
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        if (X509_STORE_add_cert(store, x)) n++;
        X509_free(x);
    }
    ERR_clear_error(); /* the end of the text reads as an error */
    return n;
}

static int add_pem_file(X509_STORE *store, const char *path, const char *prop, char *errstr,
                        size_t errlen)
{
    BIO *b = open_file(path, prop, errstr, errlen);
    if (!b) return -1;
    int n = add_pem_certs(store, b);
    BIO_free(b);
    return n;
}

/* A directory of PEM files: every certificate in every regular file
 * (unlike OpenSSL's hashed-name directories, it needs no c_rehash). */
static int add_pem_dir(X509_STORE *store, const char *dir, const char *prop, char *errstr,
                       size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(errstr, errlen, "%s: cannot read %s: %s", prop, dir, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode)) continue;
        BIO *b = BIO_new_file(path, "rb");
        if (!b) continue;
        n += add_pem_certs(store, b);
        BIO_free(b);
    }
    ERR_clear_error();
    closedir(d);
    return n;
}

/* The contents of a PKCS#12 store, for its reader to take what it needs. */
typedef struct p12_contents {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) *ca;
} p12_contents;

static void p12_free(p12_contents *p)
{
    EVP_PKEY_free(p->key);
    X509_free(p->cert);
    sk_X509_pop_free(p->ca, X509_free);
}

/* Opens the PKCS#12 store at path (the value of property `prefix`.location)
 * with password (NULL: none). -1 with the reason in errstr. */
static int read_p12(const char *path, const char *prefix, const char *password, p12_contents *out,
                    char *errstr, size_t errlen)
{
    *out = (p12_contents){0};
    char prop[64];
    snprintf(prop, sizeof(prop), "%s.location", prefix);
    BIO *b = open_file(path, prop, errstr, errlen);
    if (!b) return -1;
    PKCS12 *p12 = d2i_PKCS12_bio(b, NULL);
    BIO_free(b);
    if (!p12) return fail(errstr, errlen, "%s: %s is not a PKCS#12 store", prop, path);
    int ok = PKCS12_parse(p12, password ? password : "", &out->key, &out->cert, &out->ca);
    PKCS12_free(p12);
    if (!ok)
        return fail(errstr, errlen, "%s: cannot open %s (wrong %s.password?)", prop, path, prefix);
    ERR_clear_error();
    return 0;
}

/* --- trust -------------------------------------------------------------------- */

static int trust_p12(X509_STORE *store, const ktls_config *cfg, char *errstr, size_t errlen)
{
    p12_contents p;
    if (read_p12(cfg->truststore_location, "ssl.truststore", cfg->truststore_password, &p, errstr,
                 errlen))
        return -1;
    int n = 0;
    if (p.cert && X509_STORE_add_cert(store, p.cert)) n++;
    for (int i = 0; p.ca && i < sk_X509_num(p.ca); i++)
        if (X509_STORE_add_cert(store, sk_X509_value(p.ca, i))) n++;
    p12_free(&p);
    ERR_clear_error();
    return n;
}

static int load_trust(SSL_CTX *ctx, const ktls_config *cfg, char *errstr, size_t errlen)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    if (set(cfg->truststore_certificates)) {
        BIO *b = BIO_new_mem_buf(cfg->truststore_certificates, -1);
        int n = b ? add_pem_certs(store, b) : -1;
        BIO_free(b);
        if (n <= 0)
            return fail(errstr, errlen, "ssl.truststore.certificates holds no PEM certificate");
    }
    if (set(cfg->truststore_location)) {
        const char *loc = cfg->truststore_location;
        struct stat st;
        int n;
        if (stat(loc, &st) == 0 && S_ISDIR(st.st_mode)) {
            n = add_pem_dir(store, loc, "ssl.truststore.location", errstr, errlen);
        } else {
            int p12 = store_type(cfg->truststore_type, loc, "ssl.truststore", errstr, errlen);
            if (p12 < 0) return -1;
            n = p12 ? trust_p12(store, cfg, errstr, errlen)
                    : add_pem_file(store, loc, "ssl.truststore.location", errstr, errlen);
        }
        if (n < 0) return -1;
        if (n == 0)
            return fail(errstr, errlen, "ssl.truststore.location: no certificate in %s", loc);
    }
    if (!set(cfg->truststore_certificates) && !set(cfg->truststore_location) &&
        !SSL_CTX_set_default_verify_paths(ctx))
        return fail(errstr, errlen, "cannot load the system's CA certificates");
    if (set(cfg->crl_location)) {
        int n = X509_load_crl_file(X509_STORE_add_lookup(store, X509_LOOKUP_file()),
                                   cfg->crl_location, X509_FILETYPE_PEM);
        if (n <= 0)
            return fail(errstr, errlen, "ssl.crl.location: no CRL in %s", cfg->crl_location);
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    return 0;
}

/* --- the client's certificate ----------------------------------------------- */

/* A key and its chain from PEM text in two BIOs (they may be one file). */
static int use_pem(SSL_CTX *ctx, BIO *chain, BIO *keyb, const char *pw, const char *what,
                   char *errstr, size_t errlen)
{
    X509 *leaf = PEM_read_bio_X509_AUX(chain, NULL, NULL, NULL);
    if (!leaf) return fail(errstr, errlen, "%s: no PEM certificate", what);
    STACK_OF(X509) *rest = sk_X509_new_null();
    X509 *x;
    while (rest && (x = PEM_read_bio_X509(chain, NULL, NULL, NULL)))
        sk_X509_push(rest, x);
    ERR_clear_error();
    EVP_PKEY *key = PEM_read_bio_PrivateKey(keyb, NULL, NULL, (void *)(pw ? pw : ""));
    int rc = 0;
    if (!key)
        rc =
            fail(errstr, errlen, "%s: cannot read the private key (wrong ssl.key.password?)", what);
    else if (!SSL_CTX_use_cert_and_key(ctx, leaf, key, rest, 1))
        rc = fail(errstr, errlen, "%s: the key does not match the certificate", what);
    X509_free(leaf);
    EVP_PKEY_free(key);
    sk_X509_pop_free(rest, X509_free);
    return rc;
}

static int use_pem_files(SSL_CTX *ctx, const char *chain_path, const char *key_path, const char *pw,
                         const char *what, char *errstr, size_t errlen)
{
    BIO *c = open_file(chain_path, what, errstr, errlen);
    BIO *k = c ? open_file(key_path, what, errstr, errlen) : NULL;
    int rc = k ? use_pem(ctx, c, k, pw, what, errstr, errlen) : -1;
    BIO_free(c);
    BIO_free(k);
    return rc;
}

static int use_p12(SSL_CTX *ctx, const ktls_config *cfg, char *errstr, size_t errlen)
{
    p12_contents p;
    if (read_p12(cfg->keystore_location, "ssl.keystore", cfg->keystore_password, &p, errstr,
                 errlen))
        return -1;
    int rc = 0;
    if (!p.key || !p.cert)
        rc = fail(errstr, errlen, "ssl.keystore.location: %s holds no key and certificate",
                  cfg->keystore_location);
    else if (!SSL_CTX_use_cert_and_key(ctx, p.cert, p.key, p.ca, 1))
        rc = fail(errstr, errlen, "ssl.keystore.location: the key does not match the certificate");
    p12_free(&p);
    return rc;
}

static int load_identity(SSL_CTX *ctx, const ktls_config *cfg, char *errstr, size_t errlen)
{
    const char *pw = cfg->key_password;
    if (set(cfg->keystore_certificate_chain)) {
        BIO *c = BIO_new_mem_buf(cfg->keystore_certificate_chain, -1);
        BIO *k = BIO_new_mem_buf(cfg->keystore_key, -1);
        int rc = c && k ? use_pem(ctx, c, k, pw, "ssl.keystore.certificate.chain", errstr, errlen)
                        : fail(errstr, errlen, "out of memory");
        BIO_free(c);
        BIO_free(k);
        return rc;
    }
    if (set(cfg->keystore_location)) {
        const char *loc = cfg->keystore_location;
        int p12 = store_type(cfg->keystore_type, loc, "ssl.keystore", errstr, errlen);
        if (p12 < 0) return -1;
        if (p12) return use_p12(ctx, cfg, errstr, errlen);
        /* Java's PEM key store: the key and the chain in one file, the
         * key encrypted with ssl.key.password when it is. */
        return use_pem_files(ctx, loc, loc, pw, "ssl.keystore.location", errstr, errlen);
    }
    if (set(cfg->certificate_location))
        return use_pem_files(ctx, cfg->certificate_location, cfg->key_location, pw,
                             "ssl.certificate.location", errstr, errlen);
    return 0;
}

/* --- versions and ciphers ------------------------------------------------------ */

/* The OpenSSL name of a TLS 1.2 suite given by its IANA name (as Java
 * takes them) or by its OpenSSL name; NULL when OpenSSL has no such suite. */
static const char *openssl_suite_name(const char *name)
{
    static const char *const all = "ALL:COMPLEMENTOFALL";
    const char *found = NULL;
    SSL_CTX *probe = SSL_CTX_new(TLS_client_method());
    if (!probe || !SSL_CTX_set_cipher_list(probe, all)) {
        SSL_CTX_free(probe);
        return NULL;
    }
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(probe);
    for (int i = 0; i < sk_SSL_CIPHER_num(sk) && !found; i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        const char *iana = SSL_CIPHER_standard_name(c);
        if ((iana && strcmp(iana, name) == 0) || strcmp(SSL_CIPHER_get_name(c), name) == 0)
            found = SSL_CIPHER_get_name(c); /* static storage in OpenSSL */
    }
    SSL_CTX_free(probe);
    return found;
}

static bool is_tls13_suite(const char *name)
{
    return strncmp(name, "TLS_AES_", 8) == 0 || strncmp(name, "TLS_CHACHA20_", 13) == 0;
}

/* ssl.cipher.suites: only the suites named, as Java enables them. TLS 1.3
 * suites go to OpenSSL's ciphersuites, the others to its cipher list; a
 * version left without any suite cannot be negotiated. */
static int set_ciphers(SSL_CTX *ctx, ktls_config *cfg, char *errstr, size_t errlen)
{
    if (!set(cfg->cipher_suites)) return 0;
    char *list = strdup(cfg->cipher_suites), *save = NULL;
    char v12[2048] = "", v13[512] = "";
    int rc = list ? 0 : fail(errstr, errlen, "out of memory");
    for (char *n = list ? strtok_r(list, ", ", &save) : NULL; n && !rc;
         n = strtok_r(NULL, ", ", &save)) {
        char *to = is_tls13_suite(n) ? v13 : v12;
        size_t cap = is_tls13_suite(n) ? sizeof(v13) : sizeof(v12);
        const char *name = is_tls13_suite(n) ? n : openssl_suite_name(n);
        if (!name)
            rc = fail(errstr, errlen, "ssl.cipher.suites: OpenSSL has no cipher suite %s", n);
        else if (strlen(to) + strlen(name) + 2 > cap)
            rc = fail(errstr, errlen, "ssl.cipher.suites: too many suites");
        else
            snprintf(to + strlen(to), cap - strlen(to), "%s%s", *to ? ":" : "", name);
    }
    free(list);
    if (rc) return rc;
    if (!SSL_CTX_set_ciphersuites(ctx, v13))
        return fail(errstr, errlen, "ssl.cipher.suites: OpenSSL refused %s", v13);
    if (!*v13 && cfg->max_version > TLS1_2_VERSION) cfg->max_version = TLS1_2_VERSION;
    if (!*v12 && cfg->min_version < TLS1_3_VERSION) cfg->min_version = TLS1_3_VERSION;
    if (*v12 && !SSL_CTX_set_cipher_list(ctx, v12))
        return fail(errstr, errlen, "ssl.cipher.suites: OpenSSL refused %s", v12);
    if (cfg->min_version > cfg->max_version)
        return fail(errstr, errlen,
                    "ssl.cipher.suites names no suite of the versions in ssl.enabled.protocols");
    return 0;
}

/* --- the context ------------------------------------------------------------- */

ktls_ctx *ktls_ctx_new(const ktls_config *cfg_in, char *errstr, size_t errlen)
{
    ktls_config cfg = *cfg_in;
    ERR_clear_error();
    ktls_ctx *t = calloc(1, sizeof(*t));
    SSL_CTX *ctx = t ? SSL_CTX_new(TLS_client_method()) : NULL;
    if (!ctx) {
        fail(errstr, errlen, "cannot create a TLS context");
        free(t);
        return NULL;
    }
    t->ctx = ctx;
    if (load_trust(ctx, &cfg, errstr, errlen) || load_identity(ctx, &cfg, errstr, errlen) ||
        set_ciphers(ctx, &cfg, errstr, errlen)) {
        ktls_ctx_free(t);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, cfg.min_version);
    SSL_CTX_set_max_proto_version(ctx, cfg.max_version);
    /* Whole frames go out with one write each, often larger than one TLS
     * record: let a write take part of the buffer, and let the buffer move
     * between attempts (the output buffer grows while a write waits). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Read ahead: fewer read() calls for large fetch responses. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, ktls_verify_cb);
    t->verify_hostname = cfg.verify_hostname;
    t->verify_cb = cfg.verify_cb;
    t->verify_opaque = cfg.verify_opaque;
    return t;
}

void ktls_ctx_free(ktls_ctx *t)
{
    if (!t) return;
    SSL_CTX_free(t->ctx);
    free(t);
}
