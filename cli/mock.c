/* kfk CLI: kfk mock, the embedded mock cluster as a server for any
 * client. Prints "bootstrap=HOST:PORT,..." (the line tools/mockd prints,
 * which scripts parse) once the brokers listen, then serves until SIGINT,
 * SIGTERM or SIGHUP, or until a piped or terminal stdin ends. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "kfk_mock.h"

#define MAX_TOPICS 256

/* Only a pipe, socket or terminal stdin is watched for its end: a
 * /dev/null stdin (a daemonised run) ends at once and must not stop it. */
static bool stdin_watchable(void)
{
    struct stat st;
    if (fstat(STDIN_FILENO, &st) < 0) return false;
    return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(STDIN_FILENO);
}

static void serve(int sfd)
{
    struct pollfd fds[2] = {{.fd = sfd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
    nfds_t n = stdin_watchable() ? 2 : 1;
    char buf[4096];
    for (;;) {
        if (poll(fds, n, -1) < 0 && errno != EINTR) return;
        if (fds[0].revents) return;
        if (n == 2 && fds[1].revents) {
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
            if (got <= 0 && !(got < 0 && errno == EINTR)) return;
        }
    }
}

/* NAME[:PARTITIONS[:RF]] */
static int add_topic(kfk_mock_cluster *mc, const char *spec, int brokers)
{
    char name[256];
    int64_t parts = 1, rf = 1;
    const char *c1 = strchr(spec, ':');
    size_t n = c1 ? (size_t)(c1 - spec) : strlen(spec);
    if (n == 0 || n >= sizeof(name)) return cli_usagef("--topic %s: expected NAME[:PARTITIONS[:RF]]", spec);
    memcpy(name, spec, n);
    name[n] = '\0';
    if (c1) {
        char num[32];
        const char *c2 = strchr(c1 + 1, ':');
        size_t m = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
        snprintf(num, sizeof(num), "%.*s", (int)m, c1 + 1);
        if (!cli_parse_i64("--topic PARTITIONS", num, 1, 100000, &parts)) return CLI_USAGE;
        if (c2 && !cli_parse_i64("--topic RF", c2 + 1, 1, brokers, &rf)) return CLI_USAGE;
    }
    kfk_err e = kfk_mock_topic_create(mc, name, (int32_t)parts, (int32_t)rf);
    if (e) {
        cli_errorf("--topic %s: %s", spec, kfk_err_str(e));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_mock_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'n'},
        {"topic", required_argument, NULL, 't'},
        {"auto-create", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *topics[MAX_TOPICS];
    size_t n_topics = 0;
    int64_t brokers = 3, auto_create = 0; /* 3: as tools/mockd */
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":n:t:a:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (!cli_parse_i64("--brokers", optarg, 1, KFK_MOCK_MAX_BROKERS, &brokers)) return CLI_USAGE;
            break;
        case 't':
            if (n_topics == MAX_TOPICS) return cli_usagef("--topic: at most %d", MAX_TOPICS);
            topics[n_topics++] = optarg;
            break;
        case 'a':
            if (!cli_parse_i64("--auto-create", optarg, 1, 100000, &auto_create)) return CLI_USAGE;
            break;
        case 'h': return cli_help_main(1, argv);
        case ':': return cli_usagef("%s needs an argument", argv[optind - 1]);
        default: return cli_usagef("mock: unknown flag %s", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usagef("mock: unexpected argument \"%s\"", argv[optind]);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop, NULL); /* before the cluster's threads start */
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
    kfk_mock_cluster *mc = sfd >= 0 ? kfk_mock_cluster_new((int)brokers) : NULL;
    if (!mc) {
        cli_errorf("cannot start a mock cluster of %d brokers", (int)brokers);
        return CLI_FAIL;
    }
    if (auto_create) kfk_mock_set_auto_create_topics(mc, true, (int32_t)auto_create);
    int rc = CLI_OK;
    for (size_t i = 0; i < n_topics && rc == CLI_OK; i++) rc = add_topic(mc, topics[i], (int)brokers);
    if (rc == CLI_OK) {
        printf("bootstrap=%s\n", kfk_mock_cluster_bootstrap(mc));
        fflush(stdout);
        serve(sfd);
    }
    kfk_mock_cluster_destroy(mc);
    close(sfd);
    return rc;
}
