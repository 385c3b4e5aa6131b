package supervisor

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Every window (intensity, restart limit, budget, backoff, probation,
// liveness, stop budgets) is kept in int64 nanoseconds on the tree's clock:
// time elapsed since Tree.base, read with time.Since or Time.Sub, which use
// the monotonic clock. A step of the wall clock therefore changes nothing.
// This test checks both halves: the base carries a monotonic reading, and
// no code of the package reads or builds wall-clock instants (Unix times)
// or strips the monotonic reading (Round(0), Truncate).
func TestMonotonicClock(t *testing.T) {
	tree, err := Start(context.Background(), Spec{Children: []Child{{Name: "a", Run: func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), Audit{Who: "test", Why: "done"})
	if !strings.Contains(tree.base.String(), " m=") {
		t.Fatalf("the tree's base %v has no monotonic reading", tree.base)
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	wall := map[string]bool{"Unix": true, "UnixNano": true, "UnixMilli": true, "UnixMicro": true,
		"Round": true, "Truncate": true}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			if sel, ok := node.(*ast.SelectorExpr); ok && wall[sel.Sel.Name] {
				t.Errorf("%s: %s uses the wall clock or strips the monotonic reading", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// TestWallClockJumps injects wall-clock jumps of an hour, each way, into
// the clock the engine reads (the timestamps it shows come from it) while
// children fail, back off, exhaust a budget, get quarantined and go stale,
// and checks that every decision is the same as without the jumps: the
// same events in the same order with the same fields, and the same
// snapshots, all but their timestamps. The injected readings carry no
// monotonic reading, so any window computed from them would move with the
// jumps and change the trace.
func TestWallClockJumps(t *testing.T) {
	plain := wallClockScenario(t, false)
	jumped := wallClockScenario(t, true)
	if len(plain.trace) < 40 {
		t.Fatalf("the scenario made only %d events", len(plain.trace))
	}
	if d := firstDifference(plain.trace, jumped.trace); d != "" {
		t.Errorf("the wall-clock jumps changed the engine's decisions: %s", d)
	}
	if d := firstDifference(plain.states, jumped.states); d != "" {
		t.Errorf("the wall-clock jumps changed a snapshot: %s", d)
	}
	// The events happened at the same instants in both runs: each shows
	// the injected clock's shift at that instant, and both directions of
	// jump were crossed.
	var lo, hi time.Duration
	for i := range min(len(plain.times), len(jumped.times)) {
		shift := jumped.times[i] - plain.times[i]
		if want := wallClockShift(plain.times[i]); shift != want {
			t.Fatalf("event %d (%s) shows a shift of %v, want the injected %v", i, plain.trace[i], shift, want)
		}
		lo, hi = min(lo, shift), max(hi, shift)
	}
	if lo != -time.Hour || hi != 2*time.Hour {
		t.Errorf("the events' shifts ranged over %v to %v, want -1h to 2h", lo, hi)
	}
}

type wallClockRun struct {
	trace, states []string
	times         []time.Duration // each event's time, from the start
}

// wallClockShift is the injected wall clock's offset at elapsed time el.
func wallClockShift(el time.Duration) time.Duration {
	switch {
	case el < 1*time.Second:
		return 0
	case el < 2500*time.Millisecond:
		return time.Hour
	case el < 5*time.Second:
		return -time.Hour
	case el < 8*time.Second:
		return 2 * time.Hour
	default:
		return 0
	}
}

func wallClockScenario(t *testing.T, jumps bool) (run wallClockRun) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var wall func() time.Time
		if jumps {
			wall = func() time.Time {
				now := time.Now()
				return now.Add(wallClockShift(now.Sub(t0))).Round(0) // a bare wall reading
			}
		}
		failing := func(after time.Duration) func(context.Context) error {
			return func(ctx context.Context) error {
				select {
				case <-time.After(after):
					return fmt.Errorf("failed after %v", after)
				case <-ctx.Done():
					return nil
				}
			}
		}
		beats := 0
		spec := Spec{
			Seed:        1,
			JournalSize: 100000,
			Intensity:   Intensity{MaxRestarts: 40, Period: 3 * time.Second},
			Budget:      Budget{Burst: 2, Refill: 900 * time.Millisecond},
			Children: []Child{
				{Name: "flaky", Run: failing(53 * time.Millisecond),
					Backoff:    Backoff{Initial: 130 * time.Millisecond, Max: 400 * time.Millisecond, Multiplier: 2, Jitter: 0.3, ResetAfter: 5 * time.Second},
					Quarantine: Quarantine{After: 3, Within: 3 * time.Second, Probation: 1100 * time.Millisecond}},
				{Name: "slow", Run: failing(1370 * time.Millisecond)},
				{Name: "stale", Liveness: Liveness{Interval: 190 * time.Millisecond, OnStale: StaleRestart},
					Run: func(ctx context.Context) error {
						beats++
						for i := 0; i < 7*beats; i++ { // each attempt beats longer, then goes quiet
							select {
							case <-time.After(97 * time.Millisecond):
								Heartbeat(ctx)
							case <-ctx.Done():
								return nil
							}
						}
						<-ctx.Done()
						return nil
					}},
			},
		}
		tree, err := start(context.Background(), spec, hooks{wall: wall})
		if err != nil {
			t.Fatal(err)
		}
		for range 12 {
			time.Sleep(time.Second)
			synctest.Wait()
			s := tree.Snapshot()
			line := ""
			for _, c := range s.Children {
				line += fmt.Sprintf("%s %v restarts=%d attempt=%d gen=%d next=%v reason=%q waiting=%q unhealthy=%v; ",
					c.Path, c.State, c.Restarts, c.Attempt, c.Generation, c.NextAttempt.Sub(t0), c.Reason, c.WaitingFor, c.Unhealthy)
			}
			for _, sup := range s.Supervisors {
				line += fmt.Sprintf("%s recent=%d tokens=%d restarting=%d", sup.Path, sup.RecentRestarts, sup.Tokens, sup.Restarting)
			}
			run.states = append(run.states, line)
		}
		if _, err := tree.Shutdown(context.Background(), Audit{Who: "test", Why: "done"}); err != nil {
			t.Fatal(err)
		}
		for _, e := range tree.Journal().Events {
			run.trace = append(run.trace, e.String())
			run.times = append(run.times, e.Time.Sub(t0))
		}
	})
	return run
}

func firstDifference(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d:\n\twithout: %s\n\twith:    %s", i, a[i], b[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("%d entries without jumps, %d with", len(a), len(b))
	}
	return ""
}
