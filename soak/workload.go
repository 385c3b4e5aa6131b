package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-supervisor/supervisor"
)

// errInjected is the error flaky children fail with.
var errInjected = errors.New("soak: injected failure")

// exitMode is how a child ends an attempt on its own.
type exitMode uint8

const (
	exitError  exitMode = iota // returns errInjected: an abnormal exit
	exitPanic                  // panics: an abnormal exit with a stack
	exitNormal                 // returns nil: a Permanent child is restarted anyway
	exitLinger                 // waits to be stopped (temporary children only)
	numExitModes
)

// exitModeNames names the modes for the report.
func exitModeNames() [numExitModes]string {
	return [numExitModes]string{"error", "panic", "normal", "linger"}
}

// workload is the tree the soak drives: its spec, the behaviour of its
// children, and the switch that calms them for a quiet measurement.
//
// Every child's Run is a method value on a value the workload keeps, so
// that specs built again for Tree.Apply carry the same code and the same
// state as the running tree.
type workload struct {
	cfg config

	// calm stops every injected failure: flaky children run on, the crash
	// loop stops crashing, the heartbeat child keeps beating. The run
	// starts calm; run arms the workload once its observers are attached.
	calm atomic.Bool

	// injected counts the attempts of static children that ended on
	// their own, by mode; tempEnds those of temporary children.
	injected [numExitModes]atomic.Uint64
	tempEnds [numExitModes]atomic.Uint64
	// silences counts the heartbeat child's deliberate silences.
	silences atomic.Uint64

	flaky     []*flaky
	crash     *crashLoop
	heartbeat *heartbeat
	idle      idle

	// paths of the static workers, and of those commands may pause.
	workers  []string
	pausable []string

	tempSeq atomic.Uint64 // names temporary children uniquely
}

// dynParent is the supervisor temporary children are added to.
const dynParent = "/dyn"

// newWorkload returns a calm workload; spec builds its tree.
func newWorkload(cfg config) *workload {
	w := &workload{cfg: cfg}
	w.calm.Store(true)
	w.crash = &crashLoop{w: w}
	w.heartbeat = &heartbeat{w: w, rng: rand.New(rand.NewPCG(cfg.Seed, 0xbea7))}
	return w
}

// spec builds the tree. variant changes a few policies (a backoff cap, a
// throttle) without changing any child's code, so that Tree.Apply of
// another variant updates the tree in place. The first call creates the
// children's state; later calls reuse it.
func (w *workload) spec(variant int) supervisor.Spec {
	first := w.flaky == nil
	f := &flakyPool{w: w, create: first}
	steady := f.take("f", 16)
	all := f.take("a", 5)
	chain := f.take("c", 6)
	grouped := f.take("g", 11)
	inner := f.take("i", 4)
	deep := f.take("d", 3)
	pol := w.policy(variant)

	spec := supervisor.Spec{
		Name:      "soak",
		Strategy:  supervisor.OneForOne,
		Intensity: supervisor.Intensity{MaxRestarts: 10, Period: 10 * time.Second},
		Logger:    nil, // set by run
		Children: []supervisor.Child{
			{Name: "ops", Tree: &supervisor.Spec{Strategy: supervisor.OneForOne, Children: w.idles("o", 6),
				Defaults: supervisor.Defaults{Shutdown: time.Second}}},
			{Name: "steady", Tree: &supervisor.Spec{Strategy: supervisor.OneForOne, Intensity: pol.intensity(len(steady)),
				MaxRestarting: pol.throttle, Defaults: pol.defaults, Children: steady}},
			{Name: "all", Tree: &supervisor.Spec{Strategy: supervisor.OneForAll, Intensity: pol.intensity(len(all)),
				Defaults: pol.defaults, Children: all}},
			{Name: "chain", Tree: &supervisor.Spec{Strategy: supervisor.RestForOne, Intensity: pol.intensity(len(chain)),
				Budget:   supervisor.Budget{Burst: 20, Refill: time.Duration(float64(time.Second) / (2 * pol.perRate * float64(len(chain))))},
				Defaults: pol.defaults, Children: chain}},
			{Name: "grouped", Tree: groupedSpec(pol, grouped)},
			{Name: "nested", Tree: w.nestedSpec(pol, inner, deep)},
			{Name: "dyn", Tree: &supervisor.Spec{Strategy: supervisor.OneForOne,
				Intensity: supervisor.Intensity{MaxRestarts: 10, Period: time.Second}}},
		},
	}
	if first {
		// Commands restart any worker, and pause any but the two whose
		// failures are not the operator's to interrupt.
		walkWorkers(&spec, "", func(path string) {
			w.workers = append(w.workers, path)
			if path != "/nested/crash" && path != "/nested/hb" {
				w.pausable = append(w.pausable, path)
			}
		})
	}
	return spec
}

