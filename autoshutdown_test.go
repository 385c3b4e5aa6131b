package supervisor_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// any_significant: a significant transient child that exits normally ends
// its supervisor, which stops the others in reverse order and ends
// normally; an abnormal exit is restarted instead.
func TestAutoShutdownAnySignificant(t *testing.T) {
	bubble(t, func(t *testing.T) {
		job := &supervisortest.Child{}
		tree, err := supervisor.Start(bg(), supervisor.Spec{
			AutoShutdown: supervisor.AnySignificant,
			Children: []supervisor.Child{
				{Name: "a", Run: supervisortest.Idle},
				{Name: "job", Run: job.Run, Restart: supervisor.Transient, Significant: true},
				{Name: "b", Run: supervisortest.Idle},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		job.Fail(errBoom) // abnormal: restarted, no shutdown
		settle()
		wantState(t, tree, "/job", supervisor.StateRunning)
		job.Return() // normal: the job is done, and so is the supervisor
		if err := tree.Wait(); err != nil {
			t.Fatalf("Wait = %v, want nil: an auto-shutdown is a normal end", err)
		}
		r := tree.Report()
		if !strings.Contains(r.Cause, "auto_shutdown") || !strings.Contains(r.Cause, "/job") {
			t.Fatalf("cause %q", r.Cause)
		}
		if got := sequence(rec, supervisor.EventChildStopping); !slices.Equal(got, []string{"child_stopping /b", "child_stopping /a"}) {
			t.Fatalf("stops %q", got)
		}
		req, _ := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventShutdownRequested, "/"))
		if req.Rule != "auto_shutdown" {
			t.Fatalf("shutdown event %v must name the rule", req)
		}
	})
}

// all_significant: only the last significant child's termination ends the
// supervisor.
func TestAutoShutdownAllSignificant(t *testing.T) {
	bubble(t, func(t *testing.T) {
		j1, j2 := &supervisortest.Child{}, &supervisortest.Child{}
		tree, err := supervisor.Start(bg(), supervisor.Spec{
			AutoShutdown: supervisor.AllSignificant,
			Children: []supervisor.Child{
				{Name: "j1", Run: j1.Run, Restart: supervisor.Temporary, Significant: true},
				{Name: "j2", Run: j2.Run, Restart: supervisor.Temporary, Significant: true},
				{Name: "svc", Run: supervisortest.Idle},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		j1.Fail(errBoom) // temporary: any exit terminates it
		settle()
		select {
		case <-tree.Done():
			t.Fatal("ended while a significant child was still running")
		default:
		}
		j2.Return()
		if err := tree.Wait(); err != nil {
			t.Fatal(err)
		}
	})
}

// Children stopped as collateral of a group restart, and children stopped
// through the control API, never trigger an auto-shutdown.
func TestAutoShutdownBystanders(t *testing.T) {
	bubble(t, func(t *testing.T) {
		bad := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{
			Strategy:     supervisor.OneForAll,
			AutoShutdown: supervisor.AnySignificant,
			Children: []supervisor.Child{
				{Name: "sig", Run: supervisortest.Idle, Restart: supervisor.Transient, Significant: true},
				{Name: "temp", Run: supervisortest.Idle, Restart: supervisor.Temporary, Significant: true},
				{Name: "bad", Run: bad.Run},
			},
		})
		bad.Fail(errBoom) // stops sig and temp as collateral
		settle()
		wantState(t, tree, "/sig", supervisor.StateRunning)
		if err := tree.PauseChild(bg(), "/sig", audit); err != nil {
			t.Fatal(err)
		}
		if err := tree.RemoveChild(bg(), "/bad", audit); err != nil {
			t.Fatal(err)
		}
		settle()
		select {
		case <-tree.Done():
			t.Fatal("an API stop or a collateral stop shut the supervisor down")
		default:
		}
	})
}

// An auto-shutdown climbs only through significant supervisors.
func TestAutoShutdownPropagation(t *testing.T) {
	for _, significant := range []bool{true, false} {
		t.Run(map[bool]string{true: "significant", false: "not significant"}[significant], func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				job := &supervisortest.Child{}
				mode := supervisor.AutoShutdownNever
				if significant {
					mode = supervisor.AnySignificant
				}
				tree, err := supervisor.Start(bg(), supervisor.Spec{
					AutoShutdown: mode,
					Children: []supervisor.Child{
						{Name: "other", Run: supervisortest.Idle},
						{Name: "sub", Restart: supervisor.Transient, Significant: significant, Tree: &supervisor.Spec{
							AutoShutdown: supervisor.AnySignificant,
							Children:     []supervisor.Child{{Name: "job", Run: job.Run, Restart: supervisor.Transient, Significant: true}},
						}},
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				job.Return()
				settle()
				if significant {
					if err := tree.Wait(); err != nil {
						t.Fatal(err)
					}
					return
				}
				// The nested supervisor ended normally; transient, it stays down.
				info := wantState(t, tree, "/sub", supervisor.StateStopped)
				if info.LastExit.Class != supervisor.ExitNormal {
					t.Fatalf("/sub %+v", info)
				}
				wantState(t, tree, "/other", supervisor.StateRunning)
				tree.Shutdown(bg(), audit)
			})
		})
	}
}

func TestAutoShutdownValidation(t *testing.T) {
	err := supervisor.Validate(supervisor.Spec{Children: []supervisor.Child{
		{Name: "a", Run: supervisortest.Idle, Significant: true, Restart: supervisor.Transient}, // no AutoShutdown
	}})
	var ve *supervisor.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "children[0].significant" {
		t.Fatalf("Validate = %v", err)
	}
	err = supervisor.Validate(supervisor.Spec{AutoShutdown: supervisor.AnySignificant, Children: []supervisor.Child{
		{Name: "a", Run: supervisortest.Idle, Significant: true}, // permanent by default
	}})
	if !errors.As(err, &ve) || !strings.Contains(ve.Problems[0].Message, "Transient or Temporary") {
		t.Fatalf("Validate = %v", err)
	}
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: names("a")})
		err := tree.AddChild(bg(), "/", supervisor.Child{Name: "s", Run: supervisortest.Idle, Restart: supervisor.Temporary, Significant: true}, audit)
		if !errors.As(err, new(*supervisor.ValidationError)) {
			t.Fatalf("AddChild = %v", err)
		}
	})
}
