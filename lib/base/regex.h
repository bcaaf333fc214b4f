/* Topic regexes as Java clients write them, compiled with POSIX.
 *
 * Java's classic consumer matches subscribe(Pattern) with java.util.regex,
 * and Kafka matches a KIP-848 SubscribedTopicRegex with RE2/J; people write
 * "orders-\d+" or "(?i)Orders.*" for either. POSIX ERE reads \d as a plain
 * "d" and refuses (?...), so the common Java/RE2 syntax is translated
 * first: the classes \d \D \w \W \s \S (in brackets: \d \w \s), a leading
 * (?i) and the non-capturing group (?:...). An escaped letter or digit
 * with no translation (\b, \p{L}, \1, \Q...) is refused rather than left
 * to mean something else; escaped punctuation (\. \- \$ ...) keeps its
 * Java meaning, in brackets too (where \] \[ \^ are refused: no topic
 * name holds them).
 * Laziness (*?, +?) does not change which whole names match, so it is
 * left to POSIX, which reads it as an optional repetition. */
#ifndef KFK_BASE_REGEX_H
#define KFK_BASE_REGEX_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

enum {
    KREGEX_OK = 0,
    KREGEX_BAD = -1,    /* not valid, or syntax this subset does not speak */
    KREGEX_NO_MEM = -2, /* out of memory */
};

/* Compiles the len bytes at src into re (REG_EXTENDED | REG_NOSUB), for a
 * match of the whole name when whole, as Java's Pattern.matches(). On
 * KREGEX_OK the caller regfree()s re. */
int kregex_compile(regex_t *re, const char *src, size_t len, bool whole);

#endif
