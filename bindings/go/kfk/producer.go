package kfk

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"encoding/binary"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// AnyPartition lets the producer's partitioner choose a record's partition.
const AnyPartition int32 = -1

// Header is a record header; a nil Value is a null value.
type Header struct {
	Key   string
	Value []byte
}

// Record is a record to produce. The producer fills Partition, Offset and
// Timestamp when the record is delivered.
type Record struct {
	Topic string
	// Partition is a partition, or AnyPartition for the partitioner's
	// choice. The zero value is partition 0.
	Partition int32
	Key       []byte // nil: a null key
	Value     []byte // nil: a null value (a tombstone)
	Headers   []Header
	// Timestamp is the record's CreateTime; the zero time means now.
	Timestamp time.Time
	// Offset is set on delivery (-1 with acks=0).
	Offset int64
	// Opaque is the application's, untouched by kfk.
	Opaque any
}

// Delivery is a record's delivery report: Err is nil when it was written.
type Delivery struct {
	Record *Record
	Err    error
}

// ProducerOption configures a Producer beyond its properties.
type ProducerOption func(*Producer)

// WithDeliveryFunc calls fn once for every record Produce accepted, from
// the producer's one reporting goroutine, in delivery order per
// partition. fn must not block for long: reports wait behind it.
func WithDeliveryFunc(fn func(Delivery)) ProducerOption {
	return func(p *Producer) { p.onDelivery = fn }
}

// WithDeliveryChan sends every record's report to ch; a full channel
// holds up all reports, so size it or drain it.
func WithDeliveryChan(ch chan<- Delivery) ProducerOption {
	return func(p *Producer) { p.onDelivery = func(d Delivery) { ch <- d } }
}

// WithProducerErrorFunc calls fn with the errors kfk reports outside any
// call (a fatal error, such as an idempotent producer fenced; a broker
// refusing TLS or authentication; every broker down), on a kfk thread;
// fn must not block.
func WithProducerErrorFunc(fn func(err error)) ProducerOption {
	return func(p *Producer) { p.onError = fn }
}

// Producer writes records to Kafka. Its methods may be called from any
// number of goroutines.
type Producer struct {
	c          *C.kfk_producer
	st         *C.gokfk_pstate
	onDelivery func(Delivery)
	onError    func(error)
	errHandle  errorHandle
	recsBuf    []*Record // deliverSome's, under drainMu
	stats      statsFunc
	hooks      hooks
	handle     cgo.Handle // the interceptors', when there are any
	optErr     error      // an option's refusal, for NewProducer

	slotsMu sync.Mutex
	slots   []*Record // in flight, by report id - 1
	free    []uint32

	inflight atomic.Int64
	drainMu  sync.Mutex // one taker of reports at a time, so order holds

	encMu sync.Mutex
	encs  []*encoder // idle, see getEncoder
	gate  gate
	stop  chan struct{}
	done  chan struct{}
}

// NewProducer makes a producer from conf; a property kfk refuses gives an
// *Error with code ErrConfig naming it.
func NewProducer(conf Config, opts ...ProducerOption) (*Producer, error) {
	p := &Producer{stop: make(chan struct{}), done: make(chan struct{})}
	for _, o := range opts {
		o(p)
	}
	if p.optErr != nil {
		return nil, p.optErr
	}
	cc, err := conf.newConf()
	if err != nil {
		return nil, err
	}
	if err := p.addProducerHooks(cc); err != nil {
		C.kfk_conf_destroy(cc)
		p.freeHandles()
		return nil, err
	}
	p.st = C.gokfk_pstate_new()
	if p.st == nil {
		C.kfk_conf_destroy(cc)
		p.freeHandles()
		return nil, newError(C.KFK_ERR_NO_MEMORY, "")
	}
	C.gokfk_conf_set_dr(cc, p.st)
	p.errHandle = newErrorHandle(cc, p.onError)
	p.stats.set(cc)
	var errbuf [512]C.char
	p.c = C.kfk_producer_new(cc, &errbuf[0], C.size_t(len(errbuf)))
	if p.c == nil {
		p.freeHandles()
		C.gokfk_pstate_free(p.st)
		return nil, newError(C.KFK_ERR_CONFIG, C.GoString(&errbuf[0]))
	}
	p.recsBuf = make([]*Record, deliverChunk)
	go p.reportLoop()
	return p, nil
}

// encoder lays records out in one buffer for gokfk_produce_batch.
type encoder struct {
	buf  []byte
	recs []C.gokfk_prec
	ids  []uint32
	// topic was written at topicOff; records of the same topic share it.
	topic    string
	topicOff int64
	// gokfk_produce_batch's error and its text, for a refused record.
	cerr   C.kfk_err
	errbuf [256]C.char
}

func (e *encoder) reset() {
	e.buf, e.recs, e.ids = e.buf[:0], e.recs[:0], e.ids[:0]
	e.topic, e.topicOff = "", -1
}

func (e *encoder) bytes(b []byte) (off, n int64) {
	if b == nil {
		return 0, -1
	}
	off = int64(len(e.buf))
	e.buf = append(e.buf, b...)
	return off, int64(len(b))
}

