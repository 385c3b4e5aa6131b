package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor/internal/verdict"
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
	Verdict     verdict.Verdict `json:"verdict"`
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
	js, err := verdict.Marshal(r)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), js, 0o644); err != nil {
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
