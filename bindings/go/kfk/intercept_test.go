package kfk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-project/kfk/bindings/go/kfk"
)

// producerHooks counts what its hooks see, by record; with panics set,
// each hook panics after counting.
type producerHooks struct {
	mu     sync.Mutex
	sends  map[*kfk.Record]int
	acks   map[*kfk.Record]int
	errs   map[*kfk.Record]error
	offs   map[*kfk.Record]int64
	order  *sendOrder // nil, or where OnSend notes its calls
	name   string
	panics bool
}

// sendOrder notes the interceptors' OnSend calls by record.
type sendOrder struct {
	mu    sync.Mutex
	byRec map[*kfk.Record][]string
}

func newProducerHooks(name string, order *sendOrder) *producerHooks {
	return &producerHooks{sends: map[*kfk.Record]int{}, acks: map[*kfk.Record]int{},
		errs: map[*kfk.Record]error{}, offs: map[*kfk.Record]int64{}, name: name, order: order}
}

func (h *producerHooks) OnSend(r *kfk.Record) {
	h.mu.Lock()
	h.sends[r]++
	h.mu.Unlock()
	if h.order != nil {
		h.order.mu.Lock()
		h.order.byRec[r] = append(h.order.byRec[r], h.name)
		h.order.mu.Unlock()
	}
	if h.panics {
		panic("OnSend fails")
	}
}

func (h *producerHooks) OnAcknowledgement(d kfk.Delivery) {
	h.mu.Lock()
	h.acks[d.Record]++
	h.errs[d.Record] = d.Err
	h.offs[d.Record] = d.Record.Offset
	h.mu.Unlock()
	if h.panics {
		panic("OnAcknowledgement fails")
	}
}

// check fails unless every record of recs was seen once by each hook,
// acknowledged without error at the offset its report gave.
func (h *producerHooks) check(t *testing.T, recs []*kfk.Record) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.sends) != len(recs) || len(h.acks) != len(recs) {
		t.Fatalf("%s: OnSend saw %d records, OnAcknowledgement %d, of %d", h.name,
			len(h.sends), len(h.acks), len(recs))
	}
	for _, r := range recs {
		if h.sends[r] != 1 || h.acks[r] != 1 {
			t.Fatalf("%s: record %v sent %d times, acknowledged %d", h.name, r.Opaque, h.sends[r], h.acks[r])
		}
		if h.errs[r] != nil || h.offs[r] < 0 || h.offs[r] != r.Offset {
			t.Fatalf("%s: record %v acknowledged with %v at %d, reported at %d", h.name, r.Opaque,
				h.errs[r], h.offs[r], r.Offset)
		}
	}
}

type sendOnly struct{ n atomic.Int64 }

func (s *sendOnly) OnSend(*kfk.Record) { s.n.Add(1) }

