package supervisor_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// A group's strategy applies among its members only.
func TestGroupStrategyScope(t *testing.T) {
	bubble(t, func(t *testing.T) {
		d1, a := &supervisortest.Child{}, &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{
			Strategy: supervisor.OneForOne,
			Groups:   []supervisor.Group{{Name: "db", Strategy: supervisor.OneForAll}},
			Children: []supervisor.Child{
				{Name: "a", Run: a.Run},
				{Name: "d1", Run: d1.Run, Group: "db"},
				{Name: "d2", Run: supervisortest.Idle, Group: "db"},
				{Name: "b", Run: supervisortest.Idle},
			},
		})
		d1.Fail(errBoom)
		settle()
		gens := func() string {
			var out []string
			for _, c := range tree.Snapshot().Children {
				out = append(out, fmt.Sprintf("%s:%d", c.Name, c.Generation))
			}
			return strings.Join(out, " ")
		}
		if g := gens(); g != "a:1 d1:2 d2:2 b:1" {
			t.Fatalf("after d1 failed: %s; want the group restarted, and only it", g)
		}
		a.Fail(errBoom)
		settle()
		if g := gens(); g != "a:2 d1:2 d2:2 b:1" {
			t.Fatalf("after a failed: %s", g)
		}
	})
}

// A group over its intensity is stopped and quarantined as a unit; the
// supervisor, whose own intensity the storm would have exhausted, goes on.
func TestGroupIntensityQuarantine(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{
			Groups: []supervisor.Group{{Name: "storm", Intensity: supervisor.Intensity{MaxRestarts: 5, Period: time.Minute}}},
			Children: []supervisor.Child{
				{Name: "x", Run: supervisortest.Idle},
				{Name: "s1", Run: failEvery(0), Group: "storm"},
				{Name: "s2", Run: supervisortest.Idle, Group: "storm"},
			},
		})
		settle()
		for _, p := range []string{"/s1", "/s2"} {
			if info := wantState(t, tree, p, supervisor.StateQuarantined); !strings.Contains(info.Reason, "group storm") {
				t.Fatalf("%s: %+v", p, info)
			}
		}
		wantState(t, tree, "/x", supervisor.StateRunning)
		g, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventGroupQuarantined, "/"))
		var ie *supervisor.IntensityError
		if err != nil || g.Rule != "group_intensity" || !strings.Contains(g.Reason, "group storm: more than 5 restarts within 1m") ||
			!errors.As(g.Err, &ie) || ie.Group != "storm" {
			t.Fatalf("group event %v (%v)", g, err)
		}
		for _, e := range rec.Filter(func(e supervisor.Event) bool { return e.Kind == supervisor.EventChildQuarantined }) {
			if e.Rule != "group_intensity" {
				t.Fatalf("member event %v", e)
			}
		}
		sup := tree.Snapshot().Supervisors[0]
		if sup.RecentRestarts != 0 || len(sup.Groups) != 1 || !sup.Groups[0].Quarantined {
			t.Fatalf("supervisor %+v: group restarts count toward the group only", sup)
		}
		if err := tree.ResumeChild(bg(), "/s2", audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/s2", supervisor.StateRunning)
		if tree.Snapshot().Supervisors[0].Groups[0].Quarantined {
			t.Fatal("the group is still marked quarantined with a member running")
		}
	})
}

// Isolation: a sustained storm of one_for_all restarts with slow stops in
// one group does not hold back another group: at least 90% of its failures
// are restarted within 50 ms (in fact all of them, at once).
func TestGroupIsolation(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := supervisor.Spec{Groups: []supervisor.Group{
			{Name: "storm", Strategy: supervisor.OneForAll, Intensity: supervisor.Intensity{MaxRestarts: 10000, Period: time.Minute}},
			{Name: "calm", Intensity: supervisor.Intensity{MaxRestarts: 10000, Period: time.Minute}},
		}}
		spec.Children = append(spec.Children, supervisor.Child{Name: "trigger", Run: failEvery(10 * time.Millisecond), Group: "storm"})
		for i := range 4 {
			spec.Children = append(spec.Children, supervisor.Child{Name: fmt.Sprint("slow", i),
				Run: supervisortest.SlowStop(100 * time.Millisecond), Group: "storm"})
		}
		for i := range 5 {
			spec.Children = append(spec.Children, supervisor.Child{Name: fmt.Sprint("calm", i),
				Run: failEvery(time.Duration(50+10*i) * time.Millisecond), Group: "calm"})
		}
		tree, rec := start(t, spec)
		time.Sleep(10 * time.Second)
		settle()
		failed := map[uint64]time.Time{}
		var failures, prompt, storm int
		for _, e := range rec.Events() {
			calm := strings.HasPrefix(e.Path, "/calm")
			switch {
			case e.Kind == supervisor.EventChildExited && e.Exit == supervisor.ExitAbnormal && calm:
				failures++
				failed[e.Correlation] = e.Time
			case e.Kind == supervisor.EventChildRestarting && calm:
				if at, ok := failed[e.Correlation]; ok && e.Time.Sub(at) <= 50*time.Millisecond {
					prompt++
				}
			case e.Kind == supervisor.EventChildRestarting && e.Path == "/trigger":
				storm++
			}
		}
		t.Logf("storm %d, calm failures %d, prompt %d", storm, failures, prompt)
		if storm < 10 {
			t.Fatalf("only %d storm restarts: no storm", storm)
		}
		if failures < 100 || float64(prompt) < 0.9*float64(failures) {
			t.Fatalf("calm group: %d of %d failures restarted within 50 ms", prompt, failures)
		}
		if s := tree.Snapshot(); s.Supervisors[0].Groups[1].Quarantined {
			t.Fatal("the calm group was quarantined")
		}
	})
}

func TestGroupValidation(t *testing.T) {
	for _, tc := range []struct {
		spec  supervisor.Spec
		field string
	}{
		{supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle, Group: "nope"}}}, "children[0].group"},
		{supervisor.Spec{Groups: []supervisor.Group{{Name: "g"}, {Name: "g"}}}, "groups[1].name"},
		{supervisor.Spec{Groups: []supervisor.Group{{Name: "a/b"}}}, "groups[0].name"},
		{supervisor.Spec{Groups: []supervisor.Group{{Name: "g", Strategy: 9}}}, "groups[0].strategy"},
		{supervisor.Spec{Groups: []supervisor.Group{{Name: "g", Intensity: supervisor.Intensity{MaxRestarts: 1}}}}, "groups[0].intensity.period"},
		{supervisor.Spec{Groups: []supervisor.Group{{Name: "g", MaxRestarting: -1}}}, "groups[0].maxRestarting"},
	} {
		err := supervisor.Validate(tc.spec)
		var ve *supervisor.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
			t.Errorf("%+v: %v, want a problem at %s", tc.spec, err, tc.field)
		}
	}
	// AddChild checks the group against the running supervisor's.
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Groups: []supervisor.Group{{Name: "g"}}})
		err := tree.AddChild(bg(), "/", supervisor.Child{Name: "a", Run: supervisortest.Idle, Group: "h"}, audit)
		var ve *supervisor.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != "child.group" || !strings.Contains(err.Error(), `["g"]`) {
			t.Fatalf("AddChild with an unknown group: %v", err)
		}
		if err := tree.AddChild(bg(), "/", supervisor.Child{Name: "a", Run: supervisortest.Idle, Group: "g"}, audit); err != nil {
			t.Fatal(err)
		}
	})
}
