package supervisor

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/go-supervisor/supervisor/internal/deadline"
	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// msgKind tells what a message to a control loop carries.
type msgKind uint8

const (
	msgExit         msgKind = iota // an attempt returned
	msgReady                       // an attempt called Ready
	msgCommand                     // a control command
	msgShutdownCtx                 // the context of a Shutdown call is done: abandon what is left
	msgAbort                       // the parent abandons this nested supervisor
	msgHookPanic                   // an OnAbort hook panicked
	msgShutdownTree                // a rule shuts the tree down (root only)
	msgHealthy                     // an attempt marked unhealthy reported again
	msgPing                        // Tree.Check: answer on cmd.reply
)

type msg struct {
	kind msgKind
	a    *attempt
	cmd  *command
	err  error  // msgHookPanic: the *PanicError
	corr uint64 // msgShutdownTree: the incident's correlation id
}

// nodePhase is the lifecycle of a supervisor node.
type nodePhase uint8

const (
	phaseStarting nodePhase = iota
	phaseRunning
	phaseStopping
	phaseDone
)

// inboxSize bounds a control loop's inbox. A full inbox makes senders (child
// goroutines on their way out, command callers) wait; the loop itself never
// sends to an inbox.
const inboxSize = 256

// node is one supervisor: the root of a tree or a nested supervisor. Its
// control loop is the only goroutine that changes its state, and it does so
// while holding the tree lock, so that Snapshot and the event sequence see
// every node consistently. Children talk to the loop only through inbox.
//
// Where work waits. Everything a supervisor has not done yet sits in one
// of these, each bounded by the children (or the commands' callers), each
// drained by one function:
//
//	what waits                 where                           until                               drained by
//	a message for the loop     n.inbox                         the loop's next turn                run
//	a timed child              n.timers (c.timer)              its deadline: backoff, budget       fire
//	                                                           token, probation, start or stop
//	                                                           budget, liveness
//	a command, supervisor busy n.deferred                      the start or group restart ends     advanceJob
//	a command, child busy      c.ext.queue, then n.runq        the child's command completes       complete, flushRunq
//	an exit, group busy        scope.pending                   the group restart ends              runPending
//	a restart, cap reached     scope.throttleQ (c.ext.queued)  a restart in progress lands         landed, admit
//	a sidecar's restart        its primary (c.ext.waitPrimary) its primary runs                    primaryUp
//	a sidecar, primary removed n.orphans                       a primary of that name is added     linkOrphans
//	work needing a profile     n.profiled                      the turn ends, the lock released    afterTurn
//	  (in a shutdown)          and n.settling                  the abandoned children settle       settledProfile
//
// A restart held back by the budget is a timed wait (c.ext.budgetWait, in
// StateBackoff); a quarantined child's probation is a timed wait too. The
// holds on an automatic restart are decided in one place, holdOf.
type node struct {
	t        *Tree
	path     string
	prefix   string // prepended to a child's name to form its path
	compiled *compiledSpec
	self     *attempt // the attempt running this node; nil for the root

	rng       *rand.Rand
	budget    *tokenBucket // nil without a Budget
	scopes    []*scope     // restart scopes: the supervisor's own, then its groups'
	admitting bool         // landed is admitting queued restarts

	children []*child          // declaration order; nil where a child was removed
	holes    int               // nil entries in children
	byName   map[string]*child // built on first use; see lookup
	// orphans are the sidecars whose primary was removed, by the
	// primary's name: a primary added again under that name takes them
	// back (see linkOrphans). Made on first use.
	orphans map[string][]*child

	inbox   chan msg
	dead    chan struct{} // closed when the loop has returned
	stopC   <-chan struct{}
	timer   *time.Timer
	timerAt int64
	timers  deadline.Queue[*child]

	phase    nodePhase
	job      *job
	deferred []*command // commands waiting for the current job
	runq     []*child   // children whose next queued command may run
	shut     *shutdown
	err      error // the node's result
	corr     uint64

	autoShutdown string // the significant child that shut the node down

	now  int64 // loop time: monotonic ns since the tree's base
	nowT time.Time

	// Set under the lock, acted on after it is released.
	signalReady bool
	startDone   bool
	reconciling bool
	// profiled is work that needs a goroutine profile of the node's
	// children: a profile takes time in proportion to every goroutine of
	// the process, so the loop takes it after releasing the tree lock, then
	// runs this work with the lock held again (see afterTurn).
	profiled []func(stacks []GoroutineStack)
	// settling are the children abandoned in the node's shutdown since its
	// last profile whose OnAbort hooks run: the next profile waits for
	// them to settle (see settledProfile).
	settling []settling
}

