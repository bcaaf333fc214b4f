/* kfk: the command-line tool. kcat's modes (kfk -P/-C/-G/-L/-Q) and
 * subcommands in Kafka's vocabulary (kfk topics list, ...). */
#include <stdbool.h>
#include <string.h>

#include "cli.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    bool has_action; /* "kfk topics ACTION ..." */
} subcommand;

static const subcommand subcommands[] = {
    {"topics", cli_topics_main, true},    {"groups", cli_groups_main, true},
    {"configs", cli_configs_main, true},  {"acls", cli_acls_main, true},
    {"offsets", cli_offsets_main, false}, {"perf", cli_perf_main, true},
    {"mock", cli_mock_main, false},       {"share", cli_share_main, false},
    {"help", cli_help_main, false},
};

static const subcommand *find(const char *name)
{
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (!strcmp(name, subcommands[i].name)) return &subcommands[i];
    return NULL;
}

/* "kfk -b B [-X P=V]... SUBCOMMAND [ACTION] ...": the connection flags
 * given first move behind the subcommand (and its action), where its
 * parser reads them. argv is rearranged in place. */
static const subcommand *hoist_connection_flags(int argc, char **argv)
{
    int i = 1;
    while (i + 1 < argc && argv[i][0] == '-' && strchr("bXFm", argv[i][1]) && argv[i][1] &&
           !argv[i][2])
        i += 2;
    const subcommand *sc = i > 1 && i < argc ? find(argv[i]) : NULL;
    if (!sc) return NULL;
    int head = sc->has_action && i + 1 < argc ? 2 : 1; /* the subcommand and its action */
    char *moved[4];
    for (int k = 0; k < head; k++) moved[k] = argv[i + k];
    memmove(argv + 1 + head, argv + 1, (size_t)(i - 1) * sizeof(char *));
    for (int k = 0; k < head; k++) argv[1 + k] = moved[k];
    return sc;
}

int main(int argc, char **argv)
{
    cli_term_init();
    if (argc < 2) {
        cli_help_usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help")) return cli_help_main(1, argv + 1);
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("kfk %s\n", kfk_version_str());
        return CLI_OK;
    }
    const subcommand *sc = find(argv[1]);
    if (!sc) sc = hoist_connection_flags(argc, argv);
    if (sc) return sc->run(argc - 1, argv + 1);
    return cli_kcat_main(argc, argv);
}
