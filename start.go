package supervisor

import "time"

// Ordered start and group restarts share one mechanism, the job: a queue of
// children that are stopped one at a time in reverse order, then started one
// at a time in declaration order, each start waiting for the child's
// readiness. A supervisor runs at most one job at a time. While a job runs
// in a OneForAll or RestForOne supervisor, other exits and all control
// commands wait for it, as they would in OTP's single-threaded supervisor.

type jobKind uint8

const (
	jobStart jobKind = iota // the initial, ordered start
	jobGroup                // a OneForAll or RestForOne restart
)

type jobPhase uint8

const (
	jobStopping jobPhase = iota // stopping live members in reverse order
	jobDelaying                 // waiting for the failed child's backoff
	jobStarting                 // starting members in declaration order
)

type job struct {
	kind    jobKind
	trigger *child   // the child whose failure caused a group restart
	members []*child // declaration order
	phase   jobPhase
	i       int    // next member to stop (counting down) or start
	wait    *child // member whose stop or readiness the job waits for
	delay   time.Duration
	busy    bool // advanceJob is on the stack
}

func (j *job) has(c *child) bool {
	for _, m := range j.members {
		if m == c {
			return true
		}
	}
	return false
}

// beginStart starts the node's children in declaration order.
func (n *node) beginStart() {
	n.phase = phaseStarting
	if n.self != nil {
		n.corr = n.self.c.corr
	} else {
		n.corr = n.t.nextCorr()
	}
	members := make([]*child, len(n.children))
	copy(members, n.children)
	for _, c := range members {
		c.corr = n.corr
		n.set(c, StatePending)
	}
	n.job = &job{kind: jobStart, members: members, phase: jobStarting}
	n.advanceJob()
}

// beginGroupRestart restarts the scope of c's failure after delay.
func (n *node) beginGroupRestart(c *child, delay time.Duration) {
	members := n.scope(c)
	for _, m := range members {
		m.corr = c.corr
	}
	n.job = &job{kind: jobGroup, trigger: c, members: members, phase: jobStopping,
		i: len(members) - 1, delay: delay}
	n.advanceJob()
}

// advanceJob moves the current job on until it has to wait.
func (n *node) advanceJob() {
	j := n.job
	if j == nil || j.busy {
		return
	}
	j.busy = true
	for n.job == j && j.wait == nil {
		switch j.phase {
		case jobStopping:
			if j.i < 0 {
				n.groupStopped()
				continue
			}
			m := j.members[j.i]
			j.i--
			if m.removed {
				continue
			}
			if m.cur == nil {
				if m != j.trigger {
					n.set(m, StatePending)
				}
				continue
			}
			j.wait = m
			if m.state != StateStopping {
				n.stop(m, stopGroup)
			}
		case jobDelaying:
			j.busy = false
			return
		case jobStarting:
			if j.i >= len(j.members) {
				j.busy = false
				n.jobDone()
				return
			}
			m := j.members[j.i]
			j.i++
			if m.removed || m.admin != adminActive || m.cur != nil {
				continue
			}
			n.launch(m)
			if m.cur != nil && m.state == StateStarting {
				j.wait = m
			}
		}
	}
	j.busy = false
}

// groupStopped continues a group restart once every member is down.
func (n *node) groupStopped() {
	j := n.job
	for _, m := range j.members {
		if !m.removed && m.cur == nil && m.cp.pol.restart == Temporary {
			n.removeChild(m) // collateral temporaries are not restarted
		}
	}
	if at, stage := n.when(j.delay); at > n.now && !j.trigger.removed {
		j.phase = jobDelaying
		n.backoff(j.trigger, at, stage)
		return
	}
	n.performGroupRestart()
}

// performGroupRestart counts the group restart toward intensity and starts
// the members again in declaration order.
func (n *node) performGroupRestart() {
	j := n.job
	if !n.window.allow(n.now) {
		n.intensityExceeded(j.trigger)
		return
	}
	j.phase = jobStarting
	j.i = 0
	for _, m := range j.members {
		if m.removed || m.admin != adminActive || m.cur != nil {
			continue
		}
		m.restarts++
		m.starting = true
		if m != j.trigger {
			m.attempt = 1 // collateral: not part of a failure streak
		}
		n.set(m, StatePending)
		e := n.event(EventChildRestarting, m)
		e.Reason = j.trigger.path
		n.t.publish(&e)
	}
	n.advanceJob()
}

// jobDone ends the current job and runs what waited for it.
func (n *node) jobDone() {
	j := n.job
	n.job = nil
	if j.kind == jobStart {
		n.phase = phaseRunning
		if n.self == nil {
			e := n.nodeEvent(EventTreeStarted)
			n.t.publish(&e)
			n.startDone = true
		} else {
			n.signalReady = true
		}
	}
	for len(n.pending) > 0 && n.job == nil && n.shut == nil {
		c := n.pending[0]
		n.pending = n.pending[1:]
		if x := c.ext; x != nil && x.due {
			x.due = false
			n.probation(c)
			continue
		}
		if c.removed || c.cur != nil || c.admin != adminActive {
			continue
		}
		n.decide(c, n.judge(c, c.last.class, c.last.err))
	}
	for len(n.deferred) > 0 && n.job == nil && n.shut == nil {
		cmd := n.deferred[0]
		n.deferred = n.deferred[1:]
		n.execute(cmd)
	}
}
