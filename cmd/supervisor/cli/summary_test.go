package cli_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
)

// A program that exits 1 at once exceeds the default intensity (3
// restarts in 5s): every exit is printed, the one that tripped the
// intensity included, and the run summary counts what was printed: 4
// failures, 3 restarts, as the intensity error says.
func TestRunIntensitySummaryAgrees(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "crash.yaml"), `children:
  - name: crash
    exec: {path: /bin/sh, args: [-c, 'exit 1']}
`)
	inv := newInvocation()
	if c := exitCode(t, inv.start("run", file)); c != cli.ExitFailed {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	out := inv.stdout.String()
	exits := regexp.MustCompile(`(?m)^.* child_exited seq=\d+ path=/crash .*exit=abnormal.*$`).FindAllString(out, -1)
	restarts := regexp.MustCompile(`(?m)^.* child_restarting seq=\d+ path=/crash .*$`).FindAllString(out, -1)
	if len(exits) != 4 || len(restarts) != 3 {
		t.Errorf("%d exits and %d restarts printed, want 4 and 3:\n%s", len(exits), len(restarts), out)
	}
	// The exit that tripped the intensity is the incident's, printed just
	// before the intensity_exceeded line.
	m := regexp.MustCompile(`(?m)^.* intensity_exceeded seq=(\d+) path=/ correlation=(\d+) .*\(3 restarts in 5s\).*$`).
		FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no intensity_exceeded line:\n%s", out)
	}
	if len(exits) == 0 || !strings.Contains(exits[len(exits)-1], "correlation="+m[2]+" ") ||
		strings.Index(out, exits[len(exits)-1]) > strings.Index(out, m[0]) {
		t.Errorf("the exit that tripped the intensity (correlation %s) is not printed before it:\n%s", m[2], out)
	}
	summary := regexp.MustCompile(`(?m)^.* run_summary trigger=intensity_exceeded .*$`).FindString(out)
	if !strings.Contains(summary, " failures=4 restarts=3 ") {
		t.Errorf("summary %q, want failures=4 restarts=3:\n%s", summary, out)
	}
	// The event that ends the tree is printed.
	if !strings.Contains(out, " escalated seq=") || !strings.Contains(out, " shutdown_completed seq=") {
		t.Errorf("the tree's end is not printed:\n%s", out)
	}
}
