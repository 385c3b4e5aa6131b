package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
)

// Every file in testdata/valid loads, and supervisor.Validate agrees.
func TestValidFiles(t *testing.T) {
	for _, path := range yamlFiles(t, filepath.Join("testdata", "valid")) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			spec, err := config.Load(path, testRegistry())
			if err != nil {
				t.Fatal(err)
			}
			if err := supervisor.Validate(spec); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkParse measures loading testdata/valid/full.yaml, a file that
// sets every key: reading, strict decoding, conversion and validation.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "valid", "full.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	reg := testRegistry()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := config.Parse(data, "full.yaml", reg); err != nil {
			b.Fatal(err)
		}
	}
}
