package supervisor

import (
	"context"
	"testing"
	"time"
)

func TestBackoffDelayFunction(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		b       Backoff
		attempt int
		u       float64
		want    time.Duration
	}{
		{Backoff{}, 5, 0, 0},                               // zero: immediate
		{Backoff{Initial: s}, 1, 0, 0},                     // first run: no delay
		{Backoff{Initial: s}, 2, 0, s},                     // first restart
		{Backoff{Initial: s}, 4, 0, 4 * s},                 // default multiplier 2
		{Backoff{Initial: s}, 50, 0, DefaultBackoffMax},    // default cap
		{Backoff{Initial: time.Minute}, 3, 0, time.Minute}, // cap at least Initial
		{Backoff{Initial: s, Multiplier: 3, Max: time.Hour}, 4, 0, 9 * s},
		{Backoff{Initial: s, Jitter: 1}, 2, 0.25, 750 * time.Millisecond},
		{Backoff{Initial: s, Jitter: 0.2}, 2, 0.5, 900 * time.Millisecond},
		{Backoff{Initial: s, Max: 10 * s}, 1 << 30, 0, 10 * s}, // no overflow
	} {
		if got := tc.b.delayFor(tc.attempt, tc.u); got != tc.want {
			t.Errorf("%+v.delayFor(%d, %v) = %v, want %v", tc.b, tc.attempt, tc.u, got, tc.want)
		}
	}
}

// Backoff.Max accepts Infinity (validation only asks Max >= Initial);
// once the exponential reaches the cap the delay must stay positive.
func TestBackoffDelayWithInfiniteMax(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: Infinity}
	if err := Validate(Spec{Children: []Child{{Name: "a", Run: func(context.Context) error { return nil }, Backoff: b}}}); err != nil {
		t.Fatal(err)
	}
	prev := time.Duration(0)
	for k := 2; k <= 80; k++ {
		d := b.delayFor(k, 0)
		if d < prev {
			t.Fatalf("Delay(%d) = %v, less than Delay(%d) = %v", k, d, k-1, prev)
		}
		prev = d
	}
}
