package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-supervisor/supervisor"
)

// op is a kind of control command.
type op uint8

const (
	opRestart op = iota
	opPause
	opResume
	opAdd
	opRemove
	opCheck
	opApply
	// Commands the quiet measurement issues to bring the tree back to its
	// declared shape, kept apart from the workload's.
	opSettleResume
	opSettleRemove
	numOps
)

// opNames names the commands in the report.
func opNames() [numOps]string {
	return [numOps]string{"restart", "pause", "resume", "add", "remove", "check", "apply",
		"settle-resume", "settle-remove"}
}

// outcome is how a command was answered.
type outcome uint8

const (
	outOK      outcome = iota // answered, nil
	outTyped                  // answered with one of the library's typed errors
	outTimeout                // not answered within CmdTimeout (or a control loop did not answer Check)
	outUntyped                // answered with an error the API does not document
	numOutcomes
)

// classify sorts a command's error into an outcome, with the name of the
// typed error for the report.
func classify(err error) (outcome, string) {
	var (
		start *supervisor.StartError
		apply *supervisor.ApplyError
	)
	switch {
	case err == nil:
		return outOK, ""
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled): // Check's *OpError wraps them too
		return outTimeout, "no answer"
	case errors.Is(err, supervisor.ErrNotFound):
		return outTyped, "ErrNotFound"
	case errors.Is(err, supervisor.ErrNotRunning):
		return outTyped, "ErrNotRunning"
	case errors.Is(err, supervisor.ErrAlreadyExists):
		return outTyped, "ErrAlreadyExists"
	case errors.Is(err, supervisor.ErrShuttingDown):
		return outTyped, "ErrShuttingDown"
	case errors.Is(err, supervisor.ErrNotSupervisor):
		return outTyped, "ErrNotSupervisor"
	case errors.Is(err, supervisor.ErrInvalidPath):
		return outTyped, "ErrInvalidPath"
	case errors.Is(err, supervisor.ErrInvalidAudit):
		return outTyped, "ErrInvalidAudit"
	case errors.As(err, &start):
		return outTyped, "*StartError"
	case errors.As(err, &apply):
		return outTyped, "*ApplyError"
	}
	return outUntyped, "untyped"
}

// opStats is one command kind's tally.
type opStats struct {
	outcomes [numOutcomes]uint64
	errs     map[string]uint64 // typed errors by name: a handful of keys
	lat      latencyHist
	// firstUntyped keeps the text of the first unexpected error.
	firstUntyped string
}

// commandLog records every command: its outcome and latency. It is safe for
// concurrent use; its size does not depend on how many commands it records.
type commandLog struct {
	mu     sync.Mutex
	ops    [numOps]opStats
	issued atomic.Uint64
}

func newCommandLog() *commandLog {
	l := &commandLog{}
	for i := range l.ops {
		l.ops[i].errs = make(map[string]uint64)
	}
	return l
}

// do issues one command: it calls f with a context bounded by timeout and
// records how and how fast it was answered.
func (l *commandLog) do(k op, timeout time.Duration, f func(ctx context.Context) error) error {
	l.issued.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	began := time.Now()
	err := f(ctx)
	took := time.Since(began)
	out, name := classify(err)
	l.mu.Lock()
	s := &l.ops[k]
	s.outcomes[out]++
	if name != "" {
		s.errs[name]++
	}
	if out == outUntyped && s.firstUntyped == "" {
		s.firstUntyped = err.Error()
	}
	s.lat.record(took)
	l.mu.Unlock()
	return err
}

// audit is the record every command of the soak carries.
func audit(why string) supervisor.Audit { return supervisor.Audit{Who: "soak", Why: why} }

// driver issues the workload's control commands: several workers at
// CmdRate in all, each pausing and resuming, adding and removing its own
// temporary children, restarting and probing, and one Apply loop.
type driver struct {
	cfg  config
	tree *supervisor.Tree
	w    *workload
	log  *commandLog
}

