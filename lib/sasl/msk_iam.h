/* SASL mechanism AWS_MSK_IAM (Amazon MSK's IAM access control): the one
 * client message, a JSON object carrying the fields of a SigV4-presigned
 * "GET /?Action=kafka-cluster%3AConnect" to the broker's host name, and the
 * broker's JSON answer. Also the two pieces of AWS configuration a client
 * finds without I/O: the region in an MSK host name and the credentials in
 * the standard environment variables.
 *
 * Pure functions: no I/O, no clock (the caller passes the time), no global
 * state; any thread may call them and none blocks. */
#ifndef KFK_SASL_MSK_IAM_H
#define KFK_SASL_MSK_IAM_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "kfk.h"

#define KMSK_MECHANISM "AWS_MSK_IAM"
#define KMSK_VERSION "2020_10_22"
#define KMSK_SERVICE "kafka-cluster"
#define KMSK_ACTION "kafka-cluster:Connect"
/* The presigned request's lifetime aws-msk-iam-auth uses: 15 minutes. */
#define KMSK_DEFAULT_EXPIRES_S 900
/* Longest region name kmsk_region_from_host() writes, NUL included. */
#define KMSK_REGION_MAX 64

typedef struct kmsk_params {
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL or "": long-term credentials */
    const char *region;        /* NULL or "": taken from host */
    const char *host;          /* the broker's host name, without port */
    const char *user_agent;    /* NULL or "": "kfk/<version>" */
    int64_t time_s;            /* signing time, seconds since the Unix epoch */
    int64_t expires_s;         /* 0: KMSK_DEFAULT_EXPIRES_S */
} kmsk_params;

/* Appends the client's AWS_MSK_IAM message (UTF-8 JSON, no NUL) to *out.
 * Returns KFK_OK, KFK_ERR_INVALID_ARG (a missing credential or host, a
 * region neither given nor in the host name) or KFK_ERR_NO_MEMORY; on
 * error *out is as it was. The message holds a signature valid for
 * expires_s: it is a secret until then. */
kfk_err kmsk_payload(const kmsk_params *p, kbuf *out);

/* Finds the region in an AWS host name: the label before "amazonaws", as
 * in "b-1.c.abc123.c2.kafka.us-east-1.amazonaws.com" or
 * "boot-x.c1.kafka-serverless.eu-west-1.amazonaws.com" (".com.cn" too),
 * when it has a region's shape (like "us-gov-west-1"). Writes it,
 * lower-cased, into out (KMSK_REGION_MAX bytes). Returns KFK_OK or
 * KFK_ERR_INVALID_ARG when host holds no region. */
kfk_err kmsk_region_from_host(const char *host, char out[KMSK_REGION_MAX]);

/* Looks up an environment variable: returns its value or NULL. The string
 * need only live until the next call (a wrapper of getenv() fits). */
typedef const char *kmsk_getenv_fn(void *arg, const char *name);

/* Credentials and region from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_REGION (else AWS_DEFAULT_REGION); all malloc'd,
 * owned by the struct, NULL when unset (values are trimmed; blank is
 * unset). */
typedef struct kmsk_env {
    char *access_key;
    char *secret_key;
    char *session_token;
    char *region;
} kmsk_env;

/* Fills *out. Returns KFK_OK (both keys found), KFK_ERR_CONFIG (no key,
 * or only one of the two; *out then holds nothing) or KFK_ERR_NO_MEMORY.
 * getenv is not thread-safe against setenv: the caller picks the thread. */
kfk_err kmsk_env_read(kmsk_getenv_fn *get, void *arg, kmsk_env *out);
void kmsk_env_free(kmsk_env *e);

/* Checks the broker's answer, {"version":"2020_10_22","request-id":"..."},
 * and copies the request id (printable ASCII, truncated to fit) into
 * request_id when request_id_len > 0. Returns KFK_OK or KFK_ERR_MALFORMED
 * (not JSON, another version, no request id). */
kfk_err kmsk_parse_response(const void *buf, size_t len, char *request_id, size_t request_id_len);

#endif
