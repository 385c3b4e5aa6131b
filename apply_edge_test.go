package supervisor_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Regression tests from a review of Apply: each comment describes the
// defect the test caught, which the test now shows fixed.

// A sidecar waiting for its primary is stranded when Apply changes the
// strategy from one_for_one to one_for_all: primaryUp no longer follows.
func TestApplySidecarStrandedByStrategyChange(t *testing.T) {
	bubble(t, func(t *testing.T) {
		p := &supervisortest.Child{}
		spec := supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
			Children: []supervisor.Child{
				{Name: "p", Run: p.Run, Backoff: supervisor.Backoff{Initial: time.Second}},
				{Name: "s", Run: supervisortest.Idle, Role: supervisor.RoleSidecar, Primary: "p"},
			},
		}
		tree, _ := start(t, spec)
		p.Fail(errBoom)
		settle()
		wantState(t, tree, "/p", supervisor.StateBackoff)
		wantState(t, tree, "/s", supervisor.StatePending) // waiting for primary
		spec.Strategy = supervisor.OneForAll
		if _, err := tree.Apply(bg(), spec, audit); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		settle()
		wantState(t, tree, "/p", supervisor.StateRunning)
		s := child(t, tree, "/s")
		if s.State != supervisor.StateRunning {
			t.Fatalf("sidecar stranded: %s waitingFor=%q gen=%d", s.State, s.WaitingFor, s.Generation)
		}
	})
}

// Replacing a primary (kind change) unlinks its unchanged sidecar for
// good: the sidecar no longer follows the new primary.
func TestApplyPrimaryReplacedSidecarUnlinked(t *testing.T) {
	spec := func(nested bool) supervisor.Spec {
		p := supervisor.Child{Name: "p", Run: supervisortest.Idle}
		if nested {
			p = supervisor.Child{Name: "p", Tree: &supervisor.Spec{Children: names("x")}}
		}
		return supervisor.Spec{Children: []supervisor.Child{
			p,
			{Name: "s", Run: supervisortest.Idle, Role: supervisor.RoleSidecar, Primary: "p"},
		}}
	}
	for _, viaApply := range []bool{false, true} {
		name := "started-nested"
		if viaApply {
			name = "applied-nested"
		}
		t.Run(name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				tree, _ := start(t, spec(!viaApply))
				if viaApply {
					p, err := tree.Apply(bg(), spec(true), audit)
					if err != nil || p.String() != "restart /p: kind\n" {
						t.Fatalf("Apply = %v\n%s", err, p)
					}
				}
				settle()
				if c := child(t, tree, "/s"); c.State != supervisor.StateRunning {
					t.Errorf("after Apply the sidecar is %s (waitingFor %q, generation %d)", c.State, c.WaitingFor, c.Generation)
				}
				before := child(t, tree, "/s").Generation
				if err := tree.RestartChild(bg(), "/p", audit); err != nil {
					t.Fatal(err)
				}
				settle()
				if g := child(t, tree, "/s").Generation; g != before+1 {
					t.Fatalf("sidecar did not follow its primary's restart: generation %d", g)
				}
			})
		})
	}
}

// A nested supervisor that is down at diff time (backoff) but starts
// again, with its old plan, while Apply works on its parent, never gets
// its new spec: Apply reports success.
func TestApplyNestedStartsDuringApply(t *testing.T) {
	bubble(t, func(t *testing.T) {
		k := &supervisortest.Child{}
		spec := func(slow bool, inner ...supervisor.Child) supervisor.Spec {
			var cs []supervisor.Child
			if slow {
				cs = append(cs, supervisor.Child{Name: "slow", Run: supervisortest.SlowStop(3 * time.Second)})
			}
			cs = append(cs, supervisor.Child{Name: "sub", Backoff: supervisor.Backoff{Initial: time.Second},
				Tree: &supervisor.Spec{Children: inner}})
			return supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Minute}, Children: cs}
		}
		a := supervisor.Child{Name: "a", Run: k.Run}
		tree, _ := start(t, spec(true, a))
		k.Fail(supervisor.ErrEscalate)
		settle()
		wantState(t, tree, "/sub", supervisor.StateBackoff)
		type res struct {
			p   *supervisor.Plan
			err error
		}
		done := make(chan res, 1)
		go func() {
			p, err := tree.Apply(bg(), spec(false, a, supervisor.Child{Name: "b", Run: supervisortest.Idle}), audit)
			done <- res{p, err}
		}()
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Logf("plan:\n%s", r.p)
		settle()
		wantState(t, tree, "/sub", supervisor.StateReady)
		if _, ok := tree.Snapshot().Child("/sub/b"); !ok {
			t.Fatalf("Apply succeeded with plan %q but /sub/b is missing", r.p.String())
		}
	})
}

