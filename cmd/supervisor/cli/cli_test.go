package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
	"github.com/go-supervisor/supervisor/config"
)

// buffer is an output that tests can wait on.
type buffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced on each write
}

func newBuffer() *buffer { return &buffer{written: make(chan struct{})} }

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.written)
	b.written = make(chan struct{})
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor waits until the output contains s, for at most 10 seconds.
func (b *buffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		has, written := strings.Contains(b.b.String(), s), b.written
		b.mu.Unlock()
		if has {
			return
		}
		select {
		case <-written:
		case <-deadline:
			t.Fatalf("output never had %q:\n%s", s, b.String())
		}
	}
}

// invocation runs Main with buffers and returns the exit code.
type invocation struct {
	stdout, stderr *buffer
	sigs           chan os.Signal
	reg            *config.Registry
}

func newInvocation() *invocation {
	reg := &config.Registry{}
	reg.Func("test.idle", func(ctx context.Context) error { <-ctx.Done(); return nil })
	reg.Func("test.multiline", func(ctx context.Context) error { return errors.New("first line\nsecond line") })
	return &invocation{stdout: newBuffer(), stderr: newBuffer(), sigs: make(chan os.Signal, 4), reg: reg}
}

func (inv *invocation) main(args ...string) int {
	return cli.Main(args, cli.Options{Registry: inv.reg, Stdout: inv.stdout, Stderr: inv.stderr, Signals: inv.sigs})
}

// start runs Main in the background; the channel delivers its exit code.
func (inv *invocation) start(args ...string) <-chan int {
	code := make(chan int, 1)
	go func() { code <- inv.main(args...) }()
	return code
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func exitCode(t *testing.T, code <-chan int) int {
	t.Helper()
	select {
	case c := <-code:
		return c
	case <-time.After(20 * time.Second):
		t.Fatal("Main did not return")
		return -1
	}
}

const validConfig = `name: app
children:
  - name: a
    run: test.idle
  - name: ticker
    exec:
      path: /bin/sh
      args: ["-c", "echo hello from sh; exec sleep 1000"]
      ready: {line: "^hello"}
    shutdown: 2s
`

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, cli.ExitUsage, "", "Usage: supervisor COMMAND"},
		{[]string{"--help"}, cli.ExitOK, "Commands:", ""},
		{[]string{"help"}, cli.ExitOK, "template", ""},
		{[]string{"frobnicate"}, cli.ExitUsage, "", `unknown command "frobnicate"`},
		{[]string{"run"}, cli.ExitUsage, "", "want 1 argument (FILE), got 0"},
		{[]string{"run", "--help"}, cli.ExitOK, "SIGHUP reloads FILE", ""},
		{[]string{"check", "-h"}, cli.ExitOK, "Usage: supervisor check [flags] FILE", ""},
		{[]string{"plan", "a"}, cli.ExitUsage, "", "want 2 arguments (OLD NEW), got 1"},
		{[]string{"check", "--bogus", "x"}, cli.ExitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"schema", "--help"}, cli.ExitOK, "Usage: supervisor schema\n", ""},
		{[]string{"help", "run"}, cli.ExitOK, "Usage: supervisor run [flags] FILE", ""},
		{[]string{"run", "--status-every", "-1s", "f"}, cli.ExitUsage, "", "must not be negative"},
	} {
		inv := newInvocation()
		code := inv.main(tc.args...)
		if code != tc.code || !strings.Contains(inv.stdout.String(), tc.stdout) || !strings.Contains(inv.stderr.String(), tc.stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, inv.stdout, inv.stderr,
				tc.code, tc.stdout, tc.stderr)
		}
		if code == cli.ExitOK && inv.stderr.String() != "" {
			t.Errorf("%q: help also on stderr: %q", tc.args, inv.stderr)
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "good.yaml"), validConfig)
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), "children:\n  - name: a\n    run: test.nope\n    backofff: {}\n")

	inv := newInvocation()
	if code := inv.main("check", good); code != cli.ExitOK || !strings.Contains(inv.stdout.String(), "valid, 2 children") {
		t.Fatalf("check good: %d %q %q", code, inv.stdout, inv.stderr)
	}
	inv = newInvocation()
	code := inv.main("check", bad)
	if code != cli.ExitInvalid || inv.stdout.String() != "" {
		t.Fatalf("check bad: %d, stdout %q", code, inv.stdout)
	}
	for _, want := range []string{"bad.yaml:3:5: children[0].run:", "test.idle", "bad.yaml:4:5: children[0].backofff:"} {
		if !strings.Contains(inv.stderr.String(), want) {
			t.Errorf("check bad: stderr lacks %q:\n%s", want, inv.stderr)
		}
	}

	inv = newInvocation()
	if code := inv.main("check", bad, "--json"); code != cli.ExitInvalid { // flags may follow the file
		t.Fatalf("check --json bad: %d", code)
	}
	var out struct {
		Valid    bool
		Problems []struct {
			Path         string
			Line, Column int
			Message      string
		}
	}
	if err := json.Unmarshal([]byte(inv.stdout.String()), &out); err != nil || out.Valid || len(out.Problems) != 2 ||
		out.Problems[0].Path != "children[0].run" || out.Problems[1].Line != 4 {
		t.Fatalf("check --json: %v %+v from %s", err, out, inv.stdout)
	}

	inv = newInvocation()
	if code := inv.main("check", filepath.Join(dir, "missing.yaml")); code != cli.ExitInvalid ||
		!strings.Contains(inv.stderr.String(), "missing.yaml") {
		t.Fatalf("check of a missing file: %d %q", code, inv.stderr)
	}
}

