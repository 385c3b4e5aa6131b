package supervisor

import (
	"context"
	"runtime/pprof"

	"github.com/go-supervisor/supervisor/internal/deadline"
)

// labelKey is the pprof label every goroutine of a child carries, with the
// value "<tree id>:<child path>". Goroutines the child starts inherit it.
const labelKey = "supervisor"

// adminState is what an operator asked for a child.
type adminState uint8

const (
	adminActive adminState = iota
	adminPaused
	adminQuarantined
)

// stopReason records why the supervisor is stopping a child.
type stopReason uint8

const (
	stopNone         stopReason = iota
	stopShutdown                // the supervisor is shutting down
	stopGroup                   // a sibling's failure restarts the group
	stopCommand                 // an operator's command (its c.cmd decides what follows)
	stopStartTimeout            // the child did not call Ready in time
)

// exitRecord is the last way a child's attempt ended.
type exitRecord struct {
	class ExitClass
	err   error
	at    int64
}

// child is a supervisor's record of one child. It is owned by the node's
// control loop and read by State under the tree lock.
type child struct {
	n      *node
	spec   *Child
	path   string
	labels context.Context // base context carrying the child's pprof label
	index  int             // position in n.children
	timer  deadline.Entry  // backoff, start timeout or stop budget

	state    State
	admin    adminState
	removed  bool
	stopWhy  stopReason
	starting bool // the current attempt is a restart: report ChildRestarted once it runs

	gen       uint64
	attempt   int // attempt number of the next (or current) attempt
	restarts  uint64
	since     int64 // time of the last state change
	startedAt int64 // time the current (or last) attempt started
	readyAt   int64
	nextAt    int64 // time of the next attempt, in StateBackoff
	stopFrom  int64 // time the current stop was requested

	cur      *attempt // the live attempt, nil if none
	lastExit exitRecord
	zombies  int    // abandoned attempts still running
	corr     uint64 // correlation id of the incident or command acting on the child
	sub      *node  // the running nested supervisor, for KindSupervisor children

	cmd  *command   // command in progress on this child
	cmdq []*command // commands waiting for it
}

// newChild creates the record of a child of n. It does not add it to n.
func (n *node) newChild(spec *Child) *child {
	label := n.t.id + ":" + n.prefix + spec.Name
	c := &child{
		n:       n,
		spec:    spec,
		path:    label[len(n.t.id)+1:],
		labels:  pprof.WithLabels(n.t.baseCtx, pprof.Labels(labelKey, label)),
		attempt: 1,
	}
	c.timer.Value = c
	return c
}

// body runs one attempt of the child.
func (c *child) body(a *attempt) error {
	if c.spec.Tree != nil {
		return runNested(a)
	}
	return c.spec.Run(a)
}

// set changes the child's state.
func (n *node) set(c *child, s State) {
	if c.state != s {
		c.state = s
		c.since = n.now
	}
}

// deadState is the state of a child that exited with class and is not
// (yet) restarted.
func deadState(class ExitClass) State {
	if class.Abnormal() || class == ExitAbandoned {
		return StateFailed
	}
	return StateStopped
}

// setDeadline arms the child's timer.
func (n *node) setDeadline(c *child, at int64) { n.timers.Set(&c.timer, at) }

// clearDeadline disarms the child's timer.
func (n *node) clearDeadline(c *child) { n.timers.Remove(&c.timer) }

// event returns an event about c, stamped with the loop's time.
func (n *node) event(kind EventKind, c *child) Event {
	return Event{Time: n.nowT, Kind: kind, Path: c.path, Generation: c.gen, Attempt: c.attempt,
		Correlation: c.corr, State: c.state}
}

// emit publishes an event about c.
func (n *node) emit(kind EventKind, c *child) {
	e := n.event(kind, c)
	n.t.publish(&e)
}

// nodeEvent returns an event about the supervisor itself.
func (n *node) nodeEvent(kind EventKind) Event {
	e := Event{Time: n.nowT, Kind: kind, Path: n.path, Correlation: n.corr}
	if n.self != nil {
		e.Generation, e.Attempt, e.State = n.self.gen, n.self.num, n.self.c.state
	}
	return e
}
