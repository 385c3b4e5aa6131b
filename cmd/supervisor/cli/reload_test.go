package cli_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
)

// A reload prints its plan first, then the events it causes, then the
// status after it.
func TestRunReloadPlanFirst(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), "children:\n  - {name: a, run: test.idle}\n")
	inv := newInvocation()
	code := inv.start("run", "-v", file)
	inv.stdout.waitFor(t, "── started")
	writeFile(t, file, "children:\n  - {name: a, run: test.idle}\n  - {name: b, run: test.idle}\n")
	inv.sigs <- syscall.SIGHUP
	inv.stdout.waitFor(t, "── after reload")
	inv.stdout.waitFor(t, "path=/b generation=1 attempt=1 state=running")
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	out := inv.stdout.String()
	header := strings.Index(out, "── reload "+file+": 1 change\nadd /b\n")
	caused := strings.Index(out, `audit.why="SIGHUP: reload `+file+`"`)
	added := strings.Index(out, "child_added")
	after := strings.Index(out, "── after reload")
	if header < 0 || caused < 0 || added < 0 || !(header < caused && header < added && added < after) {
		t.Fatalf("plan at %d, its first event at %d, /b starting at %d, status at %d:\n%s", header, caused, added, after, out)
	}
}

// A reload of a file that did not change says so, even when a temporary
// child it declares has ended and gone away: Apply, like Diff, leaves it
// out.
func TestRunReloadNoChanges(t *testing.T) {
	config := "children:\n  - {name: a, run: test.idle}\n  - {name: once, run: test.multiline, restart: temporary}\n"
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), config)
	inv := newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "child_removed")
	inv.stdout.waitFor(t, "── started") // a SIGHUP during the start is not a reload
	inv.sigs <- syscall.SIGHUP
	inv.stdout.waitFor(t, "── after reload")
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	out := inv.stdout.String()
	if !strings.Contains(out, "── reload "+file+": no changes\n") || strings.Contains(out, "carried out") {
		t.Fatalf("output:\n%s", out)
	}
}
