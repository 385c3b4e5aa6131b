package supervisor_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Spec.Logger gets one record per event, at a level that fits, with the
// event's fields as attributes; Wait returns once every record is written.
func TestLogger(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var buf supervisortest.Buffer
		logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := &supervisortest.Child{}
		tree, err := supervisor.Start(bg(), supervisor.Spec{Logger: logger, Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		if err != nil {
			t.Fatal(err)
		}
		c.Fail(errBoom)
		settle()
		tree.Shutdown(bg(), supervisor.Audit{Who: "alice", Why: "maintenance"})
		out := buf.String()
		for _, want := range []string{
			`level=DEBUG msg=child_starting seq=1 path=/c generation=1 attempt=1`,
			`level=WARN msg=child_exited`,
			`exit=abnormal error=boom`,
			`level=INFO msg=child_restarting`,
			`msg=command_completed`,
			`audit.who=alice audit.why=maintenance`,
			`msg=shutdown_completed`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
	})
}

// Taking a child out of service by a limit, a group by its intensity, and
// a stale child are warnings; an operator's quarantine is not.
func TestEventLevel(t *testing.T) {
	for _, c := range []struct {
		e    supervisor.Event
		want slog.Level
	}{
		{supervisor.Event{Kind: supervisor.EventChildQuarantined, Rule: "quarantine"}, slog.LevelWarn},
		{supervisor.Event{Kind: supervisor.EventChildQuarantined, Audit: audit}, slog.LevelInfo},
		{supervisor.Event{Kind: supervisor.EventGroupQuarantined, Rule: "group_intensity"}, slog.LevelWarn},
		{supervisor.Event{Kind: supervisor.EventChildUnhealthy, Rule: "liveness"}, slog.LevelWarn},
		{supervisor.Event{Kind: supervisor.EventChildHealthy, Rule: "liveness"}, slog.LevelInfo},
		{supervisor.Event{Kind: supervisor.EventIntensityExceeded}, slog.LevelError},
		{supervisor.Event{Kind: supervisor.EventChildExited, Exit: supervisor.ExitAbnormal}, slog.LevelWarn},
		{supervisor.Event{Kind: supervisor.EventChildExited, Exit: supervisor.ExitNormal}, slog.LevelInfo},
		{supervisor.Event{Kind: supervisor.EventChildStarting}, slog.LevelDebug},
	} {
		if got := c.e.Level(); got != c.want {
			t.Errorf("%v (rule %q): level %v, want %v", c.e.Kind, c.e.Rule, got, c.want)
		}
	}
}

// Nested supervisors that restart do not inflate the tree's bookkeeping.
func TestNestedRestartsKeepCounts(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "sub", Tree: &supervisor.Spec{Children: names("a", "b", "c")}},
		}})
		for range 50 {
			if err := tree.RestartChild(bg(), "/sub", audit); err != nil {
				t.Fatal(err)
			}
		}
		s := tree.Snapshot()
		if len(s.Children) != 4 || cap(s.Children) != 4 {
			t.Fatalf("%d children, capacity %d: want 4 and 4", len(s.Children), cap(s.Children))
		}
	})
}

// A child that keeps failing is logged louder at its third failure, then
// once per LogRepeatEvery with the count of what was suppressed: no log
// storm. Its siblings' records are not affected.
func TestLogFailureStreak(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var buf supervisortest.Buffer
		logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		tree, err := supervisor.Start(bg(), supervisor.Spec{Logger: logger,
			Intensity: supervisor.Intensity{MaxRestarts: 10000, Period: time.Minute},
			Children: []supervisor.Child{
				{Name: "flaky", Run: failEvery(100 * time.Millisecond)},
				{Name: "calm", Run: supervisortest.Idle},
			}})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(25 * time.Second) // about 250 failures
		tree.Shutdown(bg(), audit)
		out := buf.String()
		var exits []string
		for line := range strings.Lines(out) {
			if strings.Contains(line, "msg=child_exited") && strings.Contains(line, "path=/flaky") &&
				strings.Contains(line, "exit=abnormal") {
				exits = append(exits, line)
			}
		}
		if len(exits) < 4 || len(exits) > 6 {
			t.Fatalf("%d exit records for ~250 failures, want 3 then one per 10s:\n%s", len(exits), strings.Join(exits, ""))
		}
		if !strings.Contains(exits[2], "level=ERROR") || !strings.Contains(exits[2], "consecutive_failures=3") {
			t.Errorf("third failure not logged louder: %s", exits[2])
		}
		if !strings.Contains(exits[3], "suppressed=") {
			t.Errorf("a repeat does not say what it suppressed: %s", exits[3])
		}
		if !strings.Contains(out, "path=/calm") || !strings.Contains(out, "msg=shutdown_completed") {
			t.Errorf("other records missing")
		}
	})
}

// The exit that exceeds the intensity is logged, though it is a repeat of
// a child that keeps failing: the logger holds a suppressed exit and logs
// it after all just before an event that takes its incident elsewhere.
// The events that end the tree are logged too.
func TestLogExitThatExceedsIntensity(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var buf supervisortest.Buffer
		logger := slog.New(slog.NewTextHandler(&buf, nil))
		tree, err := supervisor.Start(bg(), supervisor.Spec{Logger: logger,
			Intensity: supervisor.Intensity{MaxRestarts: 5, Period: time.Minute},
			Children:  []supervisor.Child{{Name: "flaky", Run: failEvery(time.Millisecond)}}})
		if err != nil {
			t.Fatal(err)
		}
		tree.Wait()
		out := buf.String()
		var exits []string
		for line := range strings.Lines(out) {
			if strings.Contains(line, "msg=child_exited") && strings.Contains(line, "exit=abnormal") {
				exits = append(exits, line)
			}
		}
		// 3 logged, 2 suppressed with their restarts' 8 steps, then the
		// sixth, which exceeds it.
		if len(exits) != 4 || !strings.Contains(exits[3], "consecutive_failures=6") ||
			!strings.Contains(exits[3], "suppressed=10") {
			t.Fatalf("exits logged:\n%s", strings.Join(exits, ""))
		}
		last := strings.Index(out, exits[3])
		for _, next := range []string{"msg=intensity_exceeded", "msg=run_summary", "msg=shutdown_completed", "msg=escalated"} {
			if i := strings.Index(out, next); i < last {
				t.Errorf("%s at %d, the exit that exceeded the intensity at %d:\n%s", next, i, last, out)
			}
		}
		if !strings.Contains(out, "failures=6 restarts=5") {
			t.Errorf("the summary does not count what the log shows:\n%s", out)
		}
	})
}
