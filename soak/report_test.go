package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor/internal/verdict"
)

// syntheticReport builds the report of an imaginary clean run of the given
// length: samples every second, the first tenth warm-up, RSS and the live
// heap growing at the given rates (bytes per second) in the measured window.
func syntheticReport(run time.Duration, rssRate, heapRate float64) *report {
	cfg := defaultConfig()
	cfg.Duration = run
	n := int(run / time.Second)
	warm := max(n/10, 10)
	var ss []sample
	for i := 0; i <= n; i++ {
		p := phaseSteady
		switch {
		case i < warm:
			p = phaseWarmup
		case i == n:
			p = phaseEnd
		}
		ss = append(ss, sample{T: float64(i), Phase: p,
			RSS: uint64(20e6 + rssRate*float64(i)), RSSOK: true,
			HeapObjects: 4e6, HeapLive: uint64(3e6 + heapRate*float64(i)),
			Goroutines: 70 + i%7, FDs: 9, Restarts: uint64(900 * i), Children: 63, Live: 60})
	}
	q := func(t float64) *quietPoint {
		return &quietPoint{T: t, Reached: true, Goroutines: 73, TreeGoroutines: 63, Children: 63, Live: 63,
			RestartsState: 5000, RestartsEvents: 5000, Comparable: true}
	}
	r := &report{cfg: cfg, Settings: cfg.settings(), Samples: ss,
		Meta: meta{Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Planned: run, Ran: run, Total: run + 2*time.Second,
			GoVersion: "go1.26", GOOS: "linux", GOARCH: "amd64", NumCPU: 2, GOMAXPROCS: 2, Commit: "abc123", Worktree: "clean"},
		Tree: []string{"`/` one_for_one"},
		Workload: workloadTotals{Supervisors: 9, Workers: 54, Armed: run, ExitsPerSec: 380, RestartsPerSec: 900,
			Exits: map[string]uint64{"error": 10}, EventsByKind: map[string]uint64{"child_exited": 10}},
		Commands: []commandRow{{Op: "restart", Issued: 10, OK: 9, Typed: 1, Errors: map[string]uint64{"ErrNotFound": 1},
			P50: 20 * time.Microsecond, P99: time.Millisecond, Max: 2 * time.Millisecond}},
		Subscribers: []subscriberRow{
			{Name: "fast", Buffer: 8192, Subscriptions: 1, Events: 1000, ToEnd: true},
			{Name: "slow", Buffer: 64, Subscriptions: 1, Events: 100, Notices: 10, Dropped: 900, LibDropped: 900, ToEnd: true},
		},
		Goroutines: goroutineReport{Baseline: 3, AfterShutdown: 3, Warm: q(float64(warm)), End: q(float64(n))},
		Shutdown:   shutdownReport{Reported: true, Cause: "requested", Outcomes: map[string]int{"graceful": 63}},
	}
	r.Metrics = summarizeSamples(ss, "linux")
	r.Analysis = analyze(ss)
	r.Verdict = judge(r)
	return r
}

// checkOf returns the verdict's check named name.
func checkOf(t *testing.T, v verdict.Verdict, name string) verdict.Check {
	t.Helper()
	for _, c := range v.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, v.Checks)
	return verdict.Check{}
}

func TestJudgeShortRunShowsRSSSlopeOnly(t *testing.T) {
	// 50 kB/s of RSS growth is 180 MB/h: informational over a minute.
	r := syntheticReport(time.Minute, 50e3, 0)
	if !r.Verdict.Pass {
		t.Fatalf("verdict %+v, want pass", r.Verdict)
	}
	c := checkOf(t, r.Verdict, "RSS growth after warm-up")
	if c.Status != verdict.Info || !strings.Contains(c.Measured, "+180.00 MB/h") {
		t.Errorf("RSS check %+v, want info at +180 MB/h", c)
	}
	if c := checkOf(t, r.Verdict, "Live-heap growth after warm-up"); c.Status != verdict.Pass {
		t.Errorf("heap check %+v, want pass", c)
	}
}

func TestJudgeShortRunCatchesHeapLeak(t *testing.T) {
	// 30 kB/s of live heap for 50 s: 1.5 MB, over the 1 MB bound.
	r := syntheticReport(time.Minute, 0, 30e3)
	if c := checkOf(t, r.Verdict, "Live-heap growth after warm-up"); c.Status != verdict.Fail {
		t.Errorf("heap check %+v, want fail", c)
	}
	if r.Verdict.Pass || r.Verdict.Failed[0] != "Live-heap growth after warm-up" {
		t.Errorf("verdict %+v, want a failure naming the heap", r.Verdict)
	}
}

func TestJudgeLongRunEnforcesRSSSlope(t *testing.T) {
	for _, tc := range []struct {
		rate float64 // bytes per second
		want verdict.Status
	}{{2e6 / 3600, verdict.Fail}, {0.5e6 / 3600, verdict.Pass}, {-1e6 / 3600, verdict.Pass}} {
		r := syntheticReport(time.Hour, tc.rate, 0)
		if c := checkOf(t, r.Verdict, "RSS growth after warm-up"); c.Status != tc.want {
			t.Errorf("%.0f B/s over an hour: %+v, want %s", tc.rate, c, tc.want)
		}
	}
}

func TestJudgeRSSUnavailable(t *testing.T) {
	r := syntheticReport(time.Minute, 0, 0)
	r.Meta.GOOS = "darwin"
	for i := range r.Samples {
		r.Samples[i].RSS, r.Samples[i].RSSOK = 0, false
	}
	r.Analysis = analyze(r.Samples)
	r.Verdict = judge(r)
	c := checkOf(t, r.Verdict, "RSS growth after warm-up")
	if c.Status != verdict.NA || !strings.Contains(c.Note, "darwin") {
		t.Errorf("RSS check %+v, want n/a naming darwin", c)
	}
	if !r.Verdict.Pass {
		t.Errorf("verdict %+v: an unavailable metric must not fail the run", r.Verdict)
	}
}