func (e *encoder) add(r *Record, id uint64) {
	var pr C.gokfk_prec
	if r.Topic != e.topic || e.topicOff < 0 {
		e.topic, e.topicOff = r.Topic, int64(len(e.buf))
		e.buf = append(e.buf, r.Topic...)
	}
	pr.topic_off = C.int64_t(e.topicOff)
	pr.topic_len = C.int32_t(len(r.Topic))
	ko, kl := e.bytes(r.Key)
	vo, vl := e.bytes(r.Value)
	pr.key_off, pr.key_len = C.int64_t(ko), C.int64_t(kl)
	pr.val_off, pr.val_len = C.int64_t(vo), C.int64_t(vl)
	pr.hdr_off = C.int64_t(len(e.buf))
	pr.n_headers = C.int32_t(len(r.Headers))
	for _, h := range r.Headers {
		e.buf = binary.NativeEndian.AppendUint32(e.buf, uint32(len(h.Key)))
		e.buf = append(e.buf, h.Key...)
		vlen := int64(-1)
		if h.Value != nil {
			vlen = int64(len(h.Value))
		}
		e.buf = binary.NativeEndian.AppendUint64(e.buf, uint64(vlen))
		e.buf = append(e.buf, h.Value...)
	}
	pr.partition = C.int32_t(r.Partition)
	if !r.Timestamp.IsZero() {
		pr.timestamp_ms = C.int64_t(r.Timestamp.UnixMilli())
	}
	pr.id = C.uint64_t(id)
	e.recs = append(e.recs, pr)
}

// Produce queues rec for delivery; its report follows through the
// delivery function or channel. It returns once kfk has copied the
// record: rec's byte slices may be reused, rec itself belongs to the
// producer until its report. Without an error exactly one report
// follows; with one (a refused record: an invalid topic, ErrTooLarge,
// ErrQueueFull after max.block.ms, ...) none does. It may block while
// the topic's metadata is unknown or buffer.memory is full, up to
// max.block.ms; ctx is checked before.
func (p *Producer) Produce(ctx context.Context, rec *Record) error {
	one := [1]*Record{rec}
	_, err := p.ProduceBatch(ctx, one[:])
	return err
}

// ProduceBatch queues recs in order, in one call into kfk, and returns
// how many were accepted: on an error, recs[n] was refused and the ones
// after it were not tried. Each accepted record gets one report.
func (p *Producer) ProduceBatch(ctx context.Context, recs []*Record) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !p.gate.enter() {
		return 0, ErrClosed
	}
	defer p.gate.exit()
	if len(recs) == 0 {
		return 0, nil
	}
	e := p.getEncoder()
	defer p.putEncoder(e)
	ids := p.takeSlots(recs, e.ids)
	e.ids = ids
	for i, r := range recs {
		e.add(r, uint64(ids[i]))
	}
	p.inflight.Add(int64(len(recs)))
	n := int(C.gokfk_produce_batch(p.c, (*C.uint8_t)(unsafe.SliceData(e.buf)),
		unsafe.SliceData(e.recs), C.size_t(len(e.recs)), C.int(p.hooks.n), &e.cerr, &e.errbuf[0],
		C.size_t(len(e.errbuf))))
	if n == len(recs) {
		return n, nil
	}
	p.inflight.Add(int64(n - len(recs)))
	p.releaseSlots(ids[n:])
	return n, newError(e.cerr, C.GoString(&e.errbuf[0]))
}

// Idle encoders are kept on the producer rather than in a sync.Pool,
// which empties at every garbage collection: a fresh encoder's buffers
// are fresh memory, page faults included. Up to maxIdleEncoders (one per
// concurrent ProduceBatch) stay, each while under maxIdleEncoderBytes, so
// an idle producer holds at most 16 MiB of them.
const (
	maxIdleEncoders     = 4
	maxIdleEncoderBytes = 4 << 20
)

func (p *Producer) getEncoder() *encoder {
	p.encMu.Lock()
	var e *encoder
	if n := len(p.encs); n > 0 {
		e = p.encs[n-1]
		p.encs[n-1] = nil
		p.encs = p.encs[:n-1]
	}
	p.encMu.Unlock()
	if e == nil {
		e = new(encoder)
	}
	e.reset()
	return e
}

func (p *Producer) putEncoder(e *encoder) {
	if cap(e.buf)+cap(e.recs)*int(unsafe.Sizeof(C.gokfk_prec{})) > maxIdleEncoderBytes {
		return
	}
	p.encMu.Lock()
	if len(p.encs) < maxIdleEncoders {
		p.encs = append(p.encs, e)
	}
	p.encMu.Unlock()
}

// takeSlots gives each record an id (its slot + 1) for its report.
func (p *Producer) takeSlots(recs []*Record, ids []uint32) []uint32 {
	if cap(ids) < len(recs) {
		ids = make([]uint32, len(recs))
	}
	ids = ids[:len(recs)]
	p.slotsMu.Lock()
	for i, r := range recs {
		var s uint32
		if n := len(p.free); n > 0 {
			s = p.free[n-1]
			p.free = p.free[:n-1]
			p.slots[s] = r
		} else {
			s = uint32(len(p.slots))
			p.slots = append(p.slots, r)
		}
		ids[i] = s + 1
	}
	p.slotsMu.Unlock()
	return ids
}

