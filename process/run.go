//go:build linux

package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-supervisor/supervisor"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

const (
	// maxKillMargin caps how long before the stop deadline Run kills the
	// program's group: a tenth of the budget, at most this.
	maxKillMargin = 250 * time.Millisecond
	// pipeGrace bounds how long Run waits for the output pipes to close
	// once the program's group is gone.
	pipeGrace = 500 * time.Millisecond
)

// runner is one attempt of a command.
type runner struct {
	ctx    context.Context
	cmd    *exec.Cmd
	limits Limits
	log    *slog.Logger
	red    *redactor
	ready  *readiness
	pid    int // set before the start is reported

	mu     sync.Mutex // serializes signals to the group with the reap
	reaped bool       // the program has been reaped: its pid may be reused

	lastStderr string // written by the stderr reader only
}

// waitResult is how the program ended.
type waitResult struct {
	state *os.ProcessState
	err   error
}

// run starts the program with env and supervises it until it exits.
func (c *Command) run(ctx context.Context, env []string, red *redactor) error {
	if err := c.checkDir(); err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("process: start %s: %w", c.Path, err)
	}
	defer outR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return fmt.Errorf("process: start %s: %w", c.Path, err)
	}
	defer errR.Close()
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &runner{ctx: ctx, cmd: c.command(env, outW, errW), limits: c.Limits, log: log, red: red, ready: newReadiness(c.Ready)}
	started := make(chan error, 1)
	exited := make(chan waitResult, 1)
	go r.spawn(outW, errW, started, exited)
	if err := <-started; err != nil {
		return err
	}
	r.attach(log)

	var readers sync.WaitGroup
	readers.Go(func() { r.forward(outR, streamStdout) })
	readers.Go(func() { r.forward(errR, streamStderr) })
	readyCtx, stopReady := context.WithCancel(ctx)
	var ready sync.WaitGroup
	if r.ready == nil {
		supervisor.Ready(ctx) // no readiness check: ready once started
	} else {
		ready.Go(func() { r.awaitReady(readyCtx) })
	}

	stop := c.stopSignal()
	var (
		res    waitResult
		killed bool
		waited time.Duration
	)
	select {
	case res = <-exited:
	case <-ctx.Done():
		res, killed, waited = r.stop(exited, stop)
	}
	stopReady()
	ready.Wait()
	r.drain(&readers, outR, errR)
	return r.result(res, killed, waited, stop)
}

// checkDir checks the working directory before the fork, whose error
// would blame the program for a missing directory.
func (c *Command) checkDir() error {
	if c.Dir == "" {
		return nil
	}
	fi, err := os.Stat(c.Dir)
	if err == nil && !fi.IsDir() {
		err = &fs.PathError{Op: "chdir", Path: c.Dir, Err: syscall.ENOTDIR}
	}
	if err != nil {
		return fmt.Errorf("process: start %s: dir: %w", c.Path, err)
	}
	return nil
}

// command is the program to start, with env and its output to stdout and
// stderr.
func (c *Command) command(env []string, stdout, stderr *os.File) *exec.Cmd {
	cmd := exec.Command(c.Path, c.Args...)
	if env == nil {
		env = []string{} // nil would mean the supervisor's environment
	}
	cmd.Env, cmd.Dir = env, c.Dir
	// Files are passed to the program as they are: no copying goroutine.
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group, whose id is its pid, so that signals
		// reach the program and everything it starts, and nothing else.
		Setpgid: true,
		// Killed when the supervisor's process dies: see spawn.
		Pdeathsig: syscall.SIGKILL,
	}
	return cmd
}

// attach ties the started process to its attempt: its log records name
// its path and pid, and an abandoned attempt kills its process group
// first, so that it does not leave its processes behind.
func (r *runner) attach(log *slog.Logger) {
	attrs := make([]any, 0, 2)
	if info, ok := supervisor.Info(r.ctx); ok {
		attrs = append(attrs, slog.String("path", info.Path))
	}
	r.log = log.With(append(attrs, slog.Int("pid", r.pid))...)
	supervisor.OnAbort(r.ctx, func() {
		if r.signal(syscall.SIGKILL) {
			r.log.Warn("abandoned by the supervisor: killed process group")
		}
	})
	r.log.LogAttrs(r.ctx, slog.LevelDebug, "process started", slog.String("program", r.cmd.Path))
}

// awaitReady reports the attempt ready when the program's readiness check
// passes, unless ctx is done first.
func (r *runner) awaitReady(ctx context.Context) {
	if r.ready.wait(ctx) {
		supervisor.Ready(r.ctx)
	}
}

