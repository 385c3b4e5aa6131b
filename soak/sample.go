package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/go-supervisor/supervisor"
)

// phase is the part of the run a sample was taken in.
type phase uint8

const (
	phaseWarmup phase = iota // settling: not measured
	phaseSettle              // a quiet measurement is under way (see settle)
	phaseSteady              // measured: the window the limits are judged on
	phaseEnd                 // the final quiet measurement
	numPhases
)

func (p phase) String() string {
	return [numPhases]string{"warmup", "settle", "steady", "end"}[min(p, numPhases-1)]
}

// MarshalText implements encoding.TextMarshaler.
func (p phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, so that report.json
// reads back.
func (p *phase) UnmarshalText(b []byte) error {
	for q := range numPhases {
		if q.String() == string(b) {
			*p = q
			return nil
		}
	}
	return fmt.Errorf("unknown phase %q", b)
}

// sample is one reading of the process and the run's counters.
type sample struct {
	// T is the time since the workload started, in seconds.
	T     float64 `json:"t"`
	Phase phase   `json:"phase"`
	// RSS is the resident set size, RSSFile its file-backed part (the
	// binary's pages, mostly); RSSOK is false where they are unavailable.
	RSS     uint64 `json:"rss_bytes"`
	RSSFile uint64 `json:"rss_file_bytes"`
	RSSOK   bool   `json:"rss_ok"`
	// HeapObjects is the memory occupied by heap objects, live or not yet
	// swept; HeapLive the heap marked live by the last GC.
	HeapObjects uint64 `json:"heap_objects_bytes"`
	HeapLive    uint64 `json:"heap_live_bytes"`
	// Stacks is the memory of goroutine stacks; GoMapped all the memory
	// the Go runtime has mapped, less what it has released to the OS: the
	// part of RSS the runtime accounts for.
	Stacks     uint64 `json:"stacks_bytes"`
	GoMapped   uint64 `json:"go_mapped_bytes"`
	Goroutines int    `json:"goroutines"`
	// FDs is the number of open file descriptors, -1 where unavailable.
	FDs int `json:"fds"`
	// CPU is the process's CPU time so far in seconds, -1 where
	// unavailable.
	CPU      float64 `json:"cpu_seconds"`
	GCCycles uint64  `json:"gc_cycles"`

	// Seq is the tree's last event so far; Restarts the restarts (events)
	// the fast subscriber has seen; Exits the exits the static children
	// made on their own (failures and normal exits, all restarted).
	Seq      uint64 `json:"seq"`
	Restarts uint64 `json:"restarts"`
	Exits    uint64 `json:"exits"`
	// Dropped and Gaps sum every subscriber's counters.
	Dropped  uint64 `json:"dropped"`
	Gaps     uint64 `json:"gaps"`
	Commands uint64 `json:"commands"`
	// Children is how many children the tree has, Live how many run.
	Children int `json:"children"`
	Live     int `json:"live"`
}

// Names of the runtime metrics a sample reads.
const (
	metricHeapObjects = "/memory/classes/heap/objects:bytes"
	metricHeapLive    = "/gc/heap/live:bytes"
	metricGCCycles    = "/gc/cycles/total:gc-cycles"
	metricStacks      = "/memory/classes/heap/stacks:bytes"
	metricTotal       = "/memory/classes/total:bytes"
	metricReleased    = "/memory/classes/heap/released:bytes"
)

// sampler reads a sample every interval into storage allocated, and
// touched, before the run starts, so that the soak's own bookkeeping does
// not show up as growth in what it measures.
type sampler struct {
	start time.Time
	tree  *supervisor.Tree
	w     *workload
	subs  *subscribers
	cmds  *commandLog
	phase atomic.Uint32

	metrics []metrics.Sample
	samples []sample // the sampler goroutine's until it stops
}

// newSampler returns a sampler with room for the samples of a run of
// duration d at interval i, and for two quiet measurements of the longest
// duration.
func newSampler(d, i time.Duration) *sampler {
	n := int((d+2*settleTimeout)/i) + 16
	all := make([]sample, n)
	for k := range all {
		all[k].FDs = -1 // touch every page now
	}
	s := &sampler{samples: all[:0], metrics: []metrics.Sample{
		{Name: metricHeapObjects}, {Name: metricHeapLive}, {Name: metricGCCycles},
		{Name: metricStacks}, {Name: metricTotal}, {Name: metricReleased},
	}}
	return s
}

// setPhase records the phase the next samples belong to.
func (s *sampler) setPhase(p phase) { s.phase.Store(uint32(p)) }

// run samples every interval until ctx is done, then returns the samples.
func (s *sampler) run(ctx context.Context, interval time.Duration) []sample {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	s.samples = append(s.samples, s.take())
	for {
		select {
		case <-ctx.Done():
			s.samples = append(s.samples, s.take())
			return s.samples
		case <-tick.C:
			s.samples = append(s.samples, s.take())
		}
	}
}

// take reads one sample.
func (s *sampler) take() sample {
	metrics.Read(s.metrics)
	x := sample{
		T:          time.Since(s.start).Seconds(),
		Phase:      phase(s.phase.Load()),
		Goroutines: runtime.NumGoroutine(),
		FDs:        -1,
		CPU:        -1,
	}
	var total, released uint64
	for _, m := range s.metrics {
		if m.Value.Kind() != metrics.KindUint64 {
			continue
		}
		switch v := m.Value.Uint64(); m.Name {
		case metricStacks:
			x.Stacks = v
		case metricTotal:
			total = v
		case metricReleased:
			released = v
		case metricHeapObjects:
			x.HeapObjects = v
		case metricHeapLive:
			x.HeapLive = v
		case metricGCCycles:
			x.GCCycles = v
		}
	}
	x.GoMapped = total - min(released, total)
	x.RSS, x.RSSFile, x.RSSOK = readRSS()
	if n, ok := countFDs(); ok {
		x.FDs = n
	}
	if d, ok := cpuTime(); ok {
		x.CPU = d.Seconds()
	}
	if s.tree != nil {
		snap := s.tree.Snapshot()
		x.Seq, x.Children = snap.Seq, len(snap.Children)
		for _, c := range snap.Children {
			if c.State.Live() {
				x.Live++
			}
		}
	}
	if s.w != nil {
		for i := range s.w.injected {
			if exitMode(i) != exitLinger {
				x.Exits += s.w.injected[i].Load()
			}
		}
	}
	if s.subs != nil {
		x.Restarts = s.subs.fast.restarts.Load()
		x.Dropped, x.Gaps, _ = s.subs.totals()
	}
	if s.cmds != nil {
		x.Commands = s.cmds.issued.Load()
	}
	return x
}
