package config_test

import (
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
