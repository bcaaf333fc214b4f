package kfk

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"log"
	"runtime/cgo"
	"sync/atomic"
)

// SendInterceptor's OnSend sees each record Produce or ProduceBatch hands
// to kfk, once, on the producing goroutine, before kfk partitions it (its
// Partition may still be AnyPartition). It adds to every Produce: keep it
// short.
type SendInterceptor interface {
	OnSend(rec *Record)
}

// AcknowledgementInterceptor's OnAcknowledgement sees the report of each
// record OnSend saw, once: on the producer's reporting goroutine (or in
// Flush or Close) just before the delivery function gets the same
// report, with Partition, Offset and Timestamp filled in; or, for a
// record kfk refused (Produce returns the error and no report follows),
// on the producing goroutine with that error.
type AcknowledgementInterceptor interface {
	OnAcknowledgement(d Delivery)
}

// ConsumeInterceptor's OnConsume sees the messages of each Poll,
// PollBatch or PollInto, on the polling goroutine, before they are
// returned (a message that carries an error is not among them). A
// PollInto's messages are valid only until its next call: OnConsume
// must not keep them.
type ConsumeInterceptor interface {
	OnConsume(msgs []*Message)
}

// CommitInterceptor's OnCommit sees each commit's result with the
// offsets tried: a Commit's on its goroutine before it returns, async
// and auto commits' on the polling goroutine (before the commit
// function), or in Close for its last commit. A Commit that timed out
// before its answer came gets none.
type CommitInterceptor interface {
	OnCommit(err error, offsets []TopicPartition)
}

// WithProducerInterceptor adds ic, a SendInterceptor, an
// AcknowledgementInterceptor or both, after those added before.
//
// Interceptors see records pass through a client, as Java's
// interceptor.classes do: for metrics, tracing or auditing. An
// interceptor is any value with one or more hooks, each an interface of
// its own (SendInterceptor, AcknowledgementInterceptor for a producer;
// ConsumeInterceptor, CommitInterceptor for a consumer); a value with
// none of the client's fails the constructor with ErrInvalidArg.
// Several interceptors are called in the order their options came.
//
// Hooks must not change what they are given: the records and messages
// are the application's. A hook that panics is recovered: the panic is
// logged (package log; the first ten of each hook, then every
// thousandth) and otherwise ignored, as kfk ignores a C interceptor's
// error, so the record or commit goes on as if nothing happened. Hooks
// run on the application's goroutines, never on a kfk thread, several at
// once when several goroutines produce; they may call the client's
// methods except Flush, Close and the polls. Without interceptors,
// Produce costs what it did.
func WithProducerInterceptor(ic any) ProducerOption {
	return func(p *Producer) {
		send, sok := ic.(SendInterceptor)
		ack, aok := ic.(AcknowledgementInterceptor)
		if !sok && !aok {
			p.optErr = hookless("WithProducerInterceptor", ic, "OnSend or OnAcknowledgement")
			return
		}
		p.hooks.n++
		if sok {
			p.hooks.send = append(p.hooks.send, send)
		}
		if aok {
			p.hooks.ack = append(p.hooks.ack, ack)
		}
	}
}

// WithInterceptor adds ic, a ConsumeInterceptor, a CommitInterceptor or
// both, to the consumer, after those added before; a value with neither
// fails NewConsumer with ErrInvalidArg. Panics and threads: as for
// WithProducerInterceptor.
func WithInterceptor(ic any) ConsumerOption {
	return func(c *Consumer) {
		cons, cok := ic.(ConsumeInterceptor)
		com, mok := ic.(CommitInterceptor)
		if !cok && !mok {
			c.optErr = hookless("WithInterceptor", ic, "OnConsume or OnCommit")
			return
		}
		c.hooks.n++
		if cok {
			c.hooks.consume = append(c.hooks.consume, cons)
		}
		if mok {
			c.hooks.commit = append(c.hooks.commit, com)
		}
	}
}

