package ipc

import "time"

// The token bucket's defaults, for a zero Config.Rate and Config.Burst.
const (
	defaultRate  = 100 // requests a second
	defaultBurst = 200 // requests at once
)

// bucket is a connection's token bucket (control C6): it holds up to
// burst tokens, starts full, gains rate tokens a second, and each request
// takes one. It counts in whole nanoseconds, not in fractions of tokens,
// so that no rounding adds up: it keeps the time at which the bucket
// will be full again (the generic cell rate algorithm), and a request is
// allowed if taking its token leaves that time at most burst tokens'
// worth of refill ahead of now. A bucket is used by one goroutine, its
// connection's reader: it has no lock.
type bucket struct {
	interval time.Duration // between two tokens; zero: the zero bucket
	burst    int
	full     time.Time // when the bucket is full again; before now: full
}

// newBucket returns a full bucket that gains rate tokens a second and
// holds at most burst; a rate or a burst that is not positive is the
// default (100 a second, 200).
func newBucket(rate float64, burst int) bucket {
	if !(rate > 0) { // also NaN
		rate = defaultRate
	}
	if burst <= 0 {
		burst = defaultBurst
	}
	interval := max(time.Duration(float64(time.Second)/rate), 1)
	return bucket{interval: interval, burst: burst}
}

// allow takes a token at time now and reports whether there was one. A
// time before an earlier call's (the wall clock stepped back; time.Now's
// monotonic clock does not) gives no tokens back.
func (b *bucket) allow(now time.Time) bool {
	if b.interval == 0 { // the zero bucket: the defaults
		*b = newBucket(0, 0)
	}
	full := b.full
	if full.Before(now) {
		full = now
	}
	if full.Sub(now) > time.Duration(b.burst-1)*b.interval {
		return false
	}
	b.full = full.Add(b.interval)
	return true
}
