/* A minimal blocking Kafka connection for integration tests: connect, send
 * one framed request, read one framed response. The library's own network
 * layer is non-blocking and lives in lib/net; tests that probe the protocol
 * layer on its own use this instead so that a failure points at one layer. */
#ifndef KFK_TESTS_KWIRE_CLIENT_H
#define KFK_TESTS_KWIRE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* The bootstrap list for integration tests (KFK_TEST_BOOTSTRAP), or NULL. */
const char *ktest_bootstrap(void);

/* For an integration suite's main: true when KFK_TEST_BOOTSTRAP is set;
 * else prints the "SKIP: why" line tests/run-tests reads, and the suite
 * returns KTEST_SKIP. */
bool ktest_need_bootstrap(void);

/* Connects to the first reachable "host:port" of a comma-separated list,
 * with send/receive timeouts of timeout_ms. Returns a socket or -1. */
int kwire_connect(const char *hostports, int timeout_ms);

/* Sends frame (a whole request, its 4-byte size prefix included, as
 * kproto_write_request makes it) and reads the reply into resp (without
 * the size prefix). Returns 0, or -1 on I/O error,
 * timeout, or a reply larger than 64 MiB. */
int kwire_roundtrip(int fd, const kbuf *frame, kbuf *resp);

#endif
