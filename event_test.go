package supervisor_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Sequence numbers have no gaps, and every event of one incident (a
// failure, the decision and the restart) shares a correlation id.
func TestEventSequenceAndCorrelation(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "c", Run: c.Run, Backoff: supervisor.Backoff{Initial: time.Second}}}})
		c.Fail(errBoom)
		time.Sleep(2 * time.Second)
		settle()
		events := rec.Events()
		for i, e := range events {
			if e.Seq != uint64(i+1) {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
			if e.Time.IsZero() || e.Path == "" || e.Kind.String() == "invalid" {
				t.Fatalf("incomplete event %+v", e)
			}
		}
		exit, _ := rec.WaitFor(bg(), supervisortest.Exited("/c", supervisor.ExitAbnormal))
		var incident []supervisor.EventKind
		for _, e := range events {
			if e.Correlation == exit.Correlation {
				incident = append(incident, e.Kind)
			}
		}
		want := []supervisor.EventKind{supervisor.EventChildExited, supervisor.EventChildBackoff,
			supervisor.EventChildRestarting, supervisor.EventChildStarting, supervisor.EventChildRunning,
			supervisor.EventChildRestarted}
		if !slices.Equal(incident, want) {
			t.Fatalf("incident %v, want %v", incident, want)
		}
		if exit.Err != errBoom || exit.Generation != 1 {
			t.Fatalf("exit %+v", exit)
		}
		_ = tree
	})
}

func TestJournal(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{JournalSize: 8, Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Second},
			Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		for range 5 {
			c.Fail(errBoom)
		}
		settle()
		j := tree.Journal()
		if len(j.Events) != 8 {
			t.Fatalf("journal holds %d events, want 8", len(j.Events))
		}
		last := tree.Snapshot().Seq
		if j.Events[7].Seq != last || j.Dropped != last-8 {
			t.Fatalf("journal ends at %d with %d dropped; last seq %d", j.Events[7].Seq, j.Dropped, last)
		}
		for i := 1; i < 8; i++ {
			if j.Events[i].Seq != j.Events[i-1].Seq+1 {
				t.Fatal("journal out of order")
			}
		}
	})
}

// A slow subscriber never slows the supervisor down; it is told how many
// events it missed.
func TestSlowSubscriber(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, rec := start(t, supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 1000, Period: time.Second},
			Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		slow := tree.Subscribe(4)
		defer slow.Close()
		first := tree.Snapshot().Seq
		for range 50 {
			c.Fail(errBoom) // returns once the attempt took it: the loop kept up
		}
		settle()
		last := tree.Snapshot().Seq
		e, err := slow.Next(bg())
		if err != nil || e.Kind != supervisor.EventsDropped {
			t.Fatalf("first event %v %v, want EventsDropped", e, err)
		}
		total := last - first
		if e.Count != total-4 || slow.Dropped() != total-4 {
			t.Fatalf("missed %d (Dropped %d), want %d", e.Count, slow.Dropped(), total-4)
		}
		for i := range 4 {
			e, err := slow.Next(bg())
			if err != nil || e.Seq != last-3+uint64(i) {
				t.Fatalf("event %d: %v %v", i, e, err)
			}
		}
		if n := rec.Count(supervisortest.Kind(supervisor.EventChildRestarted, "/c")); n != 50 {
			t.Fatalf("%d restarts", n)
		}
	})
}

func TestSubscriptionEnds(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: names("a")})
		if err != nil {
			t.Fatal(err)
		}
		sub := tree.Subscribe(0)
		tree.Shutdown(bg(), audit)
		var last supervisor.Event
		for {
			e, err := sub.Next(bg())
			if errors.Is(err, supervisor.ErrClosed) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			last = e
		}
		if last.Kind != supervisor.EventCommandCompleted && last.Kind != supervisor.EventShutdownCompleted {
			t.Fatalf("last event %v", last)
		}
		ctx, cancel := context.WithCancel(bg())
		cancel()
		closed := tree.Subscribe(1)
		if _, err := closed.Next(ctx); !errors.Is(err, supervisor.ErrClosed) {
			t.Fatalf("subscribing to an ended tree: %v", err)
		}
	})
}

// A nested supervisor's shutdown carries the correlation id of what stopped
// it, and so do its children's stops.
func TestNestedShutdownCorrelation(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "sub", Tree: &supervisor.Spec{Children: names("x")}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		tree.Shutdown(bg(), audit)
		acc, _ := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventCommandAccepted, "/"))
		for _, e := range rec.Events() {
			switch {
			case e.Path == "/sub" && (e.Kind == supervisor.EventShutdownRequested || e.Kind == supervisor.EventShutdownCompleted),
				e.Path == "/sub/x" && e.Kind == supervisor.EventChildStopping:
				if e.Correlation != acc.Correlation {
					t.Errorf("%s: correlation %d, want the shutdown command's %d", e, e.Correlation, acc.Correlation)
				}
			}
		}
	})
}

// incident returns "kind path" for the recorded events with correlation id
// corr, in order.
func incident(rec *supervisortest.Recorder, corr uint64) string {
	var out []string
	for _, e := range rec.Events() {
		if e.Correlation == corr {
			out = append(out, e.Kind.String()+" "+e.Path)
		}
	}
	return strings.Join(out, ", ")
}

