package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// other is a run function with code of its own, unlike supervisortest.Idle.
func other(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// applySpecs returns a spec and a changed copy with one change of each
// kind: unchanged, removed, added, restarted for new code, restarted for a
// new revision, replaced for a new group, updated in place, and a
// supervisor setting.
func applySpecs() (old, new supervisor.Spec) {
	old = supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
		Groups:    []supervisor.Group{{Name: "g"}},
		Children: []supervisor.Child{
			{Name: "same", Run: supervisortest.Idle},
			{Name: "gone", Run: supervisortest.Idle},
			{Name: "code", Run: supervisortest.Idle},
			{Name: "rev", Run: supervisortest.Idle, Revision: "1"},
			{Name: "moved", Run: supervisortest.Idle},
			{Name: "tuned", Run: supervisortest.Idle, Backoff: supervisor.Backoff{Initial: time.Second}},
		},
	}
	new = supervisor.Spec{
		Strategy:  supervisor.RestForOne,
		Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
		Groups:    []supervisor.Group{{Name: "g"}},
		Children: []supervisor.Child{
			{Name: "same", Run: supervisortest.Idle},
			{Name: "code", Run: other},
			{Name: "rev", Run: supervisortest.Idle, Revision: "2"},
			{Name: "moved", Run: supervisortest.Idle, Group: "g"},
			{Name: "tuned", Run: supervisortest.Idle, Backoff: supervisor.Backoff{Initial: 5 * time.Second}},
			{Name: "added", Run: supervisortest.Idle},
		},
	}
	return old, new
}

const applyPlan = `remove /gone
update /: strategy
restart /code: run
restart /rev: revision
restart /moved: group
update /tuned: backoff
add /added
`

// Diff lists each change with what differs, in the order Apply performs
// them.
func TestDiff(t *testing.T) {
	old, new := applySpecs()
	p, err := supervisor.Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != applyPlan {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, applyPlan)
	}
	renamed := new
	renamed.Name = "other"
	var ve *supervisor.ValidationError
	if _, err := supervisor.Diff(old, renamed); !errors.As(err, &ve) || ve.Problems[0].Field != "name" {
		t.Fatalf("Diff with a new name: %v, want the refusal Apply gives", err)
	}
	if p, _ := supervisor.Diff(old, old); len(p.Changes) != 0 || p.String() != "no changes\n" {
		t.Fatalf("a spec against itself: %v", p)
	}
	bad := new
	bad.Children = append(slices.Clone(bad.Children), supervisor.Child{Name: "same", Run: other})
	if _, err := supervisor.Diff(old, bad); !errors.As(err, &ve) || !strings.Contains(err.Error(), "new spec") {
		t.Fatalf("Diff with an invalid spec: %v", err)
	}
}

// Apply carries out the plan on a running tree: each child is changed the
// way the plan says, and untouched children keep running undisturbed.
func TestApply(t *testing.T) {
	bubble(t, func(t *testing.T) {
		old, new := applySpecs()
		tree, rec := start(t, old)
		p, err := tree.Apply(bg(), new, audit)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != applyPlan {
			t.Fatalf("plan:\n%s", p)
		}
		settle()
		s := tree.Snapshot()
		var order []string
		for _, c := range s.Children {
			order = append(order, c.Name)
		}
		if want := []string{"same", "code", "rev", "moved", "tuned", "added"}; !slices.Equal(order, want) {
			t.Fatalf("children %v, want %v", order, want)
		}
		for path, gen := range map[string]uint64{"/same": 1, "/code": 2, "/rev": 2, "/moved": 1, "/tuned": 1, "/added": 1} {
			if c := wantState(t, tree, path, supervisor.StateRunning); c.Generation != gen {
				t.Errorf("%s generation %d, want %d", path, c.Generation, gen)
			}
		}
		if n := len(kinds(rec, "/same")); n != 2 { // starting, running
			t.Errorf("/same saw %v", kinds(rec, "/same"))
		}
		if c := child(t, tree, "/rev"); c.Revision != "2" {
			t.Errorf("revision %q", c.Revision)
		}
		// The replaced child is a new one, in its new group.
		if got := sequence(rec, supervisor.EventChildRemoved, supervisor.EventChildAdded); !slices.Equal(got,
			[]string{"child_removed /gone", "child_removed /moved", "child_added /moved", "child_added /added"}) {
			t.Errorf("removed and added: %q", got)
		}
		if s.Supervisors[0].Strategy != supervisor.RestForOne || s.Supervisors[0].Groups[0].Name != "g" {
			t.Errorf("supervisor %+v", s.Supervisors[0])
		}
		// Updates in place are events with the fields and the audit.
		for path, fields := range map[string]string{"/": "strategy", "/tuned": "backoff", "/code": "run"} {
			e, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventSpecUpdated, path))
			if err != nil || e.Reason != fields || e.Audit != audit {
				t.Errorf("spec_updated %s: %v (%v)", path, e, err)
			}
		}
	})
}

