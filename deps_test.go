package supervisor_test

import (
	"os/exec"
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
