package supervisor

import (
	"context"
	"fmt"
	"strings"
)

// Audit says who asked for a change to a running tree and why. Every
// mutating control call requires one with both fields non-empty; it is
// carried by the command's events.
type Audit struct {
	Who string `json:"who"`
	Why string `json:"why"`
}

func (a Audit) validate() error {
	if strings.TrimSpace(a.Who) == "" {
		return fmt.Errorf("%w: Who must not be empty: say who asks for the change", ErrInvalidAudit)
	}
	if strings.TrimSpace(a.Why) == "" {
		return fmt.Errorf("%w: Why must not be empty: say why the change is made", ErrInvalidAudit)
	}
	return nil
}

type opKind uint8

const (
	opAdd opKind = iota
	opRemove
	opRestart
	opPause
	opResume
	opQuarantine
	opShutdown
	opReset
	opUpdate // Apply: a supervisor's new compiled spec
)

var opNames = [...]string{"add", "remove", "restart", "pause", "resume", "quarantine", "shutdown", "reset", "update"}

// addressesNode reports whether the op's path names a supervisor (the
// parent, for add) rather than a child.
func (op opKind) addressesNode() bool { return op == opAdd || op == opUpdate }

// command is a control call travelling to, and through, a control loop.
type command struct {
	op      opKind
	path    string // the child addressed (for add, the new child's path)
	name    string // its name within the node
	child   *Child // add: the new child's spec
	audit   Audit
	ctx     context.Context // shutdown: bounds the shutdown
	id      uint64          // correlation id, assigned on arrival
	reply   chan error      // buffered: the loop never waits on it
	fromGen uint64          // the child's generation when the command began
	merged  []*command      // concurrent restarts answered together
	upd     *update         // update: the new compiled spec
	apply   bool            // restart: by Apply, which leaves a paused child paused
	// detached: the caller runs inside what the command stops (see
	// caller.go). It is answered as soon as the command is accepted.
	detached bool
	answered bool // the reply was sent
}

// answer replies to the command's caller, once.
func (cmd *command) answer(err error) {
	if !cmd.answered {
		cmd.answered = true
		cmd.reply <- err
	}
}

// AddChild adds child to the supervisor at parent ("/" for the root) and
// starts it, after its running siblings. It returns once the child is
// running (or ready, with ReadinessExplicit); if the child fails to start it
// is removed again and the error is a *StartError. A sibling with the same
// name gives ErrAlreadyExists, as OTP's start_child does for a running or a
// stopped child.
func (t *Tree) AddChild(ctx context.Context, parent string, child Child, audit Audit) error {
	if err := audit.validate(); err != nil {
		return &OpError{Op: opNames[opAdd], Path: parent, Err: err}
	}
	spec := &child
	var v validator
	v.enter("child", -1)
	v.child(spec)
	v.leave()
	if err := v.err(); err != nil {
		return &OpError{Op: opNames[opAdd], Path: parent, Err: err}
	}
	return t.control(ctx, opAdd, parent, spec, audit)
}

// RemoveChild stops the child at path (waiting for its exit or abandoning it
// at its budget) and deletes its spec. It works whatever the child's state.
func (t *Tree) RemoveChild(ctx context.Context, path string, audit Audit) error {
	return t.control(ctx, opRemove, path, nil, audit)
}

// RestartChild stops the child's current attempt, if any, and starts its
// next generation, returning once it runs. It works on a running, stopped,
// paused or quarantined child (clearing the pause), restarts only that child
// whatever the strategy, and does not count toward intensity. Concurrent
// requests for the same child are merged into one restart.
func (t *Tree) RestartChild(ctx context.Context, path string, audit Audit) error {
	return t.control(ctx, opRestart, path, nil, audit)
}

// PauseChild stops the child and keeps its spec; it is not restarted until
// ResumeChild or RestartChild. Pausing a paused child does nothing.
func (t *Tree) PauseChild(ctx context.Context, path string, audit Audit) error {
	return t.control(ctx, opPause, path, nil, audit)
}

// QuarantineChild stops the child as PauseChild does, and differs in what
// it tells: the child shows StateQuarantined, the state a restart limit or
// an error rule also puts a child in, which monitoring counts and alerts on
// as a child taken out of service because something is wrong with it,
// where a paused child is routine maintenance. ResumeChild or RestartChild
// ends either.
func (t *Tree) QuarantineChild(ctx context.Context, path string, audit Audit) error {
	return t.control(ctx, opQuarantine, path, nil, audit)
}