func (p *Producer) releaseSlots(ids []uint32) {
	p.slotsMu.Lock()
	for _, id := range ids {
		p.slots[id-1] = nil
		p.free = append(p.free, id-1)
	}
	p.slotsMu.Unlock()
}

// reportLoop is the producer's one goroutine: it polls kfk for delivery
// reports and hands them out. It keeps one OS thread of its own, which
// no Produce can then run on: kfk lets a Produce blocked on
// buffer.memory wait for unserved reports only when another thread
// serves them.
func (p *Producer) reportLoop() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		default:
		}
		p.drainMu.Lock()
		var drs *C.gokfk_dr
		n := int(C.gokfk_producer_poll(p.c, p.st, 0, &drs))
		if n > 0 {
			p.deliver(unsafe.Slice(drs, n))
		}
		p.drainMu.Unlock()
		if n == 0 {
			// Wait outside drainMu so that Flush can take reports meanwhile.
			C.gokfk_producer_wait(p.c, p.st, 100)
		}
	}
}

// drain hands out every report kfk has served; drainMu must be held.
func (p *Producer) drain() {
	for {
		var drs *C.gokfk_dr
		n := int(C.gokfk_take_reports(p.st, &drs))
		if n == 0 {
			return
		}
		p.deliver(unsafe.Slice(drs, n))
	}
}

// deliverChunk bounds the records deliver looks up under one slotsMu hold.
const deliverChunk = 1024

// deliver hands out drs, which point into C memory that stays valid until
// the next take; drainMu must be held.
func (p *Producer) deliver(drs []C.gokfk_dr) {
	for len(drs) > 0 {
		k := min(len(drs), deliverChunk)
		p.deliverSome(drs[:k])
		drs = drs[k:]
	}
}

func (p *Producer) deliverSome(drs []C.gokfk_dr) {
	recs := p.recsBuf[:len(drs)]
	p.slotsMu.Lock()
	for i := range drs {
		s := uint32(drs[i].id) - 1
		recs[i] = p.slots[s]
		p.slots[s] = nil
		p.free = append(p.free, s)
	}
	p.slotsMu.Unlock()
	for i := range drs {
		d := &drs[i]
		r := recs[i]
		r.Partition = int32(d.partition)
		r.Offset = int64(d.offset)
		if d.timestamp_ms > 0 {
			r.Timestamp = time.UnixMilli(int64(d.timestamp_ms))
		}
		var err error
		if d.err != 0 {
			err = &Error{Code: ErrorCode(d.err), Topic: r.Topic, Partition: r.Partition, Offset: -1}
		}
		if p.hooks.ack != nil {
			p.hooks.onAck(Delivery{Record: r, Err: err})
		}
		if p.onDelivery != nil {
			p.onDelivery(Delivery{Record: r, Err: err})
		}
	}
	clear(recs)
	p.inflight.Add(-int64(len(drs)))
}

// Flush sends every queued record now and waits until each record
// produced before it has had its report handed out, or ctx ends (then it
// returns ctx's error; the records stay queued).
func (p *Producer) Flush(ctx context.Context) error {
	if !p.gate.enter() {
		return ErrClosed
	}
	defer p.gate.exit()
	for {
		slice := timeoutMs(ctx, 100)
		if slice > 100 {
			slice = 100
		}
		err := C.kfk_producer_flush(p.c, C.int(slice))
		p.drainMu.Lock()
		p.drain()
		p.drainMu.Unlock()
		if err == C.KFK_OK {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
}

// Len is the number of records produced whose reports have not yet been
// handed out.
func (p *Producer) Len() int { return int(p.inflight.Load()) }

// Purge fails every record not yet sent with ErrPurged (their reports
// follow); records already sent complete.
func (p *Producer) Purge() error {
	if !p.gate.enter() {
		return ErrClosed
	}
	defer p.gate.exit()
	return newError(C.kfk_producer_purge(p.c), "")
}

// Close flushes until ctx ends, then destroys the producer: records still
// outstanding get ErrDestroyed reports, handed out before Close returns.
// It returns the flush's error. Calls after Close return ErrClosed.
func (p *Producer) Close(ctx context.Context) error {
	if !p.gate.beginClose() {
		return ErrClosed
	}
	ferr := p.Flush(ctx)
	p.gate.shut()
	close(p.stop)
	C.gokfk_pstate_stop(p.st)
	<-p.done
	C.kfk_producer_destroy(p.c)
	p.drainMu.Lock()
	p.drain()
	p.drainMu.Unlock()
	C.gokfk_pstate_free(p.st)
	p.freeHandles()
	p.c, p.st = nil, nil
	return ferr
}

// freeHandles lets go of what carried Go functions to kfk.
func (p *Producer) freeHandles() {
	p.errHandle.delete()
	p.stats.delete()
	if p.handle != 0 {
		p.handle.Delete()
		p.handle = 0
	}
}
