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
