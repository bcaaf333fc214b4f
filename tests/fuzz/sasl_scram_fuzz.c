/* libFuzzer target for the SCRAM client's reading of the broker's
 * messages (lib/sasl/scram.c): the input, split at its first 0xff byte,
 * is a server-first-message and a server-final-message, fed to a client
 * with a fixed nonce. Whatever they hold, the client answers with an error
 * or a well-formed client-final-message, and accepts the server-final only
 * when it carries the right signature (which the fuzzer cannot forge: an
 * acceptance is a bug). */
#include <stdlib.h>
#include <string.h>

#include "sasl/scram.h"

static void check(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *cut = memchr(data, 0xff, size);
    size_t first_len = cut ? (size_t)(cut - data) : size;
    const uint8_t *final = cut ? cut + 1 : data + size;
    size_t final_len = cut ? size - first_len - 1 : 0;
    kscram *s = kscram_new(size % 2 ? 512 : 256, "user", "pencil");
    check(s != NULL);
    kscram_set_nonce(s, "fyko+d2lbbFgONRv9qkxdawL");
    kbuf out = {0};
    check(kscram_client_first(s, &out) == 0);
    out.len = 0;
    char why[256];
    int rc = kscram_client_final(s, data, first_len, &out, why, sizeof(why));
    if (rc == 0) {
        check(out.len > 9 && memcmp(out.data, "c=biws,r=", 9) == 0);
        check(kscram_server_final(s, final, final_len, why, sizeof(why)) != 0);
    } else {
        check(rc == KFK_ERR_AUTH || rc == KFK_ERR_MALFORMED);
        check(out.len == 0);
    }
    kbuf_free(&out);
    kscram_free(s);
    return 0;
}
