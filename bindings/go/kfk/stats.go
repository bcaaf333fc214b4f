package kfk

/*
#include "shim.h"
*/
import "C"

import (
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// WithStatsFunc calls fn with a statistics document (one JSON object,
// whose fields docs/STATS.md lists) every statistics.interval.ms, which
// Config must set (its default 0 sends none). fn runs on the goroutine
// that polls, inside Poll, PollBatch or PollInto, so a consumer that
// keeps polling gets one document per interval; never two calls at once. The bytes are
// fn's to keep. fn may call StatsJSON and other methods but not poll or
// close the consumer, and should not block: the poll waits for it.
func WithStatsFunc(fn func(stats []byte)) ConsumerOption {
	return func(c *Consumer) { c.stats.fn = fn }
}

// WithProducerStatsFunc calls fn with a statistics document (as
// WithStatsFunc) every statistics.interval.ms, which Config must set.
// The producer's reporting goroutine polls kfk without pause, so
// documents keep coming while the producer is open; fn runs on that
// goroutine (the one that runs the delivery function), or on a goroutine
// inside Flush or Close, never two at once. fn may call StatsJSON and
// StatsPrometheus but not Flush or Close, and should not block: delivery
// reports wait behind it.
func WithProducerStatsFunc(fn func(stats []byte)) ProducerOption {
	return func(p *Producer) { p.stats.fn = fn }
}

// statsFunc is a client's stats function with what carries it to kfk.
type statsFunc struct {
	fn func([]byte)
	mu sync.Mutex // one call at a time
	h  cgo.Handle
	// hint is the buffer size the last on-demand text needed.
	hint atomic.Int64
}

// set hands kfk's stats callback to conf when there is a function.
func (s *statsFunc) set(conf *C.kfk_conf) {
	if s.fn == nil {
		return
	}
	s.h = cgo.NewHandle(s)
	C.gokfk_conf_set_stats(conf, C.uintptr_t(s.h))
}

func (s *statsFunc) delete() {
	if s.h != 0 {
		s.h.Delete()
		s.h = 0
	}
}

//export gokfkStats
func gokfkStats(h C.uintptr_t, json *C.char, n C.size_t) {
	s := cgo.Handle(h).Value().(*statsFunc)
	doc := C.GoBytes(unsafe.Pointer(json), C.int(n))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fn(doc)
}

// statsBuf is the size a document is first tried with; it grows to what
// kfk asks for, with room, and later documents start from the last size.
const statsBuf = 16 << 10

// statsText runs one of kfk's *_stats_* functions, which say how much
// room they need when the buffer is too small: the text is tried again
// with that much and a quarter more, as the figures move between calls.
func statsText(hint *atomic.Int64, render func(buf *C.char, n *C.size_t) C.kfk_err) ([]byte, C.kfk_err) {
	size := max(int(hint.Load()), statsBuf)
	for try := 0; ; try++ {
		buf := make([]byte, size)
		n := C.size_t(size)
		err := render((*C.char)(unsafe.Pointer(unsafe.SliceData(buf))), &n)
		if err == C.KFK_OK {
			hint.Store(int64(size))
			return buf[:n-1], C.KFK_OK
		}
		if err != C.KFK_ERR_TOO_LARGE || try == 8 {
			return nil, err
		}
		size = int(n) + int(n)/4
	}
}

// StatsJSON renders the producer's figures now, as the stats function's
// documents are (docs/STATS.md); it works whatever statistics.interval.ms
// is, and does not close the histograms' window.
func (p *Producer) StatsJSON() ([]byte, error) {
	return p.statsCall(func(buf *C.char, n *C.size_t) C.kfk_err {
		return C.kfk_producer_stats_json(p.c, buf, n)
	})
}

// StatsPrometheus renders the producer's figures in Prometheus text
// format 0.0.4 (kafka_producer_* metrics, docs/STATS.md): what a
// /metrics handler serves.
func (p *Producer) StatsPrometheus() (string, error) {
	b, err := p.statsCall(func(buf *C.char, n *C.size_t) C.kfk_err {
		return C.kfk_producer_stats_prometheus(p.c, buf, n)
	})
	return string(b), err
}

func (p *Producer) statsCall(render func(*C.char, *C.size_t) C.kfk_err) ([]byte, error) {
	if !p.gate.enter() {
		return nil, ErrClosed
	}
	defer p.gate.exit()
	defer lockThread()()
	b, err := statsText(&p.stats.hint, render)
	if err != C.KFK_OK {
		return nil, newError(err, C.GoString(C.kfk_producer_last_error(p.c)))
	}
	return b, nil
}

// StatsJSON renders the consumer's figures now (as StatsJSON of a
// Producer).
func (c *Consumer) StatsJSON() ([]byte, error) {
	return c.statsCall(func(k *C.kfk_consumer, buf *C.char, n *C.size_t) C.kfk_err {
		return C.kfk_consumer_stats_json(k, buf, n)
	})
}

// StatsPrometheus renders the consumer's figures in Prometheus text
// format 0.0.4 (kafka_consumer_* metrics, docs/STATS.md).
func (c *Consumer) StatsPrometheus() (string, error) {
	b, err := c.statsCall(func(k *C.kfk_consumer, buf *C.char, n *C.size_t) C.kfk_err {
		return C.kfk_consumer_stats_prometheus(k, buf, n)
	})
	return string(b), err
}

func (c *Consumer) statsCall(render func(*C.kfk_consumer, *C.char, *C.size_t) C.kfk_err) ([]byte, error) {
	var out []byte
	err := c.call(func(k *C.kfk_consumer) C.kfk_err {
		var err C.kfk_err
		out, err = statsText(&c.stats.hint, func(buf *C.char, n *C.size_t) C.kfk_err {
			return render(k, buf, n)
		})
		return err
	})
	return out, err
}
