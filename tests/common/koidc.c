/* The test token endpoint (see koidc.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "koidc.h"

struct koidc_server {
    koidc_server_config cfg;
    char *id, *secret;
    SSL_CTX *ctx;
    int listen_fd;
    char url[128];
    pthread_t thread;
    atomic_bool stop;
    atomic_int tokens;
    int answers;
};

/* --- one connection, plain or TLS ---------------------------------------------- */

typedef struct peer {
    int fd;
    SSL *ssl;
} peer;

static int peer_read(peer *p, char *buf, int n)
{
    return p->ssl ? SSL_read(p->ssl, buf, n) : (int)recv(p->fd, buf, (size_t)n, 0);
}

static void peer_write(peer *p, const char *buf, size_t n)
{
    if (p->ssl)
        SSL_write(p->ssl, buf, (int)n);
    else if (send(p->fd, buf, n, MSG_NOSIGNAL) < 0)
        return;
}

/* Reads the request head and its Content-Length body into buf. */
static int read_request(peer *p, char *buf, size_t cap)
{
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        if (len + 1 >= cap) return -1;
        int r = peer_read(p, buf + len, (int)(cap - 1 - len));
        if (r <= 0) return -1;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
    while (len < want && len + 1 < cap) {
        int r = peer_read(p, buf + len, (int)(cap - 1 - len));
        if (r <= 0) return -1;
        len += (size_t)r;
    }
    buf[len] = '\0';
    return 0;
}

/* --- the token ------------------------------------------------------------------ */

static void b64url(const char *in, char *out)
{
    int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)strlen(in));
    for (int i = 0; i < n; i++) {
        if (out[i] == '+') out[i] = '-';
        if (out[i] == '/') out[i] = '_';
        if (out[i] == '=') out[i] = '\0';
    }
}

static void make_token(const koidc_server *s, char *out)
{
    char claims[512], c64[800], h64[64];
    long now = (long)time(NULL);
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld,\"scope\":\"kafka\",\"aud\":\"kafka\"}",
             s->id, now, now + s->cfg.lifetime_s);
    b64url("{\"alg\":\"none\"}", h64);
    b64url(claims, c64);
    sprintf(out, "%s.%s.", h64, c64);
}

/* --- answers -------------------------------------------------------------------- */

static void answer(koidc_server *s, peer *p, int status, const char *text, const char *body)
{
    char head[256];
    bool chunked = s->answers++ % 2;
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nConnection: close\r\n",
                     status, text);
    if (chunked)
        n += snprintf(head + n, sizeof(head) - (size_t)n, "Transfer-Encoding: chunked\r\n\r\n");
    else
        n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n\r\n",
                      strlen(body));
    peer_write(p, head, (size_t)n);
    if (!chunked) {
        peer_write(p, body, strlen(body));
        return;
    }
    size_t len = strlen(body), half = len / 2;
    char size[32];
    const char *parts[2] = {body, body + half};
    size_t sizes[2] = {half, len - half};
    for (int i = 0; i < 2; i++) {
        if (!sizes[i]) continue;
        n = snprintf(size, sizeof(size), "%zx\r\n", sizes[i]);
        peer_write(p, size, (size_t)n);
        peer_write(p, parts[i], sizes[i]);
        peer_write(p, "\r\n", 2);
    }
    peer_write(p, "0\r\n\r\n", 5);
}

static bool credentials_ok(const koidc_server *s, const char *req)
{
    char pair[256], want[400];
    snprintf(pair, sizeof(pair), "%s:%s", s->id, s->secret);
    EVP_EncodeBlock((unsigned char *)want, (const unsigned char *)pair, (int)strlen(pair));
    const char *auth = strcasestr(req, "\r\nAuthorization: Basic ");
    if (!auth) return false;
    auth += 23;
    size_t n = strcspn(auth, "\r");
    return n == strlen(want) && strncmp(auth, want, n) == 0;
}

static void serve(koidc_server *s, peer *p)
{
    char req[8192], body[2048], token[1024];
    if (read_request(p, req, sizeof(req))) return;
    const char *form = strstr(req, "\r\n\r\n") + 4;
    if (strncmp(req, "POST /token ", 12) != 0) {
        answer(s, p, 404, "Not Found", "{\"error\":\"not_found\"}");
    } else if (strncmp(form, "grant_type=client_credentials", 29) != 0) {
        answer(s, p, 400, "Bad Request", "{\"error\":\"unsupported_grant_type\"}");
    } else if (!credentials_ok(s, req)) {
        answer(s, p, 401, "Unauthorized",
               "{\"error\":\"invalid_client\",\"error_description\":\"client authentication "
               "failed\"}");
    } else if (s->cfg.malformed) {
        answer(s, p, 200, "OK", "{\"access_token\": oops");
    } else {
        make_token(s, token);
        snprintf(body, sizeof(body),
                 "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":%d}", token,
                 s->cfg.lifetime_s);
        atomic_fetch_add(&s->tokens, 1);
        answer(s, p, 200, "OK", body);
    }
}

static void *run(void *arg)
{
    koidc_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pf = {.fd = s->listen_fd, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0) continue;
        peer p = {.fd = accept(s->listen_fd, NULL, NULL)};
        if (p.fd < 0) continue;
        struct timeval tv = {5, 0};
        setsockopt(p.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (s->ctx) {
            p.ssl = SSL_new(s->ctx);
            SSL_set_fd(p.ssl, p.fd);
            if (SSL_accept(p.ssl) == 1) serve(s, &p);
            SSL_shutdown(p.ssl);
            SSL_free(p.ssl);
        } else {
            serve(s, &p);
        }
        close(p.fd);
    }
    return NULL;
}

/* --- setting up ----------------------------------------------------------------- */

static SSL_CTX *server_ctx(const char *cert_pem, const char *key_pem)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    bool ok = ctx && cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 &&
              SSL_CTX_use_PrivateKey(ctx, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

koidc_server *koidc_server_start(const koidc_server_config *cfg)
{
    koidc_server *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->cfg = *cfg;
    s->id = strdup(cfg->client_id);
    s->secret = strdup(cfg->client_secret);
    int port = 0;
    s->listen_fd = listen_loopback(&port);
    if (cfg->cert_pem) s->ctx = server_ctx(cfg->cert_pem, cfg->key_pem);
    snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%d/token", cfg->cert_pem ? "https" : "http",
             port);
    if (s->listen_fd < 0 || (cfg->cert_pem && !s->ctx) ||
        pthread_create(&s->thread, NULL, run, s)) {
        if (s->listen_fd >= 0) close(s->listen_fd);
        SSL_CTX_free(s->ctx);
        free(s->id);
        free(s->secret);
        free(s);
        return NULL;
    }
    return s;
}

const char *koidc_server_url(const koidc_server *s)
{
    return s->url;
}

int koidc_server_tokens(const koidc_server *s)
{
    return atomic_load(&((koidc_server *)s)->tokens);
}

void koidc_server_stop(koidc_server *s)
{
    if (!s) return;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    SSL_CTX_free(s->ctx);
    free(s->id);
    free(s->secret);
    free(s);
}
