// Command soak drives a real supervision tree for a long time and measures
// whether it leaks: memory, goroutines, file descriptors, events or
// answers to commands.
//
//	go run ./soak -duration 1h
//	go run ./soak -duration 60s -out /tmp/soak60
//
// The tree has nested supervisors under every strategy, about 50 children
// that fail and panic at a steady rate (-fail-rate), control commands at
// a steady rate (-cmd-rate: restart, pause and resume, add and remove of
// temporary children, Check, and Apply every -apply-every), and four
// subscribers, one of them deliberately slow. Every -interval the soak
// samples RSS, the heap, goroutines and open file descriptors; each
// subscriber checks that the event sequence has no gap that a drop notice
// does not account for. After a warm-up, and again at the end, it calms
// the workload and counts goroutines with the tree in its declared shape;
// it then shuts the tree down and checks that nothing is left.
//
// It writes report.md, report.json (every sample included) and report.png
// (RSS and goroutines over time) to -out, and exits 0 if every limit
// passed, 1 if one failed (naming it), 2 on a usage error. SIGINT ends the
// workload early; the report is still written. A second SIGINT exits at
// once.
//
// verdict.go explains how runs shorter than -rss-min-window are judged.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	os.Exit(soakMain(os.Args[1:], os.Stdout, os.Stderr))
}

// soakMain runs the soak for the command line args and returns the exit
// status.
func soakMain(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "soak:", err)
		return 2
	}

	// The first SIGINT or SIGTERM ends the workload; the second exits at
	// once. The goroutine lives as long as the process, so that the
	// goroutine count the soak compares does not change when a signal
	// arrives.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(stderr, "soak: interrupted: stopping the workload and writing the report (interrupt again to exit at once)")
		cancel()
		<-sig
		os.Exit(130)
	}()

	r, err := run(ctx, cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 1
	}
	dir, _ := filepath.Abs(cfg.Out)
	fmt.Fprintf(stdout, "soak: report written to %s\n", dir)
	for _, c := range r.Verdict.Checks {
		fmt.Fprintf(stdout, "  %-4s  %-34s %s\n", strings.ToUpper(string(c.Status)), c.Name, c.Measured)
	}
	if !r.Verdict.Pass {
		fmt.Fprintf(stdout, "soak: FAIL: %s\n", strings.Join(r.Verdict.Failed, "; "))
		return 1
	}
	fmt.Fprintln(stdout, "soak: PASS")
	return 0
}
