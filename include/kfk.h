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
/* Every fallible call returns a kfk_err. 0 is success. Values >= -1 other
 * than 0 are the Kafka protocol's own error codes, as a broker returns them
 * (-1 is the protocol's UNKNOWN_SERVER_ERROR). Client-side errors are
 * -100 and below. kfk_err_str() names any of them. */
typedef enum kfk_err {
    KFK_OK = 0,

    /* client-side errors */
    KFK_ERR_NO_MEMORY = -100,           /* an allocation failed */
    KFK_ERR_INVALID_ARG = -101,         /* a caller passed a bad argument */
    KFK_ERR_MALFORMED = -102,           /* bytes from the network do not parse */
    KFK_ERR_CRC = -103,                 /* a record batch failed its CRC check */
    KFK_ERR_COMPRESSION = -104,         /* compressing or decompressing failed */
    KFK_ERR_UNSUPPORTED = -105,         /* a feature, codec or format we lack */
    KFK_ERR_TOO_LARGE = -106,           /* data exceeds a configured limit */
    KFK_ERR_TIMED_OUT = -107,           /* the operation's deadline passed */
    KFK_ERR_TRANSPORT = -108,           /* connection failed or closed */
    KFK_ERR_UNSUPPORTED_VERSION = -109, /* no API version both sides speak */
    KFK_ERR_STATE = -110,               /* the call is not valid in this state */
    /* @CLIENT_ERRORS@ more client-side codes go above this line */

    /* broker errors: the Kafka protocol's codes */
    /* @BROKER_ERRORS@ (the full table, from lib/base/err) */
} kfk_err;

#ifdef __cplusplus
}
#endif
#endif
