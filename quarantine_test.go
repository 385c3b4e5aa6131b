package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// limitSpec has a crashing child with a restart limit of 3 failures a
// minute and a healthy sibling, under a supervisor whose intensity the
// crashes alone would exhaust.
func limitSpec(run func(context.Context) error) supervisor.Spec {
	return supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
		Children: []supervisor.Child{
			{Name: "flaky", Run: run,
				Quarantine: supervisor.Quarantine{After: 3, Within: time.Minute, Probation: 30 * time.Second}},
			{Name: "steady", Run: supervisortest.Idle},
		},
	}
}

// quarantined starts limitSpec with a scripted child and fails it until it
// is quarantined.
func quarantined(t *testing.T) (*supervisortest.Child, *supervisor.Tree, *supervisortest.Recorder) {
	t.Helper()
	c := &supervisortest.Child{}
	tree, rec := start(t, limitSpec(c.Run))
	for range 4 {
		c.Fail(errBoom)
	}
	settle()
	wantState(t, tree, "/flaky", supervisor.StateQuarantined)
	return c, tree, rec
}

// A child that fails more often than its limit is quarantined: it is not
// restarted, its sibling and its supervisor go on, and the snapshot says
// why and when its probation comes.
func TestQuarantineAfterRestartLimit(t *testing.T) {
	bubble(t, func(t *testing.T) {
		t0 := time.Now()
		tree, rec := start(t, limitSpec(supervisortest.Exit(errBoom)))
		settle()
		info := wantState(t, tree, "/flaky", supervisor.StateQuarantined)
		if info.Restarts != 3 {
			t.Fatalf("restarts = %d, want 3: the 4th failure quarantines", info.Restarts)
		}
		if !strings.Contains(info.Reason, "4 failures within 1m") {
			t.Fatalf("reason %q", info.Reason)
		}
		if !info.NextAttempt.Equal(t0.Add(30 * time.Second)) {
			t.Fatalf("next attempt %v, want the probation at %v", info.NextAttempt, t0.Add(30*time.Second))
		}
		wantState(t, tree, "/steady", supervisor.StateRunning)
		q, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildQuarantined, "/flaky"))
		if err != nil || q.Rule != "quarantine" || q.Reason != info.Reason {
			t.Fatalf("quarantine event %v (%v)", q, err)
		}
		if n := rec.Count(supervisortest.Kind(supervisor.EventIntensityExceeded, "/")); n != 0 {
			t.Fatalf("intensity exceeded %d times: quarantine must come first", n)
		}
		select {
		case <-tree.Done():
			t.Fatal("the supervisor ended")
		default:
		}
	})
}

// A failing probation attempt sends the child back into quarantine for
// another probation period; each one is a restart with its own event.
func TestProbationFails(t *testing.T) {
	bubble(t, func(t *testing.T) {
		t0 := time.Now()
		tree, rec := start(t, limitSpec(supervisortest.Exit(errBoom)))
		time.Sleep(30 * time.Second)
		settle()
		info := wantState(t, tree, "/flaky", supervisor.StateQuarantined)
		if !strings.Contains(info.Reason, "probation attempt 1 failed") || !info.NextAttempt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after a failed probation: %+v", info)
		}
		rs := rec.Filter(supervisortest.Kind(supervisor.EventChildRestarting, "/flaky"))
		last := rs[len(rs)-1]
		if len(rs) != 4 || last.Rule != "quarantine" || last.Reason != "probation attempt 1" {
			t.Fatalf("restarts %s", supervisortest.Format(rs))
		}
		time.Sleep(30 * time.Second)
		settle()
		if info := child(t, tree, "/flaky"); !strings.Contains(info.Reason, "probation attempt 2 failed") {
			t.Fatalf("second probation: %+v", info)
		}
	})
}

