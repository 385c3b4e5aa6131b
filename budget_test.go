package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Children that fail at once on every attempt, under a budget of 3 at once
// and one a second: over any window W the restarts stay within
// 3 + W/1s, none is dropped, and a waiting child shows its token's time.
func TestBudgetCurve(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const burst, refill = 3, time.Second
		spec := supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 1000, Period: time.Minute},
			Budget:    supervisor.Budget{Burst: burst, Refill: refill},
		}
		for i := range 5 {
			spec.Children = append(spec.Children, supervisor.Child{Name: fmt.Sprint("c", i), Run: supervisortest.Exit(errBoom)})
		}
		t0 := time.Now()
		tree, rec := start(t, spec)
		settle()
		// At once: 3 restarts on the burst; the other 2 failures wait for
		// the tokens of 1 s and 2 s, in the order they were decided.
		waiting := 0
		for _, c := range tree.Snapshot().Children {
			if c.State == supervisor.StateBackoff {
				waiting++
				if c.WaitingFor != "budget" || c.NextAttempt.Before(t0.Add(refill)) {
					t.Fatalf("waiting child %+v", c)
				}
			}
		}
		if waiting != 5 {
			t.Fatalf("%d children waiting for the budget, want all 5", waiting)
		}
		const run = time.Minute
		time.Sleep(run + refill/2)
		settle()
		var at []time.Duration
		for _, e := range rec.Filter(func(e supervisor.Event) bool { return e.Kind == supervisor.EventChildRestarting }) {
			at = append(at, e.Time.Sub(t0))
		}
		// A restart every second after the burst: 3 + 60, all of them
		// performed, none lost.
		if want := burst + int(run/refill); len(at) != want {
			t.Fatalf("%d restarts in %v, want %d", len(at), run, want)
		}
		for _, w := range []time.Duration{0, 500 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second, run} {
			limit := float64(burst) + float64(w)/float64(refill)
			for i := range at {
				j := i
				for j < len(at) && at[j]-at[i] <= w {
					j++
				}
				if n := j - i; float64(n) > 1.05*limit {
					t.Fatalf("%d restarts in a window of %v from %v; the curve allows %.1f", n, w, at[i], limit)
				}
			}
		}
		b, _ := rec.WaitFor(bg(), func(e supervisor.Event) bool {
			return e.Kind == supervisor.EventChildBackoff && e.Rule == "budget"
		})
		if b.Reason == "" || b.Delay <= 0 {
			t.Fatalf("budget event %v", b)
		}
	})
}

// The budget and the backoff compose: a restart happens once both allow
// it, and the event names the stage that decided the time.
func TestBudgetAndBackoff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		t0 := time.Now()
		c1, c2 := &supervisortest.Child{}, &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{
			Budget: supervisor.Budget{Burst: 1, Refill: 10 * time.Second},
			Children: []supervisor.Child{
				{Name: "a", Run: c1.Run, Backoff: supervisor.Backoff{Initial: 2 * time.Second}},
				{Name: "b", Run: c2.Run, Backoff: supervisor.Backoff{Initial: 2 * time.Second}},
			},
		})
		if sup := tree.Snapshot().Supervisors[0]; sup.Tokens != 1 || sup.Budget.Burst != 1 {
			t.Fatalf("supervisor %+v", sup)
		}
		c1.Fail(errBoom) // backoff 2 s, token free: at 2 s, for the backoff
		settle()
		c2.Fail(errBoom) // backoff 2 s, next token at 12 s: for the budget
		settle()
		a, b := child(t, tree, "/a"), child(t, tree, "/b")
		if a.WaitingFor != "backoff" || !a.NextAttempt.Equal(t0.Add(2*time.Second)) {
			t.Fatalf("a: %+v", a)
		}
		if b.WaitingFor != "budget" || !b.NextAttempt.Equal(t0.Add(12*time.Second)) {
			t.Fatalf("b: %+v", b)
		}
		stages := rec.Filter(func(e supervisor.Event) bool { return e.Kind == supervisor.EventChildBackoff })
		if len(stages) != 2 || stages[0].Rule != "backoff" || stages[1].Rule != "budget" {
			t.Fatalf("events %s", supervisortest.Format(stages))
		}
		time.Sleep(12 * time.Second)
		settle()
		if sup := tree.Snapshot().Supervisors[0]; sup.Tokens != 0 || sup.RecentRestarts != 1 { // the restart at 2 s left the 5 s window
			t.Fatalf("supervisor %+v", sup)
		}
		wantState(t, tree, "/a", supervisor.StateRunning)
		wantState(t, tree, "/b", supervisor.StateRunning)
	})
}

