#include "kwire_client.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/rw.h"

const char *ktest_bootstrap(void)
{
    const char *b = getenv("KFK_TEST_BOOTSTRAP");
    return b && *b ? b : NULL;
}

bool ktest_need_bootstrap(void)
{
    if (ktest_bootstrap()) return true;
    printf("SKIP: KFK_TEST_BOOTSTRAP unset (tests/run-integration sets it)\n");
    return false;
}

static int connect_one(const char *host, const char *port, int timeout_ms)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

int kwire_connect(const char *hostports, int timeout_ms)
{
    char *list = strdup(hostports), *save = NULL;
    int fd = -1;
    for (char *hp = strtok_r(list, ",", &save); hp && fd < 0; hp = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(hp, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *host = hp;
        if (host[0] == '[') { /* [::1]:9092 */
            host++;
            host[strlen(host) - 1] = '\0';
        }
        fd = connect_one(host, colon + 1, timeout_ms);
    }
    free(list);
    return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int kwire_roundtrip(int fd, const kbuf *frame, kbuf *resp)
{
    uint8_t hdr[4];
    if (write_all(fd, frame->data, frame->len) || read_all(fd, hdr, 4))
        return -1;
    kreader r = kreader_of(hdr, 4);
    uint32_t n = kread_u32(&r);
    if (n > 64u << 20)
        return -1;
    kbuf_reset(resp);
    uint8_t *p = kbuf_extend(resp, n);
    return p ? read_all(fd, p, n) : -1;
}
