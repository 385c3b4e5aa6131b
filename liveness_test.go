package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// pulse is a child that reports every second while on is true: with
// Heartbeat, and with Progress when count is true (advancing the counter
// only while advance is true).
type pulse struct {
	on, advance atomic.Bool
	count       bool
	n           uint64
}

func newPulse() *pulse {
	p := &pulse{}
	p.on.Store(true)
	p.advance.Store(true)
	return p
}

func (p *pulse) run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if !p.on.Load() {
				continue
			}
			supervisor.Heartbeat(ctx)
			if p.count {
				if p.advance.Load() {
					p.n++
				}
				supervisor.Progress(ctx, p.n)
			}
		}
	}
}

func liveSpec(run func(context.Context) error, l supervisor.Liveness) supervisor.Spec {
	return supervisor.Spec{Children: []supervisor.Child{{Name: "w", Run: run, Liveness: l}}}
}

// A child that stops reporting is marked unhealthy by the supervisor's
// timer exactly StaleAfter after its last report, and keeps running under
// StaleReport; its next report clears the mark.
func TestLivenessReportAndRecover(t *testing.T) {
	bubble(t, func(t *testing.T) {
		t0 := time.Now()
		p := newPulse()
		tree, rec := start(t, liveSpec(p.run, supervisor.Liveness{Interval: time.Second}))
		time.Sleep(5*time.Second + time.Millisecond) // reports at 1..5 s
		p.on.Store(false)
		time.Sleep(3 * time.Second) // stale at 5 s + 3 s
		settle()
		info := wantState(t, tree, "/w", supervisor.StateRunning)
		if !info.Unhealthy || !info.LastHeartbeat.Equal(t0.Add(5*time.Second)) {
			t.Fatalf("stale child: %+v", info)
		}
		u, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildUnhealthy, "/w"))
		if err != nil || !u.Time.Equal(t0.Add(8*time.Second)) || u.Rule != "liveness" ||
			!strings.Contains(u.Reason, "no heartbeat for 3s") || u.Delay != 3*time.Second {
			t.Fatalf("unhealthy event %v (%v)", u, err)
		}
		time.Sleep(10 * time.Second)
		settle()
		if n := rec.Count(supervisortest.Kind(supervisor.EventChildUnhealthy, "/w")); n != 1 {
			t.Fatalf("%d unhealthy events: one per episode", n)
		}
		p.on.Store(true)
		time.Sleep(time.Second)
		settle()
		if info := child(t, tree, "/w"); info.Unhealthy || info.Generation != 1 {
			t.Fatalf("after recovery: %+v", info)
		}
		h, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildHealthy, "/w"))
		if err != nil || h.Delay != 11*time.Second {
			t.Fatalf("healthy event %v (%v)", h, err)
		}
		// Watching goes on: it can go stale again.
		p.on.Store(false)
		time.Sleep(4 * time.Second)
		settle()
		if !child(t, tree, "/w").Unhealthy {
			t.Fatal("not watched after recovery")
		}
	})
}

// With Progress, heartbeats do not count: a child that pings but whose
// counter does not advance is caught.
func TestLivenessProgress(t *testing.T) {
	bubble(t, func(t *testing.T) {
		p := newPulse()
		p.count = true
		tree, rec := start(t, liveSpec(p.run, supervisor.Liveness{Interval: time.Second, StaleAfter: 5 * time.Second, Progress: true}))
		time.Sleep(10 * time.Second)
		settle()
		if info := child(t, tree, "/w"); info.Unhealthy || info.Progress != 10 {
			t.Fatalf("progressing: %+v", info)
		}
		p.advance.Store(false) // still pinging, and calling Progress with the same count
		time.Sleep(5 * time.Second)
		settle()
		info := child(t, tree, "/w")
		if !info.Unhealthy || info.Progress != 10 {
			t.Fatalf("no progress: %+v", info)
		}
		u, _ := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildUnhealthy, "/w"))
		if !strings.Contains(u.Reason, "no progress (counter at 10) for 5s") || u.Count != 10 {
			t.Fatalf("unhealthy event %v", u)
		}
		p.advance.Store(true)
		time.Sleep(time.Second)
		settle()
		if child(t, tree, "/w").Unhealthy {
			t.Fatal("progress did not clear the mark")
		}
	})
}