// ResumeChild lets a paused or quarantined child run again and starts it;
// it also starts a stopped or failed child. Resuming a running child, or one
// waiting for a scheduled restart, does nothing.
func (t *Tree) ResumeChild(ctx context.Context, path string, audit Audit) error {
	return t.control(ctx, opResume, path, nil, audit)
}

// control sends a command to the supervisor owning path and waits for its
// answer. If ctx ends first the call returns ctx.Err(), and the command may
// still take effect.
func (t *Tree) control(ctx context.Context, op opKind, path string, child *Child, audit Audit) error {
	if err := audit.validate(); err != nil {
		return &OpError{Op: opNames[op], Path: path, Err: err}
	}
	return t.send(ctx, &command{op: op, path: path, child: child, audit: audit})
}

// send delivers cmd, whose op, path, audit and payload are set, to the
// supervisor owning its path and waits for its answer: its completion, or
// for a call from inside what the command stops, its acceptance.
func (t *Tree) send(ctx context.Context, cmd *command) error {
	op, path := cmd.op, cmd.path
	cmd.detached = t.waitsForCaller(ctx, op, path)
	opErr := func(err error) error { return &OpError{Op: opNames[op], Path: path, Err: err} }
	n, name, err := t.resolve(op, path)
	if err != nil {
		t.rejected(op, path, cmd.audit, err)
		return opErr(err)
	}
	cmd.name, cmd.reply = name, make(chan error, 1)
	if op == opAdd {
		cmd.path, cmd.name = n.prefix+cmd.child.Name, cmd.child.Name
	}
	// A supervisor that ends (a nested one stopping) between resolve and
	// its answer never handles the command: it is refused, and audited as
	// such, here.
	select {
	case n.inbox <- msg{kind: msgCommand, cmd: cmd}:
	case <-n.dead:
		t.rejected(op, path, cmd.audit, ErrShuttingDown)
		return opErr(ErrShuttingDown)
	case <-ctx.Done():
		return ctx.Err()
	}
	// A detached command is answered as soon as it is accepted, and it
	// cancels ctx, the caller's own, as it stops the caller: its answer
	// is waited for whatever ctx says, lest the call report the
	// cancellation it caused instead of its acceptance.
	done := ctx.Done()
	if cmd.detached {
		done = nil
	}
	var res error
	select {
	case res = <-cmd.reply:
	case <-n.dead:
		select {
		case res = <-cmd.reply:
		default:
			res = ErrShuttingDown
			t.rejected(op, path, cmd.audit, res)
		}
	case <-done:
		return ctx.Err()
	}
	if res != nil {
		return opErr(res)
	}
	return nil
}

// resolve finds the node that owns path: the parent for add, the child's
// supervisor otherwise.
func (t *Tree) resolve(op opKind, path string) (*node, string, error) {
	if err := checkPath(path); err != nil {
		return nil, "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended || t.root.phase >= phaseStopping {
		return nil, "", ErrShuttingDown
	}
	n := t.root
	if path == "/" {
		if op.addressesNode() {
			return n, "", nil
		}
		return nil, "", fmt.Errorf("%w: the root is not a child; use Shutdown to stop the tree", ErrNotFound)
	}
	segs := strings.Split(path[1:], "/")
	last := len(segs)
	if !op.addressesNode() {
		last--
	}
	for _, seg := range segs[:last] {
		c := n.lookup(seg)
		switch {
		case c == nil:
			return nil, "", ErrNotFound
		case c.cp.pol.tree == nil:
			return nil, "", fmt.Errorf("%w: %s is a worker", ErrNotSupervisor, c.path)
		case c.cur == nil || c.cur.sub == nil || c.cur.sub.phase >= phaseStopping:
			return nil, "", fmt.Errorf("%w: supervisor %s is %s", ErrNotRunning, c.path, c.state)
		}
		n = c.cur.sub
	}
	if op.addressesNode() {
		return n, "", nil
	}
	name := segs[last]
	if n.lookup(name) == nil {
		return nil, "", ErrNotFound
	}
	return n, name, nil
}

