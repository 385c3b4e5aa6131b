package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

func TestAuditRequired(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: names("a")})
		calls := map[string]func(supervisor.Audit) error{
			"add":        func(a supervisor.Audit) error { return tree.AddChild(bg(), "/", names("b")[0], a) },
			"remove":     func(a supervisor.Audit) error { return tree.RemoveChild(bg(), "/a", a) },
			"restart":    func(a supervisor.Audit) error { return tree.RestartChild(bg(), "/a", a) },
			"pause":      func(a supervisor.Audit) error { return tree.PauseChild(bg(), "/a", a) },
			"resume":     func(a supervisor.Audit) error { return tree.ResumeChild(bg(), "/a", a) },
			"quarantine": func(a supervisor.Audit) error { return tree.QuarantineChild(bg(), "/a", a) },
			"shutdown":   func(a supervisor.Audit) error { _, err := tree.Shutdown(bg(), a); return err },
		}
		for name, call := range calls {
			for _, tc := range []struct {
				a     supervisor.Audit
				field string
			}{
				{supervisor.Audit{Why: "x"}, "Who"},
				{supervisor.Audit{Who: " ", Why: "x"}, "Who"},
				{supervisor.Audit{Who: "x"}, "Why"},
			} {
				err := call(tc.a)
				if !errors.Is(err, supervisor.ErrInvalidAudit) || !strings.Contains(err.Error(), tc.field+" must not be empty") {
					t.Errorf("%s with %+v: %v, want ErrInvalidAudit saying %s must not be empty", name, tc.a, err, tc.field)
				}
				var oe *supervisor.OpError
				if !errors.As(err, &oe) || oe.Op != name || !strings.HasPrefix(err.Error(), "supervisor: "+name+" /") {
					t.Errorf("%s with %+v: %v, want an *OpError naming the call and its path", name, tc.a, err)
				}
			}
		}
		wantState(t, tree, "/a", supervisor.StateRunning) // nothing happened
	})
}

func TestAddChild(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "job", Run: supervisortest.Exit(nil), Restart: supervisor.Transient},
			{Name: "sub", Tree: &supervisor.Spec{}},
		}})
		settle()
		if err := tree.AddChild(bg(), "/", supervisor.Child{Name: "b", Run: supervisortest.Idle}, audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/b", supervisor.StateRunning)
		if err := tree.AddChild(bg(), "/sub", supervisor.Child{Name: "x", Run: supervisortest.Idle}, audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/sub/x", supervisor.StateRunning)
		if got := sequence(rec, supervisor.EventChildAdded); len(got) != 2 || got[1] != "child_added /sub/x" {
			t.Fatalf("added events %q", got)
		}
		for _, tc := range []struct {
			parent string
			child  supervisor.Child
			want   error
		}{
			{"/", supervisor.Child{Name: "a", Run: supervisortest.Idle}, supervisor.ErrAlreadyExists},   // running
			{"/", supervisor.Child{Name: "job", Run: supervisortest.Idle}, supervisor.ErrAlreadyExists}, // stopped
			{"/a", supervisor.Child{Name: "c", Run: supervisortest.Idle}, supervisor.ErrNotSupervisor},
			{"/nope", supervisor.Child{Name: "c", Run: supervisortest.Idle}, supervisor.ErrNotFound},
			{"/", supervisor.Child{Name: "bad name", Run: supervisortest.Idle}, nil}, // a *ValidationError
			{"/", supervisor.Child{Name: "norun"}, nil},
			{"nope", supervisor.Child{Name: "c", Run: supervisortest.Idle}, supervisor.ErrInvalidPath},
		} {
			err := tree.AddChild(bg(), tc.parent, tc.child, audit)
			var oe *supervisor.OpError
			matches := errors.Is(err, tc.want)
			if tc.want == nil {
				matches = errors.As(err, new(*supervisor.ValidationError))
			}
			if !matches || !errors.As(err, &oe) || oe.Op != "add" {
				t.Errorf("AddChild(%q, %q) = %v, want an *OpError wrapping %v", tc.parent, tc.child.Name, err, tc.want)
			}
		}
		// A child that fails to start is not added.
		err := tree.AddChild(bg(), "/", supervisor.Child{Name: "dud", Run: supervisortest.Exit(errBoom), Readiness: supervisor.ReadinessExplicit}, audit)
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Path != "/dud" {
			t.Fatalf("AddChild of a failing child = %v", err)
		}
		if _, ok := tree.Snapshot().Child("/dud"); ok {
			t.Fatal("a child that failed to start must not stay")
		}
	})
}

