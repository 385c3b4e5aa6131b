package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Tree.Apply reconfigures a running tree to match a new Spec: the live
// counterpart of a restart with a new configuration, which keeps every
// child that did not change running.

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

// ApplyError reports the steps of an Apply that failed. Each failed step
// left the tree consistent: a child that failed to be added is not in the
// tree, a child whose restart failed is handled by its restart policy, as
// after any failure.
type ApplyError struct {
	// Plan is the whole plan, with Err set on the failed changes.
	Plan *Plan
}

func (e *ApplyError) Error() string {
	var failed []string
	for _, c := range e.Plan.Changes {
		if c.Err != nil {
			failed = append(failed, c.String())
		}
	}
	return fmt.Sprintf("supervisor: apply: %d of %d changes failed: %s", len(failed), len(e.Plan.Changes),
		strings.Join(failed, "; "))
}

// Unwrap returns the errors of the failed steps.
func (e *ApplyError) Unwrap() []error {
	var errs []error
	for _, c := range e.Plan.Changes {
		if c.Err != nil {
			errs = append(errs, c.Err)
		}
	}
	return errs
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

// Apply reconfigures the running tree to match spec and returns the plan it
// carried out. Children spec no longer declares are stopped and removed;
// new ones are added and started; a child whose Run function or Revision
// changed is restarted with its new code (one paused or quarantined stays
// so, and runs the new code when resumed); a child whose other fields
// changed gets its new policies in place, without a restart. The same
// holds for each supervisor's own settings (strategy, intensity, budget,
// throttle, groups, defaults), and recursively for running nested
// supervisors. A changed intensity starts a fresh window.
//
// Each step goes through the control loop of the supervisor it changes,
// as a command with audit and its events (spec_updated for policies
// changed in place); the tree is consistent after each. A step that fails
// does not stop the others: the error is then an *ApplyError, and the plan
// says which steps failed. A spec that is not valid changes nothing: the
// error is an *OpError with Op "apply" wrapping the *ValidationError.
// Name, Logger, JournalSize and Seed are fixed when the tree starts: spec
// must leave the last three zero or equal, and keep the name.
func (t *Tree) Apply(ctx context.Context, spec Spec, audit Audit) (*Plan, error) {
	opErr := func(err error) error { return &OpError{Op: "apply", Path: "/", Err: err} }
	if err := audit.validate(); err != nil {
		return nil, opErr(err)
	}
	if err := Validate(spec); err != nil {
		return nil, opErr(err)
	}
	if err := t.fixed(&spec); err != nil {
		return nil, opErr(err)
	}
	// One Apply at a time: the steps of two would interleave.
	select {
	case t.applying <- struct{}{}:
		defer func() { <-t.applying }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	np, err := t.compile(&spec)
	if err != nil {
		return nil, opErr(err)
	}
	d := differ{plan: Plan{Changes: []Change{}}}
	t.applyLevel(ctx, "/", &spec, np, nil, &d, audit)
	if err := ctx.Err(); err != nil {
		return &d.plan, err
	}
	for _, c := range d.plan.Changes {
		if c.Err != nil {
			return &d.plan, &ApplyError{Plan: &d.plan}
		}
	}
	return &d.plan, nil
}

// compile compiles spec for the running tree.
func (t *Tree) compile(spec *Spec) (*compiledSpec, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended || t.root.phase >= phaseStopping {
		return nil, ErrShuttingDown
	}
	return t.compiler.spec(spec), nil
}

// runningNode returns the supervisor at path if it runs, or nil. The
// caller holds the tree lock.
func (t *Tree) runningNode(path string) *node {
	n := t.root
	if t.ended || n.phase >= phaseStopping {
		return nil
	}
	if path == "/" {
		return n
	}
	for _, seg := range strings.Split(path[1:], "/") {
		c := n.lookup(seg)
		if c == nil || c.cur == nil || c.cur.sub == nil || c.cur.sub.phase >= phaseStopping {
			return nil
		}
		n = c.cur.sub
	}
	return n
}

// startsAnew reports whether err says that the nested supervisor at path
// stopped (to restart, or paused) while its parent runs on: it then starts
// again from the compiled spec Apply gave it through its parent's update,
// which carries every change of its level, so a step that could not reach
// it takes effect when it starts.
func (t *Tree) startsAnew(path string, err error) bool {
	if path == "/" || !(errors.Is(err, ErrNotRunning) || errors.Is(err, ErrShuttingDown)) {
		return false
	}
	parent := path[:strings.LastIndex(path, "/")]
	if parent == "" {
		parent = "/"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.runningNode(parent) != nil
}

// fixed checks the fields Apply cannot change.
func (t *Tree) fixed(s *Spec) error {
	return fixedFields(s, t.name, t.journalSize, t.seed, t.logger)
}

// fixedFields checks that s leaves the fields fixed when a tree starts as
// they are: its name, journal size, seed and logger.
func fixedFields(s *Spec, name string, journalSize int, seed uint64, logger *slog.Logger) error {
	var v validator
	if s.Logger != nil && logger != nil && s.Logger != logger {
		v.add("logger", "is fixed when the tree starts: leave it nil, or pass the tree's logger")
	}
	if s.JournalSize != 0 && s.JournalSize != journalSize {
		v.add("journalSize", "%d differs from the running tree's %d, which is fixed when the tree starts: leave it 0",
			s.JournalSize, journalSize)
	}
	if s.Seed != 0 && s.Seed != seed {
		v.add("seed", "differs from the running tree's, which is fixed when the tree starts: leave it 0")
	}
	if s.Name != name {
		v.add("name", "%q differs from the running tree's %q, which is fixed when the tree starts: restart the tree to rename it",
			s.Name, name)
	}
	return v.err()
}

// applyLevel makes the supervisor at path match np, compiled from spec:
// it diffs np against the supervisor as it runs at this moment, carries
// out the steps, then does the same for its nested supervisors. If the
// supervisor does not run, its next start takes np (its parent's update
// gave it np): the changes are reported against stopped, the compiled spec it had.
func (t *Tree) applyLevel(ctx context.Context, path string, spec *Spec, np, stopped *compiledSpec, d *differ, audit Audit) {
	var (
		l      *levelSteps
		deeper []nested
	)
	func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if n := t.runningNode(path); n != nil {
			l, deeper = d.level(path, nodeLevel(n), spec, np)
		}
	}()
	if l == nil {
		if stopped != nil {
			d.report(path, planLevel(stopped), spec, np)
		}
		return
	}
	done := make(map[changeKey]bool)
	record := func(key changeKey, err error) {
		done[key] = true
		switch {
		case errors.Is(err, ErrNotFound) && key.action != ChangeAdd:
			err = nil // gone already: removed meanwhile, or a temporary child that ended
		case t.startsAnew(path, err):
			err = nil // the supervisor restarts meanwhile: from np, with this change
		}
		if i, ok := d.index[key]; ok && err != nil {
			d.plan.Changes[i].Err = err
		}
	}
	// step runs one step, unless ctx is done: then it and every step after
	// it are marked as not carried out.
	step := func(key changeKey, run func() error) bool {
		if err := ctx.Err(); err != nil {
			for _, c := range l.changes {
				if k := c.key(); !done[k] {
					record(k, fmt.Errorf("not carried out: %w", err))
				}
			}
			return false
		}
		record(key, run())
		return true
	}
	child := func(name string) string { return l.prefix + name }
	for _, name := range l.remove {
		action := ChangeRemove
		if slices.Contains(l.replace, name) {
			action = ChangeRestart
		}
		if !step(changeKey{path: child(name), action: action}, func() error {
			return t.control(ctx, opRemove, child(name), nil, audit)
		}) {
			return
		}
	}
	cmd := &command{op: opUpdate, path: l.path, audit: audit, upd: &update{plan: l.plan, fields: l.fields}}
	if err := ctx.Err(); err == nil {
		if err := t.send(ctx, cmd); err != nil {
			// The supervisor is gone or stopping: nothing after this applies.
			for _, c := range l.changes {
				if k := c.key(); !done[k] {
					record(k, err)
				}
			}
			return
		}
		done[changeKey{path: l.path, action: ChangeUpdate, own: true}] = true
	}
	for _, name := range l.restart {
		if !step(changeKey{path: child(name), action: ChangeRestart}, func() error {
			return t.send(ctx, &command{op: opRestart, path: child(name), audit: audit, apply: true})
		}) {
			return
		}
	}
	for _, i := range l.add {
		c := &l.spec.Children[i]
		action := ChangeAdd
		if slices.Contains(l.replace, c.Name) {
			action = ChangeRestart
		}
		if !step(changeKey{path: child(c.Name), action: action}, func() error {
			return t.control(ctx, opAdd, l.path, c, audit)
		}) {
			return
		}
	}
	if l.reorder {
		order := make([]string, len(l.spec.Children))
		for i := range l.spec.Children {
			order[i] = l.spec.Children[i].Name
		}
		if !step(changeKey{path: l.path, action: ChangeUpdate, own: true}, func() error {
			return t.send(ctx, &command{op: opUpdate, path: l.path, audit: audit, upd: &update{order: order}})
		}) {
			return
		}
	}
	for _, n := range deeper {
		t.applyLevel(ctx, n.path, n.spec, n.plan, n.old, d, audit)
	}
}

// update is the payload of an opUpdate command: a supervisor's new compiled spec,
// or the new order of its children.
type update struct {
	plan   *compiledSpec
	fields []string // the supervisor's own settings that changed
	order  []string
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
	fields       []string // the supervisor's settings that changed
	remove       []string // children removed: dropped ones, then replaced ones
	replace      []string // replaced: removed, then added again
	restart      []string
	add          []int // indexes in spec.Children, replaced ones included
	reorder      bool
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
	var deeper []nested
	news := make(map[string]bool, len(np.children))
	var changes []Change
	for i := range np.children {
		ncp := &np.children[i]
		news[ncp.name] = true
		oc, ok := olds[ncp.name]
		if !ok {
			if old.running && ended(old.plan, ncp) {
				continue // a temporary child that ran and ended: not run again
			}
			l.add = append(l.add, i)
			changes = append(changes, Change{Path: prefix + ncp.name, Action: ChangeAdd})
			continue
		}
		replace, restart, upd := childChanges(oc, old.groups, ncp, np)
		switch {
		case len(replace) > 0:
			l.replace = append(l.replace, ncp.name)
			l.add = append(l.add, i)
			changes = append(changes, Change{Path: prefix + ncp.name, Action: ChangeRestart, Fields: replace})
			continue
		case len(restart) > 0:
			l.restart = append(l.restart, ncp.name)
			changes = append(changes, Change{Path: prefix + ncp.name, Action: ChangeRestart, Fields: append(restart, upd...)})
		case len(upd) > 0:
			changes = append(changes, Change{Path: prefix + ncp.name, Action: ChangeUpdate, Fields: upd})
		}
		if ncp.pol.tree != nil {
			deeper = append(deeper, nested{prefix + ncp.name, oc.cp.pol.tree, spec.Children[i].Tree, ncp.pol.tree})
		}
	}
	var removed []Change
	var order []string                            // the children's order once removals and additions are done
	for i := len(old.children) - 1; i >= 0; i-- { // in reverse, as a shutdown: sidecars before primaries
		if oc := old.children[i]; !news[oc.cp.name] {
			l.remove = append(l.remove, oc.cp.name)
			removed = append(removed, Change{Path: prefix + oc.cp.name, Action: ChangeRemove})
		}
	}
	for _, oc := range old.children {
		if news[oc.cp.name] && !slices.Contains(l.replace, oc.cp.name) {
			order = append(order, oc.cp.name)
		}
	}
	l.remove = append(l.remove, l.replace...) // dropped children first
	for _, i := range l.add {
		order = append(order, np.children[i].name)
	}
	want := make([]string, len(np.children))
	for i := range np.children {
		want[i] = np.children[i].name
	}
	l.reorder = !slices.Equal(order, want)
	// The order changed for the user if children in both specs come in
	// another order (a replaced child is put back in its place silently).
	var was, is []string
	for _, oc := range old.children {
		if news[oc.cp.name] {
			was = append(was, oc.cp.name)
		}
	}
	for i := range np.children {
		if olds[np.children[i].name] != nil {
			is = append(is, np.children[i].name)
		}
	}
	if !slices.Equal(was, is) {
		l.fields = append(l.fields, "order")
	}
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
	o := oc.code // the code that runs
	op2, np2 := oc.cp.pol, n.pol
	if op2.supervisor() != np2.supervisor() {
		replace = append(replace, "kind")
	}
	if groups[op2.group] != groupName(np, np2.group) {
		replace = append(replace, "group")
	}
	if (op2.role == RoleSidecar) != (np2.role == RoleSidecar) {
		replace = append(replace, "role")
	}
	if op2.primary != np2.primary {
		replace = append(replace, "primary")
	}
	if len(replace) > 0 {
		return replace, nil, nil
	}
	return nil, codeChanges(o, n), policyChanges(op2, np2)
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
	index := make(map[string]int, len(np.children))
	for i := range np.children {
		index[np.children[i].name] = i
	}
	// Scopes: the supervisor's own, then one per group of the new compiled spec,
	// keeping the state of groups that stay.
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
	n.scopes = scopes
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
	if np.budget != n.compiled.budget {
		b := newTokenBucket(np.budget)
		if b != nil && n.budget != nil {
			b.tat = n.budget.tat // tokens spent stay spent
		}
		n.budget = b
	}
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
