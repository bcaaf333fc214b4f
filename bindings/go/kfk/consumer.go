package kfk

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"encoding/binary"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// Message is a consumed record. Its byte slices are the application's.
type Message struct {
	Topic         string
	Partition     int32
	Offset        int64
	Key           []byte // nil: a null key
	Value         []byte // nil: a null value
	Headers       []Header
	Timestamp     time.Time
	TimestampType TimestampType
	// LeaderEpoch is the epoch of the leader that wrote it; -1 unknown.
	LeaderEpoch int32
}

// TimestampType says who set a message's timestamp.
type TimestampType int8

const (
	TimestampNone          TimestampType = -1
	TimestampCreateTime    TimestampType = 0
	TimestampLogAppendTime TimestampType = 1
)

// RebalanceEvent says what a rebalance callback is told.
type RebalanceEvent int

const (
	// PartitionsAssigned: the partitions were added to the assignment.
	PartitionsAssigned RebalanceEvent = 1
	// PartitionsRevoked: they are about to leave in an orderly rebalance;
	// commit what was processed now.
	PartitionsRevoked RebalanceEvent = 2
	// PartitionsLost: they were lost without a chance to commit.
	PartitionsLost RebalanceEvent = 3
)

// ConsumerOption configures a Consumer beyond its properties.
type ConsumerOption func(*Consumer)

// WithRebalanceFunc calls fn at each change of a group member's
// assignment, on the goroutine that polls (or closes); fn may call the
// consumer's methods (Commit, Seek, ...) but not poll.
func WithRebalanceFunc(fn func(c *Consumer, ev RebalanceEvent, parts []TopicPartition)) ConsumerOption {
	return func(c *Consumer) { c.onRebalance = fn }
}

// WithCommitFunc calls fn with the result of every async and auto
// commit, on the goroutine that polls.
func WithCommitFunc(fn func(err error, offsets []TopicPartition)) ConsumerOption {
	return func(c *Consumer) { c.onCommit = fn }
}

// WithErrorFunc calls fn with the errors kfk reports outside any call
// (a fatal error, a broker refusing TLS or authentication, every broker
// down), on a kfk thread; fn must not block.
func WithErrorFunc(fn func(err error)) ConsumerOption {
	return func(c *Consumer) { c.onError = fn }
}

// pollSliceMs bounds each wait inside kfk so that a cancelled ctx is
// noticed within it.
const pollSliceMs = 100

// Consumer reads records from assigned partitions, or from those its
// group gives it. Its methods may be called from any goroutine; polls
// are serialised.
type Consumer struct {
	c           *C.kfk_consumer
	handle      cgo.Handle
	onRebalance func(*Consumer, RebalanceEvent, []TopicPartition)
	onCommit    func(error, []TopicPartition)
	onError     func(error)
	errHandle   errorHandle
	stats       statsFunc
	hooks       hooks
	optErr      error // an option's refusal, for NewConsumer

	pollMu  sync.Mutex // one poll at a time: st and pending are its
	st      *C.gokfk_cstate
	pending []error // message errors after the first of a batch
	topic   string  // the topic of the last message decoded
	buf     []byte  // PollInto's bytes, reused at every PollInto
	hdrs    []Header
	ptrs    []*Message // PollInto's messages, for the interceptors

	gate gate
}

// NewConsumer makes a consumer from conf; a property kfk refuses gives an
// *Error with code ErrConfig naming it.
func NewConsumer(conf Config, opts ...ConsumerOption) (*Consumer, error) {
	c := &Consumer{}
	for _, o := range opts {
		o(c)
	}
	if c.optErr != nil {
		return nil, c.optErr
	}
	cc, err := conf.newConf()
	if err != nil {
		return nil, err
	}
	c.st = C.gokfk_cstate_new()
	if c.st == nil {
		C.kfk_conf_destroy(cc)
		return nil, newError(C.KFK_ERR_NO_MEMORY, "")
	}
	c.handle = cgo.NewHandle(c)
	h := C.uintptr_t(c.handle)
	c.errHandle = newErrorHandle(cc, c.onError)
	if c.onRebalance != nil {
		C.gokfk_conf_set_rebalance(cc, h)
	}
	if c.onCommit != nil {
		C.gokfk_conf_set_commit(cc, h)
	}
	c.stats.set(cc)
	if c.hooks.commit != nil {
		if err := C.gokfk_conf_add_consumer_hooks(cc, h); err != C.KFK_OK {
			C.kfk_conf_destroy(cc)
			c.freeHandles()
			C.gokfk_cstate_free(c.st)
			return nil, newError(err, "kfk_conf_add_interceptor failed")
		}
	}
	var errbuf [512]C.char
	c.c = C.kfk_consumer_new(cc, &errbuf[0], C.size_t(len(errbuf)))
	if c.c == nil {
		c.freeHandles()
		C.gokfk_cstate_free(c.st)
		return nil, newError(C.KFK_ERR_CONFIG, C.GoString(&errbuf[0]))
	}
	return c, nil
}

