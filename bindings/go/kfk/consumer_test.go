package kfk_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
)

// produceN writes n records (values "v<i>") to topic's partitions in
// turn and waits for their reports.
func produceN(t *testing.T, topic string, partitions int32, n int) {
	t.Helper()
	produceAll(t, n, func(i int) *kfk.Record {
		return &kfk.Record{Topic: topic, Partition: int32(i) % partitions, Opaque: i,
			Value: []byte(fmt.Sprintf("v%d", i))}
	})
}

// produceAll writes record(0) .. record(n-1) in one ProduceBatch and
// waits for their reports.
func produceAll(t *testing.T, n int, record func(i int) *kfk.Record) {
	t.Helper()
	p, ch := newProducer(t, conf("linger.ms", "5"))
	ctx := testCtx(t, 60*time.Second)
	recs := make([]*kfk.Record, n)
	for i := range recs {
		recs[i] = record(i)
	}
	if _, err := p.ProduceBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitReports(t, ctx, ch, n)
}

func TestCommitAndCommitted(t *testing.T) {
	topic := createTopic(t, 1)
	produceN(t, topic, 1, 20)
	group := unique("group")
	c := newConsumer(t, conf("group.id", group, "enable.auto.commit", "false"))
	assignAll(t, c, topic, 1, kfk.OffsetBeginning)
	ctx := testCtx(t, 60*time.Second)
	msgs := consume(t, ctx, c, 10)
	if msgs[9].Offset != 9 {
		t.Fatalf("10th message at %d", msgs[9].Offset)
	}
	// Nothing committed yet.
	tp := []kfk.TopicPartition{{Topic: topic, Partition: 0, Offset: kfk.OffsetInvalid, LeaderEpoch: -1}}
	got, err := c.Committed(ctx, tp)
	if err != nil || got[0].Offset != kfk.OffsetInvalid {
		t.Fatalf("committed before any commit: %+v, %v", got, err)
	}
	// The current position.
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Committed(ctx, tp); err != nil || got[0].Offset != 10 {
		t.Fatalf("committed after Commit(): %+v, %v", got, err)
	}
	// An explicit offset with metadata.
	if err := c.Commit(kfk.TopicPartition{Topic: topic, Partition: 0, Offset: 15,
		Metadata: "meta", LeaderEpoch: -1}); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Committed(ctx, tp); err != nil || got[0].Offset != 15 || got[0].Metadata != "meta" {
		t.Fatalf("committed after Commit(15): %+v, %v", got, err)
	}
	// An async commit reports to the commit function from a poll.
	done := make(chan error, 1)
	c2 := newConsumer(t, conf("group.id", group, "enable.auto.commit", "false"),
		kfk.WithCommitFunc(func(err error, offsets []kfk.TopicPartition) {
			if err == nil && (len(offsets) != 1 || offsets[0].Offset != 17) {
				err = fmt.Errorf("commit callback offsets %+v", offsets)
			}
			done <- err
		}))
	assignAll(t, c2, topic, 1, 17)
	if err := c2.CommitAsync(kfk.TopicPartition{Topic: topic, Partition: 0, Offset: 17, LeaderEpoch: -1}); err != nil {
		t.Fatal(err)
	}
	for {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := c2.Poll(pctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if got, err = c.Committed(ctx, tp); err != nil || got[0].Offset != 17 {
				t.Fatalf("committed after CommitAsync(17): %+v, %v", got, err)
			}
			return
		default:
		}
		if ctx.Err() != nil {
			t.Fatal("no commit callback")
		}
	}
}

