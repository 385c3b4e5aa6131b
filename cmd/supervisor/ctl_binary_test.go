package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The real binaries in three processes: run serves a tree with a child
// that keeps failing and a process child; ctl, in other processes, reads
// its status and its events, with every sequence number from the first
// and no gap, restarts a child, reads a process child's stderr, and shuts
// the tree down, which ends run with exit code 0.
func TestBinaryCtl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := build(t)
	dir, err := os.MkdirTemp("", "ctl") // a socket's path is short
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "t.sock")
	file := filepath.Join(dir, "app.yaml")
	os.WriteFile(file, []byte(`name: shop
intensity: {max_restarts: 1000, period: 1s}
children:
  - name: flaky
    exec: {path: /bin/sh, args: ["-c", "echo oops >&2; sleep 0.05; exit 1"]}
    backoff: {off: true}
  - name: server
    exec: {path: /bin/sh, args: ["-c", "echo up; echo warming >&2; exec sleep 1000"], ready: {line: "^up$"}}
`), 0o600)
	run, lines := startBinary(t, time.Minute, bin, "run", "--ipc", sock, file)
	waitFor(t, lines, "serving ipc")
	go func() {
		for lines.Scan() {
		}
	}()
	ctl := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"ctl", "--socket", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ctl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	time.Sleep(500 * time.Millisecond) // let /flaky fail a few times
	status := ctl("status")
	if !regexp.MustCompile(`/server +ready .* pid \d+`).MatchString(status) || !strings.Contains(status, "/flaky") {
		t.Fatalf("status:\n%s", status)
	}
	ctl("restart", "/server", "--why", "test")
	events := ctl("events", "--json", "--since", "0")
	seq := 0
	for _, line := range strings.Split(strings.TrimSpace(events), "\n") {
		m := regexp.MustCompile(`"seq":(\d+)`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not an event: %s", line)
		}
		if n, _ := strconv.Atoi(m[1]); n != seq+1 {
			t.Fatalf("event %d after %d: a gap or a repeat", n, seq)
		}
		seq++
	}
	if seq < 10 || !strings.Contains(events, `"kind":"command_completed"`) {
		t.Fatalf("%d events, without the restart's:\n%s", seq, events)
	}
	if logs := ctl("logs", "/server", "--stderr"); !strings.Contains(logs, "warming") || strings.Contains(logs, "up") {
		t.Fatalf("the stderr of /server:\n%s", logs)
	}
	ctl("shutdown", "--why", "done", "--yes")
	if err := run.Wait(); err != nil {
		t.Fatalf("run after ctl shutdown: %v", err)
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Fatalf("the socket is left: %v", err)
	}
}
