package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Children stop one at a time in reverse start order, each asked only once
// every later sibling has exited.
func TestShutdownReverseOrder(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := supervisor.Spec{}
		for _, n := range []string{"a", "b", "c"} {
			spec.Children = append(spec.Children, supervisor.Child{Name: n, Run: supervisortest.SlowStop(100 * time.Millisecond)})
		}
		tree, err := supervisor.Start(bg(), spec)
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		r, err := tree.Shutdown(bg(), audit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var last time.Time
		for _, e := range rec.Events() {
			switch e.Kind {
			case supervisor.EventChildStopping:
				if e.Time.Before(last) {
					t.Fatalf("%s asked to stop before its later sibling exited", e.Path)
				}
				got = append(got, "stop "+e.Path)
			case supervisor.EventChildExited:
				last = e.Time
				got = append(got, "exit "+e.Path)
			}
		}
		want := []string{"stop /c", "exit /c", "stop /b", "exit /b", "stop /a", "exit /a"}
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		if r.Duration != 300*time.Millisecond {
			t.Fatalf("shutdown took %v, want 300ms (sequential)", r.Duration)
		}
		for i, o := range r.Children {
			if o.Outcome != supervisor.OutcomeGraceful || o.Duration != 100*time.Millisecond || o.Path != []string{"/c", "/b", "/a"}[i] {
				t.Fatalf("outcome %d: %+v", i, o)
			}
		}
		stages := []supervisor.EventKind{supervisor.EventShutdownRequested, supervisor.EventShutdownDraining,
			supervisor.EventShutdownAborting, supervisor.EventShutdownReconciling, supervisor.EventShutdownCompleted}
		wantStages := []string{"shutdown_requested /", "shutdown_draining /", "shutdown_aborting /",
			"shutdown_reconciling /", "shutdown_completed /"}
		if got := sequence(rec, stages...); !slices.Equal(got, wantStages) {
			t.Fatalf("stage events %q, want %q", got, wantStages)
		}
		if r.GoroutinesLeft != 0 || tree.Wait() != nil {
			t.Fatalf("left %d, Wait %v", r.GoroutinesLeft, tree.Wait())
		}
	})
}

// A child that ignores cancellation is abandoned at its budget: its OnAbort
// hook runs first, and the report lists every goroutine carrying its label,
// its own and those it started, with stacks.
func TestShutdownAbandonsStragglers(t *testing.T) {
	bubble(t, func(t *testing.T) {
		release := make(chan struct{})
		defer closeIfOpen(release)
		var hooked atomic.Bool
		stubborn := func(ctx context.Context) error {
			supervisor.OnAbort(ctx, func() { hooked.Store(true) })
			go func() { <-release }() // a helper it never stops
			<-release
			return nil
		}
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "ok", Run: supervisortest.Idle},
			{Name: "stubborn", Run: stubborn, Shutdown: 2 * time.Second},
		}})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		t0 := time.Now()
		r, err := tree.Shutdown(bg(), audit)
		// The budget, plus the reconcile stage's grace for goroutines on
		// their way out, since some remain.
		if want := 2*time.Second + leftoverGrace; time.Since(t0) != want {
			t.Fatalf("shutdown took %v, want %v", time.Since(t0), want)
		}
		var ae *supervisor.AbandonedError
		if !errors.As(err, &ae) || ae.Goroutines != 2 || !slices.Equal(ae.Paths, []string{"/stubborn"}) {
			t.Fatalf("Shutdown error %v, want an *AbandonedError for 2 goroutines of /stubborn", err)
		}
		settle() // the hook runs in its own goroutine
		if !hooked.Load() {
			t.Fatal("the OnAbort hook did not run")
		}
		o := r.Children[0]
		if o.Path != "/stubborn" || o.Outcome != supervisor.OutcomeAbandoned || o.Exit != supervisor.ExitAbandoned {
			t.Fatalf("outcome %+v", o)
		}
		stacks := 0
		for _, g := range o.Goroutines {
			stacks += g.Count
			if !strings.Contains(g.Stack, "shutdown_test.go") {
				t.Errorf("stack does not point at the test:\n%s", g.Stack)
			}
		}
		if stacks != 2 || r.GoroutinesLeft != 2 {
			t.Fatalf("listed %d goroutines, left %d; want 2 (the child and its helper)", stacks, r.GoroutinesLeft)
		}
		if r.Children[1].Outcome != supervisor.OutcomeGraceful {
			t.Fatalf("the sibling: %+v", r.Children[1])
		}
		if e, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildAbandoned, "/stubborn")); err != nil || e.Count != 2 {
			t.Fatalf("abandoned event %+v, %v", e, err)
		}
		if again, _ := tree.Shutdown(bg(), audit); again != r {
			t.Fatal("a second Shutdown must return the same report")
		}
		close(release)
	})
}

