/* kfk CLI: the help text. `kfk help` prints it and `kfk help --man`
 * renders the same text as docs/kfk.1, so the two cannot drift apart
 * (make cli-check compares the committed page with a fresh one). */
#include <string.h>

#include "cli.h"

typedef struct help_section {
    const char *title;
    const char *body; /* lines; "  -x ARG   text" lines are option lines */
} help_section;

static const help_section sections[] = {
    {"SYNOPSIS",
     "kfk -P|-C|-G GROUP|-L|-Q -b BROKERS [kcat flags]\n"
     "kfk topics|groups|configs|acls|offsets ACTION [-b BROKERS] [options]\n"
     "kfk perf produce|consume -b BROKERS -t TOPIC [options]\n"
     "kfk share GROUP TOPIC... -b BROKERS [options]\n"
     "kfk mock [--brokers N] [--topic NAME:PARTITIONS]...\n"
     "kfk help [--man]\n"},
    {"DESCRIPTION",
     "kfk is the command-line tool of the kfk Kafka client library. Its -P, -C, -G,\n"
     "-L and -Q modes take kcat's flags and print kcat's formats, so scripts written\n"
     "for kcat run unchanged; unlike kcat, -o defaults to the beginning for -G too.\n"
     "Its subcommands speak Kafka's vocabulary, as Kafka's own tools do.\n"
     "Tables are aligned on a terminal and tab-separated (without a header) when\n"
     "piped. Colours only on a terminal, never with NO_COLOR set.\n"},
    {"CONNECTION",
     "  -b BROKERS          bootstrap servers, host:port[,...] (or KFK_BOOTSTRAP)\n"
     "  -X NAME=VALUE       any kfk property (docs/CONFIGURATION.md); topic. prefix dropped\n"
     "  -F FILE             properties file, NAME=VALUE per line (or KCAT_CONFIG)\n"
     "  -m SECONDS          timeout of metadata and admin calls (default 10)\n"},
    {"KCAT MODES",
     "  -P                  produce: a record per -D-delimited chunk of stdin or -l FILE,\n"
     "                      or one per FILE argument\n"
     "  -C                  consume -t TOPIC (all partitions, or -p N)\n"
     "  -G GROUP            consume as a member of GROUP the TOPICs that follow\n"
     "                      (a ^regex subscribes to a pattern); Ctrl-C commits and leaves\n"
     "  -L                  list brokers, topics and partitions (-t TOPIC: one topic)\n"
     "  -Q                  offsets for times: -t TOPIC:PARTITION:TIMESTAMP_MS ...\n"
     "  -t TOPIC            the topic\n"
     "  -p PARTITION        the partition (-P: -1 or none lets the partitioner choose)\n"
     "  -o OFFSET           beginning (default), end, stored (-X group.id=G), N,\n"
     "                      -N (N from the end),\n"
     "                      s@TS (start at time), e@TS (stop before time)\n"
     "  -e                  exit at the end of every partition\n"
     "  -c COUNT            stop after COUNT records\n"
     "  -D DELIM            record delimiter (default \\n); \\n \\r \\t \\xNN\n"
     "  -K DELIM            key delimiter\n"
     "  -k KEY              key of every produced record\n"
     "  -H NAME=VALUE       header of every produced record (repeatable)\n"
     "  -z CODEC            compression: none, gzip, snappy, lz4, zstd\n"
     "  -f FORMAT           output format: %s value, %S value length, %R value length\n"
     "                      as 4 big-endian bytes, %k key, %K key length, %T timestamp,\n"
     "                      %h headers (n=v,...), %t topic, %p partition, %o offset,\n"
     "                      %d delivery count (kfk share)\n"
     "  -J                  JSON envelope per record (kcat's), or JSON metadata with -L\n"
     "  -O                  accepted; as in kcat 1.7 it changes no output (use -f %o)\n"
     "  -Z                  NULL for null keys and values (-P: empty ones are sent as null)\n"
     "  -T                  -P: echo produced records to stdout\n"
     "  -l                  -P: split the FILE into records\n"
     "  -u                  unbuffered output\n"
     "  -E                  do not exit on a record error\n"
     "  -q, -v              quieter, more verbose\n"
     "  -s, -r              (kcat's Avro serdes) not supported\n"},
    {"TOPICS",
     "kfk topics list\n"
     "kfk topics describe TOPIC...\n"
     "kfk topics create TOPIC [--partitions N] [--replication-factor N] [--config K=V]...\n"
     "kfk topics delete TOPIC...\n"
     "kfk topics alter TOPIC [--partitions N] [--config K=V]... [--delete-config K]...\n"},
    {"GROUPS",
     "kfk groups list\n"
     "kfk groups describe GROUP...\n"
     "kfk groups delete GROUP...\n"
     "kfk groups lag GROUP\n"
     "kfk groups reset-offsets GROUP --topic TOPIC[:PARTITION] (--to-earliest |\n"
     "    --to-latest | --to-datetime YYYY-MM-DDTHH:MM:SS[.sss] | --to-offset N |\n"
     "    --shift-by N) [--dry-run | --execute]\n"
     "  Without --execute, reset-offsets only shows the plan (as kafka-consumer-groups).\n"},
    {"CONFIGS",
     "kfk configs describe (--topic T | --broker ID | --group G) [--all]\n"
     "kfk configs set (--topic T | --broker ID | --group G) K=V...\n"
     "kfk configs delete (--topic T | --broker ID | --group G) K...\n"},
    {"ACLS",
     "kfk acls list [--topic T | --group G | --cluster]\n"
     "kfk acls add|remove --principal User:NAME --operation OP [--deny] [--host H]\n"
     "    (--topic T | --group G | --cluster) [--prefixed]\n"},
    {"OFFSETS",
     "kfk offsets TOPIC [--time MS|earliest|latest]\n"
     "  Each partition's low and high watermarks, or the offset for a time.\n"},
    {"PERF",
     "kfk perf produce -t TOPIC [--records N] [--size BYTES] [--throughput REC/S]\n"
     "    [--acks all|1|0] [--codec CODEC] [--batch-size BYTES] [--linger-ms MS] [--json]\n"
     "kfk perf consume -t TOPIC [--records N] [--timeout S] [--json]\n"
     "  Prints records/s, MB/s, latency p50/p99/p99.9 and client CPU per record each\n"
     "  second and at the end; --json prints one JSON object per line instead.\n"
     "  produce latency: from kfk_produce to the delivery report; consume latency:\n"
     "  the record's age (now - its timestamp). consume ends after --records or\n"
     "  --timeout seconds (10) without records.\n"},
    {"SHARE",
     "kfk share GROUP TOPIC... [--ack accept|release|reject] [-c COUNT] [--idle SECONDS]\n"
     "    [-f FORMAT | -J] [-D DELIM] [-K DELIM] [-Z] [-u]\n"
     "  Reads the TOPICs as a member of share group GROUP (KIP-932): prints the records\n"
     "  the brokers hand it, as -C does (-J adds their delivery_count), and acknowledges\n"
     "  each: accept (the default), release (delivered again, to any member) or reject.\n"
     "  Ends after COUNT records, after SECONDS without one, or on Ctrl-C; then it\n"
     "  sends the acknowledgements, leaves the group and prints how many of each kind\n"
     "  on stderr. A share group starts at the latest offset unless its\n"
     "  share.auto.offset.reset is earliest (kfk configs set --group GROUP ...).\n"},
    {"MOCK",
     "kfk mock [--brokers N] [--topic NAME[:PARTITIONS]]...\n"
     "  Runs kfk's embedded mock cluster and prints bootstrap=HOST:PORT,... on stdout;\n"
     "  serves until Ctrl-C, SIGTERM or the end of a piped stdin.\n"},
    {"EXIT STATUS",
     "0 success, 1 failure (a broker error, records not delivered), 2 usage error.\n"},
};

