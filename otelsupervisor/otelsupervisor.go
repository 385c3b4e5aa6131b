// Package otelsupervisor reports the events of a supervisor tree through
// OpenTelemetry: a span for every attempt of every child, and counters for
// restarts, quarantines, refused restarts, control commands and dropped
// events.
//
// An Observer consumes the tree's events through a Subscription. Each attempt
// of a child becomes one span named "attempt", started at the attempt's
// child_starting event with the attributes supervisor.path,
// supervisor.generation and supervisor.attempt, carrying a span event for each
// of the attempt's transitions (running, ready, stopping, unhealthy,
// healthy...), and ended at the attempt's child_exited event (status Error for
// an abnormal exit, Ok otherwise) or child_abandoned event (status Error). No
// span is left open: when the tree ends or Run's context is done, the spans
// still open are ended. An attempt whose end was among the events the
// observer's subscription dropped (see Options.Buffer) is ended, with an
// "events_dropped" span event, once the observer has caught up with
// Tree.Snapshot: at the exit the tree's state shows for it or, if the state
// no longer shows it, at the state's time without an exit (with a
// "superseded" span event instead if the child's next attempt starts
// first).
//
// Metric attributes have a bounded set of values: a child's or a
// supervisor's path (from the tree's spec), an exit class, a command name and
// a result (ok or error). Error texts and correlation ids are never used as
// metric attributes.
//
// The package uses only the OpenTelemetry API and never the otel global
// providers: pass a TracerProvider and a MeterProvider (typically from the
// OpenTelemetry SDK) in Options.
//
//	obs, err := otelsupervisor.New(tree, otelsupervisor.Options{
//		TracerProvider: tp,
//		MeterProvider:  mp,
//	})
//	if err != nil {
//		return err
//	}
//	go obs.Run(ctx)
package otelsupervisor

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/follow"
	"github.com/go-supervisor/supervisor/internal/textfmt"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of the observer's tracer and meter.
const ScopeName = "github.com/go-supervisor/supervisor/otelsupervisor"

// SpanName is the name of the span of a child's attempt.
const SpanName = "attempt"

// Attribute keys used on spans and metrics.
const (
	AttrPath       = attribute.Key("supervisor.path")       // a child's or a supervisor's path in the tree
	AttrGeneration = attribute.Key("supervisor.generation") // the child's generation (spans only)
	AttrAttempt    = attribute.Key("supervisor.attempt")    // the attempt's number (spans only)
	AttrExit       = attribute.Key("supervisor.exit")       // a supervisor.ExitClass (spans)
	AttrState      = attribute.Key("supervisor.state")      // a supervisor.State (span events)
	AttrRule       = attribute.Key("supervisor.rule")       // what decided (span events)
	AttrReason     = attribute.Key("supervisor.reason")     // why (span events)

	// Metric attributes.
	AttrMetricPath    = attribute.Key("path")    // a child's or a supervisor's path
	AttrMetricExit    = attribute.Key("exit")    // a supervisor.ExitClass
	AttrMetricCommand = attribute.Key("command") // a control command: restart, pause...
	AttrMetricResult  = attribute.Key("result")  // ok or error
)

// Options configures an Observer. The zero value is valid: it records
// nothing (noop providers).
type Options struct {
	// TracerProvider creates the tracer of the attempt spans; nil means a
	// noop provider.
	TracerProvider trace.TracerProvider
	// MeterProvider creates the meter of the counters; nil means a noop
	// provider.
	MeterProvider metric.MeterProvider
	// Buffer is the size of the observer's event subscription queue
	// (256 if <= 0, as for Tree.Subscribe). Events that overflow it
	// are counted in supervisor.events_dropped, and what they would have
	// counted is lost; the observer then catches up with Tree.Snapshot, for
	// the spans whose end they carried and the exits restarts are counted
	// by.
	Buffer int
}

