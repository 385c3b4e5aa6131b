package supervisor

import (
	"testing"
	"time"
)

// The token bucket serves reservations in order, never refuses one, keeps
// every window within Burst + W/Refill and reports its free tokens.
func TestTokenBucket(t *testing.T) {
	b := newTokenBucket(Budget{Burst: 3, Refill: time.Second})
	sec := int64(time.Second)
	if got := b.tokens(0); got != 3 {
		t.Fatalf("a fresh bucket has %d tokens, want 3", got)
	}
	var starts []int64
	for range 6 { // six restarts decided at 0
		starts = append(starts, b.reserve(0))
	}
	want := []int64{0, 0, 0, sec, 2 * sec, 3 * sec}
	for i := range want {
		if starts[i] != want[i] {
			t.Fatalf("reservations %v, want %v", starts, want)
		}
	}
	if got := b.tokens(3 * sec); got != 0 {
		t.Fatalf("%d tokens at 3 s, want 0: all were reserved", got)
	}
	if got := b.tokens(10 * sec); got != 3 {
		t.Fatalf("%d tokens after a long pause, want the burst", got)
	}
	// A reservation for the future (after a backoff) keeps the order and
	// the curve: it lies at or after its time.
	if at := b.reserve(20 * sec); at != 20*sec {
		t.Fatalf("reserve(20 s) = %v", time.Duration(at))
	}
	if at := b.reserve(5 * sec); at < 20*sec-2*sec {
		t.Fatalf("a reservation went ahead of the curve: %v", time.Duration(at))
	}
	if newTokenBucket(Budget{}) != nil {
		t.Fatal("the zero Budget must be no budget")
	}
}

// used counts what the window holds now, in both modes.
func TestRestartWindowUsed(t *testing.T) {
	w := newRestartWindow(Intensity{MaxRestarts: 3, Period: 10})
	w.allow(1)
	w.allow(5)
	if got := w.used(5); got != 2 {
		t.Fatalf("exact: used = %d, want 2", got)
	}
	if got := w.used(11); got != 1 {
		t.Fatalf("exact: used at 11 = %d, want 1 (1 left the window)", got)
	}
	b := newRestartWindow(Intensity{MaxRestarts: 5000, Period: time.Second})
	for i := range 100 {
		b.allow(int64(i) * int64(time.Millisecond))
	}
	if got := b.used(int64(100 * time.Millisecond)); got != 100 {
		t.Fatalf("bucketed: used = %d, want 100", got)
	}
	if got := b.used(int64(3 * time.Second)); got != 0 {
		t.Fatalf("bucketed: used long after = %d, want 0", got)
	}
}
