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

// newRacer returns a single that fails when kicked.
func newRacer() *single {
	return &single{stopMax: 500 * time.Microsecond, kick: make(chan struct{}, 1)}
}

// jitter waits up to 300 µs, so that racing calls interleave differently.
func jitter() {
	if d := rand.N(300 * time.Microsecond); d > 150*time.Microsecond {
		time.Sleep(d - 150*time.Microsecond)
	}
}

// raceTotals adds up what every round of the stop races found.
type raceTotals struct {
	rounds, commands, untyped, blocked, violations atomic.Int64
	liveAfterEnd, goroutinesLeft, abandoned        atomic.Int64
	badEnd, unsettled                              atomic.Int64
}

// TestStopRaces: the OTP "stop race" family. Under every strategy and
// restart type, commands and failures race a shutdown (restart during
// shutdown, shutdown during a group restart) and children are added and
// removed while their parent restarts. No child may ever run twice at once,
// every command must be answered (nil or a typed error), and when the tree
// ends no attempt may still be running.
func TestStopRaces(t *testing.T) {
	v := newVerdict(t, "stop_races")
	d := runFor(t)
	strategies := []supervisor.Strategy{supervisor.OneForOne, supervisor.OneForAll, supervisor.RestForOne}
	types := []supervisor.RestartType{supervisor.Permanent, supervisor.Transient, supervisor.Temporary}
	races := []string{"restart_during_shutdown", "shutdown_during_restart", "add_remove_during_parent_restart",
		"failures_during_group_restart"}
	v.load("strategies", len(strategies))
	v.load("restart_types", len(types))
	v.load("races", races)
	v.load("duration", d.String())

	var tot raceTotals
	perRace := map[string]int{}
	deadline := time.Now().Add(d)
	for round := 0; round == 0 || time.Now().Before(deadline); round++ {
		for _, s := range strategies {
			for _, rt := range types {
				for _, race := range races {
					stopRace(t, s, rt, race, &tot)
					perRace[race]++
				}
			}
		}
	}
	v.info("rounds_per_race", perRace)
	v.atLeast("trees", float64(tot.rounds.Load()), float64(len(strategies)*len(types)*len(races)), "")
	v.info("commands", tot.commands.Load())
	v.equal("two_live_attempts", float64(tot.violations.Load()), 0)
	v.equal("commands_unanswered", float64(tot.blocked.Load()), 0)
	v.equal("untyped_errors", float64(tot.untyped.Load()), 0)
	v.equal("attempts_running_after_end", float64(tot.liveAfterEnd.Load()), 0)
	v.equal("abandoned_children", float64(tot.abandoned.Load()), 0)
	v.equal("goroutines_left", float64(tot.goroutinesLeft.Load()), 0)
	v.equal("unexpected_tree_errors", float64(tot.badEnd.Load()), 0)
	v.equal("children_not_running_once_after_restarts", float64(tot.unsettled.Load()), 0)
}

