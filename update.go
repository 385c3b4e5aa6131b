package supervisor

// The loop's side of Tree.Apply: a supervisor takes its new compiled spec
// (update), changes a child's policies in place (swap), and reorders its
// children (reorder). apply.go sends these commands.

import (
	"slices"
	"strings"
)

// update is the payload of an opUpdate command: a supervisor's new compiled spec,
// or the new order of its children.
type update struct {
	plan   *compiledSpec
	fields []string // the supervisor's own settings that changed
	order  []string
}

// update runs an opUpdate command: the supervisor takes its new compiled spec (or
// its children's new order).
func (n *node) update(cmd *command) {
	u := cmd.upd
	if u.order != nil {
		n.reorder(u.order)
		n.finish(cmd, nil)
		return
	}
	np := u.plan
	scopes, groups := n.rescope(np)
	n.scopes = n.swapChildren(np, cmd, scopes, groups)
	n.unpark()
	n.rebudget(np)
	n.compiled = np
	if len(u.fields) > 0 {
		e := n.nodeEvent(EventSpecUpdated)
		e.Correlation, e.Audit = cmd.id, cmd.audit
		e.Reason = strings.Join(u.fields, ", ")
		n.t.publish(&e)
	}
	for _, sc := range n.scopes[1:] {
		n.admit(sc) // a cap raised lets queued restarts go
	}
	n.admit(n.scopes[0])
	n.finish(cmd, nil)
}

// rescope returns the scopes of np: the supervisor's own, then one per
// group, keeping the state of groups that stay; and the groups' indexes
// by name.
func (n *node) rescope(np *compiledSpec) ([]*scope, map[string]int) {
	olds := make(map[string]*scope, len(n.scopes))
	for _, sc := range n.scopes[1:] {
		olds[sc.name] = sc
	}
	scopes := make([]*scope, 1, 1+len(np.groups))
	scopes[0] = n.scopes[0]
	scopes[0].reconfigure(np.strategy, np.intensity, np.maxRestarting)
	groups := map[string]int{"": 0}
	for i, g := range np.groups {
		sc := olds[g.name]
		if sc == nil {
			sc = newScope(g.name, g.strategy, g.intensity, g.maxRestarting)
		} else {
			sc.reconfigure(g.strategy, g.intensity, g.maxRestarting)
		}
		scopes = append(scopes, sc)
		groups[g.name] = i + 1
	}
	return scopes, groups
}

// swapChildren gives each child its compiled child in np, in its group's
// new place among scopes, and returns scopes with the groups np drops but
// a child still uses.
func (n *node) swapChildren(np *compiledSpec, cmd *command, scopes []*scope, groups map[string]int) []*scope {
	index := make(map[string]int, len(np.children))
	for i := range np.children {
		index[np.children[i].name] = i
	}
	for _, c := range n.children {
		if c == nil || c.removed {
			continue
		}
		sc := n.scopes[c.cp.pol.group]
		g, ok := groups[sc.name]
		if !ok { // a group the new plan drops, still in use: it stays
			scopes = append(scopes, sc)
			g = len(scopes) - 1
			groups[sc.name] = g
		}
		if i, ok := index[c.cp.name]; ok && np.children[i].pol.group == g {
			n.swap(c, &np.children[i], cmd)
			continue
		}
		// Not in the new plan (added since, or a removal that failed): it
		// keeps its policies, in its group's new place.
		if g != c.cp.pol.group {
			pol := *c.cp.pol
			pol.group = g
			cp := *c.cp
			cp.pol = &pol
			c.cp = &cp
		}
	}
	return scopes
}

// unpark runs the children the new policies no longer hold back.
func (n *node) unpark() {
	for _, c := range n.children {
		switch {
		case c == nil || c.removed || c.cur != nil || n.shut != nil:
		case c.ext != nil && c.ext.quarantined && c.cp.pol.quarantine.After == 0 && c.state == StateQuarantined:
			// No restart limit any more: the child it quarantined runs again.
			n.activate(c)
			n.relaunch(c)
		case c.ext != nil && c.ext.waitPrimary && c.ext.primary != nil && c.ext.primary.up() && c.admin == adminActive:
			n.followPrimary(c) // parked under a strategy that no longer follows
		}
	}
}

// rebudget takes np's restart budget if it changed; tokens spent stay spent.
func (n *node) rebudget(np *compiledSpec) {
	if np.budget == n.compiled.budget {
		return
	}
	b := newTokenBucket(np.budget)
	if b != nil && n.budget != nil {
		b.tat = n.budget.tat
	}
	n.budget = b
}

// reconfigure gives a scope new settings; a changed intensity starts a
// fresh window.
func (sc *scope) reconfigure(s Strategy, i Intensity, maxRestarting int) {
	sc.strategy, sc.maxRestarting = s, maxRestarting
	if i != sc.intensity {
		sc.intensity, sc.window = i, newRestartWindow(i)
	}
}

// swap gives c its new plan, and applies what changed at once.
func (n *node) swap(c *child, cp *compiledChild, cmd *command) {
	old := c.cp
	c.cp = cp
	code := codeChanges(old, cp)
	if c.cur != nil && len(code) > 0 {
		if x := c.extension(); x.launched == nil {
			x.launched = old // the attempt runs old's code until Apply restarts it
		}
	}
	fields := append(policyChanges(old.pol, cp.pol), code...)
	if len(fields) == 0 {
		return
	}
	if x := c.ext; x != nil && old.pol.quarantine != cp.pol.quarantine {
		x.failures = nil // counted against the old limit
	}
	if old.pol.liveness != cp.pol.liveness && c.cur != nil {
		if cp.pol.liveness.Progress { // what the attempt's reports count changes at once
			c.cur.flags.Or(flagProgress)
		} else {
			c.cur.flags.And(^flagProgress)
		}
		if c.state == StateRunning || c.state == StateReady {
			n.watch(c)
		}
	}

	e := n.event(EventSpecUpdated, c)
	e.Correlation, e.Audit = cmd.id, cmd.audit
	e.Reason = strings.Join(fields, ", ")
	n.t.publish(&e)
}

// reorder puts the children in the order named; children it does not name
// keep their relative order, after the others.
func (n *node) reorder(order []string) {
	pos := make(map[string]int, len(order))
	for i, name := range order {
		pos[name] = i
	}
	live := make([]*child, 0, len(n.children)-n.holes)
	for _, c := range n.children {
		if c != nil && !c.removed {
			live = append(live, c)
		}
	}
	rank := func(c *child) int {
		if p, ok := pos[c.cp.name]; ok {
			return p
		}
		return len(order)
	}
	slices.SortStableFunc(live, func(a, b *child) int { return rank(a) - rank(b) })
	for i, c := range live {
		c.index = int32(i)
	}
	clear(n.children)
	n.children = live
	n.holes = 0
}
