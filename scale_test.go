package supervisor_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Scaling tests in the manner of OTP's supervisor_SUITE. A phase run on a
// tree 100 times larger may take at most 12 times longer per child: linear
// code stays far below, quadratic code (an O(N) step per child) is 100
// times slower per child and fails. They measure real time, so they take
// the best of several runs (the first large run also pays for fresh memory)
// and that generous factor: they check complexity, not speed
// (docs/performance.md has the speed). -short skips them.

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("scaling tests measure real time")
	}
}

// checkScale fails if the per-child time of the large run exceeds factor
// times that of the small one.
func checkScale(t *testing.T, phase string, factor float64, small, large int, tSmall, tLarge time.Duration) {
	t.Helper()
	perSmall := float64(tSmall) / float64(small)
	perLarge := float64(tLarge) / float64(large)
	t.Logf("%s: %d in %v (%.0f ns each), %d in %v (%.0f ns each): %.1f×", phase, small, tSmall, perSmall,
		large, tLarge, perLarge, perLarge/perSmall)
	if perLarge > factor*perSmall {
		t.Errorf("%s does not scale: %.0f ns per child at %d, %.0f at %d (more than %.0f×)",
			phase, perLarge, large, perSmall, small, factor)
	}
}

// bestPair runs run(n) runs times and returns the best of each of its two
// durations.
func bestPair(runs, n int, run func(n int) (time.Duration, time.Duration)) (time.Duration, time.Duration) {
	a, b := run(n)
	for range runs - 1 {
		x, y := run(n)
		a, b = min(a, x), min(b, y)
	}
	return a, b
}

func best(runs int, f func() time.Duration) time.Duration {
	b := time.Duration(1<<63 - 1)
	for range runs {
		b = min(b, f())
	}
	return b
}

// Start and stop many idle children: 1k, then 100k (OTP:
// scale_start_stop_many_children).
func TestScaleStartStop(t *testing.T) {
	skipShort(t)
	small, large := 1_000, 100_000
	run := func(n int) (start, stop time.Duration) {
		spec := idleSpec(n)
		t0 := time.Now()
		tree, err := supervisor.Start(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		start = time.Since(t0)
		t1 := time.Now()
		if _, err := tree.Shutdown(context.Background(), audit); err != nil {
			t.Fatal(err)
		}
		return start, time.Since(t1)
	}
	s1, p1 := bestPair(3, small, run)
	s2, p2 := bestPair(2, large, run) // the first run pays for fresh memory
	checkScale(t, "start", 12, small, large, s1, s2)
	checkScale(t, "stop", 12, small, large, p1, p2)
}

// Many temporary children exit and are removed: 1k, then 100k (OTP:
// simple_one_for_one_scale_many_temporary_children). They leave in
// declaration order, each releasing the next, which is the worst case for a
// supervisor that would shift the remaining children on each removal.
func TestScaleTemporaryExits(t *testing.T) {
	skipShort(t)
	run := func(n int) time.Duration {
		next := make([]chan struct{}, n+1)
		for i := range next {
			next[i] = make(chan struct{})
		}
		cs := make([]supervisor.Child, n)
		for i := range cs {
			cs[i] = supervisor.Child{Name: "t" + strconv.Itoa(i), Restart: supervisor.Temporary,
				Run: func(ctx context.Context) error {
					select {
					case <-next[i]:
						close(next[i+1])
					case <-ctx.Done():
					}
					return nil
				}}
		}
		tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: cs})
		if err != nil {
			t.Fatal(err)
		}
		defer tree.Shutdown(context.Background(), audit)
		sub := tree.Subscribe(4 * n)
		defer sub.Close()
		t0 := time.Now()
		close(next[0])
		for removed := 0; removed < n; {
			e, err := sub.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			switch e.Kind {
			case supervisor.EventChildRemoved:
				removed++
			case supervisor.EventsDropped:
				t.Fatalf("dropped %d events", e.Count)
			}
		}
		d := time.Since(t0)
		if got := len(tree.Snapshot().Children); got != 0 {
			t.Fatalf("%d children left", got)
		}
		return d
	}
	small := best(3, func() time.Duration { return run(1_000) })
	large := best(2, func() time.Duration { return run(100_000) })
	checkScale(t, "temporary exits", 12, 1_000, 100_000, small, large)
}

