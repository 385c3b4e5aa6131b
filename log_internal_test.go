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
	streaks := map[string]*streak{}
	t0 := time.Now()
	for i := range 100 {
		e := Event{Kind: EventChildExited, Exit: ExitAbnormal, Path: fmt.Sprintf("/tmp%d", i), Time: t0}
		logStreak(streaks, &e) // its child_removed is dropped
	}
	recent := Event{Kind: EventChildExited, Exit: ExitAbnormal, Path: "/now", Time: t0.Add(logCalmAfter + time.Second)}
	logStreak(streaks, &recent)
	drop := Event{Kind: EventsDropped, Path: "/", Count: 100, Time: recent.Time}
	logStreak(streaks, &drop)
	if len(streaks) != 1 || streaks["/now"] == nil {
		t.Fatalf("%d streaks left after the drop notice, want only /now's", len(streaks))
	}
}
