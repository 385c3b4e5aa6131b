package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

var errBoom = errors.New("boom")

// controlled returns n controllable children named after ns.
func controlled(ns ...string) ([]supervisor.Child, map[string]*supervisortest.Child) {
	cs := make([]supervisor.Child, len(ns))
	m := make(map[string]*supervisortest.Child, len(ns))
	for i, n := range ns {
		m[n] = &supervisortest.Child{}
		cs[i] = supervisor.Child{Name: n, Run: m[n].Run}
	}
	return cs, m
}

func generations(tree *supervisor.Tree) map[string]uint64 {
	out := map[string]uint64{}
	for _, c := range tree.Snapshot().Children {
		out[c.Path] = c.Generation
	}
	return out
}

func TestOneForOne(t *testing.T) {
	bubble(t, func(t *testing.T) {
		cs, m := controlled("a", "b", "c")
		tree, _ := start(t, supervisor.Spec{Children: cs})
		m["b"].Fail(errBoom)
		settle()
		got := generations(tree)
		want := map[string]uint64{"/a": 1, "/b": 2, "/c": 1}
		if !mapsEqual(got, want) {
			t.Fatalf("generations %v, want %v", got, want)
		}
	})
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// OneForAll stops the other children one at a time in reverse start order,
// each confirmed exited before the next is asked, and only then starts them
// all again in declaration order.
func TestOneForAllStopBarrier(t *testing.T) {
	bubble(t, func(t *testing.T) {
		cs, m := controlled("a", "b", "c", "d")
		for _, c := range m {
			c.StopDelay = 10 * time.Millisecond // each stop takes time
		}
		tree, rec := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: cs})
		begin := len(rec.Events())
		m["c"].Fail(errBoom)
		time.Sleep(time.Second)
		settle()
		var got []string
		for _, e := range rec.Events()[begin:] {
			switch e.Kind {
			case supervisor.EventChildStopping, supervisor.EventChildExited, supervisor.EventChildStarting:
				got = append(got, e.Kind.String()+" "+e.Path)
			}
		}
		want := []string{
			"child_exited /c",
			"child_stopping /d", "child_exited /d",
			"child_stopping /b", "child_exited /b",
			"child_stopping /a", "child_exited /a",
			"child_starting /a", "child_starting /b", "child_starting /c", "child_starting /d",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("sequence\n got %q\nwant %q", got, want)
		}
		for _, name := range []string{"a", "b", "c", "d"} {
			if m[name].Runs() != 2 || m[name].Live() != 1 {
				t.Errorf("%s: runs %d live %d, want 2 and 1", name, m[name].Runs(), m[name].Live())
			}
		}
		// The stops were sequential: 3 stops of 10ms each.
		stopping := rec.Filter(supervisortest.Kind(supervisor.EventChildStopping, ""))
		if d := stopping[2].Time.Sub(stopping[0].Time); d != 20*time.Millisecond {
			t.Fatalf("the third stop began %v after the first, want 20ms (one at a time)", d)
		}
		wantState(t, tree, "/a", supervisor.StateRunning)
	})
}

func TestRestForOne(t *testing.T) {
	bubble(t, func(t *testing.T) {
		cs, m := controlled("a", "b", "c", "d")
		tree, rec := start(t, supervisor.Spec{Strategy: supervisor.RestForOne, Children: cs})
		begin := len(rec.Events())
		m["b"].Fail(errBoom)
		settle()
		var got []string
		for _, e := range rec.Events()[begin:] {
			switch e.Kind {
			case supervisor.EventChildStopping, supervisor.EventChildStarting:
				got = append(got, e.Kind.String()+" "+e.Path)
			}
		}
		want := []string{"child_stopping /d", "child_stopping /c", "child_starting /b", "child_starting /c", "child_starting /d"}
		if !slices.Equal(got, want) {
			t.Fatalf("sequence\n got %q\nwant %q", got, want)
		}
		if g := generations(tree); !mapsEqual(g, map[string]uint64{"/a": 1, "/b": 2, "/c": 2, "/d": 2}) {
			t.Fatalf("generations %v", g)
		}
	})
}