// Everything one incident causes carries its correlation id: a sidecar's
// stop with its primary's failure, a stale child's stop and restart with
// the staleness, the shutdown with the failure that exceeded intensity.
func TestIncidentCorrelation(t *testing.T) {
	t.Run("sidecar", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			p := &supervisortest.Child{}
			_, rec := start(t, supervisor.Spec{Children: []supervisor.Child{
				{Name: "db", Run: p.Run, Backoff: supervisor.Backoff{Initial: time.Second}},
				{Name: "proxy", Run: supervisortest.Idle, Role: supervisor.RoleSidecar, Primary: "db"},
			}})
			p.Fail(errBoom)
			time.Sleep(time.Second)
			settle()
			exit, _ := rec.WaitFor(bg(), supervisortest.Exited("/db", supervisor.ExitAbnormal))
			got := incident(rec, exit.Correlation)
			for _, want := range []string{"child_exited /db", "child_stopping /proxy", "child_exited /proxy",
				"child_restarting /db", "child_restarting /proxy"} {
				if !strings.Contains(got, want) {
					t.Fatalf("incident %s: lacks %s", got, want)
				}
			}
		})
	})
	t.Run("stale", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			_, rec := start(t, liveSpec(supervisortest.Idle,
				supervisor.Liveness{Interval: time.Second, OnStale: supervisor.StaleRestart}))
			time.Sleep(3 * time.Second)
			settle()
			u, _ := rec.WaitFor(bg(), supervisortest.Kind(supervisor.EventChildUnhealthy, "/w"))
			got := incident(rec, u.Correlation)
			want := "child_unhealthy /w, child_stopping /w, child_exited /w, child_restarting /w, child_starting /w, " +
				"child_running /w, child_restarted /w"
			if got != want {
				t.Fatalf("incident %s, want %s", got, want)
			}
		})
	})
	t.Run("intensity", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			tree, err := supervisor.Start(bg(), supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 0, Period: time.Second},
				Children: []supervisor.Child{{Name: "c", Run: c.Run}, {Name: "d", Run: supervisortest.Idle}}})
			if err != nil {
				t.Fatal(err)
			}
			rec := supervisortest.Record(tree)
			c.Fail(errBoom)
			if err := tree.Wait(); !errors.As(err, new(*supervisor.IntensityError)) {
				t.Fatalf("Wait = %v", err)
			}
			exit, _ := rec.WaitFor(bg(), supervisortest.Exited("/c", supervisor.ExitAbnormal))
			got := incident(rec, exit.Correlation)
			for _, want := range []string{"intensity_exceeded /", "shutdown_requested /", "child_stopping /d",
				"shutdown_completed /"} {
				if !strings.Contains(got, want) {
					t.Fatalf("incident %s: lacks %s", got, want)
				}
			}
		})
	})
	t.Run("rule", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			c := &supervisortest.Child{}
			inner := &supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run,
				Rules: []supervisor.Rule{{Is: errBoom, Action: supervisor.ActionShutdownTree}}}}}
			tree, err := supervisor.Start(bg(), supervisor.Spec{Children: []supervisor.Child{{Name: "sub", Tree: inner}}})
			if err != nil {
				t.Fatal(err)
			}
			rec := supervisortest.Record(tree)
			c.Fail(errBoom)
			var re *supervisor.RuleError
			if err := tree.Wait(); !errors.As(err, &re) {
				t.Fatalf("Wait = %v", err)
			}
			exit, _ := rec.WaitFor(bg(), supervisortest.Exited("/sub/c", supervisor.ExitAbnormal))
			got := incident(rec, exit.Correlation)
			if !strings.Contains(got, "shutdown_requested /,") || !strings.Contains(got, "shutdown_completed /") {
				t.Fatalf("incident %s: lacks the root's shutdown", got)
			}
		})
	})
}

// The event table of docs/concepts.md names every kind.
func TestEventKindsDocumented(t *testing.T) {
	doc, err := os.ReadFile("docs/concepts.md")
	if err != nil {
		t.Fatal(err)
	}
	table := string(doc)[strings.Index(string(doc), "| Group | Kinds |"):]
	table = table[:strings.Index(table, "\n\n")]
	for k := supervisor.EventKind(1); k.String() != "invalid"; k++ {
		if !strings.Contains(table, "`"+k.String()+"`") {
			t.Errorf("docs/concepts.md's event table lacks %s", k)
		}
	}
}

// A consumer slower than the tree still receives events: after each
// EventsDropped comes the event that followed the gap, not only notices.
func TestSlowConsumerGetsEvents(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{
			Intensity: supervisor.Intensity{MaxRestarts: 1 << 20, Period: time.Second},
			Children: []supervisor.Child{{Name: "c", Run: func(ctx context.Context) error {
				time.Sleep(time.Millisecond)
				return errBoom
			}, Restart: supervisor.Permanent}},
		})
		sub := tree.Subscribe(4)
		defer sub.Close()
		var notices, events int
		for range 20 {
			e, err := sub.Next(bg())
			if err != nil {
				t.Fatal(err)
			}
			if e.Kind == supervisor.EventsDropped {
				notices++
			} else {
				events++
			}
			time.Sleep(100 * time.Millisecond) // a hundred restarts meanwhile
		}
		if events < 10 {
			t.Fatalf("in 20 calls of Next, %d events and %d drop notices: a slow consumer must get the event after each notice", events, notices)
		}
	})
}
