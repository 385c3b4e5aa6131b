package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Tree.Apply reconfigures a running tree to match a new Spec: the live
// counterpart of a restart with a new configuration, which keeps every
// child that did not change running.

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
//
// If ctx is done before the Apply ends, Apply returns ctx's error with the
// plan so far: the steps of the supervisor it was changing that were not
// carried out say so; the nested supervisors it had not reached yet are
// not in the plan.
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
	l, deeper := t.levelOf(path, spec, np, d)
	if l == nil {
		if stopped != nil {
			d.report(path, planLevel(stopped), spec, np)
		}
		return
	}
	r := &levelRun{t: t, ctx: ctx, l: l, d: d, audit: audit, done: make(map[changeKey]bool)}
	if !r.removes() || !r.update() || !r.restarts() || !r.adds() || !r.reorder() {
		return
	}
	for _, n := range deeper {
		t.applyLevel(ctx, n.path, n.spec, n.plan, n.old, d, audit)
	}
}

// levelOf diffs the running supervisor at path against spec; nil if it
// is not running.
func (t *Tree) levelOf(path string, spec *Spec, np *compiledSpec, d *differ) (*levelSteps, []nested) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.runningNode(path); n != nil {
		return d.level(path, nodeLevel(n), spec, np)
	}
	return nil, nil
}

// levelRun carries out one supervisor's steps of a plan, in order: removes,
// the supervisor's own update, restarts, adds, the new order. Each stage
// reports whether the run goes on.
type levelRun struct {
	t     *Tree
	ctx   context.Context
	l     *levelSteps
	d     *differ
	audit Audit
	done  map[changeKey]bool
}

// record notes the outcome of the step key in the plan.
func (r *levelRun) record(key changeKey, err error) {
	if r.t.startsAnew(r.l.path, err) {
		err = nil // the supervisor restarts meanwhile: from np, with this change
	}
	r.note(key, err)
}

// note sets err as the outcome of the step key, unless it says that the
// child is gone already.
func (r *levelRun) note(key changeKey, err error) {
	r.done[key] = true
	if errors.Is(err, ErrNotFound) && key.action != ChangeAdd {
		err = nil // gone already: removed meanwhile, or a temporary child that ended
	}
	if i, ok := r.d.index[key]; ok && err != nil {
		r.d.plan.Changes[i].Err = err
	}
}

// abandon marks every step not done yet as failed with err.
func (r *levelRun) abandon(err error) {
	if r.t.startsAnew(r.l.path, err) {
		err = nil // the supervisor restarts meanwhile: from np, with these changes
	}
	for _, c := range r.l.changes {
		if k := c.key(); !r.done[k] {
			r.note(k, err)
		}
	}
}

// cancelled reports whether ctx is done; if so, every step not done yet
// is marked as not carried out.
func (r *levelRun) cancelled() bool {
	err := r.ctx.Err()
	if err != nil {
		r.abandon(fmt.Errorf("not carried out: %w", err))
	}
	return err != nil
}

// step runs one step, unless ctx is done (see cancelled).
func (r *levelRun) step(key changeKey, run func() error) bool {
	if r.cancelled() {
		return false
	}
	r.record(key, run())
	return true
}

func (r *levelRun) child(name string) string { return r.l.prefix + name }

// replaced is action, or ChangeRestart if the child name is replaced.
func (r *levelRun) replaced(name string, action ChangeAction) ChangeAction {
	if r.l.replace[name] {
		return ChangeRestart
	}
	return action
}

func (r *levelRun) removes() bool {
	for _, name := range r.l.remove {
		if !r.step(changeKey{path: r.child(name), action: r.replaced(name, ChangeRemove)}, func() error {
			return r.t.control(r.ctx, opRemove, r.child(name), nil, r.audit)
		}) {
			return false
		}
	}
	return true
}

// update sends the supervisor's own changes; if it is gone or stopping,
// nothing after this applies.
func (r *levelRun) update() bool {
	if r.cancelled() {
		return false
	}
	cmd := &command{op: opUpdate, path: r.l.path, audit: r.audit, upd: &update{plan: r.l.plan, fields: r.l.fields}}
	if err := r.t.send(r.ctx, cmd); err != nil {
		r.abandon(err)
		return false
	}
	r.done[changeKey{path: r.l.path, action: ChangeUpdate, own: true}] = true
	return true
}

func (r *levelRun) restarts() bool {
	for _, name := range r.l.restart {
		if !r.step(changeKey{path: r.child(name), action: ChangeRestart}, func() error {
			return r.t.send(r.ctx, &command{op: opRestart, path: r.child(name), audit: r.audit, apply: true})
		}) {
			return false
		}
	}
	return true
}

func (r *levelRun) adds() bool {
	for _, i := range r.l.add {
		c := &r.l.spec.Children[i]
		if !r.step(changeKey{path: r.child(c.Name), action: r.replaced(c.Name, ChangeAdd)}, func() error {
			return r.t.control(r.ctx, opAdd, r.l.path, c, r.audit)
		}) {
			return false
		}
	}
	return true
}

func (r *levelRun) reorder() bool {
	if r.l.order == nil {
		return true
	}
	return r.step(changeKey{path: r.l.path, action: ChangeUpdate, own: true}, func() error {
		return r.t.send(r.ctx, &command{op: opUpdate, path: r.l.path, audit: r.audit, upd: &update{order: r.l.order}})
	})
}
