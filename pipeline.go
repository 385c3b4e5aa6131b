package supervisor

import (
	"context"
	"fmt"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// The decision pipeline. An exit a child makes on its own goes through
// these stages, in this order; the first that settles the matter decides,
// and the events it leads to name it in their Rule field:
//
//  1. classification: the ExitClass (an attempt the supervisor had cancelled
//     is a clean stop and goes no further);
//  2. error rules: the child's Rules, then its supervisor's Defaults.Rules
//     ("rules[i]", "defaults.rules[i]");
//  3. restart type: Permanent, Transient, Temporary ("restart_type"), or
//     ErrEscalate ("escalate"); a significant child that is not restarted
//     may end its supervisor ("auto_shutdown");
//  4. restart limit: a child failing more often than its Quarantine allows
//     is quarantined instead ("quarantine");
//
// The stages so far decide whether; the next ones decide when, and each can
// only make the restart later:
//
//  5. strategy and backoff: which children the restart concerns, and the
//     earliest time the child's own Backoff allows ("backoff");
//  6. budget: the supervisor's token bucket reserves a token for that time
//     or a later one ("budget");
//  7. throttle: once due, the restart waits for a slot if MaxRestarting
//     restarts are in progress ("throttle");
//  8. intensity: the restart, now performed, counts toward the supervisor's
//     intensity, which may give up ("intensity").
//
// Backoff comes before the budget and the throttle, because a shared gate
// passed before a wait no longer holds after it: a token taken before a
// 30 s backoff would let restarts bunch up beyond the budget's curve, and a
// slot held through a backoff would hold other children back for nothing.

// verdict is what the first stages decided for an exit.
type verdict uint8

const (
	verdictRestart verdict = iota
	verdictStop            // stays down, spec kept
	verdictRemove          // a Temporary child's spec is removed
	verdictQuarantine
	verdictEscalate
	verdictShutdownTree
)

// decision is a verdict with the rule or stage that reached it.
type decision struct {
	verdict verdict
	rule    string
	reason  string
	// limit: the restart limit quarantines the child (verdictQuarantine),
	// which schedules its probation.
	limit bool
	// probation is what the exit does to a running probation attempt.
	probation probationEnd
}

// probationEnd is what an exit does to a running probation attempt.
type probationEnd uint8

const (
	probationNone   probationEnd = iota // no probation attempt was running
	probationPassed                     // it exited normally: the quarantine ends
	probationFailed                     // it failed: back to quarantine
	probationEnded                      // an error rule decided: the quarantine ends
)

// Reasons of the restart-type stage.
const (
	reasonPermanent     = "permanent: always restarted"
	reasonTransientFail = "transient: restarted after an abnormal exit"
	reasonTransientDone = "transient: not restarted after a normal exit"
	reasonTemporary     = "temporary: never restarted, spec removed"
	reasonEscalate      = "the child returned ErrEscalate"
)

// judge runs the error rules and the restart type on an exit c made on its
// own account. It allocates nothing.
func (n *node) judge(c *child, class ExitClass, err error) decision {
	pol := c.cp.pol
	if r := pol.rules.match(err); r != nil {
		d := decision{rule: r.name, reason: r.reason}
		switch r.action {
		case ActionRestart:
			d.verdict = verdictRestart
		case ActionStop:
			d.verdict = verdictStop
			if pol.restart == Temporary {
				d.verdict = verdictRemove
			}
		case ActionQuarantine:
			d.verdict = verdictQuarantine
		case ActionEscalate:
			d.verdict = verdictEscalate
		case ActionShutdownTree:
			d.verdict = verdictShutdownTree
		}
		return d
	}
	if class == ExitEscalate {
		return decision{verdict: verdictEscalate, rule: "escalate", reason: reasonEscalate}
	}
	switch pol.restart {
	case Temporary:
		return decision{verdict: verdictRemove, rule: "restart_type", reason: reasonTemporary}
	case Transient:
		if !class.Abnormal() {
			return decision{verdict: verdictStop, rule: "restart_type", reason: reasonTransientDone}
		}
		return decision{verdict: verdictRestart, rule: "restart_type", reason: reasonTransientFail}
	}
	return decision{verdict: verdictRestart, rule: "restart_type", reason: reasonPermanent}
}

// assess decides whether an exit c made on its own (or a stop that counts
// as a failure) is restarted: the error rules and the restart type
// (judge), then the restart limit and the probation the child may be on.
// It records a failure against the limit, so it runs once per exit, when
// the exit happens; the exit's event names the stage that decided.
func (n *node) assess(c *child, class ExitClass, err error) decision {
	d := n.judge(c, class, err)
	if x := c.ext; x != nil && x.probation {
		switch {
		case !class.Abnormal():
			d.probation = probationPassed
		case d.verdict == verdictRestart:
			return decision{verdict: verdictQuarantine, limit: true, probation: probationFailed, rule: "quarantine",
				reason: fmt.Sprintf("probation attempt %d failed; next in %s", x.probations,
					textfmt.Duration(c.cp.pol.quarantine.probation()))}
		default:
			d.probation = probationEnded
		}
		return d
	}
	if d.verdict == verdictRestart && class.Abnormal() && !n.waitsForJob(c) {
		// (An exit that waits for a job meets the limit when it is
		// decided, if the job did not restart the child meanwhile.)
		if why, ok := n.limitReached(c); ok {
			return decision{verdict: verdictQuarantine, limit: true, rule: "quarantine", reason: why}
		}
	}
	return d
}

// exited acts on an exit the child made on its own account.
func (n *node) exited(c *child, err error, d decision) {
	if n.shut != nil {
		return // it stays down; the drain will find it so
	}
	switch d.verdict {
	case verdictEscalate:
		n.escalate(c, err)
		return
	case verdictShutdownTree:
		n.shutdownTree(c, d, err)
		return
	}
	if n.waitsForJob(c) {
		if j := n.jobOf(c); j.kind == jobGroup && j.phase == jobStopping && j.has(c) {
			n.set(c, StatePending) // the group restart it belongs to brings it back
			return
		}
		sc := n.scopeOf(c)
		sc.pending = append(sc.pending, c) // decided when the job is over (runPending)
		return
	}
	n.decide(c, d)
}

// waitsForJob reports whether an exit of c waits for the job (a group
// restart, an ordered start) in progress in its scope: under OneForAll and
// RestForOne the job may restart c anyway, so the exit is decided once the
// job is over, if it still needs deciding.
func (n *node) waitsForJob(c *child) bool {
	return n.scopeOf(c).strategy != OneForOne && n.jobOf(c) != nil
}

// decide carries out a decision.
func (n *node) decide(c *child, d decision) {
	n.endProbation(c, d.probation)
	switch d.verdict {
	case verdictStop:
		if c.cp.pol.significant {
			n.terminated(c)
		}
		return
	case verdictRemove:
		n.removeChild(c)
		if c.cp.pol.significant {
			n.terminated(c)
		}
		return
	case verdictQuarantine:
		if d.limit {
			n.quarantineForLimit(c, d.reason)
		} else {
			n.quarantine(c, d.rule, d.reason)
		}
		return
	case verdictEscalate, verdictShutdownTree:
		return // handled by exited
	}
	if n.now-c.startedAt >= int64(c.cp.pol.backoff.resetAfter()) {
		c.attempt = 1 // it ran stably: a new streak
	}
	c.attempt++
	delay := c.cp.pol.backoff.delay(int(c.attempt), n.rng)
	if n.scopeOf(c).strategy != OneForOne {
		n.beginGroupRestart(c, delay)
		return
	}
	if at, stage := n.when(delay); at > n.now {
		n.backoff(c, at, stage)
		return
	}
	n.restart(c)
}

// backoff schedules c's restart at at, for stage ("backoff" or "budget").
func (n *node) backoff(c *child, at int64, stage string) {
	n.setDeadline(c, at)
	n.set(c, StateBackoff)
	e := n.event(EventChildBackoff, c)
	e.Delay = time.Duration(at - n.now)
	e.Rule = stage
	if stage == "budget" {
		c.extension().budgetWait = true
		e.Reason = "restart budget (" + n.compiled.budget.String() + ") spent: waiting for a token"
	} else if x := c.ext; x != nil {
		x.budgetWait = false
	}
	n.t.publish(&e)
}

// restart performs an automatic restart of c alone.
func (n *node) restart(c *child) { n.restartFor(c, "", "") }

// restartHold is what holds an automatic restart back, if anything does.
type restartHold uint8

const (
	holdNone     restartHold = iota
	holdPrimary              // a sidecar whose primary is not running: it waits for it (sidecar.go)
	holdThrottle             // MaxRestarting restarts in progress: it queues (throttle.go)
)

// holdOf decides whether c's automatic restart waits, and for which
// throttle scope if it queues.
func (n *node) holdOf(c *child) (restartHold, *scope) {
	if n.primaryIsDown(c) {
		return holdPrimary, nil
	}
	if q := n.throttleOf(c); q != nil {
		return holdThrottle, q
	}
	return holdNone, nil
}

// restartFor performs an automatic restart of c alone, for the stage rule
// and reason its event names; or, if something holds it back, parks c
// with a child_queued event saying what.
func (n *node) restartFor(c *child, rule, reason string) {
	switch h, q := n.holdOf(c); h {
	case holdPrimary:
		n.waitForPrimary(c)
		return
	case holdThrottle:
		n.queue(c, q)
		return
	}
	sc := n.scopeOf(c)
	// A probation attempt does not count toward intensity (see Quarantine).
	if probation := c.ext != nil && c.ext.probation; !probation && !sc.window.allow(n.now) {
		n.scopeExceeded(sc, c)
		return
	}
	c.restarts++
	c.starting = true
	c.inflight = true
	n.scopes[0].restarting++
	if sc != n.scopes[0] {
		sc.restarting++
	}
	e := n.event(EventChildRestarting, c)
	e.Rule, e.Reason = rule, reason
	n.t.publish(&e)
	n.launch(c)
}

// shutdownTree shuts the whole tree down because a rule said so: the root
// does it, ending with a *RuleError.
func (n *node) shutdownTree(c *child, d decision, err error) {
	re := &RuleError{Path: c.path, Rule: d.rule, Err: err}
	if n.self == nil {
		n.err = re
		n.corr = c.corr
		n.beginShutdown(textfmt.Error(re), Audit{})
		return
	}
	root, corr := n.t.root, c.corr
	go func() {
		setLabels(context.Background())
		root.post(msg{kind: msgShutdownTree, err: re, corr: corr})
	}()
}