// A probation attempt that runs for the stable period (Backoff.ResetAfter)
// ends the quarantine, with a fresh failure window.
func TestProbationPasses(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c, tree, rec := quarantined(t)
		time.Sleep(30 * time.Second)
		settle()
		if info := wantState(t, tree, "/flaky", supervisor.StateRunning); !info.Probation || info.Reason == "" {
			t.Fatalf("during probation: %+v", info)
		}
		time.Sleep(supervisor.DefaultBackoffResetAfter)
		settle()
		info := wantState(t, tree, "/flaky", supervisor.StateRunning)
		if info.Probation || info.Reason != "" || !info.NextAttempt.IsZero() {
			t.Fatalf("after probation: %+v", info)
		}
		r, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildResumed, "/flaky"))
		if err != nil || r.Rule != "quarantine" || !strings.Contains(r.Reason, "ran for 10s") {
			t.Fatalf("resumed event %v (%v)", r, err)
		}
		// The window starts afresh: three more failures are restarted.
		for range 3 {
			c.Fail(errBoom)
		}
		settle()
		wantState(t, tree, "/flaky", supervisor.StateRunning)
		c.Fail(errBoom)
		settle()
		wantState(t, tree, "/flaky", supervisor.StateQuarantined)
	})
}

// A probation attempt is a restart: it takes a budget token, and while it
// waits for one the snapshot and an event say so.
func TestProbationWaitsForBudget(t *testing.T) {
	bubble(t, func(t *testing.T) {
		t0 := time.Now()
		c := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{
			Budget: supervisor.Budget{Burst: 1, Refill: 100 * time.Second},
			Children: []supervisor.Child{{Name: "flaky", Run: c.Run,
				Backoff:    supervisor.Backoff{Initial: time.Second},
				Quarantine: supervisor.Quarantine{After: 1, Within: time.Minute, Probation: 30 * time.Second}}},
		})
		c.Fail(errBoom) // restarted at 1 s with the only token
		time.Sleep(2 * time.Second)
		settle()
		c.Fail(errBoom) // quarantined, probation due at 32 s, next token at 101 s
		time.Sleep(31 * time.Second)
		settle()
		info := wantState(t, tree, "/flaky", supervisor.StateQuarantined)
		if info.WaitingFor != "budget" || !info.NextAttempt.Equal(t0.Add(101*time.Second)) {
			t.Fatalf("probation held by the budget: %+v", info)
		}
		b, err := rec.WaitFor(bg(), func(e supervisor.Event) bool {
			return e.Kind == supervisor.EventChildBackoff && e.Rule == "budget"
		})
		if err != nil || b.State != supervisor.StateQuarantined || b.Delay != 69*time.Second ||
			!strings.Contains(b.Reason, "probation attempt 1 waits for a token") {
			t.Fatalf("budget event %v (%v)", b, err)
		}
		time.Sleep(69 * time.Second)
		settle()
		if info := wantState(t, tree, "/flaky", supervisor.StateRunning); !info.Probation || info.WaitingFor != "" {
			t.Fatalf("probation attempt: %+v", info)
		}
	})
}

// A probation attempt that exits normally passes too.
func TestProbationNormalExitPasses(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c, tree, rec := quarantined(t)
		time.Sleep(30 * time.Second)
		c.Return()
		settle()
		wantState(t, tree, "/flaky", supervisor.StateRunning) // permanent: restarted
		r, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildResumed, "/flaky"))
		if err != nil || !strings.Contains(r.Reason, "exited normally") {
			t.Fatalf("resumed event %v (%v)", r, err)
		}
	})
}

// ResetChild clears the counters and starts a child quarantined by its
// limit at once; a child an operator paused stays paused.
func TestResetChild(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c, tree, rec := quarantined(t)
		if err := tree.ResetChild(bg(), "/flaky", audit); err != nil {
			t.Fatal(err)
		}
		info := wantState(t, tree, "/flaky", supervisor.StateRunning)
		if info.Probation || info.Reason != "" || info.Attempt != 1 {
			t.Fatalf("after reset: %+v", info)
		}
		e, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildReset, "/flaky"))
		if err != nil || e.Audit != audit {
			t.Fatalf("reset event %v (%v)", e, err)
		}
		done, _ := rec.WaitFor(bg(), func(e supervisor.Event) bool {
			return e.Kind == supervisor.EventCommandCompleted && e.Command == "reset"
		})
		if done.Correlation != e.Correlation || done.Err != nil {
			t.Fatalf("command %v, reset %v", done, e)
		}
		// The window is cleared: three failures are allowed again.
		for range 3 {
			c.Fail(errBoom)
		}
		settle()
		wantState(t, tree, "/flaky", supervisor.StateRunning)

		if err := tree.PauseChild(bg(), "/steady", audit); err != nil {
			t.Fatal(err)
		}
		if err := tree.ResetChild(bg(), "/steady", audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/steady", supervisor.StatePaused)
		if err := tree.ResetChild(bg(), "/nope", audit); !errors.Is(err, supervisor.ErrNotFound) {
			t.Fatalf("reset of a missing child: %v", err)
		}
	})
}

