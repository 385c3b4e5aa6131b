package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/goroutines"
)

// labelKey is the pprof label every goroutine of a run carries, the
// tree's included, with the run's id as its value.
const labelKey = "soak"

// run performs one soak: it starts the tree, drives it for cfg.Duration,
// measures it, shuts it down, judges the measurements and writes the
// report to cfg.Out. When ctx ends early (SIGINT), the workload stops, and
// the run still settles, shuts down and reports what it measured. It
// returns an error only if there is nothing to judge (the tree did not
// start) or the report could not be written.
func run(ctx context.Context, cfg config, progress io.Writer) (*report, error) {
	r := &report{cfg: cfg, Settings: cfg.settings(), Meta: newMeta(cfg)}
	runID := fmt.Sprintf("%016x", rand.Uint64())
	// Counted before anything of the run exists, once stable: the
	// report's metadata (which runs git) is gathered first, and the
	// goroutines that took leave a moment to exit.
	baseline := stableGoroutines()
	r.Meta.Start = time.Now().UTC()

	var err error
	pprof.Do(context.Background(), pprof.Labels(labelKey, runID), func(labelled context.Context) {
		err = drive(ctx, labelled, cfg, r, progress)
	})
	if err != nil {
		return nil, err
	}

	// Every goroutine of the run has been waited for; those of the tree
	// ended with its shutdown. Allow a moment for exiting ones to go.
	g := &r.Goroutines
	g.Baseline = baseline
	ours := func(v string) bool { return v == runID }
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		g.AfterShutdown = runtime.NumGoroutine()
		g.Leftover = goroutines.Count(labelKey, ours)
		if (g.AfterShutdown == baseline && g.Leftover == 0) || time.Now().After(deadline) {
			break
		}
	}
	for _, grp := range goroutines.Capture(labelKey, ours) {
		g.LeftoverStacks = append(g.LeftoverStacks, fmt.Sprintf("%d goroutine(s):\n%s", grp.Count, grp.Stack))
	}
	r.Meta.End = time.Now().UTC()
	r.Meta.Total = r.Meta.End.Sub(r.Meta.Start)
	r.Verdict = judge(r)
	if err := r.writeFiles(cfg.Out); err != nil {
		return r, fmt.Errorf("writing the report: %w", err)
	}
	return r, nil
}

// drive runs the workload and fills r with everything but the goroutine
// counts after shutdown. labelled carries the run's pprof labels: the tree
// is started with it so that its goroutines carry them too.
func drive(ctx, labelled context.Context, cfg config, r *report, progress io.Writer) error {
	cpu0, cpuOK := cpuTime()
	w := newWorkload(cfg)
	spec := w.spec(0)
	logs := &logCounter{}
	spec.Logger = slog.New(logs)
	sups, workers := countChildren(&spec)
	r.Tree = describeTree(&spec)

	tree, err := supervisor.Start(labelled, spec)
	if err != nil {
		return fmt.Errorf("starting the tree: %w", err)
	}
	subsCtx, stopSubs := context.WithCancel(labelled)
	defer stopSubs()
	subs := startSubscribers(subsCtx, tree, cfg)
	cmds := newCommandLog()

	start := time.Now()
	smp := newSampler(cfg.Duration, cfg.Interval)
	smp.start, smp.tree, smp.w, smp.subs, smp.cmds = start, tree, w, subs, cmds
	smpCtx, stopSampler := context.WithCancel(labelled)
	defer stopSampler()
	samples := make(chan []sample, 1)
	go func() { samples <- smp.run(smpCtx, cfg.Interval) }()

	s := &session{cfg: cfg, labelled: labelled, progress: progress, start: start, tree: tree, w: w, subs: subs, smp: smp,
		st: &settler{cfg: cfg, tree: tree, w: w, log: cmds, fast: subs.fast, start: start, children: sups + workers},
		d:  &driver{cfg: cfg, tree: tree, w: w, log: cmds}}
	fmt.Fprintf(progress, "soak: tree %s started: %d supervisors, %d workers; warm-up %v, run %v\n",
		tree.ID(), sups, workers, cfg.warmup(), cfg.Duration)
	completed := s.workload(ctx, r)
	ran := time.Since(start)
	s.settleEnd(r)
	stopSampler()
	r.Samples = <-samples

	early := endedEarly(tree)
	r.Shutdown = shutdown(tree)
	fmt.Fprintf(progress, "soak: shut down in %v\n", r.Shutdown.Duration.Round(time.Millisecond))
	waitSubscribers(subs, stopSubs)

	r.Meta.Ran = ran
	r.Meta.Interrupted = !completed
	r.Workload = totals(w, subs, logs, tree, s.armed)
	r.Workload.Supervisors, r.Workload.Workers, r.Workload.EndedEarly = sups, workers, early
	r.Workload.CPUSeconds, r.Workload.CPUPercent = cpuUse(cpu0, cpuOK, r.Meta.Start)
	r.Commands, r.Workload.CmdP50, r.Workload.CmdP99 = cmds.rows()
	r.Subscribers = subscriberRows(subs)
	r.Metrics = summarizeSamples(r.Samples, r.Meta.GOOS)
	r.Analysis = analyze(r.Samples)
	return nil
}

