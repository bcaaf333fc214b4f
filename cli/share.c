/* kfk CLI: kfk share GROUP TOPIC...: a member of a share group (KIP-932)
 * that prints the records the brokers hand it, as -C prints them, and
 * acknowledges each as --ack says. Ctrl-C, -c or --idle end the run:
 * what was printed is acknowledged, then the member leaves the group. */
#include <stdlib.h>
#include <string.h>

#include "kcat.h"
#include "kfk_share.h"
#include "sub.h"

typedef struct share_args {
    kcat_opts out; /* how records are printed: -f, -J, -D, -K, -Z, -u */
    kfk_share_ack_type ack;
    int64_t count;    /* -c; -1: no limit */
    int64_t idle_ms;  /* --idle; -1: none */
    int64_t acked[4]; /* records acknowledged, by kfk_share_ack_type */
    int64_t failed;   /* records whose acknowledgement failed */
} share_args;

static int parse_ack(share_args *a, const char *arg)
{
    if (!strcmp(arg, "accept"))
        a->ack = KFK_SHARE_ACK_ACCEPT;
    else if (!strcmp(arg, "release"))
        a->ack = KFK_SHARE_ACK_RELEASE;
    else if (!strcmp(arg, "reject"))
        a->ack = KFK_SHARE_ACK_REJECT;
    else
        return cli_usagef("--ack: accept, release or reject, not \"%s\"", arg);
    return CLI_OK;
}

static int share_opt(void *ctx, int opt, const char *arg)
{
    share_args *a = ctx;
    kcat_opts *o = &a->out;
    int64_t v;
    switch (opt) {
    case 'A':
        return parse_ack(a, arg);
    case 'c':
        return cli_parse_i64("-c", arg, 1, INT64_MAX, &a->count) ? CLI_OK : CLI_USAGE;
    case 'I':
        if (!cli_parse_i64("--idle", arg, 1, 86400, &v)) return CLI_USAGE;
        a->idle_ms = v * 1000;
        return CLI_OK;
    case 'f':
        free(o->format);
        o->format = kcat_unescape(arg, &o->format_len);
        return CLI_OK;
    case 'D':
        free(o->delim);
        o->delim = kcat_unescape(arg, &o->delim_len);
        return CLI_OK;
    case 'K':
        free(o->key_delim);
        o->key_delim = kcat_unescape(arg, &o->key_delim_len);
        return CLI_OK;
    case 'J':
        o->json = true;
        return CLI_OK;
    case 'Z':
        o->null_str = true;
        return CLI_OK;
    case 'u':
        o->unbuffered = true;
        return CLI_OK;
    default:
        return cli_usagef("unknown flag");
    }
}

/* The acknowledgement callback: counts the outcomes, says which failed. */
static void on_ack(void *opaque, kfk_share_consumer *sc, const char *topic, int32_t partition,
                   const int64_t *offsets, size_t n, kfk_err err)
{
    (void)sc;
    share_args *a = opaque;
    if (!err) return;
    a->failed += (int64_t)n;
    cli_errorf("acknowledging %zu records of %s [%d] from offset %lld: %s", n, topic,
               (int)partition, n ? (long long)offsets[0] : -1LL, kfk_err_str(err));
}

static kfk_share_consumer *share_open(cli_conn *c, share_args *a, const char *group)
{
    if (cli_conn_set2(c, "group.id", group) ||
        cli_conn_set2(c, "share.acknowledgement.mode", "explicit"))
        return NULL;
    kfk_conf_set_share_ack_cb(c->conf, on_ack, a);
    char err[512] = "";
    kfk_share_consumer *sc = kfk_share_consumer_new(c->conf, err, sizeof(err));
    c->conf = NULL; /* taken, even on failure */
    if (!sc) cli_errorf("%s", err);
    return sc;
}

/* Polls, prints and acknowledges until the count, the idle time, Ctrl-C or
 * an error ends it. */
static int consume(kfk_share_consumer *sc, share_args *a)
{
    int64_t got = 0, last = cli_now_ns();
    int rc = CLI_OK;
    while (!cli_stop && got != a->count) {
        kfk_message *m = kfk_share_consumer_poll(sc, 200);
        if (!m) {
            kfk_err e = kfk_share_consumer_poll_error(sc);
            if (e) {
                cli_errorf("%s", kfk_share_consumer_last_error(sc));
                return CLI_FAIL;
            }
            if (a->idle_ms >= 0 && cli_now_ns() - last >= a->idle_ms * 1000000) break;
            continue;
        }
        last = cli_now_ns();
        bool ok = kcat_print_message(&a->out, m, -1, stdout);
        kfk_err e = kfk_share_consumer_acknowledge(sc, m, ok ? a->ack : KFK_SHARE_ACK_RELEASE);
        kfk_message_release(m);
        if (e || !ok) {
            if (e) cli_errorf("acknowledge: %s", kfk_share_consumer_last_error(sc));
            rc = CLI_FAIL; /* a closed pipe: the record goes back */
            break;
        }
        a->acked[a->ack]++;
        got++;
    }
    return rc;
}

int cli_share_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"ack", required_argument, NULL, 'A'},
                                             {"idle", required_argument, NULL, 'I'},
                                             SUB_CONN_OPTIONS,
                                             {0}};
    cli_conn c;
    if (cli_conn_init(&c)) return CLI_FAIL;
    share_args a = {.ack = KFK_SHARE_ACK_ACCEPT, .count = -1, .idle_ms = -1};
    optind = 1;
    opterr = 0;
    int rc = sub_parse(&c, argc, argv, "c:f:D:K:JZu", longopts, share_opt, &a);
    if (rc == CLI_OK && argc - optind < 2) rc = cli_usagef("share: name a group and a topic");
    kfk_share_consumer *sc = rc == CLI_OK ? share_open(&c, &a, argv[optind]) : NULL;
    if (rc == CLI_OK && !sc) rc = CLI_FAIL;
    if (!a.out.delim) a.out.delim = kcat_unescape("\\n", &a.out.delim_len);
    if (sc) {
        const char *const *topics = (const char *const *)argv + optind + 1;
        if (kfk_share_consumer_subscribe(sc, topics, (size_t)(argc - optind - 1))) {
            cli_errorf("subscribe: %s", kfk_share_consumer_last_error(sc));
            rc = CLI_FAIL;
        }
        cli_catch_signals();
        if (rc == CLI_OK) rc = consume(sc, &a);
        fflush(stdout);
        if (kfk_share_consumer_close(sc, c.timeout_ms) && rc == CLI_OK) rc = CLI_FAIL;
        kfk_share_consumer_destroy(sc);
    }
    if (sc && a.failed) rc = CLI_FAIL;
    if (sc)
        fprintf(stderr,
                "kfk: acknowledged %lld accepted, %lld released, %lld rejected; %lld failed\n",
                (long long)a.acked[1], (long long)a.acked[2], (long long)a.acked[3],
                (long long)a.failed);
    free(a.out.format);
    free(a.out.delim);
    free(a.out.key_delim);
    cli_conn_destroy(&c);
    return rc;
}