// A policy updated in place takes effect at the child's next decision.
func TestApplyUpdateTakesEffect(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		spec := func(initial time.Duration) supervisor.Spec {
			return supervisor.Spec{Children: []supervisor.Child{
				{Name: "c", Run: c.Run, Backoff: supervisor.Backoff{Initial: initial}}}}
		}
		tree, _ := start(t, spec(time.Second))
		if _, err := tree.Apply(bg(), spec(7*time.Second), audit); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		c.Fail(errBoom)
		settle()
		info := wantState(t, tree, "/c", supervisor.StateBackoff)
		if d := info.NextAttempt.Sub(t0); d != 7*time.Second {
			t.Fatalf("backoff %v after the update, want 7s", d)
		}
		if info.Generation != 1 || c.Runs() != 1 {
			t.Fatalf("the update restarted the child: %+v", info)
		}
	})
}

// A strategy change applies to the next failure: under one_for_all a
// sibling's failure restarts everyone.
func TestApplyStrategy(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a := &supervisortest.Child{}
		spec := supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: a.Run}, {Name: "b", Run: supervisortest.Idle}}}
		tree, _ := start(t, spec)
		spec.Strategy = supervisor.OneForAll
		if _, err := tree.Apply(bg(), spec, audit); err != nil {
			t.Fatal(err)
		}
		a.Fail(errBoom)
		settle()
		if g := wantState(t, tree, "/b", supervisor.StateRunning).Generation; g != 2 {
			t.Fatalf("b generation %d: one_for_all did not apply", g)
		}
	})
}

// Apply reaches into running nested supervisors without restarting them,
// and a later restart of the nested supervisor keeps the new spec.
func TestApplyNested(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := func(inner ...string) supervisor.Spec {
			return supervisor.Spec{Children: []supervisor.Child{
				{Name: "sub", Tree: &supervisor.Spec{Children: names(inner...)}},
			}}
		}
		tree, _ := start(t, spec("a"))
		p, err := tree.Apply(bg(), spec("a", "b"), audit)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != "add /sub/b\n" {
			t.Fatalf("plan:\n%s", p)
		}
		wantState(t, tree, "/sub/b", supervisor.StateRunning)
		if g := child(t, tree, "/sub").Generation; g != 1 {
			t.Fatalf("the nested supervisor restarted: generation %d", g)
		}
		if err := tree.RestartChild(bg(), "/sub", audit); err != nil {
			t.Fatal(err)
		}
		if c := wantState(t, tree, "/sub/b", supervisor.StateRunning); c.Generation != 1 {
			t.Fatalf("after a restart of /sub: %+v", c)
		}
		if g := child(t, tree, "/sub").Generation; g != 2 {
			t.Fatalf("/sub generation %d", g)
		}
	})
}

// A nested supervisor that is not running takes its new spec when it next
// starts.
func TestApplyNestedStopped(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := func(inner ...string) supervisor.Spec {
			return supervisor.Spec{Children: []supervisor.Child{
				{Name: "sub", Tree: &supervisor.Spec{Children: names(inner...)}},
			}}
		}
		tree, _ := start(t, spec("a"))
		if err := tree.PauseChild(bg(), "/sub", audit); err != nil {
			t.Fatal(err)
		}
		p, err := tree.Apply(bg(), spec("a", "b"), audit)
		if err != nil || p.String() != "add /sub/b\n" {
			t.Fatalf("Apply = %v, plan:\n%s", err, p)
		}
		if err := tree.ResumeChild(bg(), "/sub", audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/sub/b", supervisor.StateRunning)
	})
}

// A spec Apply cannot take changes nothing and says why.
func TestApplyRefused(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := supervisor.Spec{Children: names("a")}
		tree, rec := start(t, spec)
		before := len(rec.Events())
		for _, tc := range []struct {
			spec  supervisor.Spec
			field string
		}{
			{supervisor.Spec{Children: []supervisor.Child{{Name: "a"}}}, "children[0]"},
			{supervisor.Spec{JournalSize: 5, Children: names("a")}, "journalSize"},
			{supervisor.Spec{Name: "other", Children: names("a")}, "name"},
		} {
			_, err := tree.Apply(bg(), tc.spec, audit)
			var oe *supervisor.OpError
			var ve *supervisor.ValidationError
			if !errors.As(err, &oe) || oe.Op != "apply" || !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
				t.Errorf("Apply: %v, want an apply error about %s", err, tc.field)
			}
		}
		if _, err := tree.Apply(bg(), spec, supervisor.Audit{}); !errors.Is(err, supervisor.ErrInvalidAudit) {
			t.Errorf("Apply without audit: %v", err)
		}
		settle()
		if after := len(rec.Events()); after != before {
			t.Fatalf("a refused Apply left events: %s", supervisortest.Format(rec.Events()[before:]))
		}
	})
}

