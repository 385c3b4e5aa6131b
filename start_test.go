package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

func TestStartInDeclarationOrder(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{Children: names("a", "b", "c")})
		got := sequence(rec, supervisor.EventChildStarting, supervisor.EventTreeStarted)
		want := []string{"child_starting /a", "child_starting /b", "child_starting /c", "tree_started /"}
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		for _, c := range tree.Snapshot().Children {
			if c.State != supervisor.StateRunning || !c.Ready {
				t.Fatalf("%s: %s ready=%v; default readiness is immediate", c.Path, c.State, c.Ready)
			}
		}
	})
}

type startResult struct {
	tree *supervisor.Tree
	err  error
}

func startAsync(spec supervisor.Spec) chan startResult {
	ch := make(chan startResult, 1)
	go func() {
		tree, err := supervisor.Start(bg(), spec)
		ch <- startResult{tree, err}
	}()
	return ch
}

// A child with explicit readiness holds back its later siblings until it
// calls Ready.
func TestStartGatedByReadiness(t *testing.T) {
	bubble(t, func(t *testing.T) {
		db := &supervisortest.Child{}
		api := &supervisortest.Child{}
		res := startAsync(supervisor.Spec{Children: []supervisor.Child{
			{Name: "db", Run: db.Run, Readiness: supervisor.ReadinessExplicit},
			{Name: "api", Run: api.Run},
		}})
		time.Sleep(10 * time.Second)
		settle()
		if db.Runs() != 1 || api.Runs() != 0 {
			t.Fatalf("db runs %d, api runs %d: api must wait for db's readiness", db.Runs(), api.Runs())
		}
		select {
		case <-res:
			t.Fatal("Start returned before the tree was up")
		default:
		}
		db.SignalReady()
		r := <-res
		if r.err != nil {
			t.Fatal(r.err)
		}
		settle()
		wantState(t, r.tree, "/db", supervisor.StateReady)
		wantState(t, r.tree, "/api", supervisor.StateRunning)
		r.tree.Shutdown(bg(), audit)
	})
}

// A child that does not become ready in time fails Start: the children
// already started are stopped in reverse order, later ones never start.
func TestStartTimeoutFailsStart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a, b, slow, c := &supervisortest.Child{}, &supervisortest.Child{}, &supervisortest.Child{}, &supervisortest.Child{}
		var order []string
		track := func(name string, ch *supervisortest.Child) func(context.Context) error {
			return func(ctx context.Context) error {
				err := ch.Run(ctx)
				order = append(order, name)
				return err
			}
		}
		t0 := time.Now()
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: track("a", a)},
			{Name: "b", Run: track("b", b)},
			{Name: "slow", Run: track("slow", slow), Readiness: supervisor.ReadinessExplicit, StartTimeout: 3 * time.Second},
			{Name: "c", Run: c.Run},
		}})
		if tree != nil {
			t.Fatal("a failed Start must not return a tree")
		}
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Path != "/slow" || !errors.Is(err, supervisor.ErrStartTimeout) {
			t.Fatalf("Start = %v, want a *StartError for /slow wrapping ErrStartTimeout", err)
		}
		if !strings.Contains(err.Error(), "/slow") {
			t.Fatalf("message %q does not name the child", err)
		}
		if d := time.Since(t0); d != 3*time.Second {
			t.Fatalf("Start failed after %v, want the 3s start timeout", d)
		}
		if want := []string{"slow", "b", "a"}; !slices.Equal(order, want) {
			t.Fatalf("stop order %v, want %v", order, want)
		}
		if c.Runs() != 0 {
			t.Fatal("a child after the failed one started")
		}
	})
}

func TestStartFailsWhenChildExitsBeforeReady(t *testing.T) {
	bubble(t, func(t *testing.T) {
		_, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "bad", Run: supervisortest.Exit(errBoom), Readiness: supervisor.ReadinessExplicit},
		}})
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Path != "/bad" || !errors.Is(err, errBoom) {
			t.Fatalf("Start = %v, want a *StartError for /bad wrapping its error", err)
		}
	})
}

