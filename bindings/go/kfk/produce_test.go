package kfk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
	"github.com/kfk-project/kfk/bindings/go/kfkmock"
)

// waitReports reads n delivery reports, failing on an error or a record
// reported twice, and returns them by Opaque (an int).
func waitReports(t *testing.T, ctx context.Context, ch chan kfk.Delivery, n int) map[int]*kfk.Record {
	t.Helper()
	got := make(map[int]*kfk.Record, n)
	for len(got) < n {
		select {
		case d := <-ch:
			if d.Err != nil {
				t.Fatalf("delivery of %v: %v", d.Record.Opaque, d.Err)
			}
			id := d.Record.Opaque.(int)
			if _, dup := got[id]; dup {
				t.Fatalf("record %d reported twice", id)
			}
			got[id] = d.Record
		case <-ctx.Done():
			t.Fatalf("%d of %d reports after %v", len(got), n, ctx.Err())
		}
	}
	return got
}

func sameHeaders(a, b []kfk.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !bytes.Equal(a[i].Value, b[i].Value) ||
			(a[i].Value == nil) != (b[i].Value == nil) {
			return false
		}
	}
	return true
}

// Every codec carries keys, values, null keys and values, headers and
// timestamps there and back, and every record gets one report.
func TestRoundTripEveryCodec(t *testing.T) {
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			topic := createTopic(t, 1)
			p, ch := newProducer(t, conf("compression.type", codec, "linger.ms", "20"))
			ctx := testCtx(t, 90*time.Second)
			const n = 500
			ts := time.UnixMilli(1700000000123)
			recs := make([]*kfk.Record, n)
			for i := range recs {
				r := &kfk.Record{Topic: topic, Partition: 0, Opaque: i, Timestamp: ts,
					Value: bytes.Repeat([]byte{byte(i)}, i%300)}
				if i%7 != 0 {
					r.Key = []byte(fmt.Sprintf("key-%d", i))
				}
				if i%11 == 0 {
					r.Value = nil
				}
				if i%3 == 0 {
					r.Headers = []kfk.Header{{Key: "h1", Value: []byte("v")},
						{Key: "null", Value: nil}, {Key: "", Value: []byte{}}}
				}
				recs[i] = r
			}
			if k, err := p.ProduceBatch(ctx, recs[:n/2]); err != nil || k != n/2 {
				t.Fatalf("ProduceBatch: %d, %v", k, err)
			}
			for _, r := range recs[n/2:] {
				if err := p.Produce(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if p.Len() != 0 {
				t.Fatalf("%d records without a report after Flush", p.Len())
			}
			got := waitReports(t, ctx, ch, n)
			select {
			case d := <-ch:
				t.Fatalf("an extra report: %+v", d)
			default:
			}
			for i := 1; i < n; i++ {
				if got[i].Offset != got[i-1].Offset+1 {
					t.Fatalf("record %d at offset %d after %d", i, got[i].Offset, got[i-1].Offset)
				}
			}

			c := newConsumer(t, conf())
			assignAll(t, c, topic, 1, kfk.OffsetBeginning)
			msgs := consume(t, ctx, c, n)
			for i, m := range msgs {
				r := recs[i]
				if m.Offset != got[i].Offset || m.Topic != topic || m.Partition != 0 {
					t.Fatalf("message %d: %s/%d@%d", i, m.Topic, m.Partition, m.Offset)
				}
				if !bytes.Equal(m.Key, r.Key) || (m.Key == nil) != (r.Key == nil) {
					t.Fatalf("message %d: key %q, want %q", i, m.Key, r.Key)
				}
				if !bytes.Equal(m.Value, r.Value) || (m.Value == nil) != (r.Value == nil) {
					t.Fatalf("message %d: value of %d bytes (nil %v), want %d", i, len(m.Value),
						m.Value == nil, len(r.Value))
				}
				if !sameHeaders(m.Headers, r.Headers) {
					t.Fatalf("message %d: headers %v, want %v", i, m.Headers, r.Headers)
				}
				if !m.Timestamp.Equal(ts) || m.TimestampType != kfk.TimestampCreateTime {
					t.Fatalf("message %d: timestamp %v (%d)", i, m.Timestamp, m.TimestampType)
				}
			}
		})
	}
}

