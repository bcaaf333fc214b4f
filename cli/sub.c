/* kfk CLI: the admin subcommands' shared parts. */
#include <stdlib.h>
#include <string.h>

#include "sub.h"

int sub_conn_opt(cli_conn *c, int opt, const char *arg, char **argv)
{
    int64_t v;
    switch (opt) {
    case 'b': return cli_conn_set2(c, "bootstrap.servers", arg);
    case 'X': return cli_conn_set(c, arg);
    case 'F': return cli_conn_file(c, arg);
    case 'm':
        if (!cli_parse_i64("--timeout", arg, 1, 86400, &v)) return CLI_USAGE;
        c->timeout_ms = (int)v * 1000;
        return CLI_OK;
    case 'h': cli_help_main(1, NULL); exit(0);
    case ':': return cli_usagef("%s needs an argument", argv[optind - 1]);
    case '?': return cli_usagef("unknown flag %s", argv[optind - 1]);
    default: return -1;
    }
}

kfk_admin_options sub_admin_options(const cli_conn *c, unsigned flags)
{
    kfk_admin_options o = {.timeout_ms = c->timeout_ms, .flags = flags};
    return o;
}

int sub_report(const kfk_admin_result *r, kfk_err err, kfk_admin *a, const char *what,
               const char *ok_fmt)
{
    if (!r) {
        const char *le = kfk_admin_last_error(a);
        cli_errorf("%s", le[0] ? le : kfk_err_str(err));
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    for (size_t i = 0; i < kfk_admin_result_count(r); i++) {
        kfk_err e = kfk_admin_result_error(r, i);
        const char *name = kfk_admin_result_name(r, i);
        if (e) {
            const char *msg = kfk_admin_result_message(r, i);
            cli_errorf("%s %s: %s%s%s", what, name ? name : "-", kfk_err_str(e), msg ? ": " : "",
                       msg ? msg : "");
            rc = CLI_FAIL;
        } else if (ok_fmt) {
            printf(ok_fmt, name ? name : "-");
            putchar('\n');
        }
    }
    return rc;
}

int sub_dispatch(const char *sub, const sub_action *actions, size_t n, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: kfk %s ACTION ...; actions:", sub);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", actions[i].name);
        fputc('\n', stderr);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], actions[i].name)) continue;
        cli_conn conn;
        if (cli_conn_init(&conn)) return CLI_FAIL;
        optind = 1;
        opterr = 0;
        int rc = actions[i].run(&conn, argc - 1, argv + 1);
        cli_conn_destroy(&conn);
        return rc;
    }
    return cli_usagef("kfk %s: unknown action \"%s\"", sub, argv[1]);
}

int sub_parse(cli_conn *c, int argc, char **argv, const char *shortopts,
              const struct option *longopts, sub_opt_fn *own, void *ctx)
{
    char spec[128];
    snprintf(spec, sizeof(spec), ":%s%s", shortopts, SUB_CONN_SHORT);
    int opt, rc = CLI_OK;
    while (rc == CLI_OK && (opt = getopt_long(argc, argv, spec, longopts, NULL)) != -1) {
        rc = sub_conn_opt(c, opt, optarg, argv);
        if (rc == -1) rc = own ? own(ctx, opt, optarg) : cli_usagef("unknown flag");
    }
    return rc == CLI_OK ? cli_conn_finish(c) : rc;
}
