/* AWS Signature Version 4 (HMAC-SHA256), as AWS documents it in "Create a
 * signed AWS API request": the canonical request, the string to sign, the
 * derived signing key and the signature, in the Authorization-header form
 * and in the presigned query-string form (what AWS_MSK_IAM sends).
 *
 * Pure functions: no I/O, no clock (the caller passes the time), no global
 * state; any thread may call them and none blocks. Errors are KFK_OK,
 * KFK_ERR_INVALID_ARG or KFK_ERR_NO_MEMORY. */
#ifndef KFK_SASL_SIGV4_H
#define KFK_SASL_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "kfk.h"

#define KSIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* The hex SHA-256 of nothing: the payload hash of a request without body. */
#define KSIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One query parameter, decoded (the signer percent-encodes it). value may be
 * "" but not NULL. */
typedef struct ksigv4_param {
    const char *key;
    const char *value;
} ksigv4_param;

/* One header as the request carries it. Names compare case-insensitively;
 * repeated names are joined with ',' in the order given. */
typedef struct ksigv4_header {
    const char *name;
    const char *value;
} ksigv4_header;

typedef struct ksigv4_request {
    const char *method; /* "GET", "POST", ... */
    /* The decoded path ("/example space/"). Unless raw_path, it is
     * normalised as RFC 3986 removes dot segments, with empty segments
     * dropped; then each segment is percent-encoded once. */
    const char *path;
    bool raw_path; /* S3: keep the path as given, only encode it */
    const ksigv4_param *query;
    size_t query_count;
    /* The headers to sign: all of them (the caller adds Host, X-Amz-Date
     * and, before signing, X-Amz-Security-Token when it signs that). */
    const ksigv4_header *headers;
    size_t header_count;
    const void *payload; /* hashed unless payload_hash is set */
    size_t payload_len;
    const char *payload_hash; /* e.g. "UNSIGNED-PAYLOAD"; NULL: hash payload */
} ksigv4_request;

typedef struct ksigv4_creds {
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL or "" when the credentials are long-term */
} ksigv4_creds;

/* Where and when the signature is valid. */
typedef struct ksigv4_scope {
    const char *region;  /* "us-east-1" */
    const char *service; /* "kafka-cluster" */
    int64_t time_s;      /* signing time, seconds since the Unix epoch (UTC) */
} ksigv4_scope;

/* Everything a signing produced; every string is malloc'd and
 * NUL-terminated, owned by the struct; ksigv4_signed_free() frees them. */
typedef struct ksigv4_signed {
    char *canonical_request;
    char *string_to_sign;
    char *amz_date;       /* "20150830T123600Z" */
    char *credential;     /* "AKID/20150830/us-east-1/service/aws4_request" */
    char *signed_headers; /* "host;x-amz-date" */
    char *signature;      /* 64 lower-case hex digits */
    char *authorization;  /* header form only: the Authorization value */
    char *query;          /* presigned form only: the whole signed query */
} ksigv4_signed;

/* Writes the ISO 8601 basic time AWS uses ("20150830T123600Z", 16 chars and
 * a NUL) for time_s. Returns KFK_ERR_INVALID_ARG for a time before year 0
 * or after year 9999. */
kfk_err ksigv4_amz_date(int64_t time_s, char out[17]);

/* Appends to *out the RFC 3986 percent-encoding AWS specifies: unreserved
 * characters (A-Z a-z 0-9 - . _ ~) as they are, every other byte as %XX
 * with upper-case hex; '/' too unless keep_slash. Returns 0 or -1 when
 * memory runs out. */
int ksigv4_uri_encode(kbuf *out, const char *s, size_t len, bool keep_slash);

/* The signing key: HMAC chain "AWS4"+secret -> date (YYYYMMDD) -> region ->
 * service -> "aws4_request". Returns KFK_ERR_INVALID_ARG for bad input. */
kfk_err ksigv4_signing_key(const char *secret_key, const char *date8, const char *region,
                           const char *service, uint8_t key[32]);

/* Signs req for the Authorization header: fills *out (all fields but
 * query). On error *out holds nothing to free. */
kfk_err ksigv4_sign_header(const ksigv4_request *req, const ksigv4_creds *creds,
                           const ksigv4_scope *scope, ksigv4_signed *out);

/* Presigns req: adds X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
 * X-Amz-Expires (expires_s, 1 to 604800), X-Amz-Security-Token (when
 * creds carry one; it is signed) and X-Amz-SignedHeaders to req's query,
 * signs, and fills *out (all fields but authorization); out->query is the
 * canonical query string with "&X-Amz-Signature=..." appended. req's query
 * must not hold X-Amz-* parameters itself. On error *out holds nothing to
 * free. */
kfk_err ksigv4_presign(const ksigv4_request *req, const ksigv4_creds *creds,
                       const ksigv4_scope *scope, int64_t expires_s, ksigv4_signed *out);

void ksigv4_signed_free(ksigv4_signed *s);

#endif
