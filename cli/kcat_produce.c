/* kfk CLI: -P, kcat's producer: a record per delimited chunk of stdin (or
 * of each -l file), or a record per file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcat.h"

typedef struct prod_state {
    kcat_opts *o;
    kfk_producer *p;
    int64_t sent, delivered, failed, bytes;
    cli_progress progress;
} prod_state;

static void on_delivery(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    prod_state *s = opaque;
    if (r->err == KFK_OK) {
        s->delivered++;
        return;
    }
    s->failed++;
    if (s->failed <= 10 || !s->o->quiet)
        cli_errorf("%s [%d]: delivery failed: %s", r->topic, r->partition, kfk_err_str(r->err));
}

/* One record: "KEY<-K>VALUE" split as kcat does, -k when there is no key. */
static int produce_one(prod_state *s, char *buf, size_t len)
{
    kcat_opts *o = s->o;
    kfk_record rec = {.topic = o->topic, .partition = o->partition, .value = buf, .value_len = len};
    if (o->fixed_key) {
        rec.key = o->fixed_key;
        rec.key_len = strlen(o->fixed_key);
    }
    char *sep = o->key_delim ? memmem(buf, len, o->key_delim, o->key_delim_len) : NULL;
    if (sep) {
        rec.key = buf;
        rec.key_len = (size_t)(sep - buf);
        rec.value = sep + o->key_delim_len;
        rec.value_len = len - rec.key_len - o->key_delim_len;
    }
    if (o->null_str && rec.value_len == 0) rec.value = NULL;
    if (o->null_str && rec.key && rec.key_len == 0) rec.key = NULL;
    rec.headers = o->n_headers ? o->headers : NULL;
    rec.n_headers = o->n_headers;
    if (o->tee) {
        fwrite(buf, 1, len, stdout);
        fwrite(o->delim, 1, o->delim_len, stdout);
        if (o->unbuffered) fflush(stdout);
    }
    kfk_err err;
    while ((err = kfk_produce(s->p, &rec, s)) == KFK_ERR_QUEUE_FULL && !cli_stop)
        kfk_producer_poll(s->p, 100);
    if (err) {
        cli_errorf("%s", kfk_producer_last_error(s->p));
        return o->exit_on_error ? CLI_FAIL : CLI_OK;
    }
    s->sent++;
    s->bytes += (int64_t)len;
    kfk_producer_poll(s->p, 0);
    cli_progress_update(&s->progress, s->sent, s->bytes);
    return CLI_OK;
}

static bool count_reached(const prod_state *s)
{
    return s->o->count >= 0 && s->sent >= s->o->count;
}

/* Splits fd's bytes at -D; the last chunk needs no delimiter. */
static int produce_stream(prod_state *s, int fd)
{
    kcat_opts *o = s->o;
    size_t cap = 1 << 16, len = 0, scan = 0;
    char *buf = cli_need(malloc(cap));
    int rc = CLI_OK;
    bool eof = false;
    while (rc == CLI_OK && !cli_stop && !count_reached(s)) {
        char *d = len > scan ? memmem(buf + scan, len - scan, o->delim, o->delim_len) : NULL;
        if (d) {
            size_t n = (size_t)(d - buf);
            rc = produce_one(s, buf, n);
            memmove(buf, d + o->delim_len, len - n - o->delim_len);
            len -= n + o->delim_len;
            scan = 0;
            continue;
        }
        if (eof) {
            if (len > 0) rc = produce_one(s, buf, len);
            break;
        }
        scan = len >= o->delim_len ? len - o->delim_len + 1 : 0;
        if (len == cap) buf = cli_need(realloc(buf, cap *= 2));
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            cli_errorf("reading input: %s", strerror(errno));
            rc = CLI_FAIL;
        }
        if (r <= 0) eof = true;
        else len += (size_t)r;
    }
    free(buf);
    return rc;
}

/* A whole file is one record (kcat without -l). */
static int produce_file(prod_state *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_errorf("%s: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    char *buf = NULL;
    size_t cap = 0, len = 0, r;
    do {
        if (len == cap) buf = cli_need(realloc(buf, cap = cap ? cap * 2 : 65536));
        r = fread(buf + len, 1, cap - len, f);
        len += r;
    } while (r > 0);
    fclose(f);
    int rc = produce_one(s, buf, len);
    free(buf);
    return rc;
}

static int produce_inputs(prod_state *s)
{
    kcat_opts *o = s->o;
    if (o->n_args == 0) return produce_stream(s, STDIN_FILENO);
    if (o->file_lines && o->n_args != 1) return cli_usagef("-l takes exactly one file");
    int rc = CLI_OK;
    for (int i = 0; i < o->n_args && rc == CLI_OK && !cli_stop; i++) {
        if (!o->file_lines) {
            rc = produce_file(s, o->args[i]);
            continue;
        }
        FILE *f = fopen(o->args[i], "rb");
        if (!f) {
            cli_errorf("%s: %s", o->args[i], strerror(errno));
            return CLI_FAIL;
        }
        rc = produce_stream(s, fileno(f));
        fclose(f);
    }
    return rc;
}

int kcat_produce(kcat_opts *o)
{
    if (!o->topic) return cli_usagef("-P needs a topic: -t TOPIC");
    prod_state s = {.o = o};
    kfk_conf_set_dr_cb(o->conn.conf, on_delivery, &s);
    char err[512] = "";
    s.p = kfk_producer_new(o->conn.conf, err, sizeof(err));
    o->conn.conf = NULL;
    if (!s.p) {
        cli_errorf("%s", err);
        return CLI_USAGE;
    }
    cli_catch_signals();
    cli_progress_start(&s.progress, "produced", o->count);
    int rc = produce_inputs(&s);
    cli_progress_end(&s.progress);
    bool interrupted = cli_stop;
    cli_stop = 0;
    /* close flushes: every record gets its report, or is counted lost. */
    kfk_err ferr = kfk_producer_close(s.p, 30000);
    if (ferr) cli_errorf("flush: %s", kfk_err_str(ferr));
    int64_t lost = s.sent - s.delivered - s.failed;
    if (interrupted || s.failed || lost || o->verbosity > 1)
        fprintf(stderr, "kfk: %lld records: %lld delivered, %lld failed, %lld not delivered%s\n",
                (long long)s.sent, (long long)s.delivered, (long long)s.failed, (long long)lost,
                interrupted ? " (interrupted)" : "");
    if (rc == CLI_OK && (s.failed || lost)) rc = CLI_FAIL;
    return rc;
}
