package supervisor_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

func TestStateSnapshot(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		gated := &supervisortest.Child{}
		beat := make(chan struct{})
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "c", Run: c.Run, Backoff: supervisor.Backoff{Initial: time.Minute}},
			{Name: "hb", Run: func(ctx context.Context) error {
				<-beat
				supervisor.Heartbeat(ctx)
				<-ctx.Done()
				return nil
			}},
		}})
		_ = rec
		// A nested supervisor whose child is not ready yet: AddChild waits.
		added := make(chan error, 1)
		go func() {
			added <- tree.AddChild(bg(), "/", supervisor.Child{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{
				{Name: "g", Run: gated.Run, Readiness: supervisor.ReadinessExplicit, StartTimeout: supervisor.Infinity},
			}}}, audit)
		}()
		t0 := time.Now()
		time.Sleep(time.Second)
		close(beat)
		c.Fail(errBoom)
		settle()
		s := tree.Snapshot()
		if s.TreeID != tree.ID() {
			t.Fatal("tree id")
		}
		var paths []string
		for _, ci := range s.Children {
			paths = append(paths, ci.Path)
		}
		if want := []string{"/c", "/hb", "/sub", "/sub/g"}; !slices.Equal(paths, want) {
			t.Fatalf("paths %v, want %v (depth first, in declaration order)", paths, want)
		}
		ci, _ := s.Child("/c")
		if ci.State != supervisor.StateBackoff || ci.NextAttempt != t0.Add(time.Second+time.Minute) ||
			ci.LastExit.Class != supervisor.ExitAbnormal || ci.LastExit.Err.Error() != "boom" ||
			!ci.LastExit.Time.Equal(t0.Add(time.Second)) || ci.Generation != 1 || ci.Attempt != 2 {
			t.Fatalf("/c %+v", ci)
		}
		hb, _ := s.Child("/hb")
		if !hb.LastHeartbeat.Equal(t0.Add(time.Second)) || !hb.Ready || hb.Supervisor {
			t.Fatalf("/hb %+v", hb)
		}
		sub, _ := s.Child("/sub")
		g, _ := s.Child("/sub/g")
		if !sub.Supervisor || sub.State != supervisor.StateStarting || sub.Ready ||
			g.State != supervisor.StateStarting || g.Ready {
			t.Fatalf("/sub %+v /sub/g %+v", sub, g)
		}
		want := map[supervisor.State]int{supervisor.StateBackoff: 1, supervisor.StateRunning: 1, supervisor.StateStarting: 2}
		if !mapsEqual(s.Counts, want) {
			t.Fatalf("counts %v, want %v", s.Counts, want)
		}
		// The snapshot matches the event sequence.
		j := tree.Journal()
		if last := j.Events[len(j.Events)-1]; last.Seq != s.Seq {
			t.Fatalf("snapshot seq %d, last event %d", s.Seq, last.Seq)
		}
		gated.SignalReady()
		if err := <-added; err != nil {
			t.Fatal(err)
		}
		settle()
		g = wantState(t, tree, "/sub/g", supervisor.StateReady)
		if !g.Ready || g.ReadyAt.IsZero() {
			t.Fatalf("/sub/g %+v", g)
		}
		wantState(t, tree, "/sub", supervisor.StateReady)
	})
}

// State never waits on a child, even one that is stuck stopping.
func TestStateDoesNotWait(t *testing.T) {
	bubble(t, func(t *testing.T) {
		release := make(chan struct{})
		defer closeIfOpen(release)
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "stuck", Run: supervisortest.Hang(release), Shutdown: time.Hour},
		}})
		go tree.PauseChild(bg(), "/stuck", audit)
		settle()
		t0 := time.Now()
		for range 100 {
			wantState(t, tree, "/stuck", supervisor.StateStopping)
		}
		if time.Since(t0) != 0 {
			t.Fatal("State waited")
		}
		close(release)
		settle()
		wantState(t, tree, "/stuck", supervisor.StatePaused)
	})
}