func TestRemoveChild(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: a.Run}, {Name: "b", Run: supervisortest.Idle}}})
		if err := tree.RemoveChild(bg(), "/a", audit); err != nil {
			t.Fatal(err)
		}
		if a.Live() != 0 {
			t.Fatal("RemoveChild must stop the child")
		}
		if _, ok := tree.Snapshot().Child("/a"); ok {
			t.Fatal("the child is still there")
		}
		if err := tree.RemoveChild(bg(), "/a", audit); !errors.Is(err, supervisor.ErrNotFound) {
			t.Fatalf("second remove: %v", err)
		}
		// Its name is free again.
		if err := tree.AddChild(bg(), "/", supervisor.Child{Name: "a", Run: supervisortest.Idle}, audit); err != nil {
			t.Fatal(err)
		}
		if got := sequence(rec, supervisor.EventChildStopping, supervisor.EventChildRemoved); len(got) != 2 {
			t.Fatalf("events %q", got)
		}
	})
}

func TestPauseResumeQuarantine(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		if err := tree.PauseChild(bg(), "/c", audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/c", supervisor.StatePaused)
		n := len(rec.Events())
		if err := tree.PauseChild(bg(), "/c", audit); err != nil { // idempotent
			t.Fatal(err)
		}
		if extra := rec.Events()[n:]; len(extra) != 2 { // accepted, completed
			t.Fatalf("a second pause changed something:\n%s", supervisortest.Format(extra))
		}
		if err := tree.ResumeChild(bg(), "/c", audit); err != nil {
			t.Fatal(err)
		}
		settle()
		info := wantState(t, tree, "/c", supervisor.StateRunning)
		if info.Generation != 2 || info.Attempt != 1 || c.Live() != 1 {
			t.Fatalf("after resume: %+v", info)
		}
		if err := tree.ResumeChild(bg(), "/c", audit); err != nil { // running: nothing to do
			t.Fatal(err)
		}
		if err := tree.QuarantineChild(bg(), "/c", audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/c", supervisor.StateQuarantined)
		c.Release() // nothing runs, nothing happens
		settle()
		wantState(t, tree, "/c", supervisor.StateQuarantined)
		want := []supervisor.EventKind{supervisor.EventChildPaused, supervisor.EventChildResumed, supervisor.EventChildQuarantined}
		var got []supervisor.EventKind
		for _, k := range kinds(rec, "/c") {
			if k == supervisor.EventChildPaused || k == supervisor.EventChildResumed || k == supervisor.EventChildQuarantined {
				got = append(got, k)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

func TestRestartChild(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{StopDelay: time.Second}
		tree, _ := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
			{Name: "c", Run: c.Run}, {Name: "sibling", Run: supervisortest.Idle}}})
		// Concurrent requests merge into one restart.
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Go(func() { errs <- tree.RestartChild(bg(), "/c", audit) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		info := wantState(t, tree, "/c", supervisor.StateRunning)
		if info.Generation != 2 || c.Runs() != 2 || c.Live() != 1 {
			t.Fatalf("generation %d, runs %d, live %d: want one merged restart", info.Generation, c.Runs(), c.Live())
		}
		// Only that child restarts, whatever the strategy.
		if s := child(t, tree, "/sibling"); s.Generation != 1 {
			t.Fatal("RestartChild restarted a sibling")
		}
		// It also starts a paused child.
		if err := tree.PauseChild(bg(), "/c", audit); err != nil {
			t.Fatal(err)
		}
		if err := tree.RestartChild(bg(), "/c", audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/c", supervisor.StateRunning)
	})
}

// OTP's child administration matrix: each call against a running, a
// stopped and a missing child.
func TestAdministrationMatrix(t *testing.T) {
	type op func(tree *supervisor.Tree, path string) error
	ops := map[string]op{
		"add": func(tree *supervisor.Tree, path string) error {
			return tree.AddChild(bg(), "/", supervisor.Child{Name: path[1:], Run: supervisortest.Idle}, audit)
		},
		"remove":  func(tree *supervisor.Tree, path string) error { return tree.RemoveChild(bg(), path, audit) },
		"restart": func(tree *supervisor.Tree, path string) error { return tree.RestartChild(bg(), path, audit) },
		"pause":   func(tree *supervisor.Tree, path string) error { return tree.PauseChild(bg(), path, audit) },
		"resume":  func(tree *supervisor.Tree, path string) error { return tree.ResumeChild(bg(), path, audit) },
	}
	// want: error (nil for success) and the state afterwards ("" = gone).
	type outcome struct {
		err   error
		state string
	}
	matrix := map[string]map[string]outcome{
		"add":     {"running": {supervisor.ErrAlreadyExists, "running"}, "stopped": {supervisor.ErrAlreadyExists, "stopped"}, "missing": {nil, "running"}},
		"remove":  {"running": {nil, ""}, "stopped": {nil, ""}, "missing": {supervisor.ErrNotFound, ""}},
		"restart": {"running": {nil, "running"}, "stopped": {nil, "running"}, "missing": {supervisor.ErrNotFound, ""}},
		"pause":   {"running": {nil, "paused"}, "stopped": {nil, "paused"}, "missing": {supervisor.ErrNotFound, ""}},
		"resume":  {"running": {nil, "running"}, "stopped": {nil, "running"}, "missing": {supervisor.ErrNotFound, ""}},
	}
	for name, row := range matrix {
		for target, want := range row {
			t.Run(name+"/"+target, func(t *testing.T) {
				bubble(t, func(t *testing.T) {
					tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
						{Name: "running", Run: supervisortest.Idle},
						// Exits normally once, then runs when started again.
						{Name: "stopped", Run: supervisortest.FailTimes(1, nil), Restart: supervisor.Transient},
					}})
					settle()
					err := ops[name](tree, "/"+target)
					settle()
					if !errors.Is(err, want.err) || (want.err == nil && err != nil) {
						t.Fatalf("got %v, want %v", err, want.err)
					}
					info, ok := tree.Snapshot().Child("/" + target)
					got := ""
					if ok {
						got = info.State.String()
					}
					if got != want.state {
						t.Fatalf("state %q, want %q", got, want.state)
					}
				})
			})
		}
	}
}

