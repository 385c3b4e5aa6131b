package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
)

// check looks up the program of every exec child as run would start it:
// a valid file naming a program that is missing or not executable here,
// or a missing working directory, gets a warning at the key's position and
// exit code ExitWarning.
func TestCheckMissingProgram(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "data.txt"), "not a program\n")
	tool := writeFile(t, filepath.Join(dir, "tool"), "#!/bin/sh\n")
	if err := os.Chmod(tool, 0o700); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(dir, "app.yaml"), `children:
  - name: ok
    exec: {path: /bin/sh}
  - name: missing
    exec:
      path: `+dir+`/nope
  - name: notexec
    exec: {path: `+dir+`/data.txt}
  - name: unknown
    exec: {path: no-such-program-for-check}
  - name: relative
    exec: {path: ./tool, dir: `+dir+`}
  - name: nodir
    exec: {path: ./tool, dir: `+dir+`/gone}
  - name: nested
    supervisor:
      children:
        - name: deep
          exec:
            args: [x]
            path: a-directory/
  - name: isdir
    exec: {path: `+dir+`}
  - name: anchored
    exec: &gone {path: /nonexistent/prog}
  - name: aliased
    exec: *gone
`)
	inv := newInvocation()
	code := inv.main("check", file)
	if code != cli.ExitWarning || !strings.Contains(inv.stdout.String(), "valid, 11 children; 8 warnings") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, inv.stdout, inv.stderr)
	}
	for _, want := range []string{
		file + `:6:7: children[1].exec.path: "` + dir + `/nope" does not exist`,
		file + `:8:12: children[2].exec.path: "` + dir + `/data.txt" is not executable`,
		file + `:10:12: children[3].exec.path: "no-such-program-for-check" is not found in PATH`,
		file + `:14:26: children[5].exec.dir: "` + dir + `/gone" does not exist`,
		file + `:21:13: children[6].supervisor.children[0].exec.path: "a-directory/" does not exist`,
		file + `:23:12: children[7].exec.path: "` + dir + `" is a directory`,
		file + `:25:18: children[8].exec.path: "/nonexistent/prog" does not exist`,
		file + `:27:5: children[9].exec.path: "/nonexistent/prog" does not exist`, // an alias: at its exec key
	} {
		if !strings.Contains(inv.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, inv.stderr)
		}
	}
	if strings.Contains(inv.stderr.String(), " children[0].") || strings.Contains(inv.stderr.String(), " children[4].") {
		t.Errorf("a program that runs is reported:\n%s", inv.stderr)
	}

	inv = newInvocation()
	if code := inv.main("check", "--json", file); code != cli.ExitWarning {
		t.Fatalf("check --json: exit %d", code)
	}
	var out struct {
		Valid    bool
		Warnings []struct {
			Path         string
			Line, Column int
			Message      string
		}
	}
	if err := json.Unmarshal([]byte(inv.stdout.String()), &out); err != nil || !out.Valid || len(out.Warnings) != 8 ||
		out.Warnings[0].Path != "children[1].exec.path" || out.Warnings[0].Line != 6 || out.Warnings[0].Column != 7 {
		t.Fatalf("check --json: %v %+v from %s", err, out, inv.stdout)
	}
}