// session is a running tree with its workload and observers, as drive
// runs its phases.
type session struct {
	cfg      config
	labelled context.Context
	progress io.Writer
	start    time.Time
	tree     *supervisor.Tree
	w        *workload
	subs     *subscribers
	smp      *sampler
	st       *settler
	d        *driver
	// armed is how long the workload has been armed.
	armed time.Duration
}

// workload runs the warm-up, its quiet point, and the measured phase
// (which ctx may end early). It reports whether it ran to the end.
func (s *session) workload(ctx context.Context, r *report) bool {
	if !s.workFor(ctx, 0, s.cfg.warmup()) {
		return false
	}
	s.smp.setPhase(phaseSettle)
	q := s.st.settle(ctx)
	r.Goroutines.Warm = &q
	fmt.Fprintf(s.progress, "soak: quiet point after warm-up: %s\n", q.describe())
	s.smp.setPhase(phaseSteady)
	return s.workFor(ctx, 1, s.cfg.Duration)
}

// workFor arms the workload and drives commands until the run's elapsed
// time reaches until or ctx ends; it reports whether it ran to the end.
func (s *session) workFor(ctx context.Context, generation uint64, until time.Duration) bool {
	dctx, stop := context.WithCancel(s.labelled)
	var wg sync.WaitGroup
	wg.Go(func() { s.d.run(dctx, generation) })
	began := time.Now()
	s.w.calm.Store(false)
	completed := waitUntil(ctx, s.start, until, progressEvery(s.cfg.Duration), s.progress,
		func() string { return statusLine(s.start, s.tree, s.w, s.subs) })
	stop()
	wg.Wait()
	s.w.calm.Store(true)
	s.armed += time.Since(began)
	return completed
}

// settleEnd takes the quiet point at the end, whatever ctx says.
func (s *session) settleEnd(r *report) {
	s.smp.setPhase(phaseEnd)
	q := s.st.settle(context.Background())
	r.Goroutines.End = &q
	fmt.Fprintf(s.progress, "soak: quiet point at the end: %s\n", q.describe())
}

// endedEarly reports whether the tree has ended before the soak shut it
// down.
func endedEarly(tree *supervisor.Tree) bool {
	select {
	case <-tree.Done():
		return true
	default:
		return false
	}
}

// cpuUse returns the CPU time the process used since cpu0 was read (ok if
// it was), and that as a percentage of one core since start; the
// percentage is -1 where CPU time is unavailable.
func cpuUse(cpu0 time.Duration, ok bool, start time.Time) (seconds, percent float64) {
	cpu1, ok1 := cpuTime()
	if !ok1 || !ok {
		return 0, -1
	}
	seconds = (cpu1 - cpu0).Seconds()
	return seconds, 100 * seconds / time.Since(start).Seconds()
}

// waitUntil waits until the run's elapsed time since start reaches until,
// printing a status line every period, or until ctx ends; it reports
// whether it waited to the end.
func waitUntil(ctx context.Context, start time.Time, until, every time.Duration, progress io.Writer, status func() string) bool {
	timer := time.NewTimer(until - time.Since(start))
	defer timer.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-tick.C:
			fmt.Fprintln(progress, "soak: "+status())
		}
	}
}