// A straggler that returns after its budget, while later work is still
// going on, is reported as late.
func TestShutdownLateStraggler(t *testing.T) {
	bubble(t, func(t *testing.T) {
		listener := func(ctx context.Context) error {
			stop := make(chan struct{}) // what a listener's Close does to Accept
			supervisor.OnAbort(ctx, func() { close(stop) })
			<-stop
			return nil
		}
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "slow", Run: supervisortest.SlowStop(time.Second)},
			{Name: "listener", Run: listener, Shutdown: time.Second},
		}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := tree.Shutdown(bg(), audit)
		if err != nil {
			t.Fatalf("Shutdown: %v (the late child returned, nothing is left)", err)
		}
		if o := r.Children[0]; o.Path != "/listener" || o.Outcome != supervisor.OutcomeLate {
			t.Fatalf("outcome %+v, want late", o)
		}
		if r.GoroutinesLeft != 0 {
			t.Fatalf("left %d", r.GoroutinesLeft)
		}
	})
}

func TestShutdownAlreadyExited(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "job", Run: supervisortest.Exit(nil), Restart: supervisor.Transient},
			{Name: "svc", Run: supervisortest.Idle},
		}})
		if err != nil {
			t.Fatal(err)
		}
		settle()
		r, _ := tree.Shutdown(bg(), audit)
		if o := r.Children[1]; o.Path != "/job" || o.Outcome != supervisor.OutcomeAlreadyExited || o.Exit != supervisor.ExitNormal {
			t.Fatalf("outcome %+v", o)
		}
	})
}

// The whole shutdown is bounded by the sum of budgets, and by ctx.
func TestShutdownBounds(t *testing.T) {
	hang := func(release chan struct{}) supervisor.Spec {
		var cs []supervisor.Child
		for _, n := range []string{"a", "b", "c"} {
			cs = append(cs, supervisor.Child{Name: n, Run: supervisortest.Hang(release), Shutdown: time.Second})
		}
		return supervisor.Spec{Children: cs}
	}
	t.Run("sum of budgets", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			release := make(chan struct{})
			defer closeIfOpen(release)
			tree, _ := supervisor.Start(bg(), hang(release))
			t0 := time.Now()
			r, _ := tree.Shutdown(bg(), audit)
			if d := time.Since(t0); d != 3*time.Second+leftoverGrace || len(r.Children) != 3 {
				t.Fatalf("took %v for %d children, want 3s and the reconcile grace", d, len(r.Children))
			}
			close(release)
		})
	})
	t.Run("context", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			release := make(chan struct{})
			defer closeIfOpen(release)
			tree, _ := supervisor.Start(bg(), hang(release))
			ctx, cancel := context.WithTimeout(bg(), 1500*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			r, err := tree.Shutdown(ctx, audit)
			if d := time.Since(t0); d != 1500*time.Millisecond {
				t.Fatalf("took %v, want 1.5s", d)
			}
			if !errors.As(err, new(*supervisor.AbandonedError)) || r.GoroutinesLeft != 3 {
				t.Fatalf("err %v, left %d", err, r.GoroutinesLeft)
			}
			for _, o := range r.Children {
				if o.Outcome != supervisor.OutcomeAbandoned {
					t.Fatalf("%+v", o)
				}
			}
			close(release)
		})
	})
}

