// Package promsupervisor exports the state and history of a supervisor tree
// as Prometheus metrics.
//
// A Collector does two things. Its Run method consumes the tree's events
// through a Subscription and counts restarts, quarantines, refused restarts,
// shutdown outcomes and control commands. Its Collect method, called by a
// prometheus.Registry at scrape time, adds gauges read from Tree.Snapshot: the
// state of each child, how long its current attempt has run and how long a
// child in backoff still waits.
//
// Every label has a bounded set of values: a child's path (from the tree's
// spec), an exit class, a state, a command name, a result (ok or error), a
// shutdown outcome. Correlation ids, audit records and error texts are never
// used as label values.
//
//	c := promsupervisor.New(tree)
//	go c.Run(ctx)
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(c)
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
package promsupervisor

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/follow"
	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every metric name.
const Namespace = "supervisor"

// Label names used by the collector's metrics.
const (
	LabelPath    = "path"    // a child's or a supervisor's path in the tree
	LabelExit    = "exit"    // a supervisor.ExitClass
	LabelState   = "state"   // a supervisor.State
	LabelCommand = "command" // a control command: restart, pause, shutdown...
	LabelResult  = "result"  // ok or error
	LabelOutcome = "outcome" // a supervisor.Outcome
)

// Option configures a Collector.
type Option func(*config)

type config struct {
	buffer      int
	constLabels prometheus.Labels
}

// WithBuffer sets the size of the collector's event subscription queue
// (256 if n <= 0, as for Tree.Subscribe). Events that overflow it
// are counted in supervisor_events_dropped_total, and what they would have
// counted is lost; the collector then catches up with Tree.Snapshot, so that
// the series of children removed meanwhile are deleted all the same.
func WithBuffer(n int) Option { return func(c *config) { c.buffer = n } }

// WithConstLabels adds labels with fixed values to every metric, to tell
// several trees apart in one registry (for instance {"tree": "api"}). Keep
// their values low in cardinality: not a tree's random ID.
func WithConstLabels(l prometheus.Labels) Option {
	return func(c *config) { c.constLabels = l }
}

// Collector is a prometheus.Collector for one supervisor tree. Create it
// with New, run Run in a goroutine to count the tree's events, and register
// it in a prometheus.Registry. It is safe for concurrent use.
type Collector struct {
	tree *supervisor.Tree
	sub  *supervisor.Subscription

	restarts          *prometheus.CounterVec
	quarantines       *prometheus.CounterVec
	intensityExceeded *prometheus.CounterVec
	shutdownDuration  *prometheus.GaugeVec
	shutdownOutcomes  *prometheus.CounterVec
	commands          *prometheus.CounterVec
	eventsDropped     prometheus.Counter

	childState   *prometheus.Desc
	childUptime  *prometheus.Desc
	childBackoff *prometheus.Desc

	mu       sync.Mutex
	lastExit map[string]supervisor.ExitClass // by child path
	attempts map[string]attemptStart         // by child path
	progress *follow.Progress                // the events Run has handled, for Sync

	// known holds the paths the collector keeps series or state for, so
	// that the removal of a nested supervisor forgets its children too.
	// Owned by Run's goroutine (and New's, before).
	known follow.Paths
}

// attemptStart records when a child's current attempt started.
type attemptStart struct {
	gen     uint64
	attempt int
	at      time.Time
}

