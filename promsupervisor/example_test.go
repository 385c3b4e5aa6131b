package promsupervisor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/promsupervisor"
	"github.com/prometheus/client_golang/prometheus"
)

// A worker fails once and is restarted; the collector counts the restart.
// In a program, serve reg with promhttp.HandlerFor.
func Example() {
	ctx := context.Background()
	fail, restarted := make(chan struct{}), make(chan struct{})
	runs := 0
	tree, err := supervisor.Start(ctx, supervisor.Spec{Name: "example", Children: []supervisor.Child{
		{Name: "worker", Run: func(ctx context.Context) error {
			if runs++; runs == 1 {
				<-fail
				return errors.New("transient failure")
			}
			close(restarted)
			<-ctx.Done()
			return nil
		}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	col := promsupervisor.New(tree)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- col.Run(runCtx) }()
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)

	close(fail) // the worker's first attempt fails
	<-restarted
	_ = col.Sync(ctx) // let the collector count what happened so far
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "supervisor_restarts_total" {
			for _, m := range mf.GetMetric() {
				fmt.Print(mf.GetName())
				for _, l := range m.GetLabel() {
					fmt.Printf(" %s=%q", l.GetName(), l.GetValue())
				}
				fmt.Println("", m.GetCounter().GetValue())
			}
		}
	}

	stop()
	<-done
	_, _ = tree.Shutdown(ctx, supervisor.Audit{Who: "example", Why: "done"})
	// Output:
	// supervisor_restarts_total exit="abnormal" path="/worker" 1
}