// Apply's restart is merged into an operator's restart whose new attempt
// was launched with the old code: Apply succeeds, the old code keeps
// running, Revision claims the new one, and re-applying changes nothing.
func TestApplyRestartMergedRunsOldCode(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var oldRuns, newRuns atomic.Int32
		release := make(chan struct{})
		defer closeIfOpen(release)
		oldRun := func(ctx context.Context) error {
			if oldRuns.Add(1) > 1 {
				select {
				case <-release:
				case <-ctx.Done():
					return nil
				}
			}
			supervisor.Ready(ctx)
			<-ctx.Done()
			return nil
		}
		newRun := func(ctx context.Context) error {
			newRuns.Add(1)
			supervisor.Ready(ctx)
			<-ctx.Done()
			return nil
		}
		spec := func(run func(context.Context) error, rev string) supervisor.Spec {
			return supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: run, Revision: rev,
				Readiness: supervisor.ReadinessExplicit}}}
		}
		tree, _ := start(t, spec(oldRun, "1"))
		opDone := make(chan error, 1)
		go func() { opDone <- tree.RestartChild(bg(), "/a", audit) }()
		settle()
		wantState(t, tree, "/a", supervisor.StateStarting) // operator's restart, old code, not ready yet
		applyDone := make(chan error, 1)
		go func() {
			_, err := tree.Apply(bg(), spec(newRun, "2"), audit)
			applyDone <- err
		}()
		settle()
		close(release)
		if err := <-opDone; err != nil {
			t.Fatal(err)
		}
		if err := <-applyDone; err != nil {
			t.Fatal(err)
		}
		settle()
		c := wantState(t, tree, "/a", supervisor.StateReady)
		p, _ := tree.Apply(bg(), spec(newRun, "2"), audit)
		t.Logf("re-apply plan: %q; revision %q; old runs %d, new runs %d", p.String(), c.Revision, oldRuns.Load(), newRuns.Load())
		if newRuns.Load() == 0 {
			t.Fatalf("Apply succeeded and shows revision %q, but the new code never ran (re-apply: %q)", c.Revision, p.String())
		}
	})
}

// Apply's ctx ends after the update step: the children whose restart
// was not sent yet keep the old code, with the new plan recorded, and a
// second Apply of the same spec sees nothing to do.
func TestApplyCtxAfterUpdateLosesRestart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var yNew atomic.Int32
		hang := func(ctx context.Context) error { <-ctx.Done(); return nil } // never Ready
		yNewRun := func(ctx context.Context) error { yNew.Add(1); <-ctx.Done(); return nil }
		spec := func(rev string) supervisor.Spec {
			x := supervisor.Child{Name: "x", Run: supervisortest.Idle, Revision: rev}
			y := supervisor.Child{Name: "y", Run: supervisortest.Idle, Revision: rev}
			if rev == "2" {
				x.Run, x.Readiness, x.StartTimeout = hang, supervisor.ReadinessExplicit, time.Hour
				y.Run = yNewRun
			}
			return supervisor.Spec{Children: []supervisor.Child{x, y}}
		}
		tree, _ := start(t, spec("1"))
		ctx, cancel := context.WithTimeout(bg(), time.Second)
		defer cancel()
		p, err := tree.Apply(ctx, spec("2"), audit)
		t.Logf("first Apply: %v\n%s", err, p)
		p, err = tree.Apply(bg(), spec("2"), audit)
		t.Logf("second Apply: %v\n%q", err, p.String())
		settle()
		y := child(t, tree, "/y")
		if yNew.Load() == 0 {
			t.Fatalf("/y shows revision %q but runs its old code, and re-applying plans %q", y.Revision, p.String())
		}
	})
}