// produceFromTwo produces recs from two goroutines, by Produce and by
// ProduceBatch, flushes and waits for every report.
func produceFromTwo(t *testing.T, ctx context.Context, p *kfk.Producer, ch chan kfk.Delivery, recs []*kfk.Record) {
	t.Helper()
	half := len(recs) / 2
	errc := make(chan error, 2)
	go func() {
		for _, r := range recs[:half] {
			if err := p.Produce(ctx, r); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	go func() {
		_, err := p.ProduceBatch(ctx, recs[half:])
		errc <- err
	}()
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitReports(t, ctx, ch, len(recs))
}

func records(topic string, n int) []*kfk.Record {
	recs := make([]*kfk.Record, n)
	for i := range recs {
		recs[i] = &kfk.Record{Topic: topic, Partition: kfk.AnyPartition, Opaque: i,
			Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("value %d", i))}
	}
	return recs
}

// Producer interceptors see every record once on its way in and once
// with its report, in the order they were added.
func TestProducerInterceptors(t *testing.T) {
	const n = 400
	topic := createTopic(t, 3)
	order := &sendOrder{byRec: map[*kfk.Record][]string{}}
	a, b := newProducerHooks("a", order), newProducerHooks("b", order)
	so := &sendOnly{}
	ch := make(chan kfk.Delivery, n)
	p, err := kfk.NewProducer(conf("linger.ms", "5"), kfk.WithDeliveryChan(ch),
		kfk.WithProducerInterceptor(a), kfk.WithProducerInterceptor(so), kfk.WithProducerInterceptor(b))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	ctx := testCtx(t, 90*time.Second)
	recs := records(topic, n)
	produceFromTwo(t, ctx, p, ch, recs)
	a.check(t, recs)
	b.check(t, recs)
	order.mu.Lock()
	defer order.mu.Unlock()
	for _, r := range recs {
		if got := order.byRec[r]; len(got) != 2 || got[0] != "a" || got[1] != "b" {
			t.Fatalf("record %v: OnSend of %v", r.Opaque, got)
		}
	}
	if got := so.n.Load(); got != n {
		t.Fatalf("send-only interceptor saw %d of %d", got, n)
	}
}

// A record kfk refuses after OnSend is acknowledged once, with the
// refusal, on the producing goroutine; no report follows.
func TestProducerInterceptorRefused(t *testing.T) {
	topic := createTopic(t, 1)
	h := newProducerHooks("h", nil)
	ch := make(chan kfk.Delivery, 4)
	p, err := kfk.NewProducer(conf("max.request.size", "2000"), kfk.WithDeliveryChan(ch),
		kfk.WithProducerInterceptor(h))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	ctx := testCtx(t, 60*time.Second)
	big := &kfk.Record{Topic: topic, Value: make([]byte, 4000)}
	if err := p.Produce(ctx, big); !errors.Is(err, kfk.ErrTooLarge) {
		t.Fatalf("Produce of 4000 bytes with max.request.size 2000: %v", err)
	}
	h.mu.Lock()
	sends, acks, aerr := h.sends[big], h.acks[big], h.errs[big]
	h.mu.Unlock()
	if sends != 1 || acks != 1 || !errors.Is(aerr, kfk.ErrTooLarge) {
		t.Fatalf("refused record: sent %d, acknowledged %d with %v", sends, acks, aerr)
	}
	ok := &kfk.Record{Topic: topic, Value: []byte("small")}
	if err := p.Produce(ctx, ok); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if d := <-ch; d.Record != ok || d.Err != nil {
		t.Fatalf("report of %v: %v", d.Record.Value, d.Err)
	}
	if p.Len() != 0 || len(ch) != 0 {
		t.Fatalf("%d records outstanding, %d reports more", p.Len(), len(ch))
	}
}

// lockedBuf is a log output the test reads.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// captureLog sends package log's output to a buffer for the test.
func captureLog(t *testing.T) *lockedBuf {
	buf := &lockedBuf{}
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(buf)
	t.Cleanup(func() { log.SetOutput(out); log.SetFlags(flags) })
	return buf
}

// Hooks that panic are logged and ignored: every record is delivered
// and consumed, every commit goes through.
func TestInterceptorPanics(t *testing.T) {
	const n = 200
	logs := captureLog(t)
	topic := createTopic(t, 2)
	h := newProducerHooks("panicky", nil)
	h.panics = true
	ch := make(chan kfk.Delivery, n)
	p, err := kfk.NewProducer(conf(), kfk.WithDeliveryChan(ch), kfk.WithProducerInterceptor(h))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	ctx := testCtx(t, 90*time.Second)
	recs := records(topic, n)
	produceFromTwo(t, ctx, p, ch, recs)
	h.check(t, recs)

	ch2 := &consumerHooks{seen: map[[2]int64]int{}, panics: true}
	c := newConsumer(t, conf("group.id", unique("group"), "enable.auto.commit", "false"),
		kfk.WithInterceptor(ch2))
	assignAll(t, c, topic, 2, kfk.OffsetBeginning)
	msgs := consume(t, ctx, c, n)
	ch2.checkConsumed(t, msgs)
	if err := c.Commit(); err != nil {
		t.Fatalf("Commit with a panicking OnCommit: %v", err)
	}
	ch2.checkCommits(t, 1, msgs)
	for _, hook := range []string{"OnSend", "OnAcknowledgement", "OnConsume", "OnCommit"} {
		if !strings.Contains(logs.String(), hook+" panicked: "+hook+" fails") {
			t.Fatalf("no log of %s's panic in:\n%s", hook, logs.String())
		}
	}
}

// consumerHooks counts the messages OnConsume sees by (partition,
// offset) and keeps each OnCommit's result.
type consumerHooks struct {
	mu      sync.Mutex
	seen    map[[2]int64]int
	n       int
	commits []commitSeen
	panics  bool
}

type commitSeen struct {
	err     error
	offsets []kfk.TopicPartition
}

func (h *consumerHooks) OnConsume(msgs []*kfk.Message) {
	h.mu.Lock()
	for _, m := range msgs {
		h.seen[[2]int64{int64(m.Partition), m.Offset}]++
	}
	h.n += len(msgs)
	h.mu.Unlock()
	if h.panics {
		panic("OnConsume fails")
	}
}

func (h *consumerHooks) OnCommit(err error, offsets []kfk.TopicPartition) {
	h.mu.Lock()
	h.commits = append(h.commits, commitSeen{err, offsets})
	h.mu.Unlock()
	if h.panics {
		panic("OnCommit fails")
	}
}

func (h *consumerHooks) checkConsumed(t *testing.T, msgs []*kfk.Message) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n != len(msgs) || len(h.seen) != len(msgs) {
		t.Fatalf("OnConsume saw %d messages (%d distinct), the polls returned %d", h.n, len(h.seen), len(msgs))
	}
	for _, m := range msgs {
		if h.seen[[2]int64{int64(m.Partition), m.Offset}] != 1 {
			t.Fatalf("OnConsume missed %d/%d", m.Partition, m.Offset)
		}
	}
}

