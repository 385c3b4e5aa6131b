// Command demo runs a small supervision tree on built-in defaults and prints
// what happens in it: ordered start with readiness, failures and restarts
// with backoff, a one_for_all group restart in a nested supervisor, operator
// commands with their audit records, and a clean four-stage shutdown with
// its report.
//
//	go run ./examples/demo            # about 6 seconds
//	go run ./examples/demo -duration 30s -state
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-supervisor/supervisor"
)

func main() {
	duration := flag.Duration("duration", 6*time.Second, "how long to run before shutting down")
	showState := flag.Bool("state", false, "print the tree's state every second")
	verbose := flag.Bool("v", false, "print every event, including routine ones")
	flag.Parse()
	if err := run(os.Stdout, *duration, *showState, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// lockedWriter lets the event printer and the main loop share the output.
// Each print builds its whole text first and writes it in one call.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func run(w io.Writer, duration time.Duration, showState, verbose bool) error {
	out := &lockedWriter{w: w}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	began := time.Now()
	tree, err := supervisor.Start(ctx, demoSpec())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "tree %s started in %v: %d children\n\n", tree.ID(),
		time.Since(began).Round(time.Millisecond), len(tree.Snapshot().Children))

	// Print events as they come: first those of the start, from the
	// journal, then the subscription's, skipping any seen twice.
	sub := tree.Subscribe(1024)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		var last uint64
		for _, e := range tree.Journal().Events {
			printEvent(out, began, e, verbose)
			last = e.Seq
		}
		for {
			e, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			if e.Seq > last || e.Kind == supervisor.EventsDropped {
				printEvent(out, began, e, verbose)
			}
		}
	}()

	operator := supervisor.Audit{Who: "demo-operator", Why: "showing the control API"}
	script := []struct {
		at time.Duration
		do func() error
	}{
		{2 * time.Second, func() error { return tree.PauseChild(ctx, "/workers/w3", operator) }},
		{3 * time.Second, func() error { return tree.ResumeChild(ctx, "/workers/w3", operator) }},
		{4 * time.Second, func() error { return tree.RestartChild(ctx, "/db", operator) }},
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(duration)
loop:
	for {
		next := time.Duration(1<<62 - 1)
		if len(script) > 0 {
			next = time.Until(began.Add(script[0].at))
		}
		select {
		case <-ctx.Done():
			break loop
		case <-deadline:
			break loop
		case <-tree.Done():
			break loop
		case <-time.After(next):
			if err := script[0].do(); err != nil {
				fmt.Fprintln(out, "command failed:", err)
			}
			script = script[1:]
		case <-tick.C:
			if showState {
				printState(out, tree.Snapshot())
			}
		}
	}

	fmt.Fprintln(out, "\nshutting down...")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	report, err := tree.Shutdown(sctx, supervisor.Audit{Who: "demo", Why: "demo finished"})
	<-printed
	printReport(out, report)
	return err
}

