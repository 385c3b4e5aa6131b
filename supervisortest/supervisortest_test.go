package supervisortest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errBoom = errors.New("boom")

func TestChildInstructions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &supervisortest.Child{ReadyOnStart: true}
		tree := supervisortest.Start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
			Children:  []supervisor.Child{{Name: "c", Run: c.Run, Readiness: supervisor.ReadinessExplicit}},
		})
		rec := supervisortest.Record(tree)
		c.Fail(errBoom)
		if err := c.WaitRuns(t.Context(), 2, true); err != nil {
			t.Fatal(err)
		}
		c.Panic("p")
		c.Return()
		synctest.Wait()
		if c.Runs() != 4 || c.Live() != 1 {
			t.Fatalf("runs %d live %d", c.Runs(), c.Live())
		}
		for _, class := range []supervisor.ExitClass{supervisor.ExitAbnormal, supervisor.ExitPanic, supervisor.ExitNormal} {
			if _, err := rec.WaitFor(t.Context(), supervisortest.Exited("/c", class)); err != nil {
				t.Fatalf("no %s exit: %v", class, err)
			}
		}
		if e, err := rec.WaitCount(t.Context(), 3, supervisortest.Kind(supervisor.EventChildRestarted, "/c")); err != nil || e.Generation != 4 {
			t.Fatalf("third restart %+v %v", e, err)
		}
		if c.Context(1) == nil || c.Context(1).Err() == nil || c.Context(9) != nil {
			t.Fatal("Context(i) must return the run's (cancelled) context")
		}
		if len(rec.Events()) == 0 || rec.Events()[0].Seq != 1 {
			t.Fatal("Record must include the events from the tree's start")
		}
	})
}

func TestStopBehaviours(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := &supervisortest.Child{StopDelay: time.Second, StopErr: errBoom}
		stuck := &supervisortest.Child{IgnoreCancel: true}
		release := make(chan struct{})
		defer stuck.Release()
		defer func() {
			select {
			case <-release:
			default:
				close(release)
			}
		}()
		tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "slow", Run: slow.Run},
			{Name: "slowstop", Run: supervisortest.SlowStop(time.Second)},
			{Name: "stuck", Run: stuck.Run, Shutdown: time.Second},
			{Name: "hang", Run: supervisortest.Hang(release), Shutdown: time.Second},
		}})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		r, _ := tree.Shutdown(context.Background(), supervisor.Audit{Who: "t", Why: "t"})
		if time.Since(t0) != 4*time.Second+100*time.Millisecond { // budgets + leftover grace
			t.Fatalf("took %v", time.Since(t0))
		}
		want := []supervisor.Outcome{supervisor.OutcomeAbandoned, supervisor.OutcomeAbandoned, supervisor.OutcomeGraceful, supervisor.OutcomeGraceful}
		for i, o := range r.Children {
			if o.Outcome != want[i] {
				t.Fatalf("%s: %s, want %s", o.Path, o.Outcome, want[i])
			}
		}
		if !errors.Is(r.Children[3].Err, errBoom) {
			t.Fatalf("StopErr not returned: %+v", r.Children[3])
		}
	})
}

func TestBodies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := supervisortest.Start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
			Children: []supervisor.Child{
				{Name: "flaky", Run: supervisortest.FailTimes(2, errBoom)},
				{Name: "done", Run: supervisortest.Exit(nil), Restart: supervisor.Transient},
				{Name: "p", Run: supervisortest.Panic("x"), Restart: supervisor.Temporary},
			},
		})
		synctest.Wait()
		s := tree.Snapshot()
		if c, _ := s.Child("/flaky"); c.State != supervisor.StateRunning || c.Generation != 3 {
			t.Fatalf("flaky %+v", c)
		}
		if c, _ := s.Child("/done"); c.State != supervisor.StateStopped {
			t.Fatalf("done %+v", c)
		}
		if _, ok := s.Child("/p"); ok {
			t.Fatal("temporary panicking child kept")
		}
	})
}

// CheckGoroutines reports goroutines a tree left behind.
func TestCheckGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		tree, _ := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "leaky", Run: func(ctx context.Context) error {
				go func() { <-release }()
				<-ctx.Done()
				return nil
			}},
		}})
		tree.Shutdown(context.Background(), supervisor.Audit{Who: "t", Why: "t"})
		ft := &fakeTB{TB: t}
		supervisortest.CheckGoroutines(ft, tree)
		if !ft.failed {
			t.Fatal("CheckGoroutines missed a leaked goroutine")
		}
		close(release)
		synctest.Wait()
		ft = &fakeTB{TB: t}
		supervisortest.CheckGoroutines(ft, tree)
		if ft.failed {
			t.Fatal("CheckGoroutines reported a goroutine that ended")
		}
	})
}

type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Errorf(string, ...any) { f.failed = true }
func (f *fakeTB) Helper()               {}

// A Buffer takes writes from many goroutines and keeps them all.
func TestBuffer(t *testing.T) {
	var b supervisortest.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { b.Write([]byte("x")) })
	}
	wg.Wait()
	if got := b.String(); got != "xxxxxxxx" {
		t.Fatalf("buffer %q", got)
	}
}
