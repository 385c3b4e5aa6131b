package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

var errDrained = errors.New("drained")

func exitEvent(t *testing.T, rec *supervisortest.Recorder, path string) supervisor.Event {
	t.Helper()
	e, err := rec.WaitFor(bg(), func(e supervisor.Event) bool {
		return e.Kind == supervisor.EventChildExited && e.Path == path && e.Exit != supervisor.ExitStopped
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRuleActions(t *testing.T) {
	t.Run("restart overrides transient", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run, Restart: supervisor.Transient,
				Rules: []supervisor.Rule{{Is: errDrained, Action: supervisor.ActionRestart}}}}})
			c.Fail(fmt.Errorf("%w: %w", supervisor.ErrStop, errDrained)) // a normal exit with a reason
			settle()
			wantState(t, tree, "/c", supervisor.StateRunning)
			if e := exitEvent(t, rec, "/c"); e.Rule != "rules[0]" || e.Reason == "" {
				t.Fatalf("exit event %v must name the rule", e)
			}
		})
	})
	t.Run("stop overrides permanent", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run,
				Rules: []supervisor.Rule{{Message: "^config: ", Action: supervisor.ActionStop}}}}})
			c.Fail(errors.New("config: missing key"))
			settle()
			info := wantState(t, tree, "/c", supervisor.StateFailed)
			if c.Runs() != 1 || info.LastExit.Err.Error() != "config: missing key" {
				t.Fatalf("runs %d, %+v", c.Runs(), info)
			}
		})
	})
	t.Run("quarantine", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run,
				Rules: []supervisor.Rule{{As: (*fs.PathError)(nil), Action: supervisor.ActionQuarantine}}}}})
			c.Fail(fmt.Errorf("load: %w", &fs.PathError{Op: "open", Path: "/etc/x", Err: fs.ErrNotExist}))
			settle()
			wantState(t, tree, "/c", supervisor.StateQuarantined)
			q, _ := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildQuarantined, "/c"))
			if q.Rule != "rules[0]" || q.Reason != "error as *fs.PathError: quarantine" {
				t.Fatalf("quarantined event %+v", q)
			}
			if err := tree.ResumeChild(bg(), "/c", audit); err != nil {
				t.Fatal(err)
			}
			wantState(t, tree, "/c", supervisor.StateRunning)
		})
	})
	t.Run("escalate", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			tree, _ := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run}},
				Defaults: supervisor.Defaults{Rules: []supervisor.Rule{{Is: errDrained, Action: supervisor.ActionEscalate}}}})
			c.Fail(errDrained)
			var ee *supervisor.EscalationError
			if err := tree.Wait(); !errors.As(err, &ee) || ee.Child != "/c" {
				t.Fatalf("Wait = %v", err)
			}
		})
	})
	t.Run("shutdown tree from a nested child", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			tree, _ := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
				{Name: "other", Run: supervisortest.Idle},
				{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run,
					Rules: []supervisor.Rule{{Is: errDrained, Action: supervisor.ActionShutdownTree}}}}}},
			}})
			c.Fail(errDrained)
			var re *supervisor.RuleError
			if err := tree.Wait(); !errors.As(err, &re) || re.Path != "/sub/c" || re.Rule != "rules[0]" || !errors.Is(err, errDrained) {
				t.Fatalf("Wait = %v, want a *RuleError", err)
			}
			if r := tree.Report(); len(r.Children) != 3 {
				t.Fatalf("report %+v", r.Children)
			}
		})
	})
}

// Rules are tried in order, the child's before the supervisor's; all
// matchers of a rule must match.
func TestRuleOrderAndMatchers(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		_, rec := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
			Defaults: supervisor.Defaults{Rules: []supervisor.Rule{
				{Message: "boom", Action: supervisor.ActionRestart},
			}},
			Children: []supervisor.Child{{Name: "c", Run: c.Run, Rules: []supervisor.Rule{
				{Is: errDrained, Message: "never", Action: supervisor.ActionStop}, // both must match
				{Is: errDrained, Action: supervisor.ActionRestart},
			}}},
		})
		c.Fail(errDrained)
		settle()
		c.Fail(errors.New("boom"))
		settle()
		c.Fail(errors.New("other"))
		settle()
		var got []string
		for _, e := range rec.Filter(supervisortest.Exited("/c", supervisor.ExitAbnormal)) {
			got = append(got, e.Rule)
		}
		want := []string{"rules[1]", "defaults.rules[0]", "restart_type"}
		if !slices.Equal(got, want) {
			t.Fatalf("rules that decided: %q, want %q", got, want)
		}
	})
}

// codeError is an error with an exit code, as a process child returns.
type codeError int

func (e codeError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e codeError) ExitCode() int { return int(e) }

// ExitCodes matches an error in the chain with an ExitCode method whose
// code is listed, such as a process child's.
func TestRuleExitCodes(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
			Children: []supervisor.Child{{Name: "c", Run: c.Run, Rules: []supervisor.Rule{
				{ExitCodes: []int{78}, Action: supervisor.ActionStop}, // EX_CONFIG: no point restarting
			}}},
		})
		c.Fail(fmt.Errorf("run: %w", codeError(1)))
		settle()
		c.Fail(errors.New("exit status 78")) // the text alone is no exit code
		settle()
		c.Fail(fmt.Errorf("run: %w", codeError(78)))
		settle()
		var got []string
		for _, e := range rec.Filter(supervisortest.Exited("/c", supervisor.ExitAbnormal)) {
			got = append(got, e.Rule)
		}
		if want := []string{"restart_type", "restart_type", "rules[0]"}; !slices.Equal(got, want) {
			t.Fatalf("rules that decided: %q, want %q", got, want)
		}
		wantState(t, tree, "/c", supervisor.StateFailed)
	})
}

// A context error from the child's own cancellation is a clean stop: no
// rule sees it. The same error while the context is alive is a failure.
func TestRulesIgnoreCleanStops(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{StopErr: context.Canceled}
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run,
			Rules: []supervisor.Rule{{Is: context.Canceled, Action: supervisor.ActionQuarantine}}}}})
		if err := tree.RestartChild(bg(), "/c", audit); err != nil {
			t.Fatal(err)
		}
		settle()
		wantState(t, tree, "/c", supervisor.StateRunning)
		if rec.Count(supervisortest.Kind(supervisor.EventChildQuarantined, "/c")) != 0 {
			t.Fatal("a clean stop was taken for a failure")
		}
		c.Fail(context.Canceled) // while its context is alive
		settle()
		wantState(t, tree, "/c", supervisor.StateQuarantined)
	})
}

func TestRuleValidation(t *testing.T) {
	err := supervisor.Validate(supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: supervisortest.Idle,
		Rules: []supervisor.Rule{{Action: supervisor.ActionStop}, {Message: "(", Action: 0},
			{ExitCodes: []int{3, 0, 256}, Action: supervisor.ActionStop}}}}})
	var ve *supervisor.ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, p := range ve.Problems {
		fields[p.Field] = true
	}
	if len(ve.Problems) != 5 {
		t.Errorf("%d problems, want 5: %v", len(ve.Problems), err)
	}
	for _, f := range []string{"children[0].rules[0]", "children[0].rules[1].message", "children[0].rules[1].action",
		"children[0].rules[2].exitCodes[1]", "children[0].rules[2].exitCodes[2]"} {
		if !fields[f] {
			t.Errorf("no problem reported at %s: %v", f, err)
		}
	}
}
