package kfk

import "sync"

// gate keeps a handle alive while calls use it. Entering never blocks,
// so a callback that calls back into its handle (a Commit from a
// rebalance function, a Produce from a delivery function) cannot
// deadlock against a Close waiting for the calls to end.
type gate struct {
	mu      sync.Mutex
	idle    sync.Cond
	closing bool // a Close has begun; only one may
	closed  bool // no new calls; the handle goes once active is 0
	active  int
}

// enter admits a call; false once the handle is closed.
func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.active++
	return true
}

func (g *gate) exit() {
	g.mu.Lock()
	g.active--
	if g.active == 0 && g.idle.L != nil {
		g.idle.Broadcast()
	}
	g.mu.Unlock()
}

// beginClose is true for the first Close only.
func (g *gate) beginClose() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.closing = true
	return true
}

// shut refuses new calls and waits until the running ones have ended.
func (g *gate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.idle.L == nil {
		g.idle.L = &g.mu
	}
	for g.active > 0 {
		g.idle.Wait()
	}
}
