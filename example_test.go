package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-supervisor/supervisor"
)

// A tree with two children: a worker that fails twice before it settles is
// restarted, then the tree shuts down, stopping children in reverse order.
func Example() {
	ctx := context.Background()
	settled := make(chan struct{})
	var runs int // state that outlives attempts lives in the closure
	tree, err := supervisor.Start(ctx, supervisor.Spec{
		Name: "example",
		Children: []supervisor.Child{
			{Name: "db", Run: func(ctx context.Context) error {
				<-ctx.Done() // run until asked to stop
				return nil
			}},
			{Name: "worker", Run: func(ctx context.Context) error {
				runs++
				if runs < 3 {
					return errors.New("transient failure") // abnormal exit: restarted
				}
				close(settled)
				<-ctx.Done()
				return nil
			}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-settled
	info, _ := tree.Snapshot().Child("/worker")
	fmt.Println("worker:", info.State, "generation", info.Generation, "restarts", info.Restarts)

	report, err := tree.Shutdown(ctx, supervisor.Audit{Who: "example", Why: "done"})
	if err != nil {
		fmt.Println(err)
	}
	for _, o := range report.Children {
		fmt.Println(o.Path, o.Outcome)
	}
	// Output:
	// worker: running generation 3 restarts 2
	// /worker graceful
	// /db graceful
}

// A child with ReadinessExplicit holds back its later siblings until it
// calls Ready.
func ExampleReady() {
	ctx := context.Background()
	var order []string
	tree, err := supervisor.Start(ctx, supervisor.Spec{Children: []supervisor.Child{
		{Name: "db", Readiness: supervisor.ReadinessExplicit, Run: func(ctx context.Context) error {
			order = append(order, "db connecting")
			supervisor.Ready(ctx) // the next sibling starts now
			<-ctx.Done()
			return nil
		}},
		{Name: "api", Run: func(ctx context.Context) error {
			order = append(order, "api serving")
			<-ctx.Done()
			return nil
		}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	tree.Shutdown(ctx, supervisor.Audit{Who: "example", Why: "done"})
	fmt.Println(order)
	// Output:
	// [db connecting api serving]
}

// Subscribe follows a tree's events; every transition is one event.
func ExampleTree_Subscribe() {
	ctx := context.Background()
	fail := make(chan struct{})
	tree, _ := supervisor.Start(ctx, supervisor.Spec{Children: []supervisor.Child{
		{Name: "job", Restart: supervisor.Transient, Run: func(ctx context.Context) error {
			select {
			case <-fail:
				return fmt.Errorf("%w: finished", supervisor.ErrStop) // normal: not restarted
			case <-ctx.Done():
				return nil
			}
		}},
	}})
	sub := tree.Subscribe(0)
	defer sub.Close()
	close(fail)
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			return
		}
		fmt.Println(e.Kind, e.Path, e.Exit, e.State)
		if e.Kind == supervisor.EventChildExited {
			break
		}
	}
	tree.Shutdown(ctx, supervisor.Audit{Who: "example", Why: "done"})
	// Output:
	// child_exited /job shutdown stopped
}

// SubscribeFrom(0, ...) right after Start follows a tree from its first
// event: the start's events, which Subscribe would miss, come from the
// journal.
func ExampleTree_SubscribeFrom() {
	ctx := context.Background()
	idle := func(ctx context.Context) error { <-ctx.Done(); return nil }
	tree, _ := supervisor.Start(ctx, supervisor.Spec{Children: []supervisor.Child{
		{Name: "db", Run: idle},
		{Name: "api", Run: idle},
	}})
	sub := tree.SubscribeFrom(0, 0)
	defer sub.Close()
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			return
		}
		fmt.Println(e.Seq, e.Kind, e.Path)
		if e.Kind == supervisor.EventTreeStarted {
			break
		}
	}
	tree.Shutdown(ctx, supervisor.Audit{Who: "example", Why: "done"})
	// Output:
	// 1 child_starting /db
	// 2 child_running /db
	// 3 child_starting /api
	// 4 child_running /api
	// 5 tree_started /
}

// The control API addresses children by path; every call says who asks
// and why.
func ExampleTree_PauseChild() {
	ctx := context.Background()
	idle := func(ctx context.Context) error { <-ctx.Done(); return nil }
	tree, _ := supervisor.Start(ctx, supervisor.Spec{Children: []supervisor.Child{
		{Name: "workers", Tree: &supervisor.Spec{Children: []supervisor.Child{
			{Name: "w1", Run: idle},
		}}},
	}})
	audit := supervisor.Audit{Who: "ops@example.com", Why: "draining w1 for maintenance"}
	if err := tree.AddChild(ctx, "/workers", supervisor.Child{Name: "w2", Run: idle}, audit); err != nil {
		fmt.Println(err)
	}
	if err := tree.PauseChild(ctx, "/workers/w1", audit); err != nil {
		fmt.Println(err)
	}
	err := tree.PauseChild(ctx, "/workers/w9", audit)
	fmt.Println(errors.Is(err, supervisor.ErrNotFound), err)
	for _, c := range tree.Snapshot().Children {
		fmt.Println(c.Path, c.State)
	}
	tree.Shutdown(ctx, audit)
	// Output:
	// true supervisor: pause /workers/w9: child not found
	// /workers ready
	// /workers/w1 paused
	// /workers/w2 running
}

// A child that keeps failing exhausts its supervisor's intensity; the
// supervisor stops its children and the tree ends with an *IntensityError.
func ExampleIntensity() {
	tree, _ := supervisor.Start(context.Background(), supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: 2, Period: time.Minute},
		Children: []supervisor.Child{{Name: "broken", Run: func(context.Context) error {
			return errors.New("cannot connect")
		}}},
	})
	err := tree.Wait()
	var ie *supervisor.IntensityError
	fmt.Println(errors.As(err, &ie), ie.Child)
	// Output:
	// true /broken
}

// waitEvent returns the first event of kind in the tree's history.
func waitEvent(tree *supervisor.Tree, kind supervisor.EventKind) supervisor.Event {
	sub := tree.Subscribe(0)
	defer sub.Close()
	for _, e := range tree.Journal().Events {
		if e.Kind == kind {
			return e
		}
	}
	for {
		e, err := sub.Next(context.Background())
		if err != nil || e.Kind == kind {
			return e
		}
	}
}

// A child that fails more often than its restart limit allows is
// quarantined instead of restarted, while the supervisor goes on; an
// operator's ResetChild clears its counters and starts it again.
func ExampleQuarantine() {
	ctx := context.Background()
	var runs int
	tree, _ := supervisor.Start(ctx, supervisor.Spec{Children: []supervisor.Child{{
		Name: "flaky",
		Run: func(ctx context.Context) error {
			if runs++; runs <= 3 {
				return errors.New("cannot reach the broker")
			}
			<-ctx.Done()
			return nil
		},
		Quarantine: supervisor.Quarantine{After: 2, Within: time.Minute},
	}}})
	q := waitEvent(tree, supervisor.EventChildQuarantined)
	fmt.Println(q.Rule+":", q.Reason)

	audit := supervisor.Audit{Who: "ops", Why: "broker is back"}
	if err := tree.ResetChild(ctx, "/flaky", audit); err != nil {
		fmt.Println(err)
	}
	info, _ := tree.Snapshot().Child("/flaky")
	fmt.Println(info.State)
	tree.Shutdown(ctx, audit)
	// Output:
	// quarantine: 3 failures within 1m, more than the 2 allowed; probation in 1m
	// running
}

// Error rules decide before the restart type: a configuration error is not
// worth restarting, whatever the restart type says.
func ExampleRule() {
	errConfig := errors.New("missing API key")
	tree, _ := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{{
		Name:  "client",
		Run:   func(context.Context) error { return fmt.Errorf("startup: %w", errConfig) },
		Rules: []supervisor.Rule{{Is: errConfig, Action: supervisor.ActionShutdownTree}},
	}}})
	err := tree.Wait()
	var re *supervisor.RuleError
	fmt.Println(errors.As(err, &re), re.Rule, errors.Is(err, errConfig))
	// Output:
	// true rules[0] true
}

