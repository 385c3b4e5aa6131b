package promsupervisor_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/promsupervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// secret is error text that must never become a label value.
const secret = "secret-error-text"

var audit = supervisor.Audit{Who: "test", Why: "metrics"}

// run starts the collector's Run and returns a function that stops it and
// returns Run's result.
func run(t *testing.T, c *promsupervisor.Collector) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- c.Run(ctx) }()
	return func() error {
		cancel()
		return <-res
	}
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// value returns the value of the metric name with exactly labels, from reg.
func value(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func mustValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := value(t, reg, name, labels)
	if !ok {
		t.Errorf("%s%v missing", name, labels)
	} else if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// scenario runs a tree through a failure and restart, a backoff, a
// quarantine and commands that succeed and fail, and returns the registry
// with the collector registered, synced with every event.
func scenario(t *testing.T) (*supervisor.Tree, *prometheus.Registry, *promsupervisor.Collector) {
	t.Helper()
	ctx := waitCtx(t)
	w, slow, q := &supervisortest.Child{ReadyOnStart: true}, &supervisortest.Child{}, &supervisortest.Child{}
	tree := supervisortest.Start(t, supervisor.Spec{Name: "metrics", Children: []supervisor.Child{
		{Name: "w", Run: w.Run, Readiness: supervisor.ReadinessExplicit},
		{Name: "slow", Run: slow.Run, Backoff: supervisor.Backoff{Initial: time.Hour}},
		{Name: "q", Run: q.Run},
	}})
	col := promsupervisor.New(tree)
	stop := run(t, col)
	t.Cleanup(func() {
		if err := stop(); !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)
	rec := supervisortest.Record(tree)
	t.Cleanup(rec.Close)

	if err := w.WaitRuns(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	w.Fail(errors.New(secret))
	if _, err := rec.WaitFor(ctx, supervisortest.Kind(supervisor.EventChildRestarted, "/w")); err != nil {
		t.Fatal(err)
	}
	if err := slow.WaitRuns(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	slow.Fail(errors.New(secret))
	if _, err := rec.WaitFor(ctx, supervisortest.Kind(supervisor.EventChildBackoff, "/slow")); err != nil {
		t.Fatal(err)
	}
	if err := tree.QuarantineChild(ctx, "/q", audit); err != nil {
		t.Fatal(err)
	}
	if err := tree.RestartChild(ctx, "/w", audit); err != nil {
		t.Fatal(err)
	}
	if err := tree.PauseChild(ctx, "/missing", audit); err == nil {
		t.Fatal("PauseChild of a missing child succeeded")
	}
	if err := col.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return tree, reg, col
}

func TestMetricsAfterRestart(t *testing.T) {
	tree, reg, _ := scenario(t)
	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	mustValue(t, reg, "supervisor_restarts_total", l("path", "/w", "exit", "abnormal"), 1)
	// RestartChild stops the attempt: the restart follows a stopped exit.
	mustValue(t, reg, "supervisor_restarts_total", l("path", "/w", "exit", "stopped"), 1)
	mustValue(t, reg, "supervisor_quarantines_total", l("path", "/q"), 1)
	mustValue(t, reg, "supervisor_commands_total", l("command", "quarantine", "result", "ok"), 1)
	mustValue(t, reg, "supervisor_commands_total", l("command", "restart", "result", "ok"), 1)
	mustValue(t, reg, "supervisor_commands_total", l("command", "pause", "result", "error"), 1)
	mustValue(t, reg, "supervisor_events_dropped_total", l(), 0)

	snap := tree.Snapshot()
	if w, _ := snap.Child("/w"); w.State != supervisor.StateReady {
		t.Fatalf("/w is %v, want ready", w.State)
	}
	mustValue(t, reg, "supervisor_child_state", l("path", "/w", "state", "ready"), 1)
	mustValue(t, reg, "supervisor_child_state", l("path", "/w", "state", "running"), 0)
	mustValue(t, reg, "supervisor_child_state", l("path", "/slow", "state", "backoff"), 1)
	mustValue(t, reg, "supervisor_child_state", l("path", "/q", "state", "quarantined"), 1)
	if n := testutil.CollectAndCount(reg, "supervisor_child_state"); n != 3*10 {
		t.Errorf("supervisor_child_state has %d series, want 30", n)
	}

	if up, ok := value(t, reg, "supervisor_child_uptime_seconds", l("path", "/w")); !ok || up < 0 || up > 60 {
		t.Errorf("uptime of /w = %v, %v", up, ok)
	}
	if _, ok := value(t, reg, "supervisor_child_uptime_seconds", l("path", "/q")); ok {
		t.Error("quarantined /q has an uptime")
	}
	if b, ok := value(t, reg, "supervisor_child_backoff_seconds", l("path", "/slow")); !ok || b <= 3500 || b > 3600 {
		t.Errorf("backoff of /slow = %v, %v; want about an hour", b, ok)
	}
	if n := testutil.CollectAndCount(reg, "supervisor_child_backoff_seconds"); n != 1 {
		t.Errorf("supervisor_child_backoff_seconds has %d series, want 1", n)
	}

	// The same through an HTTP scrape.
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`supervisor_restarts_total{exit="abnormal",path="/w"} 1`,
		`supervisor_child_state{path="/slow",state="backoff"} 1`,
		"# TYPE supervisor_restarts_total counter",
		"# TYPE supervisor_child_uptime_seconds gauge",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %q:\n%s", want, body)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// TestLowCardinalityLabels checks every label of every metric against a
// closed list of names and values: no error text, correlation id or audit
// record may leak into a label.
func TestLowCardinalityLabels(t *testing.T) {
	tree, reg, _ := scenario(t)
	paths := []string{"/"}
	for _, c := range tree.Snapshot().Children {
		paths = append(paths, c.Path)
	}
	names := func(first, last int, s func(int) string) []string {
		var out []string
		for i := first; i <= last; i++ {
			out = append(out, s(i))
		}
		return out
	}
	allowed := map[string][]string{
		"path":    paths,
		"exit":    names(0, 7, func(i int) string { return supervisor.ExitClass(i).String() }),
		"state":   names(0, 9, func(i int) string { return supervisor.State(i).String() }),
		"outcome": names(1, 4, func(i int) string { return supervisor.Outcome(i).String() }),
		"command": {"add", "remove", "restart", "pause", "resume", "quarantine", "shutdown", "reset", "update"},
		"result":  {"ok", "error"},
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) < 6 {
		t.Fatalf("only %d metric families", len(mfs))
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "supervisor_") {
			t.Errorf("metric %s lacks the supervisor_ prefix", mf.GetName())
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				vals, ok := allowed[l.GetName()]
				if !ok {
					t.Errorf("%s has label %q outside the allowed list", mf.GetName(), l.GetName())
					continue
				}
				v := l.GetValue()
				if !slices.Contains(vals, v) {
					t.Errorf("%s{%s=%q}: value outside %v", mf.GetName(), l.GetName(), v, vals)
				}
				if _, err := strconv.ParseUint(v, 10, 64); err == nil {
					t.Errorf("%s{%s=%q}: numeric label value (correlation id?)", mf.GetName(), l.GetName(), v)
				}
				if strings.Contains(v, secret) || strings.Contains(v, audit.Why) {
					t.Errorf("%s{%s=%q}: error text or audit in a label", mf.GetName(), l.GetName(), v)
				}
			}
		}
	}
}

// TestTreeEnd: a root that exceeds its intensity ends the tree; Run returns
// nil and the shutdown is counted.
func TestTreeEnd(t *testing.T) {
	ctx := waitCtx(t)
	w := &supervisortest.Child{}
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Name: "end",
		Intensity: supervisor.Intensity{MaxRestarts: 0, Period: time.Minute},
		Children:  []supervisor.Child{{Name: "w", Run: w.Run}, {Name: "idle", Run: supervisortest.Idle}}})
	if err != nil {
		t.Fatal(err)
	}
	col := promsupervisor.New(tree)
	res := make(chan error, 1)
	go func() { res <- col.Run(context.Background()) }()
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)

	if err := w.WaitRuns(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	w.Fail(errors.New(secret))
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return when the tree ended")
	}
	var ie *supervisor.IntensityError
	if err := tree.Wait(); !errors.As(err, &ie) {
		t.Fatalf("tree ended with %v, want an IntensityError", err)
	}
	if err := col.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	mustValue(t, reg, "supervisor_intensity_exceeded_total", map[string]string{"path": "/"}, 1)
	if n := testutil.CollectAndCount(reg, "supervisor_restarts_total"); n != 0 {
		t.Errorf("%d restart series for a refused restart", n)
	}
	d, ok := value(t, reg, "supervisor_shutdown_duration_seconds", map[string]string{"path": "/"})
	if !ok || d < 0 || d > 10 {
		t.Errorf("shutdown duration = %v, %v", d, ok)
	}
	var outcomes float64
	for _, o := range []string{"graceful", "already_exited", "abandoned", "late"} {
		v, _ := value(t, reg, "supervisor_shutdown_outcomes_total", map[string]string{"outcome": o})
		outcomes += v
	}
	if want := float64(len(tree.Report().Children)); outcomes != want || want == 0 {
		t.Errorf("shutdown outcomes total %v, want %v", outcomes, want)
	}
}