// flakyPool hands out the workload's flaky children in order, creating
// them on the first spec.
type flakyPool struct {
	w      *workload
	create bool
	next   int
}

// take returns the next n flaky children, named prefix0 to prefix<n-1>.
func (f *flakyPool) take(prefix string, n int) []supervisor.Child {
	w := f.w
	cs := make([]supervisor.Child, n)
	for i := range cs {
		if f.create {
			w.flaky = append(w.flaky, &flaky{w: w, rng: rand.New(rand.NewPCG(w.cfg.Seed, uint64(len(w.flaky))))})
		}
		cs[i] = supervisor.Child{Name: fmt.Sprintf("%s%d", prefix, i), Run: w.flaky[f.next].run}
		f.next++
	}
	return cs
}

// idles returns n idle children, named prefix0 to prefix<n-1>.
func (w *workload) idles(prefix string, n int) []supervisor.Child {
	cs := make([]supervisor.Child, n)
	for i := range cs {
		cs[i] = supervisor.Child{Name: fmt.Sprintf("%s%d", prefix, i), Run: w.idle.run}
	}
	return cs
}

// policy is what the scopes of the tree share, as a variant sets it.
type policy struct {
	backoff  supervisor.Backoff
	throttle int
	defaults supervisor.Defaults
	// perRate is how many times a second each flaky child fails.
	perRate float64
}

// policy returns the policies of variant, once every flaky child exists.
func (w *workload) policy(variant int) policy {
	p := policy{
		backoff: supervisor.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Jitter: 0.5,
			ResetAfter: 50 * time.Millisecond},
		throttle: 4,
		perRate:  w.cfg.FailRate / float64(len(w.flaky)),
	}
	if variant%2 == 1 {
		p.backoff.Max = 15 * time.Millisecond
		p.throttle = 6
	}
	p.defaults = supervisor.Defaults{Backoff: p.backoff, Shutdown: time.Second}
	return p
}

// intensity returns the intensity of a scope of members flaky children: ten
// times the failures they make, over one second, so that only a runaway
// (not a Poisson burst) can exhaust it.
func (p policy) intensity(members int) supervisor.Intensity {
	return supervisor.Intensity{MaxRestarts: max(20, int(math.Ceil(10*p.perRate*float64(members)))), Period: time.Second}
}

// groupedSpec returns the supervisor whose children form two groups of
// their own strategies, and three children in none.
func groupedSpec(pol policy, children []supervisor.Child) *supervisor.Spec {
	for i := range children {
		switch {
		case i < 4:
			children[i].Group = "ga"
		case i < 8:
			children[i].Group = "gb"
		}
	}
	return &supervisor.Spec{Strategy: supervisor.OneForOne, Intensity: pol.intensity(3),
		Groups: []supervisor.Group{
			{Name: "ga", Strategy: supervisor.OneForAll, Intensity: pol.intensity(4)},
			{Name: "gb", Strategy: supervisor.RestForOne, Intensity: pol.intensity(4), MaxRestarting: 2},
		},
		Defaults: pol.defaults, Children: children}
}

// nestedSpec returns the supervisor of the heartbeat, the crash loop and
// two levels of nested supervisors over inner and deep.
func (w *workload) nestedSpec(pol policy, inner, deep []supervisor.Child) *supervisor.Spec {
	return &supervisor.Spec{Strategy: supervisor.OneForOne, Intensity: pol.intensity(2),
		Defaults: supervisor.Defaults{Shutdown: time.Second},
		Children: []supervisor.Child{
			{Name: "n0", Run: w.idle.run},
			{Name: "hb", Run: w.heartbeat.run, Backoff: pol.backoff, Liveness: supervisor.Liveness{
				Interval: heartbeatInterval, StaleAfter: 5 * heartbeatInterval, OnStale: supervisor.StaleRestart}},
			{Name: "crash", Run: w.crash.run,
				Backoff:    supervisor.Backoff{Initial: 2 * time.Millisecond, Max: 20 * time.Millisecond},
				Quarantine: supervisor.Quarantine{After: 3, Within: 2 * time.Second, Probation: 500 * time.Millisecond}},
			{Name: "inner", Tree: &supervisor.Spec{Strategy: supervisor.RestForOne, Intensity: pol.intensity(len(inner)),
				Defaults: pol.defaults, Children: append(inner,
					supervisor.Child{Name: "deep", Tree: &supervisor.Spec{Strategy: supervisor.OneForAll,
						Intensity: pol.intensity(len(deep)), Defaults: pol.defaults, Children: deep}})}},
		}}
}

