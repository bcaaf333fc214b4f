package kfk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
)

// statsDoc is what the tests read of a statistics document.
type statsDoc struct {
	Type     string `json:"type"`
	TxMsgs   int64  `json:"txmsgs"`
	RxMsgs   int64  `json:"rxmsgs"`
	MsgCnt   int64  `json:"msg_cnt"`
	ClientID string `json:"client_id"`
	Topics   map[string]struct {
		Partitions map[string]struct {
			TxMsgs    int64  `json:"txmsgs"`
			RxMsgs    int64  `json:"rxmsgs"`
			AppOffset *int64 `json:"app_offset"`
		} `json:"partitions"`
	} `json:"topics"`
}

// parseStats checks that b is a JSON object with every top-level field
// docs/STATS.md gives a client of its type, and decodes it.
func parseStats(t *testing.T, b []byte, fields ...string) statsDoc {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatalf("statistics do not parse: %v: %.200s", err, b)
	}
	for _, f := range fields {
		if _, ok := top[f]; !ok {
			t.Fatalf("statistics lack %q: %.300s", f, b)
		}
	}
	var d statsDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

var commonFields = []string{"name", "client_id", "type", "ts", "time", "age", "replyq",
	"tx", "tx_bytes", "rx", "rx_bytes", "brokers", "topics"}

var producerFields = append([]string{"msg_cnt", "msg_size", "msg_size_max", "txmsgs",
	"txmsg_bytes"}, commonFields...)

var consumerFields = append([]string{"rxmsgs", "rxmsg_bytes"}, commonFields...)

// promValue is the value of the sample whose line starts with series.
func promValue(t *testing.T, text, series string) int64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return int64(f)
		}
	}
	t.Fatalf("no sample %s in:\n%.2000s", series, text)
	return 0
}

// waitStats reads documents until done accepts one, calling poll (when
// not nil) between them, and fails when ctx ends first.
func waitStats(t *testing.T, ctx context.Context, docs chan []byte, fields []string,
	done func(statsDoc) bool, poll func()) {
	t.Helper()
	for seen := 0; ; seen++ {
		var b []byte
		if poll == nil {
			select {
			case b = <-docs:
			case <-ctx.Done():
			}
		} else {
			select {
			case b = <-docs:
			default:
				if ctx.Err() == nil {
					poll()
					seen--
					continue
				}
			}
		}
		if b == nil {
			t.Fatalf("no document as expected (%d documents): %v", seen, ctx.Err())
		}
		if done(parseStats(t, b, fields...)) {
			return
		}
	}
}

