package sdnotify_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/sdnotify"
)

// A service run by systemd with Type=notify: systemd learns that it is
// ready once the tree has started, is kept alive by the watchdog while the
// tree's control loops answer, and sees the tree's state in systemctl
// status. Outside systemd, sdnotify.Run does nothing.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logger := slog.Default()
	tree, err := supervisor.Start(ctx, supervisor.Spec{
		Name:   "service",
		Logger: logger,
		Children: []supervisor.Child{
			{Name: "worker", Run: func(ctx context.Context) error {
				<-ctx.Done()
				return nil
			}},
		},
	})
	if err != nil {
		logger.Error("start", "err", err)
		os.Exit(1)
	}
	go sdnotify.Run(ctx, tree, sdnotify.Options{Logger: logger})
	if err := tree.Wait(); err != nil { // SIGTERM cancels ctx, which shuts the tree down
		logger.Error("tree ended", "err", err)
		os.Exit(1)
	}
}