// settling is a child abandoned in a shutdown whose OnAbort hooks run.
type settling struct {
	path  string
	hooks <-chan struct{} // closed when they have returned
}

func newNode(t *Tree, path string, p *compiledSpec, self *attempt) *node {
	n := &node{
		t:        t,
		path:     path,
		prefix:   path + "/",
		compiled: p,
		self:     self,
		children: make([]*child, 0, len(p.children)),
		inbox:    make(chan msg, inboxSize),
		dead:     make(chan struct{}),
	}
	if path == "/" {
		n.prefix = "/"
	}
	n.scopes = make([]*scope, 1+len(p.groups))
	n.scopes[0] = newScope("", p.strategy, p.intensity, p.maxRestarting)
	for i, g := range p.groups {
		n.scopes[i+1] = newScope(g.name, g.strategy, g.intensity, g.maxRestarting)
	}
	n.budget = newTokenBucket(p.budget)
	n.rng = rand.New(rand.NewPCG(t.seed, fnv64(path)))
	for i := range p.children {
		c := n.newChild(&p.children[i])
		c.index = int32(len(n.children))
		n.children = append(n.children, c)
	}
	for _, c := range n.children {
		n.link(c) // once all are there: link looks its primary up by name
	}
	return n
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// lookup finds a child by name. The index is built the first time a
// command needs it, so that large static trees that are never addressed by
// name do not pay for it. The tree lock is held.
func (n *node) lookup(name string) *child {
	if n.byName == nil {
		n.byName = make(map[string]*child, len(n.children))
		for _, c := range n.children {
			if c != nil {
				n.byName[c.cp.name] = c
			}
		}
	}
	return n.byName[name]
}

// runNested runs a nested supervisor as the body of attempt a.
func runNested(a *attempt, p *compiledSpec) error {
	n := newNode(a.c.n.t, a.c.path, p, a)
	n.stopC = a.Done()
	n.t.mu.Lock()
	a.sub = n
	n.t.count += len(n.children)
	n.t.mu.Unlock()
	return n.run()
}

// post delivers m to the loop unless the loop has ended.
func (n *node) post(m msg) {
	select {
	case n.inbox <- m:
	case <-n.dead:
	}
}

// run is the control loop.
func (n *node) run() error {
	defer close(n.dead)
	n.lock()
	select {
	case <-n.stopC:
		// Stopped before its loop ran (a nested supervisor launched and
		// stopped in one pass of its parent): start nothing.
		n.stopC = nil
		n.phase = phaseStarting
		n.stopRequested()
	default:
		n.beginStart()
	}
	n.unlock()
	n.afterTurn()
	for n.phase != phaseDone {
		var timerC <-chan time.Time
		if n.timer != nil {
			timerC = n.timer.C
		}
		select {
		case m := <-n.inbox:
			n.lock()
			n.handle(m)
		case <-timerC:
			n.lock()
			n.timerAt = 0
			n.fire()
		case <-n.stopC:
			n.stopC = nil
			n.lock()
			n.stopRequested()
		}
		n.unlock()
		n.afterTurn()
	}
	if n.timer != nil {
		n.timer.Stop()
	}
	return n.err
}

// afterTurn does, without the tree lock, what a turn of the loop left for
// after it: goroutine profiles, and the root's reconcile stage.
func (n *node) afterTurn() {
	for len(n.profiled) > 0 {
		stacks := n.settledProfile()
		n.lock()
		work := n.profiled
		n.profiled = nil
		for _, f := range work {
			f(stacks)
		}
		n.unlock()
	}
	if n.reconciling {
		n.reconcile()
	}
}

// withProfile runs f with the goroutines of the node's children once the
// loop has released the tree lock and taken a goroutine profile.
func (n *node) withProfile(f func(stacks []GoroutineStack)) {
	n.profiled = append(n.profiled, f)
}

// settledProfile takes a goroutine profile of the node's children once
// those it abandoned in its shutdown since the last profile have settled,
// for leftoverGrace at most: their OnAbort hooks have returned, and the
// goroutines the hooks unblocked have ended (those of a process child
// whose process group its hook killed). What an abandoned child leaves is
// what still runs then. A child without hooks is not waited for: nothing
// would unblock it. The wait counts toward the grace of the root's
// reconcile stage.
func (n *node) settledProfile() []GoroutineStack {
	settling := n.settling
	n.settling = nil
	if len(settling) == 0 {
		return n.t.goroutinesUnder(n.path)
	}
	end := time.Now().Add(leftoverGrace)
	n.shut.graceEnd = end
	timeout := time.NewTimer(leftoverGrace)
	defer timeout.Stop()
hooks:
	for _, s := range settling {
		select {
		case <-s.hooks:
		case <-timeout.C:
			break hooks
		}
	}
	stacks := n.t.goroutinesUnder(n.path)
	for wait := time.Millisecond; unsettled(stacks, settling) && time.Until(end) > 0; wait *= 2 {
		time.Sleep(min(wait, time.Until(end)))
		stacks = n.t.goroutinesUnder(n.path)
	}
	return stacks
}

// unsettled reports whether stacks hold goroutines of a settling child.
func unsettled(stacks []GoroutineStack, settling []settling) bool {
	for _, s := range settling {
		if len(filterStacks(stacks, s.path)) > 0 {
			return true
		}
	}
	return false
}

func (n *node) lock() {
	n.t.mu.Lock()
	n.nowT, n.now = n.t.clock()
}

func (n *node) unlock() {
	n.flushRunq()
	n.armTimer()
	ready, started := n.signalReady, n.startDone
	n.signalReady, n.startDone = false, false
	n.t.mu.Unlock()
	// Blocking sends happen only here, without the lock.
	if ready {
		Ready(n.self)
	}
	if started && n.self == nil {
		n.t.started <- n.t.startErr
	}
}

// armTimer makes sure the loop's timer fires by the earliest deadline. It
// re-arms the timer only when that deadline is earlier than the one it is
// armed for: a timer left armed for a deadline that went away fires once
// for nothing, which costs less than stopping and re-arming it on every
// stop and start of a child.
func (n *node) armTimer() {
	_, at, ok := n.timers.Peek()
	if !ok || (n.timerAt != 0 && n.timerAt <= at) {
		return
	}
	d := time.Duration(at - n.now)
	if n.timer == nil {
		n.timer = time.NewTimer(d)
	} else {
		n.timer.Reset(d)
	}
	n.timerAt = at
}

func (n *node) handle(m msg) {
	switch m.kind {
	case msgExit:
		n.onExit(m.a, m.err)
	case msgReady:
		n.onReady(m.a)
	case msgCommand:
		n.onCommand(m.cmd)
	case msgShutdownCtx:
		n.abortShutdown("shutdown context done")
	case msgAbort:
		n.abortShutdown("abandoned by parent")
	case msgShutdownTree:
		if n.shut == nil {
			n.err = m.err
			n.corr = m.corr
			n.beginShutdown(textfmt.Error(m.err), Audit{})
		}
	case msgPing:
		m.cmd.reply <- nil
	case msgHealthy:
		n.onHealthy(m.a)
	case msgHookPanic:
		e := n.event(EventHookPanicked, m.a.c)
		e.Generation, e.Attempt = m.a.gen, int(m.a.num)
		e.Err = m.err
		n.t.publish(&e)
	}
}

// fire handles every deadline that has passed.
func (n *node) fire() {
	for {
		c, ok := n.timers.PopDue(n.now)
		if !ok {
			return
		}
		switch c.state {
		case StateBackoff:
			if j := n.scopeOf(c).job; j != nil && j.trigger == c && j.phase == jobDelaying {
				n.performGroupRestart(j)
			} else {
				n.restart(c)
			}
		case StateStarting:
			if n.shut == nil { // a shutdown stops it in its turn
				n.stop(c, stopStartTimeout)
			}
		case StateStopping:
			n.overran(c)
		case StateQuarantined:
			if n.shut == nil {
				n.probation(c)
			}
		case StateRunning, StateReady:
			n.watchFired(c)
		}
	}
}

// stopRequested handles the cancellation of the node's context: the Start
// context for the root, the attempt's context for a nested supervisor.
func (n *node) stopRequested() {
	cause := "stopped by parent"
	if n.self != nil {
		n.corr = n.self.c.corr // the parent's reason for stopping us
	} else {
		cause = "context canceled"
		n.corr = n.t.nextCorr()
		if n.phase == phaseStarting {
			n.t.startErr = context.Canceled
		}
	}
	n.beginShutdown(cause, Audit{})
}

// launch starts a new attempt of c.
func (n *node) launch(c *child) {
	c.gen++
	if x := c.ext; x != nil {
		x.unhealthy, x.queued, x.budgetWait, x.launched = false, false, false, nil
	}
	a := &attempt{c: c, gen: c.gen, num: c.attempt}
	// What the attempt's goroutine reads of its compiled child is fixed now: Apply
	// may give the child a new compiled child while the attempt runs.
	if c.cp.pol.gated {
		a.flags.Store(flagGated)
	}
	if c.cp.pol.liveness.Progress {
		a.flags.Or(flagProgress)
	}
	c.cur = a
	c.startedAt = n.now
	gated := c.cp.pol.gated
	n.set(c, StateStarting)
	n.emit(EventChildStarting, c)
	if gated {
		if to := c.cp.pol.startTimeout; to != Infinity {
			n.setDeadline(c, n.now+int64(to))
		}
	} else {
		n.set(c, StateRunning)
		n.emit(EventChildRunning, c)
	}
	go a.run(c.cp)
	if !gated {
		n.started(c)
	}
}

// started runs when c's attempt is running (and ready, if it must say so).
func (n *node) started(c *child) {
	if c.starting {
		c.starting = false
		n.emit(EventChildRestarted, c)
	}
	// The policies' hook point for an attempt that runs.
	n.landed(c)        // throttle: the restart in progress is over
	n.primaryUp(c)     // sidecars: those waiting for c start
	n.cmdStarted(c)    // control: a command waiting for the start
	n.probationRuns(c) // restart limit: a probation's clock starts
	n.watch(c)         // liveness: the watch starts
	if j := n.jobOf(c); j != nil && j.wait == c {
		j.wait = nil
		n.advanceJob(j)
	}
}

func (n *node) onReady(a *attempt) {
	c := a.c
	if c.cur != a || c.state != StateStarting {
		return
	}
	n.clearDeadline(c)
	n.set(c, StateReady)
	n.emit(EventChildReady, c)
	n.started(c)
}

func (n *node) onExit(a *attempt, err error) {
	c := a.c
	if c.cur != a {
		n.lateExit(a, err)
		return
	}
	class := classify(a, err)
	c.cur = nil
	n.landed(c)
	n.clearDeadline(c)
	n.setExit(c, class, err)
	if c.state == StateStopping {
		n.primaryDown(c)
		n.stopFinished(c, a, false)
		return
	}
	// An exit the child made on its own starts an incident: its decision,
	// its sidecars' stops and its restart share the exit's correlation id.
	c.corr = n.t.nextCorr()
	wasStarting := c.state == StateStarting
	n.set(c, deadState(class))
	d := n.assess(c, class, err)
	e := n.event(EventChildExited, c)
	e.Exit, e.Err = class, err
	e.Rule, e.Reason = d.rule, d.reason
	if wasStarting {
		if why := n.fatalStart(c); why != "" {
			e.Rule, e.Reason = "start", why // no restart follows
		}
	}
	n.t.publish(&e)
	n.primaryDown(c)
	if wasStarting {
		n.startFailed(c, err, d)
		return
	}
	n.exited(c, err, d)
}

// afterFailedStart is what follows a child's failure to start.
type afterFailedStart uint8

const (
	failedAlone       afterFailedStart = iota // no start waits for it: an exit like any other
	failedAdd                                 // an AddChild's: AddChild fails and the child is removed
	failedTreeStart                           // the supervisor's start waits for it: the start fails
	failedMemberLeft                          // a group restart's member, not to be restarted: the group goes on
	failedMemberRetry                         // a group restart's member: the group restart is tried again
)

// afterFailedStartOf decides what follows c's failure to start, given the
// decision d taken on it.
func (n *node) afterFailedStartOf(c *child, d decision) afterFailedStart {
	j := n.jobOf(c)
	switch {
	case c.command() != nil && c.command().op == opAdd:
		return failedAdd
	case j == nil || j.wait != c || j.phase != jobStarting:
		return failedAlone
	case j.kind == jobStart:
		return failedTreeStart
	case d.verdict != verdictRestart:
		return failedMemberLeft
	}
	return failedMemberRetry
}

// fatalStart says what a failure of c to start ends, if it is not
// restarted: an AddChild, or the tree's start.
func (n *node) fatalStart(c *child) string {
	switch n.afterFailedStartOf(c, decision{}) {
	case failedAdd:
		return "failed to start: AddChild fails and the child is removed"
	case failedTreeStart:
		return "failed to start: the supervisor's start fails"
	}
	return ""
}

// startFailed handles a child that exited (or timed out) before it was
// ready, with the decision assess took on it: it does what
// afterFailedStartOf decided.
func (n *node) startFailed(c *child, err error, d decision) {
	next, j := n.afterFailedStartOf(c, d), n.jobOf(c)
	if next == failedAdd {
		n.complete(c, &StartError{Path: c.path, Err: err})
		n.removeChild(c)
		if j != nil && j.wait == c {
			j.wait = nil
			n.advanceJob(j)
		}
		return
	}
	n.cmdStartFailed(c, err)
	switch next {
	case failedAlone:
		n.exited(c, err, d)
	case failedTreeStart:
		j.wait = nil
		n.t.startErr = &StartError{Path: c.path, Err: err}
		n.err = n.t.startErr
		n.corr = c.corr
		n.beginShutdown("child "+c.path+" failed to start", Audit{})
	case failedMemberLeft:
		j.wait = nil
		n.exited(c, err, d)
		n.advanceJob(j)
	case failedMemberRetry:
		// The group restart is retried under the same accounting, as OTP does.
		j.wait = nil
		n.clearJob(j)
		n.decide(c, d)
	}
}

// stop asks c's attempt to stop within its budget.
func (n *node) stop(c *child, why stopReason) {
	a := c.cur
	a.cancelled = true
	c.stopWhy = why
	budget := c.cp.pol.shutdown
	at := int64(0)
	if budget != Infinity {
		at = n.now + int64(budget)
	}
	if s := n.shut; s != nil && s.deadline > 0 && (at == 0 || s.deadline < at) {
		at = s.deadline
	}
	if at > 0 {
		a.stopAt.Store(at)
		n.setDeadline(c, at)
	} else {
		n.clearDeadline(c)
	}
	n.set(c, StateStopping)
	e := n.event(EventChildStopping, c)
	e.Delay = budget
	if at > 0 {
		e.Delay = time.Duration(at - n.now)
	}
	e.Reason = stopReasonText[why]
	n.t.publish(&e)
	a.cancel()
}

var stopReasonText = [...]string{"", "shutdown", "group restart", "command", "start timeout", "stale", "group quarantine", "primary stopped"}

// overran handles a stopping child whose budget expired. Outside a shutdown
// its abandonment reports the goroutines it left, from a profile the loop
// takes without the tree lock; in a shutdown, the abort stage reports them.
func (n *node) overran(c *child) {
	if n.shut != nil {
		n.abandon(c, nil)
		return
	}
	a := c.cur
	n.withProfile(func(stacks []GoroutineStack) {
		if c.cur == a && c.state == StateStopping { // it did not return meanwhile
			n.abandon(c, stacks)
		}
	})
}

// abandon gives up on a stopping child that overran its budget. Go cannot
// kill a goroutine: the attempt is fenced off (nothing it reports counts any
// more), its OnAbort hooks run, and its goroutines, found in stacks (the
// profile of its supervisor's children), are reported; in a shutdown, the
// abort stage reports them.
func (n *node) abandon(c *child, stacks []GoroutineStack) {
	a := c.cur
	a.abandoned = true
	c.cur = nil
	n.primaryDown(c)
	c.zombies++
	n.setExit(c, ExitAbandoned, nil)
	hooks := n.runAbort(c, a)
	if n.shut != nil {
		if hooks != nil {
			n.settling = append(n.settling, settling{path: c.path, hooks: hooks})
		}
		n.shut.straggle(c, a, c.since, n.now)
	} else {
		e := n.event(EventChildAbandoned, c)
		e.Generation, e.Attempt = a.gen, int(a.num)
		e.Exit = ExitAbandoned
		e.Goroutines = filterStacks(stacks, c.path)
		e.Count = uint64(stackCount(e.Goroutines))
		n.t.publish(&e)
	}
	n.stopFinished(c, a, true)
}

// runAbort runs the attempt's OnAbort hooks, or tells an abandoned nested
// supervisor to abandon its own children at once. It returns a channel
// closed once the hooks have returned, nil if there are none.
func (n *node) runAbort(c *child, a *attempt) <-chan struct{} {
	if sub := a.sub; sub != nil {
		select {
		case sub.inbox <- msg{kind: msgAbort}:
		default:
			go func() {
				setLabels(context.Background())
				sub.post(msg{kind: msgAbort})
			}()
		}
	}
	a.mu.Lock()
	var hooks []func()
	if a.ext != nil {
		hooks = a.ext.aborts
	}
	a.mu.Unlock()
	if len(hooks) == 0 {
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		setLabels(a)
		for _, f := range hooks {
			runHook(n, a, f)
		}
	}()
	return done
}

// runHook runs one OnAbort hook, reporting a panic.
func runHook(n *node, a *attempt, f func()) {
	defer func() {
		if r := recover(); r != nil {
			n.post(msg{kind: msgHookPanic, a: a, err: newPanicError(r, stack())})
		}
	}()
	f()
}

// afterStop is what follows a completed stop of a child.
type afterStop uint8

const (
	stopDone        afterStop = iota // nothing: the child stays stopped
	stopWasStale                     // its liveness stopped it: a failure (staleExited)
	stopInShutdown                   // the shutdown goes on to the next child
	stopToRemove                     // a RemoveChild: its spec goes
	stopToPark                       // a pause or a quarantine: it is parked
	stopForGroup                     // a group restart brings it back
	stopStartFailed                  // it did not become ready in time: a failed start
	stopForPrimary                   // a sidecar whose primary stopped: it waits for it
	stopToRelaunch                   // a RestartChild or ResumeChild: it starts again
)

// afterStopOf decides what follows the stop of c, asked for why.
func (n *node) afterStopOf(c *child, why stopReason) afterStop {
	cmd, j := c.command(), n.jobOf(c)
	switch {
	case n.shut != nil:
		return stopInShutdown
	case cmd != nil && cmd.op == opRemove:
		return stopToRemove
	case c.admin != adminActive:
		return stopToPark
	case j != nil && j.wait == c && j.phase == jobStopping:
		return stopForGroup
	case why == stopStale && cmd == nil && (j == nil || j.wait != c):
		return stopWasStale
	case why == stopStartTimeout:
		return stopStartFailed
	case why == stopPrimary && c.ext.waitPrimary:
		return stopForPrimary
	case cmd != nil && (cmd.op == opRestart || cmd.op == opResume):
		return stopToRelaunch
	}
	return stopDone
}

// stopFinished continues after c's stop completed, by exit or abandonment:
// it records how the attempt ended, then does what afterStopOf decided.
func (n *node) stopFinished(c *child, a *attempt, abandoned bool) {
	why := c.stopWhy
	c.stopWhy = stopNone
	n.landed(c)
	next := n.afterStopOf(c, why)
	if next == stopWasStale {
		n.staleExited(c, a, abandoned)
		return
	}
	if why == stopStartTimeout && !abandoned {
		// It did not become ready in time: a failed start, not a clean
		// stop, for every stage that reads how the attempt ended.
		n.setExit(c, ExitAbnormal, ErrStartTimeout)
	}
	var d decision
	if next == stopStartFailed {
		d = n.assess(c, ExitAbnormal, ErrStartTimeout)
	}
	stopFrom := c.since // c is still in StateStopping
	n.stopped(c, a, abandoned, d)
	j := n.jobOf(c)
	switch next {
	case stopInShutdown:
		n.shut.stopped(n, c, a, abandoned, stopFrom)
		return
	case stopToRemove:
		n.removeChild(c)
	case stopToPark:
		n.parked(c)
	case stopForGroup:
		if why == stopStartTimeout { // the command that started it learns so
			n.cmdStartFailed(c, ErrStartTimeout)
		}
		n.set(c, StatePending)
	case stopStartFailed:
		n.startFailed(c, ErrStartTimeout, d)
		return
	case stopForPrimary:
		n.sidecarStopped(c)
	case stopToRelaunch:
		n.relaunch(c)
	}
	if j != nil && j.wait == c && n.current(j) {
		j.wait = nil
		n.advanceJob(j)
	}
}

// stopped sets the state of c, whose stopped attempt a ended as c.last
// says, and publishes its exit with decision d, the one taken on it if
// any. An abandoned attempt's exit is not published: child_abandoned was.
func (n *node) stopped(c *child, a *attempt, abandoned bool, d decision) {
	n.set(c, deadState(c.last.class))
	if abandoned {
		return
	}
	e := n.event(EventChildExited, c)
	e.Generation, e.Attempt = a.gen, int(a.num)
	e.Exit, e.Err = c.last.class, c.last.err
	e.Rule, e.Reason = d.rule, d.reason
	n.t.publish(&e)
}

// parked moves a stopped child to its paused or quarantined state.
func (n *node) parked(c *child) {
	kind, s := EventChildPaused, StatePaused
	if c.admin == adminQuarantined {
		kind, s = EventChildQuarantined, StateQuarantined
	}
	n.set(c, s)
	e := n.event(kind, c)
	if x := c.ext; x != nil && s == StateQuarantined {
		e.Rule, e.Reason = x.rule, x.reason
	}
	n.t.publish(&e)
	if c.command() != nil && (c.command().op == opPause || c.command().op == opQuarantine) {
		n.complete(c, nil)
	}
}

// relaunch starts c again for an operator: a fresh streak, not counted
// toward intensity.
func (n *node) relaunch(c *child) {
	n.clearDeadline(c)
	c.attempt = 1
	if c.command() != nil && c.command().op == opRestart {
		c.restarts++
		c.starting = true
		n.emit(EventChildRestarting, c)
	}
	n.launch(c)
}

// lateExit handles the exit of an attempt that was abandoned earlier.
func (n *node) lateExit(a *attempt, err error) {
	c := a.c
	c.zombies--
	a.late = true
	class := classify(a, err)
	e := n.event(EventAbandonedExited, c)
	e.Generation, e.Attempt = a.gen, int(a.num)
	e.Exit, e.Err = class, err
	n.t.publish(&e)
	if n.shut != nil {
		n.shut.late(a, class, err, n.now)
	}
}

// removeChild deletes c from its supervisor. c has no live attempt.
func (n *node) removeChild(c *child) {
	if c.removed {
		return
	}
	n.clearDeadline(c)
	c.removed = true
	n.unlink(c)
	n.orphaned(c)
	n.set(c, StateStopped)
	if n.byName != nil {
		delete(n.byName, c.cp.name)
	}
	n.children[c.index] = nil
	n.holes++
	n.t.count--
	n.emit(EventChildRemoved, c)
	if c.command() != nil {
		if c.command().op == opRemove {
			n.complete(c, nil)
		} else {
			n.complete(c, ErrNotFound)
		}
	}
	if len(c.queue()) > 0 {
		n.runq = append(n.runq, c)
	}
	if n.holes > 16 && n.holes > len(n.children)/2 && n.shut == nil {
		n.compact()
	}
}

// compact drops removed children from the slice, keeping the order.
func (n *node) compact() {
	kept := n.children[:0]
	for _, c := range n.children {
		if c != nil {
			c.index = int32(len(kept))
			kept = append(kept, c)
		}
	}
	clear(n.children[len(kept):])
	n.children = kept
	n.holes = 0
}

// escalate ends the supervisor because a child returned ErrEscalate.
func (n *node) escalate(c *child, err error) {
	n.err = &EscalationError{Path: n.path, Child: c.path, Err: err}
	n.corr = c.corr
	n.beginShutdown("child "+c.path+" escalated", Audit{})
}

// intensityExceeded ends the supervisor because a restart of c would exceed
// its intensity.
func (n *node) intensityExceeded(c *child) {
	ie := &IntensityError{Path: n.path, Child: c.path, Intensity: n.scopes[0].intensity}
	n.set(c, StateFailed)
	e := n.nodeEvent(EventIntensityExceeded)
	e.Correlation = c.corr
	e.Reason, e.Err, e.Rule = c.path, ie, "intensity"
	n.t.publish(&e)
	n.err = ie
	n.corr = c.corr
	n.beginShutdown("restart intensity exceeded", Audit{})
}
