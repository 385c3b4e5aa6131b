package supervisor

import (
	"time"
)

// State is where a child is in its lifecycle.
//
//	stopped ──start──▶ starting ──(running | ready)──▶ stopping ──▶ stopped
//	                                   │ exits on its own
//	                                   ▼
//	                 failed / stopped ──▶ backoff ──▶ starting ...
//
// Paused and quarantined children have no attempt and are not restarted
// until resumed. Pending children wait for their turn in an ordered start or
// a group restart; that state is entered without an event of its own.
type State uint8

// Child states.
const (
	// StateStopped: no attempt runs and none is scheduled; the child never
	// started, exited normally without restart, or was stopped.
	StateStopped State = iota
	// StatePending: waiting for its turn in an ordered (re)start.
	StatePending
	// StateStarting: an attempt runs and has not yet called Ready
	// (ReadinessExplicit), or is being launched.
	StateStarting
	// StateRunning: an attempt runs; the child needs no readiness signal.
	StateRunning
	// StateReady: an attempt runs and has called Ready.
	StateReady
	// StateStopping: the supervisor cancelled the attempt and waits for it.
	StateStopping
	// StateBackoff: a restart is scheduled at ChildInfo.NextAttempt.
	StateBackoff
	// StatePaused: stopped by an operator; not restarted until resumed.
	StatePaused
	// StateQuarantined: like paused, taken out of service.
	StateQuarantined
	// StateFailed: the last attempt failed or was abandoned, and no restart
	// is scheduled.
	StateFailed

	numStates
)

var stateNames = []string{"stopped", "pending", "starting", "running", "ready", "stopping", "backoff",
	"paused", "quarantined", "failed"}

func (s State) String() string { return enumString(stateNames, s) }

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *State) UnmarshalText(b []byte) error { return enumParse(stateNames, b, s, "state", 0) }

// Live reports whether an attempt of the child is running in this state.
func (s State) Live() bool {
	return s == StateStarting || s == StateRunning || s == StateReady || s == StateStopping
}

// Exit describes how a child's last attempt ended.
type Exit struct {
	Class ExitClass `json:"class"`
	// Err is the attempt's error, nil for a normal exit. In JSON it is its
	// text, under "error".
	Err  error     `json:"-"`
	Time time.Time `json:"time"`
}

// ChildInfo is one child in a Snapshot.
type ChildInfo struct {
	Path string `json:"path"`
	Name string `json:"name"`
	// Supervisor is true for a nested supervisor, whose children follow it
	// in Snapshot.Children.
	Supervisor bool        `json:"supervisor,omitempty"`
	Restart    RestartType `json:"restart"`
	Role       Role        `json:"role,omitzero"`
	// Group is the child's group (see Group), "" for none.
	Group       string `json:"group,omitempty"`
	Significant bool   `json:"significant,omitempty"`
	// Revision is the child's Child.Revision, as last applied.
	Revision   string    `json:"revision,omitempty"`
	State      State     `json:"state"`
	Since      time.Time `json:"since"` // when it entered State
	Generation uint64    `json:"generation"`
	Attempt    int       `json:"attempt"`
	// Restarts counts the restarts performed, automatic ones and
	// RestartChild's. A nested supervisor starts afresh when it restarts:
	// its children's counts start again from zero.
	Restarts uint64 `json:"restarts"`
	// NextAttempt is when a child in StateBackoff restarts, or when a
	// child quarantined by its restart limit gets its probation attempt.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Reason says why a child is quarantined by an error rule or its
	// restart limit. Probation is true while the running attempt is a
	// probation attempt (see Quarantine).
	Reason string `json:"reason,omitempty"`
	// WaitingFor says what a child waiting to restart waits for: "backoff"
	// or "budget" (in StateBackoff, until NextAttempt; "budget" also in
	// StateQuarantined, for a probation attempt held back), "throttle" (in
	// StatePending, for a slot; see Spec.MaxRestarting), "primary" (a
	// sidecar in StatePending, for its primary to run).
	WaitingFor string `json:"waiting_for,omitempty"`
	Probation  bool   `json:"probation,omitempty"`
	// Unhealthy is true while the running attempt is stale (see
	// Liveness); Progress is its Progress counter.
	Unhealthy bool   `json:"unhealthy,omitempty"`
	Progress  uint64 `json:"progress,omitempty"`
	// Ready is true while the running attempt counts as ready: at once for
	// ReadinessImmediate, after Ready for ReadinessExplicit. A stopping
	// child is not ready. ReadyAt is when it became ready.
	Ready         bool      `json:"ready"`
	ReadyAt       time.Time `json:"ready_at,omitzero"`
	LastHeartbeat time.Time `json:"last_heartbeat,omitzero"`
	LastExit      Exit      `json:"last_exit,omitzero"`
	// Abandoned counts attempts that overran their stop budget and whose
	// goroutine has not returned yet.
	Abandoned int `json:"abandoned,omitempty"`
}