func hookless(opt string, ic any, want string) error {
	return &Error{Code: ErrInvalidArg, Partition: -1, Offset: -1,
		Message: fmt.Sprintf("kfk: %s: %T has no interceptor method (%s)", opt, ic, want)}
}

// hooks are a client's interceptors, by hook.
type hooks struct {
	n       int // interceptors added
	send    []SendInterceptor
	ack     []AcknowledgementInterceptor
	consume []ConsumeInterceptor
	commit  []CommitInterceptor
	panics  [4]atomic.Int64 // by hook, so that each one's first are logged
}

// Hooks, as they index hooks.panics.
const (
	hookSend = iota
	hookAck
	hookConsume
	hookCommit
)

var hookNames = [...]string{"OnSend", "OnAcknowledgement", "OnConsume", "OnCommit"}

// recovered logs a hook's panic, as kfk logs a C hook's error: the first
// ten of each hook, then every thousandth.
func (h *hooks) recovered(ic any, hook int, v any) {
	n := h.panics[hook].Add(1)
	if n <= 10 || n%1000 == 0 {
		log.Printf("kfk: interceptor %T: %s panicked: %v (ignored; %d so far)", ic, hookNames[hook], v, n)
	}
}

func (h *hooks) onSend(r *Record) {
	for _, ic := range h.send {
		func() {
			defer func() {
				if v := recover(); v != nil {
					h.recovered(ic, hookSend, v)
				}
			}()
			ic.OnSend(r)
		}()
	}
}

func (h *hooks) onAck(d Delivery) {
	for _, ic := range h.ack {
		func() {
			defer func() {
				if v := recover(); v != nil {
					h.recovered(ic, hookAck, v)
				}
			}()
			ic.OnAcknowledgement(d)
		}()
	}
}

func (h *hooks) onConsume(msgs []*Message) {
	for _, ic := range h.consume {
		func() {
			defer func() {
				if v := recover(); v != nil {
					h.recovered(ic, hookConsume, v)
				}
			}()
			ic.OnConsume(msgs)
		}()
	}
}

func (h *hooks) onCommit(err error, offsets []TopicPartition) {
	for _, ic := range h.commit {
		func() {
			defer func() {
				if v := recover(); v != nil {
					h.recovered(ic, hookCommit, v)
				}
			}()
			ic.OnCommit(err, offsets)
		}()
	}
}

// addProducerHooks gives conf the C interceptor that carries p's.
func (p *Producer) addProducerHooks(conf *C.kfk_conf) error {
	if p.hooks.n == 0 {
		return nil
	}
	p.handle = cgo.NewHandle(p)
	err := C.gokfk_conf_add_producer_hooks(conf, C.uintptr_t(p.handle),
		C.int(len(p.hooks.send)), C.int(len(p.hooks.ack)))
	return newError(err, "kfk_conf_add_interceptor failed")
}

// record is the record in flight with report id id.
func (p *Producer) record(id C.uint64_t) *Record {
	p.slotsMu.Lock()
	defer p.slotsMu.Unlock()
	return p.slots[uint32(id)-1]
}

//export gokfkOnSend
func gokfkOnSend(h C.uintptr_t, id C.uint64_t) {
	p := cgo.Handle(h).Value().(*Producer)
	p.hooks.onSend(p.record(id))
}

//export gokfkOnRefused
func gokfkOnRefused(h C.uintptr_t, id C.uint64_t, code C.int) {
	p := cgo.Handle(h).Value().(*Producer)
	r := p.record(id)
	p.hooks.onAck(Delivery{Record: r, Err: &Error{Code: ErrorCode(code), Topic: r.Topic,
		Partition: r.Partition, Offset: -1}})
}

//export gokfkOnCommit
func gokfkOnCommit(h C.uintptr_t, code C.int, offsets *C.kfk_partition_list) {
	c := cgo.Handle(h).Value().(*Consumer)
	c.hooks.onCommit(newError(C.kfk_err(code), ""), fromCList(offsets))
}
