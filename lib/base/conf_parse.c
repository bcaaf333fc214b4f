/* Turning configuration text into typed values and back: the generic
 * types (numbers, bools, enums, lists, strings) and the few properties
 * with a syntax of their own (bootstrap.servers, auto.offset.reset's
 * by_duration:, sasl.jaas.config). Messages name the property, the value
 * and what is allowed; password text is never echoed. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"

kfk_err kconf_error(char *errstr, size_t errlen, const char *fmt, ...)
{
    if (errstr && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errlen, fmt, ap);
        va_end(ap);
    }
    return KFK_ERR_CONFIG;
}

const char *kconf_type_name(kconf_type t)
{
    switch (t) {
    case KCONF_T_STRING:
        return "string";
    case KCONF_T_PASSWORD:
        return "password";
    case KCONF_T_BOOL:
        return "bool";
    case KCONF_T_INT:
        return "int";
    case KCONF_T_LONG:
        return "long";
    case KCONF_T_DOUBLE:
        return "double";
    case KCONF_T_ENUM:
        return "enum";
    case KCONF_T_LIST:
        return "list";
    case KCONF_T_MS:
        return "duration (ms)";
    case KCONF_T_BYTES:
        return "size (bytes)";
    case KCONF_T_CALLBACK:
        return "callback";
    }
    return "?";
}

/* --- doubles in the C locale, whatever the application's locale is ------- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Switches the calling thread to the C locale; returns what to restore. */
static locale_t c_locale_enter(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale ? uselocale(c_locale) : (locale_t)0;
}

static void c_locale_leave(locale_t old)
{
    if (old) uselocale(old);
}

/* The shortest %g text that reads back as d exactly. */
static int format_double(double d, char *buf, size_t len)
{
    char tmp[64];
    locale_t old = c_locale_enter();
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d) break;
    }
    c_locale_leave(old);
    return snprintf(buf, len, "%s", tmp);
}

/* --- what a property accepts --------------------------------------------- */

/* Appends text to buf[0..len) at *n, keeping buf NUL-terminated when it
 * is too small; *n counts what would have been written. */
static void append(char *buf, size_t len, size_t *n, const char *text)
{
    size_t tlen = strlen(text);
    if (*n < len) {
        size_t room = len - *n - 1;
        size_t k = tlen < room ? tlen : room;
        memcpy(buf + *n, text, k);
        buf[*n + k] = '\0';
    }
    *n += tlen;
}

/* "a, b, c": the spellings that are not aliases. */
static void list_spellings(const kconf_enum_val *v, char *buf, size_t len)
{
    size_t n = 0;
    if (len > 0) buf[0] = '\0';
    for (; v->name; v++) {
        if (v->alias) continue;
        if (n) append(buf, len, &n, ", ");
        append(buf, len, &n, v->name);
    }
}

int kconf_allowed(const kconf_prop *p, char *buf, size_t len)
{
    char vals[512];
    if (len > 0) buf[0] = '\0';
    if (p->parse == kconf_parse_bootstrap) return snprintf(buf, len, "host:port, comma-separated");
    if (p->parse == kconf_parse_jaas) return snprintf(buf, len, "one JAAS login module line");
    switch (p->type) {
    case KCONF_T_BOOL:
        return snprintf(buf, len, "true or false");
    case KCONF_T_DOUBLE: {
        char lo[32], hi[32];
        format_double(p->dmin, lo, sizeof(lo));
        format_double(p->dmax, hi, sizeof(hi));
        return snprintf(buf, len, "between %s and %s", lo, hi);
    }
    case KCONF_T_ENUM:
        list_spellings(p->values, vals, sizeof(vals));
        return snprintf(buf, len, "one of %s", vals);
    case KCONF_T_LIST:
        if (!p->values) return 0;
        list_spellings(p->values, vals, sizeof(vals));
        return snprintf(buf, len, "a comma-separated list of %s", vals);
    case KCONF_T_STRING:
        return p->flags & KCONF_F_NONEMPTY ? snprintf(buf, len, "a non-empty string") : 0;
    case KCONF_T_CALLBACK:
        return snprintf(buf, len, "a function, set with %s()", p->setter);
    case KCONF_T_PASSWORD:
        return 0;
    case KCONF_T_INT:
    case KCONF_T_LONG:
    case KCONF_T_MS:
    case KCONF_T_BYTES:
        break;
    }
    const char *extra = p->flags & KCONF_F_OR_MINUS_ONE ? ", or -1"
                        : p->flags & KCONF_F_OPTIONAL   ? ", or empty for none"
                                                        : "";
    if (p->max == INT64_MAX) return snprintf(buf, len, "at least %" PRId64 "%s", p->min, extra);
    return snprintf(buf, len, "between %" PRId64 " and %" PRId64 "%s", p->min, p->max, extra);
}