// Groups isolate a storm: the group that exceeds its own intensity is
// quarantined as a unit, and the supervisor and its other children go on.
func ExampleGroup() {
	tree, _ := supervisor.Start(context.Background(), supervisor.Spec{
		Groups: []supervisor.Group{{Name: "ingest", Strategy: supervisor.OneForAll,
			Intensity: supervisor.Intensity{MaxRestarts: 3, Period: time.Minute}}},
		Children: []supervisor.Child{
			{Name: "api", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }},
			{Name: "reader", Group: "ingest", Run: func(context.Context) error { return errors.New("bad feed") }},
			{Name: "parser", Group: "ingest", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }},
		},
	})
	g := waitEvent(tree, supervisor.EventGroupQuarantined)
	fmt.Println(g.Reason)
	for _, c := range tree.Snapshot().Children {
		fmt.Println(c.Path, c.State)
	}
	tree.Shutdown(context.Background(), supervisor.Audit{Who: "example", Why: "done"})
	// Output:
	// group ingest: more than 3 restarts within 1m (the failure of /reader)
	// /api running
	// /reader quarantined
	// /parser quarantined
}

// Apply reconfigures a running tree: here it adds a worker, restarts the
// api for its new revision and changes the cache's backoff in place.
func ExampleTree_Apply() {
	ctx := context.Background()
	idle := func(ctx context.Context) error { <-ctx.Done(); return nil }
	spec := supervisor.Spec{Children: []supervisor.Child{
		{Name: "cache", Run: idle},
		{Name: "api", Run: idle, Revision: "v1"},
	}}
	tree, err := supervisor.Start(ctx, spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec.Children = []supervisor.Child{
		{Name: "cache", Run: idle, Backoff: supervisor.Backoff{Initial: time.Second}},
		{Name: "api", Run: idle, Revision: "v2"},
		{Name: "worker", Run: idle},
	}
	audit := supervisor.Audit{Who: "example", Why: "deploy v2"}
	plan, err := tree.Apply(ctx, spec, audit)
	if err != nil {
		fmt.Println(err)
	}
	fmt.Print(plan)
	for _, c := range tree.Snapshot().Children {
		fmt.Println(c.Path, c.State, "generation", c.Generation)
	}
	tree.Shutdown(ctx, audit)
	// Output:
	// update /cache: backoff
	// restart /api: revision
	// add /worker
	// /cache running generation 1
	// /api running generation 2
	// /worker running generation 1
}
