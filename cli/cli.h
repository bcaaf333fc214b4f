/* kfk command-line tool: what every mode and subcommand shares. Built on
 * kfk's public API only (kfk.h, kfk_admin*.h, kfk_mock.h). */
#ifndef KFK_CLI_H
#define KFK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kfk.h"

/* Exit codes: the same for every mode. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* What the connection options (-b, -X, -F, -m) built. */
typedef struct cli_conn {
    kfk_conf *conf;   /* owned until a client constructor takes it */
    bool have_bootstrap;
    int timeout_ms;   /* -m / --timeout: admin and metadata calls */
} cli_conn;

/* Output: terminal or pipe, colours (never with NO_COLOR). */
typedef struct cli_term {
    bool out_tty, err_tty;
    bool color; /* allowed: not NO_COLOR, not TERM=dumb; use only on a terminal */
} cli_term;
extern cli_term cli_term_state;
void cli_term_init(void);

/* Errors: "kfk: ..." on stderr, red on a terminal. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: prints it and the hint, returns CLI_USAGE. */
int cli_usagef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* p, an allocation's result; when it is NULL, says "out of memory" and
 * exits with CLI_FAIL (a command-line tool has nothing better to do). */
void *cli_need(void *p);

/* Library log verbosity: 0 quiet, 1 warnings (default), 2 info, 3 debug. */
extern int cli_verbosity;

/* Connection options. cli_conn_init makes an empty conf; cli_conn_set
 * applies "name=value" (-X), naming the property in its error;
 * cli_conn_file applies a "name=value" per line file (-F); the
 * KFK_BOOTSTRAP / KCAT_CONFIG environment are read by cli_conn_finish,
 * which fails when no bootstrap is known. Each returns CLI_OK or
 * CLI_USAGE after printing why. */
int cli_conn_init(cli_conn *c);
int cli_conn_set(cli_conn *c, const char *name_eq_value);
int cli_conn_set2(cli_conn *c, const char *name, const char *value);
int cli_conn_file(cli_conn *c, const char *path);
int cli_conn_finish(cli_conn *c);
void cli_conn_destroy(cli_conn *c);
kfk_admin *cli_admin_new(cli_conn *c);

/* Numbers: strict parse or a usage error naming the flag. */
bool cli_parse_i64(const char *flag, const char *s, int64_t min, int64_t max, int64_t *out);

/* SIGINT/SIGTERM: set cli_stop instead of dying (installed by modes that
 * must end cleanly). */
extern volatile int cli_stop;
void cli_catch_signals(void);

/* Monotonic and wall clocks. */
int64_t cli_now_ns(void);
int64_t cli_wall_ms(void);

/* Progress line on stderr (terminal only), at most once a second. */
typedef struct cli_progress {
    const char *what;
    int64_t start_ns, last_ns, total; /* total: -1 unknown */
    bool shown;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *what, int64_t total);
void cli_progress_update(cli_progress *p, int64_t done, int64_t bytes);
void cli_progress_end(cli_progress *p);

/* Tables: aligned columns on a terminal, tab-separated when piped. */
typedef struct cli_table cli_table;
cli_table *cli_table_new(size_t ncols, const char *const *headers);
void cli_table_add(cli_table *t, ...); /* ncols strings (NULL prints "-") */
void cli_table_addf(cli_table *t, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cli_table_row(cli_table *t); /* starts a row filled by cli_table_addf */
void cli_table_print(cli_table *t, FILE *f);
void cli_table_destroy(cli_table *t);

/* kcat-compatible modes (kcat.c). */
int cli_kcat_main(int argc, char **argv);
/* Subcommands. argv[0] is the subcommand's name. */
int cli_topics_main(int argc, char **argv);
int cli_groups_main(int argc, char **argv);
int cli_configs_main(int argc, char **argv);
int cli_acls_main(int argc, char **argv);
int cli_offsets_main(int argc, char **argv);
int cli_perf_main(int argc, char **argv);
int cli_mock_main(int argc, char **argv);
int cli_share_main(int argc, char **argv);
int cli_help_main(int argc, char **argv);
void cli_help_usage(FILE *f);

#endif
