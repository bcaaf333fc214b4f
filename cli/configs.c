#include "cli.h"
int cli_configs_main(int argc, char **argv) { (void)argc; (void)argv; return cli_usagef("not yet"); }
