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
	s := &session{c: c, tree: tree, spec: spec, path: path, timeout: f.timeout, out: out, applies: make(chan applyRequest)}
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
	spec    supervisor.Spec // what the tree runs: the file as last loaded; only reloads use it, one at a time
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
	queued       []applyRequest // applies waiting for the reload under way
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
// the result to reply, if not nil.
func (s *session) reloadFor(audit supervisor.Audit, reply chan<- applyResult) {
	done := make(chan struct{})
	s.reloading = done
	go func() {
		defer close(done)
		plan, err := s.c.reload(s.applyCtx, s.tree, s.path, &s.spec, audit, s.out)
		if reply != nil {
			reply <- applyResult{plan: plan, err: err}
		}
	}()
}

// reloaded notes the end of a reload, and reloads again if a SIGHUP came
// meanwhile, or an apply over IPC is waiting, and no shutdown has begun.
func (s *session) reloaded() {
	s.reloading = nil
	switch {
	case s.shutdownDone != nil:
		for _, r := range s.queued {
			r.reply <- applyResult{err: supervisor.ErrShuttingDown}
		}
		s.queued = nil
	case len(s.queued) > 0:
		r := s.queued[0]
		s.queued = s.queued[1:]
		s.reloadFor(r.audit, r.reply)
	case s.again:
		s.again = false
		s.reload()
	}
}

// shutdown shuts the tree down beside the loop, within the
// --shutdown-timeout if set, for sig.
func (s *session) shutdown(sig os.Signal) {
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
		s.tree.Shutdown(ctx, supervisor.Audit{Who: s.c.Name, Why: "signal " + sig.String()})
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
