/* kfk: a C11 client library for Apache Kafka.
 *
 * The whole public API is this one header. Handles are opaque; every
 * function says who owns the pointers it takes and returns, what it returns
 * on error, whether it blocks, and which threads may call it. */
#ifndef KFK_H
#define KFK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define KFK_API __attribute__((visibility("default")))
#else
#define KFK_API
#endif

#define KFK_VERSION_MAJOR 0
#define KFK_VERSION_MINOR 1
#define KFK_VERSION_PATCH 0
#define KFK_VERSION_STR "0.1.0"

/* The library's version as MAJOR*10000 + MINOR*100 + PATCH; compare with the
 * KFK_VERSION_* macros to detect a header/library mismatch. Any thread. */
KFK_API int kfk_version(void);
/* The library's version as text ("0.1.0"); a static string. Any thread. */
KFK_API const char *kfk_version_str(void);

/* --- errors (kfk_err) ---------------------------------------------------- */
/* @ERRORS@ (filled in by lib/base/err) */

#ifdef __cplusplus
}
#endif
#endif
