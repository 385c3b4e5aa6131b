//go:build linux

package chaos

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"golang.org/x/sys/unix"
)

// stepClock moves the system's wall clock by d. Go's monotonic clock, which
// the supervisor's windows use, does not move.
func stepClock(t *testing.T, d time.Duration) {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &ts); err != nil {
		t.Fatal(err)
	}
	ts = unix.NsecToTimespec(ts.Nano() + int64(d))
	if err := unix.ClockSettime(unix.CLOCK_REALTIME, &ts); err != nil {
		t.Fatalf("stepping the wall clock by %v: %v", d, err)
	}
}

// TestClockStep: the wall clock jumps an hour forward and back while the
// tree counts restarts in its intensity window and waits out backoff
// delays. A window must neither forget restarts (forward jump) nor keep them
// too long (backward jump), and a backoff delay must last its length.
//
// It steps the real clock of the machine, so it runs only with
// CHAOS_CLOCK_STEP=1 and CAP_SYS_TIME (.ci/run runs it alone, after the
// other tests), and puts the clock back however it ends.
func TestClockStep(t *testing.T) {
	if os.Getenv("CHAOS_CLOCK_STEP") != "1" {
		t.Skip("steps the machine's wall clock: set CHAOS_CLOCK_STEP=1 to run it (needs CAP_SYS_TIME)")
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &ts); err == nil {
		if err := unix.ClockSettime(unix.CLOCK_REALTIME, &ts); errors.Is(err, unix.EPERM) {
			t.Skip("no permission to set the wall clock (CAP_SYS_TIME)")
		}
	}
	v := newVerdict(t, "clock_step")
	var stepped time.Duration
	step := func(d time.Duration) { stepClock(t, d); stepped += d }
	t.Cleanup(func() {
		if stepped != 0 {
			stepClock(t, -stepped)
		}
	})
	period := time.Second
	v.load("intensity", "3 restarts in 1s")
	v.load("steps", "+1h, -1h")

	// Forward: three restarts fill the window; after the jump a fourth
	// must still exceed it.
	{
		r := newRacer()
		tree := startTree(t, supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 3, Period: period},
			Children: []supervisor.Child{{Name: "f", Run: r.run}}})
		for i := range 3 {
			kickAndWait(t, r, int64(i+2))
		}
		step(time.Hour)
		r.fail()
		err := waitEnd(tree, 10*time.Second)
		v.equal("forward_step_window_kept", boolf(errors.As(err, new(*supervisor.IntensityError))), 1)
	}

	// Backward: three restarts, a jump back, one period: the window is
	// empty again and three more restarts fit.
	{
		r := newRacer()
		tree := startTree(t, supervisor.Spec{Intensity: supervisor.Intensity{MaxRestarts: 3, Period: period},
			Children: []supervisor.Child{{Name: "f", Run: r.run}}})
		for i := range 3 {
			kickAndWait(t, r, int64(i+2))
		}
		step(-time.Hour)
		time.Sleep(period + 50*time.Millisecond)
		for i := range 3 {
			kickAndWait(t, r, int64(i+5))
		}
		alive := true
		select {
		case <-tree.Done():
			alive = false
		default:
		}
		v.equal("backward_step_window_expired", boolf(alive), 1)
	}

	// Backoff: a 300 ms delay, with the clock jumping forward and back
	// during it, lasts 300 ms.
	{
		r := newRacer()
		startTree(t, supervisor.Spec{Children: []supervisor.Child{{Name: "f", Run: r.run,
			Backoff: supervisor.Backoff{Initial: 300 * time.Millisecond, Multiplier: 1, Max: 300 * time.Millisecond}}}})
		for i, d := range []time.Duration{time.Hour, -time.Hour} {
			t0 := time.Now()
			r.fail()
			time.Sleep(50 * time.Millisecond)
			step(d)
			waitRuns(t, r, int64(i+2))
			took := time.Since(t0)
			name := "backoff_with_forward_step"
			if d < 0 {
				name = "backoff_with_backward_step"
			}
			v.atLeast(name+"_min", ms(took), 300, "ms")
			v.atMost(name+"_max", ms(took), 5000, "ms")
		}
	}
}

// kickAndWait fails r's attempt and waits for attempt number runs.
func kickAndWait(t *testing.T, r *single, runs int64) {
	t.Helper()
	eventually(t, 10*time.Second, "listening", func() bool { return r.live.Load() == 1 })
	r.fail()
	waitRuns(t, r, runs)
}

func waitRuns(t *testing.T, r *single, runs int64) {
	t.Helper()
	eventually(t, 10*time.Second, "restarted", func() bool { return r.runs.Load() >= runs && r.live.Load() == 1 })
}

// waitEnd waits up to limit for tree to end and returns its error.
func waitEnd(tree *supervisor.Tree, limit time.Duration) error {
	select {
	case <-tree.Done():
		return tree.Wait()
	case <-time.After(limit):
		return context.DeadlineExceeded
	}
}
