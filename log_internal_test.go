package supervisor

import (
	"fmt"
	"testing"
	"time"
)

// A streak whose ending event was dropped is forgotten at the next drop
// notice once it is over, so that children with unique names that fail and
// go away while the logger falls behind do not pile up.
func TestLogStreaksForgottenAfterDrops(t *testing.T) {
	z := newLogLimiter()
	t0 := time.Now()
	for i := range 100 {
		e := Event{Kind: EventChildExited, Exit: ExitAbnormal, Path: fmt.Sprintf("/tmp%d", i), Time: t0}
		z.admit(&e) // its child_removed is dropped
	}
	recent := Event{Kind: EventChildExited, Exit: ExitAbnormal, Path: "/now", Time: t0.Add(logCalmAfter + time.Second)}
	z.admit(&recent)
	drop := Event{Kind: EventsDropped, Path: "/", Count: 100, Time: recent.Time}
	z.admit(&drop)
	if len(z.streaks) != 1 || z.streaks["/now"] == nil {
		t.Fatalf("%d streaks left after the drop notice, want only /now's", len(z.streaks))
	}
}
