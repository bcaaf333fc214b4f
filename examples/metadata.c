/* metadata: print a cluster's brokers, topics and partitions, like
 * `kcat -L`.
 *
 *   build/examples/metadata -b HOST:PORT[,...] [-t TOPIC]... [-T TIMEOUT_MS]
 *   build/examples/metadata            (no -b: an embedded mock cluster of
 *                                       three brokers with one topic)
 *
 * Uses the admin client: kfk_admin_list_topics() for topics and
 * partitions, kfk_admin_describe_cluster() for the cluster id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kfk.h"
#include "kfk_mock.h"

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [-b BOOTSTRAP] [-t TOPIC]... [-T TIMEOUT_MS] [-X name=value]...\n"
            "Prints brokers, topics and partitions with leaders, replicas and ISR.\n"
            "Without -b, queries an embedded mock cluster with one topic.\n",
            argv0);
}

static void print_ids(const int32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", ids[i]);
}

static void print_metadata(const kfk_metadata *md, const char *cluster_id, const char *bootstrap)
{
    printf("Metadata for %s (from %s):\n", kfk_metadata_topic_count(md) ? "topics" : "the cluster",
           bootstrap);
    if (cluster_id) printf(" cluster id: %s\n", cluster_id);
    size_t nb = kfk_metadata_broker_count(md);
    printf(" %zu brokers:\n", nb);
    for (size_t b = 0; b < nb; b++) {
        int32_t id = kfk_metadata_broker_id(md, b);
        const char *rack = kfk_metadata_broker_rack(md, b);
        printf("  broker %d at %s:%d%s%s%s\n", id, kfk_metadata_broker_host(md, b),
               kfk_metadata_broker_port(md, b),
               id == kfk_metadata_controller_id(md) ? " (controller)" : "", rack ? " rack " : "",
               rack ? rack : "");
    }
    size_t nt = kfk_metadata_topic_count(md);
    printf(" %zu topics:\n", nt);
    for (size_t t = 0; t < nt; t++) {
        size_t np = kfk_metadata_partition_count(md, t);
        printf("  topic \"%s\" with %zu partitions:", kfk_metadata_topic_name(md, t), np);
        kfk_err err = kfk_metadata_topic_error(md, t);
        if (err) printf(" %s", kfk_err_str(err));
        printf("\n");
        for (size_t p = 0; p < np; p++) {
            size_t nr, ni;
            const int32_t *replicas = kfk_metadata_partition_replicas(md, t, p, &nr);
            const int32_t *isr = kfk_metadata_partition_isr(md, t, p, &ni);
            printf("    partition %d, leader %d, replicas: ", kfk_metadata_partition_id(md, t, p),
                   kfk_metadata_partition_leader(md, t, p));
            print_ids(replicas, nr);
            printf(", isrs: ");
            print_ids(isr, ni);
            kfk_err perr = kfk_metadata_partition_error(md, t, p);
            if (perr) printf(", %s", kfk_err_str(perr));
            printf("\n");
        }
    }
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL;
    const char *topics[64];
    size_t n_topics = 0;
    int timeout_ms = 10000;
    char errstr[512];
    kfk_conf *conf = kfk_conf_new();
    if (!conf) return 1;
    int opt;
    while ((opt = getopt(argc, argv, "b:t:T:X:h")) != -1) {
        switch (opt) {
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            if (n_topics < sizeof(topics) / sizeof(topics[0])) topics[n_topics++] = optarg;
            break;
        case 'T':
            timeout_ms = atoi(optarg);
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                usage(argv[0]);
                return 2;
            }
            *eq = '\0';
            if (kfk_conf_set(conf, optarg, eq + 1, errstr, sizeof(errstr))) {
                fprintf(stderr, "%s\n", errstr);
                return 2;
            }
            break;
        }
        default:
            usage(argv[0]);
            kfk_conf_destroy(conf);
            return opt == 'h' ? 0 : 2;
        }
    }

    kfk_mock_cluster *mock = NULL;
    if (!bootstrap) {
        mock = kfk_mock_cluster_new(3);
        if (!mock || kfk_mock_topic_create(mock, "kfk-example", 4, 3) != KFK_OK) {
            fprintf(stderr, "cannot start the mock cluster\n");
            return 1;
        }
        bootstrap = kfk_mock_cluster_bootstrap(mock);
    }
    if (kfk_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr))) {
        fprintf(stderr, "%s\n", errstr);
        return 2;
    }
    kfk_admin *admin = kfk_admin_new(conf, errstr, sizeof(errstr)); /* takes conf */
    if (!admin) {
        fprintf(stderr, "%s\n", errstr);
        kfk_mock_cluster_destroy(mock);
        return 1;
    }

    int rc = 0;
    kfk_metadata *cluster = NULL, *md = NULL;
    kfk_admin_options options = {.timeout_ms = timeout_ms};
    kfk_err err = kfk_admin_describe_cluster(admin, &options, &cluster);
    if (!err) err = kfk_admin_list_topics(admin, n_topics ? topics : NULL, n_topics, &options, &md);
    if (err) {
        fprintf(stderr, "metadata from %s: %s\n", bootstrap, kfk_err_str(err));
        rc = 1;
    } else {
        print_metadata(md, kfk_metadata_cluster_id(cluster), bootstrap);
    }
    kfk_metadata_destroy(md);
    kfk_metadata_destroy(cluster);
    kfk_admin_destroy(admin);
    kfk_mock_cluster_destroy(mock);
    return rc;
}
