package supervisor_test

import (
	"context"
	"testing"

	"github.com/go-supervisor/supervisor"
)

func BenchmarkZZStart10k(b *testing.B) {
	for b.Loop() {
		spec := idleSpec(10000)
		tree, err := supervisor.Start(context.Background(), spec)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		tree.Shutdown(context.Background(), audit)
		b.StartTimer()
	}
}
