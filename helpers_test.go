package supervisor_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

var audit = supervisor.Audit{Who: "test", Why: "testing"}

// leftoverGrace is how long a shutdown keeps checking for goroutines on their
// way out before it reports them as left behind (docs/defaults.md).
const leftoverGrace = 100 * time.Millisecond

// bubble runs f in a synctest bubble.
func bubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, f)
}

// start starts spec, failing the test on error, and records its events. The
// tree is shut down and checked for leftover goroutines when the test ends.
func start(t *testing.T, spec supervisor.Spec) (*supervisor.Tree, *supervisortest.Recorder) {
	t.Helper()
	tree := supervisortest.Start(t, spec)
	return tree, supervisortest.Record(tree)
}

// settle waits until every goroutine of the bubble is blocked: the tree has
// finished reacting to whatever the test did.
func settle() { synctest.Wait() }

// child returns the snapshot of the child at path, failing if it is absent.
func child(t *testing.T, tree *supervisor.Tree, path string) supervisor.ChildInfo {
	t.Helper()
	s := tree.Snapshot()
	c, ok := s.Child(path)
	if !ok {
		t.Fatalf("no child %s in state %+v", path, s.Children)
	}
	return c
}

func wantState(t *testing.T, tree *supervisor.Tree, path string, want supervisor.State) supervisor.ChildInfo {
	t.Helper()
	c := child(t, tree, path)
	if c.State != want {
		t.Fatalf("%s is %s, want %s", path, c.State, want)
	}
	return c
}

// kinds returns the kinds of the recorded events about path, in order.
func kinds(rec *supervisortest.Recorder, path string) []supervisor.EventKind {
	var out []supervisor.EventKind
	for _, e := range rec.Events() {
		if e.Path == path {
			out = append(out, e.Kind)
		}
	}
	return out
}

// sequence returns "kind path" for the recorded events of the given kinds.
func sequence(rec *supervisortest.Recorder, ks ...supervisor.EventKind) []string {
	var out []string
	for _, e := range rec.Events() {
		if slices.Contains(ks, e.Kind) {
			out = append(out, e.Kind.String()+" "+e.Path)
		}
	}
	return out
}

func names(ns ...string) []supervisor.Child {
	cs := make([]supervisor.Child, len(ns))
	for i, n := range ns {
		cs[i] = supervisor.Child{Name: n, Run: supervisortest.Idle}
	}
	return cs
}

func bg() context.Context { return context.Background() }

// closeIfOpen closes ch unless the test already did: deferred, it lets
// goroutines a failed test left blocked end, so that the bubble can exit.
func closeIfOpen(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}