// checkCommits fails unless there were want commits, all successes, the
// last of positions after msgs and all of them together of every
// position after msgs (kfk leaves out a partition whose position was
// committed already, or is not known yet).
func (h *consumerHooks) checkCommits(t *testing.T, want int, msgs []*kfk.Message) {
	t.Helper()
	next := map[int32]int64{}
	for _, m := range msgs {
		next[m.Partition] = max(next[m.Partition], m.Offset+1)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.commits) != want {
		t.Fatalf("OnCommit called %d times, want %d", len(h.commits), want)
	}
	all := map[int32]int64{}
	for _, c := range h.commits {
		if c.err != nil {
			t.Fatalf("OnCommit got %v", c.err)
		}
		for _, tp := range c.offsets {
			all[tp.Partition] = tp.Offset
		}
	}
	for _, tp := range h.commits[want-1].offsets {
		if tp.Offset != next[tp.Partition] || tp.Err != nil {
			t.Fatalf("OnCommit got %+v; want the offsets %v", h.commits[want-1].offsets, next)
		}
	}
	for p, off := range next {
		if all[p] != off {
			t.Fatalf("OnCommit calls got %v; want the offsets %v", all, next)
		}
	}
}

// Consumer interceptors see every message polled once, and the offsets
// of a sync Commit before it returns, and of an async one from a poll.
func TestConsumerInterceptors(t *testing.T) {
	const n = 300
	topic := createTopic(t, 3)
	produceN(t, topic, 3, n)
	h := &consumerHooks{seen: map[[2]int64]int{}}
	c := newConsumer(t, conf("group.id", unique("group"), "enable.auto.commit", "false"),
		kfk.WithInterceptor(h))
	assignAll(t, c, topic, 3, kfk.OffsetBeginning)
	ctx := testCtx(t, 90*time.Second)
	msgs := consume(t, ctx, c, n/2)
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	h.checkCommits(t, 1, msgs)
	msgs = append(msgs, consume(t, ctx, c, n-len(msgs))...)
	h.checkConsumed(t, msgs)
	if err := c.CommitAsync(); err != nil {
		t.Fatal(err)
	}
	for {
		h.mu.Lock()
		got := len(h.commits)
		h.mu.Unlock()
		if got == 2 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no OnCommit for CommitAsync")
		}
		pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		more, err := c.PollBatch(pctx, 10)
		cancel()
		if len(more) > 0 || err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("poll after the last message: %d messages, %v", len(more), err)
		}
	}
	h.checkCommits(t, 2, msgs)
}

