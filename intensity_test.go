package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// failEvery returns a body that fails after running for d (0: at once).
func failEvery(d time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		if d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil
			}
		}
		return errBoom
	}
}

func TestIntensityExceeded(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "b", Run: supervisortest.Idle},
			{Name: "flaky", Run: failEvery(0)},
			{Name: "d", Run: supervisortest.Idle},
		}})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		err = tree.Wait()
		var ie *supervisor.IntensityError
		if !errors.As(err, &ie) || !errors.As(err, new(*supervisor.IntensityError)) {
			t.Fatalf("Wait = %v, want an *IntensityError", err)
		}
		if ie.Path != "/" || ie.Child != "/flaky" || ie.Intensity != (supervisor.Intensity{MaxRestarts: 3, Period: 5 * time.Second}) {
			t.Fatalf("error %+v", ie)
		}
		// Default intensity: 3 restarts are performed, the 4th is refused.
		if n := rec.Count(supervisortest.Kind(supervisor.EventChildRestarting, "/flaky")); n != 3 {
			t.Fatalf("%d restarts performed, want 3", n)
		}
		got := sequence(rec, supervisor.EventIntensityExceeded, supervisor.EventChildStopping, supervisor.EventEscalated)
		want := []string{"intensity_exceeded /", "child_stopping /d", "child_stopping /b", "child_stopping /a", "escalated /"}
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		r := tree.Report()
		if r == nil || len(r.Children) != 4 || r.Cause != "restart intensity exceeded" {
			t.Fatalf("report %+v", r)
		}
		supervisortest.CheckGoroutines(t, tree)
	})
}

// The window slides: restarts spaced wider than Period/MaxRestarts never
// accumulate.
func TestIntensitySlidingWindow(t *testing.T) {
	for _, tc := range []struct {
		every    time.Duration
		exceeded bool
	}{
		{2 * time.Second, true},  // restarts at 2, 4, 6: 3 within 5s at t=6
		{3 * time.Second, false}, // never more than 2 within 5s
	} {
		t.Run(tc.every.String(), func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				tree, err := supervisor.Start(bg(), supervisor.Spec{
					Intensity: supervisor.Intensity{MaxRestarts: 2, Period: 5 * time.Second},
					Children:  []supervisor.Child{{Name: "c", Run: failEvery(tc.every)}},
				})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Minute)
				settle()
				select {
				case <-tree.Done():
					if !tc.exceeded {
						t.Fatalf("escalated: %v", tree.Wait())
					}
					if !errors.As(tree.Wait(), new(*supervisor.IntensityError)) {
						t.Fatal(tree.Wait())
					}
				default:
					if tc.exceeded {
						t.Fatal("intensity not exceeded")
					}
					if info := child(t, tree, "/c"); info.Restarts < 15 {
						t.Fatalf("restarts %d", info.Restarts)
					}
					tree.Shutdown(bg(), audit)
				}
			})
		})
	}
}

// MaxRestarts 0 with a Period: the first restart ends the supervisor (OTP).
func TestIntensityZero(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, err := supervisor.Start(bg(), supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 0, Period: time.Second},
			Children:  []supervisor.Child{{Name: "c", Run: c.Run}},
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Fail(errBoom)
		if !errors.As(tree.Wait(), new(*supervisor.IntensityError)) || c.Runs() != 1 {
			t.Fatalf("Wait = %v after %d runs", tree.Wait(), c.Runs())
		}
	})
}

// A nested supervisor that exceeds its intensity ends with an
// *IntensityError; its parent treats that as an abnormal exit and restarts
// it, counting toward its own intensity, until the parent gives up too.
func TestEscalationThroughNestedTrees(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, err := supervisor.Start(bg(), supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 2, Period: time.Minute},
			Children: []supervisor.Child{
				{Name: "ok", Run: supervisortest.Idle},
				{Name: "sub", Restart: supervisor.Transient, Tree: &supervisor.Spec{
					Intensity: supervisor.Intensity{MaxRestarts: 1, Period: time.Minute},
					Children:  []supervisor.Child{{Name: "bad", Run: failEvery(0)}},
				}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		err = tree.Wait()
		var ie *supervisor.IntensityError
		if !errors.As(err, &ie) || ie.Path != "/" || ie.Child != "/sub" {
			t.Fatalf("Wait = %v, want the root's *IntensityError refusing /sub", err)
		}
		// The nested supervisor escalated 3 times: the first run and two
		// restarts by the root. Transient does not stop that: an escalation
		// is abnormal.
		if n := rec.Count(supervisortest.Kind(supervisor.EventEscalated, "/sub")); n != 3 {
			t.Fatalf("/sub escalated %d times, want 3:\n%s", n, supervisortest.Format(rec.Events()))
		}
		exits := rec.Filter(supervisortest.Exited("/sub", supervisor.ExitAbnormal))
		if len(exits) != 3 || !errors.As(exits[0].Err, &ie) || ie.Path != "/sub" {
			t.Fatalf("exits of /sub: %v", exits)
		}
		supervisortest.CheckGoroutines(t, tree)
	})
}

