package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/benchkit"
)

var errBench = errors.New("bench: fail")

// BenchmarkRestart measures back-to-back restarts of one child that fails at
// once (see benchkit.Restart): ns/op is the cost of one restart, and the
// p50/p90/p99 metrics its latency.
func BenchmarkRestart(b *testing.B) { benchkit.Restart(b, nil, nil) }

func idleSpec(n int) supervisor.Spec {
	cs := make([]supervisor.Child, n)
	for i := range cs {
		cs[i] = supervisor.Child{Name: "c" + strconv.Itoa(i), Run: func(ctx context.Context) error {
			<-ctx.Done()
			return nil
		}}
	}
	return supervisor.Spec{Children: cs}
}

func heapAndStack() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// BenchmarkIdleChildren starts and stops trees of idle children. It reports
// the time to start and to stop them all, and the memory each child costs
// (heap and stack after GC, divided by N).
func BenchmarkIdleChildren(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			spec := idleSpec(n)
			var startNs, stopNs, mem float64
			for b.Loop() {
				before := heapAndStack()
				t0 := time.Now()
				tree, err := supervisor.Start(context.Background(), spec)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				// Let every child reach <-ctx.Done(), so that the memory
				// is that of idle children.
				for tree.Snapshot().Counts[supervisor.StateRunning] != n {
					runtime.Gosched()
				}
				time.Sleep(10 * time.Millisecond)
				mem += float64(heapAndStack()-before) / float64(n)
				t2 := time.Now()
				if _, err := tree.Shutdown(context.Background(), supervisor.Audit{Who: "bench", Why: "done"}); err != nil {
					b.Fatal(err)
				}
				stopNs += float64(time.Since(t2))
				startNs += float64(t1.Sub(t0))
			}
			runs := float64(b.N)
			b.ReportMetric(startNs/runs/1e6, "ms-start")
			b.ReportMetric(stopNs/runs/1e6, "ms-stop")
			b.ReportMetric(mem/runs, "B/child")
		})
	}
}

// BenchmarkSnapshot takes snapshots of a tree of 10,000 children.
func BenchmarkSnapshot(b *testing.B) {
	tree, err := supervisor.Start(context.Background(), idleSpec(10_000))
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), supervisor.Audit{Who: "bench", Why: "done"})
	b.ReportAllocs()
	for b.Loop() {
		if s := tree.Snapshot(); len(s.Children) != 10_000 {
			b.Fatal(len(s.Children))
		}
	}
}

// BenchmarkAddRemoveChild adds a child to a running tree and removes it.
func BenchmarkAddRemoveChild(b *testing.B) {
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), supervisor.Audit{Who: "bench", Why: "done"})
	a := supervisor.Audit{Who: "bench", Why: "add/remove"}
	ch := supervisor.Child{Name: "c", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := tree.AddChild(ctx, "/", ch, a); err != nil {
			b.Fatal(err)
		}
		if err := tree.RemoveChild(ctx, "/c", a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOneForAll measures a group restart of 100 children: one fails,
// the 99 others are stopped in reverse order, then all 100 start again.
func BenchmarkOneForAll(b *testing.B) {
	const n = 100
	fail := make(chan struct{})
	restarted := make(chan struct{}, n)
	spec := idleSpec(n)
	spec.Strategy = supervisor.OneForAll
	spec.Intensity = supervisor.Intensity{MaxRestarts: 1 << 40, Period: time.Second}
	for i := range spec.Children {
		spec.Children[i].Run = func(ctx context.Context) error {
			restarted <- struct{}{}
			select {
			case <-ctx.Done():
				return nil
			case <-fail:
				return errBench
			}
		}
	}
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), supervisor.Audit{Who: "bench", Why: "done"})
	for range n {
		<-restarted
	}
	b.ReportAllocs()
	for b.Loop() {
		fail <- struct{}{} // one child takes it and fails
		for range n {
			<-restarted
		}
	}
}

// BenchmarkEventDelivery measures how fast one subscriber receives events
// from a restarting child.
func BenchmarkEventDelivery(b *testing.B) {
	stop := make(chan struct{})
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: 1 << 40, Period: time.Second},
		Children: []supervisor.Child{{Name: "c", Run: func(ctx context.Context) error {
			select {
			case <-stop:
				<-ctx.Done()
				return nil
			default:
				return errBench
			}
		}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	sub := tree.Subscribe(1 << 16)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := sub.Next(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(sub.Dropped())/float64(b.N), "dropped/op")
	sub.Close()
	tree.Shutdown(context.Background(), supervisor.Audit{Who: "bench", Why: "done"})
}

// BenchmarkApply measures Tree.Apply on a tree of 1,000 children: a spec
// that changes nothing (the cost of the diff and the update command), and
// one that changes the backoff of every child (policies swapped in place).
func BenchmarkApply(b *testing.B) {
	idle := func(ctx context.Context) error { <-ctx.Done(); return nil }
	spec := func(initial time.Duration) supervisor.Spec {
		s := supervisor.Spec{Children: make([]supervisor.Child, 1000)}
		for i := range s.Children {
			s.Children[i] = supervisor.Child{Name: "c" + strconv.Itoa(i), Run: idle,
				Backoff: supervisor.Backoff{Initial: initial}}
		}
		return s
	}
	audit := supervisor.Audit{Who: "bench", Why: "apply"}
	for _, bc := range []struct {
		name string
		next func(i int) supervisor.Spec
	}{
		{"unchanged", func(int) supervisor.Spec { return spec(time.Second) }},
		{"every-policy", func(i int) supervisor.Spec { return spec(time.Duration(i%2+1) * time.Second) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tree, err := supervisor.Start(context.Background(), spec(time.Second))
			if err != nil {
				b.Fatal(err)
			}
			defer tree.Shutdown(context.Background(), audit)
			specs := []supervisor.Spec{bc.next(0), bc.next(1)}
			for i := 0; b.Loop(); i++ {
				if _, err := tree.Apply(context.Background(), specs[i%2], audit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
