/* producer: writes each line of stdin as a record, like `kcat -P`.
 *
 *   producer -b BOOTSTRAP -t TOPIC [-p PARTITION] [-K DELIM] [-X name=value]...
 *
 * Without -b it starts an embedded mock cluster (one broker) with TOPIC,
 * so it runs anywhere. -K splits each line at the first DELIM into key
 * and value. -X sets any configuration property ("-X compression.type=lz4").
 * Delivery failures are printed to stderr; the exit status is 0 only when
 * every line was delivered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kfk.h"
#include "kfk_mock.h"

typedef struct counts {
    long ok, failed;
} counts;

static void on_delivery(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    counts *c = opaque;
    if (r->err == KFK_OK) {
        c->ok++;
        return;
    }
    c->failed++;
    fprintf(stderr, "%s [%d]: delivery failed: %s\n", r->topic, r->partition, kfk_err_str(r->err));
}

static void usage(const char *me)
{
    fprintf(stderr,
            "usage: %s [-b BOOTSTRAP] -t TOPIC [-p PARTITION] [-K DELIM] [-X name=value]...\n", me);
    exit(2);
}

/* Applies one -X name=value. */
static void set_prop(kfk_conf *conf, char *arg)
{
    char err[512], *eq = strchr(arg, '=');
    if (!eq) {
        fprintf(stderr, "-X %s: expected name=value\n", arg);
        exit(2);
    }
    *eq = '\0';
    if (kfk_conf_set(conf, arg, eq + 1, err, sizeof(err)) != KFK_OK) {
        fprintf(stderr, "%s\n", err);
        exit(2);
    }
}

/* Produces one line; waits for room while the buffer is full. */
static int produce_line(kfk_producer *p, const char *topic, int32_t partition, const char *delim,
                        char *line, size_t len)
{
    kfk_record rec = {.topic = topic, .partition = partition, .value = line, .value_len = len};
    char *sep = delim ? memmem(line, len, delim, strlen(delim)) : NULL;
    if (sep) {
        rec.key = line;
        rec.key_len = (size_t)(sep - line);
        rec.value = sep + strlen(delim);
        rec.value_len = len - rec.key_len - strlen(delim);
    }
    kfk_err err;
    while ((err = kfk_produce(p, &rec, NULL)) == KFK_ERR_QUEUE_FULL)
        kfk_producer_poll(p, 100);
    if (err) fprintf(stderr, "%s\n", kfk_producer_last_error(p));
    kfk_producer_poll(p, 0);
    return err ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL, *delim = NULL;
    int32_t partition = KFK_PARTITION_ANY;
    kfk_conf *conf = kfk_conf_new();
    int opt;
    while ((opt = getopt(argc, argv, "b:t:p:K:X:")) != -1) {
        switch (opt) {
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'p':
            partition = atoi(optarg);
            break;
        case 'K':
            delim = optarg;
            break;
        case 'X':
            set_prop(conf, optarg);
            break;
        default:
            usage(argv[0]);
        }
    }
    if (!topic) usage(argv[0]);

    kfk_mock_cluster *mock = NULL;
    if (!bootstrap) {
        mock = kfk_mock_cluster_new(1);
        if (!mock || kfk_mock_topic_create(mock, topic, 1, 1) != KFK_OK) {
            fprintf(stderr, "could not start the embedded mock cluster\n");
            return 1;
        }
        bootstrap = kfk_mock_cluster_bootstrap(mock);
        fprintf(stderr, "using an embedded mock cluster at %s\n", bootstrap);
    }
    char err[512];
    counts c = {0};
    if (kfk_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) != KFK_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    kfk_conf_set_dr_cb(conf, on_delivery, &c);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "kfk_producer_new: %s\n", err);
        return 1;
    }

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lines = 0, refused = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == '\n') n--;
        lines++;
        refused += produce_line(p, topic, partition, delim, line, (size_t)n) < 0;
    }
    free(line);
    kfk_err ferr = kfk_producer_close(p, 30000);
    fprintf(stderr, "%ld lines: %ld delivered, %ld failed, %ld refused%s\n", lines, c.ok, c.failed,
            refused, ferr ? " (flush timed out)" : "");
    kfk_mock_cluster_destroy(mock);
    return c.ok == lines ? 0 : 1;
}