func TestSeekAndPosition(t *testing.T) {
	topic := createTopic(t, 2)
	produceN(t, topic, 2, 40)
	c := newConsumer(t, conf())
	assignAll(t, c, topic, 2, kfk.OffsetBeginning)
	ctx := testCtx(t, 60*time.Second)
	consume(t, ctx, c, 40)
	if pos, err := c.Position(topic, 1); err != nil || pos != 20 {
		t.Fatalf("position: %d, %v", pos, err)
	}
	if err := c.Seek(topic, 1, 5); err != nil {
		t.Fatal(err)
	}
	m, err := c.Poll(ctx)
	if err != nil || m.Partition != 1 || m.Offset != 5 || string(m.Value) != "v11" {
		t.Fatalf("after seek: %+v, %v", m, err)
	}
	if err := c.Seek(topic, 0, kfk.OffsetBeginning); err != nil {
		t.Fatal(err)
	}
	msgs := consume(t, ctx, c, 34)
	seen0 := 0
	for _, m := range msgs {
		if m.Partition == 0 {
			seen0++
		}
	}
	if seen0 != 20 {
		t.Fatalf("%d messages of partition 0 after seeking to its beginning", seen0)
	}
	// Seeking a partition not assigned fails with its code.
	err = c.Seek(topic, 7, 0)
	if !errors.Is(err, kfk.ErrUnknownTopicOrPartition) {
		t.Fatalf("seek on an unassigned partition: %v", err)
	}
	low, high, err := c.Watermarks(ctx, topic, 0)
	if err != nil || low != 0 || high != 20 {
		t.Fatalf("watermarks: %d %d %v", low, high, err)
	}
}

// eofOffset is the offset of err, which must be the partition end of
// topic's partition.
func eofOffset(t *testing.T, err error, topic string, partition int32) int64 {
	t.Helper()
	var kerr *kfk.Error
	if !errors.Is(err, kfk.ErrPartitionEof) || !errors.As(err, &kerr) ||
		kerr.Topic != topic || kerr.Partition != partition {
		t.Fatalf("%v", err)
	}
	return kerr.Offset
}

// Poll gives up with the context's error, and a partition's end comes
// as ErrPartitionEof when asked for.
func TestPollContextAndEOF(t *testing.T) {
	topic := createTopic(t, 1)
	c := newConsumer(t, conf())
	assignAll(t, c, topic, 1, kfk.OffsetBeginning)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	if m, err := c.Poll(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Poll on an empty topic, cancelled: %v, %v", m, err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer dcancel()
	if _, err := c.PollBatch(dctx, 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PollBatch past its deadline: %v", err)
	}
	c.EnablePartitionEOF(true)
	produceN(t, topic, 1, 3)
	long := testCtx(t, 60*time.Second)
	var got int
	for {
		msgs, err := c.PollBatch(long, 10)
		got += len(msgs)
		if err != nil && eofOffset(t, err, topic, 0) == 3 {
			break
		}
	}
	if got != 3 {
		t.Fatalf("%d messages before the end, want 3", got)
	}
	if err := c.Close(long); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Poll(long); err != kfk.ErrClosed {
		t.Fatalf("Poll after Close: %v", err)
	}
}

// A group of consumers shares a topic's partitions; members joining and
// leaving move them, and every record is consumed: with the classic
// protocol's eager and cooperative assignors, and with KIP-848's.
func TestConsumerGroupRebalances(t *testing.T) {
	for _, tc := range []struct{ name, protocol, assignor string }{
		{"classic-range", "classic", "range"},
		{"classic-cooperative", "classic", "cooperative-sticky"},
		{"consumer", "consumer", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groupConf := conf("auto.offset.reset", "earliest", "group.protocol", tc.protocol)
			if tc.protocol == "classic" {
				groupConf["partition.assignment.strategy"] = tc.assignor
				groupConf["session.timeout.ms"] = "10000"
				groupConf["heartbeat.interval.ms"] = "500"
			}
			testGroupRebalances(t, groupConf)
		})
	}
}