// spawn starts the program, applies its limits and reports the start, then
// waits for the program and reports its exit.
func (r *runner) spawn(outW, errW *os.File, started chan<- error, exited chan<- waitResult) {
	// Linux sends the parent-death signal (Pdeathsig) when the thread
	// that forked the program ends, not when the supervisor's process does
	// (go.dev/issue/27505), and the Go runtime ends a thread when a
	// goroutine exits while locked to it. This goroutine therefore holds
	// its thread from the fork until the program is reaped: no other
	// goroutine can run on it, lock it and end it meanwhile, so the signal
	// comes only with the process's death. It costs one thread per running
	// program, which the blocking wait below would occupy anyway.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	err := r.cmd.Start()
	outW.Close() // the program has its copies
	errW.Close()
	if err != nil {
		started <- fmt.Errorf("process: start %s: %w", r.cmd.Path, err)
		return
	}
	r.pid = r.cmd.Process.Pid
	if err := setLimits(r.pid, r.limits); err != nil {
		r.signal(syscall.SIGKILL)
		r.reap()
		started <- err
		return
	}
	started <- nil
	exited <- r.reap()
}

// reap waits for the program to exit, kills what is left of its process
// group, and reaps the program.
func (r *runner) reap() waitResult {
	// Wait without reaping: as long as the program is a zombie, its pid,
	// which is its group's id, cannot be reused, so that the group kill
	// cannot reach an unrelated process.
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, r.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
	for errors.Is(err, unix.EINTR) {
		err = unix.Waitid(unix.P_PID, r.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
	}
	r.mu.Lock()
	if err == nil {
		// The program's own children and anything else left in its group.
		_ = syscall.Kill(-r.pid, syscall.SIGKILL)
	}
	r.reaped = true
	r.mu.Unlock()
	err = r.cmd.Wait()
	return waitResult{state: r.cmd.ProcessState, err: err}
}

// signal sends sig to the program's process group, and reports whether it
// was sent: not once the program has been reaped.
func (r *runner) signal(sig syscall.Signal) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.reaped && syscall.Kill(-r.pid, sig) == nil
}

// stop asks the program to stop with sig, and kills its group a margin
// before the stop deadline. It returns how the program ended, whether it
// was killed, and how long it was given before.
func (r *runner) stop(exited <-chan waitResult, sig syscall.Signal) (waitResult, bool, time.Duration) {
	begin := time.Now()
	r.signal(sig)
	deadline, ok := supervisor.StopDeadline(r.ctx)
	if !ok {
		return <-exited, false, 0 // an infinite budget, or not a child
	}
	margin := min(max(deadline.Sub(begin), 0)/10, maxKillMargin)
	timer := time.NewTimer(time.Until(deadline.Add(-margin)))
	defer timer.Stop()
	select {
	case res := <-exited:
		return res, false, 0
	case <-timer.C:
	}
	waited := time.Since(begin)
	if !r.signal(syscall.SIGKILL) {
		return <-exited, false, 0 // it has just exited
	}
	r.log.LogAttrs(r.ctx, slog.LevelWarn,
		fmt.Sprintf("ignored %s for %s: killed process group", SignalName(sig), textfmt.Duration(waited.Round(time.Millisecond))),
		slog.String("signal", "SIGKILL"))
	return <-exited, true, waited
}

// drain waits for the output readers to reach the end of the pipes. A
// process that left the program's group may still hold them open: after
// pipeGrace, or half the time left to the stop deadline if that is sooner,
// drain closes them, which ends the readers.
func (r *runner) drain(readers *sync.WaitGroup, files ...*os.File) {
	done := make(chan struct{})
	go func() {
		readers.Wait()
		close(done)
	}()
	end := time.Now().Add(pipeGrace)
	shorten := func() {
		if d, ok := supervisor.StopDeadline(r.ctx); ok {
			if e := time.Now().Add(time.Until(d) / 2); e.Before(end) {
				end = e
			}
		}
	}
	stopping := r.ctx.Done()
	select {
	case <-stopping:
		shorten()
		stopping = nil
	default:
	}
	timer := time.NewTimer(time.Until(end))
	defer timer.Stop()
	for {
		select {
		case <-done:
			return
		case <-stopping:
			shorten()
			stopping = nil
			timer.Reset(time.Until(end))
		case <-timer.C:
			r.log.LogAttrs(r.ctx, slog.LevelWarn,
				"output still open after the process group ended: a process that left the group holds it; stopped reading")
			for _, f := range files {
				f.Close()
			}
			<-done
			return
		}
	}
}

// result turns how the program ended into Run's error.
func (r *runner) result(res waitResult, killed bool, waited time.Duration, stop syscall.Signal) error {
	if res.state == nil {
		return fmt.Errorf("process %s (pid %d): wait: %w", r.cmd.Path, r.pid, res.err)
	}
	ws, _ := res.state.Sys().(syscall.WaitStatus)
	e := &ExitError{
		Path: r.cmd.Path, Pid: r.pid, Code: ws.ExitStatus(), Killed: killed,
		Stderr: lastLine(r.lastStderr), stopSignal: stop, waited: waited,
	}
	if ws.Signaled() {
		e.Code, e.Signal, e.CoreDumped = -1, ws.Signal(), ws.CoreDump()
	}
	if !killed && e.Code == 0 && e.Signal == 0 {
		return nil
	}
	return e
}