/* --- generic parsers; text is trimmed, unless it is a password ------------ */

static kfk_err parse_number(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                            size_t errlen)
{
    if (text[0] == '\0' && (p->flags & KCONF_F_OPTIONAL)) {
        out->null = true;
        return KFK_OK;
    }
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || isspace((unsigned char)text[0]))
        return kconf_error(errstr, errlen, "invalid value \"%s\" for \"%s\": expected an integer",
                           text, p->name);
    bool minus_one = v == -1 && (p->flags & KCONF_F_OR_MINUS_ONE);
    if (errno == ERANGE || ((v < p->min || v > p->max) && !minus_one)) {
        char allowed[96];
        kconf_allowed(p, allowed, sizeof(allowed));
        return kconf_error(errstr, errlen, "\"%s\" must be %s, got \"%s\"", p->name, allowed, text);
    }
    out->i = v;
    return KFK_OK;
}

static kfk_err parse_double(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                            size_t errlen)
{
    char *end;
    locale_t old = c_locale_enter();
    errno = 0;
    double v = strtod(text, &end);
    c_locale_leave(old);
    if (end == text || *end != '\0' || !isfinite(v))
        return kconf_error(errstr, errlen, "invalid value \"%s\" for \"%s\": expected a number",
                           text, p->name);
    if (v < p->dmin || v > p->dmax) {
        char allowed[96];
        kconf_allowed(p, allowed, sizeof(allowed));
        return kconf_error(errstr, errlen, "\"%s\" must be %s, got \"%s\"", p->name, allowed, text);
    }
    out->d = v;
    return KFK_OK;
}

static kfk_err parse_bool(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                          size_t errlen)
{
    if (strcasecmp(text, "true") == 0)
        out->i = 1;
    else if (strcasecmp(text, "false") == 0)
        out->i = 0;
    else
        return kconf_error(errstr, errlen,
                           "invalid value \"%s\" for \"%s\": expected true or false", text,
                           p->name);
    return KFK_OK;
}

/* The index of text's spelling in p->values, or -1. */
static int find_spelling(const kconf_prop *p, const char *text, size_t len)
{
    for (int i = 0; p->values[i].name; i++) {
        const char *name = p->values[i].name;
        if (strlen(name) != len) continue;
        if ((p->flags & KCONF_F_ICASE) ? strncasecmp(name, text, len) == 0
                                       : strncmp(name, text, len) == 0)
            return i;
    }
    return -1;
}

static kfk_err parse_enum(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                          size_t errlen)
{
    int i = find_spelling(p, text, strlen(text));
    if (i < 0) {
        char allowed[512];
        kconf_allowed(p, allowed, sizeof(allowed));
        return kconf_error(errstr, errlen, "invalid value \"%s\" for \"%s\": expected %s", text,
                           p->name, allowed);
    }
    out->i = p->values[i].value;
    out->spelling = i;
    return KFK_OK;
}

static bool is_space(char c)
{
    return isspace((unsigned char)c) != 0;
}

/* Checks one list entry b[0..len) against p->values and adds its value to
 * out->items. */
static kfk_err list_add_item(const kconf_prop *p, const char *text, const char *b, size_t len,
                             kconf_value *out, char *errstr, size_t errlen)
{
    int i = find_spelling(p, b, len);
    if (i < 0) {
        char vals[512];
        list_spellings(p->values, vals, sizeof(vals));
        return kconf_error(errstr, errlen,
                           "invalid value \"%s\" for \"%s\": \"%.*s\" is not one of %s", text,
                           p->name, (int)len, b, vals);
    }
    for (size_t k = 0; k < out->n_items; k++)
        if (out->items[k] == p->values[i].value)
            return kconf_error(errstr, errlen,
                               "invalid value \"%s\" for \"%s\": \"%.*s\" is listed twice", text,
                               p->name, (int)len, b);
    if (out->n_items == KCONF_LIST_MAX)
        return kconf_error(errstr, errlen, "invalid value \"%s\" for \"%s\": more than %d entries",
                           text, p->name, KCONF_LIST_MAX);
    out->items[out->n_items++] = (uint8_t)p->values[i].value;
    return KFK_OK;
}

/* Splits text at commas, trims each entry, rejects empty ones, checks them
 * against p->values when there are any, and keeps "a,b" in out->s. An
 * empty text is an empty list. */
