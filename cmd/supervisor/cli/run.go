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
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/flightrec"
	"github.com/go-supervisor/supervisor/internal/textfmt"
	"github.com/go-supervisor/supervisor/ipc"
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
	ipc     string
}

func (f *runFlags) declare(fs *flag.FlagSet) {
	fs.DurationVar(&f.status, "status-every", 0,
		"also print the status table at this interval, such as 30s (0: at start and after a reload only)")
	fs.DurationVar(&f.timeout, "shutdown-timeout", 0,
		"bound the whole shutdown: children still running after it are abandoned (0: each child's own budget)")
	fs.BoolVar(&f.verbose, "v", false, "also print routine events (starting, running, shutdown phases)")
	fs.StringVar(&f.traces, "trace-dir", "",
		"keep a runtime/trace flight recorder and write its window to this directory on a restart storm (off by default)")
	fs.StringVar(&f.ipc, "ipc", "",
		"serve the tree on this Unix socket for supervisor ctl and the dashboard's relay (the file's ipc section, with this path)")
	fs.StringVar(&f.http, "metrics-addr", "",
		"serve the health endpoints (/livez, /readyz, /state, /journal) and Prometheus /metrics on this address, such as 127.0.0.1:9090")
}

func (f *runFlags) check() error {
	switch {
	case f.status < 0:
		return fmt.Errorf("--status-every %s must not be negative: use 0 for no periodic status", textfmt.Duration(f.status))
	case f.timeout < 0:
		return fmt.Errorf("--shutdown-timeout %s must not be negative: use 0 for the children's own budgets",
			textfmt.Duration(f.timeout))
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
	spec, logs, settings, err := c.loadForRun(path, f.ipc != "", out)
	if err != nil {
		fmt.Fprintln(c.Stderr, errorText(err))
		return ExitInvalid
	}
	spec.Logger = out.logger // every event, as a log record

	// Before the start, so that a bad directory, address or socket fails
	// at once.
	ln, code := c.prepare(f)
	if code != ExitOK {
		return code
	}
	if ln != nil {
		defer ln.Close()
	}
	sock, code := c.bindIPC(settings.IPC, f.ipc)
	if code != ExitOK {
		return code
	}
	sigs, stopSignals := c.signals()
	defer stopSignals()
	// Start's context is the tree's: cancelling it during the start stops
	// what has started; afterwards a signal goes through Shutdown instead.
	treeCtx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	tree, code := c.start(treeCtx, interrupt, spec, path, sigs, out)
	if tree == nil {
		if sock != nil {
			sock.Close()
		}
		return code
	}
	out.status("started "+path, tree)
	if ln != nil {
		defer serve(tree, ln, out)()
	}
	if f.traces != "" {
		defer c.recordTraces(tree, f.traces, out)()
	}
	defer c.notifySystemd(tree, out)()
	c.supervise(tree, spec, path, f, sigs, out, sock, logs)
	return c.ended(tree, out)
}

// loadForRun loads the config file for run. If the tree is served over
// IPC (ipc says so, or the file's ipc section), out's logger also keeps
// log records for its clients (logs), and the file is loaded with it, so
// that its process children log through it; otherwise logs is nil.
func (c *cmd) loadForRun(path string, ipcFlag bool, out *output) (supervisor.Spec, *ipc.Logs, config.Settings, error) {
	spec, settings, err := c.loader(out.logger).LoadAll(path)
	if err != nil || (!ipcFlag && settings.IPC == nil) {
		return spec, nil, settings, err
	}
	logs := ipc.NewLogs(0, 0)
	out.logger = slog.New(logs.Handler(out.logger.Handler()))
	spec, settings, err = c.loader(out.logger).LoadAll(path) // again, for its children's logger
	return spec, logs, settings, err
}

// prepare checks the trace directory and listens on the metrics address,
// if the flags ask for them, and returns the listener; a code other than
// ExitOK says it could not, as it has reported.
func (c *cmd) prepare(f runFlags) (net.Listener, int) {
	if f.traces != "" {
		if fi, err := os.Stat(f.traces); err != nil || !fi.IsDir() {
			fmt.Fprintf(c.Stderr, "%s run: --trace-dir %s is not a directory\n", c.Name, f.traces)
			return nil, ExitUsage
		}
	}
	if f.http == "" {
		return nil, ExitOK
	}
	ln, err := net.Listen("tcp", f.http)
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s run: --metrics-addr: %v\n", c.Name, err)
		return nil, ExitUsage
	}
	return ln, ExitOK
}

// signals returns the signals run obeys: Options.Signals, or the process's
// SIGINT, SIGTERM and SIGHUP until stop is called.
func (c *cmd) signals() (sigs <-chan os.Signal, stop func()) {
	if c.Signals != nil {
		return c.Signals, func() {}
	}
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}

