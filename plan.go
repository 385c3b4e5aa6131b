package supervisor

// A Plan is what Tree.Apply does to make a running tree match a new Spec.
// This file holds the pure half of Apply: the Plan, and the differ that
// computes it from two compiled specs, or from a compiled spec and a
// supervisor as it runs (Diff uses it without a tree). apply.go carries a
// plan out; update.go is the loop's side of it.

import (
	"context"
	"reflect"
	"slices"
	"strings"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// ChangeAction is what a Change does to a child or a supervisor.
type ChangeAction uint8

// Change actions.
const (
	_ ChangeAction = iota
	// ChangeAdd adds and starts a child the new spec declares.
	ChangeAdd
	// ChangeRemove stops and removes a child the new spec no longer
	// declares.
	ChangeRemove
	// ChangeRestart restarts a child whose code changed (its Run function
	// or its Revision), or replaces it (stops and removes it, then adds it
	// afresh) when it changed kind, group, primary or whether it is a
	// sidecar.
	ChangeRestart
	// ChangeUpdate changes a child's or a supervisor's policies in place,
	// without a restart: they apply from their next decision on.
	ChangeUpdate
)

var changeNames = []string{"", "add", "remove", "restart", "update"}

func (a ChangeAction) String() string { return enumString(changeNames, a) }

// MarshalText implements encoding.TextMarshaler.
func (a ChangeAction) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *ChangeAction) UnmarshalText(b []byte) error {
	return enumParse(changeNames, b, a, "change action", 1)
}

// Change is one step of a Plan.
type Change struct {
	// Path is the child, or for a supervisor's own settings the
	// supervisor ("/" for the root).
	Path   string       `json:"path"`
	Action ChangeAction `json:"action"`
	// Fields names what differs, by the Spec and Child field names
	// ("run", "revision", "backoff", "strategy", "order"...).
	Fields []string `json:"fields,omitempty"`
	// Err is set by Apply when this step failed. In JSON it is its text,
	// under "error".
	Err error `json:"-"`

	own bool // a supervisor's own settings
}

func (c Change) String() string {
	s := c.Action.String() + " " + c.Path
	if len(c.Fields) > 0 {
		s += ": " + strings.Join(c.Fields, ", ")
	}
	if c.Err != nil {
		s += " (failed: " + strings.TrimPrefix(textfmt.Error(c.Err), "supervisor: ") + ")"
	}
	return s
}

// Plan lists the changes that take a tree from one Spec to another,
// supervisor by supervisor, parents first: each supervisor's removals,
// then its own settings, then its children's changes in the new spec's
// order. Apply carries out a supervisor's changes as removals (dropped
// children in reverse order, then the removal half of replacements), one
// update of settings and policies in place, restarts, additions, then
// visits its nested supervisors.
type Plan struct {
	Changes []Change `json:"changes"`
}

