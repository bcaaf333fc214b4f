/* kfk CLI: -L (metadata, kcat's text or -J JSON) and -Q (offsets for
 * times: -t TOPIC:PARTITION:TIMESTAMP). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kcat.h"
#include "plist.h"

static void print_ids(const int32_t *ids, size_t n, bool json, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        if (json) fprintf(out, "%s{\"id\":%" PRId32 "}", i ? "," : "", ids[i]);
        else fprintf(out, "%s%" PRId32, i ? "," : "", ids[i]);
    }
}

static const char *broker_name(const kfk_metadata *md, int32_t id, char *buf, size_t size)
{
    for (size_t b = 0; b < kfk_metadata_broker_count(md); b++)
        if (kfk_metadata_broker_id(md, b) == id) {
            snprintf(buf, size, "%s:%d", kfk_metadata_broker_host(md, b),
                     kfk_metadata_broker_port(md, b));
            return buf;
        }
    return "unknown";
}

static void list_text(const kcat_opts *o, const kfk_metadata *md, FILE *out)
{
    char name[300];
    int32_t ctl = kfk_metadata_controller_id(md);
    int32_t from = ctl >= 0 ? ctl : kfk_metadata_broker_id(md, 0);
    fprintf(out, "Metadata for %s (from broker %d: %s/%d):\n", o->topic ? o->topic : "all topics",
            from, broker_name(md, from, name, sizeof(name)), from);
    fprintf(out, " %zu brokers:\n", kfk_metadata_broker_count(md));
    for (size_t b = 0; b < kfk_metadata_broker_count(md); b++) {
        int32_t id = kfk_metadata_broker_id(md, b);
        fprintf(out, "  broker %d at %s:%d%s\n", id, kfk_metadata_broker_host(md, b),
                kfk_metadata_broker_port(md, b), id == ctl ? " (controller)" : "");
    }
    fprintf(out, " %zu topics:\n", kfk_metadata_topic_count(md));
    for (size_t t = 0; t < kfk_metadata_topic_count(md); t++) {
        size_t np = kfk_metadata_partition_count(md, t);
        fprintf(out, "  topic \"%s\" with %zu partitions:", kfk_metadata_topic_name(md, t), np);
        kfk_err te = kfk_metadata_topic_error(md, t);
        if (te) fprintf(out, " Broker: %s", kfk_err_str(te));
        fputc('\n', out);
        for (size_t p = 0; p < np; p++) {
            size_t nr, ni;
            const int32_t *r = kfk_metadata_partition_replicas(md, t, p, &nr);
            const int32_t *isr = kfk_metadata_partition_isr(md, t, p, &ni);
            fprintf(out, "    partition %d, leader %d, replicas: ", kfk_metadata_partition_id(md, t, p),
                    kfk_metadata_partition_leader(md, t, p));
            print_ids(r, nr, false, out);
            fputs(", isrs: ", out);
            print_ids(isr, ni, false, out);
            kfk_err pe = kfk_metadata_partition_error(md, t, p);
            if (pe) fprintf(out, ", Broker: %s", kfk_err_str(pe));
            fputc('\n', out);
        }
    }
}

static void list_json(const kcat_opts *o, const kfk_metadata *md, FILE *out)
{
    char name[300];
    int32_t ctl = kfk_metadata_controller_id(md);
    int32_t from = ctl >= 0 ? ctl : kfk_metadata_broker_id(md, 0);
    fprintf(out, "{\"originating_broker\":{\"id\":%d,\"name\":\"%s/%d\"},\"query\":{\"topic\":\"%s\"},"
                 "\"controllerid\":%d,\"brokers\":[",
            from, broker_name(md, from, name, sizeof(name)), from, o->topic ? o->topic : "*", ctl);
    for (size_t b = 0; b < kfk_metadata_broker_count(md); b++)
        fprintf(out, "%s{\"id\":%d,\"name\":\"%s:%d\"}", b ? "," : "", kfk_metadata_broker_id(md, b),
                kfk_metadata_broker_host(md, b), kfk_metadata_broker_port(md, b));
    fputs("],\"topics\":[", out);
    for (size_t t = 0; t < kfk_metadata_topic_count(md); t++) {
        fprintf(out, "%s{\"topic\":\"%s\",", t ? "," : "", kfk_metadata_topic_name(md, t));
        kfk_err te = kfk_metadata_topic_error(md, t);
        if (te) fprintf(out, "\"error\":\"%s\",", kfk_err_str(te));
        fputs("\"partitions\":[", out);
        for (size_t p = 0; p < kfk_metadata_partition_count(md, t); p++) {
            size_t nr, ni;
            const int32_t *r = kfk_metadata_partition_replicas(md, t, p, &nr);
            const int32_t *isr = kfk_metadata_partition_isr(md, t, p, &ni);
            fprintf(out, "%s{\"partition\":%d,\"leader\":%d,\"replicas\":[", p ? "," : "",
                    kfk_metadata_partition_id(md, t, p), kfk_metadata_partition_leader(md, t, p));
            print_ids(r, nr, true, out);
            fputs("],\"isrs\":[", out);
            print_ids(isr, ni, true, out);
            fputs("]}", out);
        }
        fputs("]}", out);
    }
    fputs("]}\n", out);
}

int kcat_list(kcat_opts *o)
{
    kfk_admin *a = cli_admin_new(&o->conn);
    if (!a) return CLI_FAIL;
    kfk_admin_options opt = {.timeout_ms = o->conn.timeout_ms};
    kfk_metadata *md = NULL;
    const char *names[1] = {o->topic};
    kfk_err e = kfk_admin_list_topics(a, o->topic ? names : NULL, o->topic ? 1 : 0, &opt, &md);
    if (md) {
        if (o->json) list_json(o, md, stdout);
        else list_text(o, md, stdout);
    } else {
        cli_errorf("metadata: %s", kfk_admin_last_error(a)[0] ? kfk_admin_last_error(a) : kfk_err_str(e));
    }
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    return md ? CLI_OK : CLI_FAIL;
}

int kcat_query(kcat_opts *o)
{
    if (o->n_topics_q == 0) return cli_usagef("-Q needs -t TOPIC:PARTITION:TIMESTAMP");
    kfk_partition_list *parts = kfk_partition_list_new(o->n_topics_q);
    char **owned = cli_need(calloc(o->n_topics_q, sizeof(char *)));
    int rc = CLI_OK;
    for (size_t i = 0; i < o->n_topics_q && rc == CLI_OK; i++) {
        char *s = owned[i] = cli_need(strdup(o->topics_q[i]));
        char *c2 = strrchr(s, ':'), *c1 = NULL;
        if (c2) {
            *c2 = '\0';
            c1 = strrchr(s, ':');
        }
        int64_t p, ts;
        if (!c1) {
            rc = cli_usagef("-t %s: -Q takes TOPIC:PARTITION:TIMESTAMP", o->topics_q[i]);
            break;
        }
        *c1 = '\0';
        if (!cli_parse_i64("-t partition", c1 + 1, 0, INT32_MAX, &p) ||
            !cli_parse_i64("-t timestamp", c2 + 1, -5, INT64_MAX, &ts)) {
            rc = CLI_USAGE;
            break;
        }
        cli_plist_add(parts, s, (int32_t)p, ts);
    }
    kfk_admin *a = rc == CLI_OK ? cli_admin_new(&o->conn) : NULL;
    if (rc == CLI_OK && !a) rc = CLI_FAIL;
    if (a) {
        kfk_admin_options opt = {.timeout_ms = o->conn.timeout_ms};
        kfk_admin_list_offsets(a, parts, &opt);
        for (size_t i = 0; i < kfk_partition_list_count(parts); i++) {
            kfk_err e = kfk_partition_list_error(parts, i);
            if (e) {
                cli_errorf("%s [%d]: %s", kfk_partition_list_topic(parts, i),
                           kfk_partition_list_partition(parts, i), kfk_err_str(e));
                rc = CLI_FAIL;
                continue;
            }
            printf("%s [%d] offset %lld\n", kfk_partition_list_topic(parts, i),
                   kfk_partition_list_partition(parts, i),
                   (long long)kfk_partition_list_offset(parts, i));
        }
        kfk_admin_destroy(a);
    }
    kfk_partition_list_destroy(parts);
    for (size_t i = 0; i < o->n_topics_q; i++) free(owned[i]);
    free(owned);
    return rc;
}
