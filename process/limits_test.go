//go:build linux

package process_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/process"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Limits are in effect, soft and hard, by the time the program is ready:
// /proc shows them, and the program itself sees them.
func TestLimits(t *testing.T) {
	log, buf := newLogger()
	// On the stop signal the program prints the limits it sees.
	cmd := sh(`trap 'echo "nofile $(ulimit -n) hard $(ulimit -Hn) as $(ulimit -v)"; exit 0' USR1; echo up; sleep 1000 & wait`)
	cmd.Ready.Line = "^up$"
	cmd.StopSignal = syscall.SIGUSR1
	cmd.Limits = process.Limits{OpenFiles: 64, AddressSpace: 1 << 30}
	cmd.Logger = log
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{cmd.Child("limited")}})
	pid := pidOf(t, buf, "/limited")
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Max open files\s+64\s+64\s+files`, `Max address space\s+1073741824\s+1073741824\s+bytes`} {
		if !regexp.MustCompile(want).Match(limits) {
			t.Errorf("/proc/%d/limits does not match %q:\n%s", pid, want, limits)
		}
	}
	if _, err := tree.Shutdown(ctxTimeout(t), audit); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("nofile 64 hard 64 as %d", 1<<30/1024)
	if _, ok := buf.find(t, func(msg string) bool { return msg == want }); !ok {
		t.Errorf("the program did not report %q:\n%s", want, buf)
	}
}

// A limit that cannot be applied fails the start, and the program, already
// started, is killed and reaped before Start returns.
func TestLimitsFailure(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		t.Skip(err)
	}
	nrOpen, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// An unusual argument that finds the process in /proc.
	const arg = "1234.56789"
	cmd := &process.Command{Path: "sleep", Args: []string{arg}, Limits: process.Limits{OpenFiles: nrOpen + 1}}
	cmd.Logger, _ = newLogger()
	_, err = supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{cmd.Child("greedy")}})
	var se *supervisor.StartError
	if !errors.As(err, &se) || !errors.Is(err, syscall.EPERM) || !strings.Contains(err.Error(), "limits.openFiles") {
		t.Fatalf("Start: %v, want a *StartError naming limits.openFiles, wrapping EPERM", err)
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if bytes.Contains(cmdline, []byte("\x00"+arg+"\x00")) {
			t.Errorf("process %s (%q) survived the failed start", e.Name(), cmdline)
		}
	}
}
