package supervisortest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-supervisor/supervisor"
)

// RecorderBuffer is the queue length of a Recorder's subscription: large
// enough that tests never lose events.
const RecorderBuffer = 1 << 16

// Recorder collects a tree's events for assertions.
type Recorder struct {
	sub *supervisor.Subscription

	mu     sync.Mutex
	events []supervisor.Event
	after  uint64 // events up to this Seq came from the journal
}

// Record collects tree's events: those still in its journal (from the
// tree's start, unless the journal overflowed) and every later one.
func Record(tree *supervisor.Tree) *Recorder {
	r := &Recorder{sub: tree.Subscribe(RecorderBuffer)}
	r.events = tree.Journal().Events
	if n := len(r.events); n > 0 {
		r.after = r.events[n-1].Seq
	}
	return r
}

// Close ends the subscription.
func (r *Recorder) Close() { r.sub.Close() }

// drain moves every queued event into r.events without waiting.
func (r *Recorder) drain() {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		e, err := r.sub.Next(done)
		if err != nil {
			return
		}
		r.add(e)
	}
}

// add records e unless the journal already supplied it.
func (r *Recorder) add(e supervisor.Event) bool {
	if e.Kind != supervisor.EventsDropped && e.Seq <= r.after {
		return false
	}
	r.events = append(r.events, e)
	return true
}

// Events returns every event received so far, in order.
func (r *Recorder) Events() []supervisor.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drain()
	return append([]supervisor.Event(nil), r.events...)
}

// Filter returns the events received so far that match.
func (r *Recorder) Filter(match func(supervisor.Event) bool) []supervisor.Event {
	var out []supervisor.Event
	for _, e := range r.Events() {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// WaitFor returns the first event, among those received so far and those
// still to come, for which match is true. It waits until ctx is done or the
// tree ends.
func (r *Recorder) WaitFor(ctx context.Context, match func(supervisor.Event) bool) (supervisor.Event, error) {
	return r.WaitCount(ctx, 1, match)
}

// WaitCount waits until n events match and returns the n-th.
func (r *Recorder) WaitCount(ctx context.Context, n int, match func(supervisor.Event) bool) (supervisor.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drain()
	seen := 0
	for _, e := range r.events {
		if match(e) {
			if seen++; seen == n {
				return e, nil
			}
		}
	}
	for {
		e, err := r.sub.Next(ctx)
		if err != nil {
			return supervisor.Event{}, fmt.Errorf("supervisortest: waiting for event %d of %d matching: %w", seen+1, n, err)
		}
		if !r.add(e) {
			continue
		}
		if match(e) {
			if seen++; seen == n {
				return e, nil
			}
		}
	}
}

// Count returns how many events received so far match.
func (r *Recorder) Count(match func(supervisor.Event) bool) int { return len(r.Filter(match)) }

// Kind matches events of kind about path ("" for any path).
func Kind(kind supervisor.EventKind, path string) func(supervisor.Event) bool {
	return func(e supervisor.Event) bool {
		return e.Kind == kind && (path == "" || e.Path == path)
	}
}

// Exited matches a ChildExited event about path with the given exit class.
func Exited(path string, class supervisor.ExitClass) func(supervisor.Event) bool {
	return func(e supervisor.Event) bool {
		return e.Kind == supervisor.EventChildExited && e.Path == path && e.Exit == class
	}
}

// Format renders events one per line, for failure messages.
func Format(events []supervisor.Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// CheckGoroutines fails t if any goroutine still carries the labels of tree
// (its children and the goroutines they started), listing their stacks. Call
// it after the tree has ended.
func CheckGoroutines(t testing.TB, tree *supervisor.Tree) {
	t.Helper()
	if left := tree.Goroutines("/"); len(left) > 0 {
		var b strings.Builder
		for _, g := range left {
			fmt.Fprintf(&b, "%d goroutine(s) of %s:\n%s\n", g.Count, g.Path, g.Stack)
		}
		t.Errorf("supervisortest: tree %s left goroutines running:\n%s", tree.ID(), b.String())
	}
}

// Start starts spec (with context.Background) and registers a cleanup that
// shuts the tree down and fails the test if the tree ended with an error or
// left goroutines running, listing their stacks. It fails the test at once
// if Start fails.
func Start(t testing.TB, spec supervisor.Spec) *supervisor.Tree {
	t.Helper()
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		t.Fatalf("supervisortest: Start: %v", err)
	}
	t.Cleanup(func() {
		t.Helper()
		r, err := tree.Shutdown(context.Background(), supervisor.Audit{Who: "supervisortest", Why: "test cleanup"})
		if err != nil {
			t.Errorf("supervisortest: shutdown: %v%s", err, formatStacks(r))
			return
		}
		CheckGoroutines(t, tree)
	})
	return tree
}

func formatStacks(r *supervisor.ShutdownReport) string {
	if r == nil || len(r.Leftover) == 0 {
		return ""
	}
	var b strings.Builder
	for _, g := range r.Leftover {
		fmt.Fprintf(&b, "\n%d goroutine(s) of %s:\n%s", g.Count, g.Path, g.Stack)
	}
	return b.String()
}
