package otelsupervisor_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/otelsupervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const failText = "boom-failure"

var audit = supervisor.Audit{Who: "test", Why: "otel"}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type env struct {
	tree   *supervisor.Tree
	obs    *otelsupervisor.Observer
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	runErr chan error
	cancel context.CancelFunc
}

// setup starts a tree with the given children and an observer of it wired
// to an SDK tracer provider with a SpanRecorder and a meter provider with a
// ManualReader.
func setup(t *testing.T, children ...supervisor.Child) *env {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	tree := supervisortest.Start(t, supervisor.Spec{Name: "otel", Children: children})
	obs, err := otelsupervisor.New(tree, otelsupervisor.Options{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{tree: tree, obs: obs, spans: spans, reader: reader, runErr: make(chan error, 1), cancel: cancel}
	go func() { e.runErr <- obs.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-e.runErr
	})
	return e
}

// counter returns the value of the Int64 sum name with exactly attrs.
func (e *env) counter(t *testing.T, name string, attrs ...attribute.KeyValue) (int64, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	want := attribute.NewSet(attrs...)
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelsupervisor.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("%s is %T, want Sum[int64]", name, m.Data)
			}
			for _, dp := range sum.DataPoints {
				if dp.Attributes.Equals(&want) {
					return dp.Value, true
				}
			}
		}
	}
	return 0, false
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func eventNames(s sdktrace.ReadOnlySpan) []string {
	var names []string
	for _, ev := range s.Events() {
		names = append(names, ev.Name)
	}
	return names
}

func attemptSpans(spans []sdktrace.ReadOnlySpan, path string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == otelsupervisor.SpanName && attrs(s)[otelsupervisor.AttrPath].AsString() == path {
			out = append(out, s)
		}
	}
	return out
}

func TestFailureAndRestart(t *testing.T) {
	ctx := waitCtx(t)
	w := &supervisortest.Child{ReadyOnStart: true}
	e := setup(t)
	rec := supervisortest.Record(e.tree)
	defer rec.Close()
	// Added after New: the observer sees every event of its attempts.
	child := supervisor.Child{Name: "w", Run: w.Run, Readiness: supervisor.ReadinessExplicit}
	if err := e.tree.AddChild(ctx, "/", child, audit); err != nil {
		t.Fatal(err)
	}

	if err := w.WaitRuns(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	w.Fail(errors.New(failText))
	if _, err := rec.WaitFor(ctx, supervisortest.Kind(supervisor.EventChildRestarted, "/w")); err != nil {
		t.Fatal(err)
	}
	if err := e.obs.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	// The first attempt's span has ended; the second is still open.
	ended := attemptSpans(e.spans.Ended(), "/w")
	if len(ended) != 1 {
		t.Fatalf("%d ended attempt spans for /w, want 1", len(ended))
	}
	first := ended[0]
	a := attrs(first)
	if a[otelsupervisor.AttrGeneration].AsInt64() == 0 || a[otelsupervisor.AttrAttempt].AsInt64() == 0 {
		t.Errorf("first span attributes = %v", a)
	}
	if got := a[otelsupervisor.AttrExit].AsString(); got != "abnormal" {
		t.Errorf("first span exit = %q, want abnormal", got)
	}
	if st := first.Status(); st.Code != codes.Error || !strings.Contains(st.Description, "abnormal") ||
		!strings.Contains(st.Description, failText) {
		t.Errorf("first span status = %+v", st)
	}
	if names := strings.Join(eventNames(first), ","); !strings.Contains(names, "ready") {
		t.Errorf("first span events = %s, want ready among them", names)
	}

	n, ok := e.counter(t, "supervisor.restarts", attribute.String("path", "/w"), attribute.String("exit", "abnormal"))
	if !ok || n != 1 {
		t.Errorf("supervisor.restarts{/w,abnormal} = %d, %v; want 1", n, ok)
	}

	// Shut the tree down: the second attempt exits stopped and its span ends Ok.
	if _, err := e.tree.Shutdown(ctx, audit); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-e.runErr:
		if err != nil {
			t.Fatalf("Run = %v, want nil after the tree ended", err)
		}
		e.runErr <- nil // for the cleanup
	case <-ctx.Done():
		t.Fatal("Run did not return after the tree ended")
	}
	all := attemptSpans(e.spans.Ended(), "/w")
	if len(all) != 2 {
		t.Fatalf("%d ended attempt spans for /w, want 2", len(all))
	}
	second := all[1]
	a2 := attrs(second)
	if a2[otelsupervisor.AttrAttempt].AsInt64() == a[otelsupervisor.AttrAttempt].AsInt64() &&
		a2[otelsupervisor.AttrGeneration].AsInt64() == a[otelsupervisor.AttrGeneration].AsInt64() {
		t.Errorf("both spans have the same attempt: %v, %v", a, a2)
	}
	if got := a2[otelsupervisor.AttrExit].AsString(); got != "stopped" {
		t.Errorf("second span exit = %q, want stopped", got)
	}
	if st := second.Status(); st.Code != codes.Ok {
		t.Errorf("second span status = %+v, want Ok", st)
	}
	if names := strings.Join(eventNames(second), ","); !strings.Contains(names, "ready") ||
		!strings.Contains(names, "stopping") {
		t.Errorf("second span events = %s, want ready and stopping", names)
	}
	if started, ended := len(e.spans.Started()), len(e.spans.Ended()); started != ended {
		t.Errorf("%d spans started, %d ended", started, ended)
	}
}

