package cli

import (
	"context"
	"os"
	"syscall"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/ipc"
)

// supervise obeys signals and prints the status every f.status until the
// tree has ended, then waits for a reload or a shutdown under way.
func (c *cmd) supervise(tree *supervisor.Tree, spec supervisor.Spec, path string, f runFlags, sigs <-chan os.Signal,
	out *output, sock *ipc.Socket, logs *ipc.Logs) {
	var tick <-chan time.Time
	if f.status > 0 {
		t := time.NewTicker(f.status)
		defer t.Stop()
		tick = t.C
	}
	s := &session{c: c, tree: tree, spec: spec, path: path, timeout: f.timeout, out: out,
		applies: make(chan applyRequest), shutdowns: make(chan shutdownRequest)}
	if sock != nil {
		defer c.serveIPC(sock, s, logs)()
	}
	// Reloads run beside the loop, so that a signal is never kept waiting
	// by a child slow to start; they stop waiting once a shutdown begins.
	s.applyCtx, s.stopApplying = context.WithCancel(context.Background())
	defer s.stopApplying()
	for {
		select {
		case sig := <-sigs:
			s.signal(sig)
		case <-s.reloading:
			s.reloaded()
		case r := <-s.applies:
			s.apply(r)
		case r := <-s.shutdowns:
			s.shutdownRequested(r)
		case <-tick:
			out.status("status", tree)
		case <-tree.Done():
			s.drain()
			return
		}
	}
}

// session is the state of a running tree's supervision: a reload or a
// shutdown under way, and what a signal during them asked for.
type session struct {
	c       *cmd
	tree    *supervisor.Tree
	spec    supervisor.Spec // what the tree runs: the file as last applied; the loop's alone
	path    string
	timeout time.Duration
	out     *output

	applyCtx     context.Context // reloads' context, cancelled once a shutdown begins
	stopApplying context.CancelFunc
	shutdownDone <-chan struct{}
	abort        context.CancelFunc // ends the shutdown's context
	reloading    <-chan struct{}
	again        bool // another SIGHUP came during a reload
	applies      chan applyRequest
	queued       []applyRequest   // plans and applies waiting for the reload under way
	reloadedSpec *supervisor.Spec // what the reload that returned applied
	shutdowns    chan shutdownRequest
}

// signalAction is what a signal asks of a running tree.
type signalAction uint8

const (
	actReload       signalAction = iota // SIGHUP: reload the config file
	actReloadAfter                      // SIGHUP during a reload: reload again after it
	actIgnoreReload                     // SIGHUP during shutdown: nothing
	actShutdown                         // the first SIGINT or SIGTERM
	actAbandon                          // a second one: abandon what still runs
)

// decide decides what sig asks for, given what is under way.
func (s *session) decide(sig os.Signal) signalAction {
	switch {
	case sig == syscall.SIGHUP && s.shutdownDone != nil:
		return actIgnoreReload
	case sig == syscall.SIGHUP && s.reloading != nil:
		return actReloadAfter
	case sig == syscall.SIGHUP:
		return actReload
	case s.shutdownDone == nil:
		return actShutdown
	}
	return actAbandon
}

// signal carries out what sig asks for.
func (s *session) signal(sig os.Signal) {
	log := s.out.logger
	switch s.decide(sig) {
	case actIgnoreReload:
		log.Warn("SIGHUP during shutdown: not reloaded")
	case actReloadAfter:
		s.again = true
		log.Info("SIGHUP during a reload: reloading again after it")
	case actReload:
		s.reload()
	case actShutdown:
		log.Info("shutting down", "signal", sig.String())
		s.shutdown(sig)
	case actAbandon:
		log.Warn("second signal: abandoning what still runs", "signal", sig.String())
		s.abort()
	}
}

// reload reloads the config file beside the loop, for a SIGHUP.
func (s *session) reload() {
	s.reloadFor(supervisor.Audit{Who: s.c.Name, Why: "SIGHUP: reload " + s.path}, nil)
}

// reloadFor reloads the config file beside the loop with audit, and sends
// the result to reply, if not nil. The loop takes the new spec once the
// reload has returned (reloaded): it alone reads and writes s.spec.
func (s *session) reloadFor(audit supervisor.Audit, reply chan<- applyResult) {
	done := make(chan struct{})
	s.reloading = done
	last := s.spec
	go func() {
		defer close(done)
		r := s.c.reload(s.applyCtx, s.tree, s.path, last, audit, s.out)
		s.reloadedSpec = r.spec // read by the loop once done is closed
		if reply != nil {
			reply <- applyResult{plan: r.plan, err: r.err}
		}
	}()
}

// reloaded notes the end of a reload, takes the spec it applied, and
// carries out what waited for it: plans and applies over IPC, in order,
// then a SIGHUP that came meanwhile; nothing once a shutdown has begun.
func (s *session) reloaded() {
	s.reloading = nil
	if s.reloadedSpec != nil {
		s.spec, s.reloadedSpec = *s.reloadedSpec, nil
	}
	for len(s.queued) > 0 && s.reloading == nil {
		r := s.queued[0]
		s.queued = s.queued[1:]
		s.apply(r)
	}
	if s.reloading == nil && s.again && s.shutdownDone == nil {
		s.again = false
		s.reload()
	}
}

// shutdown shuts the tree down beside the loop, within the
// --shutdown-timeout if set, for sig.
func (s *session) shutdown(sig os.Signal) {
	s.shutdownFor(supervisor.Audit{Who: s.c.Name, Why: "signal " + sig.String()}, nil)
}

// shutdownFor shuts the tree down beside the loop, within the
// --shutdown-timeout if set, with audit, and sends the report to reply,
// if not nil: for a signal, or an operator over IPC.
func (s *session) shutdownFor(audit supervisor.Audit, reply chan<- shutdownResult) {
	s.stopApplying()
	ctx, cancel := context.WithCancel(context.Background())
	if s.timeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), s.timeout)
	}
	s.abort = cancel
	done := make(chan struct{})
	s.shutdownDone = done
	go func() {
		defer close(done)
		report, err := s.tree.Shutdown(ctx, audit)
		if reply != nil {
			reply <- shutdownResult{report, err}
		}
	}()
}

// drain waits, once the tree has ended, for a reload or a shutdown under
// way to return.
func (s *session) drain() {
	s.stopApplying()
	if s.reloading != nil {
		<-s.reloading
	}
	for _, r := range s.queued {
		r.reply <- applyResult{err: supervisor.ErrShuttingDown}
	}
	if s.shutdownDone != nil {
		<-s.shutdownDone
		s.abort()
	}
}