// New returns a collector for tree. It subscribes to the tree's events at
// once, so that none is missed before Run is called; Run must be called for
// the counters to move (and to release the subscription before the tree
// ends).
func New(tree *supervisor.Tree, opts ...Option) *Collector {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	cl := cfg.constLabels
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help,
			ConstLabels: cl}, labels)
	}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, cl)
	}
	sub := tree.Subscribe(cfg.buffer)
	// Events up to this point were published before the subscription or
	// are queued in it: Sync need not wait for those it will never see.
	snap := tree.Snapshot()
	c := &Collector{
		tree:     tree,
		sub:      sub,
		progress: follow.New(snap.Seq),
		restarts: counter("restarts_total",
			"Restarts performed, by child and by how the child's previous attempt exited.", LabelPath, LabelExit),
		quarantines: counter("quarantines_total",
			"Times a child was quarantined.", LabelPath),
		intensityExceeded: counter("intensity_exceeded_total",
			"Restarts refused because a supervisor exceeded its intensity, by supervisor.", LabelPath),
		shutdownDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace,
			Name: "shutdown_duration_seconds", Help: "Duration of the last completed shutdown of each supervisor.",
			ConstLabels: cl}, []string{LabelPath}),
		shutdownOutcomes: counter("shutdown_outcomes_total",
			"Children's outcomes in the tree's shutdown report.", LabelOutcome),
		commands: counter("commands_total",
			"Control commands completed, by command and result (ok or error).", LabelCommand, LabelResult),
		eventsDropped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "events_dropped_total",
			Help: "Tree events the collector's subscription dropped because it fell behind.", ConstLabels: cl}),
		childState: desc("child_state",
			"1 for the child's current state, 0 for the other states.", LabelPath, LabelState),
		childUptime: desc("child_uptime_seconds",
			"Time since the current attempt of a running or ready child started.", LabelPath),
		childBackoff: desc("child_backoff_seconds",
			"Time until a child in backoff is restarted.", LabelPath),
		lastExit: make(map[string]supervisor.ExitClass),
		attempts: make(map[string]attemptStart),
	}
	// A child's next restart is labelled with how its last attempt
	// exited, even if that was before New.
	c.seedExits(&snap)
	return c
}

// Run counts the tree's events until the tree ends or ctx is done, then
// closes the collector's subscription. When the tree ends, the outcomes of
// its shutdown report are counted and Run returns nil; when ctx is done it
// returns ctx.Err(). Run must be called at most once.
func (c *Collector) Run(ctx context.Context) error {
	if !c.progress.Start() {
		return errors.New("promsupervisor: Run called twice")
	}
	defer c.progress.Stop()
	defer c.sub.Close()
	for {
		e, err := c.sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if r := c.tree.Report(); r != nil {
				for _, o := range r.Children {
					c.shutdownOutcomes.WithLabelValues(o.Outcome.String()).Inc()
				}
			}
			return nil
		}
		c.observe(&e)
		c.progress.Advance(e.Seq)
	}
}

// Sync waits until Run has counted every event the tree published between
// New and the call, so that a scrape that follows reflects them. It returns early
// with nil once Run has returned, and with ctx.Err() when ctx is done first.
func (c *Collector) Sync(ctx context.Context) error {
	return c.progress.Wait(ctx, c.tree.Snapshot().Seq)
}

// observe updates the counters for one event.
func (c *Collector) observe(e *supervisor.Event) {
	switch e.Kind {
	case supervisor.EventChildStarting:
		c.known.Add(e.Path)
		c.mu.Lock()
		c.attempts[e.Path] = attemptStart{gen: e.Generation, attempt: e.Attempt, at: e.Time}
		c.mu.Unlock()
	case supervisor.EventChildExited:
		c.known.Add(e.Path)
		c.mu.Lock()
		c.lastExit[e.Path] = e.Exit
		c.mu.Unlock()
	case supervisor.EventChildRemoved:
		// A removed child's series go with it, so that children added and
		// removed at run time (temporary ones, say) do not pile series up;
		// so do those of a removed supervisor's children, which get no
		// event of their own.
		c.forget(e.Path)
	case supervisor.EventChildRestarting:
		c.known.Add(e.Path)
		c.mu.Lock()
		exit := c.lastExit[e.Path]
		c.mu.Unlock()
		c.restarts.WithLabelValues(e.Path, exit.String()).Inc()
	case supervisor.EventChildQuarantined:
		c.known.Add(e.Path)
		c.quarantines.WithLabelValues(e.Path).Inc()
	case supervisor.EventIntensityExceeded:
		c.known.Add(e.Path)
		c.intensityExceeded.WithLabelValues(e.Path).Inc()
	case supervisor.EventShutdownCompleted:
		c.known.Add(e.Path)
		c.shutdownDuration.WithLabelValues(e.Path).Set(e.Delay.Seconds())
	case supervisor.EventCommandCompleted:
		result := "ok"
		if e.Err != nil {
			result = "error"
		}
		c.commands.WithLabelValues(e.Command, result).Inc()
	case supervisor.EventsDropped:
		c.eventsDropped.Add(float64(e.Count))
		c.resync()
	}
}