// progressEvery is how often a run of length d prints its status.
func progressEvery(d time.Duration) time.Duration {
	return min(max(d/20, 10*time.Second), time.Minute)
}

// statusLine is one line of progress.
func statusLine(start time.Time, tree *supervisor.Tree, w *workload, subs *subscribers) string {
	rss := "n/a"
	if v, _, ok := readRSS(); ok {
		rss = fmt.Sprintf("%.1f MB", float64(v)/mb)
	}
	dropped, gaps, _ := subs.totals()
	return fmt.Sprintf("t=%v rss=%s goroutines=%d restarts=%d events=%d dropped=%d gaps=%d",
		time.Since(start).Round(time.Second), rss, runtime.NumGoroutine(), subs.fast.restarts.Load(),
		tree.Snapshot().Seq, dropped, gaps)
}

// shutdown shuts the tree down and summarizes its report.
func shutdown(tree *supervisor.Tree) shutdownReport {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := tree.Shutdown(ctx, audit("end of run"))
	var s shutdownReport
	if err != nil {
		s.Err = err.Error()
	}
	if waitErr := tree.Wait(); waitErr != nil {
		s.WaitErr = waitErr.Error()
	}
	if rep == nil {
		return s
	}
	s.Reported = true
	s.Cause, s.Duration, s.GoroutinesLeft = rep.Cause, rep.Duration, rep.GoroutinesLeft
	s.Outcomes = make(map[string]int)
	for _, c := range rep.Children {
		s.Outcomes[c.Outcome.String()]++
	}
	return s
}

// waitSubscribers waits for the subscribers to drain their queues after
// the tree's end, and stops them if that takes unreasonably long.
func waitSubscribers(subs *subscribers, stop context.CancelFunc) {
	done := make(chan struct{})
	go func() {
		subs.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		stop()
		<-done
	}
}

// totals gathers the workload's counters once it has stopped.
func totals(w *workload, subs *subscribers, logs *logCounter, tree *supervisor.Tree, armed time.Duration) workloadTotals {
	names := exitModeNames()
	t := workloadTotals{Armed: armed, Exits: map[string]uint64{}, TempExits: map[string]uint64{},
		EventsByKind: map[string]uint64{}, LogRecords: logs.counts(), StaleSilences: w.silences.Load()}
	var exits uint64
	for i := range numExitModes {
		if n := w.injected[i].Load(); n > 0 {
			t.Exits[names[i]] = n
			exits += n
		}
		if n := w.tempEnds[i].Load(); n > 0 {
			t.TempExits[names[i]] = n
		}
	}
	fast := subs.fast
	for k := range fast.kinds {
		if n := fast.kinds[k].Load(); n > 0 {
			t.EventsByKind[supervisor.EventKind(k).String()] = n
		}
	}
	t.Restarts = fast.restarts.Load()
	t.Quarantines = fast.kinds[supervisor.EventChildQuarantined].Load()
	t.IntensityExceeded = fast.kinds[supervisor.EventIntensityExceeded].Load()
	t.Escalations = fast.kinds[supervisor.EventEscalated].Load()
	t.Events = tree.Snapshot().Seq
	if s := armed.Seconds(); s > 0 {
		t.ExitsPerSec = float64(exits) / s
		t.RestartsPerSec = float64(t.Restarts) / s
	}
	return t
}

// rows returns the command tallies, and the latency quantiles over every
// command of the workload.
func (l *commandLog) rows() (rows []commandRow, p50, p99 time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := opNames()
	var all latencyHist
	for k := range numOps {
		s := &l.ops[k]
		if s.lat.n == 0 {
			continue
		}
		row := commandRow{Op: names[k], Issued: s.lat.n, OK: s.outcomes[outOK], Typed: s.outcomes[outTyped],
			Unanswered: s.outcomes[outTimeout], Untyped: s.outcomes[outUntyped], FirstUntyped: s.firstUntyped,
			P50: s.lat.quantile(0.5), P99: s.lat.quantile(0.99), Max: s.lat.max, Mean: s.lat.mean()}
		if len(s.errs) > 0 {
			row.Errors = make(map[string]uint64, len(s.errs))
			for e, n := range s.errs {
				row.Errors[e] = n
			}
		}
		rows = append(rows, row)
		if k < opSettleResume {
			all.merge(&s.lat)
		}
	}
	return rows, all.quantile(0.5), all.quantile(0.99)
}

