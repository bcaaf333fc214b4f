// Package kfk is the Go binding of kfk, a C client library for Apache
// Kafka: a Producer, a Consumer (manual assignment or consumer groups) and
// an Admin client over libkfk, found with pkg-config.
//
// Records cross into C in batches: ProduceBatch hands many records to one
// cgo call, PollBatch takes many messages out of one (PollInto without
// allocating: into the caller's messages), and one goroutine per
// Producer turns delivery reports into callbacks. Errors carry kfk's
// codes: errors.Is(err, kfk.ErrUnknownTopicOrPartition) and
// errors.As(err, &kerr) with a *kfk.Error both work.
//
// Statistics come as JSON documents to a stats function (WithStatsFunc,
// WithProducerStatsFunc, with statistics.interval.ms) and on demand
// (StatsJSON, StatsPrometheus). Interceptors (WithInterceptor,
// WithProducerInterceptor) see records pass through a client: see
// SendInterceptor, AcknowledgementInterceptor, ConsumeInterceptor and
// CommitInterceptor.
package kfk

//go:generate ./gen_errors.sh

/*
#cgo pkg-config: kfk
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sort"
	"time"
	"unsafe"
)

// Version is the version of the libkfk the program runs with ("0.1.0").
func Version() string { return C.GoString(C.kfk_version_str()) }

// ErrorCode is a kfk_err: 0 is success, Kafka's protocol error codes are
// -1 and up, kfk's own errors -100 and below. An ErrorCode is an error.
type ErrorCode int32

// Error describes the code as kfk_err_str does ("NAME: description").
func (c ErrorCode) Error() string { return C.GoString(C.kfk_err_str(C.kfk_err(c))) }

// String is the code's bare name ("NOT_LEADER_OR_FOLLOWER").
func (c ErrorCode) String() string { return C.GoString(C.kfk_err_name(C.kfk_err(c))) }

// ErrOK is success; kfk never returns it as an error.
const ErrOK ErrorCode = 0

// Error is what kfk calls return: the code, and kfk's sentence about what
// was wrong. errors.Is matches it against an ErrorCode.
type Error struct {
	Code ErrorCode
	// Message is kfk's own text (it names the C function and what was
	// wrong), or the code's description when kfk had nothing more.
	Message string
	// Topic and Partition say where, for errors that concern one
	// partition (a consumed message's error, a per-partition result);
	// Partition is -1 otherwise.
	Topic     string
	Partition int32
	// Offset is the consumed message's offset for message errors, else -1.
	Offset int64
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.Error()
	}
	if e.Topic != "" {
		return fmt.Sprintf("%s [%s/%d]", msg, e.Topic, e.Partition)
	}
	return msg
}

// Unwrap gives the code, so that errors.Is(err, kfk.ErrTimedOut) works.
func (e *Error) Unwrap() error { return e.Code }

// ErrClosed is returned by calls on a closed handle.
var ErrClosed = errors.New("kfk: handle is closed")

func newError(code C.kfk_err, msg string) error {
	if code == C.KFK_OK {
		return nil
	}
	if msg == "" {
		msg = ErrorCode(code).Error()
	}
	return &Error{Code: ErrorCode(code), Message: msg, Partition: -1, Offset: -1}
}

// Config holds properties by their Java names ("bootstrap.servers",
// "linger.ms", "acks"), as docs/CONFIGURATION.md lists them.
type Config map[string]string

// newConf builds a kfk_conf; a property kfk refuses gives an *Error with
// code ErrConfig whose message names the property.
func (cfg Config) newConf() (*C.kfk_conf, error) {
	conf := C.kfk_conf_new()
	if conf == nil {
		return nil, newError(C.KFK_ERR_NO_MEMORY, "")
	}
	names := make([]string, 0, len(cfg))
	for k := range cfg {
		names = append(names, k)
	}
	sort.Strings(names)
	var errbuf [512]C.char
	for _, k := range names {
		ck, cv := C.CString(k), C.CString(cfg[k])
		err := C.kfk_conf_set(conf, ck, cv, &errbuf[0], C.size_t(len(errbuf)))
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
		if err != C.KFK_OK {
			C.kfk_conf_destroy(conf)
			return nil, newError(err, C.GoString(&errbuf[0]))
		}
	}
	return conf, nil
}

// timeoutMs turns ctx's deadline into a C timeout: def when there is none.
func timeoutMs(ctx context.Context, def int) int {
	d, ok := ctx.Deadline()
	if !ok {
		return def
	}
	ms := time.Until(d).Milliseconds()
	if ms < 1 {
		return 1
	}
	if ms > 1<<30 {
		return 1 << 30
	}
	return int(ms)
}

// lockThread keeps the goroutine on its OS thread until unlock, so that
// kfk's thread-local last-error text is read where the call failed.
func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}

// errorHandle carries an error function to kfk's error callback.
type errorHandle struct {
	h  cgo.Handle
	ok bool
}

// newErrorHandle sets conf's error callback to fn (none when fn is nil).
func newErrorHandle(conf *C.kfk_conf, fn func(error)) errorHandle {
	if fn == nil {
		return errorHandle{}
	}
	h := cgo.NewHandle(fn)
	C.gokfk_conf_set_error(conf, C.uintptr_t(h))
	return errorHandle{h: h, ok: true}
}

func (e errorHandle) delete() {
	if e.ok {
		e.h.Delete()
	}
}
