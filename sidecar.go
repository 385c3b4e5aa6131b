package supervisor

// Sidecars (RoleSidecar) follow their primary: when the primary's attempt
// ends, its sidecars are stopped (reason "primary stopped") and wait in
// StatePending (ChildInfo.WaitingFor "primary"); once the primary runs (or
// is ready) again, they start again, each with a child_restarting event
// (Rule "sidecar"). Such a restart follows the primary's: it counts toward
// no intensity, budget or throttle. A sidecar's own failure goes through
// the pipeline as usual, but a restart it leads to waits for the primary
// if the primary is down. Under OneForAll and RestForOne the strategy
// already restarts a sidecar with its primary, declared before it, and
// there is nothing more to do.

// link connects sidecar c with its primary, an earlier sibling.
func (n *node) link(c *child) {
	if c.cp.pol.role != RoleSidecar {
		return
	}
	p := n.lookup(c.cp.pol.primary)
	c.extension().primary = p
	px := p.extension()
	px.sidecars = append(px.sidecars, c)
}

// unlink forgets removed child c as a sidecar or a primary. Its sidecars
// become orphans, until a primary of the same name is added again.
func (n *node) unlink(c *child) {
	x := c.ext
	if x == nil {
		return
	}
	if p := x.primary; p != nil {
		p.ext.sidecars = deleteChild(p.ext.sidecars, c)
	} else if c.cp.pol.role == RoleSidecar && n.orphans != nil {
		name := c.cp.pol.primary
		if n.orphans[name] = deleteChild(n.orphans[name], c); len(n.orphans[name]) == 0 {
			delete(n.orphans, name)
		}
	}
	if len(x.sidecars) > 0 && n.orphans == nil {
		n.orphans = make(map[string][]*child)
	}
	for _, s := range x.sidecars {
		s.ext.primary = nil // it goes on alone
		n.orphans[c.cp.name] = append(n.orphans[c.cp.name], s)
	}
}

// deleteChild removes c from cs, keeping the order.
func deleteChild(cs []*child, c *child) []*child {
	for i, s := range cs {
		if s == c {
			return append(cs[:i], cs[i+1:]...)
		}
	}
	return cs
}

// up reports whether c runs (and is ready, if it must say so).
func (c *child) up() bool {
	return c.cur != nil && (c.state == StateRunning || c.state == StateReady)
}

// follows reports whether sidecar following applies in c's scope.
func (n *node) follows(c *child) bool {
	return n.shut == nil && n.scopeOf(c).strategy == OneForOne
}

// primaryDown stops p's sidecars: p's attempt ended.
func (n *node) primaryDown(p *child) {
	if p.ext == nil || len(p.ext.sidecars) == 0 || !n.follows(p) {
		return
	}
	for _, s := range p.ext.sidecars {
		if s.removed || s.admin != adminActive {
			continue
		}
		s.ext.waitPrimary = true
		switch {
		case s.cur != nil:
			if s.state != StateStopping {
				s.corr = p.corr
				n.stop(s, stopPrimary)
			}
		default: // in backoff, queued or failed: it waits for the primary now
			n.clearDeadline(s)
			n.set(s, StatePending)
		}
	}
}

// primaryUp starts p's sidecars that wait for it: p runs again.
func (n *node) primaryUp(p *child) {
	if p.ext == nil || len(p.ext.sidecars) == 0 {
		return // (whatever the strategy: a sidecar parked before a change of strategy by Apply waits too)
	}
	for _, s := range p.ext.sidecars {
		if s.ext.waitPrimary && s.cur == nil && !s.removed && s.admin == adminActive {
			n.followPrimary(s)
		}
	}
}

// sidecarStopped runs when sidecar s stopped because its primary did.
func (n *node) sidecarStopped(s *child) {
	switch p := s.ext.primary; {
	case p == nil: // removed while s was stopping
		n.set(s, StatePending)
		n.alone(s, n.prefix+s.cp.pol.primary)
	case p.up():
		n.followPrimary(s) // the primary came back while s was stopping
	default:
		n.set(s, StatePending)
	}
}

// primaryIsDown reports whether c is a sidecar whose primary is not
// running, so that an automatic restart of c waits for it.
func (n *node) primaryIsDown(c *child) bool {
	x := c.ext
	return x != nil && x.primary != nil && !x.primary.up() && n.follows(c)
}

// waitForPrimary parks sidecar c until its primary runs: it starts with it.
func (n *node) waitForPrimary(c *child) {
	c.ext.waitPrimary = true
	n.set(c, StatePending)
	e := n.event(EventChildQueued, c)
	e.Rule = "sidecar"
	e.Reason = "its primary " + n.prefix + c.cp.pol.primary + " is not running: it restarts when the primary runs"
	n.t.publish(&e)
}

// linkOrphans makes primary p, just added, the primary of sidecars that
// name it and lost theirs (it was removed, or replaced by Apply).
// It costs one map lookup: the orphans are indexed by their primary's name.
func (n *node) linkOrphans(p *child) {
	orphans := n.orphans[p.cp.name]
	if len(orphans) == 0 {
		return
	}
	delete(n.orphans, p.cp.name)
	px := p.extension()
	for _, s := range orphans {
		s.ext.primary = p
		px.sidecars = append(px.sidecars, s)
	}
}

// orphaned starts the sidecars of removed primary p that waited for it:
// they go on alone.
func (n *node) orphaned(p *child) {
	if p.ext == nil || n.shut != nil {
		return
	}
	for _, s := range p.ext.sidecars {
		if s.ext.waitPrimary && s.cur == nil {
			n.alone(s, p.path)
		}
	}
}

// alone starts sidecar s, waiting for a primary that was removed.
func (n *node) alone(s *child, primary string) {
	if s.removed || s.admin != adminActive || s.command() != nil || n.shut != nil {
		return
	}
	s.ext.waitPrimary = false
	s.attempt = 1
	s.restarts++
	s.starting = true
	e := n.event(EventChildRestarting, s)
	e.Rule, e.Reason = "sidecar", "its primary "+primary+" was removed: it goes on alone"
	n.t.publish(&e)
	n.launch(s)
}

// followPrimary starts sidecar s after its primary.
func (n *node) followPrimary(s *child) {
	s.ext.waitPrimary = false
	s.attempt = 1
	s.restarts++
	s.starting = true
	e := n.event(EventChildRestarting, s)
	e.Rule, e.Reason = "sidecar", "after its primary "+s.ext.primary.path
	n.t.publish(&e)
	n.launch(s)
}
