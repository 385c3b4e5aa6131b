package supervisor_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Precedence: the child's field > the role's default > the supervisor's
// Defaults > the built-in default, shown on the restart type (in the
// snapshot) and the backoff (in the next attempt's time).
func TestRolePrecedence(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Minute},
			Defaults: supervisor.Defaults{Restart: supervisor.Temporary,
				Backoff: supervisor.Backoff{Initial: 7 * time.Second}},
			Children: []supervisor.Child{
				// role over defaults: permanent, backoff 1 s
				{Name: "role", Run: supervisortest.Idle, Role: supervisor.RoleWorker},
				// child over role: transient, backoff 3 s
				{Name: "child", Run: supervisortest.Idle, Role: supervisor.RoleWorker, Restart: supervisor.Transient,
					Backoff: supervisor.Backoff{Initial: 3 * time.Second}},
				// defaults: temporary
				{Name: "defaults", Run: supervisortest.Idle},
			},
		}
		tree, _ := start(t, spec)
		want := map[string]supervisor.RestartType{"/role": supervisor.Permanent, "/child": supervisor.Transient,
			"/defaults": supervisor.Temporary}
		for p, r := range want {
			if got := child(t, tree, p).Restart; got != r {
				t.Errorf("%s restart type %v, want %v", p, got, r)
			}
		}
		// Built-in: no role, no defaults.
		bare, _ := start(t, supervisor.Spec{Children: names("x")})
		if got := child(t, bare, "/x").Restart; got != supervisor.Permanent {
			t.Errorf("built-in restart type %v", got)
		}
		if info := child(t, tree, "/role"); info.Role != supervisor.RoleWorker {
			t.Fatalf("role not shown: %+v", info)
		}
	})
	bubble(t, func(t *testing.T) {
		t0 := time.Now()
		r, c := &supervisortest.Child{}, &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{
			Defaults: supervisor.Defaults{Backoff: supervisor.Backoff{Initial: 7 * time.Second}},
			Children: []supervisor.Child{
				{Name: "role", Run: r.Run, Role: supervisor.RoleService},
				{Name: "child", Run: c.Run, Role: supervisor.RoleService, Backoff: supervisor.Backoff{Initial: 3 * time.Second}},
				{Name: "defaults", Run: supervisortest.Exit(errBoom), Restart: supervisor.Transient},
			},
		})
		r.Fail(errBoom)
		c.Fail(errBoom)
		settle()
		// The service role's backoff starts at 100 ms with up to 20% jitter.
		if next := child(t, tree, "/role").NextAttempt.Sub(t0); next > 100*time.Millisecond || next < 80*time.Millisecond {
			t.Errorf("role backoff %v, want the service role's 80-100 ms", next)
		}
		if next := child(t, tree, "/child").NextAttempt.Sub(t0); next != 3*time.Second {
			t.Errorf("child backoff %v, want its own 3 s", next)
		}
		if next := child(t, tree, "/defaults").NextAttempt.Sub(t0); next != 7*time.Second {
			t.Errorf("defaults backoff %v, want the supervisor's 7 s", next)
		}
	})
}

// A service's "no restart limit" overrides a limit in Spec.Defaults: it
// keeps restarting where a plain child with the same defaults is
// quarantined. A limit set on the service itself still applies.
func TestRoleServiceHasNoLimit(t *testing.T) {
	bubble(t, func(t *testing.T) {
		limit := supervisor.Quarantine{After: 1, Within: time.Minute}
		tree, _ := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Minute},
			Defaults:  supervisor.Defaults{Quarantine: limit},
			Children: []supervisor.Child{
				{Name: "service", Run: failEvery(time.Second), Role: supervisor.RoleService},
				{Name: "plain", Run: failEvery(time.Second)},
				{Name: "own", Run: failEvery(time.Second), Role: supervisor.RoleService, Quarantine: limit},
			},
		})
		time.Sleep(10 * time.Second)
		settle()
		if st := child(t, tree, "/service").State; st == supervisor.StateQuarantined {
			t.Errorf("service quarantined by Spec.Defaults' limit")
		}
		wantState(t, tree, "/plain", supervisor.StateQuarantined)
		wantState(t, tree, "/own", supervisor.StateQuarantined)
	})
}

