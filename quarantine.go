package supervisor

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// DefaultProbation is the wait before each probation attempt of a child
// quarantined by its restart limit.
const DefaultProbation = time.Minute

// Quarantine is a child's restart limit. A child that fails more than After
// times within Within is quarantined: it is stopped (it already is: it just
// failed) and no longer restarted, while its siblings and its supervisor go
// on. Every Probation it gets a probation attempt; one that runs for the
// child's stable period (Backoff.ResetAfter) ends the quarantine, one that
// fails sends it back. An operator can end it at once with ResetChild or
// ResumeChild.
//
// A failure is an abnormal exit (an error, a panic, a failed start) that
// would be restarted. How this composes with the supervisor's Intensity: a
// failure that quarantines the child is not restarted, so it does not count
// toward the intensity; with After/Within tighter than the intensity, a
// child that keeps failing is taken out of service before it can exhaust
// its supervisor. Probation attempts take a restart budget token, but do
// not count toward the intensity either: a failed probation sends the child
// back to quarantine, which cannot end the supervisor, and counting them
// would let a Probation shorter than the intensity's Period end the
// supervisor that the limit protects.
//
// The zero Quarantine is unset: the supervisor's Defaults decide, and
// without them children are never quarantined. Off turns it off whatever
// the defaults. Like Backoff, a Quarantine with any field set replaces the
// defaults as a whole.
type Quarantine struct {
	// After is how many failures within Within a child may have (1 or
	// more); one more quarantines it. Zero, with the other fields zero, is
	// unset.
	After  int
	Within time.Duration
	// Probation is the wait before each probation attempt. Zero means
	// DefaultProbation.
	Probation time.Duration
	// Off never quarantines the child; the other fields must then be zero.
	Off bool
}

func (q *Quarantine) probation() time.Duration {
	return firstSet(q.Probation, DefaultProbation)
}

func (v *validator) quarantine(q *Quarantine) {
	switch {
	case q.Off && (*q != Quarantine{Off: true}):
		v.add("", "off never quarantines: leave after, within and probation unset with it")
	case q.After < 0:
		v.add("after", "%d must be 1 or more", q.After)
	case q.After > 0 && q.Within <= 0:
		v.add("within", "must be more than 0 when after is set, such as 1m")
	case q.After == 0 && (q.Within != 0 || q.Probation != 0):
		v.add("after", "must be set (1 or more) for within and probation to mean anything")
	}
	if q.Probation < 0 {
		v.add("probation", "%s must be 0 (the default, %s) or more", textfmt.Duration(q.Probation),
			textfmt.Duration(DefaultProbation))
	}
}

// limitReached records a failure of c against its restart limit and
// reports whether it is one more than the limit allows.
func (n *node) limitReached(c *child) (string, bool) {
	q := &c.cp.pol.quarantine
	if q.After == 0 {
		return "", false
	}
	x := c.extension()
	if x.failures == nil {
		w := newRestartWindow(Intensity{MaxRestarts: q.After, Period: q.Within})
		x.failures = &w
	}
	if x.failures.allow(n.now) {
		return "", false
	}
	return fmt.Sprintf("%d failures within %s, more than the %d allowed; probation in %s",
		q.After+1, textfmt.Duration(q.Within), q.After, textfmt.Duration(q.probation())), true
}

// probationRuns starts the clock of c's probation attempt, which runs
// now: it passes once it has run for the child's Backoff.ResetAfter.
func (n *node) probationRuns(c *child) {
	if x := c.ext; x != nil && x.probation {
		x.probationEnd = n.now + int64(c.cp.pol.backoff.resetAfter())
	}
}

// endProbation settles the end of a probation attempt, as assess decided:
// a normal exit passes the probation; a failure sends the child back to
// quarantine (the decision's verdict does it); an error rule's decision
// ends the quarantine and goes ahead.
func (n *node) endProbation(c *child, end probationEnd) {
	if end == probationNone {
		return
	}
	c.ext.probation = false
	switch end {
	case probationPassed:
		n.passProbation(c, "the probation attempt exited normally")
	case probationEnded:
		c.endQuarantine()
	}
}

// quarantine takes c out of service for rule: it stays stopped until an
// operator resumes it.
func (n *node) quarantine(c *child, rule, reason string) {
	c.admin = adminQuarantined
	n.set(c, StateQuarantined)
	x := c.extension()
	x.reason, x.rule = reason, rule
	e := n.event(EventChildQuarantined, c)
	e.Rule, e.Reason = rule, reason
	n.t.publish(&e)
}

// quarantineForLimit quarantines c for its restart limit and schedules its
// probation.
func (n *node) quarantineForLimit(c *child, reason string) {
	c.extension().quarantined = true
	n.quarantine(c, "quarantine", reason)
	n.setDeadline(c, n.now+int64(c.cp.pol.quarantine.probation()))
}

// probation gives c, quarantined by its restart limit, a probation
// attempt: its timer fired. A group restart in progress goes first.
func (n *node) probation(c *child) {
	x := c.ext
	if x == nil || !x.quarantined {
		return
	}
	if sc := n.scopeOf(c); n.jobOf(c) != nil && sc.strategy != OneForOne {
		x.due = true
		sc.pending = append(sc.pending, c)
		return
	}
	if n.budget != nil && !x.booked { // a probation is a restart: it takes a token
		x.booked = true
		if at := n.budget.reserve(n.now); at > n.now {
			n.setDeadline(c, at)
			x.budgetWait = true
			e := n.event(EventChildBackoff, c)
			e.Delay = time.Duration(at - n.now)
			e.Rule = "budget"
			e.Reason = fmt.Sprintf("probation attempt %d waits for a token: restart budget (%s) spent",
				x.probations+1, n.compiled.budget)
			n.t.publish(&e)
			return
		}
	}
	x.booked = false
	x.probation = true
	x.probations++
	c.admin = adminActive
	c.attempt = 1
	n.restartFor(c, "quarantine", "probation attempt "+strconv.Itoa(x.probations))
}

func (n *node) passProbation(c *child, why string) {
	c.endQuarantine()
	c.ext.failures = nil
	e := n.event(EventChildResumed, c)
	e.Rule, e.Reason = "quarantine", why
	n.t.publish(&e)
}

// endQuarantine forgets why c was quarantined: its quarantine ended or an
// operator took over.
func (c *child) endQuarantine() {
	if x := c.ext; x != nil {
		x.quarantined, x.probation, x.due, x.booked, x.budgetWait = false, false, false, false, false
		x.reason, x.rule, x.probations = "", "", 0
	}
}

// ResetChild clears the child's failure counters, as systemctl reset-failed
// does: its restart-limit window and its backoff streak. A child
// quarantined by its restart limit is started again at once; a child
// paused or quarantined by an operator or an error rule stays so.
func (t *Tree) ResetChild(ctx context.Context, path string, audit Audit) error {
	return t.control(ctx, opReset, path, nil, audit)
}

// reset runs ResetChild.
func (n *node) reset(c *child, cmd *command) {
	limited := c.ext != nil && c.ext.quarantined
	if x := c.ext; x != nil {
		x.failures = nil
	}
	c.attempt = 1
	e := n.event(EventChildReset, c)
	e.Correlation, e.Audit = cmd.id, cmd.audit
	n.t.publish(&e)
	if limited {
		c.endQuarantine() // a running probation attempt is one no more
	}
	if !limited || c.cur != nil {
		n.finish(cmd, nil)
		return
	}
	c.setCommand(cmd) // completes once the child runs
	n.activate(c)
	n.relaunch(c)
}
