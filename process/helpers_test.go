//go:build linux

package process_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/process"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// waitTimeout bounds every wait for a real process.
const waitTimeout = 10 * time.Second

// logs captures JSON log records.
type logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// records returns the records logged so far.
func (l *logs) records(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(l.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad log record %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// find returns the first record whose message matches.
func (l *logs) find(t testing.TB, match func(msg string) bool) (map[string]any, bool) {
	t.Helper()
	for _, r := range l.records(t) {
		if msg, _ := r["msg"].(string); match(msg) {
			return r, true
		}
	}
	return nil, false
}

// newLogger returns a logger writing JSON records, DEBUG and up, to a
// buffer.
func newLogger() (*slog.Logger, *logs) {
	l := new(logs)
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})), l
}

// ctxTimeout returns a context for waiting on events.
func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// waitEvent waits for an event matching, failing the test with the events
// seen so far if it does not come.
func waitEvent(t testing.TB, rec *supervisortest.Recorder, match func(supervisor.Event) bool) supervisor.Event {
	t.Helper()
	e, err := rec.WaitFor(ctxTimeout(t), match)
	if err != nil {
		t.Fatalf("%v; events:\n%s", err, supervisortest.Format(rec.Events()))
	}
	return e
}

// pidOf returns the pid attribute of the "process started" record of the
// child at path.
func pidOf(t testing.TB, l *logs, path string) int {
	t.Helper()
	for _, r := range l.records(t) {
		if r["msg"] == "process started" && r["path"] == path {
			return int(r["pid"].(float64))
		}
	}
	t.Fatalf("no process started record for %s in:\n%s", path, l)
	return 0
}

// proc is a process as /proc shows it.
type proc struct {
	pid, ppid, pgrp int
	state           byte
}

// readProc reads /proc/pid/stat.
func readProc(pid int) (proc, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, false
	}
	// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 3 {
		return proc{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgrp, _ := strconv.Atoi(f[2])
	return proc{pid: pid, ppid: ppid, pgrp: pgrp, state: f[0][0]}, true
}

// group returns the processes whose process group is pgid.
func group(pgid int) []proc {
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok && p.pgrp == pgid {
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether p is a running process or a zombie this process
// has to reap. A zombie whose parent is someone else (init, once its
// parent is gone) is dead: reaping it is init's job.
func alive(p proc) bool {
	return p.state != 'Z' || p.ppid == os.Getpid()
}

// assertReaped fails the test if the program pid has not been reaped: Run
// must reap it before it returns.
func assertReaped(t testing.TB, pid int) {
	t.Helper()
	if p, ok := readProc(pid); ok && p.pgrp == pid {
		t.Errorf("process %d is still there (state %c, parent %d): not reaped", pid, p.state, p.ppid)
	}
}

// waitGroupDead polls /proc until no process of the group pgid is alive
// (see alive): SIGKILL is delivered at once, but a process takes a moment
// to die.
func waitGroupDead(t testing.TB, pgid int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		var live []proc
		for _, p := range group(pgid) {
			if alive(p) {
				live = append(live, p)
			}
		}
		if len(live) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of group %d still alive: %+v", pgid, live)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitDead polls /proc until pid is dead (see alive).
func waitDead(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		p, ok := readProc(pid)
		if !ok || !alive(p) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive: %+v", pid, p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readPid waits for a file holding a pid, as a program writes it.
func readPid(t testing.TB, path string) int {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freeAddr returns a local TCP address that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// exitErr returns the *process.ExitError in err, failing the test if there
// is none.
func exitErr(t testing.TB, err error) *process.ExitError {
	t.Helper()
	var e *process.ExitError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *process.ExitError", err, err)
	}
	return e
}

// sh returns a Command running script with /bin/sh.
func sh(script string) *process.Command {
	return &process.Command{Path: "/bin/sh", Args: []string{"-c", script}}
}

// tempFile returns a path in a fresh temporary directory.
func tempFile(t testing.TB, name string) string {
	return filepath.Join(t.TempDir(), name)
}
