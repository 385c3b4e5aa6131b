// Package flightrec keeps a runtime/trace flight recorder running beside a
// tree and writes its window to a file when the tree has a restart storm:
// a supervisor exceeding its intensity or escalating, a group quarantined,
// or a child quarantined by its restart limit. The trace shows what every
// goroutine did in the seconds before (go tool trace FILE). It is off
// unless a program calls Run: a flight recorder costs a few percent of CPU.
package flightrec

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/trace"
	"time"

	"github.com/go-supervisor/supervisor"
)

// Options configure Run. Dir is required.
type Options struct {
	// Dir is where snapshots are written, as
	// "<tree id>-<event seq>-<event kind>.trace".
	Dir string
	// MinAge and MaxBytes size the recorder's window (see
	// trace.FlightRecorderConfig); zero leaves the runtime's defaults.
	MinAge   time.Duration
	MaxBytes uint64
	// Every is the least time between two snapshots, so that a storm
	// writes one file, not hundreds. Zero means DefaultEvery.
	Every time.Duration
	// Logger records the start, and each snapshot written or failed. Nil
	// discards.
	Logger *slog.Logger
}

// DefaultEvery is the default least time between two snapshots.
const DefaultEvery = time.Minute

// Run starts a flight recorder and writes a snapshot of it for each
// restart storm in tree, at most one per Options.Every, until the tree
// ends (it returns nil) or ctx is done (ctx.Err()). It fails at once if
// Dir is not a directory or a flight recorder is already active in the
// process (the runtime allows one).
func Run(ctx context.Context, tree *supervisor.Tree, opts Options) error {
	if fi, err := os.Stat(opts.Dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("flightrec: Options.Dir %q is not a directory: %v", opts.Dir, err)
	}
	every := opts.Every
	if every <= 0 {
		every = DefaultEvery
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: opts.MinAge, MaxBytes: opts.MaxBytes})
	if err := fr.Start(); err != nil {
		return fmt.Errorf("flightrec: %w", err)
	}
	defer fr.Stop()
	sub := tree.Subscribe(0)
	defer sub.Close()
	log.Info("flight recorder started", "dir", opts.Dir)
	var last time.Time
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			return ctx.Err()
		}
		if !storm(&e) || (!last.IsZero() && e.Time.Sub(last) < every) {
			continue
		}
		last = e.Time
		path := filepath.Join(opts.Dir, fmt.Sprintf("%s-%d-%s.trace", tree.ID(), e.Seq, e.Kind))
		if err := snapshot(fr, path); err != nil {
			log.Error("flight recorder snapshot failed", "path", path, "error", err.Error())
			continue
		}
		log.Warn("flight recorder snapshot written", "path", path, "trigger", e.Kind.String(), "at", e.Path)
	}
}

// storm reports whether e marks a restart storm.
func storm(e *supervisor.Event) bool {
	switch e.Kind {
	case supervisor.EventIntensityExceeded, supervisor.EventEscalated, supervisor.EventGroupQuarantined:
		return true
	case supervisor.EventChildQuarantined:
		return e.Rule == "quarantine" // its restart limit, not an operator
	}
	return false
}

func snapshot(fr *trace.FlightRecorder, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := fr.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