type consumeOnly struct{}

func (consumeOnly) OnConsume([]*kfk.Message) {}

// A value with no hook of the client's kind is refused by name.
func TestInterceptorWithoutHooks(t *testing.T) {
	for _, ic := range []any{struct{}{}, consumeOnly{}, 42} {
		_, err := kfk.NewProducer(conf(), kfk.WithProducerInterceptor(ic))
		if !errors.Is(err, kfk.ErrInvalidArg) || !strings.Contains(err.Error(), fmt.Sprintf("%T", ic)) {
			t.Fatalf("producer interceptor %T: %v", ic, err)
		}
	}
	for _, ic := range []any{struct{}{}, &sendOnly{}} {
		_, err := kfk.NewConsumer(conf(), kfk.WithInterceptor(ic))
		if !errors.Is(err, kfk.ErrInvalidArg) || !strings.Contains(err.Error(), fmt.Sprintf("%T", ic)) {
			t.Fatalf("consumer interceptor %T: %v", ic, err)
		}
	}
}

// nester produces another record from OnSend of the record trigger.
type nester struct {
	*producerHooks
	p       *kfk.Producer
	trigger *kfk.Record
	inner   *kfk.Record
	err     error
}

func (n *nester) OnSend(r *kfk.Record) {
	n.producerHooks.OnSend(r)
	if r == n.trigger {
		n.err = n.p.Produce(context.Background(), n.inner)
	}
}

// A record produced from OnSend is intercepted as any other, and the
// record whose OnSend produced it still gets its refusal.
func TestProducerInterceptorProducesFromOnSend(t *testing.T) {
	topic := createTopic(t, 1)
	n := &nester{producerHooks: newProducerHooks("n", nil),
		trigger: &kfk.Record{Topic: topic, Value: make([]byte, 4000)},
		inner:   &kfk.Record{Topic: topic, Value: []byte("inner")}}
	ch := make(chan kfk.Delivery, 4)
	p, err := kfk.NewProducer(conf("max.request.size", "2000"), kfk.WithDeliveryChan(ch),
		kfk.WithProducerInterceptor(n))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	n.p = p
	ctx := testCtx(t, 60*time.Second)
	if err := p.Produce(ctx, n.trigger); !errors.Is(err, kfk.ErrTooLarge) {
		t.Fatalf("Produce of 4000 bytes with max.request.size 2000: %v", err)
	}
	if n.err != nil {
		t.Fatalf("Produce from OnSend: %v", n.err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if d := <-ch; d.Record != n.inner || d.Err != nil {
		t.Fatalf("report of %q: %v", d.Record.Value, d.Err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sends[n.trigger] != 1 || n.acks[n.trigger] != 1 || !errors.Is(n.errs[n.trigger], kfk.ErrTooLarge) {
		t.Fatalf("refused record: sent %d, acknowledged %d with %v", n.sends[n.trigger],
			n.acks[n.trigger], n.errs[n.trigger])
	}
	if n.sends[n.inner] != 1 || n.acks[n.inner] != 1 || n.errs[n.inner] != nil || n.offs[n.inner] < 0 {
		t.Fatalf("inner record: sent %d, acknowledged %d with %v at %d", n.sends[n.inner],
			n.acks[n.inner], n.errs[n.inner], n.offs[n.inner])
	}
}
