package supervisor_test

import (
	"errors"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// A field set on the child wins over the supervisor's Defaults, which win
// over the built-in default.
func TestDefaultsPrecedence(t *testing.T) {
	bubble(t, func(t *testing.T) {
		inherit := &supervisortest.Child{}
		own := &supervisortest.Child{}
		builtin := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
			Defaults: supervisor.Defaults{
				Restart:  supervisor.Transient,
				Shutdown: 2 * time.Second,
				Backoff:  supervisor.Backoff{Initial: time.Second},
			},
			Children: []supervisor.Child{
				{Name: "inherit", Run: inherit.Run},
				{Name: "own", Run: own.Run, Restart: supervisor.Permanent, Shutdown: 3 * time.Second,
					Backoff: supervisor.Backoff{Off: true}},
			},
		})
		// The built-in defaults apply in a supervisor without Defaults.
		if err := tree.AddChild(bg(), "/", supervisor.Child{Name: "sub", Tree: &supervisor.Spec{
			Children: []supervisor.Child{{Name: "builtin", Run: builtin.Run}}}}, audit); err != nil {
			t.Fatal(err)
		}
		if c := child(t, tree, "/inherit"); c.Restart != supervisor.Transient {
			t.Fatalf("/inherit restart %s, want the default transient", c.Restart)
		}
		if c := child(t, tree, "/own"); c.Restart != supervisor.Permanent {
			t.Fatalf("/own restart %s", c.Restart)
		}
		if c := child(t, tree, "/sub/builtin"); c.Restart != supervisor.Permanent {
			t.Fatalf("/sub/builtin restart %s, want the built-in permanent", c.Restart)
		}

		inherit.Return() // transient, by default: a normal exit is final
		own.Return()     // permanent: restarted at once (Backoff Off beats the default)
		inherit2 := inherit.Runs()
		settle()
		if inherit.Runs() != inherit2 || own.Runs() != 2 {
			t.Fatalf("runs: inherit %d, own %d", inherit.Runs(), own.Runs())
		}
		own.Fail(errors.New("x"))
		settle()
		if own.Runs() != 3 {
			t.Fatal("Backoff{Off: true} must restart at once")
		}
		// The inherited backoff applies to /inherit's failures.
		if err := tree.ResumeChild(bg(), "/inherit", audit); err != nil {
			t.Fatal(err)
		}
		inherit.Fail(errors.New("x"))
		settle()
		if e, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildBackoff, "/inherit")); err != nil || e.Delay != time.Second {
			t.Fatalf("backoff %v %v, want the default 1s", e, err)
		}
		// Budgets: inherited 2s, own 3s, built-in 5s; the nested supervisor
		// keeps waiting for its children (the default applies to workers).
		tree.Shutdown(bg(), audit)
		budgets := map[string]time.Duration{}
		for _, e := range rec.Filter(supervisortest.Kind(supervisor.EventChildStopping, "")) {
			budgets[e.Path] = e.Delay
		}
		want := map[string]time.Duration{"/own": 3 * time.Second, "/sub/builtin": 5 * time.Second, "/sub": supervisor.Infinity}
		for p, d := range want {
			if budgets[p] != d {
				t.Errorf("%s stop budget %v, want %v", p, budgets[p], d)
			}
		}
	})
}

func TestDefaultsValidation(t *testing.T) {
	err := supervisor.Validate(supervisor.Spec{
		Defaults: supervisor.Defaults{Restart: 9, Shutdown: -1, Backoff: supervisor.Backoff{Off: true, Initial: time.Second}},
		Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle}},
	})
	var ve *supervisor.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Fatalf("Validate = %v, want 3 problems in defaults", err)
	}
	for _, p := range ve.Problems {
		if p.Field != "defaults.restart" && p.Field != "defaults.shutdown" && p.Field != "defaults.backoff" {
			t.Errorf("problem at %s: %s", p.Field, p.Message)
		}
	}
}
