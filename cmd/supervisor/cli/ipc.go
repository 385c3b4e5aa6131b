package cli

import (
	"context"
	"fmt"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/ipc"
)

// bindIPC binds the IPC socket the file's ipc section or --ipc asks for
// (--ipc's path wins), before the tree starts, so that a path in use stops
// run before it starts the children twice; nil if neither asks. A code
// other than ExitOK says it could not, as it has reported.
func (c *cmd) bindIPC(fromFile *ipc.Config, flagPath string) (*ipc.Socket, int) {
	var cfg ipc.Config
	switch {
	case fromFile != nil:
		cfg = *fromFile
	case flagPath == "":
		return nil, ExitOK
	}
	if flagPath != "" {
		cfg.Path = flagPath
	}
	sock, err := ipc.Bind(cfg)
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s run: %v\n", c.Name, err)
		return nil, ExitStart
	}
	return sock, ExitOK
}

// serveIPC serves the tree on sock for supervisor ctl and the relay, with
// the run's logs, its loader for add, and s for plan and apply; it returns
// the function that stops serving.
func (c *cmd) serveIPC(sock *ipc.Socket, s *session, logs *ipc.Logs) (stop func()) {
	ep := sock.Serve(s.tree, ipc.Wiring{Logs: logs, Children: c.loader(s.out.logger), File: s, Stopper: s})
	s.out.logger.Info("serving ipc", "socket", ep.Path())
	return func() { ep.Close() }
}

// An applyRequest is a plan or an apply of the config file that a client
// asks for over IPC: the supervise loop carries them out one at a time,
// as it does SIGHUP's reloads.
type applyRequest struct {
	plan  bool
	audit supervisor.Audit
	reply chan applyResult
}

type applyResult struct {
	plan *supervisor.Plan
	err  error
}

// Plan returns what applying the config file to the tree would change now.
func (s *session) Plan(ctx context.Context) (*supervisor.Plan, error) {
	return s.ask(ctx, applyRequest{plan: true})
}

// Reload applies the config file to the tree, as a SIGHUP does, with
// audit.
func (s *session) Reload(ctx context.Context, audit supervisor.Audit) (*supervisor.Plan, error) {
	return s.ask(ctx, applyRequest{audit: audit})
}

// ask hands r to the supervise loop and waits for its result.
func (s *session) ask(ctx context.Context, r applyRequest) (*supervisor.Plan, error) {
	r.reply = make(chan applyResult, 1)
	select {
	case s.applies <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.tree.Done():
		return nil, supervisor.ErrShuttingDown
	}
	select {
	case res := <-r.reply:
		return res.plan, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// apply carries out r in the supervise loop, after the reload under way
// if any: a plan beside the loop, an apply as a reload.
func (s *session) apply(r applyRequest) {
	switch {
	case s.shutdownDone != nil:
		r.reply <- applyResult{err: supervisor.ErrShuttingDown}
	case s.reloading != nil:
		s.queued = append(s.queued, r)
	case r.plan:
		last := s.spec
		go func() { r.reply <- s.plan(last) }()
	default:
		s.reloadFor(r.audit, r.reply)
	}
}

// plan loads the config file and diffs it with last, the spec the tree
// runs.
func (s *session) plan(last supervisor.Spec) applyResult {
	spec, err := s.c.loader(s.out.logger).Load(s.path)
	if err != nil {
		return applyResult{err: err}
	}
	plan, err := supervisor.Diff(last, spec)
	return applyResult{plan: fileTerms(plan), err: err}
}

// A shutdownRequest is a shutdown an operator asks for over IPC: the
// supervise loop carries it out as it does a signal's, within
// --shutdown-timeout, so that what comes after knows it is under way.
type shutdownRequest struct {
	audit supervisor.Audit
	reply chan shutdownResult
}

type shutdownResult struct {
	report *supervisor.ShutdownReport
	err    error
}

// Shutdown shuts the tree down for an operator over IPC, as a signal does.
func (s *session) Shutdown(ctx context.Context, audit supervisor.Audit) (*supervisor.ShutdownReport, error) {
	r := shutdownRequest{audit: audit, reply: make(chan shutdownResult, 1)}
	select {
	case s.shutdowns <- r:
	case <-s.tree.Done():
		return nil, supervisor.ErrShuttingDown
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res := <-r.reply // the shutdown is bounded by its stages, and --shutdown-timeout
	return res.report, res.err
}

// shutdownRequested carries out r in the supervise loop: a shutdown,
// unless one is under way.
func (s *session) shutdownRequested(r shutdownRequest) {
	if s.shutdownDone != nil {
		r.reply <- shutdownResult{err: supervisor.ErrShuttingDown}
		return
	}
	s.out.logger.Info("shutting down", "who", r.audit.Who, "why", r.audit.Why)
	s.shutdownFor(r.audit, r.reply)
}
