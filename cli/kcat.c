/* kfk CLI: parses kcat's command line (its flags and their meaning), so
 * scripts written for kcat run unchanged, and runs the mode. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kcat.h"

char *kcat_unescape(const char *s, size_t *len)
{
    char *out = cli_need(malloc(strlen(s) + 1)), *w = out;
    while (*s) {
        if (*s != '\\' || !s[1]) {
            *w++ = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': *w++ = '\n'; s++; break;
        case 'r': *w++ = '\r'; s++; break;
        case 't': *w++ = '\t'; s++; break;
        case '\\': *w++ = '\\'; s++; break;
        case 'x': {
            s++;
            int v = 0, n = 0;
            while (n < 3 && ((*s >= '0' && *s <= '9') || ((*s | 32) >= 'a' && (*s | 32) <= 'f'))) {
                v = v * 16 + (*s <= '9' ? *s - '0' : (*s | 32) - 'a' + 10);
                s++, n++;
            }
            *w++ = (char)v;
            break;
        }
        default: *w++ = '\\'; *w++ = *s++; break;
        }
    }
    *w = '\0';
    *len = (size_t)(w - out);
    return out;
}

/* -o: beginning | end | stored | N | -N | s@TS | e@TS */
static int parse_offset(kcat_opts *o, const char *s)
{
    int64_t v;
    if (!strcmp(s, "beginning")) o->start_offset = KFK_OFFSET_BEGINNING;
    else if (!strcmp(s, "end")) o->start_offset = KFK_OFFSET_END;
    else if (!strcmp(s, "stored")) o->stored = true;
    else if (!strncmp(s, "s@", 2)) {
        if (!cli_parse_i64("-o s@", s + 2, 0, INT64_MAX, &o->start_ts)) return CLI_USAGE;
    } else if (!strncmp(s, "e@", 2)) {
        if (!cli_parse_i64("-o e@", s + 2, 0, INT64_MAX, &o->stop_ts)) return CLI_USAGE;
    } else if (s[0] == '-') {
        if (!cli_parse_i64("-o", s + 1, 1, INT64_MAX, &v)) return CLI_USAGE;
        o->start_relative = v;
    } else {
        if (!cli_parse_i64("-o", s, 0, INT64_MAX, &v)) return CLI_USAGE;
        o->start_offset = v;
    }
    return CLI_OK;
}

static int add_header(kcat_opts *o, const char *arg)
{
    if (o->n_headers == KCAT_MAX_HEADERS) return cli_usagef("-H: at most %d headers", KCAT_MAX_HEADERS);
    const char *eq = strchr(arg, '=');
    kfk_header *h = &o->headers[o->n_headers++];
    if (!eq) { /* kcat: a header without '=' has a null value */
        h->name = arg;
        return CLI_OK;
    }
    h->name = arg;
    h->name_len = (size_t)(eq - arg);
    h->value = eq + 1;
    h->value_len = strlen(eq + 1);
    if (h->name_len == 0) return cli_usagef("-H %s: expected name=value", arg);
    return CLI_OK;
}

static int set_mode(kcat_opts *o, char m)
{
    if (o->mode && o->mode != m) return cli_usagef("-%c: only one of -P, -C, -G, -L, -Q", m);
    o->mode = m;
    return CLI_OK;
}

