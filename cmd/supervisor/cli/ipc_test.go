package cli_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
	"github.com/go-supervisor/supervisor/ipc"
)

// socketDir returns a short private directory for sockets, whose paths
// are limited to 107 bytes.
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cli")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func ipcCall(t *testing.T, c *ipc.Client, method string, params, result any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Call(ctx, method, params, result)
}

const ipcConfig = `name: shop
ipc:
  path: SOCK
  exec_allow: [/bin/sh]
  exec_env: [WORKER_QUEUE]
children:
  - name: talker
    exec:
      path: /bin/sh
      args: ["-c", "echo out; echo err >&2; exec sleep 1000"]
      ready: {line: "^out"}
    shutdown: 2s
  - {name: idle, run: test.idle}
`

// run with an ipc section serves the tree: state with a process child's
// pid and memory, its stderr apart from its stdout, its events, a restart,
// an add of a program the exec allowlist names (and not of another), a
// plan and an apply of the edited file; the socket is gone once run ends.
func TestRunServesIPC(t *testing.T) {
	sock := filepath.Join(socketDir(t), "shop.sock")
	file := writeFile(t, filepath.Join(t.TempDir(), "shop.yaml"), strings.Replace(ipcConfig, "SOCK", sock, 1))
	inv := newInvocation()
	code := inv.start("run", file)
	inv.stdout.waitFor(t, "serving ipc")
	c, err := ipc.Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var st ipc.StateResult
	if err := ipcCall(t, c, "state", ipc.StateParams{Stats: true}, &st); err != nil {
		t.Fatal(err)
	}
	if st.Target != "shop" || len(st.Stats) != 2 || st.Stats[0].PID == 0 || st.Stats[0].RSS == 0 {
		t.Fatalf("state: %+v", st.Stats)
	}
	var logs ipc.LogsResult
	if err := ipcCall(t, c, "logs", ipc.LogsParams{Path: "/talker", Source: "stderr"}, &logs); err != nil {
		t.Fatal(err)
	}
	if len(logs.Records) != 1 || logs.Records[0].Msg != "err" || logs.Records[0].PID != st.Stats[0].PID {
		t.Fatalf("the stderr of /talker: %+v", logs.Records)
	}
	audit := func(id string) ipc.CommandParams {
		return ipc.CommandParams{CommandID: id, Who: "ops", Why: "test", Confirmed: true}
	}
	add := audit("add")
	add.Path, add.Child = "/", "name: extra\nexec: {path: /bin/sh, args: [-c, 'exec sleep 1000']}\n"
	if err := ipcCall(t, c, "add", add, nil); err != nil {
		t.Fatal(err)
	}
	add.CommandID, add.Child = "add2", "name: other\nexec: {path: /usr/bin/env, args: [sleep, '1000']}\n"
	var perr *ipc.Error
	if err := ipcCall(t, c, "add", add, nil); !errors.As(err, &perr) || perr.Code != "program_not_allowed" {
		t.Fatalf("add of a program not allowed: %v", err)
	}
	for i, env := range []string{"{LD_PRELOAD: /tmp/x.so}", "{WORKER_QUEUE: '${file:/etc/shadow}'}"} {
		add.CommandID = "env" + strconv.Itoa(i)
		add.Child = "name: e" + strconv.Itoa(i) + "\nexec: {path: /bin/sh, args: [-c, 'exec sleep 1000'], env: " + env + "}\n"
		if err := ipcCall(t, c, "add", add, nil); !errors.As(err, &perr) || perr.Code != "program_not_allowed" {
			t.Fatalf("add of an allowed program with env %s: %v", env, err)
		}
	}
	writeFile(t, file, strings.Replace(ipcConfig, "SOCK", sock, 1)+"  - {name: more, run: test.idle}\n")
	var plan ipc.CommandResult
	if err := ipcCall(t, c, "plan", nil, &plan); err != nil {
		t.Fatal(err)
	}
	if got := plan.Plan.String(); got != "add /more\n" { // from the file's last version, as a SIGHUP prints it
		t.Fatalf("plan:\n%s", got)
	}
	if err := ipcCall(t, c, "apply", audit("apply"), &plan); err != nil {
		t.Fatal(err)
	}
	if _, ok := func() (supervisor.ChildInfo, bool) {
		var st ipc.StateResult
		ipcCall(t, c, "state", nil, &st)
		return st.Snapshot.Child("/more")
	}(); !ok {
		t.Fatal("apply did not add /more")
	}
	inv.sigs <- syscall.SIGTERM
	if got := exitCode(t, code); got != cli.ExitOK {
		t.Fatalf("exit %d; stderr %s", got, inv.stderr)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the socket outlived run: %v", err)
	}
}

// --ipc serves a tree whose file has no ipc section; a socket path in use
// stops run before the tree starts.
func TestRunIPCFlag(t *testing.T) {
	sock := filepath.Join(socketDir(t), "s.sock")
	file := writeFile(t, filepath.Join(t.TempDir(), "app.yaml"), "children:\n  - {name: a, run: test.idle}\n")
	first := newInvocation()
	code := first.start("run", "--ipc", sock, file)
	first.stdout.waitFor(t, "serving ipc")

	second := newInvocation()
	if got := second.main("run", "--ipc", sock, file); got != cli.ExitStart ||
		!strings.Contains(second.stderr.String(), "cannot bind socket "+sock) {
		t.Fatalf("a second run on the same socket: exit %d, %s", got, second.stderr)
	}
	if strings.Contains(second.stdout.String(), "started") {
		t.Fatalf("the second run started its tree:\n%s", second.stdout)
	}
	// A shutdown over IPC is run's, as a signal's is: a signal after it
	// does not start another.
	c, err := ipc.Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var r ipc.CommandResult
	if err := ipcCall(t, c, "shutdown", ipc.CommandParams{CommandID: "s", Who: "ops", Why: "maintenance", Confirmed: true}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Report == nil || !strings.Contains(r.Report.Cause, "maintenance") {
		t.Fatalf("shutdown's report: %+v", r.Report)
	}
	if got := exitCode(t, code); got != cli.ExitOK {
		t.Fatalf("exit %d; stderr %s", got, first.stderr)
	}
	if out := first.stdout.String(); !strings.Contains(out, "shutting down who=ops why=maintenance") {
		t.Fatalf("run did not report the shutdown:\n%s", out)
	}
}