// SupervisorInfo is the state of one supervisor's restart protection.
type SupervisorInfo struct {
	Path     string   `json:"path"`
	Strategy Strategy `json:"strategy"`
	// Intensity is the supervisor's intensity; RecentRestarts the restarts
	// counted in its current window.
	Intensity      Intensity `json:"intensity"`
	RecentRestarts int       `json:"recent_restarts"`
	// Budget is the supervisor's restart budget (zero for none) and
	// Tokens the restarts it would allow now without waiting.
	Budget Budget `json:"budget,omitzero"`
	Tokens int    `json:"-"` // in JSON only with a Budget, even 0
	// Restarting counts the automatic restarts in progress and Queued
	// those waiting for a slot under MaxRestarting (0 for no cap).
	Restarting    int `json:"restarting"`
	Queued        int `json:"queued,omitempty"`
	MaxRestarting int `json:"max_restarting,omitempty"`
	// Groups has the state of each of the supervisor's groups.
	Groups []GroupInfo `json:"groups,omitempty"`
}

// GroupInfo is the state of one group (see Group). Its figures count the
// group's members only.
type GroupInfo struct {
	Name           string    `json:"name"`
	Strategy       Strategy  `json:"strategy"`
	Intensity      Intensity `json:"intensity"`
	RecentRestarts int       `json:"recent_restarts"`
	Restarting     int       `json:"restarting"`
	Queued         int       `json:"queued,omitempty"`
	MaxRestarting  int       `json:"max_restarting,omitempty"`
	// Quarantined is true once the group exceeded its intensity, until one
	// of its members runs again.
	Quarantined bool `json:"quarantined,omitempty"`
}

// Snapshot is a consistent picture of a whole tree at one point of its
// event sequence.
type Snapshot struct {
	TreeID string    `json:"tree_id"`
	Time   time.Time `json:"time"`
	// Seq is the sequence number of the last event reflected.
	Seq uint64 `json:"seq"`
	// Children lists every child of every supervisor, depth first in
	// declaration order: a nested supervisor is followed by its children.
	Children []ChildInfo `json:"children"`
	// Counts has the number of children in each state.
	Counts map[State]int `json:"counts"`
	// Supervisors lists the root and every running nested supervisor, in
	// the same order as Children.
	Supervisors []SupervisorInfo `json:"supervisors"`
}

// Child returns the child at path.
func (s Snapshot) Child(path string) (ChildInfo, bool) {
	for _, c := range s.Children {
		if c.Path == path {
			return c, true
		}
	}
	return ChildInfo{}, false
}

// Snapshot returns a consistent snapshot of every child in the tree. It takes
// the tree lock briefly and never waits on a child.
func (t *Tree) Snapshot() Snapshot {
	t.mu.Lock()
	wall, mono := t.clock()
	s := Snapshot{TreeID: t.id, Time: wall, Seq: t.seq, Children: make([]ChildInfo, 0, t.count)}
	var counts [numStates]int
	t.root.snapshot(&s, &counts, mono)
	t.mu.Unlock()
	s.Counts = make(map[State]int, numStates)
	for st, n := range counts {
		if n > 0 {
			s.Counts[State(st)] = n
		}
	}
	return s
}

