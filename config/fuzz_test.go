package config_test

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/internal/yamlshapes"
)

// parseAllocationBound is the most Parse may allocate in all for a file
// of n bytes: the parser's cost per byte within the limits (at most about
// 750 bytes a byte, BenchmarkParseWithinLimits measures it) and what the
// values aliases may expand to cost, whatever the file's size.
func parseAllocationBound(n int) uint64 {
	return uint64(min(n, config.MaxFileSize))*1024 + 128<<20
}

// FuzzParse checks that Parse never panics, that it allocates no more
// than parseAllocationBound, that it fails only with a
// *config.Error whose problems are placed inside the file, and that what it
// accepts is a valid spec. The seeds are the files in testdata and the
// template.
func FuzzParse(f *testing.F) {
	for _, path := range yamlFiles(f, "testdata") {
		f.Add(readFile(f, path))
	}
	f.Add(config.Template())
	// Shapes that cost the parser the most, within the limits (smaller
	// than the largest, so that the seeds run fast) and beyond them.
	small := limits
	small.Size = 8 << 10
	for _, s := range append(yamlshapes.Within(small), yamlshapes.Beyond(limits)...) {
		f.Add([]byte(s.Data))
	}
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		spec, err := config.Parse(data, "fuzz.yaml", reg)
		runtime.ReadMemStats(&after)
		if bound := parseAllocationBound(len(data)); after.TotalAlloc-before.TotalAlloc > bound {
			t.Fatalf("Parse allocated %d bytes for %d, more than %d", after.TotalAlloc-before.TotalAlloc, len(data), bound)
		}
		if err == nil {
			if err := supervisor.Validate(spec); err != nil {
				t.Fatalf("Parse accepted a spec that Validate rejects: %v", err)
			}
			return
		}
		var cerr *config.Error
		if !errors.As(err, &cerr) {
			t.Fatalf("error %T (%v), want a *config.Error", err, err)
		}
		if len(cerr.Problems) == 0 {
			t.Fatal("a *config.Error without problems")
		}
		// YAML breaks lines at \n, \r\n and a lone \r.
		lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) +
			bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\r")) + 1
		for _, p := range cerr.Problems {
			if p.Line < 1 || p.Line > lines || p.Column < 1 {
				t.Errorf("problem %q at %d:%d, outside the file's %d lines", p.Message, p.Line, p.Column, lines)
			}
			if p.Message == "" {
				t.Errorf("problem at %d:%d has no message", p.Line, p.Column)
			}
		}
	})
}