// A stopping child can read its deadline.
func TestStopDeadline(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var deadline time.Time
		var before, after bool
		tree, _ := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{{Name: "c", Shutdown: 7 * time.Second,
			Run: func(ctx context.Context) error {
				_, before = supervisor.StopDeadline(ctx)
				<-ctx.Done()
				deadline, after = supervisor.StopDeadline(ctx)
				return nil
			}}}})
		settle()
		t0 := time.Now()
		tree.Shutdown(bg(), audit)
		if before || !after || !deadline.Equal(t0.Add(7*time.Second)) {
			t.Fatalf("before %v after %v deadline %v, want none, then %v", before, after, deadline, t0.Add(7*time.Second))
		}
	})
}

// A child's helper goroutine that exits shortly after the child returned,
// as net/http's connection goroutines do, is not reported as left behind:
// the reconcile stage checks again for a short grace.
func TestShutdownWaitsForExitingHelpers(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{{Name: "server",
			Run: func(ctx context.Context) error {
				go func() { // a connection draining after the server returned
					<-ctx.Done()
					time.Sleep(20 * time.Millisecond)
				}()
				<-ctx.Done()
				return nil
			}}}})
		r, err := tree.Shutdown(bg(), audit)
		if err != nil || r.GoroutinesLeft != 0 {
			t.Fatalf("Shutdown = %v with %d goroutines left: a helper on its way out is not a leak", err, r.GoroutinesLeft)
		}
		// Checks after 1, 2, 4, 8 and 16ms: the fifth finds it gone.
		if r.Duration != 31*time.Millisecond {
			t.Fatalf("took %v: reconcile should wait about as long as the helper needed", r.Duration)
		}
	})
}

// A child that returns but leaves a goroutine behind is graceful, and the
// goroutine is reported as left.
func TestShutdownReportsLeakedHelpers(t *testing.T) {
	bubble(t, func(t *testing.T) {
		release := make(chan struct{})
		defer closeIfOpen(release)
		tree, _ := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{{Name: "leaky",
			Run: func(ctx context.Context) error {
				go func() { <-release }()
				<-ctx.Done()
				return nil
			}}}})
		r, err := tree.Shutdown(bg(), audit)
		if r.Children[0].Outcome != supervisor.OutcomeGraceful {
			t.Fatalf("%+v", r.Children[0])
		}
		if r.GoroutinesLeft != 1 || len(r.Leftover) != 1 || r.Leftover[0].Path != "/leaky" {
			t.Fatalf("left %d: %+v", r.GoroutinesLeft, r.Leftover)
		}
		if !errors.As(err, new(*supervisor.AbandonedError)) {
			t.Fatalf("Wait error %v", err)
		}
		close(release)
	})
}