// TestRunStops: Run ends when its context is done, and again (at once)
// for a tree that already ended.
func TestRunStops(t *testing.T) {
	tree := supervisortest.Start(t, supervisor.Spec{Name: "stop",
		Children: []supervisor.Child{{Name: "idle", Run: supervisortest.Idle}}})
	col := promsupervisor.New(tree, promsupervisor.WithBuffer(4),
		promsupervisor.WithConstLabels(prometheus.Labels{"tree": "stop"}))
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- col.Run(ctx) }()
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if err := col.Run(context.Background()); err == nil {
		t.Error("second Run succeeded")
	}
	if n := testutil.CollectAndCount(col, "supervisor_child_state"); n != 10 {
		t.Errorf("child_state has %d series, want 10", n)
	}
}

// TestEventsDropped: a collector whose subscription overflows counts the
// events it missed.
func TestEventsDropped(t *testing.T) {
	ctx := waitCtx(t)
	tree := supervisortest.Start(t, supervisor.Spec{Name: "drop",
		Children: []supervisor.Child{{Name: "idle", Run: supervisortest.Idle}}})
	col := promsupervisor.New(tree, promsupervisor.WithBuffer(1))
	// Run is not running yet: the commands' events overflow the queue.
	for range 3 {
		if err := tree.RestartChild(ctx, "/idle", audit); err != nil {
			t.Fatal(err)
		}
	}
	stop := run(t, col)
	defer stop()
	if err := col.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(collectorOnly(col, "supervisor_events_dropped_total")); got == 0 {
		t.Error("no dropped events counted")
	}
}