// Observer reports one supervisor tree's events through OpenTelemetry.
// Create it with New and call Run in a goroutine. Its methods are safe for
// concurrent use.
type Observer struct {
	tree   *supervisor.Tree
	sub    *supervisor.Subscription
	tracer trace.Tracer

	restarts          metric.Int64Counter
	quarantines       metric.Int64Counter
	intensityExceeded metric.Int64Counter
	commands          metric.Int64Counter
	eventsDropped     metric.Int64Counter

	// Owned by Run's goroutine.
	spans    map[string]*attemptSpan         // open span by child path
	lastExit map[string]supervisor.ExitClass // by child path
	// exitPaths holds the paths of lastExit, so that removing a
	// supervisor forgets its children's too.
	exitPaths follow.Paths
	// staleBy is the Seq by which the attempts of the spans marked stale
	// had ended, as of the snapshot taken after dropped events (0 for
	// none): a span still open once Run has got there lost its end.
	staleBy uint64

	snapSeq  uint64           // Seq of the snapshot New took
	progress *follow.Progress // the events Run has handled, for Sync
}

// attemptSpan is the open span of a child's attempt.
type attemptSpan struct {
	gen     uint64
	attempt int
	span    trace.Span
	// stale marks an attempt that had ended in the snapshot taken after
	// dropped events; end is its exit there (Class ExitNone if unknown,
	// with the snapshot's time).
	stale bool
	end   supervisor.Exit
}

// New returns an observer of tree. It creates the counters, then subscribes
// to the tree's events at once so that none is missed before Run is called;
// Run must be called for spans and counters to be recorded (and to release
// the subscription before the tree ends). It fails only if the MeterProvider
// refuses to create a counter.
func New(tree *supervisor.Tree, opts Options) (*Observer, error) {
	tp, mp := opts.TracerProvider, opts.MeterProvider
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	meter := mp.Meter(ScopeName)
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	o := &Observer{
		tree:   tree,
		tracer: tp.Tracer(ScopeName),
		restarts: counter("supervisor.restarts", "{restart}",
			"Restarts performed, by child and by how the child's previous attempt exited."),
		quarantines: counter("supervisor.quarantines", "{quarantine}",
			"Times a child was quarantined."),
		intensityExceeded: counter("supervisor.intensity_exceeded", "{restart}",
			"Restarts refused because a supervisor exceeded its intensity, by supervisor."),
		commands: counter("supervisor.commands", "{command}",
			"Control commands completed, by command and result (ok or error)."),
		eventsDropped: counter("supervisor.events_dropped", "{event}",
			"Tree events the observer's subscription dropped because it fell behind."),
		spans:    make(map[string]*attemptSpan),
		lastExit: make(map[string]supervisor.ExitClass),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	o.sub = tree.Subscribe(opts.Buffer)
	// Events up to this point were published before the subscription or
	// are queued in it: Sync need not wait for those it will never see.
	snap := tree.Snapshot()
	o.progress, o.snapSeq = follow.New(snap.Seq), snap.Seq
	// Attempts already under way get their span now, started when the
	// child entered its current state.
	for _, c := range snap.Children {
		if c.LastExit.Class != supervisor.ExitNone {
			o.setExit(c.Path, c.LastExit.Class)
		}
		switch c.State {
		case supervisor.StateStarting, supervisor.StateRunning, supervisor.StateReady, supervisor.StateStopping:
			o.startSpan(&supervisor.Event{Time: c.Since, Kind: supervisor.EventChildStarting, Path: c.Path,
				Generation: c.Generation, Attempt: c.Attempt, State: c.State})
		}
	}
	return o, nil
}

// Run records the tree's events until the tree ends or ctx is done, then
// ends the spans still open and closes the observer's subscription. It
// returns nil when the tree ended and ctx.Err() when ctx is done first. Run
// must be called at most once.
func (o *Observer) Run(ctx context.Context) error {
	if !o.progress.Start() {
		return errors.New("otelsupervisor: Run called twice")
	}
	defer o.progress.Stop()
	defer o.sub.Close()
	defer o.endAll()
	for {
		e, err := o.sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil
		}
		o.observe(ctx, &e)
		if o.staleBy != 0 && e.Seq >= o.staleBy {
			o.endStale()
		}
		o.progress.Advance(e.Seq)
	}
}

// Sync waits until Run has recorded every event the tree published between
// New and the call: the spans of attempts that exited by then are ended and
// the counters are up to date. It returns early with nil once Run has
// returned, and with ctx.Err() when ctx is done first.
func (o *Observer) Sync(ctx context.Context) error {
	return o.progress.Wait(ctx, o.tree.Snapshot().Seq)
}