// An operator who resumes a child quarantined by its limit takes over: it
// runs with no probation pending. One who quarantines it stops the
// probations.
func TestQuarantineOperatorTakesOver(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c, tree, _ := quarantined(t)
		if err := tree.ResumeChild(bg(), "/flaky", audit); err != nil {
			t.Fatal(err)
		}
		if info := wantState(t, tree, "/flaky", supervisor.StateRunning); info.Probation || info.Reason != "" {
			t.Fatalf("resumed: %+v", info)
		}
		c.Fail(errBoom) // the limit's window still holds 4 failures
		settle()
		wantState(t, tree, "/flaky", supervisor.StateQuarantined)
		if err := tree.QuarantineChild(bg(), "/flaky", audit); err != nil {
			t.Fatal(err)
		}
		info := wantState(t, tree, "/flaky", supervisor.StateQuarantined)
		if !info.NextAttempt.IsZero() || info.Reason != "" {
			t.Fatalf("operator quarantine: %+v", info)
		}
		time.Sleep(time.Hour)
		settle()
		if c.Runs() != 5 {
			t.Fatalf("%d runs: an operator's quarantine has no probation", c.Runs())
		}
	})
}

// Under one_for_all a quarantined child takes no group restart with it.
func TestQuarantineOneForAll(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := limitSpec(supervisortest.Exit(errBoom))
		spec.Strategy = supervisor.OneForAll
		spec.Intensity.MaxRestarts = 10
		tree, _ := start(t, spec)
		settle()
		wantState(t, tree, "/flaky", supervisor.StateQuarantined)
		steady := wantState(t, tree, "/steady", supervisor.StateRunning)
		if steady.Generation != 4 {
			t.Fatalf("steady generation %d, want 4: restarted with the 3 restarts only", steady.Generation)
		}
		time.Sleep(30 * time.Second) // the probation restarts the child alone
		settle()
		if g := child(t, tree, "/steady").Generation; g != 4 {
			t.Fatalf("steady generation %d after a probation", g)
		}
	})
}

// Precedence: Defaults.Quarantine applies to every child, Off on a child
// turns it off.
func TestQuarantineDefaultsAndOff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Minute},
			Defaults:  supervisor.Defaults{Quarantine: supervisor.Quarantine{After: 1, Within: time.Minute}},
			Children: []supervisor.Child{
				{Name: "a", Run: supervisortest.FailTimes(5, errBoom)},
				{Name: "b", Run: supervisortest.FailTimes(5, errBoom), Quarantine: supervisor.Quarantine{Off: true}},
			},
		})
		settle()
		wantState(t, tree, "/a", supervisor.StateQuarantined)
		if info := wantState(t, tree, "/b", supervisor.StateRunning); info.Restarts != 5 {
			t.Fatalf("b: %+v", info)
		}
		if !child(t, tree, "/a").NextAttempt.Equal(time.Now().Add(supervisor.DefaultProbation)) {
			t.Fatal("the default probation is DefaultProbation")
		}
	})
}

func TestQuarantineValidation(t *testing.T) {
	for _, tc := range []struct {
		q     supervisor.Quarantine
		field string
	}{
		{supervisor.Quarantine{After: 3}, "children[0].quarantine.within"},
		{supervisor.Quarantine{After: -1, Within: time.Second}, "children[0].quarantine.after"},
		{supervisor.Quarantine{Within: time.Second}, "children[0].quarantine.after"},
		{supervisor.Quarantine{Off: true, After: 2}, "children[0].quarantine"},
		{supervisor.Quarantine{After: 1, Within: time.Second, Probation: -1}, "children[0].quarantine.probation"},
	} {
		err := supervisor.Validate(supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle, Quarantine: tc.q}}})
		var ve *supervisor.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
			t.Errorf("%+v: %v, want a problem at %s", tc.q, err, tc.field)
		}
	}
	err := supervisor.Validate(supervisor.Spec{
		Defaults: supervisor.Defaults{Quarantine: supervisor.Quarantine{After: 1}},
		Children: names("a")})
	if err == nil || !strings.Contains(err.Error(), "defaults.quarantine.within") {
		t.Fatalf("defaults: %v", err)
	}
}