// A job role with a permanent restart type is a validation error, as are
// sidecars without a proper primary.
func TestRoleValidation(t *testing.T) {
	idle := supervisortest.Idle
	for _, tc := range []struct {
		children []supervisor.Child
		field    string
	}{
		{[]supervisor.Child{{Name: "j", Run: idle, Role: supervisor.RoleJob, Restart: supervisor.Permanent}}, "children[0].restart"},
		{[]supervisor.Child{{Name: "s", Run: idle, Role: supervisor.RoleSidecar}}, "children[0].primary"},
		{[]supervisor.Child{{Name: "w", Run: idle, Primary: "x"}}, "children[0].primary"},
		{[]supervisor.Child{{Name: "s", Run: idle, Role: supervisor.RoleSidecar, Primary: "p"},
			{Name: "p", Run: idle}}, "children[0].primary"},
		{[]supervisor.Child{{Name: "p", Run: idle}, {Name: "s", Run: idle, Role: supervisor.RoleSidecar, Primary: "p"},
			{Name: "s2", Run: idle, Role: supervisor.RoleSidecar, Primary: "s"}}, "children[2].primary"},
		{[]supervisor.Child{{Name: "a", Run: idle, Role: 9}}, "children[0].role"},
	} {
		err := supervisor.Validate(supervisor.Spec{Children: tc.children})
		var ve *supervisor.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
			t.Errorf("%+v: %v, want a problem at %s", tc.children, err, tc.field)
		}
	}
	err := supervisor.Validate(supervisor.Spec{Children: []supervisor.Child{
		{Name: "j", Run: idle, Role: supervisor.RoleJob, Restart: supervisor.Permanent}}})
	if err == nil || !strings.Contains(err.Error(), "cannot be permanent") {
		t.Fatalf("job + permanent: %v", err)
	}
	// The job role is transient, so it may be significant.
	if err := supervisor.Validate(supervisor.Spec{AutoShutdown: supervisor.AnySignificant, Children: []supervisor.Child{
		{Name: "j", Run: idle, Role: supervisor.RoleJob, Significant: true}}}); err != nil {
		t.Fatal(err)
	}
}

// A sidecar stops when its primary's attempt ends and starts again after
// the primary runs again; its own failures are its own.
func TestSidecarFollowsPrimary(t *testing.T) {
	bubble(t, func(t *testing.T) {
		p, s := &supervisortest.Child{}, &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
			Children: []supervisor.Child{
				{Name: "db", Run: p.Run, Backoff: supervisor.Backoff{Initial: time.Second}},
				{Name: "proxy", Run: s.Run, Role: supervisor.RoleSidecar, Primary: "db"},
				{Name: "other", Run: supervisortest.Idle},
			},
		})
		p.Fail(errBoom)
		settle()
		// The primary waits 1 s in backoff; its sidecar is stopped and waits.
		wantState(t, tree, "/db", supervisor.StateBackoff)
		if info := wantState(t, tree, "/proxy", supervisor.StatePending); info.WaitingFor != "primary" {
			t.Fatalf("sidecar %+v", info)
		}
		stop, _ := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildStopping, "/proxy"))
		if stop.Reason != "primary stopped" {
			t.Fatalf("stop %v", stop)
		}
		time.Sleep(time.Second)
		settle()
		wantState(t, tree, "/db", supervisor.StateRunning)
		info := wantState(t, tree, "/proxy", supervisor.StateRunning)
		if info.Generation != 2 {
			t.Fatalf("sidecar %+v", info)
		}
		order := sequence(rec, supervisor.EventChildRestarting)
		if got := strings.Join(order, ", "); got != "child_restarting /db, child_restarting /proxy" {
			t.Fatalf("restarts %s: the sidecar restarts after its primary", got)
		}
		r, _ := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildRestarting, "/proxy"))
		if r.Rule != "sidecar" || !strings.Contains(r.Reason, "/db") {
			t.Fatalf("sidecar restart %v", r)
		}
		// The sidecar's own failure restarts it alone.
		s.Fail(errBoom)
		time.Sleep(time.Second)
		settle()
		if g := child(t, tree, "/db").Generation; g != 2 {
			t.Fatalf("primary generation %d after its sidecar failed", g)
		}
		wantState(t, tree, "/proxy", supervisor.StateRunning)
		wantState(t, tree, "/other", supervisor.StateRunning)
		if g := child(t, tree, "/other").Generation; g != 1 {
			t.Fatal("a bystander was restarted")
		}
	})
}

