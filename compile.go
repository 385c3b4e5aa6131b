package supervisor

import (
	"context"
	"time"
)

// A compiledSpec is what a supervisor needs to start and restart its
// children, compiled from the caller's Spec at Start (or AddChild, or
// Apply), which the tree then no longer reads. (It is not a Plan: a Plan is
// what Apply changes.) Each child costs 48 bytes in its compiledSpec; what
// it shares with its siblings (restart type, budgets, backoff) is a policy
// the tree keeps once.
type compiledSpec struct {
	name          string
	strategy      Strategy
	intensity     Intensity // defaults applied
	defaults      Defaults  // for children added at run time
	rules         *ruleSet  // Defaults.Rules, shared by children without rules
	autoShutdown  AutoShutdown
	budget        Budget
	maxRestarting int
	groups        []compiledGroup
	children      []compiledChild
}

// compiledChild is one compiled Child.
type compiledChild struct {
	name string
	run  func(context.Context) error
	pol  *policy
	rev  string // Child.Revision
}

// policy is the part of a Child that children declared alike share, with
// defaults applied.
type policy struct {
	tree         *compiledSpec // the nested supervisor's compiled spec
	restart      RestartType
	rules        *ruleSet
	significant  bool
	gated        bool // must call Ready before its next sibling starts
	startTimeout time.Duration
	shutdown     time.Duration
	backoff      Backoff
	quarantine   Quarantine
	liveness     Liveness
	group        int // restart scope: 0 for none, i+1 for the compiled spec's groups[i]
	role         Role
	primary      string // a sidecar's primary
}

// supervisor reports whether the child is a nested supervisor.
func (p *policy) supervisor() bool { return p.tree != nil }

// compiler turns valid specs into plans, sharing identical policies. It
// belongs to one tree and is used under its lock.
type compiler struct {
	policies map[policy]*policy
}

func (k *compiler) spec(s *Spec) *compiledSpec {
	p := &compiledSpec{name: s.Name, strategy: s.Strategy, intensity: s.Intensity.resolve(),
		defaults: s.Defaults, autoShutdown: s.AutoShutdown, budget: s.Budget, maxRestarting: s.MaxRestarting, children: make([]compiledChild, len(s.Children))}
	for _, g := range s.Groups {
		p.groups = append(p.groups, compiledGroup{name: g.Name, strategy: g.Strategy,
			intensity: g.Intensity.resolve(), maxRestarting: g.MaxRestarting})
	}
	if len(s.Defaults.Rules) > 0 {
		p.rules = &ruleSet{rules: compileRules(s.Defaults.Rules, "defaults.rules")}
	}
	for i := range s.Children {
		p.children[i] = k.child(&s.Children[i], p)
	}
	return p
}

// firstSet returns the first of vs that is not the zero value.
func firstSet[T comparable](vs ...T) T {
	var zero T
	for _, v := range vs {
		if v != zero {
			return v
		}
	}
	return zero
}

// child compiles c, a child of the supervisor planned by p. Each field comes
// from the first of: the child, the supervisor's defaults, the built-in
// default. Rules are the child's, then the supervisor's.
func (k *compiler) child(c *Child, p *compiledSpec) compiledChild {
	d := &p.defaults
	r := c.Role.defaults()
	shutdown := firstSet(c.Shutdown, d.Shutdown, DefaultShutdown)
	startTimeout := firstSet(c.StartTimeout, d.StartTimeout, DefaultStartTimeout)
	if c.Tree != nil {
		// A nested supervisor bounds itself by its own children's budgets:
		// unless its Child says otherwise, it waits for them.
		shutdown = firstSet(c.Shutdown, Infinity)
		startTimeout = firstSet(c.StartTimeout, Infinity)
	}
	pol := policy{
		restart:      firstSet(c.Restart, r.Restart, d.Restart, Permanent),
		gated:        c.gated(),
		startTimeout: startTimeout,
		shutdown:     shutdown,
		backoff:      firstSet(c.Backoff, r.Backoff, d.Backoff),
		quarantine:   firstSet(c.Quarantine, r.Quarantine, d.Quarantine),
		rules:        p.rules,
		significant:  c.Significant,
		group:        p.group(c.Group),
		role:         c.Role,
		primary:      c.Primary,
	}
	if pol.quarantine.Off {
		pol.quarantine = Quarantine{}
	}
	if c.Tree == nil {
		pol.liveness = firstSet(c.Liveness, d.Liveness)
		if pol.liveness.Off {
			pol.liveness = Liveness{}
		}
	}
	if len(c.Rules) > 0 {
		rs := &ruleSet{rules: compileRules(c.Rules, "rules")}
		if p.rules != nil {
			rs.rules = append(rs.rules, p.rules.rules...)
		}
		pol.rules = rs
	}
	// pol is copied to the heap only where it is kept (a new shared policy,
	// a nested supervisor's own), so that the children that share a policy
	// allocate nothing for it.
	if c.Tree != nil {
		// A nested supervisor's policy is its own: it is not shared, so that
		// supervisors added and removed at run time leave nothing behind.
		own := pol
		own.tree = k.spec(c.Tree)
		return compiledChild{name: c.Name, run: c.Run, pol: &own, rev: c.Revision}
	}
	if shared, ok := k.policies[pol]; ok {
		return compiledChild{name: c.Name, run: c.Run, pol: shared, rev: c.Revision}
	}
	if k.policies == nil {
		k.policies = make(map[policy]*policy)
	}
	shared := new(policy)
	*shared = pol
	k.policies[pol] = shared
	return compiledChild{name: c.Name, run: c.Run, pol: shared, rev: c.Revision}
}
