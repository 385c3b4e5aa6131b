package config_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
)

// FuzzParse checks that Parse never panics, that it fails only with a
// *config.Error whose problems are placed inside the file, and that what it
// accepts is a valid spec. The seeds are the files in testdata and the
// template.
func FuzzParse(f *testing.F) {
	for _, path := range yamlFiles(f, "testdata") {
		f.Add(readFile(f, path))
	}
	f.Add(config.Template())
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := config.Parse(data, "fuzz.yaml", reg)
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
