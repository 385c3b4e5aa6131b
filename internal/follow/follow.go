// Package follow tracks how far a consumer of a tree's events has got, so
// that its Sync can wait until the events published so far are handled.
package follow

import (
	"context"
	"sync"
)

// Progress is the sequence number of the newest event a consumer handled.
type Progress struct {
	mu      sync.Mutex
	started bool
	seq     uint64
	wake    chan struct{} // closed when seq moves, if someone waits
	done    chan struct{} // closed when the consumer stops
}

// New returns a Progress at seq: events up to it need no waiting for.
func New(seq uint64) *Progress { return &Progress{seq: seq, done: make(chan struct{})} }

// Start records that the consumer started, and reports false if it had
// already: a consumer runs once.
func (p *Progress) Start() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return false
	}
	p.started = true
	return true
}

// Advance records that the event with sequence number seq was handled.
func (p *Progress) Advance(seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq = max(p.seq, seq)
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
}

// Stop records that the consumer stopped: waits end.
func (p *Progress) Stop() { close(p.done) }

// Wait waits until the events up to target are handled. It returns nil
// then, or once the consumer has stopped, and ctx.Err() when ctx is done
// first.
func (p *Progress) Wait(ctx context.Context, target uint64) error {
	for {
		p.mu.Lock()
		if p.seq >= target {
			p.mu.Unlock()
			return nil
		}
		if p.wake == nil {
			p.wake = make(chan struct{})
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-p.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
