package supervisor_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The root package imports only the standard library: users pay only for
// the adapters they import.
func TestStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/go-supervisor/supervisor" && !strings.HasPrefix(p, "github.com/go-supervisor/supervisor/internal/") {
			t.Errorf("the root package depends on %s, outside the standard library", p)
		}
	}
}

// Every package's tests check for leaked goroutines: each package with test
// files, in each of the repository's modules, has a TestMain that runs
// goleak.
func TestEveryPackageChecksLeaks(t *testing.T) {
	for _, mod := range []string{".", "bench", "tools"} {
		cmd := exec.Command("go", "list", "-f", "{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}\t{{.Dir}}{{end}}", "./...")
		cmd.Dir = mod
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list in %s: %v\n%s", mod, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			path, dir, _ := strings.Cut(line, "\t")
			files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
			found := false
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b, []byte("func TestMain(")) && bytes.Contains(b, []byte("goleak.")) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no TestMain running goleak", path)
			}
		}
	}
}
