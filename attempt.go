package supervisor

// An attempt is one run of a child: the goroutine that runs its Run (or a
// nested supervisor's loop) and the context.Context it runs with, built in
// so that starting an attempt costs one allocation. context.go holds the
// functions a child calls with that context.

import (
	"context"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
)

type attemptKey struct{}

func attemptFrom(ctx context.Context) *attempt {
	if ctx == nil {
		return nil
	}
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	return a
}

// closedChan is returned by Done for attempts cancelled before anyone asked
// for their channel. It is closed at init and never changes.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// attempt is one run of a child, and the context.Context it runs with.
//
// The context is built in so that starting an attempt costs one allocation:
// its done channel is made only when someone asks for it, and contexts the
// child derives from it register through AfterFunc instead of a goroutine.
// Values are looked up in the tree's base context (the one passed to Start),
// through the child's pprof labels.
type attempt struct {
	c   *child
	gen uint64

	mu     sync.Mutex
	done   atomic.Value  // chan struct{}, made lazily
	ext    *attemptExt   // guarded by mu; made lazily
	stopAt atomic.Int64  // stop deadline, ns since tree base; 0 if none
	beat   atomic.Int64  // last liveness report, ns since tree base; 0 if none
	prog   atomic.Uint64 // Progress counter

	sub *node // the nested supervisor this attempt runs, once it exists

	num   int32
	flags atomic.Uint32 // flagCanceled, flagReady, flagStale, flagGated, flagProgress

	// Written by the attempt's goroutine before it reports its exit.
	returned bool
	panicked bool
	goexit   bool

	// Owned by the control loop.
	cancelled bool // the supervisor asked it to stop
	abandoned bool // it overran its budget and was fenced off
	late      bool // it returned after being abandoned
}

// Flags of an attempt, shared by its goroutines and the control loop.
const (
	flagCanceled uint32 = 1 << iota // the supervisor cancelled it
	flagReady                       // it called Ready
	flagStale                       // marked unhealthy: its next report tells the supervisor
	flagGated                       // its compiled child says it must call Ready
	flagProgress                    // its Liveness counts Progress only
)

func (a *attempt) has(f uint32) bool { return a.flags.Load()&f != 0 }

// attemptExt holds what few attempts need, so that the others do not pay
// for it.
type attemptExt struct {
	afters map[*afterFunc]struct{} // registered by derived contexts
	aborts []func()                // registered by OnAbort
}

// extLocked returns a.ext, making it; a.mu is held.
func (a *attempt) extLocked() *attemptExt {
	if a.ext == nil {
		a.ext = new(attemptExt)
	}
	return a.ext
}

type afterFunc struct{ f func() }

// Deadline implements context.Context. An attempt has no deadline; see
// StopDeadline for the time by which a stopping child must return.
func (a *attempt) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context.
func (a *attempt) Done() <-chan struct{} {
	if d := a.done.Load(); d != nil {
		return d.(chan struct{})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.done.Load()
	if d == nil {
		d = make(chan struct{})
		a.done.Store(d)
	}
	return d.(chan struct{})
}

// Err implements context.Context.
func (a *attempt) Err() error {
	if a.has(flagCanceled) {
		// Never report the error before Done is closed: cancel sets the
		// flag first, then closes the channel under a.mu.
		<-a.Done()
		return context.Canceled
	}
	return nil
}

// Value implements context.Context. Besides the attempt itself, it holds
// the child's pprof labels, so that the attempt can be passed to
// pprof.SetGoroutineLabels and to pprof.Do, and the values of the context
// given to Start.
func (a *attempt) Value(key any) any {
	if key == (attemptKey{}) {
		return a
	}
	if ctx, ok := a.c.labels.(context.Context); ok {
		return ctx.Value(key) // labelSet's fallback
	}
	t := a.c.n.t
	if key == t.labelKey {
		return a.c.labels
	}
	return t.baseCtx.Value(key)
}

func (a *attempt) String() string { return "supervisor.attempt(" + a.c.path + ")" }

// AfterFunc lets contexts derived from the attempt (context.WithCancel,
// context.AfterFunc, ...) hear of its cancellation without a goroutine each.
func (a *attempt) AfterFunc(f func()) (stop func() bool) {
	e := &afterFunc{f: f}
	a.mu.Lock()
	if a.has(flagCanceled) {
		a.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	x := a.extLocked()
	if x.afters == nil {
		x.afters = make(map[*afterFunc]struct{})
	}
	x.afters[e] = struct{}{}
	a.mu.Unlock()
	return func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		if _, ok := a.ext.afters[e]; !ok {
			return false
		}
		delete(a.ext.afters, e)
		return true
	}
}

// cancel asks the attempt to stop. The functions registered by derived
// contexts run synchronously: they only cancel those contexts.
func (a *attempt) cancel() {
	a.mu.Lock()
	if a.has(flagCanceled) {
		a.mu.Unlock()
		return
	}
	a.flags.Or(flagCanceled)
	if d, _ := a.done.Load().(chan struct{}); d != nil {
		close(d)
	} else {
		a.done.Store(closedChan)
	}
	var fs map[*afterFunc]struct{}
	if a.ext != nil {
		fs, a.ext.afters = a.ext.afters, nil
	}
	a.mu.Unlock()
	for e := range fs {
		e.f()
	}
}

// run is the attempt's goroutine.
func (a *attempt) run(cp *compiledChild) {
	setLabels(a)
	defer a.recoverExit()
	err := a.c.body(a, cp)
	a.returned = true
	a.report(err)
}

// recoverExit reports an attempt that panicked or called runtime.Goexit.
func (a *attempt) recoverExit() {
	if a.returned {
		return
	}
	if r := recover(); r != nil {
		a.panicked = true
		a.report(newPanicError(r, stack()))
		return
	}
	a.goexit = true
	a.report(ErrGoexit)
}

// report tells the supervisor how the attempt ended.
func (a *attempt) report(err error) {
	// The attempt is over: cancel its context, so that goroutines it left
	// tied to it stop too. Then drop the child's label: from here on, a
	// goroutine still carrying it is one the child left behind.
	a.cancel()
	setLabels(context.Background())
	a.c.n.post(msg{kind: msgExit, a: a, err: err})
}

// setLabels sets the calling goroutine's pprof labels to those of ctx.
func setLabels(ctx context.Context) { pprof.SetGoroutineLabels(ctx) }

// stack returns the calling goroutine's stack.
func stack() []byte { return debug.Stack() }
