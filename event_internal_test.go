package supervisor

import (
	"errors"
	"testing"
	"time"
)

// Publishing an event with no subscriber costs no allocation.
func TestPublishAllocations(t *testing.T) {
	tr := &Tree{}
	tr.journal.buf = make([]Event, DefaultJournalSize)
	err := errors.New("boom")
	e := Event{Time: time.Now(), Kind: EventChildExited, Path: "/a", Err: err}
	if n := testing.AllocsPerRun(1000, func() { tr.publish(&e) }); n != 0 {
		t.Fatalf("publish allocates %v times per event", n)
	}
	s := tr.Subscribe(8)
	if n := testing.AllocsPerRun(1000, func() { tr.publish(&e) }); n != 0 {
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