// run issues commands until ctx is done. generation distinguishes the
// random streams of successive runs of the driver.
func (d *driver) run(ctx context.Context, generation uint64) {
	var wg sync.WaitGroup
	for i := range d.cfg.CmdWorkers {
		rng := rand.New(rand.NewPCG(d.cfg.Seed^0xc0ffee, generation<<16|uint64(i)))
		wg.Go(func() { d.worker(ctx, rng) })
	}
	if d.cfg.ApplyEvery > 0 {
		wg.Go(func() { d.applier(ctx) })
	}
	wg.Wait()
}

// Limits of what one worker keeps out of service at a time.
const (
	maxPausedPerWorker = 3
	maxTempsPerWorker  = 8
)

// worker issues one command per tick. What it paused or added is its
// own to resume or remove; what it leaves behind when stopped, the quiet
// measurement puts back (see settle).
func (d *driver) worker(ctx context.Context, rng *rand.Rand) {
	period := time.Duration(float64(time.Second) * float64(d.cfg.CmdWorkers) / d.cfg.CmdRate)
	tick := time.NewTicker(period)
	defer tick.Stop()
	var paused, temps []string
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		k := pickOp(rng.IntN(100))
		switch {
		case k == opPause && len(paused) >= maxPausedPerWorker:
			k = opResume
		case k == opResume && len(paused) == 0:
			k = opPause
		case k == opAdd && len(temps) >= maxTempsPerWorker:
			k = opRemove
		case k == opRemove && len(temps) == 0:
			k = opAdd
		}
		switch k {
		case opRestart:
			path := d.w.workers[rng.IntN(len(d.w.workers))]
			d.log.do(k, d.cfg.CmdTimeout, func(ctx context.Context) error {
				return d.tree.RestartChild(ctx, path, audit("restart"))
			})
		case opPause:
			path := d.w.pausable[rng.IntN(len(d.w.pausable))]
			if d.log.do(k, d.cfg.CmdTimeout, func(ctx context.Context) error {
				return d.tree.PauseChild(ctx, path, audit("pause"))
			}) == nil {
				paused = append(paused, path)
			}
		case opResume:
			path := paused[0]
			paused = paused[1:]
			d.log.do(k, d.cfg.CmdTimeout, func(ctx context.Context) error {
				return d.tree.ResumeChild(ctx, path, audit("resume"))
			})
		case opAdd:
			c := d.w.newTemp(rng)
			if d.log.do(k, d.cfg.CmdTimeout, func(ctx context.Context) error {
				return d.tree.AddChild(ctx, dynParent, c, audit("add"))
			}) == nil {
				temps = append(temps, dynParent+"/"+c.Name)
			}
		case opRemove:
			path := temps[0]
			temps = temps[1:]
			d.log.do(k, d.cfg.CmdTimeout, func(ctx context.Context) error {
				return d.tree.RemoveChild(ctx, path, audit("remove"))
			})
		case opCheck:
			d.log.do(k, d.cfg.CmdTimeout, d.tree.Check)
		}
	}
}

// pickOp maps a percentile to a command: the mix of the workload.
func pickOp(p int) op {
	switch {
	case p < 25:
		return opRestart
	case p < 40:
		return opPause
	case p < 55:
		return opResume
	case p < 75:
		return opAdd
	case p < 95:
		return opRemove
	default:
		return opCheck
	}
}

// applier reconfigures the tree every ApplyEvery, alternating between two
// variants of its spec that differ in policies only, so that each Apply
// updates children in place (and removes the temporary children, which
// the spec does not declare).
func (d *driver) applier(ctx context.Context) {
	tick := time.NewTicker(d.cfg.ApplyEvery)
	defer tick.Stop()
	variant := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		variant++
		spec := d.w.spec(variant)
		d.log.do(opApply, d.cfg.CmdTimeout, func(ctx context.Context) error {
			_, err := d.tree.Apply(ctx, spec, audit("apply"))
			return err
		})
	}
}
