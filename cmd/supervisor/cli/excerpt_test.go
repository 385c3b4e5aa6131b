package cli_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
)

// Every problem of a config file the command prints on stderr shows its
// line of the file, with a caret under its column, as a compiler does:
// check's problems and warnings, run's and a reload's, plan's. JSON
// output is unchanged.
func TestProblemsShowTheirLine(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), "children:\n  - name: a\n    run: test.nope\n    backofff: {}\n")
	good := writeFile(t, filepath.Join(dir, "good.yaml"), "children:\n  - {name: a, run: test.idle}\n")
	first := bad + `:3:5: children[0].run: "test.nope" is not a registered function` // then the rest of the message
	lines := []string{
		"\n    3 |     run: test.nope\n      |     ^\n" + bad + ":4:5: children[0].backofff: unknown key: did you mean backoff?\n",
		"\n    4 |     backofff: {}\n      |     ^\n",
	}
	wantExcerpts := func(t *testing.T, what, stderr string) {
		t.Helper()
		if !strings.HasPrefix(stderr, first) {
			t.Errorf("%s: stderr does not start with %q:\n%s", what, first, stderr)
		}
		for _, l := range lines {
			if !strings.Contains(stderr, l) {
				t.Errorf("%s: stderr lacks %q:\n%s", what, l, stderr)
			}
		}
	}

	inv := newInvocation()
	if code := inv.main("check", bad); code != cli.ExitInvalid {
		t.Fatalf("check: exit %d", code)
	}
	wantExcerpts(t, "check", inv.stderr.String())

	inv = newInvocation()
	if code := inv.main("check", "--json", bad); code != cli.ExitInvalid || strings.Contains(inv.stdout.String(), " | ") {
		t.Errorf("check --json: exit %d, stdout %s", code, inv.stdout)
	}

	inv = newInvocation()
	if code := exitCode(t, inv.start("run", bad)); code != cli.ExitInvalid {
		t.Fatalf("run: exit %d", code)
	}
	wantExcerpts(t, "run", inv.stderr.String())

	inv = newInvocation()
	if code := inv.main("plan", good, bad); code != cli.ExitInvalid {
		t.Fatalf("plan: exit %d", code)
	}
	wantExcerpts(t, "plan", inv.stderr.String())

	file := writeFile(t, filepath.Join(dir, "app.yaml"), "children:\n  - {name: a, run: test.idle}\n")
	inv = newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "── started")
	writeFile(t, file, "children:\n  - {name: a, run: test.idle}\n  - {name: b, run: test.idle, restart: sometimes}\n")
	inv.sigs <- syscall.SIGHUP
	inv.stdout.waitFor(t, "nothing changed")
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("run: exit %d: %s", c, inv.stderr)
	}
	if want := ":3:31: children[1].restart: \"sometimes\" is not a restart type: use permanent, transient or temporary\n" +
		"    3 |   - {name: b, run: test.idle, restart: sometimes}\n" +
		"      |                               ^\n"; !strings.Contains(inv.stderr.String(), want) {
		t.Errorf("reload: stderr lacks %q:\n%s", want, inv.stderr)
	}
}

// check's warnings show their line too.
func TestCheckWarningsShowTheirLine(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "app.yaml"),
		"children:\n  - name: a\n    exec: &prog {path: "+dir+"/nope}\n  - name: b\n    exec: *prog\n")
	inv := newInvocation()
	if code := inv.main("check", file); code != cli.ExitWarning {
		t.Fatalf("check: exit %d, stderr %s", code, inv.stderr)
	}
	want := file + `:3:18: children[0].exec.path: "` + dir + `/nope" does not exist: run would fail to start it` + "\n" +
		"    3 |     exec: &prog {path: " + dir + "/nope}\n" +
		"      |                  ^\n" +
		file + `:5:5: children[1].exec.path: "` + dir + `/nope" does not exist: run would fail to start it` + "\n" +
		"    5 |     exec: *prog\n" +
		"      |     ^\n"
	if inv.stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", inv.stderr, want)
	}
}
