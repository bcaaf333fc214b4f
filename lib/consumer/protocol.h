/* The "consumer" embedded protocol of the classic group protocol, framed
 * as the Java client frames it: an int16 version, then the message
 * (lib/proto/schema/consumer_protocol.kfs). These bytes are JoinGroup's
 * protocol metadata and SyncGroup's member assignments, and they must stay
 * byte-compatible with Java and kafka-python members of the same group.
 *
 * Decoders point strings and bytes into the input (it must outlive the
 * result) and take arrays from the arena. A version newer than we know is
 * read as the newest we know, as Java does: later versions only append
 * fields, and trailing bytes are ignored. Any thread; nothing blocks. */
#ifndef KFK_CONSUMER_PROTOCOL_H
#define KFK_CONSUMER_PROTOCOL_H

#include "proto/arena.h"
#include "proto/gen/consumer_protocol.h"

/* JoinGroup's protocol_type for consumer groups of the classic protocol. */
#define KC_PROTOCOL_TYPE "consumer"

/* The versions we write: the newest, as Java 4.x does. */
#define KC_SUBSCRIPTION_VERSION KP_CONSUMER_PROTOCOL_SUBSCRIPTION_MAX_VERSION
#define KC_ASSIGNMENT_VERSION KP_CONSUMER_PROTOCOL_ASSIGNMENT_MAX_VERSION

/* Appends the version and s encoded at that version to out. Returns 0 or an
 * error of kp_consumer_protocol_subscription_encode (out unchanged then). */
int kc_subscription_encode(const kp_consumer_protocol_subscription *s, int16_t version, kbuf *out);

/* Decodes framed subscription bytes into s; *version (may be NULL) gets
 * the version on the wire. Returns 0, KFK_ERR_MALFORMED (short, or a
 * negative version), KFK_ERR_NO_MEMORY. */
int kc_subscription_decode(kp_consumer_protocol_subscription *s, kslice in, karena *a,
                           int16_t *version);

int kc_assignment_encode(const kp_consumer_protocol_assignment *m, int16_t version, kbuf *out);

/* As kc_subscription_decode. Empty input is an empty assignment: the
 * broker sends empty bytes to a member the leader left out. */
int kc_assignment_decode(kp_consumer_protocol_assignment *m, kslice in, karena *a,
                         int16_t *version);

/* The "sticky" assignor's user data: written at v1 (with the generation);
 * read as v1, else as v0 (generation -1), as Java does. Empty or null input
 * decodes to an empty previous assignment with generation -1. */
int kc_sticky_user_data_encode(const kp_sticky_assignor_user_data *d, kbuf *out);
int kc_sticky_user_data_decode(kp_sticky_assignor_user_data *d, kslice in, karena *a);

/* The "cooperative-sticky" assignor's user data: just the generation.
 * Decoding anything unreadable gives -1. */
int kc_cooperative_user_data_encode(int32_t generation, kbuf *out);
int32_t kc_cooperative_user_data_decode(kslice in);

#endif
