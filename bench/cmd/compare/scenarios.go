package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-supervisor/supervisor"
)

// A scenario measures one or more figures in the current process. It runs
// in a fresh worker process each time.
type scenario struct {
	name string
	// subjects it runs against; nil means all of them.
	only []string
	run  func(s subject, cfg config) (map[string]float64, error)
}

// config scales the scenarios: full for the report, quick for CI.
type config struct {
	warmup, restarts int
	throughput       time.Duration
	sizes            []int
	groupRestarts    int
	dynamic          int
}

var (
	fullConfig  = config{warmup: 100000, restarts: 10000, throughput: 3 * time.Second, sizes: []int{10_000, 100_000}, groupRestarts: 300, dynamic: 10_000}
	quickConfig = config{warmup: 100, restarts: 1000, throughput: 200 * time.Millisecond, sizes: []int{1_000}, groupRestarts: 20, dynamic: 1_000}
)

func scenarios(cfg config) []scenario {
	out := []scenario{
		{name: "restart-latency", run: restartLatency},
		{name: "restart-throughput", run: restartThroughput},
	}
	peers := []string{"go-supervisor", "suture", "floor"}
	for _, n := range cfg.sizes {
		out = append(out, scenario{name: "idle-" + sizeName(n), only: peers, run: func(s subject, cfg config) (map[string]float64, error) {
			return idleChildren(s, n)
		}})
	}
	gosup := []string{"go-supervisor"}
	out = append(out,
		scenario{name: "one-for-all", only: gosup, run: oneForAll},
		scenario{name: "state", only: gosup, run: stateSnapshot},
		scenario{name: "event-delivery", only: gosup, run: eventDelivery},
		scenario{name: "add-remove", only: gosup, run: addRemove},
	)
	return out
}

func sizeName(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// nanotime reads the monotonic clock.
var epoch = time.Now()

func nanotime() int64 { return int64(time.Since(epoch)) }

// restartLatency: the child records the time just before it returns an
// error, and its next attempt records the time it starts running.
//
// The warm-up is long (100,000 restarts) and ends with a garbage
// collection. A young process allocates from pages it has never touched,
// or that the runtime has just given back to the OS, and the page faults
// (10 to 30 µs each on a virtual machine, for about 2% of the restarts)
// would be measured instead of the supervisors. A running service is past
// that point, and so are the measured restarts.
func restartLatency(s subject, cfg config) (map[string]float64, error) {
	total := cfg.warmup + cfg.restarts
	lat := make([]int64, 0, total)
	var exitAt int64
	done := make(chan struct{})
	body := func(ctx context.Context) error {
		now := nanotime()
		if exitAt != 0 {
			lat = append(lat, now-exitAt)
		}
		if len(lat) >= total {
			close(done)
			<-ctx.Done()
			return nil
		}
		if len(lat) == cfg.warmup {
			runtime.GC()
		}
		exitAt = nanotime()
		return errFail
	}
	stop, err := s.restarting(body)
	if err != nil {
		return nil, err
	}
	<-done
	stop()
	m := lat[cfg.warmup:]
	slices.Sort(m)
	at := func(p float64) float64 { return float64(m[int(p*float64(len(m)-1))]) }
	return map[string]float64{
		"restart_p50_ns": at(0.50),
		"restart_p90_ns": at(0.90),
		"restart_p99_ns": at(0.99),
	}, nil
}

// restartThroughput: the child fails at once, for cfg.throughput; the
// allocation counters cover the whole run, the supervisor's own included.
func restartThroughput(s subject, cfg config) (map[string]float64, error) {
	var stopping atomic.Bool
	var count int64 // attempts run one after another: no race
	var once sync.Once
	done := make(chan struct{})
	body := func(ctx context.Context) error {
		if stopping.Load() {
			once.Do(func() { close(done) })
			<-ctx.Done()
			return nil
		}
		count++
		return errFail
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	stop, err := s.restarting(body)
	if err != nil {
		return nil, err
	}
	time.Sleep(cfg.throughput)
	stopping.Store(true)
	<-done
	elapsed := time.Since(t0)
	runtime.ReadMemStats(&after)
	stop()
	n := float64(count)
	return map[string]float64{
		"restarts_per_sec":   n / elapsed.Seconds(),
		"bytes_per_restart":  float64(after.TotalAlloc-before.TotalAlloc) / n,
		"allocs_per_restart": float64(after.Mallocs-before.Mallocs) / n,
	}, nil
}

func heapAndStack() (heap, stack uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse
}

// idleChildren starts n children that run until stopped, measures the time
// until all of them run, what starting them allocated, the heap and stack
// they hold after GC, and the time to stop them all.
func idleChildren(s subject, n int) (map[string]float64, error) {
	var running atomic.Int64
	body := func(ctx context.Context) error {
		running.Add(1)
		<-ctx.Done()
		return nil
	}
	start := s.idle(n, body) // the declarations, not measured
	heap0, stack0 := heapAndStack()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	stop, err := start()
	if err != nil {
		return nil, err
	}
	for running.Load() < int64(n) {
		time.Sleep(50 * time.Microsecond)
	}
	started := time.Since(t0)
	runtime.ReadMemStats(&m1)
	time.Sleep(20 * time.Millisecond) // every child parked in <-ctx.Done()
	heap1, stack1 := heapAndStack()
	t1 := time.Now()
	stop()
	stopped := time.Since(t1)
	size := sizeName(n)
	return map[string]float64{
		"start_" + size + "_ms":              float64(started) / 1e6,
		"stop_" + size + "_ms":               float64(stopped) / 1e6,
		"start_alloc_" + size + "_B_child":   float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n),
		"mem_" + size + "_B_child":           (float64(heap1) - float64(heap0) + float64(stack1) - float64(stack0)) / float64(n),
		"mem_stack_" + size + "_B_child":     (float64(stack1) - float64(stack0)) / float64(n),
		"mem_heap_only_" + size + "_B_child": (float64(heap1) - float64(heap0)) / float64(n),
	}, nil
}

func medianDuration(ds []time.Duration) float64 {
	slices.Sort(ds)
	return float64(ds[len(ds)/2])
}

// oneForAll: one of 100 children fails; the 99 others are stopped in
// reverse order and all 100 started again in order. The figure is the time
// from the failure to the last child running again.
func oneForAll(_ subject, cfg config) (map[string]float64, error) {
	const n = 100
	fail := make(chan struct{})
	var running atomic.Int64
	restarted := make(chan struct{}, n)
	body := func(ctx context.Context) error {
		running.Add(1)
		restarted <- struct{}{}
		select {
		case <-ctx.Done():
			return nil
		case <-fail:
			return errFail
		}
	}
	cs := make([]supervisor.Child, n)
	for i := range cs {
		cs[i] = supervisor.Child{Name: "c" + strconv.Itoa(i), Run: body}
	}
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{
		Strategy:  supervisor.OneForAll,
		Intensity: supervisor.Intensity{MaxRestarts: math.MaxInt32, Period: time.Second},
		Children:  cs,
	})
	if err != nil {
		return nil, err
	}
	defer tree.Shutdown(context.Background(), stopAudit)
	for range n {
		<-restarted
	}
	ds := make([]time.Duration, 0, cfg.groupRestarts)
	for range cfg.groupRestarts {
		t0 := time.Now()
		fail <- struct{}{}
		for range n {
			<-restarted
		}
		ds = append(ds, time.Since(t0))
	}
	return map[string]float64{"one_for_all_100_us": medianDuration(ds) / 1e3}, nil
}

