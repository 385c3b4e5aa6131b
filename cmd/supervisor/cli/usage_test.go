package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
)

// commandNames lists the commands the top-level help names.
func commandNames(t *testing.T) []string {
	t.Helper()
	inv := newInvocation()
	if code := inv.main("--help"); code != cli.ExitOK {
		t.Fatalf("--help: exit %d", code)
	}
	_, list, _ := strings.Cut(inv.stdout.String(), "Commands:\n")
	var names []string
	for line := range strings.Lines(list) {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		names = append(names, strings.Fields(line)[0])
	}
	if len(names) < 5 {
		t.Fatalf("commands %v from:\n%s", names, inv.stdout)
	}
	return names
}

// No line of help or of a usage error ends with a space.
func TestUsageNoTrailingSpace(t *testing.T) {
	invocations := [][]string{nil, {"--help"}, {"frobnicate"}, {"schema", "extra"}, {"run"}, {"plan", "a"}}
	for _, name := range commandNames(t) {
		invocations = append(invocations, []string{name, "--help"}, []string{name, "--bogus"})
	}
	for _, args := range invocations {
		inv := newInvocation()
		inv.main(args...)
		for line := range strings.Lines(inv.stdout.String() + inv.stderr.String()) {
			if l := strings.TrimSuffix(line, "\n"); l != strings.TrimRight(l, " \t") {
				t.Errorf("%q: line ends with a space: %q", args, l)
			}
		}
	}
}

// A wrong number of arguments is said in words: a command that takes none
// says so, and names what it got.
func TestUsageArgumentCount(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"schema", "extra"}, `supervisor schema: takes no arguments, got 1: "extra"`},
		{[]string{"template", "a", "b"}, `supervisor template: takes no arguments, got 2: "a" "b"`},
		{[]string{"run"}, "supervisor run: want 1 argument (FILE), got 0"},
		{[]string{"plan", "a"}, "supervisor plan: want 2 arguments (OLD NEW), got 1"},
		{[]string{"check", "a", "b"}, "supervisor check: want 1 argument (FILE), got 2"},
	} {
		inv := newInvocation()
		if code := inv.main(tc.args...); code != cli.ExitUsage || !strings.Contains(inv.stderr.String(), tc.want+"\n") {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant %q", tc.args, code, inv.stderr, tc.want)
		}
		if strings.Contains(inv.stderr.String(), "(s)") || strings.Contains(inv.stderr.String(), "()") {
			t.Errorf("%q: %s", tc.args, inv.stderr)
		}
	}
}

// docs/cli.md's table of commands shows every flag of every command, as
// its --help lists them.
func TestDocsSynopsisListsEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	flagRe := regexp.MustCompile(`(?m)^  -(\S+)`)
	for _, name := range commandNames(t) {
		row := regexp.MustCompile("(?m)^\\| `" + name + "\\b[^`]*`").Find(doc)
		if row == nil {
			t.Errorf("docs/cli.md has no row for %s", name)
			continue
		}
		inv := newInvocation()
		inv.main(name, "--help")
		for _, m := range flagRe.FindAllStringSubmatch(inv.stdout.String(), -1) {
			flag := "--" + m[1]
			if len(m[1]) == 1 {
				flag = "-" + m[1]
			}
			if !regexp.MustCompile(regexp.QuoteMeta(flag) + `\b`).Match(row) {
				t.Errorf("docs/cli.md's synopsis of %s lacks %s: %s", name, flag, row)
			}
		}
	}
}

// version and --version print the module's version, the VCS revision if
// the binary has one, and the Go version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		inv := newInvocation()
		if code := inv.main(args...); code != cli.ExitOK || inv.stderr.String() != "" {
			t.Fatalf("%q: exit %d, stderr %q", args, code, inv.stderr)
		}
		out := inv.stdout.String()
		// A test binary's main module is the package's own, at (devel).
		if !strings.HasPrefix(out, "supervisor (devel)\n") ||
			!strings.Contains(out, "module:   github.com/go-supervisor/supervisor/cmd/supervisor\n") ||
			!strings.Contains(out, "go:       "+runtime.Version()+"\n") {
			t.Errorf("%q:\n%s", args, out)
		}
	}
	inv := newInvocation()
	if code := inv.main("version", "extra"); code != cli.ExitUsage {
		t.Errorf("version extra: exit %d", code)
	}
}

// No line of run's output ends with a space: a status table's last column
// is often empty.
func TestRunOutputNoTrailingSpace(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), "children:\n  - {name: a, run: test.idle}\n")
	inv := newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "── started")
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	for line := range strings.Lines(inv.stdout.String()) {
		if l := strings.TrimSuffix(line, "\n"); l != strings.TrimRight(l, " \t") {
			t.Errorf("line ends with a space: %q", l)
		}
	}
}
