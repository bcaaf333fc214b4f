/* kfk's admin client: ACLs, SCRAM credentials, delegation tokens and client quotas.
 *
 * Include <kfk.h>, which includes this file through kfk_admin.h; it is a
 * file of its own only so that each header stays readable. Everything
 * said at the top of kfk.h and kfk_admin.h holds here too. */
#ifndef KFK_ADMIN_SECURITY_H
#define KFK_ADMIN_SECURITY_H

#include "kfk_admin.h" /* its types; kfk_admin.h includes this file at its end */

#ifdef __cplusplus
extern "C" {
#endif

/* --- admin: ACLs ---------------------------------------------------------------- */
/* Access control lists, as the brokers' authorizer (StandardAuthorizer)
 * keeps them. The enums carry Kafka's protocol values. Their _name
 * functions give Kafka's upper-case names ("TOPIC", "PREFIXED", ...), or
 * NULL for a value that is not one of them. */
typedef enum kfk_acl_resource_type {
    KFK_ACL_RESOURCE_UNKNOWN = 0,
    KFK_ACL_RESOURCE_ANY = 1, /* filters only */
    KFK_ACL_RESOURCE_TOPIC = 2,
    KFK_ACL_RESOURCE_GROUP = 3,
    KFK_ACL_RESOURCE_CLUSTER = 4, /* its one name is "kafka-cluster" */
    KFK_ACL_RESOURCE_TRANSACTIONAL_ID = 5,
    KFK_ACL_RESOURCE_DELEGATION_TOKEN = 6,
    KFK_ACL_RESOURCE_USER = 7,
} kfk_acl_resource_type;

typedef enum kfk_acl_pattern_type {
    KFK_ACL_PATTERN_UNKNOWN = 0,
    KFK_ACL_PATTERN_ANY = 1,      /* filters: any pattern type, the name taken literally */
    KFK_ACL_PATTERN_MATCH = 2,    /* filters: every binding that applies to the name */
    KFK_ACL_PATTERN_LITERAL = 3,  /* the name as it is; "*" is every name */
    KFK_ACL_PATTERN_PREFIXED = 4, /* every name that starts with it */
} kfk_acl_pattern_type;

typedef enum kfk_acl_operation {
    KFK_ACL_OP_UNKNOWN = 0,
    KFK_ACL_OP_ANY = 1, /* filters only */
    KFK_ACL_OP_ALL = 2,
    KFK_ACL_OP_READ = 3,
    KFK_ACL_OP_WRITE = 4,
    KFK_ACL_OP_CREATE = 5,
    KFK_ACL_OP_DELETE = 6,
    KFK_ACL_OP_ALTER = 7,
    KFK_ACL_OP_DESCRIBE = 8,
    KFK_ACL_OP_CLUSTER_ACTION = 9,
    KFK_ACL_OP_DESCRIBE_CONFIGS = 10,
    KFK_ACL_OP_ALTER_CONFIGS = 11,
    KFK_ACL_OP_IDEMPOTENT_WRITE = 12,
    KFK_ACL_OP_CREATE_TOKENS = 13,
    KFK_ACL_OP_DESCRIBE_TOKENS = 14,
    KFK_ACL_OP_TWO_PHASE_COMMIT = 15,
} kfk_acl_operation;

typedef enum kfk_acl_permission_type {
    KFK_ACL_PERMISSION_UNKNOWN = 0,
    KFK_ACL_PERMISSION_ANY = 1, /* filters only */
    KFK_ACL_PERMISSION_DENY = 2,
    KFK_ACL_PERMISSION_ALLOW = 3,
} kfk_acl_permission_type;

KFK_API const char *kfk_acl_resource_type_name(kfk_acl_resource_type type);
KFK_API const char *kfk_acl_pattern_type_name(kfk_acl_pattern_type type);
KFK_API const char *kfk_acl_operation_name(kfk_acl_operation op);
KFK_API const char *kfk_acl_permission_type_name(kfk_acl_permission_type type);

/* An ACL binding: principal (as "User:alice") connecting from host ("*":
 * any host) is allowed or denied operation on the resources that
 * resource_type, resource_name and pattern_type name. As a filter
 * (describe, delete), a NULL string matches any value and the _ANY
 * values (and KFK_ACL_PATTERN_MATCH) match as their comments say.
 * Initialize it so that the fields left unset are zero
 * (kfk_acl_binding b = {.resource_type = ...}); reserved must stay zero,
 * so that later versions can add fields at its end. */
typedef struct kfk_acl_binding {
    kfk_acl_resource_type resource_type;
    const char *resource_name;
    kfk_acl_pattern_type pattern_type;
    const char *principal;
    const char *host;
    kfk_acl_operation operation;
    kfk_acl_permission_type permission_type;
    void *reserved[4]; /* zero */
} kfk_acl_binding;

/* Creates the n bindings acls[0..n-1] (CreateAcls, API key 30, v1-3, sent
 * to any broker: KRaft brokers forward it to the controller). The result
 * has one entry per binding, in order, named after it ("TOPIC:LITERAL:t
 * User:alice@* WRITE ALLOW") and carrying it (kfk_admin_result_acl(r, i,
 * 0)). Creating a binding that exists already succeeds. The broker
 * refuses a malformed binding (a principal without its "User:" type, an
 * empty name) per entry, with KFK_ERR_INVALID_REQUEST. The bindings and
 * their strings stay the caller's. No flags. KFK_ERR_INVALID_ARG for a
 * NULL admin, acls or result, a NULL entry or string, reserved not zero,
 * or a type, operation or permission that is not a concrete one (no
 * UNKNOWN, ANY or MATCH). Blocks for at most the call's timeout; returns
 * as described at the top of this section. Any application thread. */
KFK_API kfk_err kfk_admin_create_acls(kfk_admin *admin, const kfk_acl_binding *const *acls,
                                      size_t n, const kfk_admin_options *options,
                                      kfk_admin_result **result);

/* Finds the bindings that filter matches (DescribeAcls, API key 29, v1-3,
 * any broker). The result has one entry, for the filter, carrying every
 * binding found, in the broker's order; its error is the broker's (such
 * as KFK_ERR_SECURITY_DISABLED when no authorizer is configured). No
 * flags. KFK_ERR_INVALID_ARG for a NULL admin, filter or result, reserved
 * not zero, or an UNKNOWN or out-of-range enum. Blocks and returns as
 * kfk_admin_create_acls. */
KFK_API kfk_err kfk_admin_describe_acls(kfk_admin *admin, const kfk_acl_binding *filter,
                                        const kfk_admin_options *options,
                                        kfk_admin_result **result);

/* Deletes every binding that any of the n filters matches (DeleteAcls,
 * API key 31, v1-3, any broker). The result has one entry per filter, in
 * order, carrying the bindings it matched and deleted (one binding that
 * two filters match is reported under each). Arguments as
 * kfk_admin_describe_acls, for each filter. Blocks and returns as
 * kfk_admin_create_acls. */
KFK_API kfk_err kfk_admin_delete_acls(kfk_admin *admin, const kfk_acl_binding *const *filters,
                                      size_t n, const kfk_admin_options *options,
                                      kfk_admin_result **result);

/* The number of bindings entry i of an ACL call's result carries; 0 for
 * another kind of result or i out of range. */
KFK_API size_t kfk_admin_result_acl_count(const kfk_admin_result *result, size_t i);
/* Binding j of entry i (its strings valid until the result is
 * destroyed); NULL out of range or for another kind of result. */
KFK_API const kfk_acl_binding *kfk_admin_result_acl(const kfk_admin_result *result, size_t i,
                                                    size_t j);
/* The broker's error for binding j of entry i: KFK_OK unless deleting
 * that one binding failed; KFK_ERR_INVALID_ARG out of range. */
KFK_API kfk_err kfk_admin_result_acl_error(const kfk_admin_result *result, size_t i, size_t j);
/* --- admin: SCRAM credentials ------------------------------------------------------ */
/* The SCRAM credentials brokers keep for SASL/SCRAM logins (KIP-554). */
typedef enum kfk_scram_mechanism {
    KFK_SCRAM_UNKNOWN = 0,
    KFK_SCRAM_SHA_256 = 1,
    KFK_SCRAM_SHA_512 = 2,
} kfk_scram_mechanism;

/* "SCRAM-SHA-256", "SCRAM-SHA-512"; NULL for another value. */
KFK_API const char *kfk_scram_mechanism_name(kfk_scram_mechanism mechanism);

/* Describes the SCRAM credentials of the n users named in users
 * (DescribeUserScramCredentials, API key 50, v0, any broker), or of every
 * user that has one when users is NULL. The result has one entry per
 * user, in the order given (as found for NULL), named after the user; a
 * user without credentials has KFK_ERR_RESOURCE_NOT_FOUND. Each entry's
 * credentials (never the password or salt) are read with
 * kfk_admin_result_scram_*. No flags. KFK_ERR_INVALID_ARG for a NULL
 * admin or result, or a NULL name. Blocks for at most the call's timeout;
 * returns as described at the top of this section. Any application
 * thread. */
KFK_API kfk_err kfk_admin_describe_user_scram_credentials(kfk_admin *admin,
                                                          const char *const *users, size_t n,
                                                          const kfk_admin_options *options,
                                                          kfk_admin_result **result);

/* The number of credentials (mechanisms) entry i has; 0 for another kind
 * of result or i out of range. */
KFK_API size_t kfk_admin_result_scram_count(const kfk_admin_result *result, size_t i);
/* Credential j of entry i: its mechanism (KFK_SCRAM_UNKNOWN out of
 * range) and iteration count (-1 out of range). */
KFK_API kfk_scram_mechanism kfk_admin_result_scram_mechanism(const kfk_admin_result *result,
                                                             size_t i, size_t j);
KFK_API int32_t kfk_admin_result_scram_iterations(const kfk_admin_result *result, size_t i,
                                                  size_t j);

/* One change to a user's SCRAM credentials: with password, sets (adds or
 * replaces) user's credential for mechanism, hashed with iterations (0:
 * 4096, Kafka's minimum; the broker takes 4096 to 16384); with password
 * NULL, deletes it (iterations must then be 0). Initialize it so the
 * fields left unset are zero; reserved must stay zero. */
typedef struct kfk_scram_alteration {
    const char *user;
    kfk_scram_mechanism mechanism;
    int32_t iterations;
    const char *password; /* UTF-8; NULL: delete */
    void *reserved[4];    /* zero */
} kfk_scram_alteration;

/* Applies the n alterations (AlterUserScramCredentials, API key 51, v0,
 * sent to the controller; KRaft brokers forward it). For each password
 * the client draws a random salt (OpenSSL RAND_bytes) and sends only the
 * salted password (RFC 5802 Hi(), PBKDF2-HMAC), never the password. The
 * result has one entry per alteration, in order, named after its user,
 * with the outcome the broker reports for that user (all of a user's
 * alterations succeed or fail together): KFK_ERR_RESOURCE_NOT_FOUND to
 * delete a credential that does not exist, KFK_ERR_UNACCEPTABLE_CREDENTIAL
 * for an empty user or iterations out of range. No flags. KFK_ERR_INVALID_ARG for a NULL admin,
 * alterations or result, a NULL entry or user, an unknown mechanism, negative iterations,
 * iterations with a deletion, or reserved not zero. Blocks for at most the call's timeout (hashing
 * is done first, on the calling thread); returns as described at the top of this section. Any
 * application thread. */
KFK_API kfk_err kfk_admin_alter_user_scram_credentials(
    kfk_admin *admin, const kfk_scram_alteration *const *alterations, size_t n,
    const kfk_admin_options *options, kfk_admin_result **result);

/* --- admin: delegation tokens ------------------------------------------------------- */
/* Delegation tokens (KIP-48): credentials a broker issues to a user (the
 * token's owner), which clients then log in with through SCRAM instead of
 * the user's own secret: sasl.mechanism SCRAM-SHA-256 or SCRAM-SHA-512,
 * sasl.username the token's id (the entry's name), sasl.password its HMAC
 * in base64 (kfk_admin_result_token_hmac_base64) and
 * sasl.scram.tokenauth=true (or ScramLoginModule's tokenauth="true" in
 * sasl.jaas.config, as in Java). A token lasts until its expiry time,
 * which its owner and renewers may push forward (never past its maximum
 * time), or until it is expired. Brokers serve these calls only when
 * delegation.token.secret.key is set (else
 * KFK_ERR_DELEGATION_TOKEN_AUTH_DISABLED) and only to a session that
 * authenticated over SASL with other than a token (else
 * KFK_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED). Principals are written
 * as Kafka prints them: "User:alice". Every call goes to any broker
 * (KRaft brokers forward changes to the controller). Results are read
 * with the kfk_admin_result_token_* accessors below. */

/* What kfk_admin_create_delegation_token creates. Initialize it so the
 * fields left unset are zero; reserved must stay zero. */
typedef struct kfk_delegation_token_spec {
    const char *owner;           /* "User:alice"; NULL: the caller (needs v3 to set) */
    const char *const *renewers; /* n_renewers principals that may renew it besides the
                                    owner ("User:" only: the broker refuses other types) */
    size_t n_renewers;
    int64_t max_lifetime_ms; /* > 0: at most this long; else the broker's
                                delegation.token.max.lifetime.ms (7 days) */
    void *reserved[4];       /* zero */
} kfk_delegation_token_spec;

/* Creates a delegation token (CreateDelegationToken, API key 38, v1-3,
 * any broker) as spec says (NULL: owned by the caller, no renewers, the
 * broker's lifetimes). The result has one entry, named after the new
 * token's id, with the token (kfk_admin_result_token_*); when the broker
 * refused, the entry has no name and its error:
 * KFK_ERR_INVALID_PRINCIPAL_TYPE for a renewer not "User:", and the
 * errors named at the top of this section. An owner other than the caller
 * needs the caller's CreateTokens right on that user (super users have
 * it). No flags. KFK_ERR_INVALID_ARG for a NULL admin or result, a
 * principal without its "Type:" prefix, NULL renewers with n_renewers >
 * 0, or reserved not zero. Blocks for at most the call's timeout; returns
 * as described at the top of this section. Any application thread. */
KFK_API kfk_err kfk_admin_create_delegation_token(kfk_admin *admin,
                                                  const kfk_delegation_token_spec *spec,
                                                  const kfk_admin_options *options,
                                                  kfk_admin_result **result);

/* Pushes the expiry time of the token whose HMAC is the hmac_len bytes at
 * hmac (the raw bytes, not base64; the caller's) forward to now +
 * renew_period_ms, capped by the broker's delegation.token.expiry.time.ms
 * and the token's maximum time; renew_period_ms <= 0: now + that broker
 * setting (RenewDelegationToken, API key 39, v1-2, any broker). Only the
 * owner and the renewers may. The result has one entry without a name;
 * kfk_admin_result_token_expiry_timestamp_ms reads the new expiry time;
 * its error may be KFK_ERR_DELEGATION_TOKEN_NOT_FOUND (no token has that
 * HMAC), _EXPIRED or _OWNER_MISMATCH. No flags. KFK_ERR_INVALID_ARG for a
 * NULL admin, hmac or result, or hmac_len 0. Blocks for at most the
 * call's timeout; returns as described at the top of this section. Any
 * application thread. */
KFK_API kfk_err kfk_admin_renew_delegation_token(kfk_admin *admin, const void *hmac,
                                                 size_t hmac_len, int64_t renew_period_ms,
                                                 const kfk_admin_options *options,
                                                 kfk_admin_result **result);

/* Expires the token whose HMAC is at hmac, as for renewal
 * (ExpireDelegationToken, API key 40, v1-2, any broker): with
 * expiry_period_ms < 0 at once (the broker deletes the token, and
 * kfk_admin_result_token_expiry_timestamp_ms reads expiry_period_ms back,
 * as the broker answers); else its expiry time becomes now +
 * expiry_period_ms (capped by its maximum time), which that accessor
 * reads. Logins with the token fail once the token is gone. Errors, flags,
 * arguments, blocking and threads as for
 * kfk_admin_renew_delegation_token. */
KFK_API kfk_err kfk_admin_expire_delegation_token(kfk_admin *admin, const void *hmac,
                                                  size_t hmac_len, int64_t expiry_period_ms,
                                                  const kfk_admin_options *options,
                                                  kfk_admin_result **result);

/* Describes the tokens of the n principals in owners
 * (DescribeDelegationToken, API key 41, v1-3, any broker): as Kafka
 * filters, those that one of them owns, requested or may renew; every
 * token when owners is NULL (n = 0 with owners not NULL: none). The
 * broker shows only the tokens the caller owns, requested or renews, or
 * may describe (super users see all). The result has one entry per token, as found, named after its
 * id, read with kfk_admin_result_token_*. A failure of the whole request
 * (KFK_ERR_DELEGATION_TOKEN_AUTH_DISABLED and the like) is returned with
 * *result NULL. No flags. KFK_ERR_INVALID_ARG for a NULL admin or result,
 * or an owner NULL or without its "Type:" prefix. Blocks for at most the
 * call's timeout. Any application thread. */
KFK_API kfk_err kfk_admin_describe_delegation_tokens(kfk_admin *admin, const char *const *owners,
                                                     size_t n, const kfk_admin_options *options,
                                                     kfk_admin_result **result);

/* Token accessors for the results of the calls above, by entry index i.
 * Strings and bytes belong to the result and are valid until it is
 * destroyed; out of range, for another kind of result, or for what an
 * entry does not carry (renew and expire carry only the expiry time)
 * they return NULL, 0 or -1. */
/* The owner ("User:alice"), and who created the token for it (NULL from
 * a broker older than v3 of the API). */
KFK_API const char *kfk_admin_result_token_owner(const kfk_admin_result *result, size_t i);
KFK_API const char *kfk_admin_result_token_requester(const kfk_admin_result *result, size_t i);
/* The number of renewers, and renewer j ("User:bob"). */
KFK_API size_t kfk_admin_result_token_renewer_count(const kfk_admin_result *result, size_t i);
KFK_API const char *kfk_admin_result_token_renewer(const kfk_admin_result *result, size_t i,
                                                   size_t j);
/* When the token was issued, when it expires unless renewed, and the
 * time past which it cannot be renewed: milliseconds since the epoch. */
KFK_API int64_t kfk_admin_result_token_issue_timestamp_ms(const kfk_admin_result *result, size_t i);
KFK_API int64_t kfk_admin_result_token_expiry_timestamp_ms(const kfk_admin_result *result,
                                                           size_t i);
KFK_API int64_t kfk_admin_result_token_max_timestamp_ms(const kfk_admin_result *result, size_t i);
/* The token's HMAC: its bytes (*len gets their count; 0 with NULL), for
 * renewing and expiring, and the same in base64, the password a client
 * logs in with. Secrets: keep them as such. */
KFK_API const uint8_t *kfk_admin_result_token_hmac(const kfk_admin_result *result, size_t i,
                                                   size_t *len);
KFK_API const char *kfk_admin_result_token_hmac_base64(const kfk_admin_result *result, size_t i);

/* --- admin: client quotas ------------------------------------------------------------- */
/* Client quotas (KIP-546) apply to an entity: a set of (entity type,
 * name) pairs, the types being "user", "client-id" or "ip", a NULL name
 * meaning the type's default entity. Quota keys are such as
 * "producer_byte_rate", "consumer_byte_rate", "request_percentage",
 * "controller_mutation_rate" and "connection_creation_rate" (ip). */
typedef struct kfk_quota_filter kfk_quota_filter;
typedef struct kfk_quota_alteration kfk_quota_alteration;

typedef enum kfk_quota_match {
    KFK_QUOTA_MATCH_EXACT = 0,   /* the entity of that type and name */
    KFK_QUOTA_MATCH_DEFAULT = 1, /* the type's default entity */
    KFK_QUOTA_MATCH_ANY = 2,     /* any entity of that type, default included */
} kfk_quota_match;

/* A filter for kfk_admin_describe_client_quotas: entities that have a
 * component matching each added one and, when strict, no other
 * component. The caller owns it (kfk_quota_filter_destroy). NULL when
 * memory runs out. Never blocks. */
KFK_API kfk_quota_filter *kfk_quota_filter_new(bool strict);
/* Adds a component: entity_type ("user", ...) matched as match says;
 * name (EXACT only; else NULL) is the entity's name. Strings are copied.
 * KFK_OK, KFK_ERR_INVALID_ARG (NULL filter or type, name given or missing
 * against match, match out of range) or KFK_ERR_NO_MEMORY. */
KFK_API kfk_err kfk_quota_filter_add(kfk_quota_filter *filter, const char *entity_type,
                                     kfk_quota_match match, const char *name);
/* Frees filter; NULL is a no-op. */
KFK_API void kfk_quota_filter_destroy(kfk_quota_filter *filter);

/* Describes the quotas of the entities filter matches (DescribeClientQuotas,
 * API key 48, v0-1, any broker). The result has one entry per entity
 * found, with its quotas, named after the entity ("user=alice" or
 * "user=<default>,client-id=app", components sorted by type); no entry
 * for an entity without quotas. Read each entry's entity and values with
 * kfk_admin_result_quota_*. No flags. KFK_ERR_INVALID_ARG for a NULL
 * admin, filter or result. A broker's refusal of the filter (such as
 * KFK_ERR_UNSUPPORTED_VERSION for an entity type it does not know) fails
 * the whole call, with *result NULL and the broker's message in
 * kfk_admin_last_error. Blocks for at most the call's timeout. Any
 * application thread. */
KFK_API kfk_err kfk_admin_describe_client_quotas(kfk_admin *admin, const kfk_quota_filter *filter,
                                                 const kfk_admin_options *options,
                                                 kfk_admin_result **result);

/* Entry i's entity: its number of components, and component k's type and
 * name (NULL: the default entity; and NULL out of range). */
KFK_API size_t kfk_admin_result_quota_entity_count(const kfk_admin_result *result, size_t i);
KFK_API const char *kfk_admin_result_quota_entity_type(const kfk_admin_result *result, size_t i,
                                                       size_t k);
KFK_API const char *kfk_admin_result_quota_entity_name(const kfk_admin_result *result, size_t i,
                                                       size_t k);
/* Entry i's quota values: their number, and value j's key (NULL out of
 * range) and value (-1 out of range). Strings are valid until the result
 * is destroyed. */
KFK_API size_t kfk_admin_result_quota_count(const kfk_admin_result *result, size_t i);
KFK_API const char *kfk_admin_result_quota_key(const kfk_admin_result *result, size_t i, size_t j);
KFK_API double kfk_admin_result_quota_value(const kfk_admin_result *result, size_t i, size_t j);

/* A change to one entity's quotas, for kfk_admin_alter_client_quotas.
 * The caller owns it (kfk_quota_alteration_destroy). NULL when memory
 * runs out. Never blocks. */
KFK_API kfk_quota_alteration *kfk_quota_alteration_new(void);
/* Adds a component to the entity: entity_type ("user", "client-id",
 * "ip") and name (NULL: the type's default entity); copied. KFK_OK,
 * KFK_ERR_INVALID_ARG (NULL alteration or type) or KFK_ERR_NO_MEMORY. */
KFK_API kfk_err kfk_quota_alteration_entity(kfk_quota_alteration *alteration,
                                            const char *entity_type, const char *name);
/* Sets quota key to value. KFK_OK, KFK_ERR_INVALID_ARG or
 * KFK_ERR_NO_MEMORY. */
KFK_API kfk_err kfk_quota_alteration_set(kfk_quota_alteration *alteration, const char *key,
                                         double value);
/* Removes quota key (the entity then falls back to what applies
 * without it). Returns as kfk_quota_alteration_set. */
KFK_API kfk_err kfk_quota_alteration_remove(kfk_quota_alteration *alteration, const char *key);
/* Frees alteration; NULL is a no-op. */
KFK_API void kfk_quota_alteration_destroy(kfk_quota_alteration *alteration);

/* Applies the n alterations (AlterClientQuotas, API key 49, v0-1, sent
 * to the controller; KRaft brokers forward it). The alterations stay the
 * caller's. The result has one entry per alteration, in order, named
 * after its entity; a bad entity type, key or value fails its own entry
 * (KFK_ERR_INVALID_REQUEST). Flags: KFK_ADMIN_VALIDATE_ONLY (the broker
 * checks, changes nothing). KFK_ERR_INVALID_ARG for a NULL admin,
 * alterations or result, a NULL entry, or an alteration without entity.
 * Blocks for at most the call's timeout; returns as described at the top
 * of this section. Any application thread. */
KFK_API kfk_err kfk_admin_alter_client_quotas(kfk_admin *admin,
                                              kfk_quota_alteration *const *alterations, size_t n,
                                              const kfk_admin_options *options,
                                              kfk_admin_result **result);
/* --- end of admin: client quotas ------------------------------------------------- */

#ifdef __cplusplus
}
#endif
#endif