func TestSchemaAndTemplate(t *testing.T) {
	inv := newInvocation()
	if code := inv.main("schema"); code != cli.ExitOK || inv.stdout.String() != string(config.Schema()) {
		t.Fatalf("schema: %d", code)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(inv.stdout.String()), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	inv = newInvocation()
	if code := inv.main("template"); code != cli.ExitOK || inv.stdout.String() != string(config.Template()) {
		t.Fatalf("template: %d", code)
	}
	// The template is a valid config file.
	file := writeFile(t, filepath.Join(t.TempDir(), "template.yaml"), inv.stdout.String())
	inv = newInvocation()
	if code := inv.main("check", file); code != cli.ExitOK {
		t.Fatalf("check template: %d %s", code, inv.stderr)
	}
}

func TestPlan(t *testing.T) {
	dir := t.TempDir()
	old := writeFile(t, filepath.Join(dir, "old.yaml"), validConfig)
	new := writeFile(t, filepath.Join(dir, "new.yaml"), strings.Replace(validConfig, "exec sleep 1000", "exec sleep 2000", 1)+
		"  - {name: b, run: test.idle}\n")
	inv := newInvocation()
	if code := inv.main("plan", old, new); code != cli.ExitOK ||
		inv.stdout.String() != "restart /ticker: revision\nadd /b\n" {
		t.Fatalf("plan: %d %q %q", code, inv.stdout, inv.stderr)
	}
	inv = newInvocation()
	if code := inv.main("plan", "--json", old, new); code != cli.ExitOK {
		t.Fatalf("plan --json: %d", code)
	}
	var p supervisor.Plan
	if err := json.Unmarshal([]byte(inv.stdout.String()), &p); err != nil {
		t.Fatalf("plan --json: %v in %s", err, inv.stdout)
	}
	if len(p.Changes) != 2 || p.Changes[1].Path != "/b" || p.Changes[1].Action != supervisor.ChangeAdd {
		t.Fatalf("plan --json: %+v", p)
	}
	inv = newInvocation()
	if code := inv.main("plan", old, old); code != cli.ExitOK || inv.stdout.String() != "no changes\n" {
		t.Fatalf("plan of a file against itself: %q", inv.stdout)
	}
}

// run starts the tree, prints its status, its events and its processes'
// output; SIGHUP applies the changed file, or changes nothing if it has
// problems; SIGTERM shuts the tree down cleanly.
func TestRun(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), validConfig)
	inv := newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "── started")
	inv.stdout.waitFor(t, "tree_started")  // events are logged as they are published
	inv.stdout.waitFor(t, "hello from sh") // output, as it is read
	out := inv.stdout.String()
	for _, want := range []string{"hello from sh", "path=/ticker", "/a", "running"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}

	writeFile(t, file, "children:\n  - name: a\n    run: test.nope\n")
	inv.sigs <- syscall.SIGHUP
	inv.stdout.waitFor(t, "reload: the file has problems, nothing changed")

	writeFile(t, file, validConfig+"  - {name: b, run: test.idle}\n")
	inv.sigs <- syscall.SIGHUP
	inv.stdout.waitFor(t, "── after reload")
	if out := inv.stdout.String(); !strings.Contains(out, "reload "+file+": 1 change\nadd /b\n") {
		t.Errorf("reload output:\n%s", out)
	}

	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d after SIGTERM; stderr %s", c, inv.stderr)
	}
	if out := inv.stdout.String(); !strings.Contains(out, "shutting down signal=terminated") ||
		!strings.Contains(out, "stopped cause=") || !strings.Contains(out, "exit_code=0") {
		t.Errorf("shutdown output:\n%s", out)
	}
}

