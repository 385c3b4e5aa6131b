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
	sc      *scope   // the scope of a group restart; nil for the start
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
	n.advanceJob(n.job)
}

// beginGroupRestart restarts the scope of c's failure after delay.
func (n *node) beginGroupRestart(c *child, delay time.Duration) {
	members := n.scope(c)
	for _, m := range members {
		m.corr = c.corr
	}
	sc := n.scopeOf(c)
	j := &job{kind: jobGroup, sc: sc, trigger: c, members: members, phase: jobStopping,
		i: len(members) - 1, delay: delay}
	sc.job = j
	n.advanceJob(j)
}

// current reports whether j is still running: a group quarantine or a
// shutdown may have dropped it.
func (n *node) current(j *job) bool {
	if j.sc == nil {
		return n.job == j
	}
	return j.sc.job == j
}

// clearJob drops j.
func (n *node) clearJob(j *job) {
	if j.sc == nil {
		n.job = nil
	} else {
		j.sc.job = nil
	}
}

// advanceJob moves job j on until it has to wait.
func (n *node) advanceJob(j *job) {
	if j == nil || j.busy || !n.current(j) {
		return
	}
	j.busy = true
	for n.current(j) && j.wait == nil {
		switch j.phase {
		case jobStopping:
			if j.i < 0 {
				n.groupStopped(j)
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
				n.jobDone(j)
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
func (n *node) groupStopped(j *job) {
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
	n.performGroupRestart(j)
}

// performGroupRestart counts the group restart toward intensity and starts
// the members again in declaration order.
func (n *node) performGroupRestart(j *job) {
	if !j.sc.window.allow(n.now) {
		n.scopeExceeded(j.sc, j.trigger)
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
	n.advanceJob(j)
}

// jobDone ends job j and runs what waited for it: the exits in its scope
// (in every scope, for the start) and, once no job runs, the commands.
func (n *node) jobDone(j *job) {
	n.clearJob(j)
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
	if j.sc != nil {
		n.runPending(j.sc)
	} else {
		for _, sc := range n.scopes {
			n.runPending(sc)
		}
	}
	for len(n.deferred) > 0 && !n.busy() && n.shut == nil {
		cmd := n.deferred[0]
		n.deferred = n.deferred[1:]
		n.execute(cmd)
	}
}

// runPending decides the exits that waited for a job in sc, until one of
// them starts another job.
func (n *node) runPending(sc *scope) {
	for len(sc.pending) > 0 && sc.job == nil && n.job == nil && n.shut == nil {
		c := sc.pending[0]
		sc.pending = sc.pending[1:]
		if x := c.ext; x != nil && x.due {
			x.due = false
			n.probation(c)
			continue
		}
		if c.removed || c.cur != nil || c.admin != adminActive {
			continue
		}
		n.decide(c, n.assess(c, c.last.class, c.last.err))
	}
}