// failOnceSlowRestart returns a gated child's body: its first attempt fails
// once fail is closed, its restarts take 100 ms to become ready and then
// run until stopped.
func failOnceSlowRestart(fail <-chan struct{}) func(context.Context) error {
	return func(ctx context.Context) error {
		if info, _ := supervisor.Info(ctx); info.Generation > 1 {
			time.Sleep(100 * time.Millisecond) // a slow start
		}
		supervisor.Ready(ctx)
		select {
		case <-fail:
			if info, _ := supervisor.Info(ctx); info.Generation == 1 {
				return errBoom
			}
			<-ctx.Done()
		case <-ctx.Done():
		}
		return nil
	}
}

// MaxRestarting: 1,000 gated children fail at once; at most 10 restarts
// are ever in progress (restarted, not yet ready), the others queue in
// order with an event, and every one of them runs in the end.
func TestThrottle(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const n, limit = 1000, 10
		fail := make(chan struct{})
		run := failOnceSlowRestart(fail)
		spec := supervisor.Spec{
			Intensity:     supervisor.Intensity{MaxRestarts: 2 * n, Period: time.Minute},
			MaxRestarting: limit,
		}
		for i := range n {
			spec.Children = append(spec.Children, supervisor.Child{Name: fmt.Sprint("c", i), Run: run,
				Readiness: supervisor.ReadinessExplicit})
		}
		tree, rec := start(t, spec)
		close(fail)
		settle()
		s := tree.Snapshot()
		if s.Counts[supervisor.StatePending] != n-limit || s.Counts[supervisor.StateStarting] != limit {
			t.Fatalf("counts %v", s.Counts)
		}
		if sup := s.Supervisors[0]; sup.Restarting != limit || sup.Queued != n-limit || sup.MaxRestarting != limit {
			t.Fatalf("supervisor %+v", sup)
		}
		for _, c := range tree.Snapshot().Children {
			if c.State == supervisor.StatePending && c.WaitingFor != "throttle" {
				t.Fatalf("queued child %+v", c)
			}
		}
		time.Sleep(time.Duration(n/limit) * 100 * time.Millisecond)
		settle()
		s = tree.Snapshot()
		if s.Counts[supervisor.StateReady] != n {
			t.Fatalf("counts %v: every queued restart must run", s.Counts)
		}
		if sup := s.Supervisors[0]; sup.Restarting != 0 || sup.Queued != 0 || sup.RecentRestarts != n {
			t.Fatalf("supervisor %+v", sup)
		}
		var inProgress, peak int
		var queued, admitted []string
		for _, e := range rec.Events() {
			switch e.Kind {
			case supervisor.EventChildRestarting:
				inProgress++
				peak = max(peak, inProgress)
				admitted = append(admitted, e.Path)
			case supervisor.EventChildRestarted:
				inProgress--
			case supervisor.EventChildQueued:
				queued = append(queued, e.Path)
				if e.Rule != "throttle" {
					t.Fatalf("queued event %v", e)
				}
			}
		}
		if peak != limit || len(queued) != n-limit || len(admitted) != n {
			t.Fatalf("peak %d in progress (cap %d), %d queued, %d restarted", peak, limit, len(queued), len(admitted))
		}
		if !slices.Equal(admitted[limit:], queued) {
			t.Fatal("queued restarts did not run in the order they queued")
		}
	})
}

