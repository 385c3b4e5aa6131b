package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
)

// The rapid-failure scenario's workload: each child fails after a gap drawn
// in advance, so the failure times are known and a model can say what the
// supervisor must decide at each of them.
const (
	quarAfter  = 5
	quarWithin = time.Second
)

// failPlan is the drawn gaps: plan[i][j] is how long attempt j of child i
// runs before it fails; after its last gap the child runs quietly.
type failPlan [][]time.Duration

// drawPlan draws perChild gaps for each of children children: mostly 150–500 ms, with
// occasional bursts of 1–20 ms that push some children over their restart
// limit.
func drawPlan(seed uint64, children, perChild int) failPlan {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	p := make(failPlan, children)
	for i := range p {
		for range perChild {
			ms := 150 + r.IntN(351)
			if r.IntN(1000) < 7 {
				ms = 1 + r.IntN(20)
			}
			p[i] = append(p[i], time.Duration(ms)*time.Millisecond)
		}
	}
	return p
}

// model is what the supervisor must decide for a plan, computed without it:
// a restart limit per child (a failure is one too many when the child
// already had quarAfter restarted failures within quarWithin), then the
// supervisor's intensity over the restarts in time order.
type model struct {
	failures    int
	restarts    int // performed before the end (or the escalation)
	quarantined []bool
	perChild    []int           // restarts per child
	escalatesAt time.Duration   // 0: never
	maxInWindow int             // the most restarts in any intensity window
	restartAt   []time.Duration // every restart, in time order
	last        time.Duration   // the last failure
}

func modelPlan(p failPlan, in supervisor.Intensity) model {
	m := model{quarantined: make([]bool, len(p)), perChild: make([]int, len(p))}
	type restart struct {
		at    time.Duration
		child int
	}
	var rs []restart
	var failsAt [][]time.Duration
	for i, gaps := range p {
		var t time.Duration
		var kept []time.Duration // restarted failures
		var fails []time.Duration
		for _, g := range gaps {
			t += g
			fails = append(fails, t)
			n := 0
			for _, k := range kept {
				if k > t-quarWithin {
					n++
				}
			}
			if n >= quarAfter {
				m.quarantined[i] = true
				break
			}
			kept = append(kept, t)
			rs = append(rs, restart{t, i})
		}
		failsAt = append(failsAt, fails)
	}
	slices.SortStableFunc(rs, func(a, b restart) int { return int(a.at - b.at) })
	for i, r := range rs {
		n := 1 // this restart, with those in (r.at − Period, r.at]
		for j := i - 1; j >= 0 && rs[j].at > r.at-in.Period; j-- {
			n++
		}
		if n > in.MaxRestarts {
			m.escalatesAt = r.at
			break
		}
		m.maxInWindow = max(m.maxInWindow, n)
		m.restarts++
		m.perChild[r.child]++
		m.restartAt = append(m.restartAt, r.at)
	}
	for _, fs := range failsAt {
		for _, f := range fs {
			if m.escalatesAt == 0 || f <= m.escalatesAt {
				m.failures++
				m.last = max(m.last, f)
			}
		}
	}
	return m
}

// planChildren returns the children running p. Each attempt of child i
// looks up its gap by the attempt's number.
func planChildren(p failPlan, fails *atomic.Int64) []supervisor.Child {
	var cs []supervisor.Child
	for i, gaps := range p {
		var runs atomic.Int64
		cs = append(cs, supervisor.Child{
			Name: fmt.Sprintf("c%02d", i),
			Run: func(ctx context.Context) error {
				j := int(runs.Add(1)) - 1
				if j >= len(gaps) {
					<-ctx.Done()
					return nil
				}
				select {
				case <-time.After(gaps[j]):
				case <-ctx.Done():
					return nil
				}
				fails.Add(1)
				return errors.New("planned failure")
			},
			Backoff:    supervisor.Backoff{Off: true},
			Quarantine: supervisor.Quarantine{After: quarAfter, Within: quarWithin, Probation: time.Hour},
		})
	}
	return cs
}

