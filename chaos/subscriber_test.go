package chaos

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/seqcheck"
)

// TestSlowSubscriber: a subscriber that takes 100 ms per event, and one that
// never reads, follow a tree that fails and restarts as fast as it can. The
// supervisor must not slow down for them, each must be told exactly how
// many events it missed, and the journal must stay consistent.
func TestSlowSubscriber(t *testing.T) {
	v := newVerdict(t, "slow_subscriber")
	d := runFor(t)
	const children, buffer = 8, 64
	v.load("children", children)
	v.load("slow_subscriber", "100ms per event")
	v.load("subscriber_buffer", buffer)
	v.load("duration", d.String())

	var kids []supervisor.Child
	var on atomic.Bool
	on.Store(true)
	for i := range children {
		kids = append(kids, supervisor.Child{Name: fmt.Sprintf("f%d", i), Run: func(ctx context.Context) error {
			select {
			case <-time.After(time.Millisecond):
			case <-ctx.Done():
				return nil
			}
			if on.Load() {
				return errors.New("fail")
			}
			<-ctx.Done()
			return nil
		}})
	}
	tree := startTree(t, supervisor.Spec{
		Intensity:   supervisor.Intensity{MaxRestarts: 1 << 30, Period: time.Second},
		JournalSize: 4096,
		Children:    kids,
	})

	// The fast subscriber records what each event was, to compare with
	// the journal.
	type rec struct {
		kind supervisor.EventKind
		path string
	}
	fastSeen := map[uint64]rec{}
	var restartsFirst, restartsSecond atomic.Int64
	var second atomic.Bool
	waitFast := followSeq(tree, 1<<16, func(e supervisor.Event) {
		fastSeen[e.Seq] = rec{e.Kind, e.Path}
		if e.Kind == supervisor.EventChildRestarted {
			if second.Load() {
				restartsSecond.Add(1)
			} else {
				restartsFirst.Add(1)
			}
		}
	})
	frozen := tree.Subscribe(buffer) // never read until the end
	frozenCheck := seqCheck{Tracker: seqcheck.New(tree.Snapshot().Seq)}

	// The first half without the slow subscriber, the second with it.
	time.Sleep(d / 2)
	var slowCalls, slowEvents atomic.Int64 // while the run lasts
	second.Store(true)
	waitSlow := followSeq(tree, buffer, func(e supervisor.Event) {
		if on.Load() { // 100 ms per event while the run lasts
			slowCalls.Add(1)
			if e.Kind != supervisor.EventsDropped {
				slowEvents.Add(1)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	seqAtSlowStart := tree.Snapshot().Seq
	t0 := time.Now()
	time.Sleep(d - d/2)
	elapsed := time.Since(t0)
	on.Store(false)
	seqAtEnd := tree.Snapshot().Seq

	for {
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		e, err := frozen.Next(ctx)
		cancel()
		if err != nil {
			break
		}
		frozenCheck.see(e)
	}
	frozenDropped := frozen.Dropped()
	frozen.Close()

	j := tree.Journal()
	r := shutdown(t, tree)
	slow, slowDropped := waitSlow()
	fast, fastDropped := waitFast()

	// The journal: consecutive sequence numbers ending with the last
	// event, each the event the fast subscriber saw under that number.
	journalBad := 0
	for i, e := range j.Events {
		want, ok := fastSeen[e.Seq]
		if e.Seq != j.Dropped+uint64(i)+1 || !ok || want != (rec{e.Kind, e.Path}) {
			journalBad++
		}
	}
	lastJournal := uint64(0)
	if n := len(j.Events); n > 0 {
		lastJournal = j.Events[n-1].Seq
	}

	published := seqAtEnd - seqAtSlowStart
	v.atLeast("events_published_while_slow", float64(published), 10*buffer, "")
	// Falling behind, the slow subscriber gets a drop notice and then the
	// event after the gap: events, not only notices.
	v.info("slow_next_calls_during_run", slowCalls.Load())
	v.atLeast("slow_events_per_next_call", float64(slowEvents.Load())/float64(max(1, slowCalls.Load())), 0.4, "")
	v.equal("slow_unexplained_gaps", float64(slow.Gaps+slow.Anomalies), 0)
	v.equal("slow_told_vs_dropped", float64(slow.Dropped), float64(slowDropped))
	v.atLeast("slow_dropped", float64(slowDropped), 1, "")
	delivered, span := slow.accounted()
	v.equal("slow_accounted", float64(delivered), float64(span))
	v.equal("frozen_unexplained_gaps", float64(frozenCheck.Gaps+frozenCheck.Anomalies), 0)
	v.equal("frozen_told_vs_dropped", float64(frozenCheck.Dropped), float64(frozenDropped))
	delivered, span = frozenCheck.accounted()
	v.equal("frozen_accounted", float64(delivered), float64(span))
	v.equal("fast_dropped", float64(fastDropped), 0)
	v.equal("fast_unexplained_gaps", float64(fast.Gaps+fast.Anomalies), 0)
	v.equal("journal_inconsistent_events", float64(journalBad), 0)
	v.equal("journal_accounts_for_every_event", float64(j.Dropped+uint64(len(j.Events))), float64(lastJournal))
	rate1 := float64(restartsFirst.Load()) / (d / 2).Seconds()
	rate2 := float64(restartsSecond.Load()) / elapsed.Seconds()
	v.info("restarts_per_second_without_slow", rate1)
	v.info("restarts_per_second_with_slow", rate2)
	v.equal("goroutines_left", float64(r.GoroutinesLeft), 0)
}
