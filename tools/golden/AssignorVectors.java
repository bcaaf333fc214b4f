// Vectors from Kafka's Java client for kfk's consumer protocol and
// assignors (lib/consumer), so kfk is checked against Java, not itself.
//
//   java AssignorVectors protocol   prints "KIND VERSION HEX | TEXT" lines:
//                                   subscriptions and assignments that
//                                   ConsumerProtocol serialized, and the
//                                   sticky assignors' user data, each with
//                                   what Java decodes from it
//   java AssignorVectors assign     prints seeded random groups, half of
//                                   them with racks, and what Java's
//                                   RangeAssignor and RoundRobinAssignor
//                                   give each member
//
// Run through tools/golden/assignor-vectors, which finds the jar and writes
// tests/data/consumer/. The text forms are the ones
// tests/unit/consumer_protocol_test.c and consumer_assignor_test.c print.

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ConsumerProtocolAssignment;
import org.apache.kafka.common.message.ConsumerProtocolSubscription;

public class AssignorVectors {
    public static void main(String[] args) throws java.io.IOException {
        if (args.length == 1 && args[0].equals("protocol")) {
            protocol();
        } else if (args.length == 1 && args[0].equals("assign")) {
            assign();
        } else if (args.length == 2 && args[0].equals("verify")) {
            verify(args[1]);
        } else {
            System.err.println("usage: AssignorVectors protocol|assign|verify FILE");
            System.exit(2);
        }
    }

    // --- text forms -------------------------------------------------------

    static String hex(ByteBuffer b) {
        StringBuilder sb = new StringBuilder();
        ByteBuffer d = b.duplicate();
        while (d.hasRemaining())
            sb.append(String.format("%02x", d.get() & 0xff));
        return sb.toString();
    }

    static String bytesText(ByteBuffer b) {
        return b == null ? "null" : (b.remaining() == 0 ? "empty" : hex(b));
    }

    static String strText(String s) {
        return s == null ? "null" : s;
    }