// observe records one event. It runs on Run's goroutine.
func (o *Observer) observe(ctx context.Context, e *supervisor.Event) {
	// Metrics record with a context that is never cancelled: a cancelled
	// Run context must not lose the last counts.
	mctx := context.WithoutCancel(ctx)
	if e.Seq <= o.snapSeq && e.Kind != supervisor.EventsDropped {
		// Queued before New's snapshot: the spans already reflect it.
		if e.Kind == supervisor.EventChildExited {
			o.setExit(e.Path, e.Exit)
		}
		o.count(mctx, e)
		return
	}
	switch e.Kind {
	case supervisor.EventChildStarting:
		o.startSpan(e)
	case supervisor.EventChildExited:
		o.setExit(e.Path, e.Exit)
		o.endSpan(e)
	case supervisor.EventChildAbandoned:
		o.endSpan(e)
	case supervisor.EventChildRemoved:
		o.forgetExits(e.Path)
		o.spanEvent(e)
	case supervisor.EventChildRestarting, supervisor.EventChildQuarantined:
		o.count(mctx, e)
		o.spanEvent(e)
	case supervisor.EventIntensityExceeded, supervisor.EventCommandCompleted:
		o.count(mctx, e)
	case supervisor.EventsDropped:
		o.count(mctx, e)
		o.resync()
	default:
		if e.Kind >= supervisor.EventChildAdded && e.Kind <= supervisor.EventHookPanicked {
			o.spanEvent(e)
		}
	}
}

// count updates the counters for one event.
func (o *Observer) count(ctx context.Context, e *supervisor.Event) {
	switch e.Kind {
	case supervisor.EventChildRestarting:
		exit := o.lastExit[e.Path]
		o.restarts.Add(ctx, 1, metric.WithAttributes(AttrMetricPath.String(e.Path),
			AttrMetricExit.String(exit.String())))
	case supervisor.EventChildQuarantined:
		o.quarantines.Add(ctx, 1, metric.WithAttributes(AttrMetricPath.String(e.Path)))
	case supervisor.EventIntensityExceeded:
		o.intensityExceeded.Add(ctx, 1, metric.WithAttributes(AttrMetricPath.String(e.Path)))
	case supervisor.EventCommandCompleted:
		result := "ok"
		if e.Err != nil {
			result = "error"
		}
		o.commands.Add(ctx, 1, metric.WithAttributes(AttrMetricCommand.String(e.Command),
			AttrMetricResult.String(result)))
	case supervisor.EventsDropped:
		o.eventsDropped.Add(ctx, int64(e.Count))
	}
}

// startSpan opens the span of the attempt e starts. A span still open for
// the same child (its end was among dropped events) is ended first.
func (o *Observer) startSpan(e *supervisor.Event) {
	if old, ok := o.spans[e.Path]; ok {
		if old.stale && old.end.Class != supervisor.ExitNone {
			endDropped(old)
		} else {
			old.span.AddEvent("superseded", trace.WithTimestamp(e.Time))
			old.span.End(trace.WithTimestamp(e.Time))
		}
	}
	_, span := o.tracer.Start(context.Background(), SpanName,
		trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithTimestamp(e.Time),
		trace.WithAttributes(
			AttrPath.String(e.Path),
			AttrGeneration.Int64(int64(e.Generation)),
			AttrAttempt.Int(e.Attempt),
		))
	o.spans[e.Path] = &attemptSpan{gen: e.Generation, attempt: e.Attempt, span: span}
}

// current returns the open span of e's attempt, if any.
func (o *Observer) current(e *supervisor.Event) (*attemptSpan, bool) {
	s, ok := o.spans[e.Path]
	if !ok {
		return nil, false
	}
	if e.Generation != 0 && (s.gen != e.Generation || s.attempt != e.Attempt) {
		// An event of another attempt than the open span's.
		return nil, false
	}
	return s, true
}

// spanEvent adds e to the span of its attempt, if one is open.
func (o *Observer) spanEvent(e *supervisor.Event) {
	s, ok := o.current(e)
	if !ok {
		return
	}
	attrs := []attribute.KeyValue{AttrState.String(e.State.String())}
	if e.Rule != "" {
		attrs = append(attrs, AttrRule.String(e.Rule))
	}
	if e.Reason != "" {
		attrs = append(attrs, AttrReason.String(e.Reason))
	}
	s.span.AddEvent(eventName(e.Kind), trace.WithTimestamp(e.Time), trace.WithAttributes(attrs...))
}

