#include "net/sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ksock_split_hostport(const char *s, size_t len, char *host, size_t hostlen, int *port)
{
    const char *end = s + len, *h = s, *he, *colon;
    if (len && *s == '[') {
        const char *close = memchr(s, ']', len);
        if (!close || close + 1 >= end || close[1] != ':') return -1;
        h = s + 1;
        he = close;
        colon = close + 1;
    } else {
        colon = NULL;
        for (const char *p = s; p < end; p++)
            if (*p == ':') colon = p;
        if (!colon) return -1;
        he = colon;
    }
    size_t hl = (size_t)(he - h);
    if (hl == 0 || hl >= hostlen) return -1;
    long v = 0;
    const char *p = colon + 1;
    if (p == end) return -1;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (*p - '0')) > 65535) return -1;
    }
    if (v < 1) return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)v;
    return 0;
}

int ksock_resolve(const char *host, int port, int numeric_only, kaddrs *out)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP};
    hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG | (numeric_only ? AI_NUMERICHOST : 0);
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%d", port);
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc == EAI_BADFLAGS || (rc == EAI_NONAME && !numeric_only)) {
        /* AI_ADDRCONFIG hides loopback addresses on hosts with no other
         * interface of that family; retry without it. */
        hints.ai_flags &= ~AI_ADDRCONFIG;
        rc = getaddrinfo(host, portstr, &hints, &res);
    }
    if (rc) return rc;
    out->n = 0;
    for (struct addrinfo *ai = res; ai && out->n < KADDRS_MAX; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(out->addr[0])) continue;
        memcpy(&out->addr[out->n], ai->ai_addr, ai->ai_addrlen);
        out->len[out->n++] = ai->ai_addrlen;
    }
    freeaddrinfo(res);
    return out->n ? 0 : EAI_NONAME;
}

void ksock_addr_str(const struct sockaddr *addr, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        snprintf(buf, len, "[%s]:%d", ip, ntohs(a->sin6_port));
    } else if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        snprintf(buf, len, "%s:%d", ip, ntohs(a->sin_port));
    } else {
        snprintf(buf, len, "(family %d)", addr->sa_family);
    }
}

int ksock_connect(const struct sockaddr *addr, socklen_t len, int sndbuf, int rcvbuf)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return -errno;
    int one = 1;
    /* Requests are whole frames written at once; Nagle would only add
     * latency to the last one of a burst. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (connect(fd, addr, len) < 0 && errno != EINPROGRESS) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int ksock_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
    return err;
}
