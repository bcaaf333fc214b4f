/* The properties whose values have a syntax of their own:
 *   bootstrap.servers   host:port list (IPv6 in brackets, optional scheme://)
 *   auto.offset.reset   an enum, or by_duration:<ISO-8601 duration>
 *   sasl.jaas.config    one Java JAAS login module line */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"

/* --- bootstrap.servers ------------------------------------------------------ */

static bool is_host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == '%' || c == ':';
}

/* Skips a leading "scheme://" (PLAINTEXT://host:port, as Java allows). */
static const char *skip_scheme(const char *b, const char *e)
{
    const char *p = b;
    if (p == e || !isalpha((unsigned char)*p)) return b;
    while (p < e &&
           (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.' || *p == '_'))
        p++;
    return e - p >= 3 && memcmp(p, "://", 3) == 0 ? p + 3 : b;
}

/* True when b[0..e) is host:port, [ipv6]:port or scheme://either, with a
 * port in 1..65535. Like Java, a bare IPv6 address splits at its last ':'. */
static bool is_address(const char *b, const char *e)
{
    b = skip_scheme(b, e);
    const char *host = b, *host_end, *colon;
    if (b < e && *b == '[') {
        host = b + 1;
        host_end = memchr(host, ']', (size_t)(e - host));
        if (!host_end || host_end + 1 >= e || host_end[1] != ':') return false;
        colon = host_end + 1;
    } else {
        colon = NULL;
        for (const char *p = b; p < e; p++)
            if (*p == ':') colon = p;
        if (!colon) return false;
        host_end = colon;
    }
    if (host_end == host) return false;
    for (const char *p = host; p < host_end; p++)
        if (!is_host_char(*p)) return false;
    const char *port = colon + 1;
    if (port == e || e - port > 5) return false;
    long v = 0;
    for (const char *p = port; p < e; p++) {
        if (!isdigit((unsigned char)*p)) return false;
        v = v * 10 + (*p - '0');
    }
    return v >= 1 && v <= 65535;
}

kfk_err kconf_parse_bootstrap(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                              size_t errlen)
{
    kfk_err err = kconf_parse_generic(p, text, out, errstr, errlen);
    if (err || !out->s) return err;
    for (const char *b = out->s;;) {
        const char *comma = strchr(b, ',');
        const char *e = comma ? comma : b + strlen(b);
        if (!is_address(b, e)) {
            err = kconf_error(errstr, errlen,
                              "invalid value \"%s\" for \"%s\": \"%.*s\" is not host:port with a "
                              "port from 1 to 65535",
                              text, p->name, (int)(e - b), b);
            kconf_value_free(p, out);
            return err;
        }
        if (!comma) return KFK_OK;
        b = comma + 1;
    }
}

/* --- auto.offset.reset ------------------------------------------------------ */

/* Reads digits at *s into *v (which must stay within int64). */
static bool read_digits(const char **s, int64_t *v)
{
    const char *p = *s;
    int64_t n = 0;
    if (*p == '+') p++;
    if (!isdigit((unsigned char)*p)) return false;
    for (; isdigit((unsigned char)*p); p++)
        if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, *p - '0', &n))
            return false;
    *s = p;
    *v = n;
    return true;
}

/* Parses an ISO-8601 duration the way Java's Duration.parse reads
 * PnDTnHnMn.nS (letters in any case, a fraction of up to 9 digits on the
 * seconds) into whole milliseconds. Negative durations are refused, as
 * Kafka refuses them. */
