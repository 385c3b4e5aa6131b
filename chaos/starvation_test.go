package chaos

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// restartTimer is a child body that fails 10 ms into every attempt and
// measures, at the start of the next attempt, how long the supervisor took
// from the failure to the restart.
type restartTimer struct {
	exitAt atomic.Int64 // UnixNano-free: nanoseconds since base
	base   time.Time
	delays *latencies
}

func (r *restartTimer) run(ctx context.Context) error {
	if at := r.exitAt.Swap(0); at != 0 {
		r.delays.add(time.Since(r.base) - time.Duration(at))
	}
	select {
	case <-time.After(10 * time.Millisecond):
	case <-ctx.Done():
		return nil
	}
	r.exitAt.Store(int64(time.Since(r.base)))
	return errors.New("fail")
}

// TestSchedulerStarvation: CPU-bound goroutines, two per core, saturate
// the machine while children fail every 10 ms. Supervision decisions must
// still happen; the delay from a failure to its restart is measured, with
// and without the hogs.
func TestSchedulerStarvation(t *testing.T) {
	v := newVerdict(t, "scheduler_starvation")
	d := runFor(t)
	hogs := 2 * runtime.GOMAXPROCS(0)
	const children = 4
	v.load("hogs", hogs)
	v.load("children", children)
	v.load("fail_every", "10ms")
	v.load("duration", d.String())

	var calm, starved latencies
	delays := &calm
	var mu sync.Mutex
	base := time.Now()
	var kids []supervisor.Child
	for i := range children {
		r := &restartTimer{base: base}
		kids = append(kids, supervisor.Child{Name: fmt.Sprintf("t%d", i), Run: func(ctx context.Context) error {
			mu.Lock()
			r.delays = delays
			mu.Unlock()
			return r.run(ctx)
		}})
	}
	kids = append(kids, supervisor.Child{Name: "probe", Run: supervisortest.Idle})
	tree := startTree(t, supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: 1 << 30, Period: time.Second},
		Children:  kids,
	})

	time.Sleep(d / 4) // the baseline, without hogs
	mu.Lock()
	delays = &starved
	mu.Unlock()
	var stop atomic.Bool
	var spins atomic.Int64
	var wg sync.WaitGroup
	for range hogs {
		wg.Go(func() {
			x := uint64(1)
			for !stop.Load() {
				for range 1 << 12 {
					x = x*6364136223846793005 + 1442695040888963407
				}
				spins.Add(1)
			}
			_ = x
		})
	}
	var cmd latencies
	t0 := time.Now()
	for time.Since(t0) < d {
		c0 := time.Now()
		if err := tree.RestartChild(context.Background(), "/probe", audit); err != nil {
			t.Error(err)
		}
		cmd.add(time.Since(c0))
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	r := shutdown(t, tree)

	expected := float64(children) * d.Seconds() / 0.010
	v.info("hog_spins", spins.Load())
	v.atLeast("restarts_while_starved", float64(starved.count()), expected/10, "")
	v.info("restarts_expected_unstarved", expected)
	v.info("restart_delay_calm_p50_ms", ms(calm.quantile(0.5)))
	v.info("restart_delay_calm_p99_ms", ms(calm.quantile(0.99)))
	v.info("restart_delay_starved_p50_ms", ms(starved.quantile(0.5)))
	v.atMost("restart_delay_starved_p99", ms(starved.quantile(0.99)), 250, "ms")
	v.info("restart_delay_starved_max_ms", ms(starved.quantile(1)))
	v.atMost("command_starved_p99", ms(cmd.quantile(0.99)), 250, "ms")
	v.info("command_starved_p50_ms", ms(cmd.quantile(0.5)))
	v.equal("goroutines_left", float64(r.GoroutinesLeft), 0)
}
