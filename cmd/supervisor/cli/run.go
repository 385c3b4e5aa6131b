package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/flightrec"
	"github.com/go-supervisor/supervisor/promsupervisor"
	"github.com/go-supervisor/supervisor/sdnotify"
	"github.com/go-supervisor/supervisor/supervisorhttp"
)

// runFlags are run's flags besides --json.
type runFlags struct {
	status  time.Duration
	timeout time.Duration
	verbose bool
	http    string
	traces  string
}

func (f *runFlags) declare(fs *flag.FlagSet) {
	fs.DurationVar(&f.status, "status-every", 0,
		"also print the status table at this interval, such as 30s (0: at start and after a reload only)")
	fs.DurationVar(&f.timeout, "shutdown-timeout", 0,
		"bound the whole shutdown: children still running after it are abandoned (0: each child's own budget)")
	fs.BoolVar(&f.verbose, "v", false, "also print routine events (starting, running, shutdown phases)")
	fs.StringVar(&f.traces, "trace-dir", "",
		"keep a runtime/trace flight recorder and write its window to this directory on a restart storm (off by default)")
	fs.StringVar(&f.http, "metrics-addr", "",
		"serve the health endpoints (/livez, /readyz, /state, /journal) and Prometheus /metrics on this address, such as 127.0.0.1:9090")
}

func (f *runFlags) check() error {
	switch {
	case f.status < 0:
		return fmt.Errorf("--status-every %v must not be negative: use 0 for no periodic status", f.status)
	case f.timeout < 0:
		return fmt.Errorf("--shutdown-timeout %v must not be negative: use 0 for the children's own budgets", f.timeout)
	}
	return nil
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

	// Before the start, so that a bad directory or address fails at once.
	if f.traces != "" {
		if fi, err := os.Stat(f.traces); err != nil || !fi.IsDir() {
			fmt.Fprintf(c.Stderr, "%s run: --trace-dir %s is not a directory\n", c.Name, f.traces)
			return ExitUsage
		}
	}
	var ln net.Listener
	if f.http != "" {
		if ln, err = net.Listen("tcp", f.http); err != nil {
			fmt.Fprintf(c.Stderr, "%s run: --metrics-addr: %v\n", c.Name, err)
			return ExitUsage
		}
		defer ln.Close()
	}

	sigs := c.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(ch)
		sigs = ch
	}
	// Start's context is the tree's: cancelling it during the start stops
	// what has started; afterwards a signal goes through Shutdown instead.
	treeCtx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	tree, code := c.start(treeCtx, interrupt, spec, path, sigs, out)
	if tree == nil {
		return code
	}
	out.status("started "+path, tree.Snapshot())
	if ln != nil {
		metrics := promsupervisor.New(tree)
		counted := make(chan struct{})
		go func() {
			defer close(counted)
			metrics.Run(context.Background()) // until the tree ends
		}()
		defer func() { <-counted }()
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		mux := http.NewServeMux()
		mux.Handle("/", supervisorhttp.Handler(tree))
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		out.logger.Info("serving health endpoints and metrics", "addr", ln.Addr().String())
	}
	if f.traces != "" {
		traced := make(chan error, 1)
		go func() {
			traced <- flightrec.Run(context.Background(), tree, flightrec.Options{Dir: f.traces, Logger: out.logger})
		}()
		defer func() {
			if err := <-traced; err != nil {
				fmt.Fprintf(c.Stderr, "%s: --trace-dir: %v\n", c.Name, err)
			}
		}()
	}
	// systemd: READY=1, the watchdog, STATUS= and STOPPING=1, when run by
	// a unit of Type=notify (nothing otherwise).
	notified := make(chan error, 1)
	go func() { notified <- sdnotify.Run(context.Background(), tree, sdnotify.Options{Logger: out.logger}) }()
	defer func() {
		if err := <-notified; err != nil {
			fmt.Fprintf(c.Stderr, "%s: systemd notify: %v\n", c.Name, err)
		}
	}()

	var tick <-chan time.Time
	if f.status > 0 {
		t := time.NewTicker(f.status)
		defer t.Stop()
		tick = t.C
	}
	// Reloads run beside the loop, so that a signal is never kept waiting
	// by a child slow to start; they stop waiting once a shutdown begins.
	applyCtx, stopApplying := context.WithCancel(context.Background())
	defer stopApplying()
	var (
		shutdownDone <-chan struct{}
		abort        context.CancelFunc
		reloading    <-chan struct{}
		again        bool // another SIGHUP came during a reload
	)
	reload := func() {
		done := make(chan struct{})
		reloading = done
		go func() {
			defer close(done)
			c.reload(applyCtx, tree, path, out)
		}()
	}
