package cli_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
)

// A second signal during the shutdown abandons a process child that
// ignores SIGTERM: its process group is killed, and the output says so in
// the user's terms, without the goroutines of the process package that
// ended with the group; nothing is left running.
func TestRunSecondSignalKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	script := writeFile(t, filepath.Join(dir, "stubborn.sh"), "#!/bin/sh\ntrap '' TERM\necho up\nsleep 1000\n")
	if err := os.Chmod(script, 0o700); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(dir, "app.yaml"), `children:
  - name: stubborn
    exec: {path: `+script+`, ready: {line: "^up$"}}
    shutdown: 30s
`)
	inv := newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "── started")
	m := regexp.MustCompile(`up path=/stubborn pid=(\d+)`).FindStringSubmatch(inv.stdout.String())
	if m == nil {
		t.Fatalf("no pid in:\n%s", inv.stdout)
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) }) // should the test fail: leave nothing running
	inv.sigs <- syscall.SIGTERM
	inv.stdout.waitFor(t, "child_stopping")
	inv.sigs <- syscall.SIGINT
	if c := exitCode(t, code); c != cli.ExitAbandoned {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	out := inv.stdout.String() + inv.stderr.String()
	if want := "killed process group path=/stubborn pid=" + m[1]; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	for _, bad := range []string{"process.(*runner)", "goroutines=", "goroutine(s) left running", "{/stubborn"} {
		if strings.Contains(out, bad) {
			t.Errorf("output has %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "goroutines_left=0") {
		t.Errorf("goroutines left:\n%s", out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(-pid, 0) == nil || !errors.Is(syscall.Kill(-pid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// What an abandoned Go child leaves running is listed readably: each
// goroutine's path and count, then its stack, indented; not a Go value.
func TestRunAbandonedGoroutinesReadable(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	inv := newInvocation()
	inv.reg.Func("test.stuck", func(ctx context.Context) error { <-release; return nil })
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), "children:\n  - {name: stuck, run: test.stuck, shutdown: 100ms}\n")
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "── started")
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitAbandoned {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	out := inv.stdout.String()
	if strings.Contains(out, "[{") || !strings.Contains(out, "    goroutines:\n    /stuck: 1 goroutine\n        ") ||
		!strings.Contains(out, "abandon_test.go") {
		t.Errorf("goroutines not listed readably:\n%s", out)
	}
}
