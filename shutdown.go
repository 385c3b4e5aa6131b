package supervisor

import (
	"context"
	"time"
)

// Outcome is how one child ended in a shutdown.
type Outcome uint8

// Outcomes.
const (
	_ Outcome = iota
	// OutcomeGraceful: the child returned within its budget.
	OutcomeGraceful
	// OutcomeAlreadyExited: the child had no running attempt when its turn
	// came.
	OutcomeAlreadyExited
	// OutcomeAbandoned: the child overran its budget and was still running
	// when the report was written.
	OutcomeAbandoned
	// OutcomeLate: the child overran its budget but returned before the
	// report was written.
	OutcomeLate
)

var outcomeNames = []string{"invalid", "graceful", "already_exited", "abandoned", "late"}

func (o Outcome) String() string { return enumString(outcomeNames, o) }

// MarshalText implements encoding.TextMarshaler.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Outcome) UnmarshalText(b []byte) error {
	return enumParse(outcomeNames, b, o, "outcome", 1)
}

// ChildOutcome is one child's line in a ShutdownReport.
type ChildOutcome struct {
	Path       string    `json:"path"`
	Outcome    Outcome   `json:"outcome"`
	Generation uint64    `json:"generation"`
	Exit       ExitClass `json:"exit"`
	Err        error     `json:"-"`
	// Duration runs from the stop request to the exit or the abandonment.
	Duration time.Duration `json:"-"` // in JSON, as text
	// Goroutines lists what an abandoned child left running.
	Goroutines []GoroutineStack `json:"goroutines,omitempty"`
}

// ShutdownReport says how a tree shut down.
type ShutdownReport struct {
	// Cause says why: an operator's request, the Start context's
	// cancellation, an escalation or a failed start.
	Cause string `json:"cause"`
	// Audit is the operator's record, for a requested shutdown.
	Audit    Audit         `json:"audit,omitzero"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"` // in JSON, as text
	// Children has one outcome per child of every supervisor, in the order
	// they were stopped: a nested supervisor's children come before it.
	Children []ChildOutcome `json:"children"`
	// GoroutinesLeft is the number of goroutines still carrying the tree's
	// labels when the report was written, counted from a goroutine profile;
	// Leftover lists them with their stacks.
	GoroutinesLeft int              `json:"goroutines_left"`
	Leftover       []GoroutineStack `json:"leftover,omitempty"`
}

// shutdown is a node's shutdown in progress.
type shutdown struct {
	cause       string
	audit       Audit
	started     int64
	deadline    int64 // the node's own stop deadline (nested) or none
	i           int   // next child to stop, counting down
	wait        *child
	abort       bool // abandon whatever is left, now
	busy        bool
	finishing   bool // stage 3 has begun
	duringStart bool
	outcomes    []ChildOutcome
	stragglers  []straggler
	cmds        []*command    // Shutdown calls waiting for the report
	stops       []func() bool // AfterFunc registrations on their contexts
	report      *ShutdownReport
	graceEnd    time.Time // when the grace for goroutines on their way out ends, once it has begun
}

// straggler is a child abandoned during the drain.
type straggler struct {
	c    *child
	a    *attempt
	idx  int   // its entry in outcomes
	from int64 // when it was asked to stop
}

// beginShutdown starts the node's shutdown. It is idempotent.
func (n *node) beginShutdown(cause string, audit Audit) {
	if n.shut != nil {
		return
	}
	s := &shutdown{cause: cause, audit: audit, started: n.now, i: len(n.children) - 1,
		duringStart: n.phase == phaseStarting, outcomes: make([]ChildOutcome, 0, len(n.children))}
	if n.self != nil {
		s.deadline = n.self.stopAt.Load()
	}
	n.shut = s
	n.phase = phaseStopping
	if s.duringStart && n.self == nil && n.t.startErr == nil {
		n.t.startErr = n.err // Start fails with what ended the tree
	}
	n.publishStage(EventShutdownRequested)

	n.job = nil
	for _, sc := range n.scopes {
		sc.job, sc.pending = nil, nil
	}
	for _, cmd := range n.deferred {
		n.finish(cmd, ErrShuttingDown)
	}
	n.deferred = nil
	for _, c := range n.children {
		if c == nil {
			continue
		}
		if cmd := c.command(); cmd != nil {
			c.setCommand(nil)
			n.finish(cmd, ErrShuttingDown)
		}
		if x := c.ext; x != nil {
			for _, cmd := range x.queue {
				n.finish(cmd, ErrShuttingDown)
			}
			x.queue = nil
		}
		c.starting = false
		switch c.state {
		case StateBackoff:
			n.clearDeadline(c)
			n.set(c, deadState(c.lastExit().class))
		case StatePending:
			n.set(c, deadState(c.lastExit().class))
		case StateStarting:
			n.clearDeadline(c) // no start timeout: it is stopped in its turn
		}
	}
	n.publishStage(EventShutdownDraining)
	n.advanceShutdown()
}

