/* kfk CLI: writes consumed messages as kcat does: -f format tokens, the
 * -J JSON envelope, or the -K/-O/-D default. */
#include <inttypes.h>
#include <string.h>

#include "kcat.h"

static void put_bytes(const kcat_opts *o, const void *p, size_t len, FILE *out)
{
    if (!p) {
        if (o->null_str) fputs("NULL", out);
        return;
    }
    fwrite(p, 1, len, out);
}

static void put_headers_csv(const kfk_message *m, FILE *out)
{
    size_t n = kfk_message_header_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *val;
        size_t nlen, vlen;
        if (kfk_message_header(m, i, &name, &nlen, &val, &vlen)) continue;
        if (i) fputc(',', out);
        fwrite(name, 1, nlen, out);
        fputc('=', out);
        if (val) fwrite(val, 1, vlen, out);
        else fputs("NULL", out);
    }
}

/* Applies the -f format: kcat's tokens, and %d for a share consumer's
 * delivery count (kfk share; 0 elsewhere). Unknown tokens are written as
 * they are. */
static void print_format(const kcat_opts *o, const kfk_message *m, FILE *out)
{
    size_t klen, vlen;
    const void *key = kfk_message_key(m, &klen);
    const void *val = kfk_message_value(m, &vlen);
    const char *f = o->format, *end = o->format + o->format_len;
    for (; f < end; f++) {
        if (*f != '%' || f + 1 >= end) {
            fputc(*f, out);
            continue;
        }
        switch (*++f) {
        case 's': put_bytes(o, val, vlen, out); break;
        case 'S': fprintf(out, "%lld", val ? (long long)vlen : -1LL); break;
        case 'R': {
            int32_t n = val ? (int32_t)vlen : -1;
            unsigned char be[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                   (unsigned char)(n >> 8), (unsigned char)n};
            fwrite(be, 1, 4, out);
            break;
        }
        case 'k': put_bytes(o, key, klen, out); break;
        case 'K': fprintf(out, "%lld", key ? (long long)klen : -1LL); break;
        case 'T': fprintf(out, "%" PRId64, kfk_message_timestamp(m, NULL)); break;
        case 'h': put_headers_csv(m, out); break;
        case 't': fputs(kfk_message_topic(m), out); break;
        case 'p': fprintf(out, "%" PRId32, kfk_message_partition(m)); break;
        case 'o': fprintf(out, "%" PRId64, kfk_message_offset(m)); break;
        case 'd': fprintf(out, "%d", (int)kfk_message_delivery_count(m)); break;
        case '%': fputc('%', out); break;
        default: fputc('%', out); fputc(*f, out); break;
        }
    }
}

static void json_string(const void *p, size_t len, FILE *out)
{
    const unsigned char *s = p;
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (c < 0x20) fprintf(out, "\\u%04x", c);
            else fputc(c, out);
        }
    }
    fputc('"', out);
}

static void json_bytes_or_null(const void *p, size_t len, FILE *out)
{
    if (p) json_string(p, len, out);
    else fputs("null", out);
}

static void print_json(const kfk_message *m, int32_t broker, FILE *out)
{
    kfk_timestamp_type tt;
    int64_t ts = kfk_message_timestamp(m, &tt);
    const char *tstype = tt == KFK_TIMESTAMP_CREATE_TIME     ? "create"
                         : tt == KFK_TIMESTAMP_LOG_APPEND_TIME ? "logappend"
                                                               : "unknown";
    fputs("{\"topic\":", out);
    const char *topic = kfk_message_topic(m);
    json_string(topic, strlen(topic), out);
    fprintf(out, ",\"partition\":%" PRId32 ",\"offset\":%" PRId64 ",\"tstype\":\"%s\",\"ts\":%" PRId64
                 ",\"broker\":%" PRId32,
            kfk_message_partition(m), kfk_message_offset(m), tstype, ts, broker);
    int delivery_count = kfk_message_delivery_count(m);
    if (delivery_count > 0) fprintf(out, ",\"delivery_count\":%d", delivery_count);
    size_t n = kfk_message_header_count(m);
    if (n) {
        fputs(",\"headers\":[", out);
        for (size_t i = 0; i < n; i++) {
            const char *name;
            const void *val;
            size_t nlen, vlen;
            if (kfk_message_header(m, i, &name, &nlen, &val, &vlen)) continue;
            if (i) fputc(',', out);
            json_string(name, nlen, out);
            fputc(',', out);
            json_bytes_or_null(val, vlen, out);
        }
        fputc(']', out);
    }
    size_t klen, vlen;
    const void *key = kfk_message_key(m, &klen);
    const void *val = kfk_message_value(m, &vlen);
    fputs(",\"key\":", out);
    json_bytes_or_null(key, klen, out);
    fputs(",\"payload\":", out);
    json_bytes_or_null(val, vlen, out);
    fputs("}\n", out);
}

static void print_default(const kcat_opts *o, const kfk_message *m, FILE *out)
{
    size_t klen, vlen;
    const void *key = kfk_message_key(m, &klen);
    const void *val = kfk_message_value(m, &vlen);
    if (o->key_delim) {
        put_bytes(o, key, klen, out);
        fwrite(o->key_delim, 1, o->key_delim_len, out);
    }
    put_bytes(o, val, vlen, out);
    fwrite(o->delim, 1, o->delim_len, out);
}

bool kcat_print_message(const kcat_opts *o, const kfk_message *m, int32_t broker, FILE *out)
{
    if (o->json) print_json(m, broker, out);
    else if (o->format) print_format(o, m, out);
    else print_default(o, m, out);
    if (o->unbuffered) fflush(out);
    return !ferror(out);
}
