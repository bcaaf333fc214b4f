/* A loopback TCP proxy with a blackhole switch per route: see kproxy.h. */
#include "kproxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE 65536

/* One byte stream of a link: read from one socket into buf, written from
 * buf to the other socket. */
typedef struct pipe_buf {
    char buf[BUF_SIZE];
    size_t start, end; /* buf[start..end) waits to be written */
    bool eof;          /* the reading side closed or failed */
} pipe_buf;

/* One accepted connection: the client's socket and the one to the
 * broker (-1 until the route passes traffic: a connection accepted
 * during a blackhole is connected on healing). */
typedef struct conn {
    int route;
    int cfd, bfd;
    bool connecting; /* bfd's connect is under way */
    pipe_buf up;     /* client -> broker */
    pipe_buf down;   /* broker -> client */
} conn;

struct kproxy {
    int n;
    int lfd[KPROXY_MAX_ROUTES];
    int back[KPROXY_MAX_ROUTES];
    atomic_int mode[KPROXY_MAX_ROUTES];
    atomic_int accepted[KPROXY_MAX_ROUTES];
    int wake[2]; /* a byte on wake[1]: look at the modes again (or stop) */
    atomic_bool stop;
    pthread_t thread;
    conn **links;
    size_t n_links, cap_links;
};

int kproxy_parse(const char *text, int *front, int *back, int max)
{
    int n = 0;
    const char *s = text;
    while (s && *s) {
        int f, b, used = 0;
        if (n == max || sscanf(s, "127.0.0.1:%d>127.0.0.1:%d%n", &f, &b, &used) != 2 || used == 0)
            return -1;
        if (f <= 0 || f > 65535 || b <= 0 || b > 65535) return -1;
        front[n] = f;
        back[n] = b;
        n++;
        s += used;
        if (*s == ',') {
            s++;
        } else if (*s && *s != '\n') {
            return -1;
        } else {
            break;
        }
    }
    return n > 0 ? n : -1;
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = loopback(port);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0) {
        fprintf(stderr, "kproxy: listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Starts the connect of l to its broker. */
static void link_connect(kproxy *p, conn *l)
{
    l->bfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->bfd < 0) {
        l->up.eof = l->down.eof = true;
        return;
    }
    struct sockaddr_in a = loopback(p->back[l->route]);
    int rc = connect(l->bfd, (struct sockaddr *)&a, sizeof(a));
    l->connecting = rc != 0 && errno == EINPROGRESS;
    if (rc != 0 && !l->connecting) l->up.eof = l->down.eof = true;
}

static void link_free(conn *l)
{
    close(l->cfd);
    if (l->bfd >= 0) close(l->bfd);
    free(l);
}

static bool links_room(kproxy *p)
{
    if (p->n_links < p->cap_links) return true;
    size_t cap = p->cap_links * 2 + 8;
    conn **a = realloc(p->links, cap * sizeof(*a));
    if (!a) return false;
    p->links = a;
    p->cap_links = cap;
    return true;
}

static void accept_on(kproxy *p, int route)
{
    for (;;) {
        int fd = accept4(p->lfd[route], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        atomic_fetch_add(&p->accepted[route], 1);
        conn *l = calloc(1, sizeof(*l));
        if (!l || !links_room(p)) {
            free(l);
            close(fd);
            continue;
        }
        l->route = route;
        l->cfd = fd;
        l->bfd = -1;
        if (atomic_load(&p->mode[route]) == KPROXY_PASS) link_connect(p, l);
        p->links[p->n_links++] = l;
    }
}

/* Reads what fits into b from fd. */
static void fill(pipe_buf *b, int fd)
{
    if (b->eof || b->end == BUF_SIZE) return;
    ssize_t got = read(fd, b->buf + b->end, BUF_SIZE - b->end);
    if (got > 0) {
        b->end += (size_t)got;
    } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        b->eof = true;
    }
}

/* Writes what b holds to fd; false when fd failed. */
static bool drain(pipe_buf *b, int fd)
{
    if (b->start == b->end) return true;
    ssize_t put = send(fd, b->buf + b->start, b->end - b->start, MSG_NOSIGNAL);
    if (put > 0) {
        b->start += (size_t)put;
        if (b->start == b->end) b->start = b->end = 0; /* room for a whole read again */
        return true;
    }
    return put < 0 && (errno == EAGAIN || errno == EINTR);
}

/* A link is over once a side closed and what it sent has been passed
 * on (what flowed the other way has nobody left to read it). */
static bool link_done(const conn *l)
{
    return (l->up.eof && l->up.start == l->up.end) || (l->down.eof && l->down.start == l->down.end);
}

/* The poll events for each of l's sockets while its route passes. */
static void link_events(const conn *l, short *cev, short *bev)
{
    *cev = *bev = 0;
    if (!l->up.eof && l->up.end < BUF_SIZE) *cev |= POLLIN;
    if (l->down.start < l->down.end) *cev |= POLLOUT;
    if (l->bfd < 0) return;
    if (l->connecting) {
        *bev = POLLOUT;
        return;
    }
    if (!l->down.eof && l->down.end < BUF_SIZE) *bev |= POLLIN;
    if (l->up.start < l->up.end) *bev |= POLLOUT;
}

/* Moves l's bytes after poll said cre and bre of its sockets. */
static void link_step(kproxy *p, conn *l, short cre, short bre)
{
    if (l->bfd < 0) link_connect(p, l); /* accepted during a blackhole, healed since */
    if (l->connecting && bre) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(l->bfd, SOL_SOCKET, SO_ERROR, &err, &len);
        l->connecting = false;
        if (err) l->up.eof = l->down.eof = true;
        return;
    }
    if (cre & (POLLIN | POLLHUP | POLLERR)) fill(&l->up, l->cfd);
    if (!l->connecting && l->bfd >= 0 && (bre & (POLLIN | POLLHUP | POLLERR)))
        fill(&l->down, l->bfd);
    if ((cre & POLLOUT) && !drain(&l->down, l->cfd)) l->down.eof = l->up.eof = true;
    if (!l->connecting && l->bfd >= 0 && (bre & POLLOUT) && !drain(&l->up, l->bfd))
        l->up.eof = l->down.eof = true;
}

