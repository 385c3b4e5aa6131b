// Package supervisortest provides utilities for testing code that uses
// package supervisor: children whose behaviour a test controls or scripts,
// an event recorder with wait helpers, and a check that a tree left no
// goroutine behind.
//
// It plays the role net/http/httptest plays for net/http. Everything here
// works inside a testing/synctest bubble, where timers and sleeps use a fake
// clock, which is how supervisor's own tests use it.
package supervisortest

import (
	"context"
	"sync"
	"time"

	"github.com/go-supervisor/supervisor"
)

// Idle runs until its context is cancelled, then returns nil: a well-behaved
// long-running child.
func Idle(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Exit returns a body that returns err at once on every run (nil is a normal
// exit).
func Exit(err error) func(context.Context) error {
	return func(context.Context) error { return err }
}

// Panic returns a body that panics with v on every run.
func Panic(v any) func(context.Context) error {
	return func(context.Context) error { panic(v) }
}

// FailTimes returns a body whose first n runs return err at once; later runs
// are Idle. It models a child that recovers after some restarts.
func FailTimes(n int, err error) func(context.Context) error {
	var mu sync.Mutex
	runs := 0
	return func(ctx context.Context) error {
		mu.Lock()
		runs++
		fail := runs <= n
		mu.Unlock()
		if fail {
			return err
		}
		return Idle(ctx)
	}
}

// Hang returns a body that ignores cancellation: it returns only once
// release is closed. Use it to test abandonment; close release at the end of
// the test so that the goroutine ends.
func Hang(release <-chan struct{}) func(context.Context) error {
	return func(context.Context) error {
		<-release
		return nil
	}
}

// SlowStop returns a body that runs until cancelled and then takes d to
// return.
func SlowStop(d time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(d)
		return nil
	}
}

// Child is a child body that a test drives step by step. Its zero value is
// ready to use: each run waits for an instruction (Fail, Panic, Return,
// SignalReady) or for its context's cancellation.
//
//	c := &supervisortest.Child{}
//	spec := supervisor.Child{Name: "db", Run: c.Run}
//	...
//	c.Fail(errors.New("boom")) // the running attempt returns the error
type Child struct {
	// ReadyOnStart makes each run call supervisor.Ready at once.
	ReadyOnStart bool
	// IgnoreCancel makes a run keep going after its context is cancelled,
	// until Release is called or an instruction arrives.
	IgnoreCancel bool
	// StopDelay makes a cancelled run take this long to return.
	StopDelay time.Duration
	// StopErr is what a cancelled run returns (nil by default).
	StopErr error

	once    sync.Once
	actions chan func(ctx context.Context) (bool, error)
	release chan struct{}

	mu   sync.Mutex
	runs int
	live int
	ctxs []context.Context
	wake chan struct{}
}

func (c *Child) init() {
	c.once.Do(func() {
		c.actions = make(chan func(context.Context) (bool, error))
		c.release = make(chan struct{})
		c.wake = make(chan struct{})
	})
}

// Run is the body to put in supervisor.Child.Run.
func (c *Child) Run(ctx context.Context) error {
	c.init()
	c.mu.Lock()
	c.runs++
	c.live++
	c.ctxs = append(c.ctxs, ctx)
	c.broadcast()
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.live--
		c.broadcast()
		c.mu.Unlock()
	}()
	if c.ReadyOnStart {
		supervisor.Ready(ctx)
	}
	done := ctx.Done()
	var release chan struct{} // Release concerns only a cancelled run
	for {
		select {
		case f := <-c.actions:
			if stop, err := f(ctx); stop {
				return err
			}
		case <-done:
			if c.IgnoreCancel {
				done, release = nil, c.release
				continue
			}
			if c.StopDelay > 0 {
				time.Sleep(c.StopDelay)
			}
			return c.StopErr
		case <-release:
			return c.StopErr
		}
	}
}

// broadcast wakes the waiters; c.mu is held.
func (c *Child) broadcast() {
	close(c.wake)
	c.wake = make(chan struct{})
}

func (c *Child) do(f func(context.Context) (bool, error)) {
	c.init()
	c.actions <- f
}

// Fail makes the running attempt return err. It waits for an attempt to
// take the instruction.
func (c *Child) Fail(err error) { c.do(func(context.Context) (bool, error) { return true, err }) }

// Return makes the running attempt return nil (a normal exit).
func (c *Child) Return() { c.Fail(nil) }

// Panic makes the running attempt panic with v.
func (c *Child) Panic(v any) { c.do(func(context.Context) (bool, error) { panic(v) }) }

// SignalReady makes the running attempt call supervisor.Ready and go on.
func (c *Child) SignalReady() {
	c.do(func(ctx context.Context) (bool, error) {
		supervisor.Ready(ctx)
		return false, nil
	})
}

// Release lets every run that ignores cancellation return once its context
// is cancelled, now and later. A run whose context is alive goes on.
func (c *Child) Release() {
	c.init()
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.release:
	default:
		close(c.release)
	}
}

// Runs returns how many runs have started.
func (c *Child) Runs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs
}

// Live returns how many runs are executing now. A supervisor never has two
// live attempts of a child, except for abandoned ones.
func (c *Child) Live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

// Context returns the context of run i (1 for the first), or nil.
func (c *Child) Context(i int) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < 1 || i > len(c.ctxs) {
		return nil
	}
	return c.ctxs[i-1]
}

// WaitRuns waits until at least n runs have started and, if running is
// true, one of them is live.
func (c *Child) WaitRuns(ctx context.Context, n int, running bool) error {
	c.init()
	for {
		c.mu.Lock()
		ok := c.runs >= n && (!running || c.live > 0)
		wake := c.wake
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
