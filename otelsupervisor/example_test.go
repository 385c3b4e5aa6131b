package otelsupervisor_test

import (
	"context"
	"fmt"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/otelsupervisor"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Wire an observer to OpenTelemetry SDK providers. In a program the providers
// would export to a collector (OTLP); here they keep everything in memory.
func Example() {
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = tp.Shutdown(ctx); _ = mp.Shutdown(ctx) }()

	tree, err := supervisor.Start(ctx, supervisor.Spec{Name: "example", Children: []supervisor.Child{
		{Name: "worker", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	obs, err := otelsupervisor.New(tree, otelsupervisor.Options{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- obs.Run(ctx) }() // returns when the tree ends

	// ... the program runs ...

	_, _ = tree.Shutdown(ctx, supervisor.Audit{Who: "example", Why: "done"})
	<-done
}
