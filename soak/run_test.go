package main

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"
)

// TestRun runs the whole soak for 3 seconds, at rates gentle enough for the
// race detector, and checks that it passes and writes its report.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real tree for 3 seconds")
	}
	cfg := defaultConfig()
	cfg.Duration = 3 * time.Second
	cfg.Warmup = time.Second
	cfg.Interval = 100 * time.Millisecond
	cfg.FailRate = 100
	cfg.CmdRate = 20
	cfg.ApplyEvery = 700 * time.Millisecond
	cfg.Out = filepath.Join(t.TempDir(), "report")
	// The check that the workload was delivered is tested on its own
	// (TestJudgeFailures); here, under the race detector on a shared
	// machine, only a workload that barely ran fails the test.
	cfg.MinWorkload = 0.2
	var progress bytes.Buffer
	r, err := run(t.Context(), cfg, &progress)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	for _, c := range r.Verdict.Checks {
		t.Logf("%-4s %-34s %s", c.Status, c.Name, c.Measured)
	}
	if !r.Verdict.Pass {
		var md bytes.Buffer
		r.writeMarkdown(&md)
		t.Fatalf("verdict: fail %v\n%s", r.Verdict.Failed, md.String())
	}
	w := r.Workload
	if w.Restarts == 0 || w.ExitsPerSec == 0 || r.Goroutines.Warm == nil || r.Goroutines.End == nil {
		t.Errorf("the workload did not run: %+v", w)
	}
	var issued uint64
	for _, c := range r.Commands {
		issued += c.Issued
	}
	if issued == 0 {
		t.Error("no commands issued")
	}
	if len(r.Samples) < 20 {
		t.Errorf("%d samples in 3 s at 100 ms", len(r.Samples))
	}
	checkFiles(t, cfg.Out, len(r.Samples))
}
