package supervisor

import (
	"math"
	"math/rand/v2"
	"time"
)

// Default backoff settings, used when Backoff.Initial is set and the field
// in question is zero.
const (
	DefaultBackoffMax        = 30 * time.Second
	DefaultBackoffMultiplier = 2.0
	DefaultBackoffResetAfter = 10 * time.Second
)

// Backoff paces the automatic restarts of one child with an exponential
// delay, capped and randomized.
//
// The attempt number of a child counts its consecutive tries: 1 for the first
// run, 2 for the first restart, and so on. It returns to 1 when an attempt
// has run for ResetAfter before exiting (the child was stable), and when an
// operator restarts or resumes the child. Restart k of a streak (attempt k+1)
// waits
//
//	base  = min(Initial × Multiplier^(k−1), Max)
//	delay = base × (1 − Jitter × U),   U uniform in [0, 1)
//
// so Jitter 0 gives exact exponential delays, Jitter 1 gives "full jitter"
// in [0, base), and values in between keep at least (1−Jitter)×base.
//
// How backoff composes with Intensity: a restart counts toward the
// supervisor's intensity when it is performed, that is when the delay has
// elapsed and the child starts again, not when the failure happens. A
// failure that is never restarted (for example because the child is paused
// during its backoff, or the tree shuts down) never counts.
//
// The zero Backoff is unset: the child's role, then the supervisor's
// Defaults decide, and finally restarts are immediate, which is OTP's
// behaviour. A Backoff with any field set replaces the defaults as a whole:
// fields left zero take their built-in defaults, not the role's or the
// supervisor's. Off says "immediate" explicitly, whatever the defaults.
type Backoff struct {
	// Off restarts at once, whatever the defaults; only ResetAfter may be
	// set with it.
	Off bool
	// Initial is the delay before the first restart of a streak. Zero
	// disables backoff: restarts are immediate and the fields below, except
	// ResetAfter, are ignored.
	Initial time.Duration
	// Max caps the delay. Zero means DefaultBackoffMax, or Initial if that
	// is larger.
	Max time.Duration
	// Multiplier is the growth factor between consecutive delays, at least 1.
	// Zero means DefaultBackoffMultiplier.
	Multiplier float64
	// Jitter is the fraction of each delay that is randomized, in [0, 1].
	// Zero means no jitter: children that fail together then restart
	// together, so set it (0.2 is a common choice) when siblings share a
	// cause of failure.
	Jitter float64
	// ResetAfter is how long an attempt must run to count as stable, which
	// resets the attempt number and so the delay. Zero means
	// DefaultBackoffResetAfter.
	ResetAfter time.Duration
}

// resetAfter returns the effective stable-run threshold.
func (b *Backoff) resetAfter() time.Duration {
	if b.ResetAfter > 0 {
		return b.ResetAfter
	}
	return DefaultBackoffResetAfter
}

// delayFor returns the delay before the restart that starts attempt number
// attempt (2 for the first restart of a streak), with u in [0, 1) as the
// jitter draw.
func (b Backoff) delayFor(attempt int, u float64) time.Duration {
	if b.Off || b.Initial <= 0 || attempt < 2 {
		return 0
	}
	maxDelay := b.Max
	if maxDelay <= 0 {
		maxDelay = max(DefaultBackoffMax, b.Initial)
	}
	mult := b.Multiplier
	if mult == 0 {
		mult = DefaultBackoffMultiplier
	}
	base := float64(b.Initial)
	for i := 2; i < attempt && base < float64(maxDelay); i++ {
		base *= mult
	}
	base = min(base, float64(maxDelay))
	if b.Jitter > 0 {
		base *= 1 - b.Jitter*u
	}
	if base >= math.MaxInt64 { // Max is Infinity, or close to it
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(base)
}

// delay draws the jitter from r only when jitter is in use.
func (b *Backoff) delay(attempt int, r *rand.Rand) time.Duration {
	var u float64
	if b.Initial > 0 && b.Jitter > 0 {
		u = r.Float64()
	}
	return b.delayFor(attempt, u)
}