func idle(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// demoSpec is the tree the demo runs:
//
//	/             one_for_one
//	├── db        ready after a simulated connection
//	├── api       fails every 1.5s, restarted with exponential backoff
//	├── workers   nested, one_for_all
//	│   ├── w1
//	│   ├── w2    panics once, taking w1 and w3 with it
//	│   └── w3
//	└── report    a transient job that finishes after 2.5s
func demoSpec() supervisor.Spec {
	apiRuns := 0
	w2Runs := 0
	return supervisor.Spec{
		Name:      "demo",
		Intensity: supervisor.Intensity{MaxRestarts: 10, Period: 10 * time.Second},
		Children: []supervisor.Child{
			{Name: "db", Readiness: supervisor.ReadinessExplicit, Run: func(ctx context.Context) error {
				select { // connecting...
				case <-time.After(300 * time.Millisecond):
				case <-ctx.Done():
					return nil
				}
				supervisor.Ready(ctx)
				return idle(ctx)
			}},
			{Name: "api",
				Backoff: supervisor.Backoff{Initial: 200 * time.Millisecond, Max: 2 * time.Second, Jitter: 0.2},
				Run: func(ctx context.Context) error {
					apiRuns++
					select {
					case <-time.After(time.Duration(1000+rand.IntN(1000)) * time.Millisecond):
						return fmt.Errorf("upstream reset the connection (run %d)", apiRuns)
					case <-ctx.Done():
						return nil
					}
				}},
			{Name: "workers", Tree: &supervisor.Spec{
				Strategy: supervisor.OneForAll,
				Children: []supervisor.Child{
					{Name: "w1", Run: idle},
					{Name: "w2", Run: func(ctx context.Context) error {
						w2Runs++
						if w2Runs == 1 {
							select {
							case <-time.After(1200 * time.Millisecond):
								panic("w2: index out of range")
							case <-ctx.Done():
								return nil
							}
						}
						return idle(ctx)
					}},
					{Name: "w3", Run: idle},
				},
			}},
			{Name: "report", Restart: supervisor.Transient, Run: func(ctx context.Context) error {
				select {
				case <-time.After(2500 * time.Millisecond):
					return nil // done: transient children are not restarted after a normal exit
				case <-ctx.Done():
					return nil
				}
			}},
		},
	}
}

func printEvent(out io.Writer, began time.Time, e supervisor.Event, verbose bool) {
	switch e.Kind {
	case supervisor.EventChildRunning, supervisor.EventCommandAccepted, supervisor.EventShutdownDraining,
		supervisor.EventShutdownAborting, supervisor.EventShutdownReconciling:
		if !verbose {
			return
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%+7.3fs  %-20s %-12s", e.Time.Sub(began).Seconds(), e.Kind, e.Path)
	if e.Generation > 0 {
		fmt.Fprintf(&b, " gen=%d", e.Generation)
	}
	if e.Exit != supervisor.ExitNone {
		fmt.Fprintf(&b, " exit=%s", e.Exit)
	}
	if e.Err != nil {
		msg := fmt.Sprint(e.Err) // fmt survives an Error method that panics
		var pe *supervisor.PanicError
		if errors.As(e.Err, &pe) {
			msg = fmt.Sprint("panic: ", pe.Value)
		}
		fmt.Fprintf(&b, " err=%q", msg)
	}
	switch e.Kind {
	case supervisor.EventChildBackoff:
		fmt.Fprintf(&b, " delay=%v", e.Delay.Round(time.Millisecond))
	case supervisor.EventChildRestarting:
		if e.Reason != "" && e.Reason != e.Path {
			fmt.Fprintf(&b, " because %s failed", e.Reason)
		}
	case supervisor.EventShutdownCompleted:
		fmt.Fprintf(&b, " took=%v goroutines-left=%d", e.Delay.Round(time.Microsecond), e.Count)
	case supervisor.EventCommandCompleted:
		fmt.Fprintf(&b, " %s by %q (%s)", e.Command, e.Audit.Who, e.Audit.Why)
	}
	fmt.Fprintln(out, b.String())
}

func printState(out io.Writer, s supervisor.Snapshot) {
	var buf bytes.Buffer
	defer func() { out.Write(buf.Bytes()) }()
	w := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\n  PATH\tSTATE\tGEN\tRESTARTS\tLAST EXIT\n")
	for _, c := range s.Children {
		last := ""
		if c.LastExit.Class != supervisor.ExitNone {
			last = c.LastExit.Class.String()
		}
		fmt.Fprintf(w, "  %s\t%s\t%d\t%d\t%s\n", c.Path, c.State, c.Generation, c.Restarts, last)
	}
	w.Flush()
	fmt.Fprintln(&buf)
}

func printReport(out io.Writer, r *supervisor.ShutdownReport) {
	if r == nil {
		return
	}
	var buf bytes.Buffer
	defer func() { out.Write(buf.Bytes()) }()
	fmt.Fprintf(&buf, "\nshutdown report: %s, took %v, %d goroutines left\n", r.Cause, r.Duration.Round(time.Microsecond), r.GoroutinesLeft)
	w := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "  CHILD\tOUTCOME\tGEN\tSTOP TIME\n")
	for _, o := range r.Children {
		fmt.Fprintf(w, "  %s\t%s\t%d\t%v\n", o.Path, o.Outcome, o.Generation, o.Duration.Round(time.Microsecond))
	}
	w.Flush()
}