func idleTree(n int) (*supervisor.Tree, error) {
	cs := make([]supervisor.Child, n)
	for i := range cs {
		cs[i] = supervisor.Child{Name: "c" + strconv.Itoa(i), Run: func(ctx context.Context) error {
			<-ctx.Done()
			return nil
		}}
	}
	return supervisor.Start(context.Background(), supervisor.Spec{Children: cs})
}

// stateSnapshot: Tree.Snapshot of a 10,000-child tree.
func stateSnapshot(_ subject, cfg config) (map[string]float64, error) {
	n := cfg.dynamic
	tree, err := idleTree(n)
	if err != nil {
		return nil, err
	}
	defer tree.Shutdown(context.Background(), stopAudit)
	ds := make([]time.Duration, 0, 50)
	for range 50 {
		t0 := time.Now()
		if s := tree.Snapshot(); len(s.Children) != n {
			return nil, fmt.Errorf("state has %d children, want %d", len(s.Children), n)
		}
		ds = append(ds, time.Since(t0))
	}
	return map[string]float64{"state_" + sizeName(n) + "_ms": medianDuration(ds) / 1e6}, nil
}

// eventDelivery: events one subscriber receives per second from a child
// restarting in a loop, and the share it missed.
func eventDelivery(_ subject, cfg config) (map[string]float64, error) {
	var stopping atomic.Bool
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: math.MaxInt32, Period: time.Second},
		Children: []supervisor.Child{{Name: "c", Run: func(ctx context.Context) error {
			if stopping.Load() {
				<-ctx.Done()
				return nil
			}
			return errFail
		}}},
	})
	if err != nil {
		return nil, err
	}
	sub := tree.Subscribe(1 << 16)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.throughput)
	defer cancel()
	var received float64
	t0 := time.Now()
	for {
		if _, err := sub.Next(ctx); err != nil {
			break
		}
		received++
	}
	elapsed := time.Since(t0)
	stopping.Store(true)
	dropped := float64(sub.Dropped())
	sub.Close()
	tree.Shutdown(context.Background(), stopAudit)
	return map[string]float64{
		"events_per_sec":       received / elapsed.Seconds(),
		"events_dropped_share": dropped / (received + dropped),
	}, nil
}

// addRemove: AddChild then RemoveChild of 10,000 dynamic children, one at a
// time through the control loop.
func addRemove(_ subject, cfg config) (map[string]float64, error) {
	n := cfg.dynamic
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{})
	if err != nil {
		return nil, err
	}
	defer tree.Shutdown(context.Background(), stopAudit)
	ctx := context.Background()
	audit := supervisor.Audit{Who: "compare", Why: "dynamic children"}
	idle := func(ctx context.Context) error { <-ctx.Done(); return nil }
	t0 := time.Now()
	for i := range n {
		if err := tree.AddChild(ctx, "/", supervisor.Child{Name: "d" + strconv.Itoa(i), Run: idle}, audit); err != nil {
			return nil, err
		}
	}
	added := time.Since(t0)
	t1 := time.Now()
	for i := range n {
		if err := tree.RemoveChild(ctx, "/d"+strconv.Itoa(i), audit); err != nil {
			return nil, err
		}
	}
	removed := time.Since(t1)
	size := sizeName(n)
	return map[string]float64{
		"add_" + size + "_us_per_op":    float64(added) / float64(n) / 1e3,
		"remove_" + size + "_us_per_op": float64(removed) / float64(n) / 1e3,
	}, nil
}
