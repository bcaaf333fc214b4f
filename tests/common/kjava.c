/* The Java client's programs for interop tests (kjava.h). */
#include "kjava.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#define KAFKA_CACHE_DEFAULT "/.cache/kfk/kafka-4.3.1" /* under $HOME, as in tools/kafka */

static char classes[512], jars[512], classpath[1100];

static void paths(void)
{
    if (classes[0]) return;
    const char *build = getenv("BUILD"), *cache = getenv("KFK_KAFKA_CACHE");
    const char *home = getenv("HOME");
    snprintf(classes, sizeof(classes), "%s/java", build ? build : "build");
    if (cache)
        snprintf(jars, sizeof(jars), "%s/lib", cache);
    else
        snprintf(jars, sizeof(jars), "%s%s/lib", home ? home : "", KAFKA_CACHE_DEFAULT);
    snprintf(classpath, sizeof(classpath), "%s:%s/*", classes, jars);
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void kjava_build(const char *name)
{
    paths();
    ck_assert_msg(run("tools/kafka fetch >&2") == 0, "tools/kafka fetch failed");
    ck_assert_msg(run("command -v javac >/dev/null") == 0,
                  "javac missing: a JDK is needed (tools/deps installs openjdk-17-jdk-headless)");
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "test '%s/%s.class' -nt tools/golden/%s.java || "
             "{ mkdir -p '%s' && javac -nowarn -cp '%s/*' -d '%s' tools/golden/%s.java; } >&2",
             classes, name, name, classes, jars, classes, name);
    ck_assert_msg(run(cmd) == 0, "compiling %s failed: %s", name, cmd);
}

const char *kjava_classpath(void)
{
    paths();
    return classpath;
}
