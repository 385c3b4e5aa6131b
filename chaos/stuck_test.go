package chaos

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// blocker ignores cancellation and starts a helper goroutine that blocks
// too: what it leaves running is two goroutines.
func blocker(release <-chan struct{}) func(context.Context) error {
	return func(context.Context) error {
		go func() { <-release }()
		<-release
		return nil
	}
}

// TestStuckChildren: children that block forever and ignore cancellation,
// one of them in a nested supervisor and one with a helper goroutine. The
// shutdown must finish within the sum of the stop budgets, report exactly
// the stuck children as abandoned with their stacks, and leave nothing else
// running. Before that, a restart abandons a stuck attempt whose late return
// must not count as an exit of the attempt that replaced it (the generation
// fence). The scenario runs on synctest's fake clock, so the bounds are
// exact.
func TestStuckChildren(t *testing.T) {
	v := newVerdict(t, "stuck_children")
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		late := make(chan struct{})
		var fencedRuns atomic.Int64
		fenced := func(ctx context.Context) error {
			if fencedRuns.Add(1) == 1 {
				<-late // the first attempt ignores cancellation
				return errors.New("late exit of an abandoned attempt")
			}
			<-ctx.Done()
			return nil
		}
		inner := supervisor.Spec{Children: []supervisor.Child{
			{Name: "good2", Run: supervisortest.Idle, Shutdown: time.Second},
			{Name: "deaf2", Run: supervisortest.Hang(release), Shutdown: 400 * time.Millisecond},
		}}
		spec := supervisor.Spec{Children: []supervisor.Child{
			{Name: "good", Run: supervisortest.Idle, Shutdown: time.Second},
			{Name: "slow", Run: supervisortest.SlowStop(300 * time.Millisecond), Shutdown: time.Second},
			{Name: "inner", Tree: &inner},
			{Name: "deaf", Run: supervisortest.Hang(release), Shutdown: 500 * time.Millisecond},
			{Name: "blocker", Run: blocker(release), Shutdown: 200 * time.Millisecond},
			{Name: "fenced", Run: fenced, Shutdown: 100 * time.Millisecond},
		}}
		budgets := time.Second + time.Second + (time.Second + 400*time.Millisecond) +
			500*time.Millisecond + 200*time.Millisecond + 100*time.Millisecond
		v.load("stop_budgets_sum", budgets.String())
		tree := startTree(t, spec)
		var lateExits, fencedExits atomic.Int64
		wait := follow(tree, 1<<12, func(e supervisor.Event) {
			if e.Path != "/fenced" {
				return
			}
			switch e.Kind {
			case supervisor.EventAbandonedExited:
				lateExits.Add(1)
			case supervisor.EventChildExited:
				fencedExits.Add(1)
			}
		})

		// The generation fence: restart the stuck child, abandoning its
		// first attempt, then let that attempt return.
		if err := tree.RestartChild(context.Background(), "/fenced", audit); err != nil {
			t.Fatal(err)
		}
		before := childInfo(t, tree, "/fenced")
		close(late)
		synctest.Wait()
		after := childInfo(t, tree, "/fenced")
		v.equal("fenced_generation_changed", boolf(after.Generation != before.Generation), 0)
		v.equal("fenced_restarts_changed", boolf(after.Restarts != before.Restarts), 0)
		v.equal("fenced_not_running", boolf(after.State != supervisor.StateRunning), 0)
		v.equal("fenced_abandoned_still_counted", float64(after.Abandoned), 0)
		v.equal("late_exit_events", float64(lateExits.Load()), 1)

		t0 := time.Now()
		r, err := tree.Shutdown(context.Background(), audit)
		took := time.Since(t0)
		// The bound: the sum of the budgets plus the reconcile grace, as
		// documented; and here exactly what the stuck children's budgets,
		// the slow child's stop and the grace add up to.
		v.atMost("shutdown_duration", ms(took), ms(budgets+grace), "ms")
		v.atMost("shutdown_duration_vs_stuck_budgets", ms(took), ms(500*time.Millisecond+200*time.Millisecond+400*time.Millisecond+300*time.Millisecond+grace), "ms")
		v.info("shutdown_duration_reported_ms", ms(r.Duration))

		abandoned := map[string]supervisor.ChildOutcome{}
		graceful := 0
		for _, o := range r.Children {
			switch o.Outcome {
			case supervisor.OutcomeAbandoned:
				abandoned[o.Path] = o
			case supervisor.OutcomeGraceful:
				graceful++
			}
		}
		want := []string{"/blocker", "/deaf", "/inner/deaf2"}
		v.equal("abandoned_children", float64(len(abandoned)), float64(len(want)))
		v.equal("graceful_children", float64(graceful), float64(len(r.Children)-len(want)))
		missingStacks := 0
		for _, p := range want {
			o, ok := abandoned[p]
			if !ok || !slices.ContainsFunc(o.Goroutines, func(g supervisor.GoroutineStack) bool {
				// the stuck body's frame (Hang's or the blocker's, perhaps inlined)
				return g.Path == p && (strings.Contains(g.Stack, ".Hang") || strings.Contains(g.Stack, ".blocker"))
			}) {
				missingStacks++
				t.Logf("%s: no stack in %+v", p, o)
			}
		}
		v.equal("abandoned_without_stack", float64(missingStacks), 0)
		// What is left: the three stuck goroutines and the blocker's helper.
		v.equal("goroutines_left", float64(r.GoroutinesLeft), 4)
		var ab *supervisor.AbandonedError
		if errors.As(err, &ab) {
			slices.Sort(ab.Paths)
			v.equal("abandoned_error_paths_match", boolf(!slices.Equal(ab.Paths, want)), 0)
		} else {
			v.equal("abandoned_error", 0, 1)
		}

		// Everything else is gone; once released, so are the stuck ones
		// (goleak checks that after the suite).
		close(release)
		synctest.Wait()
		wait()
		v.equal("fenced_exits_after_restart", float64(fencedExits.Load()), 1) // the shutdown's stop only
	})
}

// grace is the shutdown's reconcile grace (docs/defaults.md).
const grace = 100 * time.Millisecond

// childInfo returns the snapshot of path.
func childInfo(t *testing.T, tree *supervisor.Tree, path string) supervisor.ChildInfo {
	t.Helper()
	c, ok := tree.Snapshot().Child(path)
	if !ok {
		t.Fatalf("no child %s", path)
	}
	return c
}
