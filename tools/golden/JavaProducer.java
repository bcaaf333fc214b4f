// Produces the 50 golden records (the rule in tools/golden/golden.py) with the
// Apache Kafka Java client, to partition 0 of a topic, with explicit timestamps.
// Built and run by tools/golden/capture-batches against the broker's own jars:
//   javac -cp 'LIB/*' -d OUT JavaProducer.java
//   java -cp 'OUT:LIB/*' JavaProducer BOOTSTRAP TOPIC CODEC [txn]
// With "txn": records 0-24 in a committed transaction, 25-49 in an aborted
// one, so the log also holds the broker's COMMIT and ABORT control batches.
// With "-v" alone: prints the client's version.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.AppInfoParser;

public class JavaProducer {
    static final int N_RECORDS = 50;
    static final long TS_BASE = 1700000000000L;

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] key(int i) {
        return i % 7 == 0 ? null : ascii("k-" + i);
    }

    static byte[] value(int i) {
        if (i == 13)
            return null;
        if (i == 5)
            return new byte[0];
        int s = (i + 1) * (int) 2654435761L; // 32-bit wrap-around, as in C
        byte[] out = new byte[(i * 37) % 200 + 1];
        for (int j = 0; j < out.length; j++) {
            s = s * 1664525 + 1013904223;
            out[j] = j % 3 == 0 ? (byte) (s >>> 24) : (byte) ('a' + (i + j) % 26);
        }
        return out;
    }

    static List<Header> headers(int i) {
        List<Header> hs = new ArrayList<>();
        for (int h = 0; h < i % 4; h++)
            hs.add(new RecordHeader("h" + h, (i + h) % 5 == 0 ? null : ascii("v" + i + "." + h)));
        return hs;
    }

    static long timestamp(int i) {
        return TS_BASE + 1000L * i - (i % 10 == 9 ? 5000 : 0);
    }

    static ProducerRecord<byte[], byte[]> record(String topic, int i) {
        return new ProducerRecord<>(topic, 0, timestamp(i), key(i), value(i), headers(i));
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("-v")) {
            System.out.println(AppInfoParser.getVersion());
            return;
        }
        String topic = args[1];
        boolean txn = args.length > 3 && args[3].equals("txn");
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[2]);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "200");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "1048576");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        if (txn)
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "golden-" + topic);
        try (KafkaProducer<byte[], byte[]> prod =
                 new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            if (!txn) {
                for (int i = 0; i < N_RECORDS; i++)
                    prod.send(record(topic, i));
                prod.flush();
                return;
            }
            prod.initTransactions();
            prod.beginTransaction();
            for (int i = 0; i < 25; i++)
                prod.send(record(topic, i));
            prod.commitTransaction();
            prod.beginTransaction();
            for (int i = 25; i < N_RECORDS; i++)
                prod.send(record(topic, i));
            prod.flush();
            prod.abortTransaction();
        }
    }
}