// A nested supervisor is ready once its own children are: the parent's next
// child waits for the whole subtree.
func TestStartNestedGating(t *testing.T) {
	bubble(t, func(t *testing.T) {
		inner := &supervisortest.Child{}
		after := &supervisortest.Child{}
		res := startAsync(supervisor.Spec{Children: []supervisor.Child{
			{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{
				{Name: "inner", Run: inner.Run, Readiness: supervisor.ReadinessExplicit},
			}}},
			{Name: "after", Run: after.Run},
		}})
		settle()
		if after.Runs() != 0 {
			t.Fatal("a sibling started before the nested supervisor was ready")
		}
		inner.SignalReady()
		r := <-res
		if r.err != nil {
			t.Fatal(r.err)
		}
		settle()
		wantState(t, r.tree, "/sub", supervisor.StateReady)
		wantState(t, r.tree, "/sub/inner", supervisor.StateReady)
		wantState(t, r.tree, "/after", supervisor.StateRunning)
		r.tree.Shutdown(bg(), audit)
	})
}

func TestStartNestedFailureNamesChild(t *testing.T) {
	bubble(t, func(t *testing.T) {
		_, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{
				{Name: "deep", Run: supervisortest.Exit(errBoom), Readiness: supervisor.ReadinessExplicit},
			}}},
		}})
		var se *supervisor.StartError
		if !errors.As(err, &se) || se.Path != "/sub" {
			t.Fatalf("Start = %v", err)
		}
		var inner *supervisor.StartError
		if !errors.As(se.Err, &inner) || inner.Path != "/sub/deep" || !errors.Is(err, errBoom) {
			t.Fatalf("cause %v, want the nested *StartError for /sub/deep", se.Err)
		}
	})
}

func TestStartContextCancelled(t *testing.T) {
	bubble(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(bg())
		time.AfterFunc(time.Second, cancel)
		tree, err := supervisor.Start(ctx, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "never", Run: supervisortest.Idle, Readiness: supervisor.ReadinessExplicit},
		}})
		if tree != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("Start = %v, %v; want context.Canceled", tree, err)
		}
	})
}

// Cancelling Start's context later shuts the tree down cleanly.
func TestContextCancelShutsDown(t *testing.T) {
	bubble(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(bg())
		tree, err := supervisor.Start(ctx, supervisor.Spec{Children: names("a", "b")})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := tree.Wait(); err != nil {
			t.Fatalf("Wait = %v, want nil after a clean shutdown", err)
		}
		r := tree.Report()
		if r.Cause != "context canceled" || len(r.Children) != 2 || r.Children[0].Path != "/b" {
			t.Fatalf("report %+v", r)
		}
	})
}

func TestValidation(t *testing.T) {
	nested := &supervisor.Spec{Name: "other", Logger: nil, JournalSize: 5, Children: []supervisor.Child{{Name: "", Run: supervisortest.Idle}}}
	spec := supervisor.Spec{
		Strategy:  supervisor.Strategy(9),
		Intensity: supervisor.Intensity{MaxRestarts: 3},
		Children: []supervisor.Child{
			{Name: "ok", Run: supervisortest.Idle},
			{Name: "ok", Run: supervisortest.Idle},
			{Name: "a/b", Run: supervisortest.Idle, Restart: 7, Shutdown: -time.Second},
			{Name: "none"},
			{Name: "both", Run: supervisortest.Idle, Tree: &supervisor.Spec{}},
			{Name: "bo", Run: supervisortest.Idle, Backoff: supervisor.Backoff{Initial: 2 * time.Second, Max: time.Second, Multiplier: 0.5, Jitter: 1.5}},
			{Name: "sub", Tree: nested, Readiness: supervisor.ReadinessExplicit},
			{Name: "capped", Run: supervisortest.Idle, Backoff: supervisor.Backoff{Max: time.Minute}}, // no initial
			{Name: "waits", Run: supervisortest.Idle, StartTimeout: time.Second},                      // nothing to wait for
		},
	}
	err := supervisor.Validate(spec)
	var ve *supervisor.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	want := []string{
		"strategy", "intensity.period", "children[1].name", "children[2].name", "children[2].restart",
		"children[2].shutdown", "children[3]", "children[4]", "children[5].backoff.max",
		"children[5].backoff.multiplier", "children[5].backoff.jitter", "children[6].readiness",
		"children[6].tree.name", "children[6].tree.journalSize",
		"children[6].tree.children[0].name", "children[7].backoff.initial", "children[8].startTimeout",
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Field)
		if p.Message == "" {
			t.Errorf("%s: empty message", p.Field)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("fields\n got %q\nwant %q\n%v", got, want, err)
	}
	if !strings.Contains(err.Error(), `children[1].name: "ok" is already the name of children[0]`) {
		t.Fatalf("message lacks the duplicate's position and fix: %v", err)
	}
	if _, err := supervisor.Start(bg(), spec); !errors.As(err, &ve) {
		t.Fatalf("Start must validate: %v", err)
	}
}

