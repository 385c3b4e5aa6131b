package config_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/config"
)

// The names the files in testdata use. The tools module's tests register
// the same ones.
var errDrained = errors.New("drained")

func idle(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

var registered = []string{"api", "app", "cache", "db", "migrate", "worker"}

// nameKey makes a registered function report its name instead of running,
// so that a test can tell which function a child got.
type nameKey struct{}

func named(name string) func(context.Context) error {
	return func(ctx context.Context) error {
		if p, ok := ctx.Value(nameKey{}).(*string); ok {
			*p = name
			return nil
		}
		<-ctx.Done()
		return nil
	}
}

// runName returns the name of the registered function run.
func runName(run func(context.Context) error) string {
	var name string
	if run != nil {
		_ = run(context.WithValue(context.Background(), nameKey{}, &name))
	}
	return name
}

func testRegistry() *config.Registry {
	var reg config.Registry
	for _, name := range registered {
		reg.Func(name, named(name))
	}
	reg.Error("ErrDrained", errDrained)
	reg.ErrorType("fs.PathError", (*fs.PathError)(nil))
	return &reg
}

// yamlFiles returns the .yaml files under dir, sorted.
func yamlFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .yaml files in %s", dir)
	}
	return files
}

// problems returns the problems of err, a *config.Error, as
// "line:col: path: message" lines.
func problems(t testing.TB, err error) []string {
	t.Helper()
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("error is %T, not a *config.Error: %v", err, err)
	}
	out := make([]string, len(cerr.Problems))
	for i, p := range cerr.Problems {
		out[i] = p.String()
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
