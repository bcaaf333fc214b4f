/* mockd: runs kfk's embedded mock Kafka cluster as a process, for test
 * harnesses and tools that need a broker without a JVM.
 *
 *   build/tools/mockd [--brokers N] [--topic NAME[:PARTITIONS[:RF]]]...
 *                     [--retention-bytes N] [--no-crc] [--auto-create PARTITIONS]
 *                     [--group-min-session-ms N]
 *                     [--security-protocol PROTOCOL] [--tls-cert FILE] [--tls-key FILE]
 *                     [--tls-client-ca FILE] [--sasl-mechanisms LIST]
 *                     [--user MECHANISM:NAME:PASSWORD]... [--session-lifetime-ms N]
 *
 * --group-min-session-ms lowers the smallest session.timeout.ms classic
 * JoinGroup takes (Kafka's group.min.session.timeout.ms, 6000), for tests
 * that wait for a member's session to expire.
 *
 * --security-protocol is PLAINTEXT (the default), SSL, SASL_PLAINTEXT or
 * SASL_SSL, for every broker. SSL and SASL_SSL need --tls-cert (the
 * server's PEM certificate chain) and --tls-key (its unencrypted PEM key);
 * --tls-client-ca makes TLS require client certificates that PEM CA
 * signed. --sasl-mechanisms is a comma list of PLAIN, SCRAM-SHA-256,
 * SCRAM-SHA-512 and OAUTHBEARER (default: all). --user adds a PLAIN or
 * SCRAM user (the password is what follows the second colon);
 * OAUTHBEARER takes any unexpired unsecured JWT. --session-lifetime-ms
 * sets KIP-368's session lifetime (connections.max.reauth.ms).
 *
 * Prints "bootstrap=127.0.0.1:P1,..." on stdout once the brokers listen,
 * then serves until SIGTERM, SIGINT or SIGHUP, or until stdin reaches its
 * end when stdin is a pipe, socket or terminal (so a harness that holds a
 * pipe to it never leaks it; /dev/null does not count). Exit status 0 on
 * such a stop, 2 on bad arguments, 1 when the cluster cannot start. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kfk_mock.h"

static void usage(void)
{
    fprintf(stderr, "usage: mockd [--brokers N] [--topic NAME[:PARTITIONS[:RF]]]... "
                    "[--retention-bytes N] [--no-crc] [--auto-create PARTITIONS] "
                    "[--group-min-session-ms N]\n"
                    "             [--security-protocol PROTOCOL] [--tls-cert FILE] "
                    "[--tls-key FILE] [--tls-client-ca FILE]\n"
                    "             [--sasl-mechanisms LIST] [--user MECHANISM:NAME:PASSWORD]... "
                    "[--session-lifetime-ms N]\n");
    exit(2);
}

static long number(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max) usage();
    return v;
}

/* "name[:partitions[:rf]]" */
static int add_topic(kfk_mock_cluster *mc, char *spec)
{
    int partitions = 1, rf = -1;
    char *colon = strchr(spec, ':');
    if (colon) {
        *colon = '\0';
        char *second = strchr(colon + 1, ':');
        if (second) {
            *second = '\0';
            rf = (int)number(second + 1, 1, KFK_MOCK_MAX_BROKERS);
        }
        partitions = (int)number(colon + 1, 1, 100000);
    }
    kfk_err err = kfk_mock_topic_create(mc, spec, partitions, rf);
    if (err) fprintf(stderr, "mockd: topic %s: %s\n", spec, kfk_err_str(err));
    return err ? -1 : 0;
}

/* "mechanism:name:password" */
static int add_user(kfk_mock_cluster *mc, const char *spec)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", spec);
    char *name = strchr(buf, ':');
    char *password = name ? strchr(name + 1, ':') : NULL;
    if (!password) {
        fprintf(stderr, "mockd: --user %s: want MECHANISM:NAME:PASSWORD\n", spec);
        return -1;
    }
    *name++ = '\0';
    *password++ = '\0';
    kfk_err err = kfk_mock_user_add(mc, buf, name, password);
    if (err) fprintf(stderr, "mockd: --user %s: %s\n", spec, kfk_err_str(err));
    return err ? -1 : 0;
}