// A restart in progress lands when its attempt fails, too: the queue
// moves on.
func TestThrottleFailedStartFreesSlot(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a, b := &supervisortest.Child{}, &supervisortest.Child{}
		readyFirst := func(c *supervisortest.Child) func(context.Context) error {
			return func(ctx context.Context) error {
				if info, _ := supervisor.Info(ctx); info.Generation == 1 {
					supervisor.Ready(ctx)
				}
				return c.Run(ctx)
			}
		}
		tree, rec := start(t, supervisor.Spec{
			MaxRestarting: 1,
			Intensity:     supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
			Children: []supervisor.Child{
				{Name: "a", Run: readyFirst(a), Readiness: supervisor.ReadinessExplicit},
				{Name: "b", Run: readyFirst(b), Readiness: supervisor.ReadinessExplicit},
			},
		})
		a.Fail(errBoom)
		settle()
		b.Fail(errBoom) // queued behind a's restart
		settle()
		if child(t, tree, "/b").State != supervisor.StatePending {
			t.Fatalf("b is not queued behind a:\n%s", supervisortest.Format(rec.Events()))
		}
		a.Fail(errBoom) // a's restart fails before it is ready: b goes
		settle()
		wantState(t, tree, "/b", supervisor.StateStarting)
		if info := wantState(t, tree, "/a", supervisor.StatePending); info.WaitingFor != "throttle" {
			t.Fatalf("a: %+v", info)
		}
	})
}

func TestBudgetValidation(t *testing.T) {
	for _, tc := range []struct {
		spec  supervisor.Spec
		field string
	}{
		{supervisor.Spec{Budget: supervisor.Budget{Burst: 0, Refill: time.Second}}, "budget.burst"},
		{supervisor.Spec{Budget: supervisor.Budget{Burst: 2}}, "budget.refill"},
		{supervisor.Spec{MaxRestarting: -1}, "maxRestarting"},
	} {
		err := supervisor.Validate(tc.spec)
		var ve *supervisor.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
			t.Errorf("%+v: %v, want a problem at %s", tc.spec, err, tc.field)
		}
	}
}

// A group's MaxRestarting caps its own restarts in progress; another
// group's restarts do not wait for it.
func TestThrottleGroup(t *testing.T) {
	bubble(t, func(t *testing.T) {
		fail := make(chan struct{})
		run := failOnceSlowRestart(fail)
		many := supervisor.Intensity{MaxRestarts: 100, Period: time.Minute}
		spec := supervisor.Spec{Groups: []supervisor.Group{
			{Name: "slow", Intensity: many, MaxRestarting: 2},
			{Name: "free", Intensity: many},
		}}
		for i := range 10 {
			spec.Children = append(spec.Children,
				supervisor.Child{Name: fmt.Sprint("s", i), Run: run, Readiness: supervisor.ReadinessExplicit, Group: "slow"},
				supervisor.Child{Name: fmt.Sprint("f", i), Run: run, Readiness: supervisor.ReadinessExplicit, Group: "free"})
		}
		tree, rec := start(t, spec)
		close(fail)
		settle()
		sup := tree.Snapshot().Supervisors[0]
		if g := sup.Groups[0]; g.Restarting != 2 || g.Queued != 8 || g.MaxRestarting != 2 {
			t.Fatalf("slow group %+v", g)
		}
		if g := sup.Groups[1]; g.Restarting != 10 || g.Queued != 0 {
			t.Fatalf("free group %+v: held back by the other group's cap", g)
		}
		q, _ := rec.WaitFor(bg(), func(e supervisor.Event) bool { return e.Kind == supervisor.EventChildQueued })
		if !strings.Contains(q.Reason, "group slow") {
			t.Fatalf("queued event %v", q)
		}
		time.Sleep(time.Second)
		settle()
		if s := tree.Snapshot(); s.Counts[supervisor.StateReady] != 20 {
			t.Fatalf("counts %v", s.Counts)
		}
		peak, inProgress := 0, 0
		for _, e := range rec.Events() {
			if !strings.HasPrefix(e.Path, "/s") {
				continue
			}
			switch e.Kind {
			case supervisor.EventChildRestarting:
				inProgress++
				peak = max(peak, inProgress)
			case supervisor.EventChildRestarted:
				inProgress--
			}
		}
		if peak != 2 {
			t.Fatalf("peak %d restarts in progress in the slow group, cap 2", peak)
		}
	})
}

// A budget describes itself in events and logs; the zero one is none.
func TestBudgetString(t *testing.T) {
	if got := (supervisor.Budget{}).String(); got != "none" {
		t.Errorf("zero budget %q", got)
	}
	if got := (supervisor.Budget{Burst: 5, Refill: time.Second}).String(); got != "burst 5, one more every 1s" {
		t.Errorf("budget %q", got)
	}
}
