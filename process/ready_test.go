//go:build linux

package process_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/process"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// probe returns a child that runs check when it starts, reports the
// result on the returned channel, and then idles.
func probe(name string, check func() error) (supervisor.Child, <-chan error) {
	result := make(chan error, 1)
	return supervisor.Child{Name: name, Run: func(ctx context.Context) error {
		select {
		case result <- check():
		default: // only the first attempt reports
		}
		<-ctx.Done()
		return nil
	}}, result
}

// startWithProbe starts cmd as /p, then the probe /next, and returns the
// probe's result once Start has returned.
func startWithProbe(t *testing.T, cmd *process.Command, check func() error) error {
	t.Helper()
	cmd.Logger, _ = newLogger()
	next, result := probe("next", check)
	tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{cmd.Child("p"), next}})
	rec := supervisortest.Record(tree)
	defer rec.Close()
	var ready, starting uint64
	for _, e := range rec.Events() {
		switch {
		case e.Kind == supervisor.EventChildReady && e.Path == "/p" && ready == 0:
			ready = e.Seq
		case e.Kind == supervisor.EventChildStarting && e.Path == "/next" && starting == 0:
			starting = e.Seq
		}
	}
	if ready == 0 || starting < ready {
		t.Errorf("/p ready at #%d, /next starting at #%d: want /next to start after /p is ready", ready, starting)
	}
	return <-result
}

// Ready.Line: the next sibling starts only once a line matched, after
// what the program did before printing it.
func TestReadyLine(t *testing.T) {
	marker := tempFile(t, "marker")
	cmd := sh(`echo starting; sleep 0.2; touch ` + marker + `; echo "ready now" >&2; exec sleep 1000`)
	cmd.Ready.Line = `^ready\b`
	if err := startWithProbe(t, cmd, func() error { _, err := os.Stat(marker); return err }); err != nil {
		t.Errorf("the next sibling started before the program was ready: %v", err)
	}
}

// Ready.Addr: the next sibling starts only once the port accepts
// connections; ":port" means 127.0.0.1.
func TestReadyAddr(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := helperCommand(t, "listen", addr, "200ms")
	cmd.Ready.Addr = ":" + port
	err := startWithProbe(t, cmd, func() error {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	})
	if err != nil {
		t.Errorf("the next sibling started before the port was open: %v", err)
	}
}

// With Line and Addr, both must pass: a port open from the start is not
// enough.
func TestReadyLineAndAddr(t *testing.T) {
	addr := freeAddr(t)
	marker := tempFile(t, "marker")
	cmd := helperCommand(t, "gate", addr, "200ms", marker)
	cmd.Ready = process.Ready{Line: "^go$", Addr: addr}
	if err := startWithProbe(t, cmd, func() error { _, err := os.Stat(marker); return err }); err != nil {
		t.Errorf("the next sibling started before the line: %v", err)
	}
}

// A program that never prints its ready line fails the start after the
// child's StartTimeout, and is stopped: nothing survives.
func TestReadyTimeout(t *testing.T) {
	log, buf := newLogger()
	cmd := sh(`echo "not yet"; exec sleep 1000`)
	cmd.Ready.Line = "^ready$"
	cmd.Logger = log
	child := cmd.Child("slow")
	child.StartTimeout = 300 * time.Millisecond
	_, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{child}})
	var se *supervisor.StartError
	if !errors.As(err, &se) || se.Path != "/slow" || !errors.Is(err, supervisor.ErrStartTimeout) {
		t.Fatalf("Start: %v, want a start timeout of /slow", err)
	}
	if !strings.Contains(buf.String(), `"msg":"not yet"`) {
		t.Errorf("the program's output was not logged:\n%s", buf)
	}
	pid := pidOf(t, buf, "/slow")
	assertReaped(t, pid)
	waitGroupDead(t, pid)
}