static void *proxy_main(void *arg)
{
    kproxy *p = arg;
    struct pollfd *fds = NULL;
    size_t cap = 0;
    while (!atomic_load(&p->stop)) {
        size_t want = 1 + (size_t)p->n + 2 * p->n_links, k = 0;
        if (want > cap) {
            cap = want * 2;
            fds = realloc(fds, cap * sizeof(*fds));
            if (!fds) abort();
        }
        fds[k++] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
        for (int i = 0; i < p->n; i++)
            fds[k++] = (struct pollfd){.fd = p->lfd[i], .events = POLLIN};
        for (size_t j = 0; j < p->n_links; j++) {
            conn *l = p->links[j];
            short cev = 0, bev = 0;
            bool pass = atomic_load(&p->mode[l->route]) == KPROXY_PASS;
            if (pass) link_events(l, &cev, &bev);
            /* A negative fd is left out by poll: a blackholed link is not
             * even watched for its peer's close. */
            fds[k++] = (struct pollfd){.fd = pass ? l->cfd : -1, .events = cev};
            fds[k++] = (struct pollfd){.fd = pass && l->bfd >= 0 ? l->bfd : -1, .events = bev};
        }
        if (poll(fds, k, -1) < 0 && errno != EINTR) break;
        if (fds[0].revents) {
            char drop[64];
            while (read(p->wake[0], drop, sizeof(drop)) > 0) {
            }
        }
        size_t n_links = p->n_links; /* links accepted below are polled next round */
        for (size_t j = 0; j < n_links; j++) {
            conn *l = p->links[j];
            if (atomic_load(&p->mode[l->route]) != KPROXY_PASS) continue;
            link_step(p, l, fds[1 + p->n + 2 * j].revents, fds[2 + p->n + 2 * j].revents);
        }
        size_t kept = 0;
        for (size_t j = 0; j < p->n_links; j++) {
            if (link_done(p->links[j]))
                link_free(p->links[j]);
            else
                p->links[kept++] = p->links[j];
        }
        p->n_links = kept;
        for (int i = 0; i < p->n; i++)
            if (fds[1 + i].revents & POLLIN) accept_on(p, i);
    }
    free(fds);
    return NULL;
}

static void wake(kproxy *p)
{
    char b = 1;
    if (write(p->wake[1], &b, 1) < 0 && errno != EAGAIN) perror("kproxy: wake");
}

kproxy *kproxy_start(int n, const int *front, const int *back)
{
    if (n <= 0 || n > KPROXY_MAX_ROUTES) return NULL;
    kproxy *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->n = n;
    for (int i = 0; i < n; i++)
        p->lfd[i] = -1;
    bool ok = pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) == 0;
    for (int i = 0; ok && i < n; i++) {
        p->back[i] = back[i];
        p->lfd[i] = listen_on(front[i]);
        ok = p->lfd[i] >= 0;
    }
    if (ok && pthread_create(&p->thread, NULL, proxy_main, p) == 0) return p;
    for (int i = 0; i < n; i++)
        if (p->lfd[i] >= 0) close(p->lfd[i]);
    if (p->wake[0] > 0) {
        close(p->wake[0]);
        close(p->wake[1]);
    }
    free(p);
    return NULL;
}

void kproxy_set_mode(kproxy *p, int i, kproxy_mode mode)
{
    if (i < 0 || i >= p->n) return;
    atomic_store(&p->mode[i], (int)mode);
    wake(p);
}

int kproxy_accepted(kproxy *p, int i)
{
    return i >= 0 && i < p->n ? atomic_load(&p->accepted[i]) : 0;
}

void kproxy_stop(kproxy *p)
{
    if (!p) return;
    atomic_store(&p->stop, true);
    wake(p);
    pthread_join(p->thread, NULL);
    for (size_t j = 0; j < p->n_links; j++)
        link_free(p->links[j]);
    free(p->links);
    for (int i = 0; i < p->n; i++)
        close(p->lfd[i]);
    close(p->wake[0]);
    close(p->wake[1]);
    free(p);
}
