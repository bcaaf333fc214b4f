// Codec test vectors made by the Apache Kafka Java client itself, and the
// reverse check: the Java client decoding what kfk compressed.
//
//   java -cp 'CLASSES:KAFKA_LIB/*' CodecVectors generate DIR
//       writes DIR/plain-{small,large}.txt and, for each, the Java client's
//       compressed form: java-{gzip,snappy,lz4,lz4-v0,zstd}-NAME.bin, and
//       prints the facts kfk relies on (levels, block sizes) as the jar has them.
//   java -cp 'CLASSES:KAFKA_LIB/*' CodecVectors verify DIR
//       decodes every DIR/kfk-CODEC-NAME.bin with the Java client's decoder
//       and compares it with DIR/plain-NAME.txt; exits 1 on any mismatch.
//
// Compression goes through org.apache.kafka.common.compress.Compression,
// the path the producer takes, so the bytes are what a Kafka producer sends.
// tools/golden/codec-vectors runs both.

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.ByteBufferOutputStream;

public class CodecVectors {
    static final byte MAGIC_V0 = 0;
    static final byte MAGIC_V2 = 2;

    // Plain text with the repetition of real records: compressible, but
    // not trivially so. A small LCG keeps it identical on every run.
    static byte[] plaintext(int size) {
        String[] users = {"alice", "bob", "carol", "dave", "erin", "frank"};
        String[] actions = {"login", "logout", "view", "click", "purchase"};
        StringBuilder sb = new StringBuilder(size + 100);
        long x = 12345;
        for (int i = 0; sb.length() < size; i++) {
            x = (x * 6364136223846793005L + 1442695040888963407L);
            int r = (int) (x >>> 33);
            sb.append(String.format("{\"seq\":%d,\"user\":\"%s\",\"action\":\"%s\",\"value\":%d}\n",
                    i, users[r % users.length], actions[(r >>> 8) % actions.length], r % 100000));
        }
        return Arrays.copyOf(sb.toString().getBytes(StandardCharsets.US_ASCII), size);
    }

    static byte[] compress(Compression c, byte magic, byte[] plain) throws Exception {
        ByteBufferOutputStream buf = new ByteBufferOutputStream(1024);
        try (OutputStream os = c.wrapForOutput(buf, magic)) {
            os.write(plain);
        }
        ByteBuffer b = buf.buffer();
        b.flip();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static byte[] decompress(Compression c, byte magic, byte[] data) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream is = c.wrapForInput(ByteBuffer.wrap(data), magic, BufferSupplier.create())) {
            byte[] chunk = new byte[8192];
            for (int n; (n = is.read(chunk)) > 0; )
                out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }

    static void facts() {
        for (CompressionType t : new CompressionType[] {CompressionType.GZIP, CompressionType.LZ4,
                CompressionType.ZSTD})
            System.out.printf("fact: %s level min %d max %d default %d%n", t.name, t.minLevel(),
                    t.maxLevel(), t.defaultLevel());
    }

    static void generate(Path dir) throws Exception {
        Files.createDirectories(dir);
        facts();
        String[][] sizes = {{"small", "600"}, {"large", "70000"}};
        for (String[] s : sizes) {
            byte[] plain = plaintext(Integer.parseInt(s[1]));
            Files.write(dir.resolve("plain-" + s[0] + ".txt"), plain);
            write(dir, "gzip", s[0], compress(Compression.gzip().build(), MAGIC_V2, plain));
            write(dir, "snappy", s[0], compress(Compression.snappy().build(), MAGIC_V2, plain));
            write(dir, "lz4", s[0], compress(Compression.lz4().build(), MAGIC_V2, plain));
            // Message format v0: the KAFKA-3160 header checksum over the magic too.
            write(dir, "lz4-v0", s[0], compress(Compression.lz4().build(), MAGIC_V0, plain));
            write(dir, "zstd", s[0], compress(Compression.zstd().build(), MAGIC_V2, plain));
        }
    }

    static void write(Path dir, String codec, String name, byte[] data) throws Exception {
        Path p = dir.resolve("java-" + codec + "-" + name + ".bin");
        Files.write(p, data);
        System.out.printf("wrote %s (%d bytes)%n", p.getFileName(), data.length);
    }

    static int verify(Path dir) throws Exception {
        int bad = 0, checked = 0;
        for (String codec : new String[] {"gzip", "snappy", "lz4", "zstd"}) {
            for (String name : new String[] {"small", "large", "empty", "random"}) {
                Path p = dir.resolve("kfk-" + codec + "-" + name + ".bin");
                if (!Files.exists(p))
                    continue;
                byte[] want = Files.readAllBytes(dir.resolve("plain-" + name + ".txt"));
                Compression c = Compression.of(codec).build();
                byte[] got;
                try {
                    got = decompress(c, MAGIC_V2, Files.readAllBytes(p));
                } catch (Exception e) {
                    got = null;
                    System.out.printf("FAIL %s: %s%n", p.getFileName(), e);
                }
                checked++;
                if (got != null && Arrays.equals(got, want)) {
                    System.out.printf("ok   %s -> %d bytes%n", p.getFileName(), got.length);
                } else {
                    bad++;
                    if (got != null)
                        System.out.printf("FAIL %s: bytes differ%n", p.getFileName());
                }
            }
        }
        System.out.printf("verify: %d passed, %d failed%n", checked - bad, bad);
        return checked > 0 && bad == 0 ? 0 : 1;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("generate")) {
            generate(Paths.get(args[1]));
        } else if (args.length == 2 && args[0].equals("verify")) {
            System.exit(verify(Paths.get(args[1])));
        } else {
            System.err.println("usage: CodecVectors generate|verify DIR");
            System.exit(2);
        }
    }
}