// A child escalating while the ordered start is still running ends the root
// before it has started; Start should report the failure (as it does for an
// intensity error during start), not return a dead tree with a nil error.
func TestStartFailsWhenChildEscalates(t *testing.T) {
	bubble(t, func(t *testing.T) {
		gate := &supervisortest.Child{}
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "esc", Run: supervisortest.Exit(supervisor.ErrEscalate)},
			{Name: "gate", Run: gate.Run, Readiness: supervisor.ReadinessExplicit, StartTimeout: time.Minute},
		}})
		if err == nil {
			var ee *supervisor.EscalationError
			werr := tree.Wait()
			t.Fatalf("Start returned (tree, nil) although the tree already ended: Wait=%v (escalation=%v)", werr, errors.As(werr, &ee))
		}
	})
}

// Intensity exceeded during the ordered start fails Start too.
func TestStartFailsWhenIntensityExceeded(t *testing.T) {
	bubble(t, func(t *testing.T) {
		gate := &supervisortest.Child{}
		_, err := supervisor.Start(bg(), supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 0, Period: time.Second}, Children: []supervisor.Child{
			{Name: "bad", Run: supervisortest.Exit(errBoom)},
			{Name: "gate", Run: gate.Run, Readiness: supervisor.ReadinessExplicit, StartTimeout: time.Minute},
		}})
		if !errors.As(err, new(*supervisor.IntensityError)) {
			t.Fatalf("Start = %v, want the *IntensityError", err)
		}
	})
}

// A nested supervisor launched and then stopped in the same pass of its
// parent's loop (its goroutine cannot run yet: the parent holds the tree
// lock) still performs its ordered start when its goroutine runs: its
// children start after the parent's shutdown was requested.
func TestNestedStoppedBeforeItRanStartsNothing(t *testing.T) {
	bubble(t, func(t *testing.T) {
		e := &supervisortest.Child{}
		f := &supervisortest.Child{}
		var wRuns atomic.Int64
		w := func(ctx context.Context) error { wRuns.Add(1); <-ctx.Done(); return nil }
		bo := supervisor.Backoff{Initial: time.Second}
		tree, err := supervisor.Start(bg(), supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 1, Period: time.Minute},
			Children: []supervisor.Child{
				{Name: "s", Backoff: bo, Tree: &supervisor.Spec{Children: []supervisor.Child{
					{Name: "w", Run: w}, {Name: "e", Run: e.Run},
				}}},
				{Name: "f", Run: f.Run, Backoff: bo},
			}})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		e.Fail(supervisor.ErrEscalate) // /s fails: backoff until t=1s
		settle()
		f.Fail(errBoom) // /f fails: backoff until t=1s too
		settle()
		wantState(t, tree, "/s", supervisor.StateBackoff)
		wantState(t, tree, "/f", supervisor.StateBackoff)
		// At t=1s: /s is restarted, then /f's restart exceeds the intensity
		// and the root shuts down, stopping the just-launched /s.
		tree.Wait()
		var shutSeq uint64
		for _, ev := range rec.Events() {
			if ev.Kind == supervisor.EventShutdownRequested && ev.Path == "/" {
				shutSeq = ev.Seq
			}
			if shutSeq != 0 && ev.Kind == supervisor.EventChildStarting && ev.Path == "/s/w" {
				t.Fatalf("/s/w started (seq %d) after the root's shutdown was requested (seq %d); w ran %d times\n%s",
					ev.Seq, shutSeq, wRuns.Load(), supervisortest.Format(rec.Events()))
			}
		}
	})
}
