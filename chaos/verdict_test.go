package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A verdict is the outcome of one scenario: every measured value with the
// limit it must hold, and values reported for information.
type verdict struct {
	Scenario string    `json:"scenario"`
	Passed   bool      `json:"passed"`
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	// Load says how hard the scenario pushed (its knobs).
	Load   map[string]any `json:"load,omitempty"`
	Checks []check        `json:"checks"`
	// Info are measurements reported without a limit.
	Info map[string]any `json:"info,omitempty"`

	t     *testing.T
	start time.Time
}

// A check is one measured value against its limit.
type check struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Op     string  `json:"op"` // "<=", ">=" or "=="
	Limit  float64 `json:"limit"`
	Unit   string  `json:"unit,omitempty"`
	Passed bool    `json:"passed"`
}

// verdicts collects every scenario's verdict for summary.json.
var verdicts struct {
	sync.Mutex
	all []*verdict
}

// newVerdict starts the verdict of scenario; it is judged, logged and
// written when the test ends, and the test fails if any check failed.
func newVerdict(t *testing.T, scenario string) *verdict {
	t.Helper()
	v := &verdict{Scenario: scenario, Started: time.Now().UTC(), Load: map[string]any{}, Info: map[string]any{}, t: t, start: time.Now()}
	t.Cleanup(v.finish)
	return v
}

// load records one of the scenario's knobs.
func (v *verdict) load(name string, value any) { v.Load[name] = value }

// info records a measurement that has no limit.
func (v *verdict) info(name string, value any) { v.Info[name] = value }

func (v *verdict) add(name string, value float64, op string, limit float64, unit string) bool {
	var ok bool
	switch op {
	case "<=":
		ok = value <= limit
	case ">=":
		ok = value >= limit
	case "==":
		ok = value == limit
	}
	if math.IsNaN(value) {
		ok = false
	}
	v.Checks = append(v.Checks, check{Name: name, Value: value, Op: op, Limit: limit, Unit: unit, Passed: ok})
	return ok
}

// atMost checks value ≤ limit.
func (v *verdict) atMost(name string, value, limit float64, unit string) bool {
	return v.add(name, value, "<=", limit, unit)
}

// atLeast checks value ≥ limit.
func (v *verdict) atLeast(name string, value, limit float64, unit string) bool {
	return v.add(name, value, ">=", limit, unit)
}

// equal checks value == want.
func (v *verdict) equal(name string, value, want float64) bool {
	return v.add(name, value, "==", want, "")
}

// ms converts a duration to milliseconds, the unit of latency checks.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (v *verdict) finish() {
	t := v.t
	v.Duration = time.Since(v.start).Round(time.Millisecond).String()
	v.Passed = len(v.Checks) > 0 && !t.Failed()
	var failed []string
	for _, c := range v.Checks {
		if !c.Passed {
			v.Passed = false
			failed = append(failed, fmt.Sprintf("%s = %g %s, want %s %g", c.Name, c.Value, c.Unit, c.Op, c.Limit))
		}
	}
	if len(v.Checks) == 0 {
		failed = append(failed, "the scenario measured nothing")
	}
	b, err := marshal(v)
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
		Passed   bool   `json:"passed"`
		Duration string `json:"duration"`
		Checks   int    `json:"checks"`
	}
	sum := struct {
		Passed    bool   `json:"passed"`
		Scenarios []line `json:"scenarios"`
	}{Passed: true}
	for _, v := range verdicts.all {
		sum.Scenarios = append(sum.Scenarios, line{v.Scenario, v.Passed, v.Duration, len(v.Checks)})
		sum.Passed = sum.Passed && v.Passed
	}
	slices.SortFunc(sum.Scenarios, func(a, b line) int { return strings.Compare(a.Scenario, b.Scenario) })
	b, err := marshal(sum)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "summary.json"), b, 0o644)
}

// marshal encodes v as indented JSON, leaving <, > and & as they are.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// table renders the verdict for the test log.
func (v *verdict) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict %s (%s): passed=%v\n", v.Scenario, v.Duration, v.Passed)
	for _, c := range v.Checks {
		mark := "ok  "
		if !c.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %-34s %12.10g %-3s %s %g\n", mark, c.Name, c.Value, c.Unit, c.Op, c.Limit)
	}
	for _, k := range slices.Sorted(maps.Keys(v.Info)) {
		fmt.Fprintf(&b, "       %-34s %v\n", k, v.Info[k])
	}
	return b.String()
}
