package ipc

import (
	"testing"
	"time"
)

// allowed counts the requests bucket b allows of n made at time now.
func allowed(b *bucket, now time.Time, n int) int {
	k := 0
	for range n {
		if b.allow(now) {
			k++
		}
	}
	return k
}

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// TestBucketBurstThenRate floods a bucket of 10 a second, bursts of 5:
// the burst passes at once, then one request per 100 ms, and a long pause
// refills it only up to the burst.
func TestBucketBurstThenRate(t *testing.T) {
	b := newBucket(10, 5)
	if got := allowed(&b, t0, 1000); got != 5 {
		t.Errorf("a flood at one instant: %d allowed, want the burst, 5", got)
	}
	if got := allowed(&b, t0.Add(99*time.Millisecond), 10); got != 0 {
		t.Errorf("99ms later: %d allowed, want 0", got)
	}
	if got := allowed(&b, t0.Add(100*time.Millisecond), 10); got != 1 {
		t.Errorf("100ms later: %d allowed, want 1", got)
	}
	if got := allowed(&b, t0.Add(time.Hour), 1000); got != 5 {
		t.Errorf("an hour later: %d allowed, want the burst, 5", got)
	}
}

// TestBucketSteadyFlood sends a request every millisecond for ten
// seconds to a bucket of 100 a second, bursts of 200: it allows the burst
// and then the rate, 200 + 10*100.
func TestBucketSteadyFlood(t *testing.T) {
	b := newBucket(100, 200)
	n := 0
	for i := range 10_001 { // 0 to 10s inclusive
		if b.allow(t0.Add(time.Duration(i) * time.Millisecond)) {
			n++
		}
	}
	if n != 1200 {
		t.Errorf("%d allowed in 10s, want 1200", n)
	}
}

// TestBucketDefaults checks that zero settings, and the zero bucket, are
// 100 a second with bursts of 200.
func TestBucketDefaults(t *testing.T) {
	var zero bucket
	defaults, negative := newBucket(0, 0), newBucket(-1, -1)
	for name, b := range map[string]*bucket{"newBucket(0, 0)": &defaults, "negative": &negative, "zero value": &zero} {
		if got := allowed(b, t0, 1000); got != 200 {
			t.Errorf("%s: %d allowed at once, want 200", name, got)
		}
		if got := allowed(b, t0.Add(10*time.Millisecond), 10); got != 1 {
			t.Errorf("%s: %d allowed 10ms later, want 1", name, got)
		}
	}
}

// TestBucketClockBack checks that a time before the last one adds no
// tokens, and that the bucket refills from the latest time seen.
func TestBucketClockBack(t *testing.T) {
	b := newBucket(1, 1)
	later := t0.Add(time.Hour)
	if !b.allow(later) {
		t.Fatal("a full bucket refused")
	}
	if b.allow(t0) || b.allow(t0.Add(30*time.Minute)) {
		t.Error("going back in time gave tokens")
	}
	if b.allow(later.Add(999 * time.Millisecond)) {
		t.Error("a token came before a second had passed")
	}
	if !b.allow(later.Add(time.Second)) {
		t.Error("no token a second after the latest time")
	}
}