// Children declared after a sidecar are found by name like any other
// (regression: the name index was built while the children were still
// being declared, when a sidecar looked its primary up).
func TestSidecarLaterSiblingsFound(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "db", Run: supervisortest.Idle},
			{Name: "proxy", Run: supervisortest.Idle, Role: supervisor.RoleSidecar, Primary: "db"},
			{Name: "later", Run: supervisortest.Idle},
		}})
		if err := tree.RestartChild(bg(), "/later", audit); err != nil {
			t.Fatal(err)
		}
		if g := wantState(t, tree, "/later", supervisor.StateRunning).Generation; g != 2 {
			t.Fatalf("generation %d", g)
		}
	})
}

// An operator's pause of the primary takes the sidecar down with it;
// resuming the primary brings both back.
func TestSidecarPrimaryPaused(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "db", Run: supervisortest.Idle},
			{Name: "proxy", Run: supervisortest.Idle, Role: supervisor.RoleSidecar, Primary: "db"},
		}})
		if err := tree.PauseChild(bg(), "/db", audit); err != nil {
			t.Fatal(err)
		}
		settle()
		wantState(t, tree, "/proxy", supervisor.StatePending)
		if err := tree.ResumeChild(bg(), "/db", audit); err != nil {
			t.Fatal(err)
		}
		settle()
		wantState(t, tree, "/proxy", supervisor.StateRunning)
		// AddChild checks a new sidecar's primary.
		err := tree.AddChild(bg(), "/", supervisor.Child{Name: "s2", Run: supervisortest.Idle,
			Role: supervisor.RoleSidecar, Primary: "proxy"}, audit)
		var ve *supervisor.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != "child.primary" {
			t.Fatalf("AddChild of a sidecar of a sidecar: %v", err)
		}
	})
}

// A sidecar that fails while its primary is stopping waits for the primary,
// and an event says so (regression: it was parked in pending silently).
func TestSidecarFailureWaitsForPrimary(t *testing.T) {
	bubble(t, func(t *testing.T) {
		s := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "db", Run: supervisortest.SlowStop(2 * time.Second), Shutdown: 5 * time.Second},
			{Name: "proxy", Run: s.Run, Role: supervisor.RoleSidecar, Primary: "db"},
		}})
		restarted := make(chan error, 1)
		go func() { restarted <- tree.RestartChild(bg(), "/db", audit) }()
		settle()
		wantState(t, tree, "/db", supervisor.StateStopping)
		s.Fail(errBoom)
		settle()
		q, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildQueued, "/proxy"))
		if err != nil || q.Rule != "sidecar" || !strings.Contains(q.Reason, "/db") {
			t.Fatalf("queued %v, %v: the sidecar should say it waits for /db", q, err)
		}
		if info := wantState(t, tree, "/proxy", supervisor.StatePending); info.WaitingFor != "primary" {
			t.Fatalf("sidecar %+v", info)
		}
		if err := <-restarted; err != nil {
			t.Fatal(err)
		}
		settle()
		wantState(t, tree, "/db", supervisor.StateRunning)
		if g := wantState(t, tree, "/proxy", supervisor.StateRunning).Generation; g != 2 {
			t.Fatalf("sidecar generation %d: it restarts with its primary", g)
		}
	})
}
