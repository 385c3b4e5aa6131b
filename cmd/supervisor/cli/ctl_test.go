package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/ipc"
	"github.com/go-supervisor/supervisor/process"
)

// ctlTarget is a tree served on a socket, as ctl finds one: /db (idle),
// /api (fails when told to), /workers (a supervisor) with /workers/w1,
// and, with a process, /proc: a shell that prints "out" on stdout and
// "err" on stderr, then sleeps.
type ctlTarget struct {
	tree *supervisor.Tree
	ep   *ipc.Endpoint
	sock string
	fail chan error
	logs *ipc.Logs
	file *fakeFile
}

// startCtlTarget starts and serves the tree; the test's end shuts it down
// and removes its socket.
func startCtlTarget(t *testing.T, withProcess bool, cfg ipc.Config) *ctlTarget {
	t.Helper()
	dir := socketDir(t)
	tg := &ctlTarget{fail: make(chan error), logs: ipc.NewLogs(0, 0), sock: filepath.Join(dir, "t.sock"),
		file: &fakeFile{plan: &supervisor.Plan{Changes: []supervisor.Change{{Path: "/extra", Action: supervisor.ChangeAdd}}}}}
	logger := slog.New(tg.logs.Handler(nil))
	children := []supervisor.Child{{Name: "db", Run: idle}, {Name: "api", Run: tg.failing},
		{Name: "workers", Tree: &supervisor.Spec{Children: []supervisor.Child{{Name: "w1", Run: idle}}}}}
	if withProcess {
		proc := &process.Command{Path: "/bin/sh", Args: []string{"-c", "echo out; echo err >&2; exec sleep 1000"},
			Ready: process.Ready{Line: "^out$"}, Logger: logger}
		children = append(children, proc.Child("proc"))
	}
	var err error
	tg.tree, err = supervisor.Start(context.Background(), supervisor.Spec{Name: "shop", Logger: logger,
		Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Minute}, Children: children})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Path = tg.sock
	tg.ep, err = ipc.Listen(tg.tree, cfg, ipc.Wiring{Logs: tg.logs, Children: testLoader(), File: tg.file})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tg.ep.Close()
		tg.tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "the test ended"})
	})
	return tg
}

func idle(ctx context.Context) error { <-ctx.Done(); return nil }

func (tg *ctlTarget) failing(ctx context.Context) error {
	select {
	case err := <-tg.fail:
		return err
	case <-ctx.Done():
		return nil
	}
}

// ctl runs "supervisor ctl --socket SOCK args..." and returns its exit
// code, stdout and stderr.
func (tg *ctlTarget) ctl(args ...string) (int, string, string) {
	inv := newInvocation()
	code := inv.main(append([]string{"ctl", "--socket", tg.sock}, args...)...)
	return code, inv.stdout.String(), inv.stderr.String()
}

// state returns the state of the child at path.
func (tg *ctlTarget) state(t *testing.T, path string) supervisor.State {
	t.Helper()
	ch, ok := tg.tree.Snapshot().Child(path)
	if !ok {
		t.Fatalf("no child at %s", path)
	}
	return ch.State
}

// waitState waits for the child at path to be in state st.
func (tg *ctlTarget) waitState(t *testing.T, path string, st supervisor.State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for tg.state(t, path) != st {
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s, not %s", path, tg.state(t, path), st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeFile is the config file of a target: its plan, and the reloads
// asked for.
type fakeFile struct {
	mu      sync.Mutex
	plan    *supervisor.Plan
	reloads []supervisor.Audit
}

func (f *fakeFile) Plan(context.Context) (*supervisor.Plan, error) { return f.plan, nil }

func (f *fakeFile) Reload(_ context.Context, a supervisor.Audit) (*supervisor.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads = append(f.reloads, a)
	return f.plan, nil
}

// withStdin makes f the process's stdin until the test ends.
func withStdin(t *testing.T, f *os.File) {
	t.Helper()
	old := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = old })
}

// noTerminal makes stdin /dev/null.
func noTerminal(t *testing.T) {
	t.Helper()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { null.Close() })
	withStdin(t, null)
}