// publishStage reports that the shutdown entered the stage of kind.
func (n *node) publishStage(kind EventKind) {
	e := n.nodeEvent(kind)
	if kind == EventShutdownRequested {
		e.Reason, e.Audit = n.shut.cause, n.shut.audit
		if n.autoShutdown != "" {
			e.Rule = "auto_shutdown"
		}
	}
	n.t.publish(&e)
}

// stopped records that c, stopped by the shutdown (or earlier: its stop
// completed in the shutdown), has ended, and goes on to the next child.
func (s *shutdown) stopped(n *node, c *child, a *attempt, abandoned bool, from int64) {
	if !abandoned {
		s.record(c, a, from, n.now)
	}
	c.reported = true
	if s.wait == c {
		s.wait = nil
		n.advanceShutdown()
	}
}

// advanceShutdown stops the children one at a time, last first.
func (n *node) advanceShutdown() {
	s := n.shut
	if s.busy {
		return
	}
	s.busy = true
	for s.wait == nil && s.i >= 0 {
		c := n.children[s.i]
		s.i--
		if c == nil || c.reported {
			continue // stopped (or abandoned) before its turn came
		}
		if c.cur == nil {
			last := c.lastExit()
			s.outcomes = append(s.outcomes, ChildOutcome{Path: c.path, Outcome: OutcomeAlreadyExited,
				Generation: c.gen, Exit: last.class, Err: last.err})
			continue
		}
		s.wait = c
		c.corr = n.corr
		if c.state != StateStopping {
			n.stop(c, stopShutdown)
		} else if s.deadline > 0 && (!c.timer.Queued() || c.timer.At > s.deadline) {
			n.setDeadline(c, s.deadline)
		}
		if s.abort {
			n.abandon(c, nil)
		}
	}
	s.busy = false
	if s.wait == nil && s.i < 0 && !s.finishing {
		n.finishShutdown()
	}
}

// abortShutdown abandons every child still running, at once: the context
// bounding a Shutdown call is done, or the parent gave up on this node.
func (n *node) abortShutdown(cause string) {
	if n.phase == phaseDone {
		return
	}
	if n.shut == nil {
		n.beginShutdown(cause, Audit{})
	}
	s := n.shut
	if s == nil || s.abort {
		return
	}
	s.abort = true
	if c := s.wait; c != nil && c.cur != nil {
		n.abandon(c, nil)
		return
	}
	n.advanceShutdown()
}

// record notes a child that stopped in time; a nested supervisor's own
// outcomes come first.
func (s *shutdown) record(c *child, a *attempt, from, now int64) {
	s.outcomes = append(s.outcomes, a.sub.outcomes()...)
	s.outcomes = append(s.outcomes, ChildOutcome{Path: c.path, Outcome: OutcomeGraceful, Generation: a.gen,
		Exit: c.last.class, Err: c.last.err, Duration: time.Duration(now - from)})
}

// straggle notes a child abandoned at its budget.
func (s *shutdown) straggle(c *child, a *attempt, from, now int64) {
	c.reported = true
	s.stragglers = append(s.stragglers, straggler{c: c, a: a, idx: len(s.outcomes), from: from})
	s.outcomes = append(s.outcomes, ChildOutcome{Path: c.path, Outcome: OutcomeAbandoned, Generation: a.gen,
		Exit: ExitAbandoned, Duration: time.Duration(now - from)})
}

// late notes a straggler that returned after all.
func (s *shutdown) late(a *attempt, class ExitClass, err error, now int64) {
	for _, st := range s.stragglers {
		if st.a == a {
			o := &s.outcomes[st.idx]
			o.Outcome = OutcomeLate
			o.Exit, o.Err = class, err
			o.Duration = time.Duration(now - st.from)
			return
		}
	}
}

// finishShutdown runs the last two stages. The root counts the goroutines
// left after releasing the tree lock (see reconcile); a nested supervisor
// ends at once.
func (n *node) finishShutdown() {
	s := n.shut
	s.finishing = true
	n.publishStage(EventShutdownAborting)
	if len(s.stragglers) > 0 {
		// The profile is taken without the tree lock.
		n.withProfile(n.reportStragglers)
		return
	}
	n.reconcileStage()
}