// forget deletes the series and state of the child or supervisor at path
// and of every child under it.
func (c *Collector) forget(path string) {
	c.known.Remove(path, func(path string) {
		c.mu.Lock()
		delete(c.lastExit, path)
		delete(c.attempts, path)
		c.mu.Unlock()
		c.restarts.DeletePartialMatch(prometheus.Labels{LabelPath: path})
		c.quarantines.DeleteLabelValues(path)
		c.intensityExceeded.DeleteLabelValues(path)
		c.shutdownDuration.DeleteLabelValues(path)
	})
}

// seedExits records the last exit of each child of snap.
func (c *Collector) seedExits(snap *supervisor.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range snap.Children {
		if ch.LastExit.Class != supervisor.ExitNone {
			c.known.Add(ch.Path)
			c.lastExit[ch.Path] = ch.LastExit.Class
		}
	}
}

// resync catches up with the tree's state after dropped events: the last
// exits they reported are taken from Tree.Snapshot, and the series of
// children whose removal they reported are deleted.
func (c *Collector) resync() {
	snap := c.tree.Snapshot()
	c.seedExits(&snap)
	present := make(map[string]bool, len(snap.Children))
	for _, ch := range snap.Children {
		present[ch.Path] = true
	}
	running := make(map[string]bool, len(snap.Supervisors))
	for _, s := range snap.Supervisors {
		running[s.Path] = true
	}
	// A path is gone if a running supervisor (which lists all its
	// children) does not list it, or if its supervisor is gone. The
	// children of a supervisor that does not run are not listed, and
	// may come back when it restarts.
	var gone func(path string) bool
	gone = func(path string) bool {
		if path == "/" || present[path] {
			return false
		}
		parent := follow.Parent(path)
		return running[parent] || gone(parent)
	}
	var stale []string
	c.known.Each(func(path string) {
		if gone(path) {
			stale = append(stale, path)
		}
	})
	for _, path := range stale {
		c.forget(path)
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	c.restarts.Describe(ch)
	c.quarantines.Describe(ch)
	c.intensityExceeded.Describe(ch)
	c.shutdownDuration.Describe(ch)
	c.shutdownOutcomes.Describe(ch)
	c.commands.Describe(ch)
	c.eventsDropped.Describe(ch)
	ch <- c.childState
	ch <- c.childUptime
	ch <- c.childBackoff
}

// Collect implements prometheus.Collector: it sends the counters and the
// gauges read from a fresh Tree.Snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.restarts.Collect(ch)
	c.quarantines.Collect(ch)
	c.intensityExceeded.Collect(ch)
	c.shutdownDuration.Collect(ch)
	c.shutdownOutcomes.Collect(ch)
	c.commands.Collect(ch)
	c.eventsDropped.Collect(ch)

	snap := c.tree.Snapshot()
	for _, ch2 := range snap.Children {
		for st := supervisor.State(0); st.String() != "invalid"; st++ { // every state
			v := 0.0
			if st == ch2.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.childState, prometheus.GaugeValue, v, ch2.Path, st.String())
		}
		switch ch2.State {
		case supervisor.StateRunning, supervisor.StateReady:
			start := ch2.Since
			c.mu.Lock()
			if a, ok := c.attempts[ch2.Path]; ok && a.gen == ch2.Generation && a.attempt == ch2.Attempt {
				start = a.at
			}
			c.mu.Unlock()
			ch <- prometheus.MustNewConstMetric(c.childUptime, prometheus.GaugeValue,
				nonNegative(snap.Time.Sub(start)), ch2.Path)
		case supervisor.StateBackoff:
			if !ch2.NextAttempt.IsZero() {
				ch <- prometheus.MustNewConstMetric(c.childBackoff, prometheus.GaugeValue,
					nonNegative(ch2.NextAttempt.Sub(snap.Time)), ch2.Path)
			}
		}
	}
}

func nonNegative(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return d.Seconds()
}

var _ prometheus.Collector = (*Collector)(nil)
