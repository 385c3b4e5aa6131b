package supervisor_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// A supervisor that exceeds its intensity leaves a RunSummary: the
// incident's events by correlation id, with those of the failures that
// exceeded the intensity (each an incident of its own), its counters, the
// rule that fired and the error; the logger logs it.
func TestRunSummaryIntensity(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var buf supervisortest.Buffer
		tree, err := supervisor.Start(bg(), supervisor.Spec{
			Logger:    slog.New(slog.NewTextHandler(&buf, nil)),
			Intensity: supervisor.Intensity{MaxRestarts: 2, Period: time.Minute},
			Children: []supervisor.Child{
				{Name: "flaky", Run: failEvery(time.Second)},
				{Name: "calm", Run: supervisortest.Idle},
			}})
		if err != nil {
			t.Fatal(err)
		}
		tree.Wait()
		ss := tree.Summaries()
		if len(ss) != 1 {
			t.Fatalf("%d summaries", len(ss))
		}
		s := ss[0]
		if s.Trigger != supervisor.EventIntensityExceeded || s.Path != "/" || s.Rule != "intensity" ||
			s.Err == nil || !strings.Contains(s.Err.Error(), "intensity exceeded") || s.Stopped < 1 {
			t.Fatalf("summary %+v", s)
		}
		// 2 restarts in a minute allowed: the third failure exceeds it.
		if s.Failures != 3 || s.Restarts != 2 {
			t.Fatalf("%d failures and %d restarts, want 3 and 2: %+v", s.Failures, s.Restarts, s)
		}
		var kinds []string
		incidents := map[uint64]bool{}
		for _, e := range s.Events {
			incidents[e.Correlation] = true
			if e.Correlation != s.Correlation && e.Path != "/flaky" {
				t.Fatalf("event %v is neither the incident's nor a failure's that exceeded the intensity", e)
			}
			kinds = append(kinds, e.Kind.String())
		}
		if got := strings.Join(kinds, " "); !strings.HasPrefix(got, "child_exited child_restarting") ||
			!strings.Contains(got, "child_exited intensity_exceeded") || len(incidents) != 3 {
			t.Fatalf("incident events (%d incidents): %s", len(incidents), got)
		}
		if out := buf.String(); !strings.Contains(out, "msg=run_summary trigger=intensity_exceeded") {
			t.Fatalf("summary not logged:\n%s", out)
		}
	})
}

// An abandoned child's summary lists what it left running.
func TestRunSummaryAbandoned(t *testing.T) {
	bubble(t, func(t *testing.T) {
		stuck := &supervisortest.Child{IgnoreCancel: true}
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "stuck", Run: stuck.Run, Shutdown: time.Second}}})
		// The restart abandons the attempt that ignores its cancellation.
		if err := tree.RestartChild(bg(), "/stuck", audit); err != nil {
			t.Fatal(err)
		}
		ss := tree.Summaries()
		if len(ss) != 1 || ss[0].Trigger != supervisor.EventChildAbandoned || ss[0].Path != "/stuck" ||
			len(ss[0].Abandoned) == 0 {
			t.Fatalf("summaries %+v", ss)
		}
		stuck.Release()
	})
}