// rejected audits a command refused before it reached a supervisor: it gets
// an EventCommandCompleted with the error, and no EventCommandAccepted.
func (t *Tree) rejected(op opKind, path string, audit Audit, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return
	}
	e := Event{Time: t.now(), Kind: EventCommandCompleted, Path: path, Correlation: t.nextCorr(),
		Command: opNames[op], Audit: audit, Err: err}
	t.publish(&e)
}

// checkPath validates the grammar of a path: "/" or "/" followed by names
// joined with "/".
func checkPath(path string) error {
	if path == "/" {
		return nil
	}
	if !strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") {
		return fmt.Errorf("%w: %q: a path is \"/\" or starts with \"/\" and names children joined by \"/\", like \"/workers/w1\"", ErrInvalidPath, path)
	}
	for _, seg := range strings.Split(path[1:], "/") {
		if problem := nameProblem(seg); problem != "" {
			return fmt.Errorf("%w: %q: segment %q %s", ErrInvalidPath, path, seg, problem)
		}
	}
	return nil
}

// onCommand receives a command in the control loop.
func (n *node) onCommand(cmd *command) {
	cmd.id = n.t.nextCorr()
	e := Event{Time: n.nowT, Kind: EventCommandAccepted, Path: cmd.path, Correlation: cmd.id,
		Command: opNames[cmd.op], Audit: cmd.audit}
	n.t.publish(&e)
	if cmd.detached {
		cmd.answer(nil) // its caller must not wait for itself
	}
	switch {
	case cmd.op == opShutdown:
		n.shutdownCommand(cmd)
	case n.shut != nil:
		n.finish(cmd, ErrShuttingDown)
	case n.busy():
		n.deferred = append(n.deferred, cmd)
	default:
		n.execute(cmd)
	}
}

// execute runs a command now, or queues it behind the child's current one.
func (n *node) execute(cmd *command) {
	switch cmd.op {
	case opAdd:
		n.add(cmd)
		return
	case opUpdate:
		n.update(cmd)
		return
	}
	c := n.lookup(cmd.name)
	switch {
	case c == nil:
		n.finish(cmd, ErrNotFound)
	case c.command() == nil && len(c.queue()) == 0:
		n.applyCommand(c, cmd)
	case c.command() != nil && cmd.op == opRestart && c.command().op == opRestart && len(c.queue()) == 0 && !cmd.apply:
		// (An Apply's restart waits its turn instead: the restart under way
		// may have launched the old code.)
		cur := c.command()
		cur.merged = append(cur.merged, cmd)
	default: // behind the commands that came first
		x := c.extension()
		x.queue = append(x.queue, cmd)
	}
}

func (n *node) applyCommand(c *child, cmd *command) {
	c.corr = cmd.id
	cmd.fromGen = c.gen
	switch cmd.op {
	case opRemove:
		c.setCommand(cmd)
		if c.cur == nil {
			n.removeChild(c)
		} else if c.state != StateStopping {
			n.stop(c, stopCommand)
		}
	case opRestart:
		if cmd.apply && (c.admin != adminActive || c.cur == nil || c.ext == nil || c.ext.launched == nil) {
			// Apply restarts attempts that run old code: a child paused,
			// quarantined or waiting to restart runs its new compiled spec when it
			// next starts, and one restarted meanwhile runs it already.
			n.finish(cmd, nil)
			return
		}
		c.setCommand(cmd)
		if c.cur != nil {
			if c.state != StateStopping {
				n.stop(c, stopCommand)
			}
			c.stopWhy = stopCommand
			return
		}
		n.activate(c)
		n.relaunch(c)
	case opPause:
		n.park(c, cmd, adminPaused)
	case opQuarantine:
		n.park(c, cmd, adminQuarantined)
	case opReset:
		n.reset(c, cmd)
	case opResume:
		n.activate(c)
		switch {
		case c.state == StateStopping:
			c.setCommand(cmd)
			c.stopWhy = stopCommand
		case c.cur != nil || c.state == StateBackoff:
			n.finish(cmd, nil) // running, or restarting soon anyway
		default:
			c.setCommand(cmd)
			n.relaunch(c)
		}
	}
}

// activate clears a pause or quarantine.
func (n *node) activate(c *child) {
	c.endQuarantine()
	if g := c.cp.pol.group; g > 0 {
		n.scopes[g].quarantined = false
	}
	if c.admin != adminActive {
		c.admin = adminActive
		n.emit(EventChildResumed, c)
	}
}