static bool parse_iso_duration(const char *s, int64_t *ms_out)
{
    static const char units[] = "DHMS";
    static const int64_t unit_ms[] = {86400000, 3600000, 60000, 1000};
    int64_t total = 0;
    int last = -1;
    bool in_time = false, any = false, time_any = false;

    if (*s == '+') s++;
    if (toupper((unsigned char)*s++) != 'P') return false;
    while (*s) {
        if (toupper((unsigned char)*s) == 'T') {
            if (in_time) return false;
            in_time = true;
            s++;
            continue;
        }
        int64_t n, frac_ms = 0;
        if (!read_digits(&s, &n)) return false;
        if (*s == '.' || *s == ',') {
            s++;
            int digits = 0;
            for (; isdigit((unsigned char)*s); s++, digits++) {
                if (digits >= 9) return false;
                if (digits < 3) frac_ms = frac_ms * 10 + (*s - '0');
            }
            for (int d = digits; d < 3; d++)
                frac_ms *= 10;
            if (toupper((unsigned char)*s) != 'S') return false;
        }
        const char *u = *s ? strchr(units, toupper((unsigned char)*s)) : NULL;
        if (!u) return false;
        int unit = (int)(u - units);
        /* D before T, H/M/S after it, each at most once and in order. */
        if (unit <= last || (unit == 0) == in_time) return false;
        int64_t part;
        if (__builtin_mul_overflow(n, unit_ms[unit], &part) ||
            __builtin_add_overflow(total, part, &total) ||
            __builtin_add_overflow(total, frac_ms, &total))
            return false;
        last = unit;
        any = true;
        time_any |= in_time;
        s++;
    }
    if (!any || (in_time && !time_any)) return false;
    *ms_out = total;
    return true;
}

kfk_err kconf_parse_offset_reset(const kconf_prop *p, const char *text, kconf_value *out,
                                 char *errstr, size_t errlen)
{
    static const char prefix[] = "by_duration:";
    if (strncmp(text, prefix, sizeof(prefix) - 1) != 0)
        return kconf_parse_generic(p, text, out, errstr, errlen);
    int64_t ms;
    if (!parse_iso_duration(text + sizeof(prefix) - 1, &ms))
        return kconf_error(errstr, errlen,
                           "invalid value \"%s\" for \"%s\": by_duration: takes a non-negative "
                           "ISO-8601 duration such as P1DT12H or PT30M",
                           text, p->name);
    int spelling = 0;
    while (p->values[spelling].value != KCONF_RESET_BY_DURATION)
        spelling++;
    out->s = strdup(text);
    if (!out->s) return KFK_ERR_NO_MEMORY;
    out->i = KCONF_RESET_BY_DURATION;
    out->arg = ms;
    out->spelling = spelling;
    return KFK_OK;
}

/* --- sasl.jaas.config ----------------------------------------------------- */

/* Tokens of a JAAS line: words, "quoted strings" (backslash escapes), '='
 * and ';'. */
typedef enum jaas_tok { JT_END, JT_WORD, JT_STRING, JT_EQ, JT_SEMI, JT_BAD } jaas_tok;

static jaas_tok jaas_next(const char **s, const char **b, size_t *len)
{
    const char *p = *s;
    while (isspace((unsigned char)*p))
        p++;
    *b = p;
    *len = 0;
    jaas_tok t;
    if (*p == '\0') {
        t = JT_END;
    } else if (*p == '=' || *p == ';') {
        t = *p == '=' ? JT_EQ : JT_SEMI;
        p++;
    } else if (*p == '"') {
        *b = ++p;
        while (*p && *p != '"')
            p += p[0] == '\\' && p[1] ? 2 : 1;
        if (*p != '"') return JT_BAD;
        *len = (size_t)(p - *b);
        p++;
        t = JT_STRING;
    } else {
        while (*p && !isspace((unsigned char)*p) && *p != '=' && *p != ';' && *p != '"')
            p++;
        *len = (size_t)(p - *b);
        t = JT_WORD;
    }
    *s = p;
    return t;
}

/* A malloc'd copy of a token, with a quoted string's escapes undone. */
static char *jaas_unquote(const char *b, size_t len, jaas_tok t)
{
    char *out = malloc(len + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < len; i++) {
        if (t == JT_STRING && b[i] == '\\' && i + 1 < len) i++;
        *o++ = b[i];
    }
    *o = '\0';
    return out;
}

