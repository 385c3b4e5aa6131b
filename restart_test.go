package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// The restart-type × exit-reason matrix of OTP (anchors §1.6).
func TestRestartTypeMatrix(t *testing.T) {
	exits := []struct {
		name  string
		do    func(c *supervisortest.Child)
		class supervisor.ExitClass
	}{
		{"normal", func(c *supervisortest.Child) { c.Return() }, supervisor.ExitNormal},
		{"stop with reason", func(c *supervisortest.Child) { c.Fail(fmt.Errorf("%w: drained", supervisor.ErrStop)) }, supervisor.ExitShutdown},
		{"abnormal", func(c *supervisortest.Child) { c.Fail(errors.New("boom")) }, supervisor.ExitAbnormal},
		{"panic", func(c *supervisortest.Child) { c.Panic("boom") }, supervisor.ExitPanic},
		// A context error returned while the child's own context is alive is
		// a failure, not a stop (suture issue #77).
		{"stray context error", func(c *supervisortest.Child) { c.Fail(context.Canceled) }, supervisor.ExitAbnormal},
	}
	for _, rt := range []supervisor.RestartType{supervisor.Permanent, supervisor.Transient, supervisor.Temporary} {
		for _, ex := range exits {
			t.Run(rt.String()+"/"+ex.name, func(t *testing.T) {
				bubble(t, func(t *testing.T) {
					c := &supervisortest.Child{}
					tree, rec := start(t, supervisor.Spec{
						Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
						Children:  []supervisor.Child{{Name: "c", Run: c.Run, Restart: rt}},
					})
					ex.do(c)
					settle()
					if n := rec.Count(supervisortest.Exited("/c", ex.class)); n != 1 {
						t.Fatalf("want one exit of class %s, events:\n%s", ex.class, supervisortest.Format(rec.Events()))
					}
					restart := rt == supervisor.Permanent || (rt == supervisor.Transient && ex.class.Abnormal())
					switch {
					case restart:
						info := wantState(t, tree, "/c", supervisor.StateRunning)
						if c.Runs() != 2 || info.Generation != 2 || info.Restarts != 1 {
							t.Fatalf("runs %d, generation %d, restarts %d; want 2, 2, 1", c.Runs(), info.Generation, info.Restarts)
						}
					case rt == supervisor.Temporary:
						if _, ok := tree.Snapshot().Child("/c"); ok {
							t.Fatal("a temporary child's spec must be removed after it exits")
						}
						if rec.Count(supervisortest.Kind(supervisor.EventChildRemoved, "/c")) != 1 {
							t.Fatal("no ChildRemoved event")
						}
					default:
						info := child(t, tree, "/c")
						if info.State != supervisor.StateStopped && info.State != supervisor.StateFailed {
							t.Fatalf("transient child after a normal exit is %s, want stopped", info.State)
						}
						if c.Runs() != 1 {
							t.Fatalf("runs = %d, want 1", c.Runs())
						}
						if info.LastExit.Class != ex.class {
							t.Fatalf("last exit %s, want %s", info.LastExit.Class, ex.class)
						}
					}
				})
			})
		}
	}
}

func TestExitClassification(t *testing.T) {
	t.Run("panic carries value and stack", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			_, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "p", Run: c.Run}}})
			c.Panic("kaboom")
			settle()
			e, err := rec.WaitFor(bg(), supervisortest.Exited("/p", supervisor.ExitPanic))
			if err != nil {
				t.Fatal(err)
			}
			var pe *supervisor.PanicError
			if !errors.As(e.Err, &pe) || pe.Value != "kaboom" {
				t.Fatalf("exit error %v, want a *PanicError with the value", e.Err)
			}
			if !strings.Contains(string(pe.Stack), "supervisortest/children.go") {
				t.Fatalf("stack does not show the panic site:\n%s", pe.Stack)
			}
		})
	})
	t.Run("runtime.Goexit is abnormal", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			var runs int
			_, rec := start(t, supervisor.Spec{
				Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
				Children: []supervisor.Child{{Name: "g", Run: func(ctx context.Context) error {
					runs++
					if runs == 1 {
						runtime.Goexit()
					}
					<-ctx.Done()
					return nil
				}}},
			})
			settle()
			e, err := rec.WaitFor(bg(), supervisortest.Exited("/g", supervisor.ExitAbnormal))
			if err != nil || !errors.Is(e.Err, supervisor.ErrGoexit) {
				t.Fatalf("got %v, %v; want an abnormal exit with ErrGoexit", e, err)
			}
			if runs != 2 {
				t.Fatalf("runs = %d, want a restart", runs)
			}
		})
	})
	t.Run("error after cancellation is a clean stop", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{StopErr: errors.New("interrupted")}
			tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "s", Run: c.Run}}})
			if err := tree.PauseChild(bg(), "/s", audit); err != nil {
				t.Fatal(err)
			}
			if rec.Count(supervisortest.Exited("/s", supervisor.ExitStopped)) != 1 {
				t.Fatalf("want a clean stop, events:\n%s", supervisortest.Format(rec.Events()))
			}
			wantState(t, tree, "/s", supervisor.StatePaused)
		})
	})
}