// park pauses or quarantines c.
func (n *node) park(c *child, cmd *command, admin adminState) {
	c.endQuarantine() // an operator takes over: no probation
	if c.cur == nil && c.admin == admin {
		n.clearDeadline(c)
		n.finish(cmd, nil) // already there
		return
	}
	c.admin = admin
	c.setCommand(cmd)
	if c.cur != nil {
		if c.state != StateStopping {
			n.stop(c, stopCommand)
		}
		return
	}
	n.clearDeadline(c)
	n.parked(c)
}

// add adds and starts a new child.
func (n *node) add(cmd *command) {
	if n.lookup(cmd.child.Name) != nil {
		n.finish(cmd, &existsError{path: n.prefix + cmd.child.Name})
		return
	}
	if p := groupProblem(cmd.child.Group, n.compiled); p != "" {
		n.finish(cmd, &ValidationError{Problems: []Problem{{Field: "child.group", Message: p}}})
		return
	}
	earlier := func(name string) (*Child, bool) {
		s := n.lookup(name)
		if s == nil {
			return nil, false
		}
		return &Child{Role: s.cp.pol.role, Group: n.scopes[s.cp.pol.group].name}, true
	}
	if p := roleProblem(cmd.child, earlier); p.Message != "" {
		n.finish(cmd, &ValidationError{Problems: []Problem{{Field: "child." + p.Field, Message: p.Message}}})
		return
	}
	cp := n.t.compiler.child(cmd.child, n.compiled)
	if cp.pol.significant {
		if p := significantProblem(cp.pol.restart, n.compiled.autoShutdown); p != "" {
			n.finish(cmd, &ValidationError{Problems: []Problem{{Field: "child.significant", Message: p}}})
			return
		}
	}
	c := n.newChild(&cp)
	c.index = int32(len(n.children))
	c.corr = cmd.id
	c.setCommand(cmd)
	n.children = append(n.children, c)
	n.byName[c.cp.name] = c
	n.link(c)
	n.linkOrphans(c)
	n.t.count++
	n.emit(EventChildAdded, c)
	n.launch(c)
}

// cmdStarted completes a command waiting for c to run.
func (n *node) cmdStarted(c *child) {
	cmd := c.command()
	if cmd != nil && (cmd.op == opRestart || cmd.op == opResume || cmd.op == opReset || cmd.op == opAdd) && c.gen > cmd.fromGen {
		n.complete(c, nil)
	}
}

// cmdStartFailed completes a command whose start of c failed.
func (n *node) cmdStartFailed(c *child, err error) {
	cmd := c.command()
	if cmd != nil && (cmd.op == opRestart || cmd.op == opResume || cmd.op == opReset) && c.gen > cmd.fromGen {
		n.complete(c, &StartError{Path: c.path, Err: err})
	}
}

// complete answers c's current command and lets the next one run.
func (n *node) complete(c *child, err error) {
	cmd := c.command()
	c.setCommand(nil)
	n.finish(cmd, err)
	if len(c.queue()) > 0 {
		n.runq = append(n.runq, c)
	}
}

// finish answers a command.
func (n *node) finish(cmd *command, err error) {
	e := Event{Time: n.nowT, Kind: EventCommandCompleted, Path: cmd.path, Correlation: cmd.id,
		Command: opNames[cmd.op], Audit: cmd.audit, Err: err}
	n.t.publish(&e)
	cmd.answer(err)
	for _, m := range cmd.merged {
		n.finish(m, err)
	}
}

// flushRunq runs the commands that queued behind completed ones. While a
// job runs they stay queued, in order, ahead of any command for the same
// child deferred meanwhile.
func (n *node) flushRunq() {
	if n.shut == nil && n.busy() {
		return
	}
	for i := 0; i < len(n.runq); i++ {
		c := n.runq[i]
		for c.command() == nil && len(c.queue()) > 0 {
			x := c.ext
			cmd := x.queue[0]
			x.queue[0] = nil
			x.queue = x.queue[1:]
			switch {
			case n.shut != nil:
				n.finish(cmd, ErrShuttingDown)
			case c.removed:
				n.finish(cmd, ErrNotFound)
			default:
				n.applyCommand(c, cmd)
			}
		}
	}
	clear(n.runq)
	n.runq = n.runq[:0]
}