static bool is_control_flag(const char *b, size_t len)
{
    static const char *const flags[] = {"required", "requisite", "sufficient", "optional"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (strlen(flags[i]) == len && strncasecmp(flags[i], b, len) == 0) return true;
    return false;
}

/* Hands one option, as NUL-terminated copies, to a kconf_jaas_foreach
 * callback. */
static kfk_err jaas_visit(kconf_jaas_option_fn *each, void *arg, const char *key, size_t key_len,
                          const char *b, size_t len, jaas_tok t)
{
    char *k = strndup(key, key_len), *v = jaas_unquote(b, len, t);
    kfk_err err = k && v ? each(arg, k, v) : KFK_ERR_NO_MEMORY;
    free(k);
    free(v);
    return err;
}

/* Parses one login module line; when want is given, stores a copy of that
 * option's value in *found (the last, if repeated); when each is given,
 * calls it for every option. Messages never quote the line: it holds
 * secrets. */
static kfk_err jaas_walk(const char *text, const char *want, char **found,
                         kconf_jaas_option_fn *each, void *arg, char *errstr, size_t errlen)
{
#define JAAS_ERR(...)                                                                              \
    kconf_error(errstr, errlen, "invalid value for \"sasl.jaas.config\": " __VA_ARGS__)
    const char *s = text, *b;
    size_t len;
    if (jaas_next(&s, &b, &len) != JT_WORD) return JAAS_ERR("expected a login module class name");
    if (jaas_next(&s, &b, &len) != JT_WORD || !is_control_flag(b, len))
        return JAAS_ERR("expected required, requisite, sufficient or optional after the login "
                        "module");
    for (;;) {
        jaas_tok t = jaas_next(&s, &b, &len);
        if (t == JT_SEMI) break;
        if (t != JT_WORD) return JAAS_ERR("expected option=value or a closing \";\"");
        const char *key = b;
        size_t key_len = len;
        if (jaas_next(&s, &b, &len) != JT_EQ)
            return JAAS_ERR("expected \"=\" after option \"%.*s\"", (int)key_len, key);
        t = jaas_next(&s, &b, &len);
        if (t == JT_BAD)
            return JAAS_ERR("unterminated quote in option \"%.*s\"", (int)key_len, key);
        if (t != JT_WORD && t != JT_STRING)
            return JAAS_ERR("expected a value for option \"%.*s\"", (int)key_len, key);
        if (want && strlen(want) == key_len && strncmp(want, key, key_len) == 0) {
            free(*found);
            if (!(*found = jaas_unquote(b, len, t))) return KFK_ERR_NO_MEMORY;
        }
        if (each) {
            kfk_err err = jaas_visit(each, arg, key, key_len, b, len, t);
            if (err) return err;
        }
    }
    if (jaas_next(&s, &b, &len) != JT_END)
        return JAAS_ERR("kfk takes one login module, but more follows the \";\"");
    return KFK_OK;
#undef JAAS_ERR
}

kfk_err kconf_parse_jaas(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                         size_t errlen)
{
    (void)p;
    const char *s = text;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0') return KFK_OK; /* blank: unset */
    kfk_err err = jaas_walk(text, NULL, NULL, NULL, NULL, errstr, errlen);
    if (err) return err;
    out->s = strdup(text);
    return out->s ? KFK_OK : KFK_ERR_NO_MEMORY;
}

kfk_err kconf_jaas_option(const char *jaas, const char *key, char **out)
{
    *out = NULL;
    kfk_err err = jaas_walk(jaas, key, out, NULL, NULL, NULL, 0);
    if (err) {
        free(*out);
        *out = NULL;
    }
    return err == KFK_ERR_NO_MEMORY ? err : KFK_OK;
}

kfk_err kconf_jaas_foreach(const char *jaas, kconf_jaas_option_fn *fn, void *arg)
{
    return jaas_walk(jaas, NULL, NULL, fn, arg, NULL, 0);
}