// Each attempt calls Run afresh with a new context that knows its path,
// generation and attempt; state that outlives attempts lives in the closure.
func TestFreshAttemptPerRestart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var infos []supervisor.RunInfo
		var ctxs []context.Context
		fail := errors.New("again")
		tree, _ := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
			Children: []supervisor.Child{{Name: "w", Run: func(ctx context.Context) error {
				info, ok := supervisor.Info(ctx)
				if !ok {
					t.Error("Info(ctx) not ok inside a child")
				}
				infos = append(infos, info)
				ctxs = append(ctxs, ctx)
				if len(infos) < 3 {
					return fail
				}
				<-ctx.Done()
				return nil
			}}},
		})
		settle()
		if len(infos) != 3 {
			t.Fatalf("runs = %d, want 3", len(infos))
		}
		for i, info := range infos {
			if info.Path != "/w" || info.Generation != uint64(i+1) || info.Attempt != i+1 || info.TreeID != tree.ID() {
				t.Errorf("run %d: info %+v", i+1, info)
			}
		}
		if ctxs[0] == ctxs[1] || ctxs[0].Err() == nil {
			t.Error("each attempt must get a fresh context, and an ended attempt's context is cancelled")
		}
		if _, ok := supervisor.Info(context.Background()); ok {
			t.Error("Info must report false outside a child")
		}
	})
}

// A context the child derives from its own registers with it without
// spawning a goroutine, and is cancelled with it.
func TestDerivedContexts(t *testing.T) {
	bubble(t, func(t *testing.T) {
		type key struct{}
		derived := make(chan context.Context, 1)
		before := runtime.NumGoroutine()
		ctx := context.WithValue(context.Background(), key{}, "from Start")
		var during int
		tree, err := supervisor.Start(ctx, supervisor.Spec{Children: []supervisor.Child{{Name: "d",
			Run: func(ctx context.Context) error {
				if ctx.Value(key{}) != "from Start" {
					t.Error("values of Start's context must reach the child")
				}
				d, cancel := context.WithCancel(ctx)
				defer cancel()
				during = runtime.NumGoroutine()
				derived <- d
				<-d.Done()
				return nil
			}}}})
		if err != nil {
			t.Fatal(err)
		}
		settle()
		if during-before > 2 { // the root loop and the child
			t.Errorf("deriving a context started goroutines: %d -> %d", before, during)
		}
		d := <-derived
		if _, err := tree.Shutdown(bg(), audit); err != nil {
			t.Fatal(err)
		}
		if d.Err() == nil {
			t.Fatal("a derived context must be cancelled when the attempt is")
		}
	})
}

// Every goroutine of a child carries its pprof label, including goroutines
// it starts inside pprof.Do with labels of its own.
func TestPprofLabels(t *testing.T) {
	bubble(t, func(t *testing.T) {
		release := make(chan struct{})
		defer closeIfOpen(release)
		type key struct{}
		ctx := pprof.WithLabels(context.WithValue(bg(), key{}, 1), pprof.Labels("service", "api"))
		tree, err := supervisor.Start(ctx, supervisor.Spec{Children: []supervisor.Child{{Name: "c",
			Run: func(ctx context.Context) error {
				info, _ := supervisor.Info(ctx)
				if v, _ := pprof.Label(ctx, "supervisor"); v != info.TreeID+":/c" {
					t.Errorf("label %q", v)
				}
				if v, _ := pprof.Label(ctx, "service"); v != "api" || ctx.Value(key{}) != 1 {
					t.Error("the labels and values of Start's context must reach the child")
				}
				pprof.Do(ctx, pprof.Labels("op", "x"), func(context.Context) {
					go func() { <-release }()
				})
				go func() { <-release }() // after pprof.Do restored the labels
				<-ctx.Done()
				return nil
			}}}})
		if err != nil {
			t.Fatal(err)
		}
		settle()
		gs := tree.Goroutines("/c")
		n := 0
		for _, g := range gs {
			n += g.Count
			if g.Path != "/c" {
				t.Errorf("path %q", g.Path)
			}
		}
		if n != 3 { // the child and its two helpers
			t.Fatalf("%d goroutines carry the child's label, want 3: %+v", n, gs)
		}
		tree.Shutdown(bg(), audit)
		close(release)
	})
}

// context.Context: "If Done is not yet closed, Err returns nil." The attempt
// sets its canceled flag before closing its Done channel, without a lock that
// Err takes, so Err can be non-nil while Done is still open.
func TestContextErrOnlyAfterDone(t *testing.T) {
	var violations atomic.Int64
	body := func(ctx context.Context) error {
		done := ctx.Done()
		for {
			if ctx.Err() != nil {
				select {
				case <-done:
				default:
					violations.Add(1)
				}
				return nil
			}
		}
	}
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: body}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000 && violations.Load() == 0; i++ {
		if err := tree.RestartChild(context.Background(), "/a", audit); err != nil {
			t.Fatal(err)
		}
	}
	tree.Shutdown(context.Background(), audit)
	if v := violations.Load(); v > 0 {
		t.Fatalf("Err() was non-nil while Done() was open %d time(s)", v)
	}
}
