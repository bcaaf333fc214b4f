/* The Apache Kafka Java client in interop tests (real Kafka only): a
 * program of tools/golden compiled against the broker's jars, which
 * tools/kafka fetches into $KFK_KAFKA_CACHE/lib (default
 * ~/.cache/kfk/kafka-4.3.1/lib), with its classes in $BUILD/java. */
#ifndef KTEST_KJAVA_H
#define KTEST_KJAVA_H

/* Fetches the jars if need be and compiles tools/golden/NAME.java unless
 * its class is newer than the source; fails the test when it cannot. */
void kjava_build(const char *name);

/* The class path to run a compiled program with: the classes' directory,
 * then every jar of the broker's. */
const char *kjava_classpath(void);

#endif