static int parse_opt(kcat_opts *o, int opt, const char *arg)
{
    int64_t v;
    switch (opt) {
    case 'P': case 'C': case 'L': case 'Q': return set_mode(o, (char)opt);
    case 'G': o->group = arg; return set_mode(o, 'G');
    case 't':
        if (o->n_topics_q < 64) o->topics_q[o->n_topics_q++] = arg;
        o->topic = arg;
        return CLI_OK;
    case 'p':
        if (!cli_parse_i64("-p", arg, -1, INT32_MAX, &v)) return CLI_USAGE;
        o->partition = (int32_t)v;
        return CLI_OK;
    case 'b': return cli_conn_set2(&o->conn, "bootstrap.servers", arg);
    case 'z': return cli_conn_set2(&o->conn, "compression.type", arg);
    case 'o': return parse_offset(o, arg);
    case 'e': o->exit_eof = true; return CLI_OK;
    case 'E': o->exit_on_error = false; return CLI_OK;
    case 'D': free(o->delim); o->delim = kcat_unescape(arg, &o->delim_len); return CLI_OK;
    case 'K': free(o->key_delim); o->key_delim = kcat_unescape(arg, &o->key_delim_len); return CLI_OK;
    case 'k': o->fixed_key = arg; return CLI_OK;
    case 'H': return add_header(o, arg);
    case 'O': o->print_offset = true; return CLI_OK;
    case 'd': /* kcat's debug contexts: kfk logs everything at debug */
        cli_verbosity = 3;
        return cli_conn_set2(&o->conn, "log.level", "debug");
    case 'q': o->quiet = true; o->verbosity = cli_verbosity = 0; return CLI_OK;
    case 'v': o->verbosity++; cli_verbosity++; return CLI_OK;
    case 'F': return cli_conn_file(&o->conn, arg);
    case 'X': return cli_conn_set(&o->conn, arg);
    case 'c':
        if (!cli_parse_i64("-c", arg, 0, INT64_MAX, &o->count)) return CLI_USAGE;
        return CLI_OK;
    case 'T': o->tee = true; return CLI_OK;
    case 'u': o->unbuffered = true; return CLI_OK;
    case 'f': free(o->format); o->format = kcat_unescape(arg, &o->format_len); return CLI_OK;
    case 'Z': o->null_str = true; return CLI_OK;
    case 'l': o->file_lines = true; return CLI_OK;
    case 'J': o->json = true; return CLI_OK;
    case 'm':
        if (!cli_parse_i64("-m", arg, 1, 86400, &v)) return CLI_USAGE;
        o->conn.timeout_ms = (int)v * 1000;
        return CLI_OK;
    case 's': case 'r':
        return cli_usagef("-%c: Avro/serdes deserialization is not supported by kfk", opt);
    case 'V': printf("kfk %s (kcat-compatible mode)\n", kfk_version_str()); exit(0);
    case 'h': cli_help_usage(stdout); exit(0);
    default: return cli_usagef("unknown or incomplete flag (run kfk help)");
    }
}

static void opts_free(kcat_opts *o)
{
    cli_conn_destroy(&o->conn);
    free(o->delim);
    free(o->key_delim);
    free(o->format);
}

int cli_kcat_main(int argc, char **argv)
{
    kcat_opts o;
    memset(&o, 0, sizeof(o));
    o.partition = KFK_PARTITION_ANY;
    o.start_offset = KFK_OFFSET_BEGINNING; /* kcat's default */
    o.start_ts = o.stop_ts = -1;
    o.count = -1;
    o.exit_on_error = true;
    o.verbosity = 1;
    if (cli_conn_init(&o.conn)) return CLI_FAIL;
    const char *cfg = getenv("KCAT_CONFIG");
    int rc = cfg && *cfg ? cli_conn_file(&o.conn, cfg) : CLI_OK;
    int opt, at = optind; /* the argument getopt reads from */
    opterr = 0;
    while (rc == CLI_OK &&
           (opt = getopt(argc, argv, ":PCG:LQt:p:b:z:o:eED:K:k:H:Od:qvF:X:c:Tuf:ZlVhs:r:Jm:U")) != -1) {
        if (opt == ':') rc = cli_usagef("-%c needs an argument", optopt);
        else if (opt == '?' && optopt == '-' && at < argc) /* a long flag kcat does not have */
            rc = cli_usagef("unknown flag %s", argv[at]);
        else if (opt == '?') rc = cli_usagef("unknown flag -%c", optopt);
        else rc = parse_opt(&o, opt, optarg);
        at = optind;
    }
    o.args = argv + optind;
    o.n_args = argc - optind;
    if (rc == CLI_OK && !o.mode)
        rc = o.n_args == 0 ? cli_usagef("no mode: use -P, -C, -G, -L or -Q, or a subcommand")
                           : cli_usagef("unknown subcommand \"%s\"", o.args[0]);
    if (rc == CLI_OK) rc = cli_conn_finish(&o.conn);
    if (rc == CLI_OK) {
        if (!o.delim) o.delim = kcat_unescape("\\n", &o.delim_len);
        switch (o.mode) {
        case 'P': rc = kcat_produce(&o); break;
        case 'C': case 'G': rc = kcat_consume(&o); break;
        case 'L': rc = kcat_list(&o); break;
        case 'Q': rc = kcat_query(&o); break;
        }
    }
    opts_free(&o);
    return rc;
}