// call runs fn, which calls kfk on c.c, and turns its error into an
// *Error with kfk's last-error text, read on the same thread.
func (c *Consumer) call(fn func(*C.kfk_consumer) C.kfk_err) error {
	if !c.gate.enter() {
		return ErrClosed
	}
	defer c.gate.exit()
	defer lockThread()()
	if err := fn(c.c); err != C.KFK_OK {
		return newError(err, C.GoString(C.kfk_consumer_last_error(c.c)))
	}
	return nil
}

// Subscribe joins the consumer's group (group.id) for topics, replacing
// any earlier subscription. Partitions come through the polls.
func (c *Consumer) Subscribe(topics ...string) error {
	cs := make([]*C.char, len(topics))
	for i, t := range topics {
		cs[i] = C.CString(t)
	}
	defer func() {
		for _, s := range cs {
			C.free(unsafe.Pointer(s))
		}
	}()
	// cs lives in C memory: the array of C strings must hold no Go pointer.
	arr := (**C.char)(C.malloc(C.size_t(len(cs)+1) * C.size_t(unsafe.Sizeof(cs[0]))))
	defer C.free(unsafe.Pointer(arr))
	copy(unsafe.Slice(arr, len(cs)+1), cs)
	return c.call(func(k *C.kfk_consumer) C.kfk_err {
		return C.kfk_consumer_subscribe(k, arr, C.size_t(len(cs)))
	})
}

// Unsubscribe leaves the group's subscription.
func (c *Consumer) Unsubscribe() error {
	return c.call(func(k *C.kfk_consumer) C.kfk_err { return C.kfk_consumer_unsubscribe(k) })
}

// Assign replaces the assignment with parts (their Offset: where to
// start, OffsetInvalid for the committed offset or auto.offset.reset).
func (c *Consumer) Assign(parts []TopicPartition) error {
	l, err := toCList(parts)
	if err != nil {
		return err
	}
	defer C.kfk_partition_list_destroy(l)
	return c.call(func(k *C.kfk_consumer) C.kfk_err { return C.kfk_consumer_assign(k, l) })
}

// Assignment is the current assignment with each partition's position.
func (c *Consumer) Assignment() ([]TopicPartition, error) {
	var out []TopicPartition
	err := c.call(func(k *C.kfk_consumer) C.kfk_err {
		l := C.kfk_consumer_assignment(k)
		if l == nil {
			return C.KFK_ERR_NO_MEMORY
		}
		out = fromCList(l)
		C.kfk_partition_list_destroy(l)
		return C.KFK_OK
	})
	return out, err
}

// Seek moves an assigned partition's position to offset (an offset,
// OffsetBeginning or OffsetEnd).
func (c *Consumer) Seek(topic string, partition int32, offset int64) error {
	ct := C.CString(topic)
	defer C.free(unsafe.Pointer(ct))
	return c.call(func(k *C.kfk_consumer) C.kfk_err {
		return C.kfk_consumer_seek(k, ct, C.int32_t(partition), C.int64_t(offset))
	})
}

// Position is the offset of the next message a poll hands out for the
// partition; OffsetInvalid while unknown.
func (c *Consumer) Position(topic string, partition int32) (int64, error) {
	ct := C.CString(topic)
	defer C.free(unsafe.Pointer(ct))
	var off C.int64_t
	err := c.call(func(k *C.kfk_consumer) C.kfk_err {
		return C.kfk_consumer_position(k, ct, C.int32_t(partition), &off)
	})
	return int64(off), err
}

