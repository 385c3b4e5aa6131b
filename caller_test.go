package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// A child may call the control API on itself, on a supervisor above it, or
// shut the whole tree down, with its own context or with another one such
// as context.Background(): the call returns once the supervisor has the
// command, instead of waiting for its own caller to end (it used to wait
// out the caller's stop budget, abandon it and run its OnAbort hooks, or
// block for ever with an Infinity budget). The command then completes as
// asked, without an abandonment, well within the caller's budget.
func TestCallsFromInsideAChild(t *testing.T) {
	ops := map[string]func(tree *supervisor.Tree, ctx context.Context, path string) error{
		"restart": func(tr *supervisor.Tree, ctx context.Context, p string) error { return tr.RestartChild(ctx, p, audit) },
		"remove":  func(tr *supervisor.Tree, ctx context.Context, p string) error { return tr.RemoveChild(ctx, p, audit) },
		"pause":   func(tr *supervisor.Tree, ctx context.Context, p string) error { return tr.PauseChild(ctx, p, audit) },
		"quarantine": func(tr *supervisor.Tree, ctx context.Context, p string) error {
			return tr.QuarantineChild(ctx, p, audit)
		},
		"shutdown": func(tr *supervisor.Tree, ctx context.Context, _ string) error {
			r, err := tr.Shutdown(ctx, audit)
			if r != nil {
				return errors.New("a shutdown from inside returned a report before it ended")
			}
			return err
		},
	}
	for op, call := range ops {
		for _, caller := range []string{"/worker", "/sub/inner"} {
			for _, bg := range []bool{false, true} {
				target := caller
				if caller == "/sub/inner" {
					target = "/sub" // a supervisor above the caller
				}
				name := fmt.Sprintf("%s %s from %s background=%v", op, target, caller, bg)
				t.Run(name, func(t *testing.T) {
					insideCall(t, op, call, caller, target, bg)
				})
			}
		}
	}
}

func insideCall(t *testing.T, op string, call func(*supervisor.Tree, context.Context, string) error, caller, target string, bg bool) {
	synctest.Test(t, func(t *testing.T) {
		const budget = time.Minute
		var tree *supervisor.Tree
		result := make(chan error, 1)
		release := make(chan struct{}) // closed once tree is set
		runs, aborted := 0, 0
		body := func(ctx context.Context) error {
			supervisor.OnAbort(ctx, func() { aborted++ })
			if runs++; runs == 1 {
				<-release
				callCtx := ctx
				if bg {
					callCtx = context.Background()
				}
				result <- call(tree, callCtx, target)
			}
			<-ctx.Done()
			time.Sleep(200 * time.Millisecond) // flushes before it returns
			return nil
		}
		var err error
		tree, err = supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "sibling", Run: supervisortest.SlowStop(200 * time.Millisecond), Shutdown: 3 * time.Second},
			{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{
				{Name: "inner", Shutdown: budget, Run: func(ctx context.Context) error {
					if caller != "/sub/inner" {
						<-ctx.Done()
						return nil
					}
					return body(ctx)
				}}}}},
			{Name: "worker", Shutdown: budget, Run: func(ctx context.Context) error {
				if caller != "/worker" {
					<-ctx.Done()
					return nil
				}
				return body(ctx)
			}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		defer rec.Close()
		close(release)
		t0 := time.Now()
		select {
		case err := <-result:
			if err != nil {
				t.Fatalf("the call returned %v", err)
			}
		case <-time.After(budget / 2):
			t.Fatal("the call waited for its own caller")
		}
		time.Sleep(time.Second) // the caller takes 200 ms to return
		synctest.Wait()
		if waited := time.Since(t0); waited > 5*time.Second {
			t.Errorf("the command took %v to complete: it waited out a stop budget", waited)
		}
		if aborted > 0 || rec.Count(supervisortest.Kind(supervisor.EventChildAbandoned, "")) > 0 {
			t.Errorf("the caller was abandoned (%d OnAbort hooks ran)", aborted)
		}
		s := tree.Snapshot()
		info, present := s.Child(target)
		switch op {
		case "restart":
			if !present || info.Generation != 2 || !info.Ready {
				t.Errorf("%s after its restart: %+v", target, info)
			}
		case "remove":
			if present {
				t.Errorf("%s is still there: %+v", target, info)
			}
		case "pause":
			if info.State != supervisor.StatePaused {
				t.Errorf("%s is %s, want paused", target, info.State)
			}
		case "quarantine":
			if info.State != supervisor.StateQuarantined {
				t.Errorf("%s is %s, want quarantined", target, info.State)
			}
		case "shutdown":
			<-tree.Done()
			r := tree.Report()
			if err := tree.Wait(); err != nil || r == nil {
				t.Fatalf("Wait = %v, report %v", err, r)
			}
			for _, o := range r.Children {
				if o.Outcome != supervisor.OutcomeGraceful {
					t.Errorf("%s: %s, want graceful: the shutdown was cut short", o.Path, o.Outcome)
				}
			}
			return
		}
		completed := rec.Filter(func(e supervisor.Event) bool {
			return e.Kind == supervisor.EventCommandCompleted && e.Command == op && e.Path == target
		})
		if len(completed) != 1 || completed[0].Err != nil {
			t.Errorf("command_completed events: %v", completed)
		}
		if _, err := tree.Shutdown(context.Background(), audit); err != nil {
			t.Fatal(err)
		}
	})
}
