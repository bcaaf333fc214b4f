#include "cli.h"
int cli_groups_main(int argc, char **argv) { (void)argc; (void)argv; return cli_usagef("not yet"); }
