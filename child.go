package supervisor

import (
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
	stopNone            stopReason = iota
	stopShutdown                   // the supervisor is shutting down
	stopGroup                      // a sibling's failure restarts the group
	stopCommand                    // an operator's command (it decides what follows)
	stopStartTimeout               // the child did not call Ready in time
	stopStale                      // its Liveness found it stale
	stopGroupQuarantine            // its group exceeded its intensity
	stopPrimary                    // a sidecar's primary stopped
)

// child is a supervisor's record of one child. It is owned by the node's
// control loop and read by Snapshot under the tree lock.
//
// Its layout is kept to 144 bytes: with 10,000 children every byte here
// costs 10 KB. Times are nanoseconds on the tree's monotonic clock (see
// Tree.base), and the time a state was entered doubles as the time of the
// event that entered it: ready (StateReady), stop request (StateStopping),
// next attempt (the timer's deadline in StateBackoff).
type child struct {
	n      *node
	cp     *compiledChild
	path   string
	labels any            // the child's pprof label set; see Tree.labelKey
	cur    *attempt       // the live attempt, nil if none
	timer  deadline.Entry // backoff, start timeout or stop budget
	last   *exitRecord    // how the last attempt ended; nil until one has

	gen       uint64
	since     int64 // time of the last state change
	startedAt int64 // time the current (or last) attempt started
	corr      uint64
	ext       *childExt // what few children need; made on first use

	index    int32  // position in n.children
	attempt  int32  // attempt number of the next (or current) attempt
	zombies  int32  // abandoned attempts still running
	restarts uint32 // restarts performed

	state    State
	admin    adminState
	stopWhy  stopReason
	removed  bool
	starting bool // the current attempt is a restart: report ChildRestarted once it runs
	inflight bool // the current attempt is a restart in progress (see throttle.go)
	reported bool // has its outcome in the supervisor's shutdown report
}

// exitRecord is how an attempt ended.
type exitRecord struct {
	class ExitClass
	err   error
	at    int64
}

// lastExit returns how the child's last attempt ended.
func (c *child) lastExit() exitRecord {
	if c.last == nil {
		return exitRecord{}
	}
	return *c.last
}

// childExt holds the state of a child that only some children need, so
// that the others do not pay for it.
type childExt struct {
	cmd   *command   // command in progress on the child
	queue []*command // commands waiting for it

	// Restart limit (see Quarantine).
	failures     *restartWindow // recent failures, made on the first
	reason       string         // why it is quarantined, while it is
	rule         string         // and the rule or stage that did it
	probations   int            // probation attempts of this quarantine
	quarantined  bool           // by its restart limit: it gets probations
	probation    bool           // the current attempt is a probation attempt
	due          bool           // a probation waits for a job to end
	probationEnd int64          // when the running probation attempt passes

	// Waiting for a restart (see Budget and throttle.go).
	queued     bool           // in the throttle queue
	queuedAt   int64          // since when
	budgetWait bool           // in StateBackoff for a budget token
	launched   *compiledChild // the compiled child the running attempt was launched with, once Apply changed its code
	booked     bool           // a probation holds its budget token

	// Sidecars (see sidecar.go).
	primary     *child   // a sidecar's primary
	sidecars    []*child // a primary's sidecars
	waitPrimary bool     // a sidecar waiting for its primary to run

	// Liveness (see Liveness), of the current attempt.
	unhealthy      bool
	unhealthySince int64
	staleWhy       string
}

// extension returns c's extension, making it.
func (c *child) extension() *childExt {
	if c.ext == nil {
		c.ext = new(childExt)
	}
	return c.ext
}

// command returns the command in progress on c, if any.
func (c *child) command() *command {
	if c.ext == nil {
		return nil
	}
	return c.ext.cmd
}

func (c *child) setCommand(cmd *command) {
	if cmd != nil || c.ext != nil {
		c.extension().cmd = cmd
	}
}

// queue returns the commands waiting for c's current one.
func (c *child) queue() []*command {
	if c.ext == nil {
		return nil
	}
	return c.ext.queue
}

// DeadlineEntry implements deadline.Owner.
func (c *child) DeadlineEntry() *deadline.Entry { return &c.timer }

// newChild creates the record of a child of n. It does not add it to n.
func (n *node) newChild(cp *compiledChild) *child {
	label := n.t.id + ":" + n.prefix + cp.name
	c := &child{
		n:       n,
		cp:      cp,
		path:    label[len(n.t.id)+1:],
		attempt: 1,
	}
	c.labels = n.t.labelSet(label)
	return c
}

// body runs attempt a of the child as cp: how the child was compiled when
// the attempt was launched.
func (c *child) body(a *attempt, cp *compiledChild) error {
	if cp.pol.tree != nil {
		return runNested(a, cp.pol.tree)
	}
	return cp.run(a)
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
func (n *node) setDeadline(c *child, at int64) { n.timers.Set(c, at) }

// clearDeadline disarms the child's timer.
func (n *node) clearDeadline(c *child) { n.timers.Remove(c) }

// setExit records how the child's last attempt ended. The record is made
// on the first exit and reused after, so that idle children do not carry it.
func (n *node) setExit(c *child, class ExitClass, err error) {
	if c.last == nil {
		c.last = new(exitRecord)
	}
	*c.last = exitRecord{class: class, err: err, at: n.now}
}

// event returns an event about c, stamped with the loop's time.
func (n *node) event(kind EventKind, c *child) Event {
	return Event{Time: n.nowT, Kind: kind, Path: c.path, Generation: c.gen, Attempt: int(c.attempt),
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
		e.Generation, e.Attempt, e.State = n.self.gen, int(n.self.num), n.self.c.state
	}
	return e
}
