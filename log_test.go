package supervisor_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Spec.Logger gets one record per event, at a level that fits, with the
// event's fields as attributes; Wait returns once every record is written.
func TestLogger(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var buf syncBuffer
		logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := &supervisortest.Child{}
		tree, err := supervisor.Start(bg(), supervisor.Spec{Logger: logger, Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		if err != nil {
			t.Fatal(err)
		}
		c.Fail(errBoom)
		settle()
		tree.Shutdown(bg(), supervisor.Audit{Who: "alice", Why: "maintenance"})
		out := buf.b.String()
		for _, want := range []string{
			`level=DEBUG msg=child_starting seq=1 path=/c generation=1 attempt=1`,
			`level=WARN msg=child_exited`,
			`exit=abnormal error=boom`,
			`level=INFO msg=child_restarting`,
			`msg=command_completed`,
			`who=alice why=maintenance`,
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
		s := tree.State()
		if len(s.Children) != 4 || cap(s.Children) != 4 {
			t.Fatalf("%d children, capacity %d: want 4 and 4", len(s.Children), cap(s.Children))
		}
	})
}
