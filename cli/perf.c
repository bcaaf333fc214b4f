#include "cli.h"
int cli_perf_main(int argc, char **argv) { (void)argc; (void)argv; return cli_usagef("not yet"); }
