package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report is everything a run measured. It is written as report.md,
// report.json (with every sample) and report.png.
type report struct {
	cfg config

	Meta        meta            `json:"meta"`
	Settings    []setting       `json:"settings"`
	Tree        []string        `json:"tree"`
	Workload    workloadTotals  `json:"workload"`
	Commands    []commandRow    `json:"commands"`
	Subscribers []subscriberRow `json:"subscribers"`
	Metrics     []metricRow     `json:"metrics"`
	Analysis    analysis        `json:"analysis"`
	Goroutines  goroutineReport `json:"goroutines"`
	Shutdown    shutdownReport  `json:"shutdown"`
	Verdict     verdict         `json:"verdict"`
	Samples     []sample        `json:"samples"`
}

// meta says when, where and on what a run ran.
type meta struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Planned is -duration; Ran how long the workload actually ran (less
	// if interrupted); Total the whole run, shutdown included.
	Planned     time.Duration `json:"planned_ns"`
	Ran         time.Duration `json:"ran_ns"`
	Total       time.Duration `json:"total_ns"`
	Interrupted bool          `json:"interrupted"`
	GoVersion   string        `json:"go_version"`
	GOOS        string        `json:"goos"`
	GOARCH      string        `json:"goarch"`
	NumCPU      int           `json:"num_cpu"`
	GOMAXPROCS  int           `json:"gomaxprocs"`
	Commit      string        `json:"commit"`
	// Worktree is "clean", "modified" or "unknown".
	Worktree string `json:"worktree"`
}

// newMeta fills what is known before the run: the toolchain, the machine
// and the commit.
func newMeta(cfg config) meta {
	m := meta{Planned: cfg.Duration, GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Commit: "unknown", Worktree: "unknown"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if out, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
			m.Worktree = "clean"
			if len(bytes.TrimSpace(out)) > 0 {
				m.Worktree = "modified"
			}
		}
	}
	return m
}

// workloadTotals counts what the workload did.
type workloadTotals struct {
	Supervisors int `json:"supervisors"`
	Workers     int `json:"workers"`
	// Armed is how long failures were injected (the workload's duration
	// less its quiet measurements).
	Armed time.Duration `json:"armed_ns"`
	// Exits are the exits static children made on their own, by mode;
	// TempExits those of temporary children.
	Exits          map[string]uint64 `json:"exits"`
	ExitsPerSec    float64           `json:"exits_per_sec"`
	TempExits      map[string]uint64 `json:"temp_exits"`
	StaleSilences  uint64            `json:"stale_silences"`
	Restarts       uint64            `json:"restarts"`
	RestartsPerSec float64           `json:"restarts_per_sec"`
	// Events is the number of events the tree published; EventsByKind
	// counts them by kind, as the fast subscriber saw them.
	Events            uint64            `json:"events"`
	EventsByKind      map[string]uint64 `json:"events_by_kind"`
	LogRecords        map[string]uint64 `json:"log_records"`
	Quarantines       uint64            `json:"quarantines"`
	IntensityExceeded uint64            `json:"intensity_exceeded"`
	Escalations       uint64            `json:"escalations"`
	EndedEarly        bool              `json:"ended_early"`
	// CPUSeconds is the process's CPU time over the whole run, CPUPercent
	// the same as a share of one core (-1 where unavailable).
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUPercent float64 `json:"cpu_percent_of_one_core"`
	// CmdP50 and CmdP99 are the latency quantiles over every command of
	// the workload (the settling commands excluded).
	CmdP50 time.Duration `json:"cmd_p50_ns"`
	CmdP99 time.Duration `json:"cmd_p99_ns"`
}

// commandRow is one command kind's tally.
type commandRow struct {
	Op         string            `json:"op"`
	Issued     uint64            `json:"issued"`
	OK         uint64            `json:"ok"`
	Typed      uint64            `json:"typed_errors"`
	Unanswered uint64            `json:"unanswered"`
	Untyped    uint64            `json:"untyped"`
	Errors     map[string]uint64 `json:"errors,omitempty"`
	// FirstUntyped is the text of the first error of no documented type.
	FirstUntyped string        `json:"first_untyped,omitempty"`
	P50          time.Duration `json:"p50_ns"`
	P99          time.Duration `json:"p99_ns"`
	Max          time.Duration `json:"max_ns"`
	Mean         time.Duration `json:"mean_ns"`
}