func TestShutdownNestedReport(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "sub", Tree: &supervisor.Spec{Children: names("x", "y")}},
		}})
		r, err := tree.Shutdown(bg(), audit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range r.Children {
			got = append(got, o.Path+" "+o.Outcome.String())
		}
		want := []string{"/sub/y graceful", "/sub/x graceful", "/sub graceful", "/a graceful"}
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// An OnAbort hook belongs to its attempt: when an attempt is abandoned and
// the next one starts at once (a group restart), the late hook closes the
// old attempt's resource, never the new one's.
func TestOnAbortBelongsToItsAttempt(t *testing.T) {
	bubble(t, func(t *testing.T) {
		type listener struct{ closed atomic.Bool }
		var mu sync.Mutex
		var listeners []*listener
		a := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
			{Name: "a", Run: a.Run},
			{Name: "srv", Shutdown: time.Second, Run: func(ctx context.Context) error {
				l := &listener{}
				mu.Lock()
				listeners = append(listeners, l)
				first := len(listeners) == 1
				mu.Unlock()
				supervisor.OnAbort(ctx, func() {
					time.Sleep(time.Millisecond) // the next attempt is running by now
					l.closed.Store(true)
				})
				if first {
					for !l.closed.Load() { // ignores cancellation until closed
						time.Sleep(time.Millisecond)
					}
					return nil
				}
				<-ctx.Done()
				return nil
			}},
		}})
		a.Fail(errBoom)
		time.Sleep(2 * time.Second)
		settle()
		mu.Lock()
		defer mu.Unlock()
		if len(listeners) != 2 || !listeners[0].closed.Load() || listeners[1].closed.Load() {
			t.Fatalf("want the first attempt's listener closed and the second's open: %d listeners", len(listeners))
		}
		wantState(t, tree, "/srv", supervisor.StateRunning)
	})
}

// A child that is already stopping (here: a PauseChild in progress) when the
// shutdown begins, and that exits before its turn in the drain, must appear
// once in the report.
func TestShutdownOutcomeOncePerChild(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.SlowStop(1 * time.Second)},
			{Name: "b", Run: supervisortest.SlowStop(2 * time.Second)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		paused := make(chan error, 1)
		go func() { paused <- tree.PauseChild(bg(), "/a", audit) }()
		settle() // /a is stopping, will exit at +1s
		wantState(t, tree, "/a", supervisor.StateStopping)
		r, err := tree.Shutdown(bg(), audit)
		if err != nil {
			t.Fatal(err)
		}
		<-paused
		count := map[string]int{}
		for _, o := range r.Children {
			count[o.Path]++
		}
		if count["/a"] != 1 || count["/b"] != 1 {
			t.Fatalf("want one outcome per child, got %+v", r.Children)
		}
	})
}

// Same with a child whose stop budget expires before its turn: it is
// reported as abandoned and again as already_exited.
func TestShutdownOutcomeOncePerChildAbandoned(t *testing.T) {
	bubble(t, func(t *testing.T) {
		release := make(chan struct{})
		defer closeIfOpen(release)
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Hang(release), Shutdown: time.Second},
			{Name: "b", Run: supervisortest.SlowStop(2 * time.Second)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		go tree.PauseChild(bg(), "/a", audit)
		settle()
		r, _ := tree.Shutdown(bg(), audit)
		close(release)
		count := map[string]int{}
		for _, o := range r.Children {
			count[o.Path]++
		}
		if count["/a"] != 1 {
			t.Fatalf("want one outcome for /a, got %+v", r.Children)
		}
	})
}

// A gated child still waiting for readiness when the shutdown begins keeps
// its start-timeout deadline: it is stopped for "start timeout" in the middle
// of the drain, before its later sibling has exited, and reported twice.
func TestShutdownIgnoresStartTimeouts(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var runs atomic.Int64
		a := func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				supervisor.Ready(ctx)
				return errors.New("boom") // restarted at once; the new run never gets ready
			}
			<-ctx.Done()
			return nil
		}
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: a, Readiness: supervisor.ReadinessExplicit, StartTimeout: time.Second},
			{Name: "b", Run: supervisortest.SlowStop(3 * time.Second)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		settle()
		wantState(t, tree, "/a", supervisor.StateStarting)
		r, err := tree.Shutdown(bg(), audit)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, e := range rec.Events() {
			if e.Kind == supervisor.EventChildStopping || (e.Kind == supervisor.EventChildExited && e.Exit == supervisor.ExitStopped) {
				order = append(order, e.Kind.String()+" "+e.Path+" "+e.Reason)
			}
		}
		t.Logf("order: %q", order)
		t.Logf("report: %+v", r.Children)
		if len(order) < 2 || order[0] != "child_stopping /b shutdown" || order[1] != "child_exited /b " {
			t.Errorf("/a was stopped before /b exited: %q", order)
		}
		if len(r.Children) != 2 {
			t.Errorf("want 2 outcomes, got %d", len(r.Children))
		}
	})
}

