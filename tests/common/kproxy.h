/* A TCP proxy on loopback for the chaos tests of a network partition
 * between the client and one broker (tools/kafka start --proxied): route
 * i listens on 127.0.0.1:front[i] and forwards each connection it accepts
 * to 127.0.0.1:back[i]. One thread moves the bytes with poll(); the test
 * thread switches a route between passing traffic and a blackhole. */
#ifndef KFK_TESTS_KPROXY_H
#define KFK_TESTS_KPROXY_H

#include <stdbool.h>

#define KPROXY_MAX_ROUTES 9

typedef struct kproxy kproxy;

typedef enum kproxy_mode {
    /* Bytes flow both ways. */
    KPROXY_PASS,
    /* A partition: nothing of the route's connections is read or
     * written any more, either way (TCP backs up; nothing is closed), and
     * connections accepted meanwhile are not forwarded (their connect to
     * the broker waits). Back to KPROXY_PASS, everything held flows on,
     * as retransmission delivers it once a real partition heals. */
    KPROXY_BLACKHOLE,
} kproxy_mode;

/* Parses a `tools/kafka start --proxied` line's value,
 * "127.0.0.1:F1>127.0.0.1:R1,127.0.0.1:F2>127.0.0.1:R2,..." (node order),
 * into front[] and back[] (max entries each). Returns the number of
 * routes, or -1 when text is not such a list. */
int kproxy_parse(const char *text, int *front, int *back, int max);

/* Listens on every front port and starts the thread; every route starts
 * in KPROXY_PASS. NULL (with a message on stderr) when a port cannot be
 * listened on or the thread cannot start. */
kproxy *kproxy_start(int n, const int *front, const int *back);

/* Switches route i (0-based; node i+1). Any thread; the proxy's thread
 * acts on it within one round of its loop (at most one read and one
 * write per socket of the route after the call). */
void kproxy_set_mode(kproxy *p, int i, kproxy_mode mode);

/* Connections accepted on route i's front port so far. Any thread. */
int kproxy_accepted(kproxy *p, int i);

/* Stops the thread and closes every socket it had, then frees p. NULL is
 * a no-op. */
void kproxy_stop(kproxy *p);

#endif
