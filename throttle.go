package supervisor

import (
	"fmt"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// The concurrency throttle (Spec.MaxRestarting). An automatic restart is in
// progress from the moment it is performed until the new attempt runs (is
// ready, for ReadinessExplicit), fails or is abandoned. With MaxRestarting
// set, a restart due while that many are in progress waits in a queue, in
// order, in StatePending with ChildInfo.WaitingFor "throttle"; the first in
// the queue goes as soon as one lands.

// throttleQueue is a FIFO of children waiting for a restart slot.
type throttleQueue struct {
	q    []*child
	head int
}

func (t *throttleQueue) len() int { return len(t.q) - t.head }

func (t *throttleQueue) push(c *child) { t.q = append(t.q, c) }

func (t *throttleQueue) pop() *child {
	c := t.q[t.head]
	t.q[t.head] = nil
	t.head++
	if t.head == len(t.q) {
		t.q, t.head = t.q[:0], 0
	} else if t.head > 1024 && t.head*2 > len(t.q) {
		t.q = append(t.q[:0], t.q[t.head:]...)
		t.head = 0
	}
	return c
}

// throttleOf returns the scope whose cap on restarts in progress holds
// c's restart back, its group's or its supervisor's; nil if none does.
func (n *node) throttleOf(c *child) *scope {
	sc, top := n.scopeOf(c), n.scopes[0]
	if sc != top && sc.maxRestarting > 0 && sc.restarting >= sc.maxRestarting {
		return sc
	}
	if top.maxRestarting > 0 && top.restarting >= top.maxRestarting {
		return top
	}
	return nil
}

// queue puts c's restart in q's throttle queue.
func (n *node) queue(c *child, q *scope) {
	x := c.extension()
	x.queued, x.queuedAt = true, n.now
	n.set(c, StatePending)
	q.throttleQ.push(c)
	e := n.event(EventChildQueued, c)
	e.Rule, e.Count = "throttle", uint64(q.throttleQ.len())
	what := "restarts in progress"
	if q != n.scopes[0] {
		what = "restarts in progress in group " + q.name
	}
	e.Reason = fmt.Sprintf("%s: %d of at most %d; queued: %d", what, q.restarting, q.maxRestarting, q.throttleQ.len())
	n.t.publish(&e)
}

// landed ends c's restart in progress, if it has one, and lets the next
// queued restarts go: its group's first, then its supervisor's.
func (n *node) landed(c *child) {
	if !c.inflight {
		return
	}
	c.inflight = false
	sc, top := n.scopeOf(c), n.scopes[0]
	top.restarting--
	if sc != top {
		sc.restarting--
	}
	if n.admitting || n.shut != nil {
		return
	}
	n.admitting = true
	if sc != top {
		n.admit(sc)
	}
	n.admit(top)
	n.admitting = false
}

// admit restarts children queued in sc while it and the supervisor have
// slots.
func (n *node) admit(sc *scope) {
	top := n.scopes[0]
	for sc.throttleQ.len() > 0 && n.shut == nil &&
		(sc.maxRestarting == 0 || sc.restarting < sc.maxRestarting) &&
		(top.maxRestarting == 0 || top.restarting < top.maxRestarting) {
		q := sc.throttleQ.pop()
		x := q.ext
		if !x.queued || q.removed || q.cur != nil || q.state != StatePending {
			continue // an operator or a shutdown took it out of the queue
		}
		x.queued = false
		n.restartFor(q, "throttle", "waited "+textfmt.Duration(time.Duration(n.now-x.queuedAt))+" for a restart slot")
	}
}