// Commands are served by the control loop without waiting on children: a
// slow stop of one child delays only the command about it.
func TestCommandsDoNotBlockTheLoop(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "slow", Run: supervisortest.SlowStop(time.Hour), Shutdown: 2 * time.Hour},
			{Name: "fast", Run: supervisortest.Idle},
		}})
		paused := make(chan error, 1)
		go func() { paused <- tree.PauseChild(bg(), "/slow", audit) }()
		settle()
		wantState(t, tree, "/slow", supervisor.StateStopping)
		t0 := time.Now()
		if err := tree.PauseChild(bg(), "/fast", audit); err != nil {
			t.Fatal(err)
		}
		if time.Since(t0) != 0 {
			t.Fatal("a command waited for another child's stop")
		}
		// A caller may give up waiting; the command still completes.
		ctx, cancel := context.WithTimeout(bg(), time.Minute)
		defer cancel()
		if err := tree.RemoveChild(ctx, "/slow", audit); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("RemoveChild = %v, want the context's error", err)
		}
		time.Sleep(time.Hour)
		if err := <-paused; err != nil {
			t.Fatal(err)
		}
		settle()
		if _, ok := tree.Snapshot().Child("/slow"); ok {
			t.Fatal("the queued remove did not run after the pause")
		}
	})
}

// Every command is audited: its events carry who and why, and the events
// it causes share its correlation id.
func TestCommandEvents(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{Children: names("a")})
		who := supervisor.Audit{Who: "alice", Why: "deploy"}
		if err := tree.RestartChild(bg(), "/a", who); err != nil {
			t.Fatal(err)
		}
		acc, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventCommandAccepted, "/a"))
		if err != nil || acc.Audit != who || acc.Command != "restart" {
			t.Fatalf("accepted %+v %v", acc, err)
		}
		var caused []supervisor.EventKind
		for _, e := range rec.Events() {
			if e.Correlation == acc.Correlation {
				caused = append(caused, e.Kind)
			}
		}
		want := []supervisor.EventKind{supervisor.EventCommandAccepted, supervisor.EventChildStopping,
			supervisor.EventChildExited, supervisor.EventChildRestarting, supervisor.EventChildStarting,
			supervisor.EventChildRunning, supervisor.EventChildRestarted, supervisor.EventCommandCompleted}
		if !slices.Equal(caused, want) {
			t.Fatalf("events of the command: %v, want %v", caused, want)
		}
		done := rec.Filter(supervisortest.Kind(supervisor.EventCommandCompleted, "/a"))
		if len(done) != 1 || done[0].Err != nil || done[0].Audit != who {
			t.Fatalf("completed %+v", done)
		}
		// A failed command is completed with its error.
		tree.PauseChild(bg(), "/missing", who)
		failed := rec.Filter(supervisortest.Kind(supervisor.EventCommandCompleted, "/missing"))
		if len(failed) != 1 || !errors.Is(failed[0].Err, supervisor.ErrNotFound) {
			t.Fatalf("failed command events %+v", failed)
		}
	})
}