void cli_help_usage(FILE *f)
{
    fputs("usage: ", f);
    fputs(sections[0].body, f);
}

static void print_text(FILE *f)
{
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        fprintf(f, "%s%s\n", i ? "\n" : "", sections[i].title);
        const char *s = sections[i].body;
        while (*s) {
            const char *nl = strchr(s, '\n');
            size_t n = nl ? (size_t)(nl - s) : strlen(s);
            fprintf(f, "    %.*s\n", (int)n, s);
            s += n + (nl ? 1 : 0);
        }
    }
}

/* roff: escape backslashes and leading dots; keep the layout (.nf). */
static void print_man(FILE *f)
{
    fprintf(f, ".\\\" Generated by kfk help --man; do not edit.\n"
               ".TH KFK 1 \"\" \"kfk %s\" \"User Commands\"\n"
               ".SH NAME\nkfk \\- Kafka command-line client (kcat-compatible)\n",
            kfk_version_str());
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        fprintf(f, ".SH %s\n.nf\n", sections[i].title);
        bool bol = true;
        for (const char *s = sections[i].body; *s; s++) {
            if (bol && (*s == '.' || *s == '\'')) fputs("\\&", f);
            if (*s == '\\') fputs("\\e", f);
            else if (*s == '-') fputs("\\-", f);
            else fputc(*s, f);
            bol = *s == '\n';
        }
        fputs(".fi\n", f);
    }
}

int cli_help_main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--man")) print_man(stdout);
    else print_text(stdout);
    return CLI_OK;
}