// Usage errors say what is wrong and exit 2, before connecting.
func TestCtlUsage(t *testing.T) {
	t.Setenv(cli.SocketEnv, "")
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"ctl"}, cli.ExitUsage, "", "which command?"},
		{[]string{"ctl", "--help"}, cli.ExitOK, "  restart    PATH", ""},
		{[]string{"ctl", "frob"}, cli.ExitUsage, "", `unknown command "frob"`},
		{[]string{"ctl", "status"}, cli.ExitUsage, "", "pass --socket PATH, or set $SUPERVISOR_SOCKET"},
		{[]string{"ctl", "--socket", "/x", "restart", "/api"}, cli.ExitUsage, "", "--why is required"},
		{[]string{"ctl", "restart", "--help"}, cli.ExitOK, "Usage: supervisor ctl restart [flags] PATH", ""},
		{[]string{"ctl", "help", "logs"}, cli.ExitOK, "-stderr", ""},
		{[]string{"ctl", "restart", "--why", "x"}, cli.ExitUsage, "", "want 1 argument (PATH), got 0"},
		{[]string{"ctl", "status", "/a", "/b"}, cli.ExitUsage, "", "want 1 argument ([PATH]), got 2"},
		{[]string{"ctl", "shutdown", "now", "--why", "x"}, cli.ExitUsage, "", `takes no arguments, got 1: "now"`},
		{[]string{"ctl", "logs", "--stderr", "--stdout"}, cli.ExitUsage, "", "give one of them"},
		{[]string{"ctl", "logs", "-n", "-3"}, cli.ExitUsage, "", "want a number of records"},
		{[]string{"ctl", "--timeout", "-1s", "status"}, cli.ExitUsage, "", "must not be negative"},
		{[]string{"ctl", "add", "/", "/nonexistent/child.yaml", "--why", "x"}, cli.ExitUsage, "", "no such file"},
	} {
		inv := newInvocation()
		code := inv.main(tc.args...)
		if code != tc.code || !strings.Contains(inv.stdout.String(), tc.stdout) || !strings.Contains(inv.stderr.String(), tc.stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, inv.stdout, inv.stderr,
				tc.code, tc.stdout, tc.stderr)
		}
	}
}

// A connection that fails names the socket and what to check; the socket
// may come from $SUPERVISOR_SOCKET.
func TestCtlCannotConnect(t *testing.T) {
	sock := filepath.Join(socketDir(t), "none.sock")
	t.Setenv(cli.SocketEnv, sock)
	inv := newInvocation()
	if code := inv.main("ctl", "status"); code != cli.ExitUnreachable ||
		!strings.Contains(inv.stderr.String(), "cannot connect to "+sock) ||
		!strings.Contains(inv.stderr.String(), "is the target running, with IPC on") {
		t.Fatalf("exit %d, stderr %s", code, inv.stderr)
	}
}