/* A whole file as a string; exits with status 2 when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = NULL;
    size_t len = 0, cap = 0;
    for (size_t got = 1; f && got;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *t = realloc(s, cap);
            if (!t) break;
            s = t;
        }
        got = fread(s + len, 1, cap - len - 1, f);
        len += got;
    }
    if (!f || ferror(f) || !s) {
        fprintf(stderr, "mockd: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    s[len] = '\0';
    return s;
}

static bool stdin_watchable(void)
{
    struct stat st;
    if (fstat(0, &st)) return false;
    return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(0);
}

/* Blocks until a stop signal or the end of a watched stdin. */
static void serve(int sfd)
{
    struct pollfd fds[2] = {{.fd = sfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    nfds_t n = stdin_watchable() ? 2 : 1;
    char buf[4096];
    for (;;) {
        if (poll(fds, n, -1) < 0 && errno != EINTR) return;
        if (fds[0].revents) return;
        if (n == 2 && fds[1].revents) {
            ssize_t got = read(0, buf, sizeof(buf));
            if (got <= 0 && !(got < 0 && errno == EINTR)) return;
        }
    }
}

int main(int argc, char **argv)
{
    int brokers = 3;
    long auto_create = 0, retention = 0, min_session_ms = 0;
    bool no_crc = false;
    kfk_mock_security sec = {0};
    char *cert = NULL, *key = NULL, *client_ca = NULL;
    for (int i = 1; i < argc; i++) { /* validate everything before starting */
        const char *a = argv[i];
        bool has_arg = i + 1 < argc;
        if (!strcmp(a, "--brokers") && has_arg)
            brokers = (int)number(argv[++i], 1, KFK_MOCK_MAX_BROKERS);
        else if (!strcmp(a, "--retention-bytes") && has_arg)
            retention = number(argv[++i], 1, __LONG_MAX__);
        else if (!strcmp(a, "--auto-create") && has_arg)
            auto_create = number(argv[++i], 1, 100000);
        else if (!strcmp(a, "--group-min-session-ms") && has_arg)
            min_session_ms = number(argv[++i], 1, 1800000);
        else if (!strcmp(a, "--security-protocol") && has_arg)
            sec.protocol = argv[++i];
        else if (!strcmp(a, "--tls-cert") && has_arg)
            cert = slurp(argv[++i]);
        else if (!strcmp(a, "--tls-key") && has_arg)
            key = slurp(argv[++i]);
        else if (!strcmp(a, "--tls-client-ca") && has_arg)
            client_ca = slurp(argv[++i]);
        else if (!strcmp(a, "--sasl-mechanisms") && has_arg)
            sec.sasl_mechanisms = argv[++i];
        else if (!strcmp(a, "--session-lifetime-ms") && has_arg)
            sec.session_lifetime_ms = (int)number(argv[++i], 1, __INT_MAX__);
        else if ((!strcmp(a, "--topic") || !strcmp(a, "--user")) && has_arg)
            i++;
        else if (!strcmp(a, "--no-crc"))
            no_crc = true;
        else
            usage();
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop, NULL); /* before the loop thread starts */
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
    sec.cert_pem = cert;
    sec.key_pem = key;
    sec.client_ca_pem = client_ca;
    kfk_mock_cluster *mc = sfd >= 0 ? kfk_mock_cluster_new_secure(brokers, &sec) : NULL;
    free(cert);
    free(key);
    free(client_ca);
    if (!mc) {
        fprintf(stderr, "mockd: cannot start a cluster of %d brokers (or bad security settings)\n",
                brokers);
        return 1;
    }
    int rc = 0;
    if (retention) kfk_mock_set_retention_bytes(mc, (size_t)retention);
    if (no_crc) kfk_mock_set_check_crcs(mc, false);
    if (auto_create) kfk_mock_set_auto_create_topics(mc, true, (int32_t)auto_create);
    if (min_session_ms) kfk_mock_set_group_session_timeouts(mc, (int32_t)min_session_ms, 1800000);
    /* KIP-848 groups heartbeat as often as tools/kafka's brokers let them. */
    kfk_mock_set_consumer_group_timeouts(mc, 10000, 500);
    for (int i = 1; i < argc && !rc; i++)
        if (!strcmp(argv[i], "--topic"))
            rc = add_topic(mc, argv[++i]);
        else if (!strcmp(argv[i], "--user"))
            rc = add_user(mc, argv[++i]);
        else if (strcmp(argv[i], "--no-crc"))
            i++;
    if (!rc) {
        printf("bootstrap=%s\n", kfk_mock_cluster_bootstrap(mc));
        fflush(stdout);
        serve(sfd);
    }
    kfk_mock_cluster_destroy(mc);
    close(sfd);
    return rc ? 1 : 0;
}
