/* kfk: the command-line tool. kcat's modes (kfk -P/-C/-G/-L/-Q) and
 * subcommands in Kafka's vocabulary (kfk topics list, ...). */
#include <string.h>

#include "cli.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
} subcommand;

static const subcommand subcommands[] = {
    {"topics", cli_topics_main},   {"groups", cli_groups_main}, {"configs", cli_configs_main},
    {"acls", cli_acls_main},       {"offsets", cli_offsets_main}, {"perf", cli_perf_main},
    {"mock", cli_mock_main},       {"help", cli_help_main},
};

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
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (!strcmp(argv[1], subcommands[i].name)) return subcommands[i].run(argc - 1, argv + 1);
    return cli_kcat_main(argc, argv);
}