func TestPaths(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "w", Run: supervisortest.Idle},
			{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{
				{Name: "deep", Tree: &supervisor.Spec{Children: names("x")}}}}},
		}})
		for _, tc := range []struct {
			path string
			want error
		}{
			{"w", supervisor.ErrInvalidPath},
			{"/w/", supervisor.ErrInvalidPath},
			{"//w", supervisor.ErrInvalidPath},
			{"/", supervisor.ErrNotFound},
			{"/nope", supervisor.ErrNotFound},
			{"/w/x", supervisor.ErrNotSupervisor},
			{"/sub/nope", supervisor.ErrNotFound},
		} {
			if err := tree.RestartChild(bg(), tc.path, audit); !errors.Is(err, tc.want) {
				t.Errorf("RestartChild(%q) = %v, want %v", tc.path, err, tc.want)
			}
		}
		// Nested children are addressed by path, at any depth.
		if err := tree.PauseChild(bg(), "/sub/deep/x", audit); err != nil {
			t.Fatal(err)
		}
		wantState(t, tree, "/sub/deep/x", supervisor.StatePaused)
		if err := tree.PauseChild(bg(), "/sub/deep", audit); err != nil {
			t.Fatal(err)
		}
		if err := tree.ResumeChild(bg(), "/sub/deep/x", audit); !errors.Is(err, supervisor.ErrNotRunning) {
			t.Fatalf("command below a paused supervisor: %v, want ErrNotRunning", err)
		}
	})
}

func TestCommandsAfterShutdown(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: names("a")})
		if err != nil {
			t.Fatal(err)
		}
		tree.Shutdown(bg(), audit)
		if err := tree.RestartChild(bg(), "/a", audit); !errors.Is(err, supervisor.ErrShuttingDown) {
			t.Fatalf("got %v", err)
		}
		if err := tree.AddChild(bg(), "/", names("b")[0], audit); !errors.Is(err, supervisor.ErrShuttingDown) {
			t.Fatalf("got %v", err)
		}
	})
}

// Commands about one child run in the order they arrived, even when a group
// restart makes some of them wait: a restart (in progress), a pause (queued
// behind it), then a resume sent during the group restart leave the child
// running.
func TestCommandOrderAcrossGroupRestart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
			{Name: "a", Run: a.Run},
			{Name: "c", Run: supervisortest.SlowStop(time.Second)},
		}})
		errs := make(chan error, 3)
		go func() { errs <- tree.RestartChild(bg(), "/c", audit) }()
		settle() // /c is stopping for the restart
		go func() { errs <- tree.PauseChild(bg(), "/c", audit) }()
		settle() // queued behind the restart
		a.Fail(errBoom)
		settle() // a group restart waits for /c's stop
		go func() { errs <- tree.ResumeChild(bg(), "/c", audit) }()
		settle() // deferred until the group restart ends
		time.Sleep(5 * time.Second)
		settle()
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		wantState(t, tree, "/c", supervisor.StateRunning)
	})
}

// A child that fails to start when that ends its AddChild (or the tree's
// start) is not restarted, and its exit event says so rather than naming
// its restart type.
func TestAddChildStartFailureEvent(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{Children: names("a")})
		err := tree.AddChild(bg(), "/", supervisor.Child{Name: "bad", Run: supervisortest.Exit(errBoom),
			Readiness: supervisor.ReadinessExplicit}, audit)
		var se *supervisor.StartError
		if !errors.As(err, &se) {
			t.Fatalf("AddChild = %v", err)
		}
		e, err := rec.WaitFor(bg(), supervisortest.Exited("/bad", supervisor.ExitAbnormal))
		if err != nil || e.Rule != "start" || !strings.Contains(e.Reason, "AddChild fails") {
			t.Fatalf("exit event %v (%v)", e, err)
		}
	})
}

// An add that finds a child of that name names it, in the error and in the
// command's event: "child /workers/w1 already exists".
func TestAddExistingNamesTheChild(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "workers", Tree: &supervisor.Spec{Children: []supervisor.Child{{Name: "w1", Run: supervisortest.Idle}}}},
		}})
		err := tree.AddChild(bg(), "/workers", supervisor.Child{Name: "w1", Run: supervisortest.Idle}, audit)
		if !errors.Is(err, supervisor.ErrAlreadyExists) ||
			err.Error() != "supervisor: add /workers: child /workers/w1 already exists" {
			t.Fatalf("AddChild of an existing child: %v", err)
		}
		e, werr := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventCommandCompleted, "/workers/w1"))
		if werr != nil || e.Err == nil || !strings.Contains(e.Err.Error(), "child /workers/w1 already exists") {
			t.Fatalf("command_completed %v, %v", e, werr)
		}
	})
}
