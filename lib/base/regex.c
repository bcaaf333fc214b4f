/* Java/RE2 topic regexes to POSIX ERE: see regex.h for the subset. */
#include "base/regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The POSIX for \c, or NULL when c has no translation there. */
static const char *class_of(char c, bool in_brackets)
{
    switch (c) {
    case 'd':
        return in_brackets ? "0-9" : "[0-9]";
    case 'w':
        return in_brackets ? "0-9A-Za-z_" : "[0-9A-Za-z_]";
    case 's':
        return in_brackets ? "[:space:]" : "[[:space:]]";
    case 'D':
        return in_brackets ? NULL : "[^0-9]";
    case 'W':
        return in_brackets ? NULL : "[^0-9A-Za-z_]";
    case 'S':
        return in_brackets ? NULL : "[^[:space:]]";
    default:
        return NULL;
    }
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Translates src into out (room for 13 bytes per input byte, plus 8):
 * the length written, or -1 for syntax outside the subset. */
static long translate(const char *src, size_t len, bool whole, char *out)
{
    size_t o = 0;
    if (whole) o += (size_t)sprintf(out, "^(");
    bool brackets = false, dash = false;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '\0') return -1; /* a name never holds one; POSIX stops there */
        if (c == '\\') {
            if (i + 1 == len) return -1; /* a trailing backslash */
            char e = src[++i];
            const char *cls = class_of(e, brackets);
            if (cls) {
                o += (size_t)sprintf(out + o, "%s", cls);
            } else if (is_alnum(e)) {
                return -1; /* \b, \p, \1 ...: would silently mean a letter */
            } else if (brackets && e == '-') {
                dash = true; /* a literal - goes last, where POSIX reads it so */
            } else if (brackets && (e == ']' || e == '^' || e == '[')) {
                return -1; /* no topic name holds one; not worth the reordering */
            } else if (brackets) {
                out[o++] = e; /* POSIX brackets have no escapes: [\.] is [.] */
            } else {
                out[o++] = '\\';
                out[o++] = e;
            }
            continue;
        }
        if (brackets) {
            if (c == ']') {
                if (dash && out[o - 1] != '-') out[o++] = '-';
                brackets = dash = false;
            }
            out[o++] = c;
            continue;
        }
        if (c == '[') {
            brackets = true;
            out[o++] = c;
            if (i + 1 < len && src[i + 1] == '^') out[o++] = src[++i];
            if (i + 1 < len && src[i + 1] == ']') out[o++] = src[++i]; /* a literal ] */
            continue;
        }
        if (c == '(' && i + 2 < len && src[i + 1] == '?' && src[i + 2] == ':') {
            out[o++] = '(';
            i += 2;
            continue;
        }
        out[o++] = c;
    }
    if (brackets) return -1;
    if (whole) o += (size_t)sprintf(out + o, ")$");
    out[o] = '\0';
    return (long)o;
}

int kregex_compile(regex_t *re, const char *src, size_t len, bool whole)
{
    int flags = REG_EXTENDED | REG_NOSUB;
    if (len >= 4 && memcmp(src, "(?i)", 4) == 0) {
        flags |= REG_ICASE;
        src += 4;
        len -= 4;
    }
    char *out = malloc(len * 13 + 8); /* the longest class is 13 bytes for 2 */
    if (!out) return KREGEX_NO_MEM;
    int rc = REG_BADPAT;
    if (translate(src, len, whole, out) >= 0) rc = regcomp(re, out, flags);
    free(out);
    if (rc == REG_ESPACE) return KREGEX_NO_MEM;
    return rc ? KREGEX_BAD : KREGEX_OK;
}