// collectorOnly narrows a collector to one metric name, for ToFloat64.
func collectorOnly(c prometheus.Collector, name string) prometheus.Collector {
	return filter{c, name}
}

type filter struct {
	prometheus.Collector
	name string
}

func (f filter) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() {
		f.Collector.Collect(all)
		close(all)
	}()
	for m := range all {
		if strings.Contains(m.Desc().String(), `"`+f.name+`"`) {
			ch <- m
		}
	}
}

// A removed child's series are deleted with it: children added and removed
// at run time do not pile series up.
func TestRemovedChildSeries(t *testing.T) {
	tree := supervisortest.Start(t, supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
		Children: []supervisor.Child{{Name: "keep", Run: supervisortest.Idle}}})
	c := promsupervisor.New(tree)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	audit := supervisor.Audit{Who: "test", Why: "series"}
	if err := tree.AddChild(ctx, "/", supervisor.Child{Name: "tmp", Run: supervisortest.Idle}, audit); err != nil {
		t.Fatal(err)
	}
	if err := tree.RestartChild(ctx, "/tmp", audit); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	count := func() int { return testutil.CollectAndCount(c, "supervisor_restarts_total") }
	if n := count(); n != 1 {
		t.Fatalf("%d restart series before the removal, want 1", n)
	}
	if err := tree.RemoveChild(ctx, "/tmp", audit); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d restart series after the removal, want 0", n)
	}
}

// syncedRun starts c.Run (in a synctest bubble) and returns a function that
// stops it.
func syncedRun(c *promsupervisor.Collector) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// registered returns a registry with c registered.
func registered(c *promsupervisor.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return reg
}