// A child added by an operator while Apply drops its group stays in a
// group the plan no longer has; the next Apply that declares it panics
// (index out of range) while holding the tree lock.
func TestApplyLingeringGroupPanics(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{
			Groups: []supervisor.Group{{Name: "old"}},
			Children: []supervisor.Child{
				{Name: "slow", Run: supervisortest.SlowStop(2 * time.Second)},
				{Name: "a", Run: supervisortest.Idle},
			},
		})
		done := make(chan error, 1)
		go func() {
			_, err := tree.Apply(bg(), supervisor.Spec{Children: names("a")}, audit)
			done <- err
		}()
		time.Sleep(time.Second) // Apply is removing /slow
		if err := tree.AddChild(bg(), "/", supervisor.Child{Name: "extra", Run: supervisortest.Idle, Group: "old"}, audit); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		t.Logf("groups after Apply: %+v", tree.Snapshot().Supervisors[0].Groups)
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Apply panicked (tree lock still held): %v", r)
				panic(r) // the tree lock is held: the cleanup could only hang
			}
		}()
		tree.Apply(bg(), supervisor.Spec{Children: names("a", "extra")}, audit)
	})
}

// A Temporary child that ran to completion is added and run again by
// every Apply, though Diff of the same spec is empty.
func TestApplyTemporaryRerun(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var runs atomic.Int32
		spec := supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "migrate", Restart: supervisor.Temporary, Run: func(context.Context) error { runs.Add(1); return nil }},
		}}
		tree, _ := start(t, spec)
		settle()
		d, _ := supervisor.Diff(spec, spec)
		p, err := tree.Apply(bg(), spec, audit)
		settle()
		if runs.Load() != 1 {
			t.Fatalf("re-applying the same spec ran the one-shot child again (runs %d); Apply plan %q, Diff %q, err %v",
				runs.Load(), p.String(), d.String(), err)
		}
	})
}

// Two Applys at once interleave their steps: the tree ends up matching
// neither spec.
func TestApplyConcurrentApply(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "slow", Run: supervisortest.SlowStop(2 * time.Second)},
			{Name: "a", Run: supervisortest.Idle},
		}})
		errs := make(chan error, 2)
		go func() { _, err := tree.Apply(bg(), supervisor.Spec{Children: names("a", "x")}, audit); errs <- err }()
		time.Sleep(500 * time.Millisecond)
		go func() { _, err := tree.Apply(bg(), supervisor.Spec{Children: names("a", "y")}, audit); errs <- err }()
		t.Log(<-errs, <-errs)
		var got []string
		for _, c := range tree.Snapshot().Children {
			got = append(got, c.Name)
		}
		if len(got) != 2 {
			t.Fatalf("after Apply([a x]) and Apply([a y]) the tree has %v", got)
		}
	})
}

// A nested supervisor restarted (with its new spec) between the parent's
// update and its own steps makes Apply report spurious failures.
func TestApplyNestedRestartSpuriousFailure(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := func(late bool, inner ...string) supervisor.Spec {
			cs := []supervisor.Child{{Name: "sub", Tree: &supervisor.Spec{Children: names(inner...)}}}
			if late {
				cs = append(cs, supervisor.Child{Name: "late", Readiness: supervisor.ReadinessExplicit,
					Run: func(ctx context.Context) error {
						time.Sleep(2 * time.Second)
						supervisor.Ready(ctx)
						<-ctx.Done()
						return nil
					}})
			}
			return supervisor.Spec{Children: cs}
		}
		tree, _ := start(t, spec(false, "a"))
		done := make(chan error, 1)
		go func() { _, err := tree.Apply(bg(), spec(true, "a", "b"), audit); done <- err }()
		time.Sleep(time.Second) // Apply is adding /late
		if err := tree.RestartChild(bg(), "/sub", audit); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Apply: %v (the tree is as the spec says: /sub/b exists)", err)
		}
	})
}