// Commit commits offsets to the group and waits for the answer (at most
// default.api.timeout.ms). No offsets: the current positions of every
// assigned partition.
func (c *Consumer) Commit(offsets ...TopicPartition) error { return c.commit(offsets, false) }

// CommitAsync commits as Commit does without waiting; the result goes to
// the commit function (WithCommitFunc) from a later poll.
func (c *Consumer) CommitAsync(offsets ...TopicPartition) error { return c.commit(offsets, true) }

func (c *Consumer) commit(offsets []TopicPartition, async bool) error {
	var l *C.kfk_partition_list
	if len(offsets) > 0 {
		var err error
		if l, err = toCList(offsets); err != nil {
			return err
		}
		defer C.kfk_partition_list_destroy(l)
	}
	return c.call(func(k *C.kfk_consumer) C.kfk_err {
		return C.kfk_consumer_commit(k, l, C.bool(async))
	})
}

// Committed gives the group's committed offsets for parts (OffsetInvalid
// where there is none), waiting at most until ctx's deadline (without
// one: default.api.timeout.ms).
func (c *Consumer) Committed(ctx context.Context, parts []TopicPartition) ([]TopicPartition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l, err := toCList(parts)
	if err != nil {
		return nil, err
	}
	defer C.kfk_partition_list_destroy(l)
	err = c.call(func(k *C.kfk_consumer) C.kfk_err {
		return C.kfk_consumer_committed(k, l, C.int(timeoutMs(ctx, -1)))
	})
	if err != nil {
		return nil, err
	}
	return fromCList(l), nil
}

// Watermarks gives the partition's low and high watermarks, asked of its
// leader now.
func (c *Consumer) Watermarks(ctx context.Context, topic string, partition int32) (low, high int64, err error) {
	ct := C.CString(topic)
	defer C.free(unsafe.Pointer(ct))
	var lo, hi C.int64_t
	err = c.call(func(k *C.kfk_consumer) C.kfk_err {
		return C.kfk_consumer_query_watermarks(k, ct, C.int32_t(partition), &lo, &hi,
			C.int(timeoutMs(ctx, -1)))
	})
	return int64(lo), int64(hi), err
}

// MemberID is the id the group coordinator gave this member ("" before
// the first join).
func (c *Consumer) MemberID() string {
	var buf [256]C.char
	if !c.gate.enter() {
		return ""
	}
	defer c.gate.exit()
	C.kfk_consumer_member_id(c.c, &buf[0], C.size_t(len(buf)))
	return C.GoString(&buf[0])
}

// Poll waits for the next message until ctx ends. A message that carries
// an error (a partition's end with EnablePartitionEOF, an offset out of
// range with auto.offset.reset=none, a group error) comes back as an
// *Error with its Topic, Partition and Offset.
func (c *Consumer) Poll(ctx context.Context) (*Message, error) {
	msgs, err := c.PollBatch(ctx, 1)
	if len(msgs) > 0 {
		return msgs[0], err
	}
	return nil, err
}

// PollBatch waits until ctx ends for at least one message and returns
// up to max (and at most max.poll.records) of those fetched, in one call
// into kfk. When a message carries an error, the messages before it come
// back with that error; later errors come from the next polls. The
// messages own their memory: keep them as long as you like (one poll's
// messages share one allocation for their bytes). PollInto allocates
// nothing per poll.
func (c *Consumer) PollBatch(ctx context.Context, max int) ([]*Message, error) {
	if max < 1 {
		max = 1
	}
	var msgs []*Message
	_, err := c.pollWait(ctx, func(timeout int) (int, error, bool) {
		var err error
		var closed bool
		msgs, err, closed = c.pollOnce(max, timeout)
		return len(msgs), err, closed
	})
	return msgs, err
}

// PollInto is PollBatch without allocation: it waits until ctx ends for
// at least one message and fills msgs[:n] with up to len(msgs) of them
// (at most max.poll.records), errors as for PollBatch.
//
// Ownership: the Message values are the caller's; PollInto overwrites
// msgs[:n] and nothing else. Each message's Key, Value and Headers (the
// slice and its values' bytes) point into memory the consumer reuses at
// its next PollInto: they are valid until then, and no longer, so copy
// what must outlive that call (bytes.Clone, slices.Clone). Topic and
// header keys are strings and stay valid. Poll and PollBatch never reuse
// that memory. The consumer keeps it for later PollIntos, sized to the
// largest poll's bytes (past 8 MiB, let go when polls need far less).
// An empty msgs gives ErrInvalidArg.
func (c *Consumer) PollInto(ctx context.Context, msgs []Message) (int, error) {
	if len(msgs) == 0 {
		return 0, &Error{Code: ErrInvalidArg, Partition: -1, Offset: -1,
			Message: "kfk: PollInto needs room for at least one message"}
	}
	return c.pollWait(ctx, func(timeout int) (int, error, bool) {
		return c.pollInto(msgs, timeout)
	})
}