func TestCommandsAndQuarantine(t *testing.T) {
	ctx := waitCtx(t)
	q := &supervisortest.Child{}
	e := setup(t, supervisor.Child{Name: "q", Run: q.Run})
	if err := q.WaitRuns(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	if err := e.tree.QuarantineChild(ctx, "/q", audit); err != nil {
		t.Fatal(err)
	}
	if err := e.tree.PauseChild(ctx, "/missing", audit); err == nil {
		t.Fatal("PauseChild of a missing child succeeded")
	}
	if err := e.obs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(name string, want int64, kv ...attribute.KeyValue) {
		t.Helper()
		if n, ok := e.counter(t, name, kv...); !ok || n != want {
			t.Errorf("%s%v = %d, %v; want %d", name, kv, n, ok, want)
		}
	}
	check("supervisor.quarantines", 1, attribute.String("path", "/q"))
	check("supervisor.commands", 1, attribute.String("command", "quarantine"), attribute.String("result", "ok"))
	check("supervisor.commands", 1, attribute.String("command", "pause"), attribute.String("result", "error"))
	if n, ok := e.counter(t, "supervisor.restarts"); ok {
		t.Errorf("supervisor.restarts = %d without a restart", n)
	}
	if started, ended := len(e.spans.Started()), len(e.spans.Ended()); started != 1 || ended != 1 {
		t.Errorf("%d spans started, %d ended; want 1 and 1", started, ended)
	}
}

// TestNoOpenSpansAfterRunCancelled: an attempt under way when New is called
// gets a span too, and spans still open when Run's context is done are
// ended.
func TestNoOpenSpansAfterRunCancelled(t *testing.T) {
	ctx := waitCtx(t)
	w := &supervisortest.Child{}
	e := setup(t, supervisor.Child{Name: "w", Run: w.Run})
	if err := w.WaitRuns(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	if err := e.obs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(e.spans.Started()); n != 1 {
		t.Fatalf("%d spans started, want 1", n)
	}
	if n := len(e.spans.Ended()); n != 0 {
		t.Fatalf("%d spans ended while the child runs, want 0", n)
	}
	e.cancel()
	if err := <-e.runErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	e.runErr <- nil
	ended := attemptSpans(e.spans.Ended(), "/w")
	if len(ended) != 1 {
		t.Fatalf("%d spans of /w ended after Run returned, want 1", len(ended))
	}
	if a := attrs(ended[0]); a[otelsupervisor.AttrAttempt].AsInt64() == 0 || a[otelsupervisor.AttrGeneration].AsInt64() == 0 {
		t.Errorf("span attributes = %v", a)
	}
	if names := eventNames(ended[0]); len(names) == 0 || names[len(names)-1] != "observer_stopped" {
		t.Errorf("span events = %v, want observer_stopped last", names)
	}
	if err := e.obs.Run(ctx); err == nil {
		t.Error("second Run succeeded")
	}
}

func TestNilProviders(t *testing.T) {
	ctx := waitCtx(t)
	w := &supervisortest.Child{}
	tree := supervisortest.Start(t, supervisor.Spec{Name: "noop", Children: []supervisor.Child{{Name: "w", Run: w.Run}}})
	obs, err := otelsupervisor.New(tree, otelsupervisor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- obs.Run(context.Background()) }()
	if err := w.WaitRuns(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	w.Fail(errors.New(failText))
	if err := w.WaitRuns(ctx, 2, true); err != nil {
		t.Fatal(err)
	}
	if err := obs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Shutdown(ctx, audit); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after the tree ended")
	}
}

// syncedEnv is env inside a synctest bubble, with a subscription queue of
// buffer events.
func syncedEnv(t *testing.T, buffer int, children ...supervisor.Child) *env {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tree := supervisortest.Start(t, supervisor.Spec{Name: "otel", Children: children})
	obs, err := otelsupervisor.New(tree, otelsupervisor.Options{TracerProvider: tp, MeterProvider: mp, Buffer: buffer})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{tree: tree, obs: obs, spans: spans, reader: reader, runErr: make(chan error, 1), cancel: cancel}
	go func() { e.runErr <- obs.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-e.runErr
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return e
}

// An attempt whose child_exited event was dropped from the observer's
// queue still gets its span ended, with the exit the tree's state shows.
func TestDroppedExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &supervisortest.Child{}
		// One event fits: the exit is published with the quarantine that
		// follows it, and is dropped.
		e := syncedEnv(t, 1, supervisor.Child{Name: "q", Run: q.Run,
			Rules: []supervisor.Rule{{Message: failText, Action: supervisor.ActionQuarantine}}})
		synctest.Wait()
		q.Fail(errors.New(failText))
		synctest.Wait()
		if err := e.obs.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, ok := e.counter(t, "supervisor.events_dropped"); !ok || n == 0 {
			t.Fatal("no events dropped: the test shows nothing")
		}
		ended := attemptSpans(e.spans.Ended(), "/q")
		if len(ended) != 1 {
			t.Fatalf("%d ended spans of /q, quarantined after its exit, want 1", len(ended))
		}
		if got := attrs(ended[0])[otelsupervisor.AttrExit].AsString(); got != "abnormal" {
			t.Errorf("span of /q has exit %q, want abnormal", got)
		}
		if st := ended[0].Status(); st.Code != codes.Error || !strings.Contains(st.Description, failText) {
			t.Errorf("span of /q has status %+v, want Error with the exit's error", st)
		}
		if names := eventNames(ended[0]); !slices.Contains(names, "events_dropped") {
			t.Errorf("span of /q has events %v, want events_dropped among them", names)
		}
	})
}