// TestRapidFailures: ten thousand failures, as fast as the plan makes them.
// The supervisor's accounting must be exact (every failure an event, every
// restart an event and a count), its restart-limit and intensity decisions
// must be the model's, to the nanosecond of fake time, and its memory must
// stay flat.
func TestRapidFailures(t *testing.T) {
	v := newVerdict(t, "rapid_failures")
	// The long form has more children, each failing as often: a longer
	// streak would only see every child quarantined in the end.
	children, perChild := 50*scale(t), 300
	p := drawPlan(7, children, perChild)
	in := supervisor.Intensity{MaxRestarts: 1000, Period: 5 * time.Second}
	if children > 50 {
		// Above 1,024 the window is counted in buckets and may give up up
		// to Period/64 early: leave it room.
		in.MaxRestarts = 2 * modelPlan(p, supervisor.Intensity{MaxRestarts: 1 << 30, Period: in.Period}).maxInWindow
	}
	m := modelPlan(p, in)
	v.load("children", children)
	v.load("planned_failures", children*perChild)
	v.load("intensity", fmt.Sprintf("%d in %v", in.MaxRestarts, in.Period))
	v.load("restart_limit", fmt.Sprintf("%d in %v", quarAfter, quarWithin))
	if m.escalatesAt != 0 {
		t.Fatalf("the plan escalates at %v: draw another", m.escalatesAt)
	}

	synctest.Test(t, func(t *testing.T) {
		var fails atomic.Int64
		tree := startTree(t, supervisor.Spec{Intensity: in, JournalSize: 256, Children: planChildren(p, &fails)})
		var exited, restarting, restarted, quarantined atomic.Int64
		wait := follow(tree, 1<<15, func(e supervisor.Event) {
			switch e.Kind {
			case supervisor.EventChildExited:
				if e.Exit == supervisor.ExitAbnormal {
					exited.Add(1)
				}
			case supervisor.EventChildRestarting:
				restarting.Add(1)
			case supervisor.EventChildRestarted:
				restarted.Add(1)
			case supervisor.EventChildQuarantined:
				quarantined.Add(1)
			}
		})

		// Live heap after a quarter of the run, and at its end.
		end := m.last + time.Millisecond
		time.Sleep(end / 4)
		heapQuarter := liveHeap()
		time.Sleep(end - end/4)
		synctest.Wait()
		heapEnd := liveHeap()

		s := tree.Snapshot()
		okChildren := 0
		var restarts uint64
		for i := range p {
			c, _ := s.Child(fmt.Sprintf("/c%02d", i))
			restarts += c.Restarts
			wantState := supervisor.StateRunning
			if m.quarantined[i] {
				wantState = supervisor.StateQuarantined
			}
			if c.State == wantState && c.Restarts == uint64(m.perChild[i]) {
				okChildren++
			} else {
				t.Logf("%s: %s with %d restarts, the model says %s with %d", c.Path, c.State, c.Restarts, wantState, m.perChild[i])
			}
		}
		shutdown(t, tree)
		dropped := wait()

		nq := 0
		for _, q := range m.quarantined {
			if q {
				nq++
			}
		}
		v.atLeast("failures", float64(fails.Load()), 10000, "")
		v.equal("failures_vs_model", float64(fails.Load()), float64(m.failures))
		v.equal("failure_events", float64(exited.Load()), float64(m.failures))
		v.equal("restarting_events", float64(restarting.Load()), float64(m.restarts))
		v.equal("restarted_events", float64(restarted.Load()), float64(m.restarts))
		v.equal("restarts_counted", float64(restarts), float64(m.restarts))
		v.equal("quarantined_events", float64(quarantined.Load()), float64(nq))
		v.equal("children_matching_model", float64(okChildren), float64(children))
		v.equal("events_dropped", float64(dropped), 0)
		v.info("model_max_restarts_in_window", m.maxInWindow)
		v.info("fake_time_run", end.String())
		v.info("live_heap_quarter_bytes", heapQuarter)
		v.info("live_heap_end_bytes", heapEnd)
		v.atMost("live_heap_growth", float64(int64(heapEnd)-int64(heapQuarter))/1024, 64, "KiB")
	})
}

// TestRapidFailuresEscalation: the same plan under a tighter intensity. The
// model says at which instant of fake time, after how many restarts, the
// supervisor must give up; it must give up exactly then.
func TestRapidFailuresEscalation(t *testing.T) {
	v := newVerdict(t, "rapid_failures_escalation")
	p := drawPlan(7, 50, 210)
	in := supervisor.Intensity{MaxRestarts: 700, Period: 5 * time.Second}
	m := modelPlan(p, in)
	v.load("intensity", fmt.Sprintf("%d in %v", in.MaxRestarts, in.Period))
	if m.escalatesAt == 0 {
		t.Fatal("the plan does not escalate: tighten the intensity")
	}
	synctest.Test(t, func(t *testing.T) {
		var fails atomic.Int64
		t0 := time.Now()
		tree, err := supervisor.Start(context.Background(), supervisor.Spec{Intensity: in, Children: planChildren(p, &fails)})
		if err != nil {
			t.Fatal(err)
		}
		var restarting, exceeded atomic.Int64
		var at atomic.Int64
		wait := follow(tree, 1<<15, func(e supervisor.Event) {
			switch e.Kind {
			case supervisor.EventChildRestarting:
				if exceeded.Load() == 0 {
					restarting.Add(1)
				}
			case supervisor.EventIntensityExceeded:
				if exceeded.Add(1) == 1 {
					at.Store(int64(e.Time.Sub(t0)))
				}
			}
		})
		err = tree.Wait()
		ended := time.Since(t0)
		wait()
		var ie *supervisor.IntensityError
		v.equal("ended_by_intensity", boolf(errors.As(err, &ie) && ie.Path == "/"), 1)
		v.equal("intensity_exceeded_events", float64(exceeded.Load()), 1)
		v.equal("escalated_at_ns", float64(at.Load()), float64(m.escalatesAt))
		v.equal("tree_ended_at_ns", float64(ended), float64(m.escalatesAt))
		v.equal("restarts_before_escalation", float64(restarting.Load()), float64(m.restarts))
		v.info("model_escalates_at", m.escalatesAt.String())
	})
}

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
