#include "base/topic_name.h"

#include <stdbool.h>
#include <stdio.h>

static bool legal_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

kfk_err ktopic_name_check(const char *name, size_t len, char *msg, size_t msg_len)
{
    char scratch[1];
    if (!msg || !msg_len) {
        msg = scratch;
        msg_len = sizeof(scratch);
    }
    const char *s = name ? name : "";
    int shown = (int)(len > 300 ? 300 : len); /* a hostile length stays printable */
    bool bad_char = false;
    for (size_t i = 0; i < len && !bad_char; i++)
        bad_char = !legal_char((unsigned char)s[i]);
    if (len == 0)
        snprintf(msg, msg_len, "Topic name is invalid: the empty string is not allowed");
    else if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        snprintf(msg, msg_len, "Topic name is invalid: '%.*s' is not allowed", shown, s);
    else if (len > KTOPIC_NAME_MAX)
        snprintf(msg, msg_len,
                 "Topic name is invalid: the length of '%.*s' is longer than the max allowed "
                 "length %d",
                 shown, s, KTOPIC_NAME_MAX);
    else if (bad_char)
        snprintf(msg, msg_len,
                 "Topic name is invalid: '%.*s' contains one or more characters other than "
                 "ASCII alphanumerics, '.', '_' and '-'",
                 shown, s);
    else
        return KFK_OK;
    return KFK_ERR_INVALID_TOPIC_EXCEPTION;
}