// Memory stays bounded whatever the failure rate, with every restart
// protection on (issue 4, point 10): the heap retained after 60,000
// restarts is what it was after 10,000. A structure that kept one entry
// per restart (a list of failure times, a growing queue) would retain
// 50,000 entries more, at least 400 KB.
func TestBoundedMemoryUnderFailures(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var failures, limit atomic.Int64
		var gate atomic.Pointer[chan struct{}]
		open := func(n int64) {
			limit.Store(n)
			g := make(chan struct{})
			if old := gate.Swap(&g); old != nil {
				close(*old)
			}
		}
		open(10_000)
		run := func(ctx context.Context) error {
			if failures.Add(1) <= limit.Load() {
				return errBoom
			}
			select {
			case <-ctx.Done():
				return nil
			case <-*gate.Load():
				return errBoom
			}
		}
		lots := supervisor.Intensity{MaxRestarts: 1 << 20, Period: time.Hour}
		child := func(name, group string) supervisor.Child {
			return supervisor.Child{Name: name, Run: run, Group: group, Role: supervisor.RoleWorker,
				Backoff:    supervisor.Backoff{Off: true},
				Quarantine: supervisor.Quarantine{After: 1 << 20, Within: time.Hour},
				Liveness:   supervisor.Liveness{Interval: time.Hour}}
		}
		tree, _ := start(t, supervisor.Spec{
			Intensity:     lots,
			Budget:        supervisor.Budget{Burst: 1 << 20, Refill: time.Second},
			MaxRestarting: 2,
			Groups:        []supervisor.Group{{Name: "g", Strategy: supervisor.OneForAll, Intensity: lots, MaxRestarting: 1}},
			Children:      []supervisor.Child{child("a", ""), child("b", ""), child("c", "g"), child("d", "g")},
		})
		heap := func() uint64 {
			settle()
			var m runtime.MemStats
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&m)
			return m.HeapAlloc
		}
		restarts := func() (n uint64) {
			for _, c := range tree.Snapshot().Children {
				n += c.Restarts
			}
			return n
		}
		h1, r1 := heap(), restarts()
		open(60_000)
		h2, r2 := heap(), restarts()
		t.Logf("%d restarts: heap %d B; %d restarts: heap %d B", r1, h1, r2, h2)
		if r2-r1 < 45_000 {
			t.Fatalf("only %d restarts between the samples", r2-r1)
		}
		if h2 > h1 && h2-h1 > 128<<10 {
			t.Errorf("heap grew by %d B over %d restarts", h2-h1, r2-r1)
		}
	})
}

// Add and remove many dynamic children one at a time, with AddChild and
// RemoveChild (OTP: simple_one_for_one_scale_many_temporary_children, which
// starts them with start_child): 1k, then 100k. Every control command is
// O(1) in the number of children; a scan of the siblings on each add made
// 100k adds take 24 s.
func TestScaleDynamicChildren(t *testing.T) {
	skipShort(t)
	small, large := 1_000, 100_000
	run := func(n int) (add, remove time.Duration) {
		tree, err := supervisor.Start(context.Background(), supervisor.Spec{})
		if err != nil {
			t.Fatal(err)
		}
		defer tree.Shutdown(context.Background(), audit)
		names := make([]string, n)
		for i := range names {
			names[i] = "c" + strconv.Itoa(i)
		}
		t0 := time.Now()
		for _, name := range names {
			if err := tree.AddChild(context.Background(), "/", supervisor.Child{Name: name, Restart: supervisor.Temporary, Run: supervisortest.Idle}, audit); err != nil {
				t.Fatal(err)
			}
		}
		add = time.Since(t0)
		t1 := time.Now()
		for _, name := range names {
			if err := tree.RemoveChild(context.Background(), "/"+name, audit); err != nil {
				t.Fatal(err)
			}
		}
		return add, time.Since(t1)
	}
	a1, r1 := bestPair(3, small, run)
	a2, r2 := bestPair(2, large, run)
	checkScale(t, "add", 12, small, large, a1, a2)
	checkScale(t, "remove", 12, small, large, r1, r2)
}