// serve serves the health endpoints and Prometheus metrics of tree on ln,
// and returns the function that stops serving and waits for the metrics
// to have counted the tree's end.
func serve(tree *supervisor.Tree, ln net.Listener, out *output) (stop func()) {
	metrics := promsupervisor.New(tree)
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		metrics.Run(context.Background()) // until the tree ends
	}()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/", supervisorhttp.Handler(tree))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	out.logger.Info("serving health endpoints and metrics", "addr", ln.Addr().String())
	return func() {
		srv.Close()
		<-counted
	}
}

// recordTraces keeps a flight recorder of tree writing to dir, and returns
// the function that waits for it to end with the tree.
func (c *cmd) recordTraces(tree *supervisor.Tree, dir string, out *output) (wait func()) {
	traced := make(chan error, 1)
	go func() {
		traced <- flightrec.Run(context.Background(), tree, flightrec.Options{Dir: dir, Logger: out.logger})
	}()
	return func() {
		if err := <-traced; err != nil {
			fmt.Fprintf(c.Stderr, "%s: --trace-dir: %v\n", c.Name, err)
		}
	}
}

// notifySystemd sends systemd READY=1, the watchdog, STATUS= and
// STOPPING=1, when run by a unit of Type=notify (nothing otherwise), and
// returns the function that waits for it to end with the tree.
func (c *cmd) notifySystemd(tree *supervisor.Tree, out *output) (wait func()) {
	notified := make(chan error, 1)
	go func() { notified <- sdnotify.Run(context.Background(), tree, sdnotify.Options{Logger: out.logger}) }()
	return func() {
		if err := <-notified; err != nil {
			fmt.Fprintf(c.Stderr, "%s: systemd notify: %v\n", c.Name, err)
		}
	}
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
// It prints the plan first (Diff from last, the spec the tree runs), then
// applies it, whose events follow, then the status; it returns the new
// spec, which the tree runs since. If the running tree differed from last (a temporary child that
// ended and went away), or some steps failed, it says what was carried
// out.
func (c *cmd) reload(ctx context.Context, tree *supervisor.Tree, path string, last supervisor.Spec, audit supervisor.Audit,
	out *output) reloadResult {
	spec, err := c.loadReload(path, out)
	if err != nil {
		return reloadResult{err: err}
	}
	planned, err := supervisor.Diff(last, spec)
	if err != nil { // a change a running tree cannot take: Apply would refuse it
		out.logger.Error("reload: not applied, nothing changed", "file", path, "error", err)
		return reloadResult{err: err}
	}
	planned = fileTerms(planned)
	out.plan(path, planned)
	applied, err := tree.Apply(ctx, spec, audit)
	if applied == nil { // refused: nothing changed
		out.logger.Error("reload: not applied, nothing changed", "file", path, "error", err)
		return reloadResult{err: err}
	}
	applied = fileTerms(applied)
	switch {
	case err != nil:
		out.logger.Error("reload: some changes failed", "file", path, "plan", applied, "error", err.Error())
	case applied.String() != planned.String():
		out.logger.Info("reload: the running tree differed from the file's last version; carried out", "file", path,
			"plan", applied)
	}
	out.status("after reload", tree)
	return reloadResult{plan: applied, err: err, spec: &spec}
}

// reloadResult is what a reload did: the plan it applied, or why not, and
// the spec the tree runs since, if it applied one.
type reloadResult struct {
	plan *supervisor.Plan
	err  error
	spec *supervisor.Spec
}

// loadReload loads the config file for a reload, with the output of its
// process children to out; if it has problems, it reports them and
// returns them.
func (c *cmd) loadReload(path string, out *output) (supervisor.Spec, error) {
	spec, err := c.load(path, out.logger)
	// The parser's memory goes back to the system at once: reloads are
	// rare, and a long-running supervisor keeps no parse's peak (nor adds
	// one to the next: docs/config.md#limits).
	debug.FreeOSMemory()
	if err == nil {
		spec.Logger = out.logger
		return spec, nil
	}
	if out.json {
		out.logger.Error("reload: the file has problems, nothing changed", "file", path, "problems", problems(err))
	} else {
		out.logger.Error("reload: the file has problems, nothing changed (listed on stderr)", "file", path,
			"problems", len(problems(err)))
		fmt.Fprintln(c.Stderr, errorText(err))
	}
	return spec, err
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
		out.logger.Info("stopped", "cause", r.Cause, "duration", textfmt.Duration(r.Duration.Round(time.Millisecond)),
			"children", len(r.Children), "abandoned", abandoned, "goroutines_left", r.GoroutinesLeft, "exit_code", code)
	}
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: the tree ended: %v\n", c.Name, err)
	}
	return code
}