// Switching Liveness to Progress does not apply to the running attempt,
// though the docs say a new liveness applies at once.
func TestApplyLivenessProgressNotAtOnce(t *testing.T) {
	bubble(t, func(t *testing.T) {
		run := func(ctx context.Context) error {
			for {
				supervisor.Heartbeat(ctx) // alive, but makes no progress
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(500 * time.Millisecond):
				}
			}
		}
		spec := func(progress bool) supervisor.Spec {
			return supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: run,
				Liveness: supervisor.Liveness{Interval: time.Second, Progress: progress}}}}
		}
		tree, _ := start(t, spec(false))
		if _, err := tree.Apply(bg(), spec(true), audit); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		if c := child(t, tree, "/a"); !c.Unhealthy {
			t.Fatalf("no progress for 10s under Liveness{Progress: true, StaleAfter: 3s}, yet healthy: %+v", c)
		}
	})
}

// Diff output issues: nil and empty rules, sentinels, a nested supervisor's
// change as a child and its own settings under one key.
type listErr []string

func (l listErr) Error() string { return "list" }

type wrapErr struct{ inner error }

func (w wrapErr) Error() string { return "wrap" }

// Diff's plan in the corner cases a review found: a nested supervisor's
// child policy and its own settings changing at once are two steps; nil and
// empty rules are the same; two sentinels with one text are different
// errors (errors.Is tells them apart), so the rules changed; the plan lists
// a supervisor's children in the new spec's order (Apply carries out
// restarts before additions, as Plan says); and rules holding errors of
// uncomparable types are compared without a panic.
func TestApplyDiffOutput(t *testing.T) {
	base := func() supervisor.Spec {
		return supervisor.Spec{Children: []supervisor.Child{{Name: "sub", Tree: &supervisor.Spec{Children: names("a")}}}}
	}
	uncomparable := func() supervisor.Spec {
		return supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle,
			Rules: []supervisor.Rule{{Is: wrapErr{listErr{"x"}}, Action: supervisor.ActionStop}}}}}
	}
	for _, c := range []struct {
		name   string
		change func(o, n *supervisor.Spec)
		want   string
	}{
		{"child policy and nested settings", func(o, n *supervisor.Spec) {
			n.Children[0].Shutdown = time.Second
			n.Children[0].Tree.Strategy = supervisor.OneForAll
		}, "update /sub: shutdown\nupdate /sub: strategy\n"},
		{"nil and empty rules", func(o, n *supervisor.Spec) { n.Defaults.Rules = []supervisor.Rule{} }, "no changes\n"},
		{"two sentinels with one text", func(o, n *supervisor.Spec) {
			o.Defaults.Rules = []supervisor.Rule{{Is: errors.New("x"), Action: supervisor.ActionStop}}
			n.Defaults.Rules = []supervisor.Rule{{Is: errors.New("x"), Action: supervisor.ActionStop}}
			o.Children = append(o.Children, names("w")...)
			n.Children = append(n.Children, names("w")...)
		}, "update /: defaults\nupdate /sub: rules\nupdate /w: rules\n"},
		{"the new spec's order", func(o, n *supervisor.Spec) {
			*o = supervisor.Spec{Children: names("a")}
			*n = supervisor.Spec{Children: []supervisor.Child{{Name: "x", Run: supervisortest.Idle}, {Name: "a", Run: other}}}
		}, "add /x\nrestart /a: run\n"},
		{"uncomparable errors in rules", func(o, n *supervisor.Spec) { *o, *n = uncomparable(), uncomparable() }, "no changes\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, n := base(), base()
			c.change(&o, &n)
			p, err := supervisor.Diff(o, n)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != c.want {
				t.Errorf("plan %q, want %q", got, c.want)
			}
		})
	}
}

