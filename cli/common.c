/* kfk CLI: terminal state, errors, connection options, signals, clocks. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

cli_term cli_term_state;
volatile int cli_stop;

void cli_term_init(void)
{
    cli_term_state.out_tty = isatty(STDOUT_FILENO);
    cli_term_state.err_tty = isatty(STDERR_FILENO);
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    cli_term_state.color = !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

static void verrorf(const char *fmt, va_list ap)
{
    bool c = cli_term_state.color && cli_term_state.err_tty;
    fprintf(stderr, "%skfk: %s", c ? "\033[1;31m" : "", c ? "\033[0m" : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verrorf(fmt, ap);
    va_end(ap);
}

int cli_usagef(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verrorf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "kfk: 'kfk help' lists the modes, subcommands and flags\n");
    return CLI_USAGE;
}

bool cli_parse_i64(const char *flag, const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        cli_usagef("%s: expected a number from %lld to %lld, got \"%s\"", flag, (long long)min,
                   (long long)max, s);
        return false;
    }
    *out = v;
    return true;
}

int cli_verbosity = 1;

/* Library log lines: warnings and worse by default, more with -v, none
 * with -q. */
static void log_line(void *opaque, void *handle, kfk_log_level level, const char *facility,
                     const char *message)
{
    (void)opaque, (void)handle;
    int max = cli_verbosity <= 0 ? -1 : cli_verbosity == 1 ? KFK_LOG_WARNING
                                      : cli_verbosity == 2 ? KFK_LOG_INFO
                                                           : KFK_LOG_DEBUG;
    if ((int)level <= max) fprintf(stderr, "%% kfk [%s] %s\n", facility, message);
}

void *cli_need(void *p)
{
    if (!p) {
        cli_errorf("out of memory");
        exit(CLI_FAIL);
    }
    return p;
}

int cli_conn_init(cli_conn *c)
{
    memset(c, 0, sizeof(*c));
    c->timeout_ms = 10000;
    c->conf = kfk_conf_new();
    if (!c->conf) {
        cli_errorf("out of memory");
        return CLI_FAIL;
    }
    kfk_conf_set(c->conf, "client.id", "kfk", NULL, 0);
    kfk_conf_set_log_cb(c->conf, log_line, NULL);
    return CLI_OK;
}

int cli_conn_set2(cli_conn *c, const char *name, const char *value)
{
    char err[512] = "";
    if (kfk_conf_set(c->conf, name, value, err, sizeof(err)) != KFK_OK)
        return cli_usagef("-X %s=%s: %s", name, value, err[0] ? err : "refused");
    if (!strcmp(name, "bootstrap.servers") || !strcmp(name, "metadata.broker.list"))
        c->have_bootstrap = true;
    return CLI_OK;
}

/* kcat passes "topic."-prefixed names as topic properties; kfk has one
 * namespace, so the prefix is dropped. */
int cli_conn_set(cli_conn *c, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return cli_usagef("-X %s: expected name=value", arg);
    char name[256];
    size_t n = (size_t)(eq - arg);
    if (n >= sizeof(name)) return cli_usagef("-X %s: property name too long", arg);
    memcpy(name, arg, n);
    name[n] = '\0';
    const char *p = name;
    if (!strncmp(p, "topic.", 6)) p += 6;
    if (!strcmp(p, "metadata.broker.list")) p = "bootstrap.servers";
    return cli_conn_set2(c, p, eq + 1);
}

int cli_conn_file(cli_conn *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_errorf("-F %s: %s", path, strerror(errno));
        return CLI_USAGE;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = CLI_OK, lineno = 0;
    while (rc == CLI_OK && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        char *s = line + strspn(line, " \t");
        if (!*s || *s == '#') continue;
        if (!strchr(s, '=')) {
            rc = cli_usagef("%s:%d: expected name=value", path, lineno);
            break;
        }
        rc = cli_conn_set(c, s);
    }
    free(line);
    fclose(f);
    return rc;
}

int cli_conn_finish(cli_conn *c)
{
    const char *env = getenv("KFK_BOOTSTRAP");
    if (!c->have_bootstrap && env && *env) {
        int rc = cli_conn_set2(c, "bootstrap.servers", env);
        if (rc) return rc;
    }
    if (!c->have_bootstrap)
        return cli_usagef("no broker given: use -b HOST:PORT (or -X bootstrap.servers=..., "
                          "or KFK_BOOTSTRAP)");
    return CLI_OK;
}

void cli_conn_destroy(cli_conn *c)
{
    kfk_conf_destroy(c->conf);
    c->conf = NULL;
}

kfk_admin *cli_admin_new(cli_conn *c)
{
    char err[512] = "";
    kfk_admin *a = kfk_admin_new(c->conf, err, sizeof(err));
    c->conf = NULL;
    if (!a) cli_errorf("%s", err[0] ? err : "could not create an admin client");
    return a;
}

static void on_signal(int sig)
{
    (void)sig;
    if (cli_stop) _exit(130); /* a second Ctrl-C: the user insists */
    cli_stop = 1;
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a read of stdin returns so the loop sees the flag. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int64_t cli_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t cli_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
