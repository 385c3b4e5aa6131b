package chaos

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor/internal/verdict"
)

// A scenarioVerdict is the outcome of one scenario: its verdict (every
// measured value with the limit it must hold, internal/verdict's), what the
// scenario was and how hard it pushed, and values reported for
// information.
type scenarioVerdict struct {
	Scenario string    `json:"scenario"`
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	// Load says how hard the scenario pushed (its knobs).
	Load    map[string]any  `json:"load,omitempty"`
	Verdict verdict.Verdict `json:"verdict"`
	// Info are measurements reported without a limit.
	Info map[string]any `json:"info,omitempty"`

	t     *testing.T
	start time.Time
}

// verdicts collects every scenario's verdict for summary.json.
var verdicts struct {
	sync.Mutex
	all []*scenarioVerdict
}

// newVerdict starts the verdict of scenario; it is judged, logged and
// written when the test ends, and the test fails if any check failed.
func newVerdict(t *testing.T, scenario string) *scenarioVerdict {
	t.Helper()
	v := &scenarioVerdict{Scenario: scenario, Started: time.Now().UTC(), Load: map[string]any{}, Info: map[string]any{},
		t: t, start: time.Now()}
	t.Cleanup(v.finish)
	return v
}

// load records one of the scenario's knobs.
func (v *scenarioVerdict) load(name string, value any) { v.Load[name] = value }

// info records a measurement that has no limit.
func (v *scenarioVerdict) info(name string, value any) { v.Info[name] = value }

// add checks value op limit, in unit, and reports whether it holds.
func (v *scenarioVerdict) add(name string, value float64, op verdict.Op, limit float64, unit string) bool {
	c := verdict.Compare(name, value, op, limit, unit)
	v.Verdict.Checks = append(v.Verdict.Checks, c)
	return c.Status == verdict.Pass
}

// atMost checks value ≤ limit.
func (v *scenarioVerdict) atMost(name string, value, limit float64, unit string) bool {
	return v.add(name, value, verdict.AtMost, limit, unit)
}

// atLeast checks value ≥ limit.
func (v *scenarioVerdict) atLeast(name string, value, limit float64, unit string) bool {
	return v.add(name, value, verdict.AtLeast, limit, unit)
}

// equal checks value == want.
func (v *scenarioVerdict) equal(name string, value, want float64) bool {
	return v.add(name, value, verdict.Equal, want, "")
}

// ms converts a duration to milliseconds, the unit of latency checks.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// finish judges the checks, logs the verdict, fails the test if a check
// failed or none was made, and writes the verdict to $CHAOS_VERDICTS.
func (v *scenarioVerdict) finish() {
	t := v.t
	v.Duration = time.Since(v.start).Round(time.Millisecond).String()
	v.Verdict = verdict.Judge(v.Verdict.Checks)
	v.Verdict.Pass = v.Verdict.Pass && !t.Failed()
	var failed []string
	for _, c := range v.Verdict.Checks {
		if c.Status == verdict.Fail {
			failed = append(failed, fmt.Sprintf("%s = %s, want %s", c.Name, c.Measured, c.Limit))
		}
	}
	if len(v.Verdict.Checks) == 0 {
		failed = append(failed, "the scenario measured nothing")
	}
	b, err := verdict.Marshal(v)
	if err != nil {
		t.Fatalf("verdict: %v", err)
	}
	t.Log(v.table())
	if len(failed) > 0 {
		t.Errorf("%s failed:\n  %s", v.Scenario, strings.Join(failed, "\n  "))
	}
	if dir := os.Getenv("CHAOS_VERDICTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Error(err)
		} else if err := os.WriteFile(filepath.Join(dir, v.Scenario+".json"), b, 0o644); err != nil {
			t.Error(err)
		}
	}
	verdicts.Lock()
	verdicts.all = append(verdicts.all, v)
	verdicts.Unlock()
}

// writeSummary writes summary.json: one line per scenario, and whether the
// suite passed.
func writeSummary() error {
	dir := os.Getenv("CHAOS_VERDICTS")
	if dir == "" {
		return nil
	}
	verdicts.Lock()
	defer verdicts.Unlock()
	type line struct {
		Scenario string `json:"scenario"`
		Pass     bool   `json:"pass"`
		Duration string `json:"duration"`
		Checks   int    `json:"checks"`
	}
	sum := struct {
		Pass      bool   `json:"pass"`
		Scenarios []line `json:"scenarios"`
	}{Pass: true}
	for _, v := range verdicts.all {
		sum.Scenarios = append(sum.Scenarios, line{v.Scenario, v.Verdict.Pass, v.Duration, len(v.Verdict.Checks)})
		sum.Pass = sum.Pass && v.Verdict.Pass
	}
	slices.SortFunc(sum.Scenarios, func(a, b line) int { return strings.Compare(a.Scenario, b.Scenario) })
	b, err := verdict.Marshal(sum)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "summary.json"), b, 0o644)
}

// table renders the verdict for the test log.
func (v *scenarioVerdict) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict %s (%s): pass=%v\n", v.Scenario, v.Duration, v.Verdict.Pass)
	for _, c := range v.Verdict.Checks {
		mark := "ok  "
		if c.Status != verdict.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %-34s %s (limit: %s)\n", mark, c.Name, c.Measured, c.Limit)
	}
	for _, k := range slices.Sorted(maps.Keys(v.Info)) {
		fmt.Fprintf(&b, "       %-34s %v\n", k, v.Info[k])
	}
	return b.String()
}