loop:
	for {
		select {
		case sig := <-sigs:
			switch {
			case sig == syscall.SIGHUP && shutdownDone != nil:
				out.logger.Warn("SIGHUP during shutdown: not reloaded")
			case sig == syscall.SIGHUP && reloading != nil:
				again = true
				out.logger.Info("SIGHUP during a reload: reloading again after it")
			case sig == syscall.SIGHUP:
				reload()
			case shutdownDone == nil:
				out.logger.Info("shutting down", "signal", sig.String())
				stopApplying()
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
		case <-reloading:
			reloading = nil
			if again && shutdownDone == nil {
				again = false
				reload()
			}
		case <-tick:
			out.status("status", tree.Snapshot())
		case <-tree.Done():
			break loop
		}
	}
	stopApplying()
	if reloading != nil {
		<-reloading
	}
	if shutdownDone != nil {
		<-shutdownDone
		abort()
	}
	return c.ended(tree, out)
}

// start starts the tree with ctx. A signal during the start cancels ctx,
// which stops what has started: the tree is then nil, and so it is if the
// start failed, with the exit code.
func (c *cmd) start(ctx context.Context, interrupt context.CancelFunc, spec supervisor.Spec, path string,
	sigs <-chan os.Signal, out *output) (*supervisor.Tree, int) {
	type result struct {
		tree *supervisor.Tree
		err  error
	}
	started := make(chan result, 1)
	go func() {
		t, err := supervisor.Start(ctx, spec)
		started <- result{t, err}
	}()
	interrupted := ""
	for {
		select {
		case r := <-started:
			switch {
			case r.err == nil:
				return r.tree, ExitOK
			case interrupted != "":
				out.logger.Info("stopped", "cause", "signal "+interrupted+" during the start", "exit_code", ExitOK)
				return nil, ExitOK
			}
			fmt.Fprintf(c.Stderr, "%s: %s did not start: %v\n", c.Name, path, r.err)
			out.logger.Info("stopped", "cause", "the start failed", "exit_code", ExitStart)
			return nil, ExitStart
		case sig := <-sigs:
			switch {
			case sig == syscall.SIGHUP:
				out.logger.Warn("SIGHUP during the start: not reloaded; send it again once the tree has started")
			case interrupted == "":
				interrupted = sig.String()
				out.logger.Info("signal during the start: stopping what has started", "signal", interrupted)
				interrupt()
			}
		}
	}
}

// reload applies the config file to the running tree, or reports why not.
func (c *cmd) reload(ctx context.Context, tree *supervisor.Tree, path string, out *output) {
	spec, err := c.load(path, out.logger)
	if err != nil {
		if out.json {
			out.logger.Error("reload: the file has problems, nothing changed", "file", path, "problems", problems(err))
		} else {
			out.logger.Error("reload: the file has problems, nothing changed (listed on stderr)", "file", path,
				"problems", len(problems(err)))
			fmt.Fprintln(c.Stderr, err)
		}
		return
	}
	spec.Logger = out.logger
	plan, err := tree.Apply(ctx, spec, supervisor.Audit{Who: c.Name, Why: "SIGHUP: reload " + path})
	if plan == nil { // refused: nothing changed
		out.logger.Error("reload: not applied, nothing changed", "file", path, "error", err)
		return
	}
	plan = fileTerms(plan)
	if out.json {
		attrs := []any{"file", path, "plan", plan}
		if err != nil { // a field that does not apply is absent
			attrs = append(attrs, "error", err.Error())
		}
		out.logger.Info("reload", attrs...)
	} else {
		out.mu.Lock()
		fmt.Fprintf(out.w, "── reload %s: %s\n%s", path, plural(len(plan.Changes), "change"), plan)
		out.mu.Unlock()
		if err != nil {
			out.logger.Error("reload: some changes failed", "error", err)
		}
	}
	out.status("after reload", tree.Snapshot())
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
		out.logger.Info("stopped", "cause", r.Cause, "duration", config.Duration(r.Duration.Round(time.Millisecond)).String(),
			"children", len(r.Children), "abandoned", abandoned, "goroutines_left", r.GoroutinesLeft, "exit_code", code)
	}
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: the tree ended: %v\n", c.Name, err)
	}
	return code
}