// With --json every line of stdout is a JSON object.
func TestRunJSON(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), validConfig)
	inv := newInvocation()
	code := inv.start("run", "--json", file)
	inv.stdout.waitFor(t, `"msg":"status"`)
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d", c)
	}
	msgs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(inv.stdout.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		msgs[rec["msg"].(string)] = true
	}
	for _, want := range []string{"status", "tree_started", "hello from sh", "shutdown_completed", "stopped"} {
		if !msgs[want] {
			t.Errorf("no %q record in %v", want, msgs)
		}
	}
}

// The exit code says how the tree ended.
func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, config string
		code         int
		stderr       string
	}{
		{"invalid", "children: [{name: a}]\n", cli.ExitInvalid, "children[0]"},
		{"start failed", "children:\n  - name: p\n    exec: {path: /bin/true, env: {X: \"${CLI_TEST_UNSET_VARIABLE}\"}}\n",
			cli.ExitStart, "CLI_TEST_UNSET_VARIABLE"},
		{"tree failed", "intensity: {max_restarts: 0, period: 1s}\nchildren:\n  - name: p\n    exec: {path: /bin/sh, args: [-c, 'sleep 0.2; exit 3']}\n",
			cli.ExitFailed, "restart intensity exceeded"},
		{"auto shutdown", "auto_shutdown: any_significant\nchildren:\n  - name: p\n    restart: transient\n    significant: true\n    exec: {path: /bin/sh, args: [-c, 'sleep 0.2']}\n",
			cli.ExitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml"), tc.config)
			inv := newInvocation()
			if code := exitCode(t, inv.start("run", file)); code != tc.code || !strings.Contains(inv.stderr.String(), tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q\nstdout:\n%s", code, inv.stderr, tc.code, tc.stderr, inv.stdout)
			}
		})
	}
}

// A secret given to a process child never reaches the output, even when
// the program prints it, nor an error when it is missing.
func TestRunSecrets(t *testing.T) {
	dir := t.TempDir()
	secret := writeFile(t, filepath.Join(dir, "token"), "s3cr3t-token-value\n")
	file := writeFile(t, filepath.Join(dir, "app.yaml"), `children:
  - name: leaky
    exec:
      path: /bin/sh
      args: ["-c", "echo token=$TOKEN; echo key=$KEY >&2; exec sleep 1000"]
      env: {TOKEN: "${file:`+secret+`}", KEY: "${CLI_TEST_KEY}"}
      ready: {line: "^token="}
`)
	t.Setenv("CLI_TEST_KEY", "hunter2-api-key")
	inv := newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "key=***")
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	out := inv.stdout.String() + inv.stderr.String()
	if !strings.Contains(out, "token=***") || strings.Contains(out, "s3cr3t") || strings.Contains(out, "hunter2") {
		t.Fatalf("a secret was printed:\n%s", out)
	}

	os.Remove(secret)
	inv = newInvocation()
	if c := exitCode(t, inv.start("run", file)); c != cli.ExitStart || !strings.Contains(inv.stderr.String(), secret) {
		t.Fatalf("missing secret file: exit %d, stderr %s", c, inv.stderr)
	}
}

