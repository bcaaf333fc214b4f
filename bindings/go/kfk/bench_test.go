package kfk_test

import (
	"context"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
)

// The benchmarks measure the binding's cost per record (ns/op and
// allocs/op, one op a record) against the mock, or KFK_TEST_BOOTSTRAP's
// cluster: go test -run NONE -bench . -benchmem. They assert nothing
// about speed.

const benchValueSize = 100

// benchTopic creates a topic of 6 partitions for b, deleted at the end.
func benchTopic(b *testing.B) string {
	return createTopic(b, 6)
}

// benchProduce produces n records of benchValueSize bytes in batches of
// 1000 and waits for their reports.
func benchProduce(b *testing.B, topic string, n int) {
	b.Helper()
	const batch = 1000
	var failed error
	left := n
	done := make(chan struct{})
	p, err := kfk.NewProducer(conf("linger.ms", "5"), kfk.WithDeliveryFunc(func(d kfk.Delivery) {
		if d.Err != nil && failed == nil {
			failed = d.Err
		}
		if left--; left == 0 {
			close(done)
		}
	}))
	if err != nil {
		b.Fatal(err)
	}
	value := make([]byte, benchValueSize)
	ptrs := make([]*kfk.Record, batch)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for sent := 0; sent < n; {
		k := min(batch, n-sent)
		recs := make([]kfk.Record, k)
		for i := range recs {
			recs[i] = kfk.Record{Topic: topic, Partition: kfk.AnyPartition, Value: value}
			ptrs[i] = &recs[i]
		}
		if _, err := p.ProduceBatch(ctx, ptrs[:k]); err != nil {
			b.Fatal(err)
		}
		sent += k
	}
	if err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if n > 0 {
		<-done
	}
	if failed != nil {
		b.Fatal(failed)
	}
}

func BenchmarkProduceBatch(b *testing.B) {
	topic := benchTopic(b)
	b.ReportAllocs()
	b.ResetTimer()
	benchProduce(b, topic, b.N)
}

func BenchmarkPollBatch(b *testing.B) {
	c := benchConsumer(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	for got := 0; got < b.N; {
		msgs, err := c.PollBatch(ctx, 10000)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			if len(m.Value) != benchValueSize {
				b.Fatalf("%d bytes", len(m.Value))
			}
		}
		got += len(msgs)
	}
}

func BenchmarkPollInto(b *testing.B) {
	c := benchConsumer(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	msgs := make([]kfk.Message, 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for got := 0; got < b.N; {
		k, err := c.PollInto(ctx, msgs)
		if err != nil {
			b.Fatal(err)
		}
		for i := range msgs[:k] {
			if len(msgs[i].Value) != benchValueSize {
				b.Fatalf("%d bytes", len(msgs[i].Value))
			}
		}
		got += k
	}
}

// benchConsumer is a consumer assigned a topic that holds b.N records.
func benchConsumer(b *testing.B) *kfk.Consumer {
	topic := benchTopic(b)
	benchProduce(b, topic, b.N)
	c, err := kfk.NewConsumer(conf())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(context.Background()) })
	parts := make([]kfk.TopicPartition, 6)
	for i := range parts {
		parts[i] = kfk.TopicPartition{Topic: topic, Partition: int32(i), Offset: kfk.OffsetBeginning, LeaderEpoch: -1}
	}
	if err := c.Assign(parts); err != nil {
		b.Fatal(err)
	}
	return c
}