// String returns one change per line.
func (p *Plan) String() string {
	if p == nil || len(p.Changes) == 0 {
		return "no changes\n"
	}
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Diff returns the plan that Tree.Apply would carry out on a tree started
// from old to make it match new, as if no child had been added or removed
// at run time. Both specs must be valid, and new must keep the fields
// fixed when a tree starts (see Apply); otherwise the error is an
// *OpError with Op "diff" wrapping a *ValidationError.
func Diff(old, new Spec) (*Plan, error) {
	for _, s := range []struct {
		what string
		spec *Spec
	}{{"old", &old}, {"new", &new}} {
		if err := Validate(*s.spec); err != nil {
			return nil, &OpError{Op: "diff", Path: s.what + " spec", Err: err}
		}
	}
	journal := old.JournalSize
	if journal == 0 {
		journal = DefaultJournalSize
	}
	if err := fixedFields(&new, old.Name, journal, old.Seed, old.Logger); err != nil {
		return nil, &OpError{Op: "diff", Path: "new spec", Err: err}
	}
	var k compiler
	op, np := k.spec(&old), k.spec(&new)
	d := differ{plan: Plan{Changes: []Change{}}}
	d.report("/", planLevel(op), &new, np)
	return &d.plan, nil
}

// changeKey finds a change in a plan.
type changeKey struct {
	path   string
	action ChangeAction
	own    bool // a supervisor's own settings, not its change as a child
}

func (c *Change) key() changeKey { return changeKey{c.Path, c.Action, c.own} }

// level is a supervisor as Diff sees it: its settings and its children, as
// planned or as running.
type level struct {
	plan     *compiledSpec
	groups   []string // group names by index: "" for none
	children []levelChild
	running  bool // a running supervisor, not a compiled spec
}

type levelChild struct {
	cp   *compiledChild
	code *compiledChild // the compiled child its running attempt was launched with
}

func planLevel(p *compiledSpec) level {
	l := level{plan: p, groups: []string{""}, children: make([]levelChild, len(p.children))}
	for _, g := range p.groups {
		l.groups = append(l.groups, g.name)
	}
	for i := range p.children {
		l.children[i] = levelChild{cp: &p.children[i], code: &p.children[i]}
	}
	return l
}

// nodeLevel describes a running supervisor. The caller holds the tree lock.
func nodeLevel(n *node) level {
	l := level{plan: n.compiled, running: true}
	for _, sc := range n.scopes { // a group kept for a child still in it included
		l.groups = append(l.groups, sc.name)
	}
	for _, c := range n.children {
		if c == nil || c.removed {
			continue
		}
		lc := levelChild{cp: c.cp, code: c.cp}
		if x := c.ext; x != nil && x.launched != nil {
			lc.code = x.launched // Apply gave it new code that does not run yet
		}
		l.children = append(l.children, lc)
	}
	return l
}

// nested is a nested supervisor for Apply to visit after its parent.
type nested struct {
	path string
	old  *compiledSpec // the compiled spec it had, as its parent declared it
	spec *Spec
	plan *compiledSpec
}

// levelSteps is what Apply does to one supervisor.
type levelSteps struct {
	path, prefix string
	spec         *Spec
	plan         *compiledSpec
	fields       []string        // the supervisor's settings that changed
	remove       []string        // children removed: dropped ones, then replaced ones
	replace      map[string]bool // replaced: removed, then added again
	restart      []string
	add          []int    // indexes in spec.Children, replaced ones included
	order        []string // the children's new order, if they need reordering
	changes      []Change // this supervisor's changes, for errors
}

// differ builds a plan.
type differ struct {
	plan  Plan
	index map[changeKey]int
}

func (d *differ) change(l *levelSteps, c Change) {
	if d.index == nil {
		d.index = make(map[changeKey]int)
	}
	d.index[c.key()] = len(d.plan.Changes)
	d.plan.Changes = append(d.plan.Changes, c)
	l.changes = append(l.changes, c)
}

// report diffs a supervisor that does not run, and its nested ones.
func (d *differ) report(path string, old level, spec *Spec, np *compiledSpec) {
	_, deeper := d.level(path, old, spec, np)
	for _, n := range deeper {
		d.report(n.path, planLevel(n.old), n.spec, n.plan)
	}
}

// level diffs the supervisor at path, now old, against np compiled from
// spec: it adds the changes to the plan, and returns the steps that carry
// them out and the nested supervisors to visit next.
func (d *differ) level(path string, old level, spec *Spec, np *compiledSpec) (*levelSteps, []nested) {
	prefix := path + "/"
	if path == "/" {
		prefix = "/"
	}
	l := &levelSteps{path: path, prefix: prefix, spec: spec, plan: np}
	l.fields = settingsChanges(old.plan, np)
	olds := make(map[string]*levelChild, len(old.children))
	for i := range old.children {
		olds[old.children[i].cp.name] = &old.children[i]
	}
	news := make(map[string]bool, len(np.children))
	for i := range np.children {
		news[np.children[i].name] = true
	}
	changes, deeper := l.children(old, olds)
	removed := l.removals(old, news)
	l.ordering(old, olds, news)
	// Removals come first, then the supervisor's settings, then children
	// in the new order: the order Apply performs them in.
	for _, c := range removed {
		d.change(l, c)
	}
	if len(l.fields) > 0 {
		d.change(l, Change{Path: path, Action: ChangeUpdate, Fields: l.fields, own: true})
	}
	for _, c := range changes {
		d.change(l, c)
	}
	return l, deeper
}

// children diffs each child of l's new spec against olds, the running
// ones by name: it lists the adds, replacements and restarts, and returns
// the children's changes and the nested supervisors to visit next.
func (l *levelSteps) children(old level, olds map[string]*levelChild) ([]Change, []nested) {
	var (
		changes []Change
		deeper  []nested
	)
	np := l.plan
	for i := range np.children {
		ncp := &np.children[i]
		path := l.prefix + ncp.name
		oc, ok := olds[ncp.name]
		if !ok {
			if old.running && ended(old.plan, ncp) {
				continue // a temporary child that ran and ended: not run again
			}
			l.add = append(l.add, i)
			changes = append(changes, Change{Path: path, Action: ChangeAdd})
			continue
		}
		replace, restart, upd := childChanges(oc, old.groups, ncp, np)
		switch {
		case len(replace) > 0:
			if l.replace == nil {
				l.replace = make(map[string]bool)
			}
			l.replace[ncp.name] = true
			l.add = append(l.add, i)
			changes = append(changes, Change{Path: path, Action: ChangeRestart, Fields: replace})
			continue
		case len(restart) > 0:
			l.restart = append(l.restart, ncp.name)
			changes = append(changes, Change{Path: path, Action: ChangeRestart, Fields: append(restart, upd...)})
		case len(upd) > 0:
			changes = append(changes, Change{Path: path, Action: ChangeUpdate, Fields: upd})
		}
		if ncp.pol.tree != nil {
			deeper = append(deeper, nested{path, oc.cp.pol.tree, l.spec.Children[i].Tree, ncp.pol.tree})
		}
	}
	return changes, deeper
}

// removals lists the children of old that news no longer has, in reverse
// as a shutdown stops them (sidecars before primaries), then the replaced
// ones; it returns the changes of the dropped ones.
func (l *levelSteps) removals(old level, news map[string]bool) []Change {
	var removed []Change
	for i := len(old.children) - 1; i >= 0; i-- {
		if oc := old.children[i]; !news[oc.cp.name] {
			l.remove = append(l.remove, oc.cp.name)
			removed = append(removed, Change{Path: l.prefix + oc.cp.name, Action: ChangeRemove})
		}
	}
	for _, i := range l.add {
		if name := l.plan.children[i].name; l.replace[name] {
			l.remove = append(l.remove, name)
		}
	}
	return removed
}

// ordering decides whether the children need reordering once removals and
// additions are done, and whether the order changed for the user: children
// in both specs come in another order (a replaced child is put back in its
// place silently).
func (l *levelSteps) ordering(old level, olds map[string]*levelChild, news map[string]bool) {
	var order, was, is, want []string
	for _, oc := range old.children {
		if news[oc.cp.name] {
			was = append(was, oc.cp.name)
			if !l.replace[oc.cp.name] {
				order = append(order, oc.cp.name)
			}
		}
	}
	for _, i := range l.add {
		order = append(order, l.plan.children[i].name)
	}
	for i := range l.plan.children {
		name := l.plan.children[i].name
		want = append(want, name)
		if olds[name] != nil {
			is = append(is, name)
		}
	}
	if !slices.Equal(order, want) {
		l.order = want
	}
	if !slices.Equal(was, is) {
		l.fields = append(l.fields, "order")
	}
}

// ended reports whether c, absent from a running supervisor whose compiled spec is
// p, is a temporary child p already declared alike: one that ran and
// ended (or that an operator removed), which Apply does not run again.
func ended(p *compiledSpec, c *compiledChild) bool {
	if c.pol.restart != Temporary {
		return false
	}
	for i := range p.children {
		if o := &p.children[i]; o.name == c.name {
			return o.pol.restart == Temporary && o.pol.supervisor() == c.pol.supervisor() && len(codeChanges(o, c)) == 0
		}
	}
	return false
}

// settingsChanges names the supervisor settings that differ between o and n.
func settingsChanges(o, n *compiledSpec) []string {
	var f fields
	add := f.add
	add(o.name != n.name, "name")
	add(o.strategy != n.strategy, "strategy")
	add(o.intensity != n.intensity, "intensity")
	add(o.budget != n.budget, "budget")
	add(o.maxRestarting != n.maxRestarting, "maxRestarting")
	add(!slices.Equal(o.groups, n.groups), "groups")
	add(o.autoShutdown != n.autoShutdown, "autoShutdown")
	od, nd := o.defaults, n.defaults
	od.Rules, nd.Rules = nil, nil // compared compiled, below
	add(!reflect.DeepEqual(od, nd) || !o.rules.equal(n.rules), "defaults")
	return f
}

// fields collects the names of fields that differ.
type fields []string

func (f *fields) add(changed bool, name string) {
	if changed {
		*f = append(*f, name)
	}
}

// childChanges compares a child as it is (oc, its groups named by groups)
// with its new compiled spec (n, in np): what needs a replacement, what a restart,
// and what an update in place.
func childChanges(oc *levelChild, groups []string, n *compiledChild, np *compiledSpec) (replace, restart, upd []string) {
	op, pol := oc.cp.pol, n.pol
	var f fields
	f.add(op.supervisor() != pol.supervisor(), "kind")
	f.add(groups[op.group] != groupName(np, pol.group), "group")
	f.add((op.role == RoleSidecar) != (pol.role == RoleSidecar), "role")
	f.add(op.primary != pol.primary, "primary")
	if len(f) > 0 {
		return f, nil, nil
	}
	return nil, codeChanges(oc.code, n), policyChanges(op, pol) // oc.code: the code that runs
}

// policyChanges names the fields of a policy that differ, beyond those
// that need a replacement.
func policyChanges(o, n *policy) []string {
	var f fields
	add := f.add
	add(o.role != n.role, "role")
	add(o.restart != n.restart, "restart")
	add(o.gated != n.gated, "readiness")
	add(o.significant != n.significant, "significant")
	add(o.startTimeout != n.startTimeout, "startTimeout")
	add(o.shutdown != n.shutdown, "shutdown")
	add(o.backoff != n.backoff, "backoff")
	add(o.quarantine != n.quarantine, "quarantine")
	add(o.liveness != n.liveness, "liveness")
	add(!o.rules.equal(n.rules), "rules")
	return f
}

// codeChanges names what differs in what a worker runs between o and n: its
// Run function ("run") and its Revision ("revision"). A nested supervisor's
// code is its children, which Apply changes one by one.
func codeChanges(o, n *compiledChild) []string {
	if n.pol.tree != nil {
		return nil
	}
	var f fields
	f.add(funcPointer(o.run) != funcPointer(n.run), "run")
	f.add(o.rev != n.rev, "revision")
	return f
}

func groupName(p *compiledSpec, g int) string {
	if g == 0 {
		return ""
	}
	return p.groups[g-1].name
}

// funcPointer identifies a function's code: closures of one function
// literal share it, which is why Child.Revision exists.
func funcPointer(f func(context.Context) error) uintptr {
	if f == nil {
		return 0
	}
	return reflect.ValueOf(f).Pointer()
}
