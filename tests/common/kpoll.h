/* Waiting on a consumer: what a test waits for (an assignment, a rebalance
 * event) happens only while the application polls. */
#ifndef KFK_TESTS_KPOLL_H
#define KFK_TESTS_KPOLL_H

#include <check.h>
#include <stdint.h>

#include "base/time.h"
#include "kfk.h"

/* Polls consumer c 20 ms at a time, dropping what it returns, until cond
 * holds or timeout_ms pass; then fails the test unless cond holds. */
#define KPOLL_UNTIL(c, timeout_ms, cond)                                                           \
    do {                                                                                           \
        int64_t kpoll_until_ = ktime_mono_ms() + (timeout_ms);                                     \
        while (!(cond) && ktime_mono_ms() < kpoll_until_) {                                        \
            kfk_message *kpoll_msg_ = kfk_consumer_poll((c), 20);                                  \
            if (kpoll_msg_) kfk_message_release(kpoll_msg_);                                       \
        }                                                                                          \
        ck_assert_msg(cond, "timed out waiting for " #cond);                                       \
    } while (0)

#endif
