package supervisor_test

import (
	"slices"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

func backoffDelays(rec *supervisortest.Recorder, path string) []time.Duration {
	var out []time.Duration
	for _, e := range rec.Filter(supervisortest.Kind(supervisor.EventChildBackoff, path)) {
		out = append(out, e.Delay)
	}
	return out
}

func TestBackoffExponential(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Second},
			Children: []supervisor.Child{{Name: "c", Run: failEvery(0),
				Backoff: supervisor.Backoff{Initial: 100 * time.Millisecond, Max: time.Second}}},
		})
		time.Sleep(4 * time.Second)
		settle()
		ms := time.Millisecond
		want := []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}
		if got := backoffDelays(rec, "/c"); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
			t.Fatalf("delays %v, want %v...", got, want)
		}
		// Each restart happened when its delay said.
		backoffs := rec.Filter(supervisortest.Kind(supervisor.EventChildBackoff, "/c"))
		restarts := rec.Filter(supervisortest.Kind(supervisor.EventChildRestarting, "/c"))
		for i := range 5 {
			if got := restarts[i].Time.Sub(backoffs[i].Time); got != backoffs[i].Delay {
				t.Fatalf("restart %d came %v after its backoff of %v", i+1, got, backoffs[i].Delay)
			}
		}
		info := child(t, tree, "/c")
		if info.State == supervisor.StateBackoff && info.NextAttempt.IsZero() {
			t.Fatal("a child in backoff must show its next attempt")
		}
	})
}

// Jitter spreads children that fail together, within the documented bounds,
// and a seed makes the delays reproducible.
func TestBackoffJitter(t *testing.T) {
	run := func(t *testing.T, seed uint64) []time.Duration {
		var delays []time.Duration
		bubble(t, func(t *testing.T) {
			cs := make([]supervisor.Child, 20)
			for i := range cs {
				cs[i] = supervisor.Child{Name: string(rune('a' + i)), Run: supervisortest.FailTimes(1, errBoom),
					Backoff: supervisor.Backoff{Initial: time.Second, Jitter: 0.5}}
			}
			_, rec := start(t, supervisor.Spec{Seed: seed, Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Second}, Children: cs})
			settle()
			for _, e := range rec.Filter(supervisortest.Kind(supervisor.EventChildBackoff, "")) {
				delays = append(delays, e.Delay)
			}
		})
		return delays
	}
	a := run(t, 42)
	if len(a) != 20 {
		t.Fatalf("%d backoffs, want 20", len(a))
	}
	distinct := map[time.Duration]bool{}
	for _, d := range a {
		if d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("delay %v outside [0.5s, 1s] for Jitter 0.5", d)
		}
		distinct[d] = true
	}
	if len(distinct) < 15 {
		t.Fatalf("only %d distinct delays among 20 children: jitter does not spread them", len(distinct))
	}
	if b := run(t, 42); !slices.Equal(a, b) {
		t.Fatal("the same seed must give the same delays")
	}
	if c := run(t, 43); slices.Equal(a, c) {
		t.Fatal("another seed must give other delays")
	}
}

// The attempt number, and so the delay, resets once an attempt has run for
// ResetAfter.
func TestBackoffResetAfterStableRun(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run,
			Backoff: supervisor.Backoff{Initial: time.Second, ResetAfter: time.Minute}}}})
		for range 3 { // fail fast three times: delays 1s, 2s, 4s
			c.Fail(errBoom)
			time.Sleep(10 * time.Second)
		}
		time.Sleep(2 * time.Minute) // a stable run
		c.Fail(errBoom)
		settle()
		got := backoffDelays(rec, "/c")
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, time.Second}
		if !slices.Equal(got, want) {
			t.Fatalf("delays %v, want %v", got, want)
		}
		if info := child(t, tree, "/c"); info.Attempt != 2 {
			t.Fatalf("attempt %d, want 2 (a new streak)", info.Attempt)
		}
	})
}

// Pausing, removing or shutting down during a backoff cancels the pending
// restart: nothing starts after a shutdown began.
func TestBackoffCancelled(t *testing.T) {
	for _, op := range []string{"pause", "remove", "shutdown"} {
		t.Run(op, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				c := &supervisortest.Child{}
				tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
					{Name: "c", Run: c.Run, Backoff: supervisor.Backoff{Initial: time.Second}}}})
				if err != nil {
					t.Fatal(err)
				}
				rec := supervisortest.Record(tree)
				c.Fail(errBoom)
				settle()
				wantState(t, tree, "/c", supervisor.StateBackoff)
				switch op {
				case "pause":
					err = tree.PauseChild(bg(), "/c", audit)
				case "remove":
					err = tree.RemoveChild(bg(), "/c", audit)
				case "shutdown":
					_, err = tree.Shutdown(bg(), audit)
				}
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Hour)
				settle()
				if c.Runs() != 1 || rec.Count(supervisortest.Kind(supervisor.EventChildStarting, "/c")) != 1 {
					t.Fatalf("the pending restart ran after %s", op)
				}
				if op != "shutdown" {
					tree.Shutdown(bg(), audit)
				}
				supervisortest.CheckGoroutines(t, tree)
			})
		})
	}
}

// With the default intensity (3 in 5s), a child that always fails but backs
// off from 1s is retried forever at a slowing pace, while the same failures
// without backoff exhaust the intensity at once (docs/concepts.md).
func TestBackoffComposesWithIntensity(t *testing.T) {
	for _, tc := range []struct {
		backoff  supervisor.Backoff
		survives bool
	}{
		{supervisor.Backoff{Initial: time.Second}, true},
		{supervisor.Backoff{}, false},
	} {
		t.Run(tc.backoff.Initial.String(), func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
					{Name: "c", Run: failEvery(0), Backoff: tc.backoff}}})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Minute)
				settle()
				select {
				case <-tree.Done():
					if tc.survives {
						t.Fatalf("escalated: %v", tree.Wait())
					}
				default:
					if !tc.survives {
						t.Fatal("without backoff the intensity must be exceeded")
					}
					// Delays 1, 2, 4, 8, 16, 30, 30 ... seconds.
					if info := child(t, tree, "/c"); info.Restarts < 20 || info.Restarts > 25 {
						t.Fatalf("%d restarts in 10 minutes", info.Restarts)
					}
					tree.Shutdown(bg(), audit)
				}
			})
		})
	}
}
