package supervisor

import (
	"context"
	"runtime"
	"strings"

	"github.com/go-supervisor/supervisor/internal/goroutines"
)

// A control call made from inside the tree can wait for its own caller: a
// child that restarts, pauses, quarantines or removes itself, or a nested
// supervisor above it, or shuts the tree down, asks its supervisor to stop
// the very attempt that waits for the answer. Such a call is detached: it
// returns as soon as the supervisor has accepted the command (its
// command_accepted event), with a nil error, and the command completes once
// the caller has returned (its command_completed event tells how). A
// Shutdown called so is not bounded by ctx, which the shutdown itself
// cancels. docs/concepts.md ("Calls from inside a child") explains it.

// waitsForCaller reports whether op on path, called with ctx, would wait
// for the attempt that calls it to end: a restart, removal, pause or
// quarantine of the caller or of a supervisor above it. Only those look
// for the caller (Shutdown does, in Tree.Shutdown): finding it may cost a
// goroutine profile.
func (t *Tree) waitsForCaller(ctx context.Context, op opKind, path string) bool {
	switch op {
	case opRestart, opRemove, opPause, opQuarantine:
		caller := t.callerPath(ctx)
		return caller == path || strings.HasPrefix(caller, path+"/")
	}
	return false
}

// callerPath returns the path of the child of t whose attempt makes a call
// with ctx, or "" for a call from outside the tree. A child's context, or
// one derived from it, names its child. With another context (such as
// context.Background()), a call from the goroutine that runs an attempt's
// Run is found from that goroutine's pprof label, which costs a goroutine
// profile; the calls of other goroutines are taken for calls from outside.
func (t *Tree) callerPath(ctx context.Context) string {
	if a := attemptFrom(ctx); a != nil {
		if a.c.n.t == t {
			return a.c.path
		}
		return ""
	}
	if !onAttemptGoroutine() {
		return ""
	}
	return t.labelOfCaller()
}

// attemptRun is the function every attempt's goroutine runs.
const attemptRun = "github.com/go-supervisor/supervisor.(*attempt).run"

// onAttemptGoroutine reports whether the calling goroutine runs an
// attempt: whether the function it was started with, the bottom frame of
// its stack (above runtime.goexit), is attempt.run.
func onAttemptGoroutine() bool {
	var buf [64]uintptr
	pcs := buf[:]
	for {
		n := runtime.Callers(0, pcs)
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs)) // a deep stack
	}
	for i := len(pcs) - 1; i >= max(0, len(pcs)-2); i-- {
		if f := runtime.FuncForPC(pcs[i] - 1); f != nil && f.Name() == attemptRun {
			return true
		}
	}
	return false
}

// labelOfCaller finds, in a goroutine profile, the label of this tree
// carried by the goroutine that calls it: the one whose stack shows this
// function. It returns "" if none, or more than one, does.
func (t *Tree) labelOfCaller() string {
	prefix := t.id + ":"
	found := ""
	for _, g := range goroutines.Capture(labelKey, func(v string) bool { return strings.HasPrefix(v, prefix) }) {
		if !strings.Contains(g.Stack, "supervisor.(*Tree).labelOfCaller") {
			continue
		}
		if found != "" && found != g.Label {
			return "" // two goroutines of two children ask at once: cannot tell
		}
		found = g.Label
	}
	return strings.TrimPrefix(found, prefix)
}
