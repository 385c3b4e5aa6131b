package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
)

// single is a child body that counts its live attempts and records any
// moment when two run at once. Its attempts take up to stopMax to stop,
// within their stop budget, so no attempt is ever abandoned and two live
// attempts could only be the supervisor's mistake. With a kick channel, an
// attempt that receives from it fails.
type single struct {
	live       atomic.Int64
	violations atomic.Int64
	runs       atomic.Int64
	stopMax    time.Duration
	kick       chan struct{}
}

func (s *single) run(ctx context.Context) error {
	if s.live.Add(1) > 1 {
		s.violations.Add(1)
	}
	defer s.live.Add(-1)
	s.runs.Add(1)
	select {
	case <-ctx.Done():
	case <-s.kick: // nil without one: never
		return errors.New("kicked")
	}
	if s.stopMax > 0 {
		time.Sleep(rand.N(s.stopMax))
	}
	return nil
}

// fail makes the current attempt fail, if one is listening.
func (s *single) fail() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// TestCommandFlood: many goroutines send restart, pause, resume, quarantine
// and reset commands to the same children at once. No child may ever have
// two live attempts, every command must get an answer (nil or a typed
// error), and none may block.
func TestCommandFlood(t *testing.T) {
	v := newVerdict(t, "command_flood")
	const senders = 32
	d := runFor(t)
	v.load("senders", senders)
	v.load("duration", d.String())

	targets := map[string]*single{
		"/a":       {stopMax: 2 * time.Millisecond},
		"/inner/b": {stopMax: time.Millisecond},
		"/inner/c": {},
	}
	inner := supervisor.Spec{Strategy: supervisor.OneForAll, Children: []supervisor.Child{
		{Name: "b", Run: targets["/inner/b"].run},
		{Name: "c", Run: targets["/inner/c"].run},
	}}
	tree := startTree(t, supervisor.Spec{Children: []supervisor.Child{
		{Name: "a", Run: targets["/a"].run},
		{Name: "inner", Tree: &inner},
	}})
	var accepted, completed atomic.Int64
	var emu sync.Mutex
	eventOutcomes := map[string]int{} // command_completed events, keyed as outcomes below
	wait := follow(tree, 1<<16, func(e supervisor.Event) {
		switch e.Kind {
		case supervisor.EventCommandAccepted:
			accepted.Add(1)
		case supervisor.EventCommandCompleted:
			if e.Command != "shutdown" {
				completed.Add(1)
				key := e.Command + " ok"
				if e.Err != nil {
					key = fmt.Sprintf("%s: %v", e.Command, e.Err)
				}
				emu.Lock()
				eventOutcomes[key]++
				emu.Unlock()
			}
		}
	})

	paths := []string{"/a", "/a", "/a", "/inner/b", "/inner/c", "/inner"}
	ops := []struct {
		name string
		do   func(context.Context, string, supervisor.Audit) error
	}{
		{"restart", tree.RestartChild}, {"pause", tree.PauseChild}, {"resume", tree.ResumeChild},
		{"quarantine", tree.QuarantineChild}, {"reset", tree.ResetChild},
	}
	var lat latencies
	var answered, untyped, blocked atomic.Int64
	var mu sync.Mutex
	outcomes := map[string]int{}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				op := ops[rand.N(len(ops))]
				path := paths[rand.N(len(paths))]
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				t0 := time.Now()
				err := op.do(ctx, path, audit)
				lat.add(time.Since(t0))
				cancel()
				key := op.name + " ok"
				switch {
				case errors.Is(err, context.DeadlineExceeded):
					blocked.Add(1)
					key = op.name + " blocked"
				case !typed(err):
					untyped.Add(1)
					key = fmt.Sprintf("%s untyped: %v", op.name, err)
				case err != nil:
					answered.Add(1)
					key = fmt.Sprintf("%s: %v", op.name, errors.Unwrap(err))
				default:
					answered.Add(1)
				}
				mu.Lock()
				outcomes[key]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	// Afterwards every target can be brought back, and runs exactly once.
	for _, p := range []string{"/inner", "/a", "/inner/b", "/inner/c"} {
		if err := tree.RestartChild(context.Background(), p, audit); err != nil {
			t.Errorf("restart %s after the flood: %v", p, err)
		}
	}
	// A running child's goroutine may not have entered Run yet.
	liveAfter := 0
	eventually(t, 10*time.Second, "every target running once", func() bool {
		liveAfter = 0
		for p, s := range targets {
			if c := childInfo(t, tree, p); c.State == supervisor.StateRunning {
				liveAfter += int(s.live.Load())
			}
		}
		return liveAfter == len(targets)
	})
	r := shutdown(t, tree)
	dropped := wait()

	violations := 0
	runs := 0
	for _, s := range targets {
		violations += int(s.violations.Load())
		runs += int(s.runs.Load())
	}
	v.atLeast("commands", float64(lat.count()), 1000, "")
	v.equal("two_live_attempts", float64(violations), 0)
	v.equal("commands_unanswered", float64(blocked.Load()), 0)
	v.equal("untyped_errors", float64(untyped.Load()), 0)
	v.equal("answered", float64(answered.Load()), float64(lat.count()))
	// Every command has one command_completed event; those that reached
	// their supervisor also a command_accepted (4: the restarts after).
	v.equal("completed_events", float64(completed.Load()), float64(lat.count()+4))
	v.atMost("accepted_events", float64(accepted.Load()), float64(completed.Load()), "")
	v.equal("live_attempts_after", float64(liveAfter), float64(len(targets)))
	v.atMost("command_p99", ms(lat.quantile(0.99)), 1000, "ms")
	v.info("command_p50_ms", ms(lat.quantile(0.5)))
	v.info("command_max_ms", ms(lat.quantile(1)))
	v.info("attempts_started", runs)
	v.info("outcomes", outcomes)
	v.equal("events_dropped", float64(dropped), 0)
	missing := 0
	for k, n := range outcomes {
		if d := n - eventOutcomes[k]; d != 0 && !strings.HasPrefix(k, "restart ok") {
			t.Logf("%q: %d answers, %d command_completed events", k, n, eventOutcomes[k])
			missing += max(d, -d)
		}
	}
	v.equal("answers_without_their_event", float64(missing), 0)
	v.equal("goroutines_left", float64(r.GoroutinesLeft), 0)
}
