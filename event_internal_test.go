package supervisor

import (
	"errors"
	"testing"
	"time"
)

// Publishing an event costs no allocation, with or without subscribers: the
// loop builds each event on its stack, and nothing publish does may make
// it escape (calling a consumer through an interface would: one heap
// Event per transition).
func TestPublishAllocations(t *testing.T) {
	tr := &Tree{}
	tr.journal.buf = make([]Event, DefaultJournalSize)
	tr.summaries.journal = &tr.journal
	err := errors.New("boom")
	now := time.Now()
	publish := func() {
		e := Event{Time: now, Kind: EventChildExited, Path: "/a", Err: err}
		tr.publish(&e)
	}
	if n := testing.AllocsPerRun(1000, publish); n != 0 {
		t.Fatalf("publish allocates %v times per event", n)
	}
	s := tr.Subscribe(8)
	if n := testing.AllocsPerRun(1000, publish); n != 0 {
		t.Fatalf("publish to a subscriber allocates %v times per event", n)
	}
	s.Close()
}

// BenchmarkPublish publishes events into the journal and to 0, 1 or 4
// subscribers that keep up (their queues are drained between events).
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{0, 1, 4} {
		b.Run("subscribers="+string(rune('0'+n)), func(b *testing.B) {
			tr := &Tree{}
			tr.journal.buf = make([]Event, DefaultJournalSize)
			subs := make([]*Subscription, n)
			for i := range subs {
				subs[i] = tr.Subscribe(defaultSubscriberBuffer)
			}
			e := Event{Time: time.Now(), Kind: EventChildExited, Path: "/a", Err: errors.New("boom")}
			b.ReportAllocs()
			for b.Loop() {
				tr.publish(&e)
				for _, s := range subs {
					s.q.pop()
				}
			}
		})
	}
}