// reportStragglers reports what each child abandoned in the shutdown left
// running, from stacks, then goes on to the reconcile stage.
func (n *node) reportStragglers(stacks []GoroutineStack) {
	s := n.shut
	for _, st := range s.stragglers {
		if st.a.late {
			continue // returned late
		}
		o := &s.outcomes[st.idx]
		o.Goroutines = filterStacks(stacks, st.c.path)
		e := n.event(EventChildAbandoned, st.c)
		e.Generation, e.Attempt = st.a.gen, int(st.a.num)
		e.Exit = ExitAbandoned
		e.Goroutines = o.Goroutines
		e.Count = uint64(stackCount(o.Goroutines))
		n.t.publish(&e)
	}
	n.reconcileStage()
}

// reconcileStage begins the fourth stage.
func (n *node) reconcileStage() {
	n.publishStage(EventShutdownReconciling)
	if n.self == nil {
		n.reconciling = true
		return
	}
	n.endShutdown(nil)
}

// leftoverGrace is how long the root's reconcile stage keeps re-checking
// goroutines that still carry the tree's label: goroutines a child started
// may need a moment to exit after the child returned (net/http's connection
// goroutines, for example), and they should not be reported as left behind.
const leftoverGrace = 100 * time.Millisecond

// reconcile counts the goroutines the tree left running. It runs in the
// root's loop without the tree lock, because it may wait: it takes a
// goroutine profile, and while goroutines remain it takes another after 1,
// 2, 4... ms, for leftoverGrace in all (what is left of it, if the abort
// stage began it: see settledProfile). A shutdown cut short by its context
// does not wait.
func (n *node) reconcile() {
	left := n.t.goroutinesUnder("/")
	end := n.shut.graceEnd
	if end.IsZero() {
		end = time.Now().Add(leftoverGrace)
	}
	for wait := time.Millisecond; len(left) > 0 && time.Until(end) > 0 && !n.shut.abort; wait *= 2 {
		time.Sleep(min(wait, time.Until(end)))
		left = n.t.goroutinesUnder("/")
	}
	n.lock()
	n.reconciling = false
	n.endShutdown(left)
	n.unlock()
}

// endShutdown writes the report and ends the node.
func (n *node) endShutdown(left []GoroutineStack) {
	s := n.shut
	r := &ShutdownReport{Cause: s.cause, Audit: s.audit, Started: n.t.base.Add(time.Duration(s.started)),
		Duration: time.Duration(n.now - s.started), Children: s.assemble(),
		Leftover: left, GoroutinesLeft: stackCount(left)}
	s.report = r
	e := n.nodeEvent(EventShutdownCompleted)
	e.Delay, e.Count = r.Duration, uint64(r.GoroutinesLeft)
	n.t.publish(&e)
	for _, cmd := range s.cmds {
		n.finish(cmd, nil)
	}
	for _, stop := range s.stops {
		stop()
	}
	switch n.err.(type) {
	case *IntensityError, *EscalationError:
		e := n.nodeEvent(EventEscalated)
		e.Err = n.err
		n.t.publish(&e)
	}
	n.phase = phaseDone
	n.refuseQueued()
	if n.self != nil {
		// The nested supervisor's children go with it.
		n.t.count -= len(n.children) - n.holes
		return
	}
	if n.err == nil && r.GoroutinesLeft > 0 {
		n.err = abandonedError(r)
	}
	n.t.finish(r, n.err)
	if s.duringStart {
		n.startDone = true
	}
}

// refuseQueued answers the commands still in the inbox of a node that is
// ending: their callers would otherwise learn of it only from the node's
// end, and the audit trail would miss them.
func (n *node) refuseQueued() {
	for {
		select {
		case m := <-n.inbox:
			if m.kind == msgCommand {
				e := Event{Time: n.nowT, Kind: EventCommandAccepted, Path: m.cmd.path,
					Correlation: n.t.nextCorr(), Command: opNames[m.cmd.op], Audit: m.cmd.audit}
				m.cmd.id = e.Correlation
				n.t.publish(&e)
				var err error // a late Shutdown was granted
				if m.cmd.op != opShutdown {
					err = ErrShuttingDown
				}
				n.finish(m.cmd, err)
			}
		default:
			return
		}
	}
}

