package promsupervisor_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/benchkit"
	"github.com/go-supervisor/supervisor/promsupervisor"
	"github.com/go-supervisor/supervisor/sdnotify"
)

// BenchmarkRestartAllAdapters is BenchmarkRestart (package supervisor) with
// every adapter on: a Logger (JSON to io.Discard), the Prometheus
// collector counting every event, and sdnotify (a no-op outside systemd,
// as here). The supervisor never waits for them: each reads its own
// subscription, so the restart path stays within the core's targets.
func BenchmarkRestartAllAdapters(b *testing.B) {
	var stop []func()
	benchkit.Restart(b, func(s *supervisor.Spec) {
		s.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}, func(tree *supervisor.Tree) {
		ctx, cancel := context.WithCancel(context.Background())
		c := promsupervisor.New(tree)
		done := make(chan struct{}, 2)
		go func() { c.Run(ctx); done <- struct{}{} }()
		go func() { sdnotify.Run(ctx, tree, sdnotify.Options{}); done <- struct{}{} }()
		stop = append(stop, func() { cancel(); <-done; <-done })
	})
	for _, f := range stop {
		f()
	}
}