// A sibling that ignores cancellation is abandoned at its budget; the group
// restart goes on, and when the abandoned attempt finally returns its report
// changes nothing: the generation fence holds.
func TestGenerationFence(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a := &supervisortest.Child{}
		release := make(chan struct{})
		defer closeIfOpen(release)
		// The abandoned attempt and its successor do run at the same time.
		var runs, live atomic.Int32
		stuck := func(ctx context.Context) error {
			n := runs.Add(1)
			live.Add(1)
			defer live.Add(-1)
			if n == 1 {
				<-release // ignores cancellation
				return nil
			}
			<-ctx.Done()
			return nil
		}
		tree, rec := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
			{Name: "a", Run: a.Run},
			{Name: "stuck", Run: stuck, Shutdown: time.Second},
		}})
		a.Fail(errBoom)
		settle()
		// The stuck child holds the barrier for its budget.
		if a.Live() != 0 {
			t.Fatal("a restarted before its sibling stopped")
		}
		time.Sleep(time.Second)
		settle()
		e, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildAbandoned, "/stuck"))
		if err != nil {
			t.Fatal(err)
		}
		if e.Generation != 1 || e.Count == 0 || len(e.Goroutines) == 0 {
			t.Fatalf("abandoned event %+v: want generation 1 and the goroutine's stack", e)
		}
		info := child(t, tree, "/stuck")
		if info.Generation != 2 || info.State != supervisor.StateRunning || info.Abandoned != 1 {
			t.Fatalf("stuck after restart: %+v", info)
		}
		if live.Load() != 2 || a.Live() != 1 {
			t.Fatalf("live runs of stuck = %d (the abandoned one and the new one), of a = %d", live.Load(), a.Live())
		}
		// The old attempt returns at last: a late report, fenced off.
		close(release)
		settle()
		if rec.Count(supervisortest.Kind(supervisor.EventAbandonedExited, "/stuck")) != 1 {
			t.Fatal("no AbandonedExited event")
		}
		info = child(t, tree, "/stuck")
		if info.Generation != 2 || info.Abandoned != 0 || info.State != supervisor.StateRunning {
			t.Fatalf("a late report changed the child: %+v", info)
		}
	})
}

func TestGroupRestartSkipsParkedAndDropsTemporary(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a := &supervisortest.Child{}
		paused := &supervisortest.Child{}
		temp := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
			{Name: "a", Run: a.Run},
			{Name: "paused", Run: paused.Run},
			{Name: "temp", Run: temp.Run, Restart: supervisor.Temporary},
		}})
		if err := tree.PauseChild(bg(), "/paused", audit); err != nil {
			t.Fatal(err)
		}
		a.Fail(errBoom)
		settle()
		if paused.Runs() != 1 {
			t.Fatal("a paused sibling was touched by the group restart")
		}
		wantState(t, tree, "/paused", supervisor.StatePaused)
		if _, ok := tree.Snapshot().Child("/temp"); ok || temp.Runs() != 1 {
			t.Fatal("a temporary sibling stopped as collateral must be removed, not restarted")
		}
		if rec.Count(supervisortest.Kind(supervisor.EventChildRemoved, "/temp")) != 1 {
			t.Fatal("no ChildRemoved for the temporary sibling")
		}
		wantState(t, tree, "/a", supervisor.StateRunning)
	})
}

// readyOnRuns returns a body that calls Ready on the listed runs and exits
// with an error before becoming ready on the others.
func readyOnRuns(ok ...int) (func(context.Context) error, *int) {
	runs := new(int)
	return func(ctx context.Context) error {
		*runs++
		if !slices.Contains(ok, *runs) {
			return errors.New("cannot start")
		}
		supervisor.Ready(ctx)
		<-ctx.Done()
		return nil
	}, runs
}

// A sibling that fails to start during a group restart makes the supervisor
// retry the group restart, and the retry counts toward intensity.
func TestGroupRestartRetriesFailedStart(t *testing.T) {
	for _, tc := range []struct {
		name        string
		maxRestarts int
		escalate    bool
	}{
		{"retry succeeds", 2, false},
		{"retry exceeds intensity", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				a := &supervisortest.Child{}
				gated, runs := readyOnRuns(1, 3)
				tree, err := supervisor.Start(bg(), supervisor.Spec{
					Strategy:  supervisor.OneForAll,
					Intensity: supervisor.Intensity{MaxRestarts: tc.maxRestarts, Period: time.Minute},
					Children: []supervisor.Child{
						{Name: "a", Run: a.Run},
						{Name: "gated", Run: gated, Readiness: supervisor.ReadinessExplicit},
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				rec := supervisortest.Record(tree)
				a.Fail(errBoom)
				settle()
				if tc.escalate {
					err := tree.Wait()
					var ie *supervisor.IntensityError
					if !errors.As(err, &ie) || ie.Child != "/gated" {
						t.Fatalf("Wait = %v, want an *IntensityError refusing /gated", err)
					}
					return
				}
				if *runs != 3 {
					t.Fatalf("gated ran %d times, want 3 (start, failed restart, retry)", *runs)
				}
				if n := rec.Count(supervisortest.Kind(supervisor.EventChildRestarting, "/a")); n != 2 {
					t.Fatalf("a restarted %d times, want 2: the group restart and its retry", n)
				}
				wantState(t, tree, "/gated", supervisor.StateReady)
				if _, err := tree.Shutdown(bg(), audit); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// In a group restart the failed child's backoff delays the restart of the
// whole group; the siblings are stopped at once.
func TestGroupRestartBackoff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a := &supervisortest.Child{}
		b := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
			{Name: "a", Run: a.Run, Backoff: supervisor.Backoff{Initial: time.Second}},
			{Name: "b", Run: b.Run},
		}})
		t0 := time.Now()
		a.Fail(errBoom)
		settle()
		if b.Live() != 0 {
			t.Fatal("the sibling must be stopped at once")
		}
		info := wantState(t, tree, "/a", supervisor.StateBackoff)
		if !info.NextAttempt.Equal(t0.Add(time.Second)) {
			t.Fatalf("next attempt at %v, want %v", info.NextAttempt, t0.Add(time.Second))
		}
		wantState(t, tree, "/b", supervisor.StatePending)
		time.Sleep(time.Second)
		settle()
		if a.Live() != 1 || b.Live() != 1 {
			t.Fatal("the group did not restart after the delay")
		}
		starts := rec.Filter(supervisortest.Kind(supervisor.EventChildStarting, "/b"))
		if got := starts[len(starts)-1].Time.Sub(t0); got != time.Second {
			t.Fatalf("b restarted %v after the failure, want 1s", got)
		}
	})
}

