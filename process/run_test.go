//go:build linux

package process_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/process"
	"github.com/go-supervisor/supervisor/supervisortest"
)

var audit = supervisor.Audit{Who: "test", Why: "end of test"}

// A program that ignores the stop signal is killed with its whole group a
// margin before the stop deadline: Run returns within the budget (the child
// is not abandoned), the kill is logged and reported as an *ExitError with
// Killed, and neither the program nor its child survives or stays a zombie.
func TestStopKillsGroupThatIgnoresStopSignal(t *testing.T) {
	log, buf := newLogger()
	// dash keeps sh waiting for sleep; both ignore SIGTERM (an ignored
	// signal stays ignored across exec).
	cmd := sh(`trap '' TERM; sleep 1000 & echo trapped; wait`)
	cmd.Logger = log
	cmd.Ready.Line = "^trapped$"
	child := cmd.Child("stubborn")
	const budget = time.Second // killed 100ms before the deadline
	child.Shutdown = budget
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{child}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, buf, "/stubborn")
	if n := len(group(pid)); n != 2 {
		t.Fatalf("group %d has %d processes, want sh and sleep: %+v", pid, n, group(pid))
	}

	report, err := tree.Shutdown(ctxTimeout(t), audit)
	if err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	o := report.Children[0]
	if o.Outcome != supervisor.OutcomeGraceful {
		t.Errorf("outcome %v, want graceful: Run must return before the deadline", o.Outcome)
	}
	if o.Duration >= budget || o.Duration < budget*8/10 {
		t.Errorf("Run returned %v after the stop request; want it killed shortly before the %v budget", o.Duration, budget)
	}
	e := exitErr(t, o.Err)
	if !e.Killed || e.Signal != syscall.SIGKILL || e.ExitCode() != 137 || e.Pid != pid {
		t.Errorf("exit error %+v: want Killed, SIGKILL, exit code 137, pid %d", e, pid)
	}
	if want := fmt.Sprintf("(pid %d) ignored SIGTERM for ", pid); !strings.Contains(e.Error(), want) ||
		!strings.HasSuffix(e.Error(), "killed its process group with SIGKILL") {
		t.Errorf("error %q, want it to say %q and the kill", e.Error(), want)
	}
	rec, ok := buf.find(t, func(msg string) bool { return strings.HasPrefix(msg, "ignored SIGTERM for ") })
	if !ok {
		t.Fatalf("no kill record in:\n%s", buf)
	}
	if !strings.HasSuffix(rec["msg"].(string), ": killed process group") || rec["level"] != "WARN" ||
		rec["path"] != "/stubborn" || rec["pid"] != float64(pid) {
		t.Errorf("kill record %v: want a WARN naming the path and pid", rec)
	}
	assertReaped(t, pid)
	waitGroupDead(t, pid)
	supervisortest.CheckGoroutines(t, tree)
}

// The program's default stop: SIGTERM to the group, a clean stop.
func TestStopSendsStopSignalToGroup(t *testing.T) {
	log, buf := newLogger()
	cmd := sh(`trap 'echo bye; exit 0' USR1; sleep 1000 & echo up; wait`)
	cmd.Logger = log
	cmd.StopSignal = syscall.SIGUSR1
	cmd.Ready.Line = "^up$"
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{cmd.Child("polite")}})
	pid := pidOf(t, buf, "/polite")
	report, err := tree.Shutdown(ctxTimeout(t), audit)
	if err != nil {
		t.Fatal(err)
	}
	o := report.Children[0]
	if o.Outcome != supervisor.OutcomeGraceful || o.Err != nil || o.Duration > supervisor.DefaultShutdown/2 {
		t.Errorf("outcome %v after %v with error %v: want graceful with nil (exit 0), quickly", o.Outcome, o.Duration, o.Err)
	}
	if _, ok := buf.find(t, func(msg string) bool { return msg == "bye" }); !ok {
		t.Errorf("the trap did not run:\n%s", buf)
	}
	assertReaped(t, pid)
	waitGroupDead(t, pid) // sleep died of SIGUSR1 too
}