// subscriberRow is one subscriber's tally.
type subscriberRow struct {
	Name          string `json:"name"`
	Buffer        int    `json:"buffer"`
	Subscriptions uint64 `json:"subscriptions"`
	Events        uint64 `json:"events"`
	Notices       uint64 `json:"notices"`
	Dropped       uint64 `json:"dropped"`
	// LibDropped is what the subscriptions counted (Subscription.Dropped);
	// for a subscription read to the tree's end (ToEnd) it must equal
	// Dropped.
	LibDropped uint64 `json:"lib_dropped"`
	ToEnd      bool   `json:"to_end"`
	Gaps       uint64 `json:"gaps"`
	Anomalies  uint64 `json:"anomalies"`
	Stopped    string `json:"stopped,omitempty"`
}

// goroutineReport holds the goroutine counts the drift checks compare.
type goroutineReport struct {
	// Baseline is the count before the tree started, AfterShutdown the
	// count once the tree and every goroutine of the soak have stopped.
	Baseline      int `json:"baseline"`
	AfterShutdown int `json:"after_shutdown"`
	// Leftover counts goroutines still carrying the run's pprof label
	// after shutdown, with their stacks.
	Leftover       int      `json:"leftover"`
	LeftoverStacks []string `json:"leftover_stacks,omitempty"`
	// Warm and End are the quiet points after warm-up and at the end.
	Warm *quietPoint `json:"warm"`
	End  *quietPoint `json:"end"`
}

// shutdownReport is the part of the tree's ShutdownReport the verdict
// uses.
type shutdownReport struct {
	Reported       bool           `json:"reported"`
	Cause          string         `json:"cause"`
	Duration       time.Duration  `json:"duration_ns"`
	GoroutinesLeft int            `json:"goroutines_left"`
	Outcomes       map[string]int `json:"outcomes"`
	WaitErr        string         `json:"wait_err,omitempty"`
	Err            string         `json:"err,omitempty"`
}

// writeFiles writes report.md, report.json and report.png to dir.
func (r *report) writeFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md bytes.Buffer
	r.writeMarkdown(&md)
	if err := os.WriteFile(filepath.Join(dir, "report.md"), md.Bytes(), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.png"))
	if err != nil {
		return err
	}
	if err := writePlot(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeMarkdown renders the report for people.
func (r *report) writeMarkdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
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
		p("| CPU | unavailable on %s |\n", m.GOOS)
	}
	p("\nEvents by kind: %s.\n\n", counts(wl.EventsByKind))

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

	p("### Subscribers\n\n")
	p("| subscriber | queue | subscriptions | events | drop notices | dropped (announced) | Subscription.Dropped | gaps | anomalies |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Subscribers {
		p("| %s | %d | %d | %d | %d | %d | %d | %d | %d |\n", s.Name, s.Buffer, s.Subscriptions, s.Events, s.Notices,
			s.Dropped, s.LibDropped, s.Gaps, s.Anomalies)
	}
	p("\n")

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
	for _, q := range []struct {
		name string
		q    *quietPoint
	}{{"after warm-up", g.Warm}, {"at the end", g.End}} {
		switch {
		case q.q == nil:
			p("- Quiet point %s: not taken.\n", q.name)
		case !q.q.Reached:
			p("- Quiet point %s: not reached in %v: %s.\n", q.name, q.q.Took.Round(time.Millisecond), q.q.Problem)
		default:
			p("- Quiet point %s (t=%.1f s, settled in %v): %d goroutines, %d of them with the tree's label; %d children, %d running; %d open FDs; event %d.\n",
				q.name, q.q.T, q.q.Took.Round(time.Millisecond), q.q.Goroutines, q.q.TreeGoroutines, q.q.Children, q.q.Live, q.q.FDs, q.q.Seq)
		}
	}
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

	p("## Verdict\n\n| check | limit | measured | result |\n|---|---|---|---|\n")
	for _, c := range r.Verdict.Checks {
		res := strings.ToUpper(string(c.Status))
		if c.Note != "" {
			res += ": " + c.Note
		}
		p("| %s | %s | %s | %s |\n", c.Name, c.Limit, c.Measured, res)
	}
	p("\n## How runs are judged\n\n")
	p("RSS over a short run moves in steps as the heap grows and shrinks around each GC and as the scavenger returns pages; "+
		"over a minute those steps, not leaks, decide a fitted slope, and extrapolated to an hour they read as tens of MB/h either way. "+
		"The RSS slope limit is therefore enforced only when the measured window (after warm-up) is at least `-rss-min-window` "+
		"(%v here); below that it is shown for information. Every run enforces a bound on the growth of the live heap "+
		"(what the last GC found reachable) over the measured window instead, which is free of allocator noise: over an hour it is as "+
		"strict as the RSS limit, and over a minute it still catches a leak of the size the Verdict's note gives per restart.\n\n",
		r.cfg.RSSMinWindow)
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