// A restart counts when it is performed: a failure whose restart never
// happens (paused during the backoff) does not count.
func TestIntensityCountsPerformedRestarts(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 1, Period: time.Hour},
			Children:  []supervisor.Child{{Name: "c", Run: c.Run, Backoff: supervisor.Backoff{Initial: time.Second}}},
		})
		c.Fail(errBoom)
		settle()
		wantState(t, tree, "/c", supervisor.StateBackoff)
		if err := tree.PauseChild(bg(), "/c", audit); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		settle()
		if c.Runs() != 1 {
			t.Fatal("a restart happened after the pause")
		}
		if err := tree.ResumeChild(bg(), "/c", audit); err != nil { // an operator's start: not counted
			t.Fatal(err)
		}
		c.Fail(errBoom)
		time.Sleep(time.Minute)
		settle()
		// One automatic restart was performed: within the limit.
		info := wantState(t, tree, "/c", supervisor.StateRunning)
		if c.Runs() != 3 || info.Restarts != 1 {
			t.Fatalf("runs %d restarts %d", c.Runs(), info.Restarts)
		}
	})
}

// ErrEscalate makes the supervisor give up at once: it stops its other
// children in reverse order and ends with an *EscalationError, which a
// parent treats as an abnormal exit of the child supervisor.
func TestErrEscalate(t *testing.T) {
	bubble(t, func(t *testing.T) {
		bad := &supervisortest.Child{}
		tree, err := supervisor.Start(bg(), supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second},
			Children: []supervisor.Child{
				{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{
					{Name: "x", Run: supervisortest.Idle},
					{Name: "bad", Run: bad.Run},
				}}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		cause := fmt.Errorf("%w: corrupted state", supervisor.ErrEscalate)
		bad.Fail(cause)
		settle()
		exit, err := rec.WaitFor(bg(), supervisortest.Exited("/sub", supervisor.ExitAbnormal))
		if err != nil {
			t.Fatal(err)
		}
		var ee *supervisor.EscalationError
		if !errors.As(exit.Err, &ee) || ee.Path != "/sub" || ee.Child != "/sub/bad" || !errors.Is(exit.Err, cause) {
			t.Fatalf("exit error %v, want an *EscalationError from /sub/bad", exit.Err)
		}
		if rec.Count(supervisortest.Exited("/sub/bad", supervisor.ExitEscalate)) != 1 {
			t.Fatal("the child's exit must be classed as escalate")
		}
		// One level only: the root restarted the nested supervisor.
		if info := wantState(t, tree, "/sub", supervisor.StateReady); info.Generation != 2 {
			t.Fatalf("/sub %+v", info)
		}
		if rec.Count(supervisortest.Kind(supervisor.EventEscalated, "/sub")) != 1 {
			t.Fatal("no Escalated event")
		}
		tree.Shutdown(bg(), audit)
	})
}

// A panic in an OnAbort hook is recovered and reported.
func TestAbortHookPanic(t *testing.T) {
	bubble(t, func(t *testing.T) {
		release := make(chan struct{})
		defer closeIfOpen(release)
		tree, _ := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "h", Shutdown: time.Second, Run: func(ctx context.Context) error {
				supervisor.OnAbort(ctx, func() { panic("hook") })
				<-release
				return nil
			}},
		}})
		rec := supervisortest.Record(tree)
		go tree.RemoveChild(bg(), "/h", audit)
		time.Sleep(2 * time.Second)
		settle()
		e, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventHookPanicked, "/h"))
		var pe *supervisor.PanicError
		if err != nil || !errors.As(e.Err, &pe) || pe.Value != "hook" {
			t.Fatalf("event %+v %v", e, err)
		}
		tree.Shutdown(bg(), audit)
		close(release)
	})
}

// With MaxRestarts above 1024 the window is bucketed (64 buckets of
// Period/64). 1025 restarts at t=0.5s plus one at t=64.2s is 1026 restarts
// within 63.7s < Period=64s: the last one must be refused.
func TestIntensityBucketedWindowNeverLate(t *testing.T) {
	for _, max := range []int{3, 1025} {
		t.Run("", func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				var runs atomic.Int64
				body := func(ctx context.Context) error {
					n := runs.Add(1)
					switch {
					case n == 1:
						time.Sleep(500 * time.Millisecond) // fail at t=0.5s
					case n <= int64(max):
						// restarts 1..max-1 happen at t=0.5s
					case n == int64(max)+1:
						time.Sleep(63700 * time.Millisecond) // fail at t=64.2s
					default:
						<-ctx.Done()
						return nil
					}
					return errors.New("boom")
				}
				tree, err := supervisor.Start(bg(), supervisor.Spec{
					Intensity: supervisor.Intensity{MaxRestarts: max, Period: 64 * time.Second},
					Children:  []supervisor.Child{{Name: "a", Run: body}},
				})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(65 * time.Second)
				settle()
				select {
				case <-tree.Done():
					t.Logf("max=%d: tree ended: %v", max, tree.Wait())
				default:
					tree.Shutdown(bg(), audit)
					t.Fatalf("max=%d: restart %d at t=64.2s was allowed although %d restarts happened at t=0.5s (window 64s)", max, max+1, max)
				}
			})
		})
	}
}

// The intensity error counts its restarts in good English: "1 restart",
// "0 restarts", "3 restarts".
func TestIntensityErrorText(t *testing.T) {
	for n, want := range map[int]string{
		0: "supervisor /: restart intensity exceeded (0 restarts in 5s) restarting /a",
		1: "supervisor /: restart intensity exceeded (1 restart in 5s) restarting /a",
		3: "supervisor /: restart intensity exceeded (3 restarts in 5s) restarting /a",
	} {
		err := &supervisor.IntensityError{Path: "/", Child: "/a",
			Intensity: supervisor.Intensity{MaxRestarts: n, Period: 5 * time.Second}}
		if got := err.Error(); got != want {
			t.Errorf("MaxRestarts %d: %q, want %q", n, got, want)
		}
	}
}
