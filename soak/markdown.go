package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// printf writes formatted text to the markdown document being rendered.
type printf func(format string, args ...any)

// writeMarkdown renders the report for people, one section after another.
func (r *report) writeMarkdown(w io.Writer) {
	p := printf(func(format string, args ...any) { fmt.Fprintf(w, format, args...) })
	r.mdHeader(p)
	r.mdRun(p)
	r.mdWorkload(p)
	r.mdCommands(p)
	r.mdSubscribers(p)
	r.mdMetrics(p)
	r.mdAnalysis(p)
	r.mdVerdict(p)
	mdJudging(p, r.cfg.RSSMinWindow)
}

// mdHeader writes the title and the verdict.
func (r *report) mdHeader(p printf) {
	m := r.Meta
	result := "PASS"
	if !r.Verdict.Pass {
		result = "FAIL (" + strings.Join(r.Verdict.Failed, "; ") + ")"
	}
	p("# Soak report\n\n**Verdict: %s**\n\n", result)
	if m.Interrupted {
		p("The run was interrupted after %v of the planned %v; the report covers what ran.\n\n",
			m.Ran.Round(time.Second), m.Planned)
	}
	p("Memory is in MB (10^6 bytes). Every figure is measured by this run; nothing is estimated or fixed in advance.\n\n")
}

// mdRun writes when, where and how the run ran.
func (r *report) mdRun(p printf) {
	m := r.Meta
	p("## Run\n\n| | |\n|---|---|\n")
	p("| Start (UTC) | %s |\n| End (UTC) | %s |\n", m.Start.UTC().Format(time.RFC3339), m.End.UTC().Format(time.RFC3339))
	p("| Duration | %v planned, %v of workload, %v in all (settling and shutdown included) |\n",
		m.Planned, m.Ran.Round(time.Millisecond), m.Total.Round(time.Millisecond))
	p("| Go | %s %s/%s |\n| CPUs | NumCPU %d, GOMAXPROCS %d |\n", m.GoVersion, m.GOOS, m.GOARCH, m.NumCPU, m.GOMAXPROCS)
	p("| Commit | %s (worktree %s) |\n", m.Commit, m.Worktree)
	var flags []string
	for _, s := range r.Settings {
		flags = append(flags, "-"+s.Name+" "+s.Value)
	}
	p("| Settings | `%s` |\n\n", strings.Join(flags, " "))
}

// mdWorkload writes the tree and what the workload did to it.
func (r *report) mdWorkload(p printf) {
	wl := r.Workload
	p("## Workload\n\n")
	p("A tree of %d supervisors and %d static workers:\n\n", wl.Supervisors, wl.Workers)
	for _, line := range r.Tree {
		p("- %s\n", line)
	}
	p("\n| | |\n|---|---|\n")
	p("| Armed (failures injected) | %v |\n", wl.Armed.Round(time.Millisecond))
	p("| Exits of static children | %s: %.1f/s (target %g/s) |\n", counts(wl.Exits), wl.ExitsPerSec, r.cfg.FailRate)
	p("| Heartbeat silences (stale restarts) | %d |\n", wl.StaleSilences)
	p("| Temporary children's exits | %s |\n", counts(wl.TempExits))
	p("| Restarts performed (child_restarting events) | %d (%.1f/s) |\n", wl.Restarts, wl.RestartsPerSec)
	if q := r.Goroutines.End; q != nil && q.Reached {
		p("| Restarts in State at the end (Σ ChildInfo.Restarts) | %d (a nested supervisor's restart starts its children's counters afresh; "+
			"the events predict %d) |\n", q.RestartsState, q.RestartsEvents)
	}
	p("| Quarantines | %d |\n", wl.Quarantines)
	p("| Intensity exceeded / escalations | %d / %d |\n", wl.IntensityExceeded, wl.Escalations)
	p("| Events published | %d |\n", wl.Events)
	p("| Log records (counting handler) | %s |\n", counts(wl.LogRecords))
	if wl.CPUPercent >= 0 {
		p("| CPU | %.1f s, %.1f%% of one core |\n", wl.CPUSeconds, wl.CPUPercent)
	} else {
		p("| CPU | unavailable on %s |\n", r.Meta.GOOS)
	}
	p("\nEvents by kind: %s.\n\n", counts(wl.EventsByKind))
}

