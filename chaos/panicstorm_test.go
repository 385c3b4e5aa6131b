package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// storm is a child body that panics a millisecond into every attempt while
// the storm lasts, and runs quietly after it.
type storm struct {
	begin    chan struct{} // closed when the storm begins
	on       atomic.Bool
	injected atomic.Int64 // panics thrown
	calm     atomic.Int64 // attempts running quietly after the storm
}

func (s *storm) run(ctx context.Context) error {
	select {
	case <-s.begin:
	case <-ctx.Done():
		return nil
	}
	if s.on.Load() {
		time.Sleep(time.Millisecond)
		s.injected.Add(1)
		panic(fmt.Sprintf("storm at %v", time.Now()))
	}
	s.calm.Add(1)
	<-ctx.Done()
	return nil
}

// TestPanicStorm: children panic every millisecond for the whole run. The
// supervisor must not panic itself, must report every panic with its stack,
// and must keep answering commands while it restarts.
func TestPanicStorm(t *testing.T) {
	v := newVerdict(t, "panic_storm")
	const children = 16
	d := runFor(t)
	v.load("children", children)
	v.load("panic_every", "1ms")
	v.load("duration", d.String())

	s := &storm{begin: make(chan struct{})}
	var kids []supervisor.Child
	for i := range children {
		kids = append(kids, supervisor.Child{Name: fmt.Sprintf("storm%02d", i), Run: s.run})
	}
	kids = append(kids, supervisor.Child{Name: "probe", Run: supervisortest.Idle})
	tree := startTree(t, supervisor.Spec{
		Intensity:   supervisor.Intensity{MaxRestarts: 1 << 30, Period: time.Second},
		JournalSize: 1024,
		Children:    kids,
	})

	var reported, noStack atomic.Int64
	wait := follow(tree, 1<<16, func(e supervisor.Event) {
		if e.Kind != supervisor.EventChildExited || e.Path == "/probe" {
			return
		}
		var pe *supervisor.PanicError
		switch {
		case e.Exit == supervisor.ExitPanic && errors.As(e.Err, &pe):
			reported.Add(1)
			if !bytes.Contains(pe.Stack, []byte("chaos.(*storm).run")) {
				noStack.Add(1)
			}
		case e.Exit == supervisor.ExitPanic:
			noStack.Add(1)
			reported.Add(1)
		}
	})

	s.on.Store(true) // now that every event is followed
	close(s.begin)

	// The control API under the storm: restart a quiet child and read the
	// state, over and over, timing each call.
	var restart, state latencies
	var cmdErrs atomic.Int64
	stop := make(chan struct{})
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			t0 := time.Now()
			err := tree.RestartChild(ctx, "/probe", audit)
			restart.add(time.Since(t0))
			cancel()
			if err != nil {
				cmdErrs.Add(1)
			}
			t0 = time.Now()
			tree.Snapshot()
			state.add(time.Since(t0))
			time.Sleep(time.Millisecond)
		}
	}()

	time.Sleep(d)
	s.on.Store(false)
	close(stop)
	<-probeDone
	eventually(t, 30*time.Second, "every storm child calm", func() bool { return s.calm.Load() == children })
	checkErr := tree.Check(context.Background())
	snap := tree.Snapshot()
	var restarts uint64
	for _, c := range snap.Children {
		if c.Path != "/probe" {
			restarts += c.Restarts
		}
	}
	r := shutdown(t, tree)
	dropped := wait()

	injected := float64(s.injected.Load())
	v.info("panics_per_second", injected/d.Seconds())
	v.atLeast("panics_injected", injected, 1, "")
	v.equal("panic_exits_reported", float64(reported.Load()), injected)
	v.equal("restarts_counted", float64(restarts), injected)
	v.equal("panic_exits_without_stack", float64(noStack.Load()), 0)
	v.equal("events_dropped", float64(dropped), 0)
	v.equal("supervisor_failures", boolf(checkErr != nil), 0)
	v.equal("command_errors", float64(cmdErrs.Load()), 0)
	v.atLeast("commands", float64(restart.count()), 10, "")
	v.atMost("restart_command_p99", ms(restart.quantile(0.99)), 100, "ms")
	v.info("restart_command_p50_ms", ms(restart.quantile(0.5)))
	v.atMost("state_p99", ms(state.quantile(0.99)), 100, "ms")
	v.info("state_p50_ms", ms(state.quantile(0.5)))
	v.equal("goroutines_left", float64(r.GoroutinesLeft), 0)
	if checkErr != nil {
		t.Logf("Check: %v", checkErr)
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