// walkWorkers calls f with the path of every worker of spec, depth first.
func walkWorkers(spec *supervisor.Spec, prefix string, f func(path string)) {
	for _, c := range spec.Children {
		path := prefix + "/" + c.Name
		if c.Tree != nil {
			walkWorkers(c.Tree, path, f)
			continue
		}
		f(path)
	}
}

// countChildren counts every child of spec, nested supervisors included,
// as Snapshot.Children lists them.
func countChildren(spec *supervisor.Spec) (supervisors, workers int) {
	for i := range spec.Children {
		if t := spec.Children[i].Tree; t != nil {
			s, w := countChildren(t)
			supervisors += 1 + s
			workers += w
			continue
		}
		workers++
	}
	return supervisors, workers
}

// end ends an attempt the way mode says, counting it in counts.
func end(ctx context.Context, mode exitMode, counts *[numExitModes]atomic.Uint64) error {
	counts[mode].Add(1)
	switch mode {
	case exitPanic:
		panic("soak: injected panic")
	case exitNormal:
		return nil
	case exitLinger:
		<-ctx.Done()
		return ctx.Err()
	default:
		return errInjected
	}
}

// pickFailure chooses how a flaky child fails: mostly errors, some panics,
// some normal exits (which a Permanent child is restarted after too).
func pickFailure(u float64) exitMode {
	switch {
	case u < 0.6:
		return exitError
	case u < 0.85:
		return exitPanic
	default:
		return exitNormal
	}
}

// flaky is a child that runs for an exponentially distributed time, with
// a mean that makes all flaky children together fail at FailRate, then
// fails. While the workload is calm it runs on.
type flaky struct {
	w   *workload
	mu  sync.Mutex
	rng *rand.Rand
}

// draw returns the next lifetime and a uniform number for the exit mode.
func (f *flaky) draw() (time.Duration, float64) {
	mean := float64(len(f.w.flaky)) / f.w.cfg.FailRate
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Duration(f.rng.ExpFloat64() * mean * float64(time.Second)), f.rng.Float64()
}

func (f *flaky) run(ctx context.Context) error {
	life, u := f.draw()
	t := time.NewTimer(life)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if !f.w.calm.Load() {
			return end(ctx, pickFailure(u), &f.w.injected)
		}
		life, u = f.draw()
		t.Reset(life)
	}
}

// crashLoop fails at once on every attempt, so that its restart limit
// quarantines it and its probation attempts fail again: a steady trickle
// of quarantines and probations. While calm it runs.
type crashLoop struct{ w *workload }

func (c *crashLoop) run(ctx context.Context) error {
	if !c.w.calm.Load() {
		return end(ctx, exitError, &c.w.injected)
	}
	<-ctx.Done()
	return ctx.Err()
}

// heartbeatInterval is the heartbeat child's reporting interval.
const heartbeatInterval = 50 * time.Millisecond

// heartbeat reports liveness, and now and then (every 2 s on average)
// falls silent so that its supervisor finds it stale and restarts it.
type heartbeat struct {
	w   *workload
	mu  sync.Mutex
	rng *rand.Rand
}

func (h *heartbeat) life() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Duration(h.rng.ExpFloat64() * float64(2*time.Second))
}

func (h *heartbeat) run(ctx context.Context) error {
	tick := time.NewTicker(heartbeatInterval / 2)
	defer tick.Stop()
	silent := time.NewTimer(h.life())
	defer silent.Stop()
	for {
		supervisor.Heartbeat(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		case <-silent.C:
			if h.w.calm.Load() {
				silent.Reset(h.life())
				continue
			}
			h.w.silences.Add(1)
			<-ctx.Done() // stale: the supervisor stops the attempt
			return ctx.Err()
		}
	}
}

// idle runs until stopped: the targets of pause, resume and restart.
type idle struct{}

func (idle) run(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// temp is a temporary child added at run time: it lives for a while, then
// ends as its mode says (a temporary child is removed whatever its exit),
// unless it is removed first.
type temp struct {
	w    *workload
	life time.Duration
	mode exitMode
}

func (t *temp) run(ctx context.Context) error {
	timer := time.NewTimer(t.life)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
	}
	return end(ctx, t.mode, &t.w.tempEnds)
}

// newTemp returns a temporary child with a fresh name, a lifetime of 20 ms
// to 2 s, and a random exit mode.
func (w *workload) newTemp(rng *rand.Rand) supervisor.Child {
	t := &temp{w: w,
		life: 20*time.Millisecond + time.Duration(rng.Int64N(int64(2*time.Second))),
		mode: exitMode(rng.IntN(int(numExitModes))),
	}
	return supervisor.Child{
		Name:     fmt.Sprintf("t%06d", w.tempSeq.Add(1)),
		Run:      t.run,
		Restart:  supervisor.Temporary,
		Shutdown: time.Second,
	}
}
