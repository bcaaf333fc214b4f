/* kfk CLI: what the admin subcommands share: their connection flags,
 * parsing, and reporting a result's per-item errors. */
#ifndef KFK_CLI_SUB_H
#define KFK_CLI_SUB_H

#include <getopt.h>

#include "cli.h"

/* Long options every subcommand takes; append them to its own. */
#define SUB_CONN_OPTIONS                                                                          \
    {"bootstrap-server", required_argument, NULL, 'b'}, {"property", required_argument, NULL, 'X'}, \
        {"command-config", required_argument, NULL, 'F'}, {"timeout", required_argument, NULL, 'm'}, \
        {"help", no_argument, NULL, 'h'}
#define SUB_CONN_SHORT "b:X:F:m:h"

/* Applies a connection flag; returns -1 when opt is not one. */
int sub_conn_opt(cli_conn *c, int opt, const char *arg, char **argv);

/* Parses argv with getopt_long: the connection flags here, the others by
 * own (CLI_OK or a usage error); then cli_conn_finish. Positional
 * arguments are argv[optind..] after it returns (GNU getopt moves them
 * to the end). */
typedef int(sub_opt_fn)(void *ctx, int opt, const char *arg);
int sub_parse(cli_conn *c, int argc, char **argv, const char *shortopts,
              const struct option *longopts, sub_opt_fn *own, void *ctx);

/* Admin options with the -m timeout. */
kfk_admin_options sub_admin_options(const cli_conn *c, unsigned flags);

/* Prints each failed item of r ("topic t: ERROR: message") and returns
 * CLI_OK when none failed, else CLI_FAIL. ok_what, when not NULL, is
 * printed for each item that succeeded ("created topic %s"). */
int sub_report(const kfk_admin_result *r, kfk_err err, kfk_admin *a, const char *what,
               const char *ok_fmt);

/* A subcommand's action: name, runner. */
typedef struct sub_action {
    const char *name;
    int (*run)(cli_conn *conn, int argc, char **argv);
} sub_action;

/* Finds argv[1] among actions, parses nothing else: each action parses
 * its own flags with getopt_long (optind reset). */
int sub_dispatch(const char *sub, const sub_action *actions, size_t n, int argc, char **argv);

#endif