// A step that fails is reported in the plan and the error; the others are
// carried out and the tree stays consistent.
func TestApplyFailedStep(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: names("a")})
		new := supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle, Backoff: supervisor.Backoff{Initial: time.Second}},
			{Name: "broken", Run: supervisortest.Exit(errBoom), Readiness: supervisor.ReadinessExplicit},
			{Name: "fine", Run: supervisortest.Idle},
		}}
		p, err := tree.Apply(bg(), new, audit)
		var ae *supervisor.ApplyError
		var se *supervisor.StartError
		if !errors.As(err, &ae) || !errors.As(err, &se) || se.Path != "/broken" {
			t.Fatalf("Apply = %v, want an *ApplyError with the *StartError", err)
		}
		if len(p.Changes) != 3 || p.Changes[1].Err == nil || p.Changes[0].Err != nil || p.Changes[2].Err != nil {
			t.Fatalf("plan:\n%s", p)
		}
		if _, ok := tree.Snapshot().Child("/broken"); ok {
			t.Fatal("the child that failed to start is in the tree")
		}
		wantState(t, tree, "/fine", supervisor.StateRunning)
		wantState(t, tree, "/a", supervisor.StateRunning)
	})
}

// A paused child whose code changed stays paused, and runs its new code
// when resumed.
func TestApplyKeepsPause(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle, Revision: "1"}}}
		tree, _ := start(t, spec)
		if err := tree.PauseChild(bg(), "/a", audit); err != nil {
			t.Fatal(err)
		}
		ran := make(chan struct{}, 1)
		spec.Children[0] = supervisor.Child{Name: "a", Revision: "2", Run: func(ctx context.Context) error {
			ran <- struct{}{}
			<-ctx.Done()
			return nil
		}}
		if _, err := tree.Apply(bg(), spec, audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/a", supervisor.StatePaused)
		if err := tree.ResumeChild(bg(), "/a", audit); err != nil {
			t.Fatal(err)
		}
		settle()
		select {
		case <-ran:
		default:
			t.Fatal("the resumed child did not run its new code")
		}
	})
}

// Groups come and go. Apply compares the spec with the running tree: a
// child added at run time that the spec does not declare is removed.
func TestApplyGroups(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{
			Groups:   []supervisor.Group{{Name: "old", MaxRestarting: 1}},
			Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle, Group: "old"}},
		})
		if err := tree.AddChild(bg(), "/", supervisor.Child{Name: "extra", Run: supervisortest.Idle, Group: "old"}, audit); err != nil {
			t.Fatal(err)
		}
		p, err := tree.Apply(bg(), supervisor.Spec{
			Groups:   []supervisor.Group{{Name: "new", Strategy: supervisor.OneForAll}},
			Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle, Group: "new"}},
		}, audit)
		if err != nil {
			t.Fatal(err)
		}
		if want := "remove /extra\nupdate /: groups\nrestart /a: group\n"; p.String() != want {
			t.Fatalf("plan:\n%s\nwant:\n%s", p, want)
		}
		gs := tree.Snapshot().Supervisors[0].Groups
		if len(gs) != 1 || gs[0].Name != "new" || gs[0].Strategy != supervisor.OneForAll {
			t.Fatalf("groups %+v", gs)
		}
		wantState(t, tree, "/a", supervisor.StateRunning)
	})
}

// A new order is applied in place; a child that becomes a nested
// supervisor is replaced.
func TestApplyOrderAndKind(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: names("a", "b", "c")})
		p, err := tree.Apply(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "c", Run: supervisortest.Idle},
			{Name: "a", Run: supervisortest.Idle},
			{Name: "b", Tree: &supervisor.Spec{Children: names("x")}},
		}}, audit)
		if err != nil {
			t.Fatal(err)
		}
		if want := "update /: order\nrestart /b: kind\n"; p.String() != want {
			t.Fatalf("plan:\n%s\nwant:\n%s", p, want)
		}
		var order []string
		for _, c := range tree.Snapshot().Children {
			order = append(order, c.Path)
		}
		if want := []string{"/c", "/a", "/b", "/b/x"}; !slices.Equal(order, want) {
			t.Fatalf("children %v, want %v", order, want)
		}
		if c := wantState(t, tree, "/c", supervisor.StateRunning); c.Generation != 1 {
			t.Fatalf("/c restarted: %+v", c)
		}
	})
}
