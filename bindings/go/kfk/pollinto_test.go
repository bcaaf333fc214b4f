package kfk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
)

// pollIntoRecord is record i of produceVaried: a key except every
// fourth, a value of varying length, headers on every third (one with a
// null value).
func pollIntoRecord(topic string, partitions int32, i int) *kfk.Record {
	r := &kfk.Record{Topic: topic, Partition: int32(i) % partitions, Opaque: i,
		Value: []byte(fmt.Sprintf("v%d-%s", i, bytes.Repeat([]byte("x"), i%37)))}
	if i%4 != 0 {
		r.Key = []byte(fmt.Sprintf("k%d", i))
	}
	if i%3 == 0 {
		r.Headers = []kfk.Header{{Key: "h", Value: []byte(fmt.Sprint(i))}, {Key: "null"}}
	}
	return r
}

func produceVaried(t *testing.T, topic string, partitions int32, n int) {
	t.Helper()
	produceAll(t, n, func(i int) *kfk.Record { return pollIntoRecord(topic, partitions, i) })
}

// checkMessage says how m differs from the record produceVaried wrote at
// its partition and offset (records go round the partitions in turn).
func checkMessage(topic string, partitions int32, m *kfk.Message) error {
	i := int(m.Offset)*int(partitions) + int(m.Partition)
	want := pollIntoRecord(topic, partitions, i)
	if m.Topic != topic || !bytes.Equal(m.Value, want.Value) || !bytes.Equal(m.Key, want.Key) ||
		(m.Key == nil) != (want.Key == nil) || len(m.Headers) != len(want.Headers) {
		return fmt.Errorf("%d/%d: %q %q %v, want record %d: %q %q %v", m.Partition, m.Offset,
			m.Key, m.Value, m.Headers, i, want.Key, want.Value, want.Headers)
	}
	for j, h := range want.Headers {
		g := m.Headers[j]
		if g.Key != h.Key || !bytes.Equal(g.Value, h.Value) || (g.Value == nil) != (h.Value == nil) {
			return fmt.Errorf("%d/%d: header %d %q=%q, want %q=%q", m.Partition, m.Offset, j,
				g.Key, g.Value, h.Key, h.Value)
		}
	}
	if m.TimestampType != kfk.TimestampCreateTime || time.Since(m.Timestamp) > time.Hour {
		return fmt.Errorf("%d/%d: timestamp %v (%d)", m.Partition, m.Offset, m.Timestamp, m.TimestampType)
	}
	return nil
}