// status shows every child, indented by depth, with its state, uptime,
// restarts and resources: a process child's pid and memory, a Go child's
// goroutines.
func TestCtlStatus(t *testing.T) {
	tg := startCtlTarget(t, true, ipc.Config{})
	waitLog(t, tg, "err")
	code, out, errOut := tg.ctl("status")
	if code != cli.ExitOK {
		t.Fatalf("status: exit %d: %s", code, errOut)
	}
	header := "● shop: epoch " + tg.tree.ID() + ", pid " + strconv.Itoa(os.Getpid()) + ", up "
	if !strings.HasPrefix(out, header) || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "5 children: ") {
		t.Errorf("header:\n%s", out)
	}
	for _, re := range []string{
		`(?m)^PATH +STATE +UPTIME +RESTARTS +RESOURCES +LAST EXIT$`,
		`(?m)^/db +running +\S+ +0 +1 goroutine +-$`,
		`(?m)^/workers +ready +\S+ +0 `,
		`(?m)^  /workers/w1 +running `,
		`(?m)^/proc +ready +\S+ +0 +pid [1-9]\d*, [\d.]+ (KiB|MiB), cpu \S+ +-$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("status lacks %s:\n%s", re, out)
		}
	}
	for line := range strings.Lines(out) {
		if l := strings.TrimSuffix(line, "\n"); l != strings.TrimRight(l, " ") {
			t.Errorf("line ends with a space: %q", l)
		}
	}

	code, out, _ = tg.ctl("status", "/workers")
	if code != cli.ExitOK || strings.Contains(out, "/db") || !strings.Contains(out, "\n  /workers/w1 ") {
		t.Errorf("status /workers: exit %d:\n%s", code, out)
	}
	if code, _, errOut := tg.ctl("status", "/nope"); code != cli.ExitRefused || !strings.Contains(errOut, "not found: no child at /nope") {
		t.Errorf("status /nope: exit %d, %s", code, errOut)
	}

	code, out, _ = tg.ctl("status", "--json")
	var st ipc.StateResult
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != cli.ExitOK || st.Target != "shop" ||
		len(st.Snapshot.Children) != 5 || len(st.Stats) != 5 {
		t.Fatalf("status --json: exit %d, %v, %+v", code, err, st)
	}
}

// A failed child's last exit is in status: its class and error.
func TestCtlStatusLastExit(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	tg.fail <- errors.New("dial tcp 10.0.0.7:5432: connection refused")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ch, _ := tg.tree.Snapshot().Child("/api"); ch.Restarts == 1 && ch.State == supervisor.StateRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/api did not restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, out, _ := tg.ctl("status")
	if !regexp.MustCompile(`(?m)^/api +running +\S+ +1 +1 goroutine +abnormal \S+ ago: dial tcp 10.0.0.7:5432: connection refused$`).MatchString(out) {
		t.Fatalf("status:\n%s", out)
	}
}

// waitLog waits for the target to have kept a record whose message is msg.
func waitLog(t *testing.T, tg *ctlTarget, msg string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out, _ := tg.ctl("logs", "--json")
		if strings.Contains(out, `"msg":"`+msg+`"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no record %q in:\n%s", msg, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// restart restarts a child and prints the command's id and last event;
// a child that fails is restarted, and events shows all of it.
func TestCtlRestartAndEvents(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	before := tg.tree.Snapshot().Seq
	code, out, errOut := tg.ctl("restart", "/api", "--why", "stuck", "--who", "alice")
	m := regexp.MustCompile(`^restart /api: ok \(command ([0-9a-f]{16}), events up to #(\d+)\)\n$`).FindStringSubmatch(out)
	if code != cli.ExitOK || m == nil {
		t.Fatalf("restart: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	tg.fail <- errors.New("boom")
	tg.waitState(t, "/api", supervisor.StateRunning)

	code, out, _ = tg.ctl("events", "--since", strconv.FormatUint(before, 10))
	if code != cli.ExitOK {
		t.Fatalf("events: exit %d", code)
	}
	for _, want := range []string{
		` #` + strconv.FormatUint(before+1, 10) + ` command_accepted /api `,
		`command=restart who="alice" why="stuck"`,
		`child_exited /api generation=`, `exit=abnormal error="boom"`, `child_restarted /api`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("events lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "missed") || strings.Contains(out, " #"+strconv.FormatUint(before, 10)+" ") {
		t.Errorf("events --since %d:\n%s", before, out)
	}
	// Each line is an event, in order, up to the newest at the call.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	seqRe := regexp.MustCompile(` #(\d+) `)
	for i, line := range lines {
		seq, _ := strconv.ParseUint(seqRe.FindStringSubmatch(line)[1], 10, 64)
		if seq != before+1+uint64(i) {
			t.Fatalf("line %d is #%d: %s", i, seq, line)
		}
	}

	code, out, _ = tg.ctl("events", "--json")
	var first supervisor.Event
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &first); err != nil || code != cli.ExitOK ||
		first.Seq != 1 || strings.Count(out, "\n") != int(tg.tree.Snapshot().Seq) {
		t.Fatalf("events --json: exit %d, %v, %+v\n%s", code, err, first, out)
	}
}

// A repeat of a command id gets the first run's result and does not run
// it again.
func TestCtlCommandIDRepeat(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	for range 2 {
		code, out, errOut := tg.ctl("restart", "/db", "--why", "retry", "--command-id", "c0ffee")
		if code != cli.ExitOK || !strings.Contains(out, "(command c0ffee,") {
			t.Fatalf("restart: exit %d, %s%s", code, out, errOut)
		}
	}
	if ch, _ := tg.tree.Snapshot().Child("/db"); ch.Restarts != 1 {
		t.Fatalf("/db restarted %d times", ch.Restarts)
	}
	code, _, errOut := tg.ctl("pause", "/db", "--why", "retry", "--command-id", "c0ffee")
	if code != cli.ExitRefused || !strings.Contains(errOut, "command conflict: ") {
		t.Fatalf("the same id for another command: exit %d, %s", code, errOut)
	}
}

// The target's refusals are said in plain words, with exit code 1.
func TestCtlRefused(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	code, _, errOut := tg.ctl("restart", "/nope", "--why", "x")
	if code != cli.ExitRefused || !strings.HasPrefix(errOut, "supervisor ctl restart: not found: ") ||
		!strings.Contains(errOut, "/nope") {
		t.Fatalf("restart /nope: exit %d, %q", code, errOut)
	}
	code, _, errOut = tg.ctl("add", "/db", "-", "--why", "x")
	if code != cli.ExitUsage {
		t.Fatalf("add from an empty stdin: exit %d, %q", code, errOut)
	}

	readOnly := startCtlTarget(t, false, ipc.Config{Grants: []ipc.Grant{{UIDs: []uint32{uint32(os.Getuid())}, Classes: []ipc.Class{ipc.Read}}}})
	code, _, errOut = readOnly.ctl("pause", "/db", "--why", "x")
	if code != cli.ExitRefused || !strings.Contains(errOut, "forbidden: ") {
		t.Fatalf("pause on a read-only grant: exit %d, %q", code, errOut)
	}
	if code, _, _ := readOnly.ctl("status"); code != cli.ExitOK {
		t.Fatalf("status on a read-only grant: exit %d", code)
	}
}

// Every command changes the tree as it says, with the audit record.
func TestCtlCommands(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	steps := []struct {
		args []string
		path string
		want supervisor.State
	}{
		{[]string{"pause", "/db"}, "/db", supervisor.StatePaused},
		{[]string{"resume", "/db"}, "/db", supervisor.StateRunning},
		{[]string{"quarantine", "/workers/w1"}, "/workers/w1", supervisor.StateQuarantined},
		{[]string{"reset", "/workers/w1"}, "/workers/w1", supervisor.StateQuarantined},
		{[]string{"resume", "/workers/w1"}, "/workers/w1", supervisor.StateRunning},
	}
	for _, s := range steps {
		code, out, errOut := tg.ctl(append(s.args, "--why", "test")...)
		if code != cli.ExitOK || !strings.HasPrefix(out, s.args[0]+" "+s.path+": ok (command ") {
			t.Fatalf("%q: exit %d, %s%s", s.args, code, out, errOut)
		}
		tg.waitState(t, s.path, s.want)
	}

	file := filepath.Join(t.TempDir(), "child.yaml")
	writeFile(t, file, "name: w2\nrun: test.idle\n")
	if code, out, errOut := tg.ctl("add", "/workers", file, "--why", "more"); code != cli.ExitOK ||
		out == "" || tg.state(t, "/workers/w2") != supervisor.StateRunning {
		t.Fatalf("add: exit %d, %s%s", code, out, errOut)
	}
	r, w, _ := os.Pipe()
	w.WriteString("name: w3\nrun: test.idle\n")
	w.Close()
	withStdin(t, r)
	if code, _, errOut := tg.ctl("add", "/workers", "-", "--why", "more"); code != cli.ExitOK {
		t.Fatalf("add from stdin: exit %d, %s", code, errOut)
	}
	r.Close()
	tg.waitState(t, "/workers/w3", supervisor.StateRunning)
	if code, _, errOut := tg.ctl("add", "/workers", file, "--why", "again"); code != cli.ExitRefused ||
		!strings.Contains(errOut, "already exists: ") {
		t.Fatalf("add twice: exit %d, %s", code, errOut)
	}

	noTerminal(t)
	if code, out, errOut := tg.ctl("remove", "/workers/w2", "--why", "fewer", "--yes"); code != cli.ExitOK ||
		!strings.HasPrefix(out, "remove /workers/w2: ok") {
		t.Fatalf("remove: exit %d, %s%s", code, out, errOut)
	}
	if _, ok := tg.tree.Snapshot().Child("/workers/w2"); ok {
		t.Fatal("/workers/w2 was not removed")
	}
}

// plan prints the plan of the target's config file; apply applies it
// with the audit record, and prints it.
func TestCtlPlanAndApply(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	if code, out, errOut := tg.ctl("plan"); code != cli.ExitOK || out != "add /extra\n" {
		t.Fatalf("plan: exit %d, %q %s", code, out, errOut)
	}
	noTerminal(t)
	code, out, errOut := tg.ctl("apply", "--why", "new version", "--who", "bob", "--yes")
	if code != cli.ExitOK || !strings.HasPrefix(out, "apply: ok (command ") || !strings.HasSuffix(out, ")\nadd /extra\n") {
		t.Fatalf("apply: exit %d, %q %s", code, out, errOut)
	}
	if len(tg.file.reloads) != 1 || tg.file.reloads[0] != (supervisor.Audit{Who: "bob", Why: "new version"}) {
		t.Fatalf("reloads: %+v", tg.file.reloads)
	}
	code, out, _ = tg.ctl("plan", "--json")
	var r ipc.CommandResult
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != cli.ExitOK || r.Plan == nil || len(r.Plan.Changes) != 1 {
		t.Fatalf("plan --json: %v %q", err, out)
	}
}

// A destructive command is not sent unconfirmed: without --yes, and with
// no terminal to ask on, it is refused and the tree is unchanged.
func TestCtlConfirmation(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	noTerminal(t)
	before := tg.tree.Snapshot().Seq
	for _, args := range [][]string{{"remove", "/db"}, {"shutdown"}, {"apply"}} {
		code, out, errOut := tg.ctl(append(args, "--why", "oops")...)
		if code != cli.ExitNotConfirmed || out != "" || !strings.Contains(errOut, "pass --yes to confirm") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if s := tg.tree.Snapshot(); s.Seq != before || tg.state(t, "/db") != supervisor.StateRunning || len(tg.file.reloads) != 0 {
		t.Fatalf("the tree changed: seq %d, was %d", s.Seq, before)
	}
}

// On a terminal, a destructive command asks the operator to type the path
// (or the target's id) and is sent only if they did.
func TestCtlConfirmOnTerminal(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	term := openTerminal(t)
	withStdin(t, term.tty)
	term.typeLine(t, "/api")
	code, _, errOut := tg.ctl("remove", "/db", "--why", "typo")
	if code != cli.ExitNotConfirmed || !strings.Contains(errOut, "Type its path, /db, to confirm: ") ||
		!strings.Contains(errOut, `not confirmed: you typed "/api", not "/db"`) || tg.state(t, "/db") != supervisor.StateRunning {
		t.Fatalf("remove, confirmed with another path: exit %d, %s", code, errOut)
	}
	term.typeLine(t, "/db")
	if code, out, errOut := tg.ctl("remove", "/db", "--why", "gone"); code != cli.ExitOK || !strings.HasPrefix(out, "remove /db: ok") {
		t.Fatalf("remove, confirmed: exit %d, %s%s", code, out, errOut)
	}
	if _, ok := tg.tree.Snapshot().Child("/db"); ok {
		t.Fatal("/db was not removed")
	}
	term.typeLine(t, "shop")
	code, out, errOut := tg.ctl("apply", "--why", "new file")
	if code != cli.ExitOK || !strings.Contains(errOut, "The plan:\nadd /extra\n") || !strings.Contains(out, "add /extra") {
		t.Fatalf("apply, confirmed: exit %d, %s%s", code, out, errOut)
	}
}

// logs prints the records the target keeps: one child's, one stream.
func TestCtlLogs(t *testing.T) {
	tg := startCtlTarget(t, true, ipc.Config{})
	waitLog(t, tg, "err")
	code, out, errOut := tg.ctl("logs", "/proc", "--stderr")
	if code != cli.ExitOK || !regexp.MustCompile(`^\w{3} \d\d \d\d:\d\d:\d\d\.\d{3} #\d+ INFO  /proc\[\d+\] stderr: err\n$`).MatchString(out) {
		t.Fatalf("logs /proc --stderr: exit %d, %q %s", code, out, errOut)
	}
	if _, out, _ := tg.ctl("logs", "/proc", "--stdout"); !strings.HasSuffix(out, "stdout: out\n") || strings.Contains(out, "err") {
		t.Fatalf("logs /proc --stdout: %q", out)
	}
	_, all, _ := tg.ctl("logs")
	if !strings.Contains(all, "stdout: out\n") || !strings.Contains(all, "stderr: err\n") || !strings.Contains(all, " tree_started ") {
		t.Fatalf("logs:\n%s", all)
	}
	n := strings.Count(all, "\n")
	if _, out, _ := tg.ctl("logs", "-n", "2"); strings.Count(out, "\n") != 2 || !strings.HasSuffix(all, out) {
		t.Fatalf("logs -n 2: %q, of\n%s", out, all)
	}
	seq := regexp.MustCompile(` #(\d+) `).FindStringSubmatch(strings.Split(all, "\n")[n-2])[1]
	if _, out, _ := tg.ctl("logs", "--since", seq); strings.Count(out, "\n") != 1 || !strings.HasSuffix(all, out) {
		t.Fatalf("logs --since %s: %q, of\n%s", seq, out, all)
	}
	_, out, _ = tg.ctl("logs", "/proc", "--json")
	var rec ipc.LogRecord
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &rec); err != nil || rec.Path != "/proc" || rec.PID == 0 {
		t.Fatalf("logs --json: %v %+v", err, rec)
	}
}

// More records than a page holds are paged back through.
func TestCtlLogsPages(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	waitLog(t, tg, "tree_started") // the tree's log is written from its own goroutine
	logger := slog.New(tg.logs.Handler(nil))
	for i := range 1500 {
		logger.Info("line", "i", i)
	}
	_, out, _ := tg.ctl("logs", "-n", "1200")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1200 || !strings.HasSuffix(lines[0], " line i=300") || !strings.HasSuffix(lines[1199], " line i=1499") {
		t.Fatalf("logs -n 1200: %d lines, %q ... %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

// logs --follow prints new records as they come, until interrupted.
func TestCtlLogsFollow(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	inv := newInvocation()
	code := inv.start("ctl", "--socket", tg.sock, "logs", "--follow", "-n", "0")
	logger := slog.New(tg.logs.Handler(nil))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(inv.stdout.String(), "first") { // until the subscription is on
		if time.Now().After(deadline) {
			t.Fatalf("no record followed:\n%s%s", inv.stdout, inv.stderr)
		}
		logger.Info("first")
		time.Sleep(20 * time.Millisecond)
	}
	logger.Info("hello", "to", "the world")
	inv.stdout.waitFor(t, ` hello to="the world"`)
	inv.sigs <- syscall.SIGINT
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
}

// events --follow prints new events until the tree ends; shutdown prints
// its report.
func TestCtlEventsFollowUntilShutdown(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	inv := newInvocation()
	code := inv.start("ctl", "--socket", tg.sock, "events", "--follow")
	inv.stdout.waitFor(t, " tree_started /")
	noTerminal(t)
	c, out, errOut := tg.ctl("shutdown", "--why", "maintenance", "--yes")
	if c != cli.ExitOK {
		t.Fatalf("shutdown: exit %d, %s", c, errOut)
	}
	for _, re := range []string{
		`^shutdown: ok \(command [0-9a-f]+, events up to #\d+\)\n`,
		`\nthe tree stopped in \S+ \(requested by \S+: maintenance\): 4 children: 4 graceful; 0 goroutines left\n`,
		`\nPATH +OUTCOME +TOOK +EXIT\n`, `\n/db +graceful +\S+ +stopped\n`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("shutdown's output lacks %s:\n%s", re, out)
		}
	}
	if c := exitCode(t, code); c != cli.ExitOK {
		t.Fatalf("events --follow: exit %d: %s", c, inv.stderr)
	}
	if out := inv.stdout.String(); !strings.Contains(out, " shutdown_completed /") ||
		!strings.HasSuffix(out, "── shop: the tree has ended; every event of it was printed\n") {
		t.Fatalf("events --follow:\n%s", out)
	}
}

// events --follow ends cleanly on SIGTERM.
func TestCtlEventsFollowInterrupted(t *testing.T) {
	tg := startCtlTarget(t, false, ipc.Config{})
	inv := newInvocation()
	code := inv.start("ctl", "--socket", tg.sock, "events", "--follow", "--json")
	inv.stdout.waitFor(t, `"kind":"tree_started"`)
	inv.sigs <- syscall.SIGTERM
	if c := exitCode(t, code); c != cli.ExitOK || inv.stderr.String() != "" {
		t.Fatalf("exit %d: %s", c, inv.stderr)
	}
}

// testLoader decodes add's child as a config file's child entry, with
// test.idle registered.
func testLoader() *config.Loader {
	reg := &config.Registry{}
	reg.Func("test.idle", idle)
	return &config.Loader{Registry: reg}
}