// Records produced from many goroutines at once each get exactly one
// report; a refused record gets none.
func TestExactlyOneReportPerRecord(t *testing.T) {
	topic := createTopic(t, 3)
	var mu sync.Mutex
	count := map[int]int{}
	var wg sync.WaitGroup
	p, err := kfk.NewProducer(conf("linger.ms", "5", "max.block.ms", "2000"),
		kfk.WithDeliveryFunc(func(d kfk.Delivery) {
			if d.Err != nil {
				t.Errorf("record %v: %v", d.Record.Opaque, d.Err)
			}
			mu.Lock()
			count[d.Record.Opaque.(int)]++
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 90*time.Second)
	const goroutines, per = 8, 2000
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			batch := make([]*kfk.Record, 0, 100)
			for i := 0; i < per; i++ {
				id := g*per + i
				r := &kfk.Record{Topic: topic, Partition: kfk.AnyPartition, Opaque: id,
					Key: []byte(fmt.Sprint(id)), Value: []byte("v")}
				if i%2 == 0 {
					if err := p.Produce(ctx, r); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				batch = append(batch, r)
				if len(batch) == cap(batch) || i == per-1 {
					if _, err := p.ProduceBatch(ctx, batch); err != nil {
						t.Error(err)
						return
					}
					batch = batch[:0]
				}
			}
		}(g)
	}
	wg.Wait()
	// A partition the topic does not have: refused, no report.
	err = p.Produce(ctx, &kfk.Record{Topic: topic, Partition: 99, Opaque: -1})
	if !errors.Is(err, kfk.ErrTimedOut) {
		t.Fatalf("partition 99: %v, want ErrTimedOut", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(count) != goroutines*per {
		t.Fatalf("%d records reported, want %d", len(count), goroutines*per)
	}
	for id, c := range count {
		if c != 1 || id < 0 {
			t.Fatalf("record %d reported %d times", id, c)
		}
	}
	if err := p.Produce(ctx, &kfk.Record{Topic: topic}); err != kfk.ErrClosed {
		t.Fatalf("Produce after Close: %v", err)
	}
}

// Produce and Flush respect their context.
func TestProducerContext(t *testing.T) {
	topic := createTopic(t, 1)
	p, _ := newProducer(t, conf())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Produce(ctx, &kfk.Record{Topic: topic}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Produce with a cancelled context: %v", err)
	}
	// A record queued for a broker that is down cannot be delivered:
	// Flush gives up when its context does, and the record is delivered
	// once the broker is back. A mock cluster of its own can go down.
	mc, err := kfkmock.NewCluster(1)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	if err := mc.CreateTopic(topic, 1, 1); err != nil {
		t.Fatal(err)
	}
	q, ch := newProducer(t, kfk.Config{"bootstrap.servers": mc.Bootstrap(),
		"reconnect.backoff.max.ms": "100"})
	long := testCtx(t, 60*time.Second)
	if err := q.Produce(long, &kfk.Record{Topic: topic, Opaque: 0}); err != nil {
		t.Fatal(err)
	}
	if err := q.Flush(long); err != nil {
		t.Fatal(err)
	}
	if err := mc.SetBrokerDown(1, true); err != nil {
		t.Fatal(err)
	}
	if err := q.Produce(long, &kfk.Record{Topic: topic, Opaque: 1}); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if err := q.Flush(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush with the broker down: %v", err)
	}
	if q.Len() != 1 {
		t.Fatalf("%d records outstanding, want 1", q.Len())
	}
	// Purge fails what was not sent: record 2 for sure, record 1 too
	// unless it went out before the broker did.
	if err := q.Produce(long, &kfk.Record{Topic: topic, Opaque: 2}); err != nil {
		t.Fatal(err)
	}
	if err := q.Purge(); err != nil {
		t.Fatal(err)
	}
	if err := mc.SetBrokerDown(1, false); err != nil {
		t.Fatal(err)
	}
	if err := q.Flush(long); err != nil {
		t.Fatal(err)
	}
	got := map[int]error{}
	for len(got) < 3 {
		select {
		case d := <-ch:
			id := d.Record.Opaque.(int)
			if _, dup := got[id]; dup {
				t.Fatalf("record %d reported twice", id)
			}
			got[id] = d.Err
		case <-long.Done():
			t.Fatalf("reports: %v", got)
		}
	}
	if got[0] != nil || !errors.Is(got[2], kfk.ErrPurged) ||
		(got[1] != nil && !errors.Is(got[1], kfk.ErrPurged)) {
		t.Fatalf("reports after a purge: %v", got)
	}
	select {
	case d := <-ch:
		t.Fatalf("an extra report: %+v", d)
	default:
	}
}

// One ProduceBatch may mix topics in any order (records of one topic in a
// row share the encoded topic name): every record lands in its own topic,
// in order, with one report each, also when thousands of reports come at
// once. A refused record ends the batch: the ones before it are accepted
// and reported, the ones after are not tried.
func TestProduceBatchMixedTopics(t *testing.T) {
	a, b := createTopic(t, 1), createTopic(t, 1)
	// A long linger and a large batch.size: the reports of each topic's
	// batch come in one burst, larger than the binding hands out at once.
	p, ch := newProducer(t, conf("linger.ms", "200", "batch.size", "1048576"))
	ctx := testCtx(t, 90*time.Second)
	const n = 6000
	recs := make([]*kfk.Record, n)
	want := map[string][]int{}
	for i := range recs {
		topic := a
		if i%5 == 2 || (i/1000)%2 == 1 {
			topic = b
		}
		recs[i] = &kfk.Record{Topic: topic, Opaque: i, Value: []byte(fmt.Sprint(i))}
		want[topic] = append(want[topic], i)
	}
	if k, err := p.ProduceBatch(ctx, recs); err != nil || k != n {
		t.Fatalf("ProduceBatch: %d, %v", k, err)
	}
	got := waitReports(t, ctx, ch, n)
	for topic, ids := range want {
		for j, id := range ids {
			r := got[id]
			if r.Topic != topic || r.Partition != 0 || r.Offset != int64(j) {
				t.Fatalf("record %d: %s/%d@%d, want %s/0@%d", id, r.Topic, r.Partition, r.Offset, topic, j)
			}
		}
		c := newConsumer(t, conf())
		assignAll(t, c, topic, 1, kfk.OffsetBeginning)
		for j, m := range consume(t, ctx, c, len(ids)) {
			if string(m.Value) != fmt.Sprint(ids[j]) {
				t.Fatalf("%s@%d holds %q, want record %d", topic, m.Offset, m.Value, ids[j])
			}
		}
	}

	bad := []*kfk.Record{{Topic: a, Opaque: -1}, {Topic: b, Opaque: -2}, {Topic: "", Opaque: -3},
		{Topic: a, Opaque: -4}}
	k, err := p.ProduceBatch(ctx, bad)
	var kerr *kfk.Error
	if k != 2 || !errors.As(err, &kerr) || kerr.Code != kfk.ErrInvalidTopicException ||
		!strings.Contains(kerr.Message, "empty") {
		t.Fatalf("a batch with an empty topic third: %d, %v", k, err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	late := map[int]error{}
	for len(late) < 2 {
		select {
		case d := <-ch:
			late[d.Record.Opaque.(int)] = d.Err
		case <-ctx.Done():
			t.Fatalf("reports after the refusal: %v", late)
		}
	}
	for _, id := range []int{-1, -2} {
		if err, ok := late[id]; !ok || err != nil {
			t.Fatalf("reports after the refusal: %v, want records -1 and -2 delivered", late)
		}
	}
	select {
	case d := <-ch:
		t.Fatalf("an extra report: %+v", d)
	default:
	}
}
