// A member of a share group (KIP-932) with the Apache Kafka Java client's
// KafkaShareConsumer, for tests/integration/share_java_test.c: it reads the
// topic's records, prints each on stdout as PARTITION:OFFSET:VALUE (and
// "polled" after its first poll, by which time it has asked to join),
// accepts them (explicit acknowledgement, then a
// commitSync per poll, so each acceptance reaches the broker before the
// next poll) and exits 0 when its stdin says "stop" or closes, or when it
// has had no record for IDLE_MS. An acknowledgement that fails ends it with
// exit 1: the record would be delivered again.
// Built and run against the broker's own jars:
//   javac -cp 'LIB/*' -d OUT JavaShareConsumer.java
//   java -cp 'OUT:LIB/*' JavaShareConsumer BOOTSTRAP GROUP TOPIC IDLE_MS

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

public class JavaShareConsumer
{
    static volatile boolean stop = false;

    public static void main(String[] args) throws Exception
    {
        if (args.length != 4) {
            System.err.println("usage: JavaShareConsumer BOOTSTRAP GROUP TOPIC IDLE_MS");
            System.exit(2);
        }
        long idleMs = Long.parseLong(args[3]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("group.id", args[1]);
        p.put("share.acknowledgement.mode", "explicit");
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        int rc = 0;
        try (KafkaShareConsumer<String, String> c = new KafkaShareConsumer<>(p)) {
            watchStdin(c);
            c.subscribe(List.of(args[2]));
            long last = System.currentTimeMillis();
            boolean polled = false;
            while (!stop && System.currentTimeMillis() - last < idleMs) {
                ConsumerRecords<String, String> recs;
                try {
                    recs = c.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    break;
                }
                if (!polled) out.println("polled");
                polled = true;
                if (recs.isEmpty()) continue;
                last = System.currentTimeMillis();
                for (ConsumerRecord<String, String> r : recs) {
                    out.println(r.partition() + ":" + r.offset() + ":" + r.value());
                    c.acknowledge(r, AcknowledgeType.ACCEPT);
                }
                if (!commit(c)) {
                    rc = 1;
                    break;
                }
            }
        }
        System.exit(rc);
    }

    // Sends the acknowledgements and waits for their outcome; a wakeup (a
    // "stop" meanwhile) interrupts the wait only, so it waits again.
    static boolean commit(KafkaShareConsumer<String, String> c)
    {
        for (;;) {
            try {
                return committed(c.commitSync(Duration.ofSeconds(20)));
            } catch (WakeupException e) {
                stop = true;
            }
        }
    }

    static boolean committed(Map<TopicIdPartition, Optional<KafkaException>> result)
    {
        boolean ok = true;
        for (Map.Entry<TopicIdPartition, Optional<KafkaException>> e : result.entrySet())
            if (e.getValue().isPresent()) {
                System.err.println("JavaShareConsumer: acknowledging " + e.getKey() + ": " +
                                   e.getValue().get());
                ok = false;
            }
        return ok;
    }

    // "stop" on stdin (or its end) ends the poll loop from another thread.
    static void watchStdin(KafkaShareConsumer<String, String> c)
    {
        Thread t = new Thread(() -> {
            try (BufferedReader in =
                     new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && !line.equals("stop"))
                    ;
            } catch (Exception e) {
                // ends it all the same
            }
            stop = true;
            c.wakeup();
        });
        t.setDaemon(true);
        t.start();
    }
}
