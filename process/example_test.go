//go:build linux

package process_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/process"
)

// A program as a supervised child: the tree starts it, waits for its
// ready line before starting the next sibling, forwards its output to the
// logger, and stops it with SIGTERM on shutdown.
func Example() {
	// Log the program's lines without the time and pid, which change.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "pid" {
				return slog.Attr{}
			}
			return a
		},
	}))
	db := &process.Command{
		Path:   "/bin/sh",
		Args:   []string{"-c", `echo "listening on $PORT"; exec sleep 60`},
		Env:    []string{"PORT=${DB_PORT:-5432}"},
		Ready:  process.Ready{Line: "^listening"},
		Logger: logger,
	}
	ctx := context.Background()
	tree, err := supervisor.Start(ctx, supervisor.Spec{
		Children: []supervisor.Child{
			db.Child("db"),
			{Name: "api", Run: func(ctx context.Context) error {
				<-ctx.Done() // starts once db is ready
				return nil
			}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := tree.Shutdown(ctx, supervisor.Audit{Who: "example", Why: "done"})
	if err != nil {
		fmt.Println(err)
	}
	for _, o := range report.Children {
		fmt.Println(o.Path, o.Outcome, o.Exit)
	}
	// Output:
	// level=INFO msg="listening on 5432" path=/db stream=stdout
	// /api graceful stopped
	// /db graceful stopped
}
