package supervisor_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// drain returns the events a subscription holds now, without waiting.
func drain(t *testing.T, s *supervisor.Subscription) []supervisor.Event {
	t.Helper()
	var out []supervisor.Event
	for {
		ctx, cancel := context.WithCancel(bg())
		cancel()
		e, err := s.Next(ctx)
		if err != nil {
			return out
		}
		out = append(out, e)
	}
}

// SubscribeFrom(0) after Start delivers the start's events, which
// Subscribe misses, then new ones, with no gap and no repeat.
func TestSubscribeFromTheStart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		late := tree.Subscribe(0)
		defer late.Close()
		sub := tree.SubscribeFrom(0, 0)
		defer sub.Close()
		c.Fail(errBoom)
		settle()
		got := drain(t, sub)
		if len(got) == 0 || got[0].Seq != 1 || got[0].Kind != supervisor.EventChildStarting {
			t.Fatalf("first event %+v, want the first child's start, seq 1", got)
		}
		for i, e := range got {
			if e.Seq != uint64(i+1) {
				t.Fatalf("event %d has seq %d: a gap or a repeat", i, e.Seq)
			}
		}
		if last := tree.Snapshot().Seq; got[len(got)-1].Seq != last {
			t.Fatalf("last event %d, the tree's newest is %d", got[len(got)-1].Seq, last)
		}
		if n := len(drain(t, late)); n >= len(got) {
			t.Fatalf("Subscribe got %d events, SubscribeFrom(0) %d: the start's are not replayed", n, len(got))
		}
	})
}

// SubscribeFrom(seq) delivers the events after seq only.
func TestSubscribeFromASeq(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		mid := tree.Snapshot().Seq
		c.Fail(errBoom)
		settle()
		sub := tree.SubscribeFrom(mid, 0)
		defer sub.Close()
		got := drain(t, sub)
		if len(got) == 0 || got[0].Seq != mid+1 || got[len(got)-1].Seq != tree.Snapshot().Seq {
			t.Fatalf("got %d events from %v, want %d to the newest", len(got), got, mid+1)
		}
		future := tree.SubscribeFrom(tree.Snapshot().Seq+100, 0)
		defer future.Close()
		if got := drain(t, future); len(got) != 0 {
			t.Fatalf("a seq past the newest replayed %v", got)
		}
	})
}

// Events the journal no longer holds, and those that do not fit in the
// queue, are counted by one EventsDropped event that precedes the rest.
func TestSubscribeFromCountsWhatIsGone(t *testing.T) {
	for _, tc := range []struct {
		name           string
		journal, queue int
	}{
		{"journal", 8, 64},
		{"queue", 64, 4},
		{"both", 8, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				c := &supervisortest.Child{}
				tree, _ := start(t, supervisor.Spec{JournalSize: tc.journal,
					Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Second},
					Children:  []supervisor.Child{{Name: "c", Run: c.Run}}})
				for range 5 {
					c.Fail(errBoom)
				}
				settle()
				newest := tree.Snapshot().Seq
				sub := tree.SubscribeFrom(2, tc.queue)
				defer sub.Close()
				got := drain(t, sub)
				kept := min(uint64(tc.journal), uint64(tc.queue), newest-2)
				gone := newest - 2 - kept
				if got[0].Kind != supervisor.EventsDropped || got[0].Count != gone || got[0].Seq != 2+gone {
					t.Fatalf("first event %+v, want EventsDropped of %d ending at seq %d", got[0], gone, 2+gone)
				}
				for i, e := range got[1:] {
					if e.Seq != 3+gone+uint64(i) {
						t.Fatalf("event %d has seq %d, want %d", i, e.Seq, 3+gone+uint64(i))
					}
				}
				if uint64(len(got)-1) != kept {
					t.Fatalf("%d events after the notice, want %d", len(got)-1, kept)
				}
			})
		})
	}
}

// A subscription from a seq to a tree that has ended returns the events
// replayed, then ErrClosed.
func TestSubscribeFromAnEndedTree(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		if _, err := tree.Shutdown(bg(), supervisor.Audit{Who: "test", Why: "end"}); err != nil {
			t.Fatal(err)
		}
		sub := tree.SubscribeFrom(0, 0)
		var n uint64
		for {
			e, err := sub.Next(bg())
			if errors.Is(err, supervisor.ErrClosed) {
				break
			}
			if err != nil || e.Seq != n+1 {
				t.Fatalf("event %+v, error %v after seq %d", e, err, n)
			}
			n = e.Seq
		}
		if n != tree.Snapshot().Seq {
			t.Fatalf("replayed up to %d, the tree ended at %d", n, tree.Snapshot().Seq)
		}
	})
}

// A subscription's queue grows as events wait in it: a large one that
// holds little costs little (an ipc client's subscription has 4096).
func TestSubscriptionQueueGrows(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Second},
			Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		allocated := testing.AllocsPerRun(1, func() {
			tree.Subscribe(1 << 20).Close()
		})
		if allocated > 10 {
			t.Fatalf("a subscription of a million events made %v allocations", allocated)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sub := tree.Subscribe(1 << 20)
		defer sub.Close()
		runtime.ReadMemStats(&after)
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<10 {
			t.Fatalf("an empty subscription of a million events allocated %d bytes", grown)
		}
		for range 5 {
			c.Fail(errBoom)
		}
		settle()
		if n := len(drain(t, sub)); n < 20 {
			t.Fatalf("%d events queued, want every one of 5 restarts'", n)
		}
	})
}

// Read takes what is queued at once, in order, and waits for one event
// when none is.
func TestSubscriptionRead(t *testing.T) {
	bubble(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, _ := start(t, supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Second},
			Children: []supervisor.Child{{Name: "c", Run: c.Run}}})
		c.Fail(errBoom)
		c.Fail(errBoom)
		settle()
		sub := tree.SubscribeFrom(0, 4) // the journal's events do not all fit: a notice first
		defer sub.Close()
		buf := make([]supervisor.Event, 100)
		n, err := sub.Read(bg(), buf)
		if err != nil || n != 5 || buf[0].Kind != supervisor.EventsDropped {
			t.Fatalf("Read: %d events (%v), first %v, want the drop notice and the 4 queued", n, err, buf[0].Kind)
		}
		for i := 2; i < n; i++ {
			if buf[i].Seq != buf[i-1].Seq+1 {
				t.Fatalf("events out of order: %v", buf[:n])
			}
		}
		got := make(chan int)
		go func() {
			n, _ := sub.Read(bg(), buf)
			got <- n
		}()
		settle()
		select {
		case n := <-got:
			t.Fatalf("Read returned %d events with none queued", n)
		default:
		}
		c.Fail(errBoom)
		if n := <-got; n == 0 {
			t.Fatal("Read returned nothing after a failure")
		}
	})
}