// The report must list every child of every supervisor. A nested
// supervisor's outcomes are copied into its parent's report from its raw
// outcomes, not from its assembled report, so the children of a late
// grand-child supervisor are lost one level up.
func TestShutdownReportKeepsNestedLateOutcomes(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := &supervisortest.Child{}
		s3 := &supervisor.Spec{Children: []supervisor.Child{
			{Name: "w", Run: supervisortest.SlowStop(3 * time.Second), Shutdown: 10 * time.Second},
			{Name: "e", Run: e.Run},
		}}
		s2 := &supervisor.Spec{Children: []supervisor.Child{
			{Name: "x", Run: supervisortest.SlowStop(2 * time.Second)},
			{Name: "s3", Tree: s3, Shutdown: time.Second},
		}}
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "s1", Tree: &supervisor.Spec{Children: []supervisor.Child{{Name: "s2", Tree: s2}}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		e.Fail(supervisor.ErrEscalate) // s3 begins its own shutdown: w takes 3s
		settle()
		r, err := tree.Shutdown(bg(), audit)
		t.Logf("Shutdown err: %v", err)
		got := map[string]supervisor.Outcome{}
		for _, o := range r.Children {
			t.Logf("%s %s", o.Path, o.Outcome)
			got[o.Path] = o.Outcome
		}
		for _, p := range []string{"/s1", "/s1/s2", "/s1/s2/x", "/s1/s2/s3", "/s1/s2/s3/w", "/s1/s2/s3/e"} {
			if _, ok := got[p]; !ok {
				t.Errorf("no outcome for %s", p)
			}
		}
	})
}

// Shutdown with a ctx that is already done: "once it is done, whatever
// still runs is abandoned at once". The select in Tree.Shutdown may instead
// pick ctx.Done() and return without ever asking the tree to stop.
func TestShutdownWithDoneContext(t *testing.T) {
	bubble(t, func(t *testing.T) {
		skipped := 0
		for i := 0; i < 20; i++ {
			tree, err := supervisor.Start(bg(), supervisor.Spec{Children: names("a")})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(bg())
			cancel()
			r, err := tree.Shutdown(ctx, audit)
			settle()
			select {
			case <-tree.Done():
			default:
				skipped++
				t.Logf("Shutdown(done ctx) = %v, %v and the tree is still running", r, err)
				tree.Shutdown(bg(), audit)
			}
		}
		if skipped > 0 {
			t.Fatalf("%d/20 shutdowns with a done ctx did not shut the tree down", skipped)
		}
	})
}

// A shutdown cut short by its context abandons what still runs at once,
// and reports what an abandoned child left once its OnAbort hooks have
// returned and the goroutines they unblocked have ended: a child that its
// hook unblocks (as a process child's hook kills its process group) leaves
// nothing.
func TestShutdownAbortReportsAfterHooks(t *testing.T) {
	bubble(t, func(t *testing.T) {
		unblocked := func(ctx context.Context) error {
			stop := make(chan struct{})
			supervisor.OnAbort(ctx, func() { close(stop) })
			done := make(chan struct{})
			go func() { <-stop; close(done) }() // a helper that ends with it
			<-stop
			<-done
			return nil
		}
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "unblocked", Run: unblocked, Shutdown: time.Minute},
		}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(bg(), time.Second)
		defer cancel()
		r, err := tree.Shutdown(ctx, audit)
		if err != nil || r.GoroutinesLeft != 0 {
			t.Fatalf("Shutdown: %v, %d goroutines left; want none", err, r.GoroutinesLeft)
		}
		if o := r.Children[0]; o.Outcome != supervisor.OutcomeAbandoned || len(o.Goroutines) != 0 {
			t.Fatalf("outcome %+v: abandoned, with nothing left running", o)
		}
	})
}
