// Wire vectors from Kafka's own Java message classes, to check kfk's
// generated protocol code against an independent implementation.
//
//   java ProtoVectors golden          prints tests/data/proto/golden.txt
//   java ProtoVectors schemas         prints the layout of every message at every
//                                     version, to compare with the .kfs files
//                                     (tools/protogen/layout.py prints the same)
//   java ProtoVectors verify FILE     reads "KIND KEY VERSION HEX" lines that
//                                     proto_roundtrip_test dumped, decodes each
//                                     with the Java class and re-encodes it;
//                                     any difference is a kfk bug
//
// Run through tools/golden/proto-vectors, which finds the kafka-clients jar.

import java.io.BufferedReader;
import java.io.FileReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.types.ArrayOf;
import org.apache.kafka.common.protocol.types.BoundField;
import org.apache.kafka.common.protocol.types.CompactArrayOf;
import org.apache.kafka.common.protocol.types.Field;
import org.apache.kafka.common.protocol.types.NullableSchema;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.protocol.types.Schema;
import org.apache.kafka.common.protocol.types.TaggedFields;
import org.apache.kafka.common.protocol.types.Type;
import org.apache.kafka.common.record.internal.MemoryRecords;

public final class ProtoVectors {
    static byte[] encode(Message m, short v) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = m.size(cache, v);
        ByteBuffer buf = ByteBuffer.allocate(size);
        m.write(new ByteBufferAccessor(buf), cache, v);
        if (buf.hasRemaining())
            throw new IllegalStateException("size() and write() disagree");
        return buf.array();
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b)
            sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++)
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    static void line(String name, String kind, int key, int v, Message m) {
        System.out.println(name + " " + kind + " " + key + " " + v + " " + hex(encode(m, (short) v)));
    }

    static MemoryRecords records(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
            b[i] = (byte) i;
        return MemoryRecords.readableRecords(ByteBuffer.wrap(b));
    }

    static final Uuid TOPIC_ID = new Uuid(0x0123456789abcdefL, 0xfedcba9876543210L);

    static void golden() {
        line("api_versions_request_v0", "request", 18, 0, new ApiVersionsRequestData());
        ApiVersionsRequestData avr = new ApiVersionsRequestData()
            .setClientSoftwareName("kfk").setClientSoftwareVersion("0.1.0");
        line("api_versions_request_v3", "request", 18, 3, avr);
        line("api_versions_request_v4", "request", 18, 4, avr);

        ApiVersionsResponseData.ApiVersionCollection keys = new ApiVersionsResponseData.ApiVersionCollection();
        keys.add(new ApiVersionsResponseData.ApiVersion().setApiKey((short) 0).setMinVersion((short) 3).setMaxVersion((short) 13));
        keys.add(new ApiVersionsResponseData.ApiVersion().setApiKey((short) 18).setMinVersion((short) 0).setMaxVersion((short) 4));
        ApiVersionsResponseData.SupportedFeatureKeyCollection sf = new ApiVersionsResponseData.SupportedFeatureKeyCollection();
        sf.add(new ApiVersionsResponseData.SupportedFeatureKey().setName("metadata.version").setMinVersion((short) 1).setMaxVersion((short) 27));
        ApiVersionsResponseData.FinalizedFeatureKeyCollection ff = new ApiVersionsResponseData.FinalizedFeatureKeyCollection();
        ff.add(new ApiVersionsResponseData.FinalizedFeatureKey().setName("metadata.version").setMaxVersionLevel((short) 27).setMinVersionLevel((short) 27));
        ApiVersionsResponseData avs = new ApiVersionsResponseData().setErrorCode((short) 0).setApiKeys(keys)
            .setThrottleTimeMs(0).setSupportedFeatures(sf).setFinalizedFeaturesEpoch(42).setFinalizedFeatures(ff);
        line("api_versions_response_v3", "response", 18, 3, avs);
        ApiVersionsResponseData avs0 = new ApiVersionsResponseData().setErrorCode((short) 35)
            .setApiKeys(new ApiVersionsResponseData.ApiVersionCollection());
        line("api_versions_response_v0", "response", 18, 0, avs0);

        List<MetadataRequestData.MetadataRequestTopic> mt = new ArrayList<>();
        mt.add(new MetadataRequestData.MetadataRequestTopic().setName("foo"));
        line("metadata_request_v12", "request", 3, 12, new MetadataRequestData().setTopics(mt)
            .setAllowAutoTopicCreation(true).setIncludeTopicAuthorizedOperations(false));
        List<MetadataRequestData.MetadataRequestTopic> mt0 = new ArrayList<>();
        mt0.add(new MetadataRequestData.MetadataRequestTopic().setName("foo"));
        mt0.add(new MetadataRequestData.MetadataRequestTopic().setName("bar"));
        line("metadata_request_v0", "request", 3, 0, new MetadataRequestData().setTopics(mt0));
        line("metadata_request_v12_all_topics", "request", 3, 12, new MetadataRequestData().setTopics(null));

        MetadataResponseData.MetadataResponseBrokerCollection brokers = new MetadataResponseData.MetadataResponseBrokerCollection();
        brokers.add(new MetadataResponseData.MetadataResponseBroker().setNodeId(1).setHost("localhost").setPort(9092).setRack(null));
        MetadataResponseData.MetadataResponseTopicCollection topics = new MetadataResponseData.MetadataResponseTopicCollection();
        List<MetadataResponseData.MetadataResponsePartition> parts = new ArrayList<>();
        parts.add(new MetadataResponseData.MetadataResponsePartition().setErrorCode((short) 0).setPartitionIndex(0)
            .setLeaderId(1).setLeaderEpoch(5).setReplicaNodes(Arrays.asList(1, 2)).setIsrNodes(Arrays.asList(1))
            .setOfflineReplicas(new ArrayList<>()));
        topics.add(new MetadataResponseData.MetadataResponseTopic().setErrorCode((short) 0).setName("foo")
            .setTopicId(TOPIC_ID).setIsInternal(false).setPartitions(parts));
        MetadataResponseData mr = new MetadataResponseData().setThrottleTimeMs(0).setBrokers(brokers)
            .setClusterId("kfk-cluster").setControllerId(1).setTopics(topics);
        line("metadata_response_v12", "response", 3, 12, mr);
        line("metadata_response_v1", "response", 3, 1, mr.duplicate().setClusterId(null));

        ProduceRequestData.TopicProduceDataCollection td = new ProduceRequestData.TopicProduceDataCollection();
        List<ProduceRequestData.PartitionProduceData> pd = new ArrayList<>();
        pd.add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records(10)));
        td.add(new ProduceRequestData.TopicProduceData().setName("t").setPartitionData(pd));
        ProduceRequestData pr = new ProduceRequestData().setTransactionalId(null).setAcks((short) -1)
            .setTimeoutMs(30000).setTopicData(td);
        line("produce_request_v3", "request", 0, 3, pr);
        line("produce_request_v9", "request", 0, 9, pr);
        ProduceRequestData.TopicProduceDataCollection td13 = new ProduceRequestData.TopicProduceDataCollection();
        List<ProduceRequestData.PartitionProduceData> pd13 = new ArrayList<>();
        pd13.add(new ProduceRequestData.PartitionProduceData().setIndex(3).setRecords(records(5)));
        td13.add(new ProduceRequestData.TopicProduceData().setTopicId(TOPIC_ID).setPartitionData(pd13));
        line("produce_request_v13", "request", 0, 13, new ProduceRequestData().setTransactionalId("txn-1")
            .setAcks((short) 1).setTimeoutMs(1500).setTopicData(td13));

        ProduceResponseData.TopicProduceResponseCollection presp = new ProduceResponseData.TopicProduceResponseCollection();
        List<ProduceResponseData.PartitionProduceResponse> pp = new ArrayList<>();
        pp.add(new ProduceResponseData.PartitionProduceResponse().setIndex(0).setErrorCode((short) 6)
            .setBaseOffset(-1).setCurrentLeader(new ProduceResponseData.LeaderIdAndEpoch().setLeaderId(2).setLeaderEpoch(7)));
        pp.add(new ProduceResponseData.PartitionProduceResponse().setIndex(1).setErrorCode((short) 0)
            .setBaseOffset(1234567890123L).setLogStartOffset(17));
        presp.add(new ProduceResponseData.TopicProduceResponse().setName("t").setPartitionResponses(pp));
        ProduceResponseData.NodeEndpointCollection ne = new ProduceResponseData.NodeEndpointCollection();
        ne.add(new ProduceResponseData.NodeEndpoint().setNodeId(2).setHost("broker2").setPort(9093).setRack("rack-b"));
        line("produce_response_v10", "response", 0, 10, new ProduceResponseData().setResponses(presp)
            .setThrottleTimeMs(0).setNodeEndpoints(ne));

        List<FetchRequestData.FetchPartition> fp = new ArrayList<>();
        fp.add(new FetchRequestData.FetchPartition().setPartition(0).setCurrentLeaderEpoch(5).setFetchOffset(100)
            .setLastFetchedEpoch(4).setLogStartOffset(-1).setPartitionMaxBytes(1048576));
        List<FetchRequestData.FetchTopic> ft = new ArrayList<>();
        ft.add(new FetchRequestData.FetchTopic().setTopicId(TOPIC_ID).setPartitions(fp));
        FetchRequestData fr = new FetchRequestData().setClusterId("c1")
            .setReplicaState(new FetchRequestData.ReplicaState().setReplicaId(1).setReplicaEpoch(3))
            .setMaxWaitMs(500).setMinBytes(1).setMaxBytes(52428800).setIsolationLevel((byte) 1)
            .setSessionId(0).setSessionEpoch(-1).setTopics(ft).setForgottenTopicsData(new ArrayList<>()).setRackId("");
        line("fetch_request_v15", "request", 1, 15, fr);

        List<FetchResponseData.PartitionData> fpd = new ArrayList<>();
        List<FetchResponseData.AbortedTransaction> aborted = new ArrayList<>();
        aborted.add(new FetchResponseData.AbortedTransaction().setProducerId(9).setFirstOffset(90));
        fpd.add(new FetchResponseData.PartitionData().setPartitionIndex(0).setErrorCode((short) 0).setHighWatermark(200)
            .setLastStableOffset(150).setLogStartOffset(0).setAbortedTransactions(aborted)
            .setDivergingEpoch(new FetchResponseData.EpochEndOffset().setEpoch(3).setEndOffset(99))
            .setPreferredReadReplica(-1).setRecords(records(12)));
        fpd.add(new FetchResponseData.PartitionData().setPartitionIndex(1).setErrorCode((short) 74).setHighWatermark(-1)
            .setAbortedTransactions(null).setCurrentLeader(new FetchResponseData.LeaderIdAndEpoch().setLeaderId(3).setLeaderEpoch(8))
            .setSnapshotId(new FetchResponseData.SnapshotId().setEndOffset(10).setEpoch(2)).setRecords(null));
        List<FetchResponseData.FetchableTopicResponse> ftr = new ArrayList<>();
        ftr.add(new FetchResponseData.FetchableTopicResponse().setTopicId(TOPIC_ID).setPartitions(fpd));
        line("fetch_response_v16", "response", 1, 16, new FetchResponseData().setThrottleTimeMs(0)
            .setErrorCode((short) 0).setSessionId(77).setResponses(ftr));

        line("request_header_v2", "request_header", -1, 2, new RequestHeaderData().setRequestApiKey((short) 18)
            .setRequestApiVersion((short) 3).setCorrelationId(1).setClientId("kfk"));
        line("request_header_v1", "request_header", -1, 1, new RequestHeaderData().setRequestApiKey((short) 3)
            .setRequestApiVersion((short) 12).setCorrelationId(7).setClientId(null));
        line("response_header_v0", "response_header", -1, 0, new ResponseHeaderData().setCorrelationId(7));
        ResponseHeaderData rh = new ResponseHeaderData().setCorrelationId(0x01020304);
        rh.unknownTaggedFields().add(new RawTaggedField(5, new byte[] {(byte) 0xaa, (byte) 0xbb, (byte) 0xcc}));
        rh.unknownTaggedFields().add(new RawTaggedField(200, new byte[0]));
        line("response_header_v1_unknown_tags", "response_header", -1, 1, rh);
    }

    static Message blank(String kind, short key) {
        switch (kind) {
            case "request": return ApiMessageType.fromApiKey(key).newRequest();
            case "response": return ApiMessageType.fromApiKey(key).newResponse();
            case "request_header": return new RequestHeaderData();
            case "response_header": return new ResponseHeaderData();
            default: throw new IllegalArgumentException(kind);
        }
    }

    static int verify(String path) throws Exception {
        int ok = 0, bad = 0, skipped = 0;
        try (BufferedReader in = new BufferedReader(new FileReader(path, StandardCharsets.UTF_8))) {
            for (String l; (l = in.readLine()) != null; ) {
                String[] f = l.trim().split(" ");
                if (f.length < 3)
                    continue;
                String kind = f[0];
                short key = Short.parseShort(f[1]), v = Short.parseShort(f[2]);
                byte[] bytes = unhex(f.length > 3 ? f[3] : "");
                String what = kind + " " + key + " v" + v;
                try {
                    Message m = blank(kind, key);
                    if (v < m.lowestSupportedVersion() || v > m.highestSupportedVersion()) {
                        skipped++; // request header v0: gone from Kafka 4
                        continue;
                    }
                    ByteBuffer buf = ByteBuffer.wrap(bytes);
                    m.read(new ByteBufferAccessor(buf), v);
                    if (buf.hasRemaining())
                        throw new IllegalStateException(buf.remaining() + " bytes left over");
                    if (!m.unknownTaggedFields().isEmpty())
                        throw new IllegalStateException("unknown tagged fields " + m.unknownTaggedFields());
                    byte[] again = encode(m, v);
                    if (!Arrays.equals(again, bytes))
                        throw new IllegalStateException("Java re-encodes as " + hex(again));
                    ok++;
                } catch (Exception e) {
                    bad++;
                    System.out.println("MISMATCH " + what + ": " + e);
                }
            }
        }
        System.out.println("verified " + ok + " encodings, " + bad + " mismatches, "
            + skipped + " skipped (versions Java no longer has)");
        return bad == 0 ? 0 : 1;
    }

    // A canonical text of a wire layout: fields in order as name:TYPE, structs
    // in braces, arrays as [COMPACT_][NULLABLE_]ARRAY(elem), tagged fields as
    // TAGS(tag=name:TYPE ...).
    static String layout(Type t) {
        if (t instanceof TaggedFields) {
            StringBuilder sb = new StringBuilder("TAGS(");
            String sep = "";
            for (java.util.Map.Entry<Integer, Field> e : ((TaggedFields) t).fields().entrySet()) {
                sb.append(sep).append(e.getKey()).append('=').append(e.getValue().name)
                    .append(':').append(layout(e.getValue().type));
                sep = ",";
            }
            return sb.append(')').toString();
        }
        if (t instanceof Schema) {
            StringBuilder sb = new StringBuilder(t instanceof NullableSchema ? "NULLABLE{" : "{");
            String sep = "";
            for (BoundField f : ((Schema) t).fields()) {
                sb.append(sep).append(f.def.name).append(':').append(layout(f.def.type));
                sep = ",";
            }
            return sb.append('}').toString();
        }
        if (t instanceof ArrayOf || t instanceof CompactArrayOf) {
            return (t instanceof CompactArrayOf ? "COMPACT_" : "") + (t.isNullable() ? "NULLABLE_" : "")
                + "ARRAY(" + layout(t.arrayElementType().get()) + ")";
        }
        return t.toString();
    }

    static void schemas() {
        for (ApiMessageType api : ApiMessageType.values()) {
            if (!api.listeners().contains(ApiMessageType.ListenerType.BROKER))
                continue;
            Schema[] req = api.requestSchemas(), rsp = api.responseSchemas();
            for (int v = 0; v < req.length; v++) {
                if (req[v] != null)
                    System.out.println("request " + api.apiKey() + " " + v + " " + layout(req[v]));
                if (rsp[v] != null)
                    System.out.println("response " + api.apiKey() + " " + v + " " + layout(rsp[v]));
            }
        }
        for (int v = 1; v < RequestHeaderData.SCHEMAS.length; v++)
            System.out.println("request_header -1 " + v + " " + layout(RequestHeaderData.SCHEMAS[v]));
        for (int v = 0; v < ResponseHeaderData.SCHEMAS.length; v++)
            System.out.println("response_header -1 " + v + " " + layout(ResponseHeaderData.SCHEMAS[v]));
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("golden")) {
            golden();
        } else if (args.length == 1 && args[0].equals("schemas")) {
            schemas();
        } else if (args.length == 2 && args[0].equals("verify")) {
            System.exit(verify(args[1]));
        } else {
            System.err.println("usage: ProtoVectors golden | schemas | verify FILE");
            System.exit(2);
        }
    }
}
