package supervisor

import (
	"fmt"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Group is a set of a supervisor's children with its own restart scope:
// its own strategy, among its members only, its own intensity and its own
// cap on restarts in progress. Children join it with Child.Group.
//
// A group isolates a failure storm: restarts of its members count toward
// the group's Intensity, not the supervisor's, and a group that exceeds its
// intensity does not fail its supervisor: its members are stopped and
// quarantined as a unit (EventGroupQuarantined, then one
// EventChildQuarantined per member, Rule "group_intensity"), while the other
// groups and the ungrouped children go on restarting. ResumeChild brings a
// member back; the group's window starts afresh.
//
// The supervisor's Strategy and Intensity apply to its children outside any
// group; its Budget and MaxRestarting apply to all of its children.
type Group struct {
	// Name identifies the group among its supervisor's groups, with the
	// same rules as a child's name.
	Name string
	// Strategy chooses which members a member's restart concerns.
	Strategy Strategy
	// Intensity bounds the group's restarts. The zero value means 3
	// restarts within 5 seconds, as for a supervisor.
	Intensity Intensity
	// MaxRestarting caps the group's restarts in progress; zero means no
	// cap other than the supervisor's.
	MaxRestarting int
}

// compiledGroup is a compiled Group.
type compiledGroup struct {
	name          string
	strategy      Strategy
	intensity     Intensity
	maxRestarting int
}

func (v *validator) groups(gs []Group) map[string]bool {
	names := make(map[string]bool, len(gs))
	for i := range gs {
		g := &gs[i]
		v.enter("groups", i)
		if p := nameProblem(g.Name); p != "" {
			v.add("name", "%q %s", g.Name, p)
		} else if names[g.Name] {
			v.add("name", "%q is already the name of a group: group names must be unique", g.Name)
		}
		names[g.Name] = true
		if g.Strategy > RestForOne {
			v.add("strategy", "%d is not a strategy: use OneForOne, OneForAll or RestForOne", g.Strategy)
		}
		v.enter("intensity", -1)
		v.intensity(g.Intensity)
		v.leave()
		if g.MaxRestarting < 0 {
			v.add("maxRestarting", "%d must be 0 (no cap) or more", g.MaxRestarting)
		}
		v.leave()
	}
	return names
}

// groupProblem says what is wrong with a child's group name, or returns "".
func groupProblem(name string, p *compiledSpec) string {
	if name == "" || p.group(name) > 0 {
		return ""
	}
	known := make([]string, len(p.groups))
	for i, g := range p.groups {
		known[i] = g.name
	}
	if len(known) == 0 {
		return fmt.Sprintf("%q is not a group of this supervisor, which has none: declare it in the spec's groups", name)
	}
	return fmt.Sprintf("%q is not a group of this supervisor: declare it in the spec's groups, or use one of %q", name, known)
}

// group returns the scope index of the group named name: 1 for the first
// group, 0 if there is none.
func (p *compiledSpec) group(name string) int {
	for i, g := range p.groups {
		if g.name == name {
			return i + 1
		}
	}
	return 0
}

// scope is a restart scope: the supervisor's own (its ungrouped children)
// or a group's. It holds what a restart in the scope consults and changes.
type scope struct {
	name          string // "" for the supervisor's own scope
	strategy      Strategy
	intensity     Intensity
	window        restartWindow
	maxRestarting int

	restarting int           // restarts in progress (the supervisor's own scope counts all)
	throttleQ  throttleQueue // restarts waiting for a slot
	job        *job          // the group restart in progress
	pending    []*child      // exits waiting for job to end

	quarantined bool // a group that exceeded its intensity, until a member runs again
}

func newScope(name string, s Strategy, i Intensity, maxRestarting int) *scope {
	return &scope{name: name, strategy: s, intensity: i, window: newRestartWindow(i), maxRestarting: maxRestarting}
}

// scopeOf returns c's restart scope.
func (n *node) scopeOf(c *child) *scope { return n.scopes[c.cp.pol.group] }

// jobOf returns the job c's exits and readiness matter to: the
// supervisor's start, or the group restart in progress in c's scope.
func (n *node) jobOf(c *child) *job {
	if n.job != nil {
		return n.job
	}
	return n.scopeOf(c).job
}

// busy reports whether a job runs anywhere in the supervisor.
func (n *node) busy() bool {
	if n.job != nil {
		return true
	}
	for _, sc := range n.scopes {
		if sc.job != nil {
			return true
		}
	}
	return false
}

// scopeExceeded handles a restart of c that sc's intensity refuses: the
// supervisor gives up for its own scope, a group is quarantined.
func (n *node) scopeExceeded(sc *scope, c *child) {
	if sc == n.scopes[0] {
		n.intensityExceeded(c)
		return
	}
	n.groupExceeded(sc, c)
}

// groupExceeded stops and quarantines the members of sc, a group whose
// intensity a restart of c would exceed. The supervisor goes on.
func (n *node) groupExceeded(sc *scope, c *child) {
	n.set(c, StateFailed)
	e := n.nodeEvent(EventGroupQuarantined)
	e.Correlation = c.corr
	e.Rule = "group_intensity"
	e.Reason = fmt.Sprintf("group %s: more than %d restarts within %s (the failure of %s)",
		sc.name, sc.intensity.MaxRestarts, textfmt.Duration(sc.intensity.Period), c.path)
	e.Err = &IntensityError{Path: n.path, Group: sc.name, Child: c.path, Intensity: sc.intensity}
	n.t.publish(&e)
	reason := e.Reason
	sc.quarantined = true
	sc.window = newRestartWindow(sc.intensity)
	if j := sc.job; j != nil {
		sc.job = nil
		if j.wait != nil && j.wait.state == StateStarting {
			j.wait = nil
		}
	}
	sc.pending = sc.pending[:0]
	for _, m := range n.children {
		if m == nil || m.removed || n.scopes[m.cp.pol.group] != sc || m.admin != adminActive {
			continue
		}
		m.corr = c.corr
		m.admin = adminQuarantined
		m.endQuarantine()
		switch {
		case m.cur == nil:
			n.clearDeadline(m)
			n.quarantine(m, "group_intensity", reason)
		default:
			x := m.extension()
			x.reason, x.rule = reason, "group_intensity"
			if m.state != StateStopping {
				n.stop(m, stopGroupQuarantine)
			}
		}
	}
}