// StaleRestart stops a stale child and treats the stop as a failure: the
// pipeline decides, with ErrStale as the exit error.
func TestLivenessRestart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, liveSpec(supervisortest.Idle,
			supervisor.Liveness{Interval: time.Second, OnStale: supervisor.StaleRestart}))
		time.Sleep(3 * time.Second)
		settle()
		info := wantState(t, tree, "/w", supervisor.StateRunning)
		if info.Generation != 2 || info.Unhealthy || !errors.Is(info.LastExit.Err, supervisor.ErrStale) ||
			info.LastExit.Class != supervisor.ExitAbnormal {
			t.Fatalf("after a stale restart: %+v", info)
		}
		ex, err := rec.WaitFor(bg(), supervisortest.Exited("/w", supervisor.ExitAbnormal))
		if err != nil || ex.Rule != "restart_type" || !errors.Is(ex.Err, supervisor.ErrStale) {
			t.Fatalf("exit %v (%v)", ex, err)
		}
		stop, _ := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildStopping, "/w"))
		if stop.Reason != "stale" {
			t.Fatalf("stop event %v", stop)
		}
	})
}

// A stale stop goes through the error rules like any failure.
func TestLivenessStaleRule(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{{
			Name: "w", Run: supervisortest.Idle,
			Liveness: supervisor.Liveness{Interval: time.Second, OnStale: supervisor.StaleRestart},
			Rules:    []supervisor.Rule{{Is: supervisor.ErrStale, Action: supervisor.ActionQuarantine}},
		}}})
		time.Sleep(3 * time.Second)
		settle()
		wantState(t, tree, "/w", supervisor.StateQuarantined)
		q, err := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildQuarantined, "/w"))
		if err != nil || q.Rule != "rules[0]" {
			t.Fatalf("quarantine event %v (%v)", q, err)
		}
	})
}

// Watching starts once a ReadinessExplicit child is ready: StartTimeout
// covers the start.
func TestLivenessStartsWhenReady(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{})
		added := make(chan error, 1)
		go func() {
			added <- tree.AddChild(bg(), "/", supervisor.Child{
				Name: "w", Run: c.Run, Readiness: supervisor.ReadinessExplicit,
				Liveness: supervisor.Liveness{Interval: time.Second},
			}, audit)
		}()
		time.Sleep(10 * time.Second)
		settle()
		if info := wantState(t, tree, "/w", supervisor.StateStarting); info.Unhealthy {
			t.Fatal("unhealthy while starting")
		}
		c.SignalReady()
		if err := <-added; err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		settle()
		if child(t, tree, "/w").Unhealthy {
			t.Fatal("stale 2 s after becoming ready, with StaleAfter 3 s")
		}
		time.Sleep(time.Second)
		settle()
		if !child(t, tree, "/w").Unhealthy {
			t.Fatal("not stale 3 s after becoming ready")
		}
	})
}

// Defaults.Liveness applies to workers, not to nested supervisors; Off on
// a child turns it off.
func TestLivenessDefaults(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{
			Defaults: supervisor.Defaults{Liveness: supervisor.Liveness{Interval: time.Second}},
			Children: []supervisor.Child{
				{Name: "a", Run: supervisortest.Idle},
				{Name: "b", Run: supervisortest.Idle, Liveness: supervisor.Liveness{Off: true}},
				{Name: "sub", Tree: &supervisor.Spec{Children: names("c")}},
			},
		})
		time.Sleep(time.Minute)
		settle()
		if !child(t, tree, "/a").Unhealthy || child(t, tree, "/b").Unhealthy ||
			child(t, tree, "/sub").Unhealthy || child(t, tree, "/sub/c").Unhealthy {
			t.Fatalf("state %+v", tree.Snapshot().Children)
		}
	})
}

func TestLivenessValidation(t *testing.T) {
	for _, tc := range []struct {
		l     supervisor.Liveness
		field string
	}{
		{supervisor.Liveness{StaleAfter: time.Second}, "children[0].liveness.interval"},
		{supervisor.Liveness{Interval: -time.Second}, "children[0].liveness.interval"},
		{supervisor.Liveness{Interval: 2 * time.Second, StaleAfter: time.Second}, "children[0].liveness.staleAfter"},
		{supervisor.Liveness{Interval: time.Second, OnStale: 7}, "children[0].liveness.onStale"},
		{supervisor.Liveness{Off: true, Progress: true}, "children[0].liveness"},
	} {
		err := supervisor.Validate(supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle, Liveness: tc.l}}})
		var ve *supervisor.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
			t.Errorf("%+v: %v, want a problem at %s", tc.l, err, tc.field)
		}
	}
	err := supervisor.Validate(supervisor.Spec{Children: []supervisor.Child{{
		Name: "sub", Tree: &supervisor.Spec{Children: names("c")}, Liveness: supervisor.Liveness{Interval: time.Second}}}})
	if err == nil || !strings.Contains(err.Error(), "children[0].liveness") {
		t.Fatalf("nested supervisor with liveness: %v", err)
	}
	var s supervisor.StaleAction
	if err := s.UnmarshalText([]byte("restart")); err != nil || s != supervisor.StaleRestart || s.String() != "restart" {
		t.Fatalf("StaleAction text: %v %v", s, err)
	}
}