// assemble puts the outcomes of late nested supervisors' children before
// the supervisor's own outcome.
func (s *shutdown) assemble() []ChildOutcome {
	extra := 0
	for _, st := range s.stragglers {
		if st.a.late {
			extra += len(st.a.sub.outcomes())
		}
	}
	if extra == 0 {
		return s.outcomes
	}
	out := make([]ChildOutcome, 0, len(s.outcomes)+extra)
	next := 0
	for _, st := range s.stragglers {
		if !st.a.late || len(st.a.sub.outcomes()) == 0 {
			continue
		}
		out = append(out, s.outcomes[next:st.idx]...)
		out = append(out, st.a.sub.outcomes()...)
		next = st.idx
	}
	return append(out, s.outcomes[next:]...)
}

// outcomes returns the outcomes of a nested supervisor's shutdown, its own
// late nested supervisors' included; none if n is nil or did not shut down.
func (n *node) outcomes() []ChildOutcome {
	if n == nil || n.shut == nil {
		return nil
	}
	if n.shut.report != nil {
		return n.shut.report.Children
	}
	return n.shut.outcomes
}

func abandonedError(r *ShutdownReport) error {
	seen := map[string]bool{}
	var paths []string
	for _, g := range r.Leftover {
		if !seen[g.Path] {
			seen[g.Path] = true
			paths = append(paths, g.Path)
		}
	}
	return &AbandonedError{Paths: paths, Goroutines: r.GoroutinesLeft}
}

// shutdownCommand handles Tree.Shutdown at the root.
func (n *node) shutdownCommand(cmd *command) {
	if n.shut == nil {
		n.corr = cmd.id
	}
	n.beginShutdown("requested by "+cmd.audit.Who+": "+cmd.audit.Why, cmd.audit)
	s := n.shut
	if n.phase == phaseDone {
		n.finish(cmd, nil)
		return
	}
	s.cmds = append(s.cmds, cmd)
	if cmd.ctx != nil && cmd.ctx.Done() != nil {
		s.stops = append(s.stops, context.AfterFunc(cmd.ctx, func() {
			n.post(msg{kind: msgShutdownCtx})
		}))
	}
}

// Shutdown stops the tree and returns its report. Each supervisor, nested
// ones first, goes through four stages, each announced by an event:
//
//  1. Request stop (EventShutdownRequested): no new attempt starts any
//     more; pending restarts and queued commands are cancelled.
//  2. Graceful drain (EventShutdownDraining): children are stopped one at
//     a time in reverse start order, each within its own Shutdown budget;
//     a child is asked to stop only once every later sibling has exited or
//     been abandoned.
//  3. Abort stragglers (EventShutdownAborting): a child that overran its
//     budget had its OnAbort hooks run and was fenced off when the budget
//     expired; now the goroutines it left are captured with their stacks.
//  4. Reconcile (EventShutdownReconciling): the report gets one outcome per
//     child, and the root counts the goroutines still carrying the tree's
//     labels (EventShutdownCompleted ends it).
//
// A Shutdown called from inside the tree (a child's context, or a child's
// goroutine: see caller.go) stops its own caller: it returns at once with a
// nil report and error, the shutdown is not bounded by ctx, and Wait and
// Report give the result.
//
// ctx bounds the whole
// shutdown: once it is done, whatever still runs is abandoned at once. A
// shutdown that is already under way (or over) is joined, and every call
// returns the same report. The error is the tree's result, as from Wait, or
// an *OpError wrapping ErrInvalidAudit.
func (t *Tree) Shutdown(ctx context.Context, audit Audit) (*ShutdownReport, error) {
	if err := audit.validate(); err != nil {
		return nil, &OpError{Op: opNames[opShutdown], Path: "/", Err: err}
	}
	cmd := &command{op: opShutdown, path: "/", audit: audit, ctx: ctx, reply: make(chan error, 1)}
	if t.callerPath(ctx) != "" {
		// From inside the tree: the shutdown stops the caller, and cancels
		// its context. It returns once the root has the request.
		cmd.detached, cmd.ctx = true, nil
	}
	// The request is delivered even if ctx is already done, which only means
	// abandoning at once whatever runs: the root drains its inbox without
	// ever waiting, so this send is short.
	select {
	case t.root.inbox <- msg{kind: msgCommand, cmd: cmd}:
	case <-t.root.dead:
	}
	if cmd.detached {
		return nil, nil
	}
	<-t.done // bounded: once ctx is done the root abandons what is left
	return t.report, t.err
}