func testGroupRebalances(t *testing.T, groupConf kfk.Config) {
	const partitions = 6
	topic := createTopic(t, partitions)
	group := unique("group")
	ctx := testCtx(t, 180*time.Second)

	type member struct {
		c        *kfk.Consumer
		mu       sync.Mutex
		owned    map[int32]bool
		assigned int
		cancel   context.CancelFunc
		done     chan struct{}
	}
	var seenMu sync.Mutex
	seen := map[string]int{}
	start := func() *member {
		m := &member{owned: map[int32]bool{}, done: make(chan struct{})}
		c := kfk.Config{"group.id": group}
		for k, v := range groupConf {
			c[k] = v
		}
		m.c = newConsumer(t, c,
			kfk.WithRebalanceFunc(func(c *kfk.Consumer, ev kfk.RebalanceEvent, parts []kfk.TopicPartition) {
				m.mu.Lock()
				defer m.mu.Unlock()
				for _, p := range parts {
					m.owned[p.Partition] = ev == kfk.PartitionsAssigned
				}
				if ev == kfk.PartitionsAssigned {
					m.assigned++
				} else if ev == kfk.PartitionsRevoked {
					if err := c.Commit(); err != nil && !errors.Is(err, kfk.ErrRebalanceInProgress) &&
						!errors.Is(err, kfk.ErrIllegalGeneration) && !errors.Is(err, kfk.ErrUnknownMemberId) {
						t.Errorf("commit on revoke: %v", err)
					}
				}
			}))
		if err := m.c.Subscribe(topic); err != nil {
			t.Fatal(err)
		}
		pctx, cancel := context.WithCancel(ctx)
		m.cancel = cancel
		go func() {
			defer close(m.done)
			for {
				msgs, err := m.c.PollBatch(pctx, 100)
				if err != nil {
					if pctx.Err() == nil {
						t.Errorf("poll: %v", err)
					}
					return
				}
				seenMu.Lock()
				for _, msg := range msgs {
					seen[string(msg.Value)]++
				}
				seenMu.Unlock()
			}
		}()
		return m
	}
	owns := func(m *member) int {
		m.mu.Lock()
		defer m.mu.Unlock()
		n := 0
		for _, o := range m.owned {
			if o {
				n++
			}
		}
		return n
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
		}
	}
	countSeen := func(n int) func() bool {
		return func() bool {
			seenMu.Lock()
			defer seenMu.Unlock()
			for i := 0; i < n; i++ {
				if seen[fmt.Sprintf("v%d", i)] == 0 {
					return false
				}
			}
			return true
		}
	}

	produceN(t, topic, partitions, 300)
	ms := []*member{start()}
	waitFor("the first member to own every partition", func() bool { return owns(ms[0]) == partitions })
	ms = append(ms, start(), start())
	waitFor("three members sharing the partitions", func() bool {
		total := 0
		for _, m := range ms {
			if owns(m) == 0 {
				return false
			}
			total += owns(m)
		}
		return total == partitions
	})
	waitFor("the first 300 records", countSeen(300))

	// The second member leaves: the others take its partitions and read
	// what is produced next.
	leaving := ms[1]
	leaving.cancel()
	<-leaving.done
	if err := leaving.c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rest := []*member{ms[0], ms[2]}
	waitFor("two members owning every partition", func() bool {
		return owns(rest[0])+owns(rest[1]) == partitions && owns(rest[0]) > 0 && owns(rest[1]) > 0
	})
	produceN(t, topic, partitions, 600)
	waitFor("all 600 records", countSeen(600))
	for _, m := range rest {
		m.cancel()
		<-m.done
		m.mu.Lock()
		if m.assigned < 2 {
			t.Errorf("a member saw %d assignments, want at least 2", m.assigned)
		}
		m.mu.Unlock()
	}

	a := newAdmin(t)
	groups, err := a.DescribeGroups(ctx, []string{group})
	if err != nil || len(groups) != 1 || len(groups[0].Members) != 2 {
		t.Fatalf("describe group: %+v, %v", groups, err)
	}
	list, err := a.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range list {
		found = found || g.ID == group
	}
	if !found {
		t.Fatalf("group %s not listed", group)
	}
}