// endSpan ends the span of the attempt that exited or was abandoned.
func (o *Observer) endSpan(e *supervisor.Event) {
	s, ok := o.current(e)
	if !ok {
		return
	}
	delete(o.spans, e.Path)
	exit := e.Exit
	if e.Kind == supervisor.EventChildAbandoned {
		exit = supervisor.ExitAbandoned
		s.span.AddEvent(eventName(e.Kind), trace.WithTimestamp(e.Time),
			trace.WithAttributes(AttrState.String(e.State.String())))
	}
	finish(s.span, exit, e.Err, e.Time)
}

// finish sets the exit and the status of an attempt's span and ends it at
// time at.
func finish(span trace.Span, exit supervisor.ExitClass, err error, at time.Time) {
	span.SetAttributes(AttrExit.String(exit.String()))
	if exit.Abnormal() || exit == supervisor.ExitAbandoned {
		desc := exit.String()
		if err != nil {
			desc += ": " + textfmt.Error(err)
		}
		span.SetStatus(codes.Error, desc)
	} else {
		span.SetStatus(codes.Ok, "")
	}
	span.End(trace.WithTimestamp(at))
}

// setExit records how the child at path last exited.
func (o *Observer) setExit(path string, exit supervisor.ExitClass) {
	o.lastExit[path] = exit
	o.exitPaths.Add(path)
}

// forgetExits forgets the last exits of the child at path and, if it is a
// supervisor, of every child under it: they get no removal event of their
// own.
func (o *Observer) forgetExits(path string) {
	o.exitPaths.Remove(path, func(path string) { delete(o.lastExit, path) })
}

// resync catches up with the tree's state after dropped events. The last
// exits they reported are taken from Tree.Snapshot. The open spans of
// attempts that no longer run there are marked stale: their end was
// dropped, or is still queued, up to the snapshot's Seq; endStale ends
// those still open once Run has got there.
func (o *Observer) resync() {
	snap := o.tree.Snapshot()
	children := make(map[string]*supervisor.ChildInfo, len(snap.Children))
	for i := range snap.Children {
		c := &snap.Children[i]
		children[c.Path] = c
		if c.LastExit.Class != supervisor.ExitNone {
			o.setExit(c.Path, c.LastExit.Class)
		}
	}
	for path, s := range o.spans {
		c := children[path]
		if c != nil && c.Generation == s.gen && c.State.Live() {
			continue // its end is yet to come
		}
		s.stale = true
		s.end = supervisor.Exit{Time: snap.Time}
		// LastExit is the exit of the child's current generation, or of
		// the one before while an attempt runs: generations follow each
		// other without gaps.
		if c != nil && c.LastExit.Class != supervisor.ExitNone &&
			(c.Generation == s.gen || c.Generation == s.gen+1 && c.State.Live()) {
			s.end = c.LastExit // the attempt's own exit
		}
	}
	o.staleBy = max(o.staleBy, snap.Seq)
}

// endStale ends the spans marked stale that are still open.
func (o *Observer) endStale() {
	o.staleBy = 0
	for path, s := range o.spans {
		if s.stale {
			delete(o.spans, path)
			endDropped(s)
		}
	}
}

// endDropped ends the span of an attempt whose end was dropped, as resync
// found it.
func endDropped(s *attemptSpan) {
	s.span.AddEvent(supervisor.EventsDropped.String(), trace.WithTimestamp(s.end.Time))
	if s.end.Class == supervisor.ExitNone {
		s.span.End(trace.WithTimestamp(s.end.Time))
	} else {
		finish(s.span, s.end.Class, s.end.Err, s.end.Time)
	}
}

// endAll ends the spans still open, when Run returns.
func (o *Observer) endAll() {
	now := time.Now()
	for path, s := range o.spans {
		s.span.AddEvent("observer_stopped", trace.WithTimestamp(now))
		s.span.End(trace.WithTimestamp(now))
		delete(o.spans, path)
	}
}

// eventName names the span event of an event kind: "ready" for
// child_ready.
func eventName(k supervisor.EventKind) string {
	return strings.TrimPrefix(k.String(), "child_")
}