func TestJudgeFailures(t *testing.T) {
	for _, tc := range []struct {
		check string
		spoil func(r *report)
	}{
		{"Goroutine drift (same tree state)", func(r *report) { r.Goroutines.End.Goroutines++ }},
		{"Goroutine drift (same tree state)", func(r *report) { r.Goroutines.End.Reached = false }},
		{"Open FDs (same tree state)", func(r *report) { r.Goroutines.End.FDs++ }},
		{"Goroutines after shutdown", func(r *report) { r.Goroutines.AfterShutdown++ }},
		{"Goroutines after shutdown", func(r *report) { r.Goroutines.Leftover = 1 }},
		{"Shutdown report", func(r *report) { r.Shutdown.GoroutinesLeft = 2 }},
		{"Shutdown report", func(r *report) { r.Shutdown.Outcomes["abandoned"] = 1 }},
		{"Event gaps", func(r *report) { r.Subscribers[1].Gaps = 1 }},
		{"Event gaps", func(r *report) { r.Subscribers[0].Anomalies = 1 }},
		{"Event gaps", func(r *report) { r.Subscribers[1].LibDropped++ }},
		{"Commands answered", func(r *report) { r.Commands[0].Unanswered, r.Commands[0].Issued = 1, 11 }},
		{"Commands answered", func(r *report) { r.Commands[0].Untyped, r.Commands[0].Issued = 1, 11 }},
		{"Restart accounting", func(r *report) { r.Goroutines.End.RestartsEvents++ }},
		{"Tree stayed up", func(r *report) { r.Workload.Escalations = 1 }},
		{"Workload delivered", func(r *report) { r.Workload.ExitsPerSec = 150 }},
	} {
		r := syntheticReport(time.Minute, 0, 0)
		tc.spoil(r)
		v := judge(r)
		if c := checkOf(t, v, tc.check); c.Status != verdict.Fail || v.Pass {
			t.Errorf("%s: %+v (pass %v), want a failure", tc.check, c, v.Pass)
		}
	}
}

func TestJudgeInterruptedBeforeWarmup(t *testing.T) {
	r := syntheticReport(time.Minute, 0, 0)
	r.Goroutines.Warm = nil
	r.Meta.Interrupted = true
	v := judge(r)
	if c := checkOf(t, v, "Goroutine drift (same tree state)"); c.Status != verdict.NA {
		t.Errorf("drift check %+v, want n/a", c)
	}
}

func TestMarkdown(t *testing.T) {
	r := syntheticReport(time.Minute, 0, 0)
	var b bytes.Buffer
	r.writeMarkdown(&b)
	md := b.String()
	for _, want := range []string{
		"**Verdict: PASS**",
		"| Start (UTC) | 2026-01-02T03:04:05Z |",
		"| Go | go1.26 linux/amd64 |",
		"| Commit | abc123 (worktree clean) |",
		"-duration 1m0s",
		"| restart | 10 | 9 | 1 (ErrNotFound 1) | 0 | 0 | 20µs | 1ms | 2ms |",
		"| slow | 64 | 1 | 100 | 10 | 900 | 900 | 0 | 0 |",
		"| RSS (MB) | 20 | 20 | 20 | 20 |",
		"| goroutines | 70 | ",
		"| Goroutine drift (same tree state) | 0: equal counts",
		"| RSS growth after warm-up |",
		"INFO: not enforced",
		"## How runs are judged",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}

	r.Goroutines.AfterShutdown++
	r.Verdict = judge(r)
	b.Reset()
	r.writeMarkdown(&b)
	if !strings.Contains(b.String(), "**Verdict: FAIL (Goroutines after shutdown)**") {
		t.Errorf("a failed run's report does not say so:\n%s", b.String())
	}
}

func TestWriteFiles(t *testing.T) {
	r := syntheticReport(time.Minute, 1e3, 0)
	dir := filepath.Join(t.TempDir(), "out")
	if err := r.writeFiles(dir); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, len(r.Samples))
}

// checkFiles checks that dir holds a report: markdown, JSON with n samples
// and the same verdict, and a PNG of the plot's size.
func checkFiles(t *testing.T, dir string, n int) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !bytes.HasPrefix(md, []byte("# Soak report")) {
		t.Errorf("report.md: %v %.40q", err, md)
	}
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Meta    meta            `json:"meta"`
		Verdict verdict.Verdict `json:"verdict"`
		Samples []sample        `json:"samples"`
		Metrics []any           `json:"metrics"`
		Analyze analysis        `json:"analysis"`
		Tree    []string        `json:"tree"`
		Checks  []verdict.Check `json:"checks"`
		Set     []setting       `json:"settings"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if len(back.Samples) != n || len(back.Verdict.Checks) == 0 || len(back.Metrics) == 0 || len(back.Set) == 0 {
		t.Errorf("report.json: %d samples (want %d), %d checks, %d metrics", len(back.Samples), n,
			len(back.Verdict.Checks), len(back.Metrics))
	}
	if n > 0 && back.Samples[n-1].Phase != phaseEnd {
		t.Errorf("last sample's phase %v, want end", back.Samples[n-1].Phase)
	}
	f, err := os.Open(filepath.Join(dir, "report.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("report.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() != plotWidth || b.Dy() != plotHeight {
		t.Errorf("report.png is %v, want %dx%d", b, plotWidth, plotHeight)
	}
}
