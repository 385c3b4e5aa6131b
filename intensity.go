package supervisor

import "time"

// Intensity bounds how often a supervisor restarts its children: at most
// MaxRestarts automatic restarts within any sliding window of length Period,
// measured on the monotonic clock. The restart that would exceed it is not
// performed: the supervisor stops all its children in reverse order and ends
// with an *IntensityError, which its parent treats as an abnormal exit of a
// child (escalation).
//
// Only automatic restarts count: a group restart (OneForAll, RestForOne)
// counts once, a retry after a failed start counts again, and restarts asked
// for by an operator (RestartChild, ResumeChild) do not count. With Backoff, a
// restart counts when it is performed, after its delay.
//
// The zero Intensity means 3 restarts within 5 seconds. With
// Period set, MaxRestarts 0 is honoured: the first restart ends the
// supervisor, as in OTP.
type Intensity struct {
	MaxRestarts int           `json:"max_restarts"`
	Period      time.Duration `json:"-"` // in JSON, as text
}

// resolve applies the defaults.
func (i Intensity) resolve() Intensity {
	if i.MaxRestarts == 0 && i.Period == 0 {
		return Intensity{MaxRestarts: defaultMaxRestarts, Period: defaultPeriod}
	}
	return i
}

// exactWindowMax is the largest MaxRestarts tracked exactly, one timestamp per
// restart. Above it the window is tracked in windowBuckets buckets.
const (
	exactWindowMax = 1024
	windowBuckets  = 64
)

// restartWindow decides whether one more restart fits in the intensity window.
// Each decision is O(1) and memory is bounded by min(MaxRestarts, 1024) + 64
// integers whatever the restart rate.
//
// Up to exactWindowMax restarts it keeps the times of the last MaxRestarts
// restarts in a ring: a restart at t exceeds the intensity when the oldest of
// them is later than t − Period. Above that it counts restarts in buckets of
// Period/64: the current bucket and the 64 before it, which cover the window
// (t − Period, t] and at most one bucket more. So the supervisor may give up
// at most Period/64 early, never late.
type restartWindow struct {
	max    int
	period int64

	ring []int64 // exact mode
	head int
	n    int

	buckets []int // bucket mode: windowBuckets+1 counts
	width   int64
	last    int64 // index of the newest bucket
	total   int
}

func newRestartWindow(i Intensity) restartWindow {
	w := restartWindow{max: i.MaxRestarts, period: int64(i.Period)}
	if w.max > exactWindowMax {
		w.width = max(w.period/windowBuckets, 1)
		w.buckets = make([]int, windowBuckets+1)
	}
	return w
}

// allow reports whether a restart at now (monotonic nanoseconds) fits, and
// records it if so.
func (w *restartWindow) allow(now int64) bool {
	if w.width != 0 {
		return w.allowBucketed(now)
	}
	if w.max == 0 {
		return false
	}
	if w.ring == nil {
		w.ring = make([]int64, w.max)
	}
	if w.n == w.max {
		oldest := w.ring[w.head]
		if oldest > now-w.period {
			return false
		}
		w.ring[w.head] = now
		w.head = (w.head + 1) % w.max
		return true
	}
	w.ring[(w.head+w.n)%w.max] = now
	w.n++
	return true
}

// used returns how many restarts the window holds at now.
func (w *restartWindow) used(now int64) int {
	if w.width != 0 {
		const slots = windowBuckets + 1
		used := 0
		for i := int64(0); i < slots; i++ { // the buckets still in the window
			if b := now/w.width - i; b >= 0 && b <= w.last && w.last-b < slots {
				used += w.buckets[b%slots]
			}
		}
		return used
	}
	used := 0
	for i := range w.n {
		if w.ring[(w.head+i)%w.max] > now-w.period {
			used++
		}
	}
	return used
}

func (w *restartWindow) allowBucketed(now int64) bool {
	const slots = windowBuckets + 1
	b := now / w.width
	if b > w.last {
		// Retire the buckets that fell out of the window.
		steps := min(b-w.last, slots)
		for i := int64(1); i <= steps; i++ {
			slot := (w.last + i) % slots
			w.total -= w.buckets[slot]
			w.buckets[slot] = 0
		}
		w.last = b
	}
	if w.total+1 > w.max {
		return false
	}
	w.buckets[b%slots]++
	w.total++
	return true
}
