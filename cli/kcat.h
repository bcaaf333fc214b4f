/* kfk CLI: the kcat-compatible modes (-P, -C, -G, -L, -Q). */
#ifndef KFK_CLI_KCAT_H
#define KFK_CLI_KCAT_H

#include "cli.h"

#define KCAT_MAX_HEADERS 64

typedef struct kcat_opts {
    char mode; /* 'P', 'C', 'G', 'L', 'Q' */
    cli_conn conn;
    const char *topic;
    const char *topics_q[64]; /* -Q: t:p:ts */
    size_t n_topics_q;
    int32_t partition;        /* -p, KFK_PARTITION_ANY */
    const char *group;        /* -G */
    char **args;              /* -G topics, -P files */
    int n_args;
    /* -o */
    int64_t start_offset;     /* KFK_OFFSET_* or >= 0 */
    int64_t start_relative;   /* -o -N: N from the end; 0 none */
    int64_t start_ts, stop_ts; /* s@ and e@, -1 none */
    bool stored;              /* -o stored */
    bool exit_eof;            /* -e */
    int64_t count;            /* -c, -1 none */
    char *delim;              /* -D, unescaped */
    size_t delim_len;
    char *key_delim;          /* -K */
    size_t key_delim_len;
    const char *fixed_key;    /* -k */
    kfk_header headers[KCAT_MAX_HEADERS]; /* -H */
    size_t n_headers;
    char *format;             /* -f, unescaped */
    size_t format_len;
    bool json;                /* -J */
    bool print_offset;        /* -O */
    bool null_str;            /* -Z */
    bool unbuffered;          /* -u */
    bool tee;                 /* -T */
    bool file_lines;          /* -l */
    bool quiet;               /* -q */
    int verbosity;
    bool exit_on_error;       /* not -E */
} kcat_opts;

/* Unescapes kcat delimiters and formats: \n \r \t \\ \xNN (\x with up to
 * 3 digits); a new string, *len its length. */
char *kcat_unescape(const char *s, size_t *len);

int kcat_produce(kcat_opts *o);
int kcat_consume(kcat_opts *o);
int kcat_list(kcat_opts *o);
int kcat_query(kcat_opts *o);

/* Writes one message as -f / -J / -K / -D say; returns false on a write
 * error (a closed pipe). broker: the partition leader's id, for -J. */
bool kcat_print_message(const kcat_opts *o, const kfk_message *m, int32_t broker, FILE *out);

#endif