// stopRace runs one round of race under strategy s with children of
// restart type rt.
func stopRace(t *testing.T, s supervisor.Strategy, rt supervisor.RestartType, race string, tot *raceTotals) {
	t.Helper()
	bodies := map[string]*single{}
	child := func(name string) supervisor.Child {
		r := newRacer()
		bodies[name] = r
		return supervisor.Child{Name: name, Run: r.run, Restart: rt, Shutdown: time.Second}
	}
	inner := supervisor.Spec{Strategy: s, Intensity: supervisor.Intensity{MaxRestarts: 1000, Period: time.Second},
		Children: []supervisor.Child{child("x"), child("y")}}
	spec := supervisor.Spec{
		Strategy:  s,
		Intensity: supervisor.Intensity{MaxRestarts: 1000, Period: time.Second},
		Children:  []supervisor.Child{child("a"), {Name: "inner", Tree: &inner}, child("b")},
	}
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	tot.rounds.Add(1)

	var wg sync.WaitGroup
	cmd := func(do func(context.Context) error) {
		wg.Go(func() {
			jitter()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := do(ctx)
			tot.commands.Add(1)
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				tot.blocked.Add(1)
			case !typed(err):
				tot.untyped.Add(1)
				t.Logf("%s/%s/%s: %v", s, rt, race, err)
			}
		})
	}
	var report *supervisor.ShutdownReport
	shut := func() {
		wg.Go(func() {
			jitter()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			report, _ = tree.Shutdown(ctx, audit)
		})
	}

	switch race {
	case "restart_during_shutdown":
		cmd(func(ctx context.Context) error { return tree.RestartChild(ctx, "/a", audit) })
		cmd(func(ctx context.Context) error { return tree.RestartChild(ctx, "/inner", audit) })
		cmd(func(ctx context.Context) error { return tree.RestartChild(ctx, "/inner/y", audit) })
		b := bodies["b"]
		wg.Go(func() { jitter(); b.fail() })
		shut()
	case "shutdown_during_restart":
		bodies["a"].fail() // a group restart under one_for_all and rest_for_one
		bodies["x"].fail()
		shut()
		cmd(func(ctx context.Context) error { return tree.PauseChild(ctx, "/b", audit) })
	case "add_remove_during_parent_restart":
		cmd(func(ctx context.Context) error { return tree.RestartChild(ctx, "/inner", audit) })
		a := bodies["a"]
		wg.Go(func() { jitter(); a.fail() }) // the root's group restart
		for i := range 3 {
			r := newRacer()
			bodies[fmt.Sprintf("t%d", i)] = r
			cmd(func(ctx context.Context) error {
				return tree.AddChild(ctx, "/inner", supervisor.Child{Name: fmt.Sprintf("t%d", i), Run: r.run, Restart: rt}, audit)
			})
			cmd(func(ctx context.Context) error { return tree.RemoveChild(ctx, fmt.Sprintf("/inner/t%d", i), audit) })
		}
		cmd(func(ctx context.Context) error { return tree.RemoveChild(ctx, "/inner/x", audit) })
		cmd(func(ctx context.Context) error { return tree.RemoveChild(ctx, "/b", audit) })
		wg.Wait()
		shut()
	case "failures_during_group_restart":
		for _, name := range []string{"a", "b", "x", "y"} {
			r := bodies[name]
			wg.Go(func() { jitter(); r.fail() })
		}
		wg.Wait()
		// Once the restarts are over, every child the tree still has
		// runs exactly one attempt (temporary ones that failed are gone).
		settled := func() bool {
			s := tree.Snapshot()
			for _, c := range s.Children {
				if c.Supervisor {
					if c.State != supervisor.StateReady {
						return false
					}
					continue
				}
				b := bodies[c.Name]
				if c.State != supervisor.StateRunning || b.live.Load() != 1 {
					return false
				}
			}
			return rt == supervisor.Temporary || len(s.Children) == 5
		}
		deadline := time.Now().Add(5 * time.Second)
		for !settled() {
			if time.Now().After(deadline) {
				tot.unsettled.Add(1)
				var states []string
				for _, c := range tree.Snapshot().Children {
					states = append(states, fmt.Sprintf("%s %s", c.Path, c.State))
				}
				t.Logf("%s/%s/%s: not settled: %s", s, rt, race, strings.Join(states, ", "))
				break
			}
			time.Sleep(time.Millisecond)
		}
		shut()
	}
	wg.Wait()
	err = tree.Wait()
	if err != nil && !errors.As(err, new(*supervisor.IntensityError)) {
		tot.badEnd.Add(1)
		t.Logf("%s/%s/%s: the tree ended with %v", s, rt, race, err)
	}
	for _, b := range bodies {
		tot.violations.Add(b.violations.Load())
		tot.liveAfterEnd.Add(b.live.Load())
	}
	if report == nil {
		report = tree.Report()
	}
	tot.goroutinesLeft.Add(int64(report.GoroutinesLeft))
	for _, o := range report.Children {
		if o.Outcome == supervisor.OutcomeAbandoned || o.Outcome == supervisor.OutcomeLate {
			tot.abandoned.Add(1)
		}
	}
}
