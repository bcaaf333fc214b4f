/* The error table: every kfk_err with its name, description and whether
 * retrying can help. Hand-maintained and sorted by code. The broker codes,
 * names and retriable flags follow org.apache.kafka.common.protocol.Errors
 * of Apache Kafka 4.3 (retriable = the code's Java exception is a
 * RetriableException); the descriptions are ours. To add a code, add it to
 * kfk.h and here in code order: base_err_test checks that both agree. */
#include "base/err.h"

#include <stdio.h>

/* Builds the name and the "NAME: description" text at compile time, so
 * kfk_err_str() never formats anything for a known code. */
/* clang-format off */
#define E(name, retriable, desc) {KFK_ERR_##name, #name, #name ": " desc, retriable}
/* clang-format on */

static const kerr_info err_table[] = {
    /* client-side */
    E(TXN_ABORTED, 0, "the record's transaction was aborted before the record was sent"),
    E(NO_OFFSET, 0, "no committed offset, and no reset policy applies"),
    E(PARTITION_EOF, 0, "the consumer reached the end of the partition"),
    E(RESOLVE, 1, "a broker's host name did not resolve"),
    E(TLS, 0, "the TLS handshake or a certificate check failed"),
    E(AUTH, 0, "authentication failed"),
    E(NO_BROKERS, 1, "no broker could be reached"),
    E(FATAL, 0, "the handle hit a fatal error and must be destroyed"),
    E(DESTROYED, 0, "the handle is being destroyed"),
    E(PURGED, 0, "the record was purged before it was sent"),
    E(QUEUE_FULL, 1, "the producer's buffer is full; poll and try again"),
    E(CONFIG, 0, "a configuration value is invalid"),
    E(STATE, 0, "the call is not valid in the current state"),
    E(NO_COMMON_VERSION, 0, "the client and the broker share no version of the API"),
    E(TRANSPORT, 1, "the connection failed or closed"),
    E(TIMED_OUT, 1, "the deadline passed"),
    E(TOO_LARGE, 0, "the data exceeds a configured limit"),
    E(UNSUPPORTED, 0, "the feature, codec or format is not supported"),
    E(COMPRESSION, 0, "compressing or decompressing failed"),
    E(CRC, 0, "a record batch failed its CRC check"),
    E(MALFORMED, 0, "data from the network does not parse"),
    E(INVALID_ARG, 0, "an argument is invalid"),
    E(NO_MEMORY, 0, "an allocation failed"),

    /* the Kafka protocol's codes */
    E(UNKNOWN_SERVER_ERROR, 0, "the broker hit an unexpected error; its log has the details"),
    {KFK_OK, "OK", "OK: success", 0},
    E(OFFSET_OUT_OF_RANGE, 0, "the offset is outside the range the partition holds"),
    E(CORRUPT_MESSAGE, 1,
      "the broker found a record corrupt (CRC, size, or null key on a compacted topic)"),
    E(UNKNOWN_TOPIC_OR_PARTITION, 1, "this broker does not host the topic or partition"),
    E(INVALID_FETCH_SIZE, 0, "the fetch size is invalid"),
    E(LEADER_NOT_AVAILABLE, 1, "the partition has no leader right now; an election is under way"),
    E(NOT_LEADER_OR_FOLLOWER, 1,
      "this broker is not the partition's leader, or not one of its replicas"),
    E(REQUEST_TIMED_OUT, 1, "the broker timed the request out"),
    E(BROKER_NOT_AVAILABLE, 0, "the broker is not available"),
    E(REPLICA_NOT_AVAILABLE, 1, "a replica of the partition is not available"),
    E(MESSAGE_TOO_LARGE, 0, "a record is larger than the broker accepts"),
    E(STALE_CONTROLLER_EPOCH, 0, "the controller has moved to another node"),
    E(OFFSET_METADATA_TOO_LARGE, 0, "the metadata string of an offset commit is too long"),
    E(NETWORK_EXCEPTION, 1, "the connection closed before a response arrived"),
    E(COORDINATOR_LOAD_IN_PROGRESS, 1, "the coordinator is still loading its state"),
    E(COORDINATOR_NOT_AVAILABLE, 1, "the coordinator is not available"),
    E(NOT_COORDINATOR, 1, "this broker is not the coordinator for the group or transaction"),
    E(INVALID_TOPIC_EXCEPTION, 0,
      "the topic name is invalid, or the operation is not allowed on it"),
    E(RECORD_LIST_TOO_LARGE, 0, "a record batch is larger than the broker's log segment size"),
    E(NOT_ENOUGH_REPLICAS, 1, "too few in-sync replicas to accept the write"),
    E(NOT_ENOUGH_REPLICAS_AFTER_APPEND, 1,
      "the write was stored, but on fewer in-sync replicas than required"),
    E(INVALID_REQUIRED_ACKS, 0, "the produce request's acks value is invalid"),
    E(ILLEGAL_GENERATION, 0, "the group generation is not the current one"),
    E(INCONSISTENT_GROUP_PROTOCOL, 0,
      "the member's protocols do not match the group's, or none were given"),
    E(INVALID_GROUP_ID, 0, "the group id is invalid"),
    E(UNKNOWN_MEMBER_ID, 0, "the coordinator does not know this member id"),
    E(INVALID_SESSION_TIMEOUT, 0, "the session timeout is outside the range the broker allows"),
    E(REBALANCE_IN_PROGRESS, 0, "the group is rebalancing; the member must join again"),
    E(INVALID_COMMIT_OFFSET_SIZE, 0, "the size of the offset commit's data is invalid"),
    E(TOPIC_AUTHORIZATION_FAILED, 0, "not authorized to access the topic"),
    E(GROUP_AUTHORIZATION_FAILED, 0, "not authorized to access the group"),
    E(CLUSTER_AUTHORIZATION_FAILED, 0, "not authorized for this cluster operation"),
    E(INVALID_TIMESTAMP, 0, "a record's timestamp is outside the accepted range"),
    E(UNSUPPORTED_SASL_MECHANISM, 0, "the broker does not offer this SASL mechanism"),
    E(ILLEGAL_SASL_STATE, 0, "the request is not valid at this point of the SASL exchange"),
    E(UNSUPPORTED_VERSION, 0, "the broker does not support this version of the API"),
    E(TOPIC_ALREADY_EXISTS, 0, "a topic with this name exists already"),
    E(INVALID_PARTITIONS, 0, "the partition count is invalid"),
    E(INVALID_REPLICATION_FACTOR, 0,
      "the replication factor is below 1 or above the number of brokers"),
    E(INVALID_REPLICA_ASSIGNMENT, 0, "the replica assignment is invalid"),
    E(INVALID_CONFIG, 0, "the configuration is invalid"),
    E(NOT_CONTROLLER, 1, "this node is not the active controller"),
    E(INVALID_REQUEST, 0, "the broker found the request malformed or not valid for it"),
    E(UNSUPPORTED_FOR_MESSAGE_FORMAT, 0, "the topic's message format does not support the request"),
    E(POLICY_VIOLATION, 0, "the request breaks a policy configured on the broker"),
    E(OUT_OF_ORDER_SEQUENCE_NUMBER, 0, "the broker got a producer sequence number out of order"),
    E(DUPLICATE_SEQUENCE_NUMBER, 0,
      "the broker got a producer sequence number it has seen already"),
    E(INVALID_PRODUCER_EPOCH, 0, "the producer's epoch is older than the broker's"),
    E(INVALID_TXN_STATE, 0, "the operation is not valid in the transaction's current state"),
    E(INVALID_PRODUCER_ID_MAPPING, 0,
      "the producer id is not the one assigned to the transactional id"),
    E(INVALID_TRANSACTION_TIMEOUT, 0, "the transaction timeout exceeds the broker's maximum"),
    E(CONCURRENT_TRANSACTIONS, 1, "another operation on the same transaction is in progress"),
    E(TRANSACTION_COORDINATOR_FENCED, 0,
      "the transaction coordinator that sent the marker was replaced"),
    E(TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 0, "not authorized to use the transactional id"),
    E(SECURITY_DISABLED, 0, "security features are disabled on the broker"),
    E(OPERATION_NOT_ATTEMPTED, 0, "skipped because another operation in the same request failed"),
    E(KAFKA_STORAGE_ERROR, 1, "the broker hit a disk error while accessing the log"),
    E(LOG_DIR_NOT_FOUND, 0, "the log directory is not in the broker's configuration"),
    E(SASL_AUTHENTICATION_FAILED, 0, "SASL authentication failed"),
    E(UNKNOWN_PRODUCER_ID, 0,
      "the broker has no state for the producer id (its records may have expired)"),
    E(REASSIGNMENT_IN_PROGRESS, 0, "a partition reassignment is in progress"),
    E(DELEGATION_TOKEN_AUTH_DISABLED, 0, "delegation tokens are not enabled"),
    E(DELEGATION_TOKEN_NOT_FOUND, 0, "the delegation token does not exist"),
    E(DELEGATION_TOKEN_OWNER_MISMATCH, 0, "the principal is not the token's owner or renewer"),
    E(DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, 0,
      "delegation token requests are not allowed on this kind of connection"),
    E(DELEGATION_TOKEN_AUTHORIZATION_FAILED, 0, "not authorized for the delegation token"),
    E(DELEGATION_TOKEN_EXPIRED, 0, "the delegation token has expired"),
    E(INVALID_PRINCIPAL_TYPE, 0, "the principal type is not supported"),
    E(NON_EMPTY_GROUP, 0, "the group still has members"),
    E(GROUP_ID_NOT_FOUND, 0, "the group does not exist"),
    E(FETCH_SESSION_ID_NOT_FOUND, 1, "the broker does not know the fetch session"),
    E(INVALID_FETCH_SESSION_EPOCH, 1, "the fetch session epoch is wrong"),
    E(LISTENER_NOT_FOUND, 1, "the leader has no listener matching the one the metadata came from"),
    E(TOPIC_DELETION_DISABLED, 0, "topic deletion is disabled on the cluster"),
    E(FENCED_LEADER_EPOCH, 1, "the request's leader epoch is older than the broker's"),
    E(UNKNOWN_LEADER_EPOCH, 1, "the request's leader epoch is newer than the broker's"),
    E(UNSUPPORTED_COMPRESSION_TYPE, 0, "the client cannot handle the partition's compression type"),
    E(STALE_BROKER_EPOCH, 0, "the broker epoch has changed"),
    E(OFFSET_NOT_AVAILABLE, 1, "offsets are not reliable yet; the new leader is catching up"),
    E(MEMBER_ID_REQUIRED, 0, "the member must join again with the member id it was given"),
    E(PREFERRED_LEADER_NOT_AVAILABLE, 1, "the preferred leader is not available"),
    E(GROUP_MAX_SIZE_REACHED, 0, "the group has reached its maximum size"),
    E(FENCED_INSTANCE_ID, 0, "another member registered with the same group.instance.id"),
    E(ELIGIBLE_LEADERS_NOT_AVAILABLE, 1, "no eligible leader is available for the partition"),
    E(ELECTION_NOT_NEEDED, 1, "the partition needs no leader election"),
    E(NO_REASSIGNMENT_IN_PROGRESS, 0, "no partition reassignment is in progress"),
    E(GROUP_SUBSCRIBED_TO_TOPIC, 0,
      "the group is subscribed to the topic, so its offsets cannot be deleted"),
    E(INVALID_RECORD, 0, "the broker's validation rejected the record"),
    E(UNSTABLE_OFFSET_COMMIT, 1, "offsets of an open transaction must settle first"),
    E(THROTTLING_QUOTA_EXCEEDED, 1, "the request exceeds a throttling quota"),
    E(PRODUCER_FENCED, 0, "a newer producer with the same transactional id took over"),
    E(RESOURCE_NOT_FOUND, 0, "the request names a resource that does not exist"),
    E(DUPLICATE_RESOURCE, 0, "the request names the same resource twice"),
    E(UNACCEPTABLE_CREDENTIAL, 0, "the credential does not meet the acceptance criteria"),
    E(INCONSISTENT_VOTER_SET, 0, "the sender or receiver is not one of the expected voters"),
    E(INVALID_UPDATE_VERSION, 0, "the update version is invalid"),
    E(FEATURE_UPDATE_FAILED, 0, "the finalized features could not be updated"),
    E(PRINCIPAL_DESERIALIZATION_FAILURE, 0,
      "a forwarded request's principal could not be deserialized"),
    E(SNAPSHOT_NOT_FOUND, 0, "the snapshot does not exist"),
    E(POSITION_OUT_OF_RANGE, 0, "the position is outside the snapshot"),
    E(UNKNOWN_TOPIC_ID, 1, "this broker does not host the topic id"),
    E(DUPLICATE_BROKER_REGISTRATION, 0, "the broker id is in use already"),
    E(BROKER_ID_NOT_REGISTERED, 0, "the broker id is not registered"),
    E(INCONSISTENT_TOPIC_ID, 1, "the topic id does not match the log's"),
    E(INCONSISTENT_CLUSTER_ID, 0, "the cluster id does not match the server's"),
    E(TRANSACTIONAL_ID_NOT_FOUND, 0, "the transactional id does not exist"),
    E(FETCH_SESSION_TOPIC_ID_ERROR, 1, "the fetch session used topic ids inconsistently"),
    E(INELIGIBLE_REPLICA, 0, "the proposed ISR contains an ineligible replica"),
    E(NEW_LEADER_ELECTED, 0, "the partition state was updated, but a new leader was elected"),
    E(OFFSET_MOVED_TO_TIERED_STORAGE, 0, "the offset is now only in tiered storage"),
    E(FENCED_MEMBER_EPOCH, 0, "the member epoch is fenced; give up the partitions and join again"),
    E(UNRELEASED_INSTANCE_ID, 0, "another member still holds the instance id and must leave first"),
    E(UNSUPPORTED_ASSIGNOR, 0, "the group does not support the assignor or its version"),
    E(STALE_MEMBER_EPOCH, 0,
      "the member epoch is stale; retry once a heartbeat returns the new one"),
    E(MISMATCHED_ENDPOINT_TYPE, 0, "the request went to the wrong kind of endpoint"),
    E(UNSUPPORTED_ENDPOINT_TYPE, 0, "this endpoint type is not supported"),
    E(UNKNOWN_CONTROLLER_ID, 0, "the controller id is unknown"),
    E(UNKNOWN_SUBSCRIPTION_ID, 0, "the telemetry subscription id is unknown or outdated"),
    E(TELEMETRY_TOO_LARGE, 0, "the telemetry push is larger than the broker accepts"),
    E(INVALID_REGISTRATION, 0, "the controller found the broker's registration invalid"),
    E(TRANSACTION_ABORTABLE, 0,
      "the transaction failed; abort it to keep using the transactional id"),
    E(INVALID_RECORD_STATE, 0, "the record's state does not allow the acknowledgement"),
    E(SHARE_SESSION_NOT_FOUND, 1, "the share session does not exist"),
    E(INVALID_SHARE_SESSION_EPOCH, 1, "the share session epoch is wrong"),
    E(FENCED_STATE_EPOCH, 0, "the share-group state epoch does not match"),
    E(INVALID_VOTER_KEY, 0, "the voter key does not match the receiving replica's"),
    E(DUPLICATE_VOTER, 0, "the voter is in the voter set already"),
    E(VOTER_NOT_FOUND, 0, "the voter is not in the voter set"),
    E(INVALID_REGULAR_EXPRESSION, 0, "the regular expression is invalid"),
    E(REBOOTSTRAP_REQUIRED, 0, "the client's metadata is stale; it must bootstrap again"),
    E(STREAMS_INVALID_TOPOLOGY, 0, "the streams topology is invalid"),
    E(STREAMS_INVALID_TOPOLOGY_EPOCH, 0, "the streams topology epoch is invalid"),
    E(STREAMS_TOPOLOGY_FENCED, 0, "the streams topology epoch is outdated"),
    E(SHARE_SESSION_LIMIT_REACHED, 1, "the broker has reached its limit of share sessions"),
    E(GROUP_DELETION_FAILED, 0, "the group could not be deleted; the group's result says why"),
    E(STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED, 0,
      "the broker could not take the streams topology description"),
    E(CONTROLLER_ID_NOT_REGISTERED, 0, "the controller id is not registered"),
};

#define ERR_TABLE_LEN (sizeof(err_table) / sizeof(err_table[0]))

const kerr_info *kerr_table(size_t *n)
{
    *n = ERR_TABLE_LEN;
    return err_table;
}

const kerr_info *kerr_lookup(kfk_err err)
{
    size_t lo = 0, hi = ERR_TABLE_LEN;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((int)err_table[mid].code < (int)err)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ERR_TABLE_LEN && err_table[lo].code == err ? &err_table[lo] : NULL;
}

int kerr_retriable(kfk_err err)
{
    const kerr_info *e = kerr_lookup(err);
    return e ? e->retriable : 0;
}

const char *kfk_err_str(kfk_err err)
{
    /* Unknown codes are rare (a broker newer than this table); a per-thread
     * buffer keeps the result valid without locks or allocation. */
    static _Thread_local char unknown[32];
    const kerr_info *e = kerr_lookup(err);
    if (e) return e->str;
    snprintf(unknown, sizeof(unknown), "unknown error %d", (int)err);
    return unknown;
}

const char *kfk_err_name(kfk_err err)
{
    const kerr_info *e = kerr_lookup(err);
    return e ? e->name : "UNKNOWN";
}