// pollWait calls once, in slices of up to pollSliceMs, until it gets
// messages or an error or ctx ends; first, it returns the next error a
// batch left pending.
func (c *Consumer) pollWait(ctx context.Context, once func(timeout int) (int, error, bool)) (int, error) {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	if len(c.pending) > 0 {
		err := c.pending[0]
		c.pending = c.pending[1:]
		return 0, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		slice := timeoutMs(ctx, pollSliceMs)
		if slice > pollSliceMs {
			slice = pollSliceMs
		}
		n, err, closed := once(slice)
		if closed {
			return 0, ErrClosed
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// pollInto polls once into msgs and the consumer's reused buffers.
func (c *Consumer) pollInto(msgs []Message, timeout int) (int, error, bool) {
	if !c.gate.enter() {
		return 0, nil, true
	}
	defer c.gate.exit()
	n, err := c.pollC(len(msgs), timeout)
	if n == 0 {
		return 0, err, false
	}
	metas := unsafe.Slice(c.st.msgs, n)
	c.buf = pollBuffer(c.buf, int(c.st.len))
	C.gokfk_consumer_copy(c.st, (*C.uint8_t)(unsafe.SliceData(c.buf)))
	nh := 0
	for i := range metas {
		nh += int(metas[i].n_headers)
	}
	if cap(c.hdrs) < nh {
		c.hdrs = make([]Header, 0, nh)
	}
	c.hdrs = c.hdrs[:0]
	k, err := c.decode(msgs, metas, c.buf, &c.hdrs)
	if c.hooks.consume != nil && k > 0 {
		c.ptrs = c.ptrs[:0]
		for i := range msgs[:k] {
			c.ptrs = append(c.ptrs, &msgs[i])
		}
		c.hooks.onConsume(c.ptrs)
		clear(c.ptrs)
	}
	return k, err, false
}

// pollOnce polls once into fresh memory, which the messages own.
func (c *Consumer) pollOnce(max, timeout int) ([]*Message, error, bool) {
	if !c.gate.enter() {
		return nil, nil, true
	}
	defer c.gate.exit()
	n, err := c.pollC(max, timeout)
	if n == 0 {
		return nil, err, false
	}
	metas := unsafe.Slice(c.st.msgs, n)
	// The bytes go straight from kfk's messages into Go memory, which the
	// messages handed out then share.
	data := make([]byte, int(c.st.len))
	C.gokfk_consumer_copy(c.st, (*C.uint8_t)(unsafe.SliceData(data)))
	store := make([]Message, n)
	k, err := c.decode(store, metas, data, nil)
	out := make([]*Message, k)
	for i := range out {
		out[i] = &store[i]
	}
	if c.hooks.consume != nil && k > 0 {
		c.hooks.onConsume(out)
	}
	return out, err, false
}

// maxKeptPollBuffer is the size past which PollInto lets its buffer go
// once polls need under a quarter of it: one poll of large messages
// should not hold its memory for the consumer's life.
const maxKeptPollBuffer = 8 << 20

// pollBuffer is buf resized to need bytes: reused while it has room (and
// is not far too large), otherwise new with room to spare, so that
// slightly larger polls fit.
func pollBuffer(buf []byte, need int) []byte {
	if cap(buf) < need || (cap(buf) > maxKeptPollBuffer && need < cap(buf)/4) {
		return make([]byte, need, need+need/2)
	}
	return buf[:need]
}

// pollC polls kfk for up to max messages and lays them out in c.st.
func (c *Consumer) pollC(max, timeout int) (int, error) {
	n := C.gokfk_consumer_poll(c.c, c.st, C.size_t(max), C.int(timeout))
	if n == ^C.size_t(0) {
		return 0, newError(C.KFK_ERR_NO_MEMORY, "kfk: out of memory copying messages")
	}
	return int(n), nil
}

// decode fills dst with the messages of one poll whose bytes are in data
// and returns how many it filled (a message that carries an error takes
// none: its error is returned, or queued when it is not the first). The
// headers come from *hdrs while it has room (nil: fresh ones).
func (c *Consumer) decode(dst []Message, metas []C.gokfk_msg, data []byte, hdrs *[]Header) (int, error) {
	var first error
	k := 0
	for i := range metas {
		md := &metas[i]
		topic := c.topicOf(data[md.topic_off : md.topic_off+C.int64_t(md.topic_len)])
		if md.err != 0 {
			e := &Error{Code: ErrorCode(md.err), Topic: topic, Partition: int32(md.partition),
				Offset: int64(md.offset)}
			if first == nil {
				first = e
			} else {
				c.pending = append(c.pending, e)
			}
			continue
		}
		m := &dst[k]
		k++
		m.Topic = topic
		m.Partition = int32(md.partition)
		m.Offset = int64(md.offset)
		m.LeaderEpoch = int32(md.leader_epoch)
		m.TimestampType = TimestampType(md.ts_type)
		m.Timestamp = time.Time{}
		if m.TimestampType != TimestampNone {
			m.Timestamp = time.UnixMilli(int64(md.timestamp_ms))
		}
		m.Key = slice(data, int64(md.key_off), int64(md.key_len))
		m.Value = slice(data, int64(md.val_off), int64(md.val_len))
		m.Headers = nil
		if md.n_headers > 0 {
			m.Headers = decodeHeaders(data[md.hdr_off:], takeHeaders(hdrs, int(md.n_headers)))
		}
	}
	return k, first
}

// topicOf is the topic named by b: the string of the last poll's topic
// while it repeats, so that a poll allocates no string for it.
func (c *Consumer) topicOf(b []byte) string {
	if string(b) != c.topic {
		c.topic = string(b)
	}
	return c.topic
}

// takeHeaders cuts n headers from *pool, or makes them when it has no
// room (or pool is nil).
func takeHeaders(pool *[]Header, n int) []Header {
	if pool == nil || cap(*pool)-len(*pool) < n {
		return make([]Header, n)
	}
	l := len(*pool)
	*pool = (*pool)[:l+n]
	return (*pool)[l : l+n : l+n]
}

func slice(data []byte, off, n int64) []byte {
	if n < 0 {
		return nil
	}
	return data[off : off+n : off+n]
}

// decodeHeaders fills hs from b, the shim's encoding of len(hs) headers.
func decodeHeaders(b []byte, hs []Header) []Header {
	for i := range hs {
		nl := int64(binary.NativeEndian.Uint32(b))
		b = b[4:]
		hs[i].Key = string(b[:nl])
		b = b[nl:]
		vl := int64(binary.NativeEndian.Uint64(b))
		b = b[8:]
		hs[i].Value = slice(b, 0, vl)
		if vl > 0 {
			b = b[vl:]
		}
	}
	return hs
}

// EnablePartitionEOF makes polls report ErrPartitionEof each time a
// partition's end is reached.
func (c *Consumer) EnablePartitionEOF(enable bool) {
	if c.gate.enter() {
		C.kfk_consumer_report_eof(c.c, C.bool(enable))
		c.gate.exit()
	}
}

// Close commits (enable.auto.commit), revokes, leaves the group and
// stops the consumer, within ctx's deadline (without one: 30 s). Polls
// running meanwhile return ErrClosed.
func (c *Consumer) Close(ctx context.Context) error {
	if !c.gate.beginClose() {
		return ErrClosed
	}
	// kfk_consumer_close wakes polls (they return nothing from then on)
	// and runs the last callbacks, which may still call the consumer.
	err := C.kfk_consumer_close(c.c, C.int(timeoutMs(ctx, -1)))
	c.gate.shut()
	C.kfk_consumer_destroy(c.c)
	c.pollMu.Lock()
	C.gokfk_cstate_free(c.st)
	c.st = nil
	c.pollMu.Unlock()
	c.freeHandles()
	return newError(err, "")
}

// freeHandles lets go of what carried Go functions to kfk.
func (c *Consumer) freeHandles() {
	c.handle.Delete()
	c.errHandle.delete()
	c.stats.delete()
}