// A restart is labelled with how the child's previous attempt exited even
// when that exit happened before New: the collector starts from the
// tree's state, not from "none".
func TestRestartOfExitBeforeNew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &supervisortest.Child{}
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "w", Run: w.Run, Backoff: supervisor.Backoff{Initial: time.Minute}},
		}})
		synctest.Wait()
		w.Fail(errors.New(secret))
		synctest.Wait() // /w waits in backoff
		c := promsupervisor.New(tree)
		defer syncedRun(c)()
		reg := registered(c)
		time.Sleep(2 * time.Minute) // /w restarts
		if err := c.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		mustValue(t, reg, "supervisor_restarts_total", map[string]string{"path": "/w", "exit": "abnormal"}, 1)
		if v, ok := value(t, reg, "supervisor_restarts_total", map[string]string{"path": "/w", "exit": "none"}); ok {
			t.Errorf("restart of /w counted with exit none (%v)", v)
		}
	})
}

// Removing a nested supervisor deletes its own series and those of its
// children, which get no child_removed event of their own.
func TestRemovedSupervisorSeries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "keep", Run: supervisortest.Idle},
			{Name: "n", Tree: &supervisor.Spec{Children: []supervisor.Child{
				{Name: "a", Run: supervisortest.Idle},
			}}},
		}})
		c := promsupervisor.New(tree)
		defer syncedRun(c)()
		ctx := context.Background()
		if err := tree.RestartChild(ctx, "/n/a", audit); err != nil {
			t.Fatal(err)
		}
		if err := c.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if n := testutil.CollectAndCount(c, "supervisor_restarts_total"); n != 1 {
			t.Fatalf("%d restart series before the removal, want 1", n)
		}
		if err := tree.RemoveChild(ctx, "/n", audit); err != nil {
			t.Fatal(err)
		}
		if err := c.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"supervisor_restarts_total", "supervisor_shutdown_duration_seconds"} {
			if n := testutil.CollectAndCount(c, name); n != 0 {
				t.Errorf("%d series of %s after /n was removed, want 0", n, name)
			}
		}
	})
}

// A child whose removal was among the events the collector dropped loses
// its series all the same: the collector resynchronizes with the tree's
// state on dropped events.
func TestDroppedRemoval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &supervisortest.Child{}
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "keep", Run: supervisortest.Idle},
			{Name: "q", Run: q.Run, Rules: []supervisor.Rule{{Message: secret, Action: supervisor.ActionQuarantine}}},
		}})
		// One event fits: the removal of a child that does not run
		// publishes three at once (accepted, removed, completed), of which
		// the first two are dropped.
		c := promsupervisor.New(tree, promsupervisor.WithBuffer(1))
		defer syncedRun(c)()
		reg := registered(c)
		ctx := context.Background()
		synctest.Wait()
		q.Fail(errors.New(secret))
		synctest.Wait()
		if err := c.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		mustValue(t, reg, "supervisor_quarantines_total", map[string]string{"path": "/q"}, 1)
		dropped := testutil.ToFloat64(collectorOnly(c, "supervisor_events_dropped_total"))

		if err := tree.RemoveChild(ctx, "/q", audit); err != nil {
			t.Fatal(err)
		}
		if err := c.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if got := testutil.ToFloat64(collectorOnly(c, "supervisor_events_dropped_total")); got == dropped {
			t.Fatal("the removal's events were not dropped: the test shows nothing")
		}
		if v, ok := value(t, reg, "supervisor_quarantines_total", map[string]string{"path": "/q"}); ok {
			t.Errorf("removed /q still has supervisor_quarantines_total %v", v)
		}
	})
}

// A restart whose preceding child_exited event was dropped from the
// collector's queue is counted with the exit the tree's state shows.
func TestDroppedExitRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &supervisortest.Child{}
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "w", Run: w.Run, Backoff: supervisor.Backoff{Off: true}},
		}})
		// Four events fit: the exit is published with the immediate
		// restart's four (restarting, starting, running, restarted), and
		// is dropped.
		c := promsupervisor.New(tree, promsupervisor.WithBuffer(4))
		defer syncedRun(c)()
		reg := registered(c)
		synctest.Wait()
		w.Fail(errors.New(secret))
		synctest.Wait()
		if err := c.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if testutil.ToFloat64(collectorOnly(c, "supervisor_events_dropped_total")) == 0 {
			t.Fatal("no events dropped: the test shows nothing")
		}
		mustValue(t, reg, "supervisor_restarts_total", map[string]string{"path": "/w", "exit": "abnormal"}, 1)
	})
}