// A signal during the start stops what has started, at once: a child that
// never becomes ready does not keep the supervisor waiting.
func TestRunSignalDuringStart(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "slow.yaml"), `children:
  - name: never-ready
    exec:
      path: /bin/sh
      args: ["-c", "exec sleep 1000"]
      ready: {line: "^ready$"}
    start_timeout: infinity
    shutdown: 2s
`)
	inv := newInvocation()
	code := inv.start("run", file)
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	if out := inv.stdout.String(); !strings.Contains(out, "during the start") {
		t.Fatalf("output:\n%s", out)
	}
}

// A signal during a reload is not kept waiting by a child slow to start.
func TestRunSignalDuringReload(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), "children:\n  - {name: a, run: test.idle}\n")
	inv := newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "── started")
	writeFile(t, file, `children:
  - {name: a, run: test.idle}
  - name: slow
    exec: {path: /bin/sh, args: ["-c", "exec sleep 1000"], ready: {line: "^ready$"}}
    start_timeout: infinity
    shutdown: 2s
`)
	inv.sigs <- syscall.SIGHUP
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	if out := inv.stdout.String(); !strings.Contains(out, "shutting down signal=terminated") {
		t.Fatalf("output:\n%s", out)
	}
}

// Text output is safe for a terminal: control characters a child prints
// are escaped, and values of several lines are indented below their line.
func TestRunTextOutput(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), `children:
  - name: ansi
    exec: {path: /bin/sh, args: ["-c", "printf '\\033[2Jcleared\\n'; exec sleep 1000"], ready: {line: "cleared"}}
  - {name: multi, run: test.multiline, restart: temporary}
`)
	inv := newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "child_exited")
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	out := inv.stdout.String()
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `\x1b[2Jcleared`) {
		t.Errorf("control characters not escaped:\n%q", out)
	}
	if !strings.Contains(out, "error=(below)") || !strings.Contains(out, "\n    error:\n    first line\n    second line\n") {
		t.Errorf("multi-line value:\n%s", out)
	}
}

// --metrics-addr serves the health endpoints and the metrics of the
// running tree.
func TestRunHealthEndpoints(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), "children:\n  - {name: a, run: test.idle}\n")
	inv := newInvocation()
	code := inv.start("run", "--metrics-addr", "127.0.0.1:0", file)
	inv.stdout.waitFor(t, "serving health endpoints and metrics")
	m := regexp.MustCompile(`serving health endpoints and metrics addr=(\S+)`).FindStringSubmatch(inv.stdout.String())
	if m == nil {
		t.Fatalf("no address in:\n%s", inv.stdout)
	}
	for _, path := range []string{"/livez", "/readyz", "/state", "/metrics"} {
		resp, err := http.Get("http://" + m[1] + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if path == "/metrics" && !strings.Contains(string(body), `supervisor_child_state{path="/a",state="running"} 1`) {
			t.Errorf("metrics lack the child's state:\n%s", body)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", path, resp.Status)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	inv = newInvocation()
	if c := inv.main("run", "--metrics-addr", "bad address", file); c != cli.ExitUsage ||
		!strings.Contains(inv.stderr.String(), "--metrics-addr") {
		t.Fatalf("bad address: exit %d, %s", c, inv.stderr)
	}
}

// --trace-dir keeps a flight recorder and writes a snapshot when the tree
// has a restart storm.
func TestRunTraceDir(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "storm.yaml"), "intensity: {max_restarts: 0, period: 1s}\nchildren:\n  - name: p\n    exec: {path: /bin/sh, args: [-c, 'sleep 0.3; exit 3']}\n")
	inv := newInvocation()
	if c := exitCode(t, inv.start("run", "--trace-dir", dir, file)); c != cli.ExitFailed {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.trace"))
	if len(files) != 1 || !strings.Contains(inv.stdout.String(), "flight recorder snapshot written") {
		t.Fatalf("snapshots %v\n%s", files, inv.stdout)
	}
	inv = newInvocation()
	if c := inv.main("run", "--trace-dir", filepath.Join(dir, "missing"), file); c != cli.ExitUsage ||
		!strings.Contains(inv.stderr.String(), "is not a directory") {
		t.Fatalf("missing trace dir: exit %d, %s", c, inv.stderr)
	}
}
