package supervisor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// brokenError is a child's error whose Error method panics.
type brokenError struct{}

func (brokenError) Error() string { panic("Error() is broken") }

// A child's error whose Error method panics is text everywhere the library
// formats it, never a crash: the event's String, its log record and JSON,
// supervisortest.Format, the snapshot's JSON, a plan's failed step, and the
// shutdown a rule starts with it.
func TestPanickingErrorMethod(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var logs supervisortest.Buffer
		c := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{
			Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			Children: []supervisor.Child{
				{Name: "a", Run: c.Run, Backoff: supervisor.Backoff{Initial: time.Second}},
				{Name: "b", Run: supervisortest.Idle,
					Rules: []supervisor.Rule{{As: brokenError{}, Action: supervisor.ActionShutdownTree}}},
			}})
		c.Fail(brokenError{})
		settle()
		const want = "(Error method panicked: Error() is broken)"
		e, err := rec.WaitFor(bg(), supervisortest.Exited("/a", supervisor.ExitAbnormal))
		if err != nil {
			t.Fatal(err)
		}
		if s := e.String(); !strings.Contains(s, want) {
			t.Errorf("String = %q", s)
		}
		if s := supervisortest.Format([]supervisor.Event{e}); !strings.Contains(s, want) {
			t.Errorf("Format = %q", s)
		}
		if b, err := json.Marshal(e); err != nil || !strings.Contains(string(b), want) {
			t.Errorf("event JSON = %s, %v", b, err)
		}
		if b, err := json.Marshal(tree.Snapshot()); err != nil || !strings.Contains(string(b), want) {
			t.Errorf("snapshot JSON = %s, %v", b, err)
		}
		p := &supervisor.Plan{Changes: []supervisor.Change{{Path: "/a", Action: supervisor.ChangeAdd, Err: brokenError{}}}}
		if s := p.String(); !strings.Contains(s, want) {
			t.Errorf("plan = %q", s)
		}
		settle()
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks the error's text:\n%s", logs.String())
		}
		// A rule shuts a tree down with the error: the tree ends, it does
		// not crash.
		ruled, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{{Name: "c",
			Run:   func(context.Context) error { time.Sleep(time.Second); return brokenError{} },
			Rules: []supervisor.Rule{{As: brokenError{}, Action: supervisor.ActionShutdownTree}}}}})
		if err != nil {
			t.Fatal(err)
		}
		var re *supervisor.RuleError
		if err := ruled.Wait(); !errors.As(err, &re) || !strings.Contains(fmt.Sprint(err), "PANIC") {
			t.Fatalf("Wait = %v, want a *RuleError", err)
		}
		if r := ruled.Report(); r == nil || !strings.Contains(r.Cause, "PANIC") {
			t.Fatalf("report %+v", r)
		}
	})
}