static kfk_err parse_list(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                          size_t errlen)
{
    if (text[0] == '\0') return KFK_OK;
    char *norm = malloc(strlen(text) + 1);
    if (!norm) return KFK_ERR_NO_MEMORY;
    size_t n = 0;
    for (const char *s = text;;) {
        const char *comma = strchr(s, ',');
        const char *e = comma ? comma : s + strlen(s);
        const char *b = s;
        while (b < e && is_space(*b))
            b++;
        while (e > b && is_space(e[-1]))
            e--;
        size_t len = (size_t)(e - b);
        kfk_err err = KFK_OK;
        if (len == 0)
            err = kconf_error(errstr, errlen, "invalid value \"%s\" for \"%s\": empty list entry",
                              text, p->name);
        else if (p->values)
            err = list_add_item(p, text, b, len, out, errstr, errlen);
        if (err) {
            free(norm);
            out->n_items = 0;
            return err;
        }
        if (n) norm[n++] = ',';
        memcpy(norm + n, b, len);
        n += len;
        if (!comma) break;
        s = comma + 1;
    }
    norm[n] = '\0';
    out->s = norm;
    return KFK_OK;
}

static kfk_err parse_string(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                            size_t errlen)
{
    if (text[0] == '\0') {
        if (p->flags & KCONF_F_NONEMPTY)
            return kconf_error(errstr, errlen,
                               "invalid value \"\" for \"%s\": expected a non-empty string "
                               "(set NULL to unset it)",
                               p->name);
        out->s = NULL;
        return KFK_OK;
    }
    out->s = strdup(text);
    return out->s ? KFK_OK : KFK_ERR_NO_MEMORY;
}

kfk_err kconf_parse_generic(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                            size_t errlen)
{
    switch (p->type) {
    case KCONF_T_INT:
    case KCONF_T_LONG:
    case KCONF_T_MS:
    case KCONF_T_BYTES:
        return parse_number(p, text, out, errstr, errlen);
    case KCONF_T_DOUBLE:
        return parse_double(p, text, out, errstr, errlen);
    case KCONF_T_BOOL:
        return parse_bool(p, text, out, errstr, errlen);
    case KCONF_T_ENUM:
        return parse_enum(p, text, out, errstr, errlen);
    case KCONF_T_LIST:
        return parse_list(p, text, out, errstr, errlen);
    case KCONF_T_STRING:
    case KCONF_T_PASSWORD:
        return parse_string(p, text, out, errstr, errlen);
    case KCONF_T_CALLBACK:
        break;
    }
    return kconf_error(errstr, errlen, "\"%s\" is a callback: set it with %s()", p->name,
                       p->setter);
}

kfk_err kconf_parse(const kconf_prop *p, const char *text, kconf_value *out, char *errstr,
                    size_t errlen)
{
    /* Passwords keep their spaces: they are data, not syntax. */
    if (p->type == KCONF_T_PASSWORD)
        return p->parse ? p->parse(p, text, out, errstr, errlen)
                        : parse_string(p, text, out, errstr, errlen);
    /* Java trims every other value, so " 5 " is 5. */
    while (is_space(*text))
        text++;
    size_t len = strlen(text);
    while (len > 0 && is_space(text[len - 1]))
        len--;
    char *t = strndup(text, len);
    if (!t) return KFK_ERR_NO_MEMORY;
    kfk_err err = p->parse ? p->parse(p, t, out, errstr, errlen)
                           : kconf_parse_generic(p, t, out, errstr, errlen);
    free(t);
    return err;
}

/* --- reading back ----------------------------------------------------------- */

int kconf_format(const kconf_prop *p, const kconf_value *v, char *buf, size_t len)
{
    switch (p->type) {
    case KCONF_T_PASSWORD:
        return snprintf(buf, len, "%s", v->s ? "[hidden]" : "");
    case KCONF_T_CALLBACK:
        return snprintf(buf, len, "%s", v->fn ? "[set]" : "");
    case KCONF_T_BOOL:
        return snprintf(buf, len, "%s", v->i ? "true" : "false");
    case KCONF_T_DOUBLE:
        return format_double(v->d, buf, len);
    case KCONF_T_ENUM:
        return snprintf(buf, len, "%s", v->s ? v->s : p->values[v->spelling].name);
    case KCONF_T_STRING:
    case KCONF_T_LIST:
        return snprintf(buf, len, "%s", v->s ? v->s : "");
    case KCONF_T_INT:
    case KCONF_T_LONG:
    case KCONF_T_MS:
    case KCONF_T_BYTES:
        break;
    }
    if (v->null) return snprintf(buf, len, "%s", "");
    return snprintf(buf, len, "%" PRId64, v->i);
}

void kconf_value_free(const kconf_prop *p, kconf_value *v)
{
    if (v->s) {
        if (p->type == KCONF_T_PASSWORD) explicit_bzero(v->s, strlen(v->s));
        free(v->s);
    }
    memset(v, 0, sizeof(*v));
}