// The model of group restarts is also exercised with nested supervisors as
// members: the nested supervisor is stopped (its own children in reverse
// order) and started again.
func TestOneForAllWithNestedMember(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
			{Name: "a", Run: a.Run},
			{Name: "sub", Tree: &supervisor.Spec{Children: names("x", "y")}},
		}})
		a.Fail(errBoom)
		settle()
		got := sequence(rec, supervisor.EventChildStopping)
		want := []string{"child_stopping /sub", "child_stopping /sub/y", "child_stopping /sub/x"}
		if !slices.Equal(got, want) {
			t.Fatalf("stops %q, want %q", got, want)
		}
		if g := generations(tree); g["/sub"] != 2 || g["/sub/x"] != 1 || g["/sub/y"] != 1 {
			t.Fatalf("generations %v: the nested supervisor restarts afresh", g)
		}
		wantState(t, tree, "/sub/y", supervisor.StateRunning)
	})
}

// An AddChild whose gated child is caught in a group restart and then fails
// to start in that group restart leaves the job waiting on a removed child:
// the supervisor never runs another command or restart decision.
func TestGroupRestartGoesOnAfterAddedChildFailsToStart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a := &supervisortest.Child{}
		b := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
			{Name: "a", Run: a.Run},
		}})
		added := make(chan error, 1)
		go func() {
			added <- tree.AddChild(bg(), "/", supervisor.Child{Name: "b", Run: b.Run,
				Readiness: supervisor.ReadinessExplicit, StartTimeout: time.Minute}, audit)
		}()
		settle()
		wantState(t, tree, "/b", supervisor.StateStarting)
		a.Fail(errBoom) // group restart: b is stopped and started again
		settle()
		if b.Runs() != 2 {
			t.Fatalf("b runs %d", b.Runs())
		}
		b.Fail(errBoom) // b's second run fails before it is ready
		err := <-added
		t.Logf("AddChild returned %v", err)
		settle()
		// The supervisor must still answer commands.
		ctx, cancel := context.WithTimeout(bg(), time.Hour)
		defer cancel()
		if err := tree.RestartChild(ctx, "/a", audit); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("RestartChild never answered: %v\nstate %+v", err, tree.Snapshot().Children)
			}
			t.Fatal(err)
		}
	})
}

// RestForOne: /t fails while its later sibling /g is already stopping for a
// start timeout. The group restart for /t reaches /g, whose stop completes
// as a failed start: the group restart is dropped and replaced by one for
// /g's scope, which does not contain /t. /t (Permanent) is never restarted.
func TestRestForOneTriggerNotLost(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tc := &supervisortest.Child{}
		var gRuns atomic.Int64
		g := func(ctx context.Context) error {
			if gRuns.Add(1) != 2 {
				supervisor.Ready(ctx)
			}
			<-ctx.Done()
			time.Sleep(2 * time.Second) // slow to stop
			return nil
		}
		tree, err := supervisor.Start(bg(), supervisor.Spec{
			Strategy:  supervisor.RestForOne,
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
			Children: []supervisor.Child{
				{Name: "t", Run: tc.Run},
				{Name: "g", Run: g, Readiness: supervisor.ReadinessExplicit, StartTimeout: time.Second},
				{Name: "x", Run: supervisortest.Idle},
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer tree.Shutdown(bg(), audit)
		rec := supervisortest.Record(tree)
		restarted := make(chan error, 1)
		go func() { restarted <- tree.RestartChild(bg(), "/g", audit) }()
		time.Sleep(2500 * time.Millisecond) // g: stopped at 0..2s, run 2 not ready, start timeout at 3s
		time.Sleep(600 * time.Millisecond)  // g now stopping for its start timeout (until 5s)
		wantState(t, tree, "/g", supervisor.StateStopping)
		tc.Fail(errBoom) // /t fails: group restart of [t g x]
		t.Logf("RestartChild: %v", <-restarted)
		time.Sleep(10 * time.Second)
		settle()
		if info := child(t, tree, "/t"); !info.State.Live() {
			t.Fatalf("/t is %s and nothing will restart it (Permanent)\n%s", info.State,
				supervisortest.Format(rec.Events()))
		}
	})
}
