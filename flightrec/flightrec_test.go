package flightrec_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/flightrec"
	"github.com/go-supervisor/supervisor/supervisortest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var errBoom = errors.New("boom")

// A tree whose supervisor exceeds its intensity gets one snapshot of the
// flight recorder, named after the event, readable by go tool trace.
func TestSnapshotOnStorm(t *testing.T) {
	dir := t.TempDir()
	fail := make(chan struct{})
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: 3, Period: time.Minute},
		Children: []supervisor.Child{{Name: "flaky", Run: func(ctx context.Context) error {
			select {
			case <-fail:
				return errBoom
			case <-ctx.Done():
				return nil
			}
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	logger := slog.New(startHandler{started})
	done := make(chan error, 1)
	go func() { done <- flightrec.Run(context.Background(), tree, flightrec.Options{Dir: dir, Logger: logger}) }()
	<-started
	close(fail) // every attempt fails at once: intensity exceeded, the root escalates
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := tree.Wait(); !errors.As(err, new(*supervisor.IntensityError)) {
		t.Fatalf("Wait = %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.trace"))
	if len(files) != 1 || !strings.Contains(files[0], "intensity_exceeded") {
		t.Fatalf("snapshots %v, want one for intensity_exceeded (the escalation follows within a minute)", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil || !strings.HasPrefix(string(b), "go 1.") {
		t.Fatalf("not a Go execution trace: %v %.20q", err, b)
	}
}

// startHandler closes started when the recorder says it started.
type startHandler struct{ started chan struct{} }

func (h startHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h startHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "flight recorder started" {
		close(h.started)
	}
	return nil
}
func (h startHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h startHandler) WithGroup(string) slog.Handler      { return h }

// The runtime allows one flight recorder: Run says so when another runs.
func TestOneRecorder(t *testing.T) {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{})
	if err := fr.Start(); err != nil {
		t.Fatal(err)
	}
	defer fr.Stop()
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle}}})
	if err := flightrec.Run(context.Background(), tree, flightrec.Options{Dir: t.TempDir()}); err == nil {
		t.Fatal("a second flight recorder started")
	}
}

func TestBadDir(t *testing.T) {
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle}}})
	if err := flightrec.Run(context.Background(), tree, flightrec.Options{Dir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("Run with a missing Dir succeeded")
	}
}