// mdCommands writes the commands' tallies and latencies, and their first
// untyped errors.
func (r *report) mdCommands(p printf) {
	p("### Commands\n\nLatency is measured around each call; quantiles are upper bounds within 12%% (a fixed log histogram).\n\n")
	p("| command | issued | ok | typed errors | unanswered | untyped | p50 | p99 | max |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	var all commandRow
	for _, c := range r.Commands {
		p("| %s | %d | %d | %d%s | %d | %d | %s | %s | %s |\n", c.Op, c.Issued, c.OK, c.Typed, errList(c.Errors),
			c.Unanswered, c.Untyped, fmtDur(c.P50), fmtDur(c.P99), fmtDur(c.Max))
		all.Issued += c.Issued
		all.OK += c.OK
		all.Typed += c.Typed
		all.Unanswered += c.Unanswered
		all.Untyped += c.Untyped
	}
	p("| **all** | %d | %d | %d | %d | %d | %s | %s | |\n\n", all.Issued, all.OK, all.Typed, all.Unanswered, all.Untyped,
		fmtDur(r.Workload.CmdP50), fmtDur(r.Workload.CmdP99))
	for _, c := range r.Commands {
		if c.FirstUntyped != "" {
			p("First untyped error of %s: `%s`\n\n", c.Op, c.FirstUntyped)
		}
	}
}

// mdSubscribers writes each subscriber's sequence checks.
func (r *report) mdSubscribers(p printf) {
	p("### Subscribers\n\n")
	p("| subscriber | queue | subscriptions | events | drop notices | dropped (announced) | Subscription.Dropped | gaps | anomalies |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Subscribers {
		p("| %s | %d | %d | %d | %d | %d | %d | %d | %d |\n", s.Name, s.Buffer, s.Subscriptions, s.Events, s.Notices,
			s.Dropped, s.LibDropped, s.Gaps, s.Anomalies)
	}
	p("\n")
}

// mdMetrics writes the sampled metrics' summaries.
func (r *report) mdMetrics(p printf) {
	p("## Metrics\n\nLevels over all %d samples (one every %v); rates (/s) between consecutive samples of the measured window.\n\n"+
		"| metric | min | avg | max | last |\n|---|--:|--:|--:|--:|\n", len(r.Samples), r.cfg.Interval)
	for _, mr := range r.Metrics {
		name := mr.Name
		switch mr.Unit {
		case "":
		case "/s":
			name += "/s"
		default:
			name += " (" + mr.Unit + ")"
		}
		if mr.Unavailable != "" {
			p("| %s | %s | | | |\n", name, mr.Unavailable)
			continue
		}
		p("| %s | %s | %s | %s | %s |\n", name, num(mr.Min), num(mr.Avg), num(mr.Max), num(mr.Last))
	}
	p("\n")
}

// mdAnalysis writes the fits, the goroutine counts, the quiet points and
// the shutdown.
func (r *report) mdAnalysis(p printf) {
	a, g := r.Analysis, r.Goroutines
	p("## Analysis\n\n")
	p("- Measured window: %.1f s to %.1f s after the workload started (%v, %d samples), after a warm-up of %v and its quiet point.\n",
		a.WindowFrom, a.WindowTo, a.Window.Round(time.Second), a.WindowSamples, r.cfg.warmup())
	if a.RSSOK {
		p("- RSS fit: %+.0f bytes/s = %+.2f MB/h (naive SE ±%.2f MB/h; samples are autocorrelated, so the real uncertainty is larger): "+
			"anonymous memory %+.2f MB/h, file-backed %+.2f MB/h. The memory the Go runtime counts as mapped and not released "+
			"fits %+.2f MB/h, and was %.2f MB above anonymous RSS at the window's end: anonymous RSS that grows within memory "+
			"the runtime already counts, while that stays flat, is not memory the process newly holds.\n",
			a.RSS.Slope, a.RSSSlopeMBh, a.RSSSlopeSEMBh, a.AnonSlopeMBh, a.FileSlopeMBh, a.GoMappedSlopeMBh, a.AnonHeadroomMB)
	}
	if a.HeapLiveOK {
		p("- Live-heap fit: %+.0f bytes/s, %+.3f MB over the window; %d restarts in the window.\n",
			a.HeapLive.Slope, a.HeapGrowthMB, a.RestartsInWindow)
	}
	p("- Goroutines: %d before the tree started, %d after shutdown (%d with the run's label left).\n",
		g.Baseline, g.AfterShutdown, g.Leftover)
	mdQuietPoint(p, "after warm-up", g.Warm)
	mdQuietPoint(p, "at the end", g.End)
	for _, s := range g.LeftoverStacks {
		p("\n```\n%s\n```\n", s)
	}
	sd := r.Shutdown
	if sd.Reported {
		p("- Shutdown: %s, %v, outcomes %s, %d goroutines left, Wait: %s.\n", sd.Cause, sd.Duration.Round(time.Microsecond),
			countsInt(sd.Outcomes), sd.GoroutinesLeft, orNil(sd.WaitErr))
	} else {
		p("- Shutdown: no report (%s).\n", sd.Err)
	}
	p("\n")
}

// mdQuietPoint writes one quiet point, named by when it was taken.
func mdQuietPoint(p printf, name string, q *quietPoint) {
	switch {
	case q == nil:
		p("- Quiet point %s: not taken.\n", name)
	case !q.Reached:
		p("- Quiet point %s: not reached in %v: %s.\n", name, q.Took.Round(time.Millisecond), q.Problem)
	default:
		p("- Quiet point %s (t=%.1f s, settled in %v): %d goroutines, %d of them with the tree's label; %d children, %d running; %d open FDs; event %d.\n",
			name, q.T, q.Took.Round(time.Millisecond), q.Goroutines, q.TreeGoroutines, q.Children, q.Live, q.FDs, q.Seq)
	}
}

// mdVerdict writes the verdict's checks as a table.
func (r *report) mdVerdict(p printf) {
	p("## Verdict\n\n| check | limit | measured | result |\n|---|---|---|---|\n")
	for _, c := range r.Verdict.Checks {
		res := strings.ToUpper(string(c.Status))
		if c.Note != "" {
			res += ": " + c.Note
		}
		p("| %s | %s | %s | %s |\n", c.Name, c.Limit, c.Measured, res)
	}
}

// mdJudging explains how runs are judged (verdict.go).
func mdJudging(p printf, rssMinWindow time.Duration) {
	p("\n## How runs are judged\n\n")
	p("RSS over a short run moves in steps as the heap grows and shrinks around each GC and as the scavenger returns pages; "+
		"over a minute those steps, not leaks, decide a fitted slope, and extrapolated to an hour they read as tens of MB/h either way. "+
		"The RSS slope limit is therefore enforced only when the measured window (after warm-up) is at least `-rss-min-window` "+
		"(%v here); below that it is shown for information. Every run enforces a bound on the growth of the live heap "+
		"(what the last GC found reachable) over the measured window instead, which is free of allocator noise: over an hour it is as "+
		"strict as the RSS limit, and over a minute it still catches a leak of the size the Verdict's note gives per restart.\n\n",
		rssMinWindow)
	p("Goroutines are compared at two quiet points, not at arbitrary moments: the workload is calmed, what commands paused or " +
		"added is put back, and the count is taken once every declared child runs and nothing happens for 200 ms. The tree is then " +
		"in the same state, so the counts must be equal. After shutdown the count must be back to its value before the tree started.\n\n")
	p("Event gaps are missing sequence numbers that no `events_dropped` notice accounts for; drops that a notice announces are " +
		"allowed (the slow subscriber is built to fall behind) and counted.\n")
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// counts formats a tally in a stable order.
func counts(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

func countsInt(m map[string]int) string {
	c := make(map[string]uint64, len(m))
	for k, v := range m {
		c[k] = uint64(v)
	}
	return counts(c)
}

func errList(m map[string]uint64) string {
	if len(m) == 0 {
		return ""
	}
	return " (" + counts(m) + ")"
}

// num formats a metric value compactly.
func num(v float64) string {
	switch {
	case v == float64(int64(v)) && v < 1e15 && v > -1e15:
		return fmt.Sprintf("%d", int64(v))
	case v > 100 || v < -100:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// fmtDur formats a latency with three significant figures.
func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		return d.Round(10 * time.Nanosecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}
