package supervisor

// The functions a child calls with its context, from inside its Run: Info,
// Ready, Heartbeat, OnAbort, StopDeadline (and Progress, in liveness.go).

import (
	"context"
	"time"
)

// RunInfo describes the attempt a context belongs to.
type RunInfo struct {
	// TreeID identifies the tree (see Tree.ID).
	TreeID string
	// Path is the child's path, such as "/workers/w1".
	Path string
	// Generation numbers the child's attempts: 1 for the first, one more for
	// each new attempt. It never repeats, so it fences stale attempts.
	Generation uint64
	// Attempt counts consecutive tries in the current failure streak: 1 for
	// a fresh start, 2 for the first restart after a failure, and back to 1
	// after a stable run or an operator's restart. See Backoff.
	Attempt int
}

// Info returns the attempt that ctx belongs to. ok is false if ctx does not
// come from a supervised child.
func Info(ctx context.Context) (info RunInfo, ok bool) {
	a := attemptFrom(ctx)
	if a == nil {
		return RunInfo{}, false
	}
	return RunInfo{TreeID: a.c.n.t.id, Path: a.c.path, Generation: a.gen, Attempt: int(a.num)}, true
}

// Ready reports that the child owning ctx is ready. A child with
// ReadinessExplicit must call it within its StartTimeout; until it does, its
// later siblings wait. Calls after the first, calls from an attempt that has
// been replaced, and calls with a context that is not a child's do nothing.
func Ready(ctx context.Context) {
	a := attemptFrom(ctx)
	if a == nil || a.flags.Or(flagReady)&flagReady != 0 {
		return
	}
	if a.has(flagGated) {
		a.c.n.post(msg{kind: msgReady, a: a})
	}
}

// Heartbeat records that the child owning ctx is alive: a report for its
// Liveness, and the time a Snapshot shows as ChildInfo.LastHeartbeat. With
// Liveness.Progress set it does nothing: only Progress counts. It costs an
// atomic store and two loads and never blocks, except that the first report
// after the child was marked unhealthy sends the supervisor a message.
func Heartbeat(ctx context.Context) {
	if a := attemptFrom(ctx); a != nil && !a.has(flagProgress) {
		a.reported()
	}
}

// OnAbort registers f to run if the attempt owning ctx overruns its stop
// budget: f runs in its own goroutine just before the attempt is abandoned.
// Use it to unblock what the attempt waits on without watching ctx, such as
// a listener's Accept or a blocking read: register ln.Close right after
// net.Listen. A hook belongs to the attempt that registered it; the next
// attempt registers its own, so a late hook can never close the next
// attempt's listener. Hooks run in registration order; a panic in one is
// recovered and reported as an EventHookPanicked. OnAbort does nothing for a
// context that is not a child's.
func OnAbort(ctx context.Context, f func()) {
	a := attemptFrom(ctx)
	if a == nil || f == nil {
		return
	}
	a.mu.Lock()
	x := a.extLocked()
	x.aborts = append(x.aborts, f)
	a.mu.Unlock()
}

// StopDeadline returns the time by which the child owning ctx must have
// returned, once it has been asked to stop (ctx is cancelled). ok is false
// before the stop request, when the budget is Infinity, and for contexts
// that are not a child's.
func StopDeadline(ctx context.Context) (deadline time.Time, ok bool) {
	a := attemptFrom(ctx)
	if a == nil {
		return time.Time{}, false
	}
	at := a.stopAt.Load()
	if at <= 0 {
		return time.Time{}, false
	}
	return a.c.n.t.base.Add(time.Duration(at)), true
}