// subscriberRows returns each subscriber's totals; the subscribers have
// stopped.
func subscriberRows(subs *subscribers) []subscriberRow {
	var rows []subscriberRow
	for _, s := range subs.all {
		row := subscriberRow{Name: s.name, Buffer: s.buffer, Subscriptions: s.subscriptions.Load(),
			Events: s.done.Events, Notices: s.done.Notices, Dropped: s.done.Dropped, LibDropped: s.libDropped,
			ToEnd: s.kind != subChurn && s.endErr == nil, Gaps: s.done.Gaps, Anomalies: s.done.Anomalies}
		if s.endErr != nil {
			row.Stopped = s.endErr.Error()
		}
		rows = append(rows, row)
	}
	return rows
}

// describe summarizes a quiet point for the progress output.
func (q quietPoint) describe() string {
	if !q.Reached {
		return fmt.Sprintf("not reached in %v: %s", q.Took.Round(time.Millisecond), q.Problem)
	}
	return fmt.Sprintf("%d goroutines, %d children running, settled in %v", q.Goroutines, q.Live, q.Took.Round(time.Millisecond))
}

// logCounter is a slog.Handler that counts records by level: the tree logs
// every event, as a service would, at the cost of formatting nothing.
type logCounter struct {
	debug, info, warn, err atomic.Uint64
}

func (h *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	switch {
	case r.Level >= slog.LevelError:
		h.err.Add(1)
	case r.Level >= slog.LevelWarn:
		h.warn.Add(1)
	case r.Level >= slog.LevelInfo:
		h.info.Add(1)
	default:
		h.debug.Add(1)
	}
	return nil
}

func (h *logCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCounter) WithGroup(string) slog.Handler      { return h }

func (h *logCounter) counts() map[string]uint64 {
	return map[string]uint64{"debug": h.debug.Load(), "info": h.info.Load(), "warn": h.warn.Load(), "error": h.err.Load()}
}

// describeTree lists the supervisors of spec with their strategy and
// children, one line each.
func describeTree(spec *supervisor.Spec) []string {
	var lines []string
	var walk func(s *supervisor.Spec, path string)
	walk = func(s *supervisor.Spec, path string) {
		workers, nested := 0, 0
		for _, c := range s.Children {
			if c.Tree != nil {
				nested++
			} else {
				workers++
			}
		}
		line := fmt.Sprintf("`%s` %s, intensity %d in %v, %d workers", path, s.Strategy, intensityOf(s).MaxRestarts,
			intensityOf(s).Period, workers)
		if nested > 0 {
			line += fmt.Sprintf(", %d supervisors", nested)
		}
		for _, g := range s.Groups {
			line += fmt.Sprintf("; group %s %s", g.Name, g.Strategy)
		}
		if s.Budget.Burst > 0 {
			line += ", budget " + s.Budget.String()
		}
		if s.MaxRestarting > 0 {
			line += fmt.Sprintf(", throttle %d", s.MaxRestarting)
		}
		lines = append(lines, line)
		for _, c := range s.Children {
			if c.Tree != nil {
				walk(c.Tree, joinPath(path, c.Name))
			}
		}
	}
	walk(spec, "/")
	return lines
}

func intensityOf(s *supervisor.Spec) supervisor.Intensity {
	if s.Intensity.Period == 0 {
		return supervisor.Intensity{MaxRestarts: 3, Period: 5 * time.Second} // the default (docs/defaults.md)
	}
	return s.Intensity
}

func joinPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// stableGoroutines returns the goroutine count once it reads the same
// three times in a row, 20 ms apart (or after 2 s, whatever it is).
func stableGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	for deadline := time.Now().Add(2 * time.Second); same < 2 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}
