/* Small helpers shared by the Check suites in tests/. */
#ifndef KFK_TESTS_KTEST_H
#define KFK_TESTS_KTEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Runs every test of s and returns a process exit status: 0 when all
 * passed. Use as `int main(void) { return ktest_run(my_suite()); }`. */
int ktest_run(Suite *s);

/* The exit status of a test binary that cannot run where it is (it must
 * also print a line "SKIP: why"); tests/run-tests counts it as skipped,
 * never as passed. */
#define KTEST_SKIP 77

/* Writes a topic name no other run uses ("kfk-it-WHAT-PID-TIME"), so
 * integration tests can share a broker. */
void ktest_unique_topic(char *out, size_t n, const char *what);

/* The entries of a directory, "." and ".." aside: a process's open fds
 * (/proc/self/fd) or threads (/proc/self/task). 0 when it cannot be read. */
int ktest_count_dir(const char *path);

/* Fills p[0..n) with bytes that depend only on seed, so data-driven tests
 * repeat exactly. */
void ktest_fill(void *p, size_t n, uint64_t seed);

/* Reads a whole file into a malloc'd buffer with a NUL after the last byte;
 * *len (if not NULL) gets the byte count. NULL when the file can't be read.
 * Paths are relative to the repo root, where the test runners start. */
char *ktest_read_file(const char *path, size_t *len);

#endif
