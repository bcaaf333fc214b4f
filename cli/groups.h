/* kfk CLI: the groups subcommand's actions. */
#ifndef KFK_CLI_GROUPS_H
#define KFK_CLI_GROUPS_H
#include "sub.h"
int groups_reset_offsets(cli_conn *c, int argc, char **argv);
#endif