// PollInto fills the caller's messages, poll after poll, with the right
// records in order; what a PollBatch returned and copies taken before
// the next PollInto stay intact while PollInto reuses its memory.
func TestPollIntoReusesMemoryAndKeepsRecordsRight(t *testing.T) {
	const partitions, n = 3, 600
	topic := createTopic(t, partitions)
	produceVaried(t, topic, partitions, n)
	c := newConsumer(t, conf("max.poll.records", "40"))
	assignAll(t, c, topic, partitions, kfk.OffsetBeginning)
	ctx := testCtx(t, 60*time.Second)

	kept, err := c.PollBatch(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	next := make([]int64, partitions)
	got := 0
	for _, m := range kept {
		next[m.Partition] = m.Offset + 1
		got++
	}
	type copied struct {
		m          kfk.Message
		key, value []byte
	}
	var copies []copied
	msgs := make([]kfk.Message, 25) // fewer than max.poll.records: msgs bounds each poll
	for polls := 0; got < n; polls++ {
		k, err := c.PollInto(ctx, msgs)
		if err != nil {
			t.Fatalf("after %d messages: %v", got, err)
		}
		if k < 1 || k > len(msgs) {
			t.Fatalf("PollInto gave %d messages into %d", k, len(msgs))
		}
		for i := range msgs[:k] {
			m := &msgs[i]
			if err := checkMessage(topic, partitions, m); err != nil {
				t.Fatal(err)
			}
			if m.Offset != next[m.Partition] {
				t.Fatalf("%d/%d after %d", m.Partition, m.Offset, next[m.Partition]-1)
			}
			next[m.Partition]++
			got++
		}
		if polls%5 == 0 {
			m := msgs[k-1]
			copies = append(copies, copied{m, bytes.Clone(m.Key), bytes.Clone(m.Value)})
		}
	}
	if got != n {
		t.Fatalf("%d messages, want %d", got, n)
	}
	for _, m := range kept {
		if err := checkMessage(topic, partitions, m); err != nil {
			t.Fatalf("a PollBatch message after PollInto: %v", err)
		}
	}
	if len(copies) < 3 {
		t.Fatalf("%d copies kept", len(copies))
	}
	for _, cp := range copies {
		m := cp.m
		m.Key, m.Value, m.Headers = cp.key, cp.value, nil
		want := pollIntoRecord(topic, partitions, int(m.Offset)*partitions+int(m.Partition))
		if m.Topic != topic || !bytes.Equal(m.Key, want.Key) || !bytes.Equal(m.Value, want.Value) {
			t.Fatalf("a copy taken before the next PollInto: %d/%d %q %q, want %q %q",
				m.Partition, m.Offset, m.Key, m.Value, want.Key, want.Value)
		}
	}
}

// Once its buffers have grown, PollInto allocates nothing per poll,
// where PollBatch allocates the messages and their bytes.
func TestPollIntoAllocatesNothing(t *testing.T) {
	const partitions, n, runs = 2, 1000, 20
	topic := createTopic(t, partitions)
	produceN(t, topic, partitions, n)
	c := newConsumer(t, conf("max.poll.records", "10"))
	assignAll(t, c, topic, partitions, kfk.OffsetBeginning)
	ctx := testCtx(t, 60*time.Second)
	msgs := make([]kfk.Message, 10)
	var err error
	poll := func() {
		if err == nil {
			_, err = c.PollInto(ctx, msgs)
		}
	}
	allocs := testing.AllocsPerRun(runs, poll)
	if err != nil {
		t.Fatal(err)
	}
	if allocs >= 1 {
		t.Fatalf("PollInto: %.2f allocations per poll", allocs)
	}
	batch := testing.AllocsPerRun(runs, func() {
		if err == nil {
			_, err = c.PollBatch(ctx, 10)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if batch < 2 {
		t.Fatalf("PollBatch: %.2f allocations per poll; the test no longer tells them apart", batch)
	}
}

// PollInto reports errors as PollBatch does, refuses an empty slice,
// hands its messages to the consume interceptors, and ends with ctx.
func TestPollIntoErrorsAndInterceptors(t *testing.T) {
	topic := createTopic(t, 1)
	hooks := &consumerHooks{seen: map[[2]int64]int{}}
	c := newConsumer(t, conf(), kfk.WithInterceptor(hooks))
	assignAll(t, c, topic, 1, kfk.OffsetBeginning)
	ctx := testCtx(t, 60*time.Second)
	if _, err := c.PollInto(ctx, nil); !errors.Is(err, kfk.ErrInvalidArg) {
		t.Fatalf("PollInto with no room: %v", err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer dcancel()
	msgs := make([]kfk.Message, 10)
	if k, err := c.PollInto(dctx, msgs); k != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PollInto past its deadline: %d, %v", k, err)
	}
	c.EnablePartitionEOF(true)
	produceN(t, topic, 1, 3)
	var got []*kfk.Message
	for {
		k, err := c.PollInto(ctx, msgs)
		for i := range msgs[:k] {
			m := msgs[i]
			m.Value = bytes.Clone(m.Value) // the next PollInto reuses its memory
			got = append(got, &m)
		}
		if err != nil && eofOffset(t, err, topic, 0) == 3 {
			break
		}
	}
	if len(got) != 3 {
		t.Fatalf("%d messages before the end, want 3", len(got))
	}
	for i, m := range got {
		if m.Offset != int64(i) || string(m.Value) != fmt.Sprintf("v%d", i) {
			t.Fatalf("message %d: %d %q", i, m.Offset, m.Value)
		}
	}
	hooks.checkConsumed(t, got)
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PollInto(ctx, msgs); err != kfk.ErrClosed {
		t.Fatalf("PollInto after Close: %v", err)
	}
}