func (n *node) snapshot(s *Snapshot, counts *[numStates]int, now int64) {
	s.Supervisors = append(s.Supervisors, n.supervisorInfo(now))
	si := len(s.Supervisors) - 1 // an index: nested supervisors append to s.Supervisors
	for _, c := range n.children {
		if c == nil {
			continue
		}
		info := n.childInfo(c)
		if info.WaitingFor == "throttle" {
			s.Supervisors[si].Queued++
			if g := c.cp.pol.group; g > 0 {
				s.Supervisors[si].Groups[g-1].Queued++
			}
		}
		s.Children = append(s.Children, info)
		counts[c.state]++
		if c.cur != nil && c.cur.sub != nil {
			c.cur.sub.snapshot(s, counts, now)
		}
	}
}

// supervisorInfo describes n at now, without its queue counts.
func (n *node) supervisorInfo(now int64) SupervisorInfo {
	own := n.scopes[0]
	sup := SupervisorInfo{Path: n.path, Strategy: own.strategy, Intensity: own.intensity,
		RecentRestarts: own.window.used(now), Budget: n.compiled.budget,
		Restarting: own.restarting, MaxRestarting: own.maxRestarting}
	for _, g := range n.scopes[1:] {
		sup.Groups = append(sup.Groups, GroupInfo{Name: g.name, Strategy: g.strategy, Intensity: g.intensity,
			RecentRestarts: g.window.used(now), Restarting: g.restarting, MaxRestarting: g.maxRestarting,
			Quarantined: g.quarantined})
	}
	if n.budget != nil {
		sup.Tokens = n.budget.tokens(now)
	}
	return sup
}

// wallAt converts ns on the tree's clock to a wall time; zero for never.
func (n *node) wallAt(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return n.t.base.Add(time.Duration(ns))
}

// childInfo describes c.
func (n *node) childInfo(c *child) ChildInfo {
	at := n.wallAt
	info := ChildInfo{
		Path: c.path, Name: c.cp.name, Supervisor: c.cp.pol.supervisor(), Restart: c.cp.pol.restart, Role: c.cp.pol.role,
		Significant: c.cp.pol.significant, Revision: c.cp.rev,
		State: c.state, Since: at(c.since), Generation: c.gen, Attempt: int(c.attempt),
		Restarts: uint64(c.restarts), Abandoned: int(c.zombies),
	}
	if c.cp.pol.group > 0 {
		info.Group = n.scopeOf(c).name
	}
	if c.state == StateBackoff {
		info.NextAttempt = at(c.timer.At)
		info.WaitingFor = "backoff"
	}
	if x := c.ext; x != nil {
		info.Reason, info.Probation = x.reason, x.probation
		switch {
		case x.budgetWait && (c.state == StateBackoff || c.state == StateQuarantined):
			info.WaitingFor = "budget"
		case x.waitPrimary && c.state == StatePending:
			info.WaitingFor = "primary"
		case x.queued && c.state == StatePending:
			info.WaitingFor = "throttle"
		}
		if x.quarantined && c.state == StateQuarantined && !x.due {
			info.NextAttempt = at(c.timer.At)
		}
	}
	if c.state == StateRunning || c.state == StateReady {
		info.Ready = true
		info.ReadyAt = info.Since
	}
	if a := c.cur; a != nil {
		if x := c.ext; x != nil && x.launched != nil {
			info.Revision = x.launched.rev // what runs, until Apply restarts it
		}
		info.Attempt = int(a.num)
		info.LastHeartbeat = at(a.beat.Load())
		info.Progress = a.prog.Load()
		info.Unhealthy = c.ext != nil && c.ext.unhealthy
	}
	if l := c.last; l != nil {
		info.LastExit = Exit{Class: l.class, Err: l.err, Time: at(l.at)}
	}
	return info
}
