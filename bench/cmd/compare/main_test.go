package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if workerMode() { // the test binary serves as the worker processes
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// The comparison runs end to end in its quick configuration: every
// scenario on every subject in fresh processes, a table and JSON.
func TestQuickComparison(t *testing.T) {
	res, err := runAll(quickConfig, 1, true, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, subj := range subjectOrder {
		keys := []string{"restart_p50_ns", "restarts_per_sec", "allocs_per_restart", "stop_1k_ms", "mem_1k_B_child"}
		if subj == "protected" {
			keys = keys[:3] // restart scenarios only
		}
		for _, key := range keys {
			if v, ok := res.Medians[subj][key]; !ok || v <= 0 {
				t.Errorf("%s: %s = %v, %v", subj, key, v, ok)
			}
		}
	}
	for _, key := range []string{"one_for_all_100_us", "state_1k_ms", "events_per_sec", "add_1k_us_per_op", "remove_1k_us_per_op"} {
		if v := res.Medians["go-supervisor"][key]; v <= 0 {
			t.Errorf("go-supervisor: %s = %v", key, v)
		}
	}
	var table strings.Builder
	printTable(&table, res)
	for _, want := range []string{"restart latency p50", "heap+stack per idle child, 1k", "vs suture", "× ahead", "protected vs suture"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	path := filepath.Join(t.TempDir(), "out.json")
	if err := writeJSON(path, res); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var back Results
	if err := json.Unmarshal(b, &back); err != nil || back.Medians["suture"]["restart_p50_ns"] == 0 {
		t.Fatalf("JSON does not round-trip: %v", err)
	}
}

// ratio and behind read the direction of each figure right.
func TestRatio(t *testing.T) {
	lat := figure{key: "restart_p50_ns"}
	rate := figure{key: "restarts_per_sec", higherBetter: true}
	for _, tc := range []struct {
		f         figure
		gs, peer  float64
		wantAhead bool
	}{
		{lat, 1, 2, true}, {lat, 2, 1, false}, {lat, 1, 1, true},
		{rate, 2, 1, true}, {rate, 1, 2, false},
	} {
		if _, ahead := ratio(tc.gs, tc.peer, tc.f); ahead != tc.wantAhead {
			t.Errorf("ratio(%v, %v, %s) ahead = %v", tc.gs, tc.peer, tc.f.key, ahead)
		}
	}
	res := &Results{Medians: map[string]map[string]float64{
		"go-supervisor": {"restart_p50_ns": 2, "restarts_per_sec": 5},
		"suture":        {"restart_p50_ns": 1, "restarts_per_sec": 4},
	}}
	if b := res.behind(); len(b) != 1 || b[0] != "restart latency p50" {
		t.Fatalf("behind = %v", b)
	}
}
