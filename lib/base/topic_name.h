/* Kafka's rules for topic names (Topic.validate in the broker): what the
 * producer checks before asking for a topic, so a name no broker would
 * accept fails at once, and what the mock cluster answers with. */
#ifndef KFK_BASE_TOPIC_NAME_H
#define KFK_BASE_TOPIC_NAME_H

#include <stddef.h>

#include "kfk.h"

/* The longest topic name Kafka takes: 249, leaving room in the 255-byte
 * file name of a partition's directory for "-" and the partition. */
#define KTOPIC_NAME_MAX 249

/* KFK_OK for a legal name (1..249 of [a-zA-Z0-9._-], not "." or ".."),
 * else KFK_ERR_INVALID_TOPIC_EXCEPTION with the broker's words for why in
 * msg (at most msg_len bytes, NUL-terminated; msg may be NULL). */
kfk_err ktopic_name_check(const char *name, size_t len, char *msg, size_t msg_len);

#endif