// A program that dies of the stop signal returns an *ExitError saying so,
// classified as a clean stop.
func TestStopTerminatedBySignal(t *testing.T) {
	log, buf := newLogger()
	cmd := sh(`echo up; exec sleep 1000`)
	cmd.Logger = log
	cmd.Ready.Line = "up"
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{cmd.Child("sleepy")}})
	pid := pidOf(t, buf, "/sleepy")
	report, err := tree.Shutdown(ctxTimeout(t), audit)
	if err != nil {
		t.Fatal(err)
	}
	o := report.Children[0]
	e := exitErr(t, o.Err)
	if o.Exit != supervisor.ExitStopped || e.Signal != syscall.SIGTERM || e.Killed || e.Code != -1 {
		t.Errorf("exit %v, error %+v: want a clean stop, terminated by SIGTERM, not killed", o.Exit, e)
	}
	if !strings.HasSuffix(e.Error(), fmt.Sprintf("(pid %d) was terminated by SIGTERM", pid)) {
		t.Errorf("error %q", e.Error())
	}
}

// Run works without a supervisor: cancelling ctx stops the program, and
// with no stop deadline Run waits for it.
func TestRunWithoutSupervisor(t *testing.T) {
	log, buf := newLogger()
	cmd := sh(`echo up; exec sleep 1000`)
	cmd.Logger = log
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- cmd.Run(ctx) }()
	deadline := time.Now().Add(waitTimeout)
	for !strings.Contains(buf.String(), `"msg":"up"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no output:\n%s", buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	err := <-errc
	if e := exitErr(t, err); e.Signal != syscall.SIGTERM {
		t.Errorf("error %v, want terminated by SIGTERM", err)
	}
	rec, _ := buf.find(t, func(msg string) bool { return msg == "up" })
	if _, ok := rec["path"]; ok {
		t.Errorf("record %v has a path outside a supervisor", rec)
	}
}

// Once the program exits, what is left of its group is killed: a
// background grandchild does not survive it, and the pipes it held close.
// A shutdown that gives up at once (its context is done, as after a second
// signal to the CLI) abandons the attempt: the group is killed first, so
// that nothing of it survives the supervisor.
func TestAbandonKillsGroup(t *testing.T) {
	log, buf := newLogger()
	cmd := sh(`trap '' TERM; sleep 1000 & echo trapped; wait`)
	cmd.Logger = log
	cmd.Ready.Line = "^trapped$"
	child := cmd.Child("stubborn")
	child.Shutdown = time.Minute
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{child}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, buf, "/stubborn")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	report, _ := tree.Shutdown(ctx, audit)
	if o := report.Children[0]; o.Outcome != supervisor.OutcomeAbandoned {
		t.Fatalf("outcome %v, want abandoned", o.Outcome)
	}
	waitGroupDead(t, pid)
	if !strings.Contains(buf.String(), "abandoned by the supervisor: killed process group") {
		t.Errorf("no record of the kill:\n%s", buf)
	}
}

func TestGrandchildDoesNotSurvive(t *testing.T) {
	log, buf := newLogger()
	pidFile := tempFile(t, "grandchild")
	// exit 9 if the grandchild is not running when the program exits.
	cmd := sh(`sleep 1000 & echo $! > ` + pidFile + `; kill -0 $! || exit 9; exit 0`)
	cmd.Logger = log
	child := cmd.Child("parent")
	child.Restart = supervisor.Transient
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{child}, Logger: log})
	rec := supervisortest.Record(tree)
	defer rec.Close()
	waitEvent(t, rec, supervisortest.Exited("/parent", supervisor.ExitNormal))
	pid := pidOf(t, buf, "/parent")
	gpid := readPid(t, pidFile)
	assertReaped(t, pid)
	waitDead(t, gpid)
	waitGroupDead(t, pid)
	if strings.Contains(buf.String(), "output still open") {
		t.Errorf("the grandchild kept the pipes open:\n%s", buf)
	}
}

// A daemon that leaves the program's group escapes the group kill (a
// documented limit) but cannot hold Run: the pipes are cut off.
func TestEscapedDaemonDoesNotHoldRun(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("no setsid")
	}
	log, buf := newLogger()
	pidFile := tempFile(t, "daemon")
	// The program exits once the daemon has its own session and group.
	cmd := sh(`setsid sleep 1000 & echo $! > ` + pidFile + `
until [ "$(cut -d' ' -f5 /proc/$!/stat)" != "$$" ]; do sleep 0.01; done; exit 0`)
	cmd.Logger = log
	child := cmd.Child("forker")
	child.Restart = supervisor.Transient
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{child}})
	rec := supervisortest.Record(tree)
	defer rec.Close()
	dpid := readPid(t, pidFile)
	t.Cleanup(func() {
		syscall.Kill(dpid, syscall.SIGKILL)
		waitDead(t, dpid)
	})
	waitEvent(t, rec, supervisortest.Exited("/forker", supervisor.ExitNormal))
	if _, ok := buf.find(t, func(msg string) bool { return strings.HasPrefix(msg, "output still open") }); !ok {
		t.Errorf("no warning about the pipes:\n%s", buf)
	}
	if p, ok := readProc(dpid); !ok || p.state == 'Z' {
		t.Errorf("the daemon %d is not running: this test no longer covers an escaped daemon", dpid)
	}
}

// An exit code is an *ExitError with the code and the last stderr line,
// which a Rule's ExitCodes matches.
func TestExitCode(t *testing.T) {
	log, buf := newLogger()
	cmd := sh(`echo "first" >&2; echo "boom" >&2; echo out; exit 3`)
	cmd.Logger = log
	child := cmd.Child("job")
	child.Rules = []supervisor.Rule{{ExitCodes: []int{3}, Action: supervisor.ActionStop}}
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{child}})
	rec := supervisortest.Record(tree)
	defer rec.Close()
	ev := waitEvent(t, rec, supervisortest.Exited("/job", supervisor.ExitAbnormal))
	if ev.Rule != "rules[0]" {
		t.Errorf("decided by %q (%s), want rules[0]", ev.Rule, ev.Reason)
	}
	pid := pidOf(t, buf, "/job")
	e := exitErr(t, ev.Err)
	if e.Code != 3 || e.ExitCode() != 3 || e.Signal != 0 || e.Killed || e.Stderr != "boom" || e.Pid != pid {
		t.Errorf("exit error %+v", e)
	}
	want := fmt.Sprintf(`process %s (pid %d) exited with code 3; last stderr line: "boom"`, e.Path, pid)
	if e.Error() != want {
		t.Errorf("error %q, want %q", e.Error(), want)
	}
	if _, err := tree.Shutdown(ctxTimeout(t), audit); err != nil {
		t.Fatal(err)
	}
	if n := rec.Count(supervisortest.Kind(supervisor.EventChildRestarting, "/job")); n != 0 {
		t.Errorf("%d restarts, want none:\n%s", n, supervisortest.Format(rec.Events()))
	}
	info, _ := tree.Snapshot().Child("/job")
	if info.Restarts != 0 || info.LastExit.Class != supervisor.ExitAbnormal {
		t.Errorf("child %+v", info)
	}
}

// A program terminated by a signal has ExitCode 128+signal, as shells
// report it.
func TestExitSignal(t *testing.T) {
	cmd := sh(`kill -USR1 $$; sleep 1000`)
	cmd.Logger, _ = newLogger()
	child := cmd.Child("crash")
	child.Rules = []supervisor.Rule{{ExitCodes: []int{128 + int(syscall.SIGUSR1)}, Action: supervisor.ActionStop}}
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{child}})
	rec := supervisortest.Record(tree)
	defer rec.Close()
	ev := waitEvent(t, rec, supervisortest.Exited("/crash", supervisor.ExitAbnormal))
	e := exitErr(t, ev.Err)
	if e.Signal != syscall.SIGUSR1 || e.Code != -1 || e.ExitCode() != 138 || ev.Rule != "rules[0]" {
		t.Errorf("exit error %+v (rule %q), want SIGUSR1, code -1, exit code 138, matched by rules[0]", e, ev.Rule)
	}
	if !strings.HasSuffix(e.Error(), "was terminated by SIGUSR1") {
		t.Errorf("error %q", e.Error())
	}
}

// A program that cannot start fails the child's start.
func TestStartFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  process.Command
		want string
	}{
		{"missing program", process.Command{Path: "/nonexistent/program"}, "no such file or directory"},
		{"not in PATH", process.Command{Path: "no-such-program-anywhere"}, "executable file not found"},
		{"missing dir", process.Command{Path: "/bin/sh", Dir: "/nonexistent/dir"}, "/nonexistent/dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{tc.cmd.Child("p")}})
			var se *supervisor.StartError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), "process: start") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start: %v, want a *StartError saying %q", err, tc.want)
			}
		})
	}
}

// Output lines are logged one record each, with the path, pid and stream;
// empty lines are skipped, a last line without newline is kept, and a long
// line is cut at MaxLineLen, a secret across the cut masked too.
func TestOutputLines(t *testing.T) {
	log, buf := newLogger()
	cmd := sh(`echo out; echo; echo err >&2
head -c 70000 /dev/zero | tr '\0' a; echo
head -c 65533 /dev/zero | tr '\0' b; printf '%s tail\n' "$S"
printf last`)
	cmd.Env = []string{"S=${TOKEN}"}
	cmd.Lookup = func(string) (string, bool) { return "s3cr3t-value", true }
	cmd.Logger = log
	child := cmd.Child("talker")
	child.Restart = supervisor.Transient
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{child}})
	rec := supervisortest.Record(tree)
	defer rec.Close()
	waitEvent(t, rec, supervisortest.Exited("/talker", supervisor.ExitNormal))
	pid := pidOf(t, buf, "/talker")

	var got []string
	for _, r := range buf.records(t) {
		stream, ok := r["stream"].(string)
		if !ok {
			continue
		}
		if r["path"] != "/talker" || r["pid"] != float64(pid) || r["level"] != "INFO" {
			t.Errorf("record %v: want path, pid and level INFO", r)
		}
		msg := r["msg"].(string)
		if len(msg) > 20 {
			msg = fmt.Sprintf("%c*%d...%s", msg[0], len(msg), msg[len(msg)-4:])
		}
		if r["truncated"] == true {
			msg += " (truncated)"
		}
		got = append(got, stream+": "+msg)
	}
	// The stdout and stderr records may interleave: compare stdout's.
	want := []string{
		"stdout: out",
		fmt.Sprintf("stdout: a*%d...aaaa (truncated)", process.MaxLineLen),
		fmt.Sprintf("stdout: b*%d...b*** (truncated)", process.MaxLineLen-3+len(process.Masked)),
		"stdout: last",
	}
	var stdout []string
	for _, g := range got {
		if strings.HasPrefix(g, "stdout") {
			stdout = append(stdout, g)
		}
	}
	if strings.Join(stdout, "\n") != strings.Join(want, "\n") || !slicesContains(got, "stderr: err") {
		t.Errorf("records:\n%s\nwant stdout:\n%s\nand stderr: err", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(buf.String(), "s3c") {
		t.Errorf("a prefix of the secret was logged")
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// When the supervisor's process dies, the program dies with it (its
// parent-death signal), even though the supervisor never stopped it.
func TestSupervisorDeathKillsProgram(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sup := exec.Command(exe)
	sup.Env = append(os.Environ(), helperEnv+"=supervise")
	out, err := sup.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	defer sup.Wait()
	defer sup.Process.Kill()
	sc := bufio.NewScanner(out)
	re := regexp.MustCompile(`msg="child (\d+)"`)
	pid := 0
	for pid == 0 && sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			pid, _ = strconv.Atoi(m[1])
		}
	}
	if pid == 0 {
		t.Fatalf("the helper supervisor reported no child: %v", sc.Err())
	}
	if p, ok := readProc(pid); !ok || !alive(p) || p.ppid != sup.Process.Pid {
		t.Fatalf("program %d is not a running child of the helper %d: %+v", pid, sup.Process.Pid, p)
	}
	if err := sup.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitDead(t, pid)
}
