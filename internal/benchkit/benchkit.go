// Package benchkit holds benchmark bodies shared by packages, so that the
// core's benchmarks and the adapters' measure the same thing.
package benchkit

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
)

var errBench = errors.New("bench: fail")

// Restart measures b.N back-to-back restarts of one child that fails at
// once: ns/op is the cost of one restart (the inverse of throughput),
// allocs/op and B/op are per restart, events included, and the p50/p90/p99
// metrics are the restart latency: from the moment the child returns its
// error to the moment its next attempt runs. configure may change the spec
// (add a Logger, say) and attach may attach to the tree before the
// restarts start (a metrics collector, say); both may be nil.
func Restart(b *testing.B, configure func(*supervisor.Spec), attach func(*supervisor.Tree)) {
	lat := make([]int64, 0, b.N)
	base := time.Now()
	var exitAt int64
	done := make(chan struct{})
	begin := make(chan struct{})
	body := func(ctx context.Context) error {
		if exitAt == 0 {
			<-begin // attached
		}
		now := int64(time.Since(base))
		if exitAt != 0 {
			lat = append(lat, now-exitAt)
		}
		if len(lat) >= b.N {
			close(done)
			<-ctx.Done()
			return nil
		}
		exitAt = int64(time.Since(base))
		return errBench
	}
	spec := supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: 1 << 40, Period: time.Second},
		Children:  []supervisor.Child{{Name: "c", Run: body}},
	}
	if configure != nil {
		configure(&spec)
	}
	b.ReportAllocs()
	b.ResetTimer()
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		b.Fatal(err)
	}
	if attach != nil {
		attach(tree)
	}
	close(begin)
	<-done
	b.StopTimer()
	tree.Shutdown(context.Background(), supervisor.Audit{Who: "bench", Why: "done"})
	ReportPercentiles(b, lat, "restart")
}

// ReportPercentiles reports the p50, p90 and p99 of lat, in nanoseconds per
// unit.
func ReportPercentiles(b *testing.B, lat []int64, unit string) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) }
	b.ReportMetric(at(0.50), "ns-p50/"+unit)
	b.ReportMetric(at(0.90), "ns-p90/"+unit)
	b.ReportMetric(at(0.99), "ns-p99/"+unit)
}
