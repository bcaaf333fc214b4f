/* Nonblocking TCP sockets and broker addresses. */
#ifndef KFK_NET_SOCK_H
#define KFK_NET_SOCK_H

#include <stddef.h>
#include <sys/socket.h>

/* The addresses a host name resolved to, tried in order. */
#define KADDRS_MAX 16
typedef struct kaddrs {
    int n;
    struct sockaddr_storage addr[KADDRS_MAX];
    socklen_t len[KADDRS_MAX];
} kaddrs;

/* Splits "host:port" or "[v6addr]:port" (len bytes of s) into host (a
 * NUL-terminated copy, at most hostlen - 1 bytes) and port. Returns 0, or
 * -1 when s is not that shape or the port is not 1..65535. */
int ksock_split_hostport(const char *s, size_t len, char *host, size_t hostlen, int *port);

/* Resolves host and port with getaddrinfo (TCP, any family). numeric_only
 * refuses names that need DNS, so it never blocks. Returns 0, or an EAI_*
 * code (gai_strerror names it). */
int ksock_resolve(const char *host, int port, int numeric_only, kaddrs *out);

/* Formats addr as "1.2.3.4:9092" or "[::1]:9092" into buf. */
void ksock_addr_str(const struct sockaddr *addr, char *buf, size_t len);

/* Starts a nonblocking connect to addr on a new close-on-exec socket with
 * TCP_NODELAY and, when > 0, the given kernel buffer sizes. Returns the fd
 * (the connect is complete or in progress: wait for EPOLLOUT, then check
 * ksock_error) or -errno. */
int ksock_connect(const struct sockaddr *addr, socklen_t len, int sndbuf, int rcvbuf);

/* The pending error of a socket (SO_ERROR): 0 when the connect
 * succeeded, else an errno value. */
int ksock_error(int fd);

#endif
