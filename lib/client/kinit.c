/* GSSAPI with a key tab: logging in by running kinit, which writes a
 * ticket-granting ticket into the ticket cache (KRB5CCNAME, or
 * krb5.conf's default) that cyrus-sasl's GSSAPI plugin reads, as
 * librdkafka does. The first run is when the client is created, before
 * any connection; later ones on kfk-bg every
 * sasl.kerberos.min.time.before.relogin, so the ticket never runs out. A
 * failed run makes authentication fail with its reason until a run
 * succeeds. The key tab is kinit's to read: kfk never opens it. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/container_of.h"
#include "base/time.h"
#include "client/client_int.h"

extern char **environ;

/* librdkafka's form: a shell command with %{property} placeholders. */
static char *expand(const char *cmd, const char *keytab, const char *principal)
{
    static const char *const keys[] = {"%{sasl.kerberos.keytab}", "%{sasl.kerberos.principal}"};
    const char *vals[] = {keytab, principal};
    size_t cap = strlen(cmd) + 1;
    for (int k = 0; k < 2; k++)
        for (const char *p = cmd; (p = strstr(p, keys[k])); p += strlen(keys[k]))
            cap += strlen(vals[k]);
    char *out = malloc(cap), *o = out;
    if (!out) return NULL;
    while (*cmd) {
        int k = strncmp(cmd, keys[0], strlen(keys[0])) == 0   ? 0
                : strncmp(cmd, keys[1], strlen(keys[1])) == 0 ? 1
                                                              : -1;
        if (k < 0) {
            *o++ = *cmd++;
            continue;
        }
        o += sprintf(o, "%s", vals[k]);
        cmd += strlen(keys[k]);
    }
    *o = '\0';
    return out;
}

/* Runs argv with its output into a pipe; the first line of it (kinit's
 * reason when it fails) into why. Returns the exit status, or -1. */
static int run(char *const argv[], char *why, size_t whylen)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) {
        snprintf(why, whylen, "cannot run kinit: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc) {
        close(fds[0]);
        snprintf(why, whylen, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    char out[512];
    size_t have = 0;
    ssize_t n;
    while ((n = read(fds[0], out + have, sizeof(out) - 1 - have)) > 0 ||
           (n < 0 && errno == EINTR))
        if (n > 0 && (have += (size_t)n) == sizeof(out) - 1) break;
    close(fds[0]);
    out[have] = '\0';
    out[strcspn(out, "\n")] = '\0';
    snprintf(why, whylen, "%s", out);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return errno == ECHILD ? 0 : -1; /* SIGCHLD ignored: no status */
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* One kinit; the outcome goes to the mechanism and, when it failed, to
 * the log. Returns 0 or -1. Blocks while kinit talks to the KDC. */
static int kinit_once(kclient *c)
{
    const kfk_conf *conf = c->conf;
    const char *cmd = kconf_str(conf, KCONF_SASL_KERBEROS_KINIT_CMD);
    const char *keytab = kconf_str(conf, KCONF_SASL_KERBEROS_KEYTAB);
    const char *principal = kconf_str(conf, KCONF_SASL_KERBEROS_PRINCIPAL);
    char out[512] = "", why[700];
    int status;
    if (strchr(cmd, ' ')) {
        char *line = expand(cmd, keytab, principal);
        char *argv[] = {"/bin/sh", "-c", line, NULL};
        status = line ? run(argv, out, sizeof(out)) : -1;
        free(line);
    } else {
        char *argv[] = {(char *)cmd, "-k", "-t", (char *)keytab, (char *)principal, NULL};
        status = run(argv, out, sizeof(out));
    }
    if (status == 0) {
        ksasl_set_login_error(c->sasl, NULL);
        klog(&c->log, KFK_LOG_DEBUG, "sasl", "kinit: logged in as %s", principal);
        return 0;
    }
    snprintf(why, sizeof(why), "kinit for %s failed (sasl.kerberos.kinit.cmd%s%d): %s", principal,
             status > 0 ? " exited with " : "", status > 0 ? status : 0,
             *out ? out : "no reason given");
    klog(&c->log, KFK_LOG_ERR, "sasl", "%s", why);
    ksasl_set_login_error(c->sasl, why);
    return -1;
}

int kclient_kinit_init(kclient *c, char *errstr, size_t errlen)
{
    const kfk_conf *conf = c->conf;
    if (!c->sasl || !*kconf_str(conf, KCONF_SASL_KERBEROS_KEYTAB)) return 0;
    const char *keytab = kconf_str(conf, KCONF_SASL_KERBEROS_KEYTAB);
    if (access(keytab, R_OK)) {
        snprintf(errstr, errlen, "sasl.kerberos.keytab (or sasl.jaas.config's keyTab) %s: %s",
                 keytab, strerror(errno));
        return -1;
    }
    c->kinit_every_ms = kconf_i64(conf, KCONF_SASL_KERBEROS_MIN_TIME_BEFORE_RELOGIN);
    /* A failure is not the client's end: the KDC may come back, and
     * calls report it as KFK_ERR_AUTH meanwhile. */
    kinit_once(c);
    c->kinit = true;
    return 0;
}

static void kinit_timer_fired(ktimer *t)
{
    kclient *c = container_of(t, kclient, kinit_timer);
    kinit_once(c);
    kloop_timer_arm(c->bg, &c->kinit_timer, ktime_mono_ns() + c->kinit_every_ms * KTIME_NS_PER_MS);
}

static void kinit_start_task(ktask *t)
{
    kclient *c = container_of(t, kclient, kinit_task);
    kloop_timer_arm(c->bg, &c->kinit_timer, ktime_mono_ns() + c->kinit_every_ms * KTIME_NS_PER_MS);
}

void kclient_kinit_start(kclient *c)
{
    if (!c->kinit || c->kinit_every_ms <= 0) return;
    ktimer_init(&c->kinit_timer, kinit_timer_fired);
    c->kinit_task.fn = kinit_start_task;
    kloop_post(c->bg, &c->kinit_task);
}
