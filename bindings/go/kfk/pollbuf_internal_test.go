package kfk

import (
	"testing"
	"unsafe"
)

// PollInto's buffer is reused while it has room, grows with room to
// spare, and is let go when it is large and polls need far less of it.
func TestPollBufferReuseAndRelease(t *testing.T) {
	same := func(a, b []byte) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }
	b := pollBuffer(nil, 1000)
	if len(b) != 1000 || cap(b) < 1000 {
		t.Fatalf("new buffer: len %d cap %d", len(b), cap(b))
	}
	if r := pollBuffer(b, 1200); !same(r, b) || len(r) != 1200 {
		t.Fatalf("a slightly larger poll did not reuse the buffer: len %d cap %d", len(r), cap(r))
	}
	if r := pollBuffer(b, 10); !same(r, b) || len(r) != 10 {
		t.Fatalf("a small poll did not reuse a small buffer")
	}
	big := pollBuffer(nil, maxKeptPollBuffer)
	if r := pollBuffer(big, maxKeptPollBuffer/2); !same(r, big) {
		t.Fatalf("half of a large buffer was not reused")
	}
	if r := pollBuffer(big, 1000); same(r, big) || len(r) != 1000 || cap(r) > 2000 {
		t.Fatalf("a large buffer was kept for a small poll: len %d cap %d", len(r), cap(r))
	}
	if r := pollBuffer(b, 0); len(r) != 0 {
		t.Fatalf("an empty poll: len %d", len(r))
	}
}
