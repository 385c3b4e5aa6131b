package supervisor_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// TestPipelineOrder shows each stage of the decision pipeline deciding, in
// the order of docs/concepts.md, and the Rule its event carries. Where a
// later stage would decide otherwise, the earlier one wins.
func TestPipelineOrder(t *testing.T) {
	// ruled finds the first event of kind about path and checks its Rule.
	ruled := func(t *testing.T, rec *supervisortest.Recorder, kind supervisor.EventKind, path, rule string) supervisor.Event {
		t.Helper()
		e, err := rec.WaitFor(bg(), supervisortest.Kind(kind, path))
		if err != nil || e.Rule != rule {
			t.Fatalf("%s %s: got %v (%v), want rule %q\n%s", kind, path, e, err, rule, supervisortest.Format(rec.Events()))
		}
		return e
	}
	always := supervisor.Rule{Is: errBoom, Action: supervisor.ActionEscalate}

	t.Run("1 classification", func(t *testing.T) {
		// The supervisor cancelled the attempt: whatever it returns is a
		// clean stop, and the rule that would escalate never sees it.
		bubble(t, func(t *testing.T) {
			tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "a",
				Run:   func(ctx context.Context) error { <-ctx.Done(); return errBoom },
				Rules: []supervisor.Rule{always}}}})
			if err := tree.PauseChild(bg(), "/a", audit); err != nil {
				t.Fatal(err)
			}
			e := ruled(t, rec, supervisor.EventChildExited, "/a", "")
			if e.Exit != supervisor.ExitStopped {
				t.Fatalf("exit %v", e)
			}
			wantState(t, tree, "/a", supervisor.StatePaused)
		})
	})
	t.Run("2 error rules", func(t *testing.T) {
		// A rule stops a permanent child the restart type would restart.
		bubble(t, func(t *testing.T) {
			tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "a",
				Run:   supervisortest.Exit(errBoom),
				Rules: []supervisor.Rule{{Is: errBoom, Action: supervisor.ActionStop}}}}})
			settle()
			ruled(t, rec, supervisor.EventChildExited, "/a", "rules[0]")
			wantState(t, tree, "/a", supervisor.StateFailed)
		})
	})
	t.Run("3 restart type", func(t *testing.T) {
		// No rule matches: a transient child's normal exit is final,
		// before any limit, backoff or budget.
		bubble(t, func(t *testing.T) {
			tree, rec := start(t, supervisor.Spec{
				Budget: supervisor.Budget{Burst: 1, Refill: time.Hour},
				Children: []supervisor.Child{{Name: "a", Run: supervisortest.Exit(nil), Restart: supervisor.Transient,
					Rules:      []supervisor.Rule{always},
					Quarantine: supervisor.Quarantine{After: 1, Within: time.Minute},
					Backoff:    supervisor.Backoff{Initial: time.Second}}}})
			settle()
			ruled(t, rec, supervisor.EventChildExited, "/a", "restart_type")
			wantState(t, tree, "/a", supervisor.StateStopped)
		})
	})
	t.Run("4 restart limit", func(t *testing.T) {
		// The second failure is over the limit: quarantined, with no
		// backoff and no budget token taken.
		bubble(t, func(t *testing.T) {
			tree, rec := start(t, supervisor.Spec{
				Budget: supervisor.Budget{Burst: 1, Refill: time.Hour},
				Children: []supervisor.Child{{Name: "a", Run: supervisortest.Exit(errBoom),
					Quarantine: supervisor.Quarantine{After: 1, Within: time.Minute},
					Backoff:    supervisor.Backoff{Initial: time.Second}}}})
			time.Sleep(time.Second)
			settle()
			ruled(t, rec, supervisor.EventChildQuarantined, "/a", "quarantine")
			wantState(t, tree, "/a", supervisor.StateQuarantined)
			if n := rec.Count(supervisortest.Kind(supervisor.EventChildBackoff, "/a")); n != 1 {
				t.Fatalf("%d backoffs, want 1: the quarantined failure has none", n)
			}
			if tokens := tree.Snapshot().Supervisors[0].Tokens; tokens != 0 {
				t.Fatalf("tokens %d", tokens)
			}
		})
	})
	t.Run("5 backoff", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			tree, rec := start(t, supervisor.Spec{
				Budget: supervisor.Budget{Burst: 5, Refill: time.Hour},
				Children: []supervisor.Child{{Name: "a", Run: c.Run,
					Backoff: supervisor.Backoff{Initial: time.Second}}}})
			c.Fail(errBoom) // a token is free: the backoff decides
			settle()
			e := rec.Filter(supervisortest.Kind(supervisor.EventChildBackoff, "/a"))
			if len(e) != 1 || e[0].Rule != "backoff" || e[0].Delay != time.Second {
				t.Fatalf("backoff events %s", supervisortest.Format(e))
			}
			if info := child(t, tree, "/a"); info.WaitingFor != "backoff" {
				t.Fatalf("%+v", info)
			}
		})
	})
	t.Run("6 budget", func(t *testing.T) {
		// The second restart: the backoff allows it 2 s after the failure,
		// the budget's next token comes an hour after the first restart.
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			tree, rec := start(t, supervisor.Spec{
				Budget: supervisor.Budget{Burst: 1, Refill: time.Hour},
				Children: []supervisor.Child{{Name: "a", Run: c.Run,
					Backoff: supervisor.Backoff{Initial: time.Second}}}})
			c.Fail(errBoom) // restarted at 1 s on the burst's token
			c.Fail(errBoom) // at 1 s: backoff until 3 s, budget until 1 h 1 s
			settle()
			e := rec.Filter(supervisortest.Kind(supervisor.EventChildBackoff, "/a"))
			if len(e) != 2 || e[0].Rule != "backoff" || e[1].Rule != "budget" || e[1].Delay != time.Hour {
				t.Fatalf("backoff events %s", supervisortest.Format(e))
			}
			if info := child(t, tree, "/a"); info.WaitingFor != "budget" {
				t.Fatalf("%+v", info)
			}
		})
	})
	t.Run("7 throttle", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			gated := func(ctx context.Context) error {
				if info, _ := supervisor.Info(ctx); info.Generation == 1 {
					supervisor.Ready(ctx)
					return errBoom
				}
				<-ctx.Done() // never ready: its restart stays in progress
				return nil
			}
			tree, rec := start(t, supervisor.Spec{
				MaxRestarting: 1,
				Children: []supervisor.Child{
					{Name: "a", Run: gated, Readiness: supervisor.ReadinessExplicit, StartTimeout: time.Hour},
					{Name: "b", Run: gated, Readiness: supervisor.ReadinessExplicit, StartTimeout: time.Hour},
				}})
			settle()
			q, err := rec.WaitFor(bg(), func(e supervisor.Event) bool { return e.Kind == supervisor.EventChildQueued })
			if err != nil || q.Rule != "throttle" {
				t.Fatalf("queued %v (%v)", q, err)
			}
			wantState(t, tree, q.Path, supervisor.StatePending)
		})
	})
	t.Run("8 intensity", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			tree, err := supervisor.Start(bg(), supervisor.Spec{
				Intensity: supervisor.Intensity{MaxRestarts: 2, Period: time.Minute},
				Children:  []supervisor.Child{{Name: "a", Run: supervisortest.Exit(errBoom)}}})
			if err != nil {
				t.Fatal(err)
			}
			rec := supervisortest.Record(tree)
			tree.Wait()
			ruled(t, rec, supervisor.EventIntensityExceeded, "/", "intensity")
		})
	})
}