// A producer's stats function gets documents while it produces, from the
// binding's reporting goroutine; their counters and the on-demand JSON
// and Prometheus texts count the records produced.
func TestProducerStats(t *testing.T) {
	const n = 300
	topic := createTopic(t, 2)
	client := unique("stats-p")
	docs := make(chan []byte, 16)
	ch := make(chan kfk.Delivery, n)
	p, err := kfk.NewProducer(conf("statistics.interval.ms", "50", "client.id", client),
		kfk.WithDeliveryChan(ch), kfk.WithProducerStatsFunc(func(b []byte) {
			select {
			case docs <- b:
			default: // the test reads the latest ones
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	ctx := testCtx(t, 90*time.Second)
	recs := make([]*kfk.Record, n)
	for i := range recs {
		recs[i] = &kfk.Record{Topic: topic, Partition: kfk.AnyPartition, Opaque: i,
			Value: []byte(fmt.Sprintf("value %d", i))}
	}
	if _, err := p.ProduceBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitReports(t, ctx, ch, n)

	// Documents keep coming without any Flush: the reporting goroutine
	// polls. One taken after the flush counts every record.
	waitStats(t, ctx, docs, producerFields, func(d statsDoc) bool {
		if d.Type != "producer" || d.ClientID != client || d.TxMsgs > n {
			t.Fatalf("type %q client_id %q txmsgs %d of %d", d.Type, d.ClientID, d.TxMsgs, n)
		}
		return d.TxMsgs == n
	}, nil)
	b, err := p.StatsJSON()
	if err != nil {
		t.Fatal(err)
	}
	d := parseStats(t, b, producerFields...)
	if d.TxMsgs != n || d.MsgCnt != 0 {
		t.Fatalf("on demand: txmsgs %d msg_cnt %d after %d records", d.TxMsgs, d.MsgCnt, n)
	}
	var perPart int64
	for _, part := range d.Topics[topic].Partitions {
		perPart += part.TxMsgs
	}
	if perPart != n {
		t.Fatalf("partitions of %s count %d records of %d: %s", topic, perPart, n, b)
	}
	text, err := p.StatsPrometheus()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "# TYPE kafka_producer_record_send_total counter\n") {
		t.Fatalf("no record_send_total counter:\n%.2000s", text)
	}
	if v := promValue(t, text, `kafka_producer_record_send_total{client_id="`+client+`"}`); v != n {
		t.Fatalf("record_send_total %d of %d", v, n)
	}
	var sum int64
	for part := 0; part < 2; part++ {
		sum += promValue(t, text, fmt.Sprintf(`kafka_producer_topic_record_send_total{client_id="%s",topic="%s",partition="%d"}`,
			client, topic, part))
	}
	if sum != n {
		t.Fatalf("topic_record_send_total sums to %d of %d", sum, n)
	}
	for _, name := range []string{"kafka_producer_node_request_total{", "kafka_producer_buffer_total_bytes{",
		"kafka_producer_node_request_latency_seconds{"} {
		if !strings.Contains(text, name) {
			t.Fatalf("no %s in:\n%.2000s", name, text)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.StatsJSON(); !errors.Is(err, kfk.ErrClosed) {
		t.Fatalf("StatsJSON after Close: %v", err)
	}
}

// A consumer's stats function gets documents from its polls; they, and
// the on-demand texts, count the messages consumed.
func TestConsumerStats(t *testing.T) {
	const n = 200
	topic := createTopic(t, 1)
	produceN(t, topic, 1, n)
	client := unique("stats-c")
	docs := make(chan []byte, 16)
	c := newConsumer(t, conf("statistics.interval.ms", "50", "client.id", client),
		kfk.WithStatsFunc(func(b []byte) {
			select {
			case docs <- b:
			default:
			}
		}))
	assignAll(t, c, topic, 1, kfk.OffsetBeginning)
	ctx := testCtx(t, 90*time.Second)
	consume(t, ctx, c, n)

	// Polls deliver the documents: keep polling (nothing more comes)
	// until one counts every message.
	waitStats(t, ctx, docs, consumerFields, func(d statsDoc) bool {
		if d.Type != "consumer" || d.ClientID != client || d.RxMsgs > n {
			t.Fatalf("type %q client_id %q rxmsgs %d of %d", d.Type, d.ClientID, d.RxMsgs, n)
		}
		return d.RxMsgs == n
	}, func() {
		pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		msgs, err := c.PollBatch(pctx, 10)
		cancel()
		if len(msgs) > 0 || err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("poll after the last message: %d messages, %v", len(msgs), err)
		}
	})
	b, err := c.StatsJSON()
	if err != nil {
		t.Fatal(err)
	}
	d := parseStats(t, b, consumerFields...)
	part := d.Topics[topic].Partitions["0"]
	if d.RxMsgs != n || part.RxMsgs != n || part.AppOffset == nil || *part.AppOffset != n {
		t.Fatalf("on demand after %d messages: %s", n, b)
	}
	text, err := c.StatsPrometheus()
	if err != nil {
		t.Fatal(err)
	}
	if v := promValue(t, text, `kafka_consumer_records_consumed_total{client_id="`+client+`"}`); v != n {
		t.Fatalf("records_consumed_total %d of %d", v, n)
	}
	series := fmt.Sprintf(`{client_id="%s",topic="%s",partition="0"}`, client, topic)
	if v := promValue(t, text, "kafka_consumer_topic_position"+series); v != n {
		t.Fatalf("topic_position %d, want %d", v, n)
	}
	if !strings.Contains(text, "kafka_consumer_records_lag"+series) {
		t.Fatalf("no records_lag in:\n%.2000s", text)
	}
}

// Texts larger than the first buffer StatsJSON and StatsPrometheus try
// come whole: they take the size kfk asks for, and later calls start
// from it.
func TestStatsLargeTexts(t *testing.T) {
	const parts = 200
	topic := createTopic(t, parts)
	p, ch := newProducer(t, conf("linger.ms", "5"))
	ctx := testCtx(t, 90*time.Second)
	recs := make([]*kfk.Record, parts)
	for i := range recs {
		recs[i] = &kfk.Record{Topic: topic, Partition: int32(i), Opaque: i, Value: []byte("v")}
	}
	if _, err := p.ProduceBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitReports(t, ctx, ch, parts)
	for range 2 {
		b, err := p.StatsJSON()
		if err != nil {
			t.Fatal(err)
		}
		d := parseStats(t, b, producerFields...)
		if len(b) < 16<<10 || len(d.Topics[topic].Partitions) != parts || d.TxMsgs != parts {
			t.Fatalf("%d bytes, %d partitions, txmsgs %d", len(b), len(d.Topics[topic].Partitions), d.TxMsgs)
		}
		text, err := p.StatsPrometheus()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(text, "\n") || strings.Count(text, "kafka_producer_topic_record_send_total{") != parts {
			t.Fatalf("%d bytes of Prometheus text, %d partitions' record_send_total", len(text),
				strings.Count(text, "kafka_producer_topic_record_send_total{"))
		}
	}
}
