package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// A restart that does not call Ready within its StartTimeout is a failed
// start, an abnormal exit with ErrStartTimeout, for every stage: its
// child_exited event and ChildInfo.LastExit say so, it counts toward the
// restart limit (which quarantines it), and a probation attempt that times
// out fails its probation instead of passing it and looping in starting.
// It used to be recorded as a clean stop: never quarantined, and a passed
// probation.
func TestStartTimeoutIsAFailure(t *testing.T) {
	bubble(t, func(t *testing.T) {
		runs := 0
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{
			Name: "slow", Readiness: supervisor.ReadinessExplicit, StartTimeout: time.Second,
			Quarantine: supervisor.Quarantine{After: 2, Within: time.Minute, Probation: 10 * time.Second},
			Run: func(ctx context.Context) error {
				if runs++; runs == 1 {
					supervisor.Ready(ctx)
					return errors.New("lost its connection") // then never ready again
				}
				<-ctx.Done()
				return nil
			}}}})
		time.Sleep(time.Minute)
		settle()
		exits := rec.Filter(supervisortest.Kind(supervisor.EventChildExited, "/slow"))
		if len(exits) < 2 {
			t.Fatalf("%d exits", len(exits))
		}
		timeout := exits[1] // the first restart's
		if timeout.Exit != supervisor.ExitAbnormal || !errors.Is(timeout.Err, supervisor.ErrStartTimeout) || timeout.Rule == "" {
			t.Errorf("a start timeout's exit: %s", timeout)
		}
		// 1 failure, then 2 timeouts are allowed; the 3rd timeout
		// quarantines it; each probation times out and fails.
		q := rec.Filter(supervisortest.Kind(supervisor.EventChildQuarantined, "/slow"))
		if len(q) == 0 || q[0].Rule != "quarantine" {
			t.Fatalf("never quarantined by its limit: %v", q)
		}
		if runs > 8 {
			t.Errorf("%d runs in a minute: the timeouts did not count toward its limit", runs)
		}
		if n := rec.Count(func(e supervisor.Event) bool {
			return e.Kind == supervisor.EventChildResumed && e.Path == "/slow"
		}); n > 0 {
			t.Errorf("a probation that timed out passed (%d child_resumed)", n)
		}
		info := child(t, tree, "/slow")
		if info.State != supervisor.StateQuarantined || info.LastExit.Class != supervisor.ExitAbnormal ||
			!errors.Is(info.LastExit.Err, supervisor.ErrStartTimeout) {
			t.Errorf("/slow after a minute: %s, last exit %v %v", info.State, info.LastExit.Class, info.LastExit.Err)
		}
	})
}

// The exit that crosses a child's restart limit names the stage that
// decided, the limit ("quarantine"), not the restart type that would have
// restarted it. And probation attempts do not count toward intensity: a
// child failing every probation, a second apart, does not end a supervisor
// that allows 3 restarts in 10 s.
func TestRestartLimitDecisionAndProbationIntensity(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 3, Period: 10 * time.Second},
			Children: []supervisor.Child{{Name: "bad", Run: supervisortest.Exit(errors.New("bad")),
				Quarantine: supervisor.Quarantine{After: 1, Within: time.Minute, Probation: time.Second}}},
		})
		time.Sleep(30 * time.Second)
		settle()
		select {
		case <-tree.Done():
			t.Fatalf("probation attempts exhausted the supervisor's intensity: %v", tree.Wait())
		default:
		}
		exits := rec.Filter(supervisortest.Kind(supervisor.EventChildExited, "/bad"))
		if len(exits) < 20 {
			t.Fatalf("%d exits in 30 s of one-second probations", len(exits))
		}
		if exits[0].Rule != "restart_type" || exits[1].Rule != "quarantine" {
			t.Errorf("the first exit was decided by %q (want restart_type), the one that crossed the limit by %q (want quarantine)",
				exits[0].Rule, exits[1].Rule)
		}
		for _, e := range exits[2:] {
			if e.Rule != "quarantine" || e.Reason == "" {
				t.Fatalf("a failed probation's exit: %s", e)
			}
		}
	})
}