    // "t:0,1;u:2" in the order given; "-" when empty.
    static String tpsText(List<String> topics, List<List<Integer>> parts) {
        if (topics.isEmpty())
            return "-";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < topics.size(); i++) {
            if (i > 0)
                sb.append(';');
            sb.append(topics.get(i)).append(':');
            List<Integer> ps = parts.get(i);
            for (int j = 0; j < ps.size(); j++)
                sb.append(j > 0 ? "," : "").append(ps.get(j));
        }
        return sb.toString();
    }

    static String subscriptionText(ConsumerProtocolSubscription s) {
        List<String> ts = new ArrayList<>();
        List<List<Integer>> ps = new ArrayList<>();
        for (ConsumerProtocolSubscription.TopicPartition tp : s.ownedPartitions()) {
            ts.add(tp.topic());
            ps.add(tp.partitions());
        }
        return "topics=" + (s.topics().isEmpty() ? "-" : String.join(",", s.topics()))
            + " user_data=" + bytesText(s.userData()) + " owned=" + tpsText(ts, ps)
            + " generation=" + s.generationId() + " rack=" + strText(s.rackId());
    }

    static String assignmentText(ConsumerProtocolAssignment a) {
        List<String> ts = new ArrayList<>();
        List<List<Integer>> ps = new ArrayList<>();
        for (ConsumerProtocolAssignment.TopicPartition tp : a.assignedPartitions()) {
            ts.add(tp.topic());
            ps.add(tp.partitions());
        }
        return "assigned=" + tpsText(ts, ps) + " user_data=" + bytesText(a.userData());
    }

    // --- protocol vectors -------------------------------------------------

    static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static void emitSubscription(Subscription sub) {
        for (short v = 0; v <= 3; v++) {
            ByteBuffer b = ConsumerProtocol.serializeSubscription(sub, v);
            ConsumerProtocolSubscription back =
                ConsumerProtocol.deserializeConsumerProtocolSubscription(b.duplicate());
            System.out.println("subscription " + v + " " + hex(b) + " | " + subscriptionText(back));
        }
    }

    static void emitAssignment(Assignment a) {
        for (short v = 0; v <= 3; v++) {
            ByteBuffer b = ConsumerProtocol.serializeAssignment(a, v);
            ConsumerProtocolAssignment back =
                ConsumerProtocol.deserializeConsumerProtocolAssignment(b.duplicate());
            System.out.println("assignment " + v + " " + hex(b) + " | " + assignmentText(back));
        }
    }

    static void protocol() {
        List<TopicPartition> owned = Arrays.asList(new TopicPartition("orders", 0),
            new TopicPartition("orders", 3), new TopicPartition("clicks", 7));
        emitSubscription(new Subscription(Arrays.asList("orders", "clicks")));
        emitSubscription(new Subscription(Arrays.asList("orders", "clicks"), utf8("hello"), owned,
            42, Optional.of("rack-a")));
        emitSubscription(new Subscription(Collections.emptyList(), ByteBuffer.allocate(0),
            Collections.emptyList(), -1, Optional.empty()));
        emitAssignment(new Assignment(owned));
        emitAssignment(new Assignment(Collections.emptyList(), utf8("ud")));

        // The sticky assignors' user data after an assignment in generation 9.
        Assignment a = new Assignment(owned);
        ConsumerGroupMetadata meta = new ConsumerGroupMetadata("g", 9, "m-1", Optional.empty());
        StickyAssignor sticky = new StickyAssignor();
        sticky.onAssignment(a, meta);
        ByteBuffer ud = sticky.subscriptionUserData(new HashSet<>(Arrays.asList("orders")));
        System.out.println("sticky_user_data 1 " + hex(ud) + " | sticky");
        CooperativeStickyAssignor coop = new CooperativeStickyAssignor();
        coop.onAssignment(a, meta);
        ByteBuffer cud = coop.subscriptionUserData(new HashSet<>(Arrays.asList("orders")));
        System.out.println("cooperative_user_data 0 " + (cud == null ? "null" : hex(cud))
            + " | cooperative");
    }

    // --- Java reading what kfk wrote ----------------------------------------

    // memberData() is how Java's sticky assignors read a member's claims.
    static class Sticky extends StickyAssignor {
        MemberData read(Subscription s) {
            return memberData(s);
        }
    }

    static class Cooperative extends CooperativeStickyAssignor {
        MemberData read(Subscription s) {
            return memberData(s);
        }
    }

    static String memberText(org.apache.kafka.clients.consumer.internals.AbstractStickyAssignor.MemberData md) {
        return "owned=" + sortedText(md.partitions) + " generation=" + md.generation.orElse(-1);
    }

    static void verify(String path) throws java.io.IOException {
        int n = 0, bad = 0;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get(path))) {
            String[] parts = line.split(" \\| ", 2);
            String[] head = parts[0].split(" ");
            ByteBuffer b = ByteBuffer.wrap(java.util.HexFormat.of().parseHex(head[1]));
            String got;
            switch (head[0]) {
                case "subscription":
                    got = subscriptionText(ConsumerProtocol.deserializeConsumerProtocolSubscription(b));
                    break;
                case "assignment":
                    got = assignmentText(ConsumerProtocol.deserializeConsumerProtocolAssignment(b));
                    break;
                case "sticky_member":
                    got = memberText(new Sticky().read(ConsumerProtocol.deserializeSubscription(b)));
                    break;
                case "cooperative_member":
                    got = memberText(new Cooperative().read(ConsumerProtocol.deserializeSubscription(b)));
                    break;
                default:
                    got = "unknown kind " + head[0];
            }
            n++;
            if (!got.equals(parts[1])) {
                bad++;
                System.out.println("MISMATCH " + head[0] + ": kfk meant " + parts[1] + ", Java read " + got);
            }
        }
        System.out.println("Java read " + n + " kfk encodings, " + bad + " differ");
        if (bad > 0 || n == 0)
            System.exit(1);
    }

    // --- range and roundrobin on random groups -----------------------------

    static final String[] TOPICS = {"a", "b", "clicks", "orders", "t1", "t10", "t2"};

    static void assign() {
        Random rnd = new Random(20261125L);
        for (int sc = 0; sc < 400; sc++)
            scenario(sc, rnd);
    }

    static final String[] RACKS = {"r0", "r1", "r2"};

    // Half the groups are rack-aware (KIP-881): brokers in racks r0-r2 (one
    // without a rack), replicas on random brokers, members in a rack or not.
    static void scenario(int sc, Random rnd) {
        boolean racks = rnd.nextBoolean();
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++)
            nodes.add(new Node(i, "broker" + i, 9092, racks && i < 3 ? RACKS[i] : null));
        // Topics: some with no metadata (count 0: left out of the cluster).
        Map<String, Integer> counts = new TreeMap<>();
        List<PartitionInfo> parts = new ArrayList<>();
        int nt = 1 + rnd.nextInt(4);
        for (int i = 0; i < nt; i++)
            counts.put(TOPICS[rnd.nextInt(TOPICS.length)], rnd.nextInt(10) - 1);
        System.out.println("scenario " + sc);
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() <= 0)
                continue;
            StringBuilder line = new StringBuilder("topic " + e.getKey() + " " + e.getValue());
            for (int p = 0; p < e.getValue(); p++) {
                List<Node> replicas = new ArrayList<>();
                for (Node n : nodes)
                    if (rnd.nextInt(3) == 0)
                        replicas.add(n);
                if (replicas.isEmpty())
                    replicas.add(nodes.get(rnd.nextInt(nodes.size())));
                Node[] rs = replicas.toArray(new Node[0]);
                parts.add(new PartitionInfo(e.getKey(), p, rs[0], rs, rs));
                TreeMap<String, Boolean> rr = new TreeMap<>();
                for (Node n : rs)
                    if (n.rack() != null)
                        rr.put(n.rack(), true);
                line.append(p == 0 ? " " : ",").append(rr.isEmpty() ? "-" : String.join("+", rr.keySet()));
            }
            System.out.println(line);
        }
        Cluster cluster = new Cluster("c", nodes, parts, Collections.emptySet(),
            Collections.emptySet());
        List<String> known = new ArrayList<>(counts.keySet());
        Map<String, Subscription> subs = new HashMap<>();
        int nm = 1 + rnd.nextInt(6);
        for (int i = 0; i < nm; i++) {
            String id = "consumer-" + rnd.nextInt(100) + "-" + Integer.toHexString(rnd.nextInt());
            List<String> topics = new ArrayList<>();
            for (String t : known)
                if (rnd.nextInt(3) > 0)
                    topics.add(t);
            if (topics.isEmpty())
                topics.add(known.get(0));
            int r = rnd.nextInt(5);
            String rack = racks && r < 4 ? "r" + r : null;
            Subscription s = new Subscription(topics, null, Collections.emptyList(), -1,
                Optional.ofNullable(rack));
            // Instance ids are unique in a group, as the broker enforces.
            String instance = rnd.nextInt(3) == 0 ? "static-" + rnd.nextInt(10) + "-" + i : null;
            s.setGroupInstanceId(Optional.ofNullable(instance));
            subs.put(id, s);
            System.out.println("member " + id + " " + (instance == null ? "-" : instance) + " "
                + (rack == null ? "-" : rack) + " " + String.join(",", topics));
        }
        for (ConsumerPartitionAssignor as : new ConsumerPartitionAssignor[] {
                new RangeAssignor(), new RoundRobinAssignor()}) {
            Map<String, Assignment> out =
                as.assign(cluster, new GroupSubscription(subs)).groupAssignment();
            for (String id : new TreeMap<>(subs).keySet())
                System.out.println("expect " + as.name() + " " + id + " "
                    + sortedText(out.get(id).partitions()));
        }
        System.out.println("end");
    }

    // "t:0,1;u:2" sorted by topic then partition, as kfk outputs.
    static String sortedText(List<TopicPartition> tps) {
        TreeMap<String, List<Integer>> by = new TreeMap<>();
        for (TopicPartition tp : tps)
            by.computeIfAbsent(tp.topic(), k -> new ArrayList<>()).add(tp.partition());
        List<String> ts = new ArrayList<>();
        List<List<Integer>> ps = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : by.entrySet()) {
            Collections.sort(e.getValue());
            ts.add(e.getKey());
            ps.add(e.getValue());
        }
        return tpsText(ts, ps);
    }
}
