package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-supervisor/supervisor"
)

// runFlags are run's flags besides --json.
type runFlags struct {
	status  time.Duration
	timeout time.Duration
	verbose bool
}

func (f *runFlags) declare(fs *flag.FlagSet) {
	fs.DurationVar(&f.status, "status-every", 0,
		"also print the status table at this interval (0: at start, on reload and at the end only)")
	fs.DurationVar(&f.timeout, "shutdown-timeout", 0,
		"bound the whole shutdown: children still running after it are abandoned (0: each child's own budget)")
	fs.BoolVar(&f.verbose, "v", false, "also print routine events (starting, running, shutdown phases)")
}

// run starts the tree described by path and supervises it until it ends.
func (c *cmd) run(path string, jsonOut bool, f runFlags) int {
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	out := newOutput(c.Stdout, jsonOut, level)
	spec, err := c.load(path, out.logger)
	if err != nil {
		fmt.Fprintln(c.Stderr, err)
		return ExitInvalid
	}
	spec.Logger = out.logger // every event, as a log record

	sigs := c.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(ch)
		sigs = ch
	}
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: %s did not start: %v\n", c.Name, path, err)
		return ExitStart
	}
	out.status("started "+path, tree.State())

	var tick <-chan time.Time
	if f.status > 0 {
		t := time.NewTicker(f.status)
		defer t.Stop()
		tick = t.C
	}
	var (
		shutdownDone <-chan struct{}
		abort        context.CancelFunc
	)
loop:
	for {
		select {
		case sig := <-sigs:
			switch {
			case sig == syscall.SIGHUP:
				c.reload(tree, path, out)
			case shutdownDone == nil:
				out.logger.Info("shutting down", "signal", sig.String())
				ctx, cancel := context.WithCancel(context.Background())
				if f.timeout > 0 {
					ctx, cancel = context.WithTimeout(context.Background(), f.timeout)
				}
				abort = cancel
				done := make(chan struct{})
				shutdownDone = done
				go func() {
					defer close(done)
					tree.Shutdown(ctx, supervisor.Audit{Who: c.Name, Why: "signal " + sig.String()})
				}()
			default:
				out.logger.Warn("second signal: abandoning what still runs", "signal", sig.String())
				abort()
			}
		case <-tick:
			out.status("status", tree.State())
		case <-tree.Done():
			break loop
		}
	}
	if shutdownDone != nil {
		<-shutdownDone
		abort()
	}
	return c.ended(tree, out)
}

// reload applies the config file to the running tree, or reports why not.
func (c *cmd) reload(tree *supervisor.Tree, path string, out *output) {
	spec, err := c.load(path, out.logger)
	if err != nil {
		out.logger.Error("reload: the file has problems, nothing changed", "file", path, "problems", problems(err))
		if !out.json {
			fmt.Fprintln(c.Stderr, err)
		}
		return
	}
	spec.Logger = out.logger
	plan, err := tree.Apply(context.Background(), spec, supervisor.Audit{Who: c.Name, Why: "SIGHUP: reload " + path})
	if plan == nil { // refused: nothing changed
		out.logger.Error("reload: not applied, nothing changed", "file", path, "error", err)
		return
	}
	if out.json {
		out.logger.Info("reload", "file", path, "plan", plan, "error", errorString(err))
	} else {
		out.mu.Lock()
		fmt.Fprintf(out.w, "── reload %s: %d changes\n%s", path, len(plan.Changes), plan)
		out.mu.Unlock()
		if err != nil {
			out.logger.Error("reload: some changes failed", "error", err)
		}
	}
	out.status("after reload", tree.State())
}

// ended reports how the tree ended and returns the exit code.
func (c *cmd) ended(tree *supervisor.Tree, out *output) int {
	err := tree.Wait()
	r := tree.Report()
	code := ExitOK
	var ae *supervisor.AbandonedError
	switch {
	case err == nil:
	case errors.As(err, &ae):
		code = ExitAbandoned
	default:
		code = ExitFailed
	}
	if r != nil {
		abandoned := 0
		for _, o := range r.Children {
			if o.Outcome == supervisor.OutcomeAbandoned {
				abandoned++
			}
		}
		if abandoned > 0 && code == ExitOK {
			code = ExitAbandoned
		}
		out.logger.Info("stopped", "cause", r.Cause, "duration", r.Duration.Round(time.Millisecond).String(),
			"children", len(r.Children), "abandoned", abandoned, "goroutines_left", r.GoroutinesLeft, "exit_code", code)
	}
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: the tree ended: %v\n", c.Name, err)
	}
	return code
}

func errorString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
