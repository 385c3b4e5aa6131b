package main_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if argv := os.Getenv(measureEnv); argv != "" { // a measuring process of limits_test.go
		os.Exit(measureChild(argv))
	}
	goleak.VerifyTestMain(m)
}

// startBinary starts bin with args, its output (stdout and stderr) read line by
// line; it is killed if it outlives limit.
func startBinary(t *testing.T, limit time.Duration, bin string, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	t.Cleanup(func() { deadline.Stop() })
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<20)
	return cmd, lines
}

// build compiles the supervisor command.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "supervisor")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The real binary under real signals: SIGTERM stops the tree cleanly
// with exit code 0 and leaves no process behind; check's exit code says
// whether a file is valid.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := build(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "app.yaml")
	config := `children:
  - name: sleeper
    exec:
      path: /bin/sh
      args: ["-c", "echo up; exec sleep 1000"]
      ready: {line: "^up$"}
    shutdown: 2s
`
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", file).CombinedOutput(); err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("children: [{name: x, run: nothing.here}]\n"), 0o600)
	err := exec.Command(bin, "check", bad).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("check of an invalid file: %v, want exit code 1", err)
	}

	cmd, lines := startBinary(t, 20*time.Second, bin, "run", file)
	pidRe := regexp.MustCompile(`up path=/sleeper pid=(\d+)`)
	var pid string
	var out strings.Builder
	started := false
	// The process child logs its pid from its own goroutine: before or
	// after the status table that follows the start.
	for (pid == "" || !started) && lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if m := pidRe.FindStringSubmatch(lines.Text()); m != nil {
			pid = m[1]
		}
		started = started || strings.HasPrefix(lines.Text(), "── started")
	}
	if pid == "" {
		t.Fatalf("no pid of the child in:\n%s", out.String())
	}
	if _, err := os.Stat("/proc/" + pid); err != nil {
		t.Fatalf("the child %s is not running: %v", pid, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run after SIGTERM: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "exit_code=0") {
		t.Fatalf("output:\n%s", out.String())
	}
	if _, err := os.Stat("/proc/" + pid); err == nil {
		t.Fatalf("the child %s outlived the supervisor", pid)
	}
}