// A restart whose preceding child_exited event was dropped from the
// observer's queue is counted with the exit the tree's state shows.
func TestDroppedExitRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &supervisortest.Child{}
		// Four events fit: the exit is published with the immediate
		// restart's four (restarting, starting, running, restarted), and
		// is dropped.
		e := syncedEnv(t, 4, supervisor.Child{Name: "w", Run: w.Run, Backoff: supervisor.Backoff{Off: true}})
		synctest.Wait()
		w.Fail(errors.New(failText))
		synctest.Wait()
		if err := e.obs.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, ok := e.counter(t, "supervisor.events_dropped"); !ok || n == 0 {
			t.Fatal("no events dropped: the test shows nothing")
		}
		if n, ok := e.counter(t, "supervisor.restarts", attribute.String("path", "/w"),
			attribute.String("exit", "abnormal")); !ok || n != 1 {
			t.Errorf("supervisor.restarts{/w,abnormal} = %d, %v; want 1", n, ok)
		}
		// The first attempt's span ends with its exit, which the tree's
		// state still shows while the second attempt runs.
		ended := attemptSpans(e.spans.Ended(), "/w")
		if len(ended) != 1 {
			t.Fatalf("%d ended spans of /w, want 1", len(ended))
		}
		if got := attrs(ended[0])[otelsupervisor.AttrExit].AsString(); got != "abnormal" {
			t.Errorf("first span of /w has exit %q, want abnormal", got)
		}
	})
}
