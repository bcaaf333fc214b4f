/* The bootstrap list: bootstrap.servers as configured, or, with
 * client.dns.lookup=resolve_canonical_bootstrap_servers_only, each name
 * replaced by the canonical names of all its addresses (Java's
 * ClientUtils.parseAndValidateAddresses). That mode exists for Kerberos:
 * a service ticket is for the broker's own host name, not for an alias
 * or a load balancer's name in bootstrap.servers. Worked out once, when
 * the client is made (the lookups block, as they do in Java's
 * constructor); rebootstraps reuse the result. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "client/client_int.h"
#include "net/sock.h"

typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

static int sb_add(strbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 2 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256) + n;
        char *p = realloc(b->s, cap);
        if (!p) return -1;
        b->s = p;
        b->cap = cap;
    }
    if (b->len) b->s[b->len++] = ',';
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
    return 0;
}

/* The canonical name of one address: its reverse-DNS name, else the
 * address itself (as Java's getCanonicalHostName), as "host:port". */
static void canonical_entry(const struct addrinfo *ai, int port, char *out, size_t size)
{
    char host[NI_MAXHOST];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NAMEREQD) == 0) {
        snprintf(out, size, "%s:%d", host, port);
        return;
    }
    getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
    snprintf(out, size, ai->ai_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}

/* Appends the canonical entries of host:port not yet in b. Returns how
 * many addresses host had (0: it did not resolve), or -1 out of memory. */
static int expand_one(strbuf *b, const char *host, int port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) return 0;
    int n = 0, rc = 0;
    for (const struct addrinfo *ai = res; ai && rc == 0; ai = ai->ai_next, n++) {
        char entry[NI_MAXHOST + 16];
        canonical_entry(ai, port, entry, sizeof(entry));
        bool seen = false;
        for (const char *p = b->s; p && *p && !seen;) {
            size_t len = strcspn(p, ",");
            seen = len == strlen(entry) && !memcmp(p, entry, len);
            p += len + (p[len] == ',');
        }
        if (!seen && sb_add(b, entry) < 0) rc = -1;
    }
    freeaddrinfo(res);
    return rc < 0 ? -1 : n;
}

static char *canonical_list(const kclient *c, const char *list, char *errstr, size_t errlen)
{
    strbuf b = {0};
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        char host[256];
        int port;
        if (ksock_split_hostport(p, len, host, sizeof(host), &port) < 0) {
            snprintf(errstr, errlen, "bootstrap.servers: \"%.*s\" is not host:port", (int)len, p);
            goto fail;
        }
        int n = expand_one(&b, host, port);
        if (n < 0) goto oom;
        if (n == 0)
            klog(&c->log, KFK_LOG_WARNING, "client",
                 "bootstrap.servers: %s did not resolve (client.dns.lookup="
                 "resolve_canonical_bootstrap_servers_only)",
                 host);
        p += len + (p[len] == ',');
    }
    if (!b.len) {
        snprintf(errstr, errlen,
                 "bootstrap.servers: no name resolved, and client.dns.lookup="
                 "resolve_canonical_bootstrap_servers_only needs the addresses up front");
        goto fail;
    }
    return b.s;
oom:
    snprintf(errstr, errlen, "out of memory");
fail:
    free(b.s);
    return NULL;
}

int kclient_bootstrap_init(kclient *c, char *errstr, size_t errlen)
{
    const char *list = kconf_str(c->conf, KCONF_BOOTSTRAP_SERVERS);
    if (kconf_int(c->conf, KCONF_CLIENT_DNS_LOOKUP) != KCONF_DNS_RESOLVE_CANONICAL_BOOTSTRAP) {
        c->bootstrap = strdup(list);
    } else {
        c->bootstrap = canonical_list(c, list, errstr, errlen);
        if (!c->bootstrap) return -1;
        klog(&c->log, KFK_LOG_INFO, "client", "bootstrap.servers %s resolved to %s", list,
             c->bootstrap);
    }
    if (!c->bootstrap) {
        snprintf(errstr, errlen, "out of memory");
        return -1;
    }
    return 0;
}