// Turning a child's restart limit off does not let a child quarantined
// by it go back to normal restarts: a failed probation quarantines it
// again, under a limit it no longer has.
func TestApplyQuarantineOffStillQuarantines(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		spec := func(q supervisor.Quarantine) supervisor.Spec {
			return supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Minute},
				Children: []supervisor.Child{{Name: "a", Run: c.Run, Quarantine: q}}}
		}
		tree, _ := start(t, spec(supervisor.Quarantine{After: 1, Within: time.Minute, Probation: 10 * time.Second}))
		c.Fail(errBoom)
		settle()
		c.Fail(errBoom)
		settle()
		wantState(t, tree, "/a", supervisor.StateQuarantined)
		p, err := tree.Apply(bg(), spec(supervisor.Quarantine{Off: true}), audit)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("plan %q", p.String())
		time.Sleep(11 * time.Second) // probation attempt
		settle()
		wantState(t, tree, "/a", supervisor.StateRunning)
		c.Fail(errBoom)
		settle()
		if info := child(t, tree, "/a"); info.State == supervisor.StateQuarantined {
			t.Fatalf("restart limit is off, yet quarantined again: %q", info.Reason)
		}
	})
}

// Apply's restart of a Temporary child that ended meanwhile is a failure.
func TestApplyRestartEndedTemporary(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tmp := &supervisortest.Child{}
		spec := func(rev string) supervisor.Spec {
			return supervisor.Spec{Children: []supervisor.Child{
				{Name: "slow", Run: supervisortest.SlowStop(2 * time.Second)},
				{Name: "t", Run: tmp.Run, Restart: supervisor.Temporary, Revision: rev},
			}}
		}
		tree, _ := start(t, spec("1"))
		done := make(chan error, 1)
		go func() {
			s := spec("2")
			s.Children = s.Children[1:]
			_, err := tree.Apply(bg(), s, audit)
			done <- err
		}()
		time.Sleep(time.Second) // removing /slow
		tmp.Return()            // the temporary child ends: its spec is removed
		if err := <-done; err != nil {
			t.Fatalf("Apply: %v", err)
		}
	})
}

// Pre-existing: removing a primary strands its sidecar in pending.
func TestSidecarPrimaryRemoved(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "p", Run: supervisortest.Idle},
			{Name: "s", Run: supervisortest.Idle, Role: supervisor.RoleSidecar, Primary: "p"},
		}})
		if err := tree.RemoveChild(bg(), "/p", audit); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if c := child(t, tree, "/s"); c.State != supervisor.StateRunning {
			t.Fatalf("sidecar after its primary was removed: %s waitingFor=%q", c.State, c.WaitingFor)
		}
	})
}

// Apply's ctx ends while a removal waits for its child to stop, before the
// supervisor's own update: the plan says the update was not carried out
// (it was reported as done, though the strategy never changed).
func TestApplyCtxBeforeUpdateNotCarriedOut(t *testing.T) {
	bubble(t, func(t *testing.T) {
		run := supervisortest.SlowStop(time.Second) // one function: no restart step
		spec := func(strategy supervisor.Strategy, names ...string) supervisor.Spec {
			s := supervisor.Spec{Strategy: strategy}
			for _, n := range names {
				s.Children = append(s.Children, supervisor.Child{Name: n, Run: run})
			}
			return s
		}
		tree, _ := start(t, spec(supervisor.OneForOne, "a", "b"))
		ctx, cancel := context.WithTimeout(bg(), 500*time.Millisecond)
		defer cancel()
		plan, err := tree.Apply(ctx, spec(supervisor.OneForAll, "a"), audit)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Apply = %v, want the context's error", err)
		}
		settle()
		if s := tree.Snapshot().Supervisors[0].Strategy; s != supervisor.OneForOne {
			t.Fatalf("strategy %v: the update was carried out after all", s)
		}
		for _, c := range plan.Changes {
			if c.Path == "/" && c.Action == supervisor.ChangeUpdate {
				if c.Err == nil || !errors.Is(c.Err, context.DeadlineExceeded) {
					t.Fatalf("the supervisor's update reads %v, want not carried out; plan:\n%s", c.Err, plan)
				}
				return
			}
		}
		t.Fatalf("no update of / in the plan:\n%s", plan)
	})
}
