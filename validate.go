package supervisor

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Problem is one thing wrong with a spec.
type Problem struct {
	// Field locates the problem, such as "children[2].backoff.initial".
	Field string
	// Message says what is wrong and how to fix it.
	Message string
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// ValidationError lists every problem found in a spec.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("supervisor: invalid spec: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks spec as Start would, and returns a *ValidationError listing
// every problem, or nil.
func Validate(spec Spec) error {
	var v validator
	v.spec(&spec, true)
	return v.err()
}

// maxNameLen bounds a child's name.
const maxNameLen = 128

// nameProblem says what is wrong with a child name, or returns "".
func nameProblem(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case len(name) > maxNameLen:
		return fmt.Sprintf("is %d bytes long: the limit is %d", len(name), maxNameLen)
	case name == "." || name == "..":
		return "must not be \".\" or \"..\""
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '-' || r == '@'
		if !ok {
			return fmt.Sprintf("contains %q: use only letters, digits, '.', '_', '@' and '-'", r)
		}
	}
	return ""
}

// validator checks specs, collecting every problem. It checks one field at
// a time, the one its path names; a problem's Field is written out only
// when there is a problem, so that checking a valid spec of many children
// allocates almost nothing.
type validator struct {
	problems []Problem
	path     []step
}

// step is one step of a field's path: a key, and an index into it if
// index >= 0 ("children[2]").
type step struct {
	key   string
	index int
}

// enter descends into the field key (its element index, if index >= 0);
// leave comes back up.
func (v *validator) enter(key string, index int) { v.path = append(v.path, step{key, index}) }
func (v *validator) leave()                      { v.path = v.path[:len(v.path)-1] }

// field writes the path of key under the current field ("" for the current
// field itself): "children[2].backoff.initial".
func (v *validator) field(key string) string {
	var b strings.Builder
	for _, s := range v.path {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		}
	}
	if key != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key)
	}
	return b.String()
}

// add records a problem with the field key under the current one ("" for
// the current field itself).
func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{Field: v.field(key), Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

func (v *validator) spec(s *Spec, root bool) {
	if s.Strategy > RestForOne {
		v.add("strategy", "%d is not a strategy: use OneForOne, OneForAll or RestForOne", s.Strategy)
	}
	v.enter("intensity", -1)
	v.intensity(s.Intensity)
	v.leave()
	groups := v.groups(s.Groups)
	v.roles(s)
	v.enter("budget", -1)
	v.budget(s.Budget)
	v.leave()
	if s.MaxRestarting < 0 {
		v.add("maxRestarting", "%d must be 0 (no cap) or more", s.MaxRestarting)
	}
	if !root {
		if s.Logger != nil {
			v.add("logger", "only the root spec takes a logger, which logs the whole tree: set it there")
		}
		if s.JournalSize != 0 {
			v.add("journalSize", "only the root spec sets the tree's journal size: set it there")
		}
		if s.Seed != 0 {
			v.add("seed", "only the root spec seeds the tree's random source: set it there")
		}
	}
	v.enter("defaults", -1)
	v.defaults(&s.Defaults)
	v.leave()
	if s.AutoShutdown > AllSignificant {
		v.add("autoShutdown", "%d is not an auto-shutdown mode: use AutoShutdownNever, AnySignificant or AllSignificant", s.AutoShutdown)
	}
	for i := range s.Children {
		c := &s.Children[i]
		v.enter("children", i)
		v.child(c)
		if c.Group != "" && !groups[c.Group] {
			v.add("group", "%q is not one of the spec's groups: declare it in groups", c.Group)
		}
		if c.Significant {
			if p := significantProblem(firstSet(c.Restart, c.Role.defaults().Restart, s.Defaults.Restart, Permanent), s.AutoShutdown); p != "" {
				v.add("significant", "%s", p)
			}
		}
		v.leave()
	}
	v.duplicates(s.Children)
}

// duplicates reports the children whose name an earlier sibling has. It
// sorts the children's indexes by name rather than filling a map: 4 bytes
// a child instead of some 40, for trees of many children.
func (v *validator) duplicates(cs []Child) {
	byName := make([]int32, len(cs))
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortStableFunc(byName, func(a, b int32) int { return strings.Compare(cs[a].Name, cs[b].Name) })
	type dup struct{ i, first int32 }
	var dups []dup
	for k := 0; k < len(byName); {
		j := k + 1 // byName[k:j] share a name; byName[k] is its first child (stable sort)
		for j < len(byName) && cs[byName[j]].Name == cs[byName[k]].Name {
			j++
		}
		if cs[byName[k]].Name != "" {
			for _, i := range byName[k+1 : j] {
				dups = append(dups, dup{i, byName[k]})
			}
		}
		k = j
	}
	slices.SortFunc(dups, func(a, b dup) int { return int(a.i - b.i) })
	for _, d := range dups {
		i, first := d.i, d.first
		v.enter("children", int(first))
		sibling := v.field("")
		v.leave()
		v.enter("children", int(i))
		v.add("name", "%q is already the name of %s: names must be unique among siblings", cs[i].Name, sibling)
		v.leave()
	}
}

func (v *validator) intensity(in Intensity) {
	switch {
	case in.MaxRestarts < 0:
		v.add("maxRestarts", "%d must be 0 or more", in.MaxRestarts)
	case in.Period < 0:
		v.add("period", "%s must be more than 0", textfmt.Duration(in.Period))
	case in.Period == 0 && in.MaxRestarts != 0:
		v.add("period", "must be more than 0 when maxRestarts is set, such as 5s")
	}
}

func (v *validator) child(c *Child) {
	if p := nameProblem(c.Name); p != "" {
		v.add("name", "%q %s", c.Name, p)
	}
	switch {
	case c.Run == nil && c.Tree == nil:
		v.add("", "set run (the child's function) or tree (a nested supervisor's spec)")
	case c.Run != nil && c.Tree != nil:
		v.add("", "set only one of run and tree")
	}
	v.restart(c.Restart, "restart")
	v.durations(c.Shutdown, c.StartTimeout)
	if c.StartTimeout > 0 && c.Tree == nil && c.Readiness != ReadinessExplicit {
		v.add("startTimeout", "applies only to a child that reports its readiness: set Readiness to ReadinessExplicit if the child calls Ready, or leave StartTimeout zero")
	}
	if c.Readiness > ReadinessExplicit {
		v.add("readiness", "%d is not a readiness mode: use ReadinessImmediate or ReadinessExplicit", c.Readiness)
	}
	v.policies(&c.Backoff, &c.Quarantine, &c.Liveness, c.Rules)
	if c.Tree != nil {
		if c.Liveness != (Liveness{}) {
			v.add("liveness", "a nested supervisor does not report liveness: leave it unset")
		}
		if c.Readiness != ReadinessImmediate {
			v.add("readiness", "a nested supervisor is ready once its children are: leave readiness unset")
		}
		if c.Tree.Name != "" && c.Tree.Name != c.Name {
			v.add("tree.name", "%q differs from the child's name %q: leave it empty", c.Tree.Name, c.Name)
		}
		v.enter("tree", -1)
		v.spec(c.Tree, false)
		v.leave()
	}
}

// policies checks the backoff, restart limit, liveness and rules of a
// child or of a supervisor's defaults.
func (v *validator) policies(b *Backoff, q *Quarantine, l *Liveness, rules []Rule) {
	v.enter("backoff", -1)
	v.backoff(b)
	v.leave()
	v.enter("quarantine", -1)
	v.quarantine(q)
	v.leave()
	v.enter("liveness", -1)
	v.liveness(l)
	v.leave()
	v.rules(rules)
}

func (v *validator) restart(r RestartType, key string) {
	if r > Temporary {
		v.add(key, "%d is not a restart type: use Permanent, Transient or Temporary", r)
	}
}

func (v *validator) durations(shutdown, start time.Duration) {
	if shutdown < 0 {
		v.add("shutdown", "%s must be more than 0, or 0 for the default (%s), or supervisor.Infinity",
			textfmt.Duration(shutdown), textfmt.Duration(DefaultShutdown))
	}
	if start < 0 {
		v.add("startTimeout", "%s must be more than 0, or 0 for the default (%s), or supervisor.Infinity",
			textfmt.Duration(start), textfmt.Duration(DefaultStartTimeout))
	}
}

func (v *validator) backoff(b *Backoff) {
	if b.Off && (*b != Backoff{Off: true, ResetAfter: b.ResetAfter}) {
		v.add("", "off restarts at once: leave initial, max, multiplier and jitter unset with it")
	}
	if b.Initial < 0 {
		v.add("initial", "%s must be 0 (unset) or more", textfmt.Duration(b.Initial))
	} else if b.Initial == 0 && !b.Off && (b.Max != 0 || b.Multiplier != 0 || b.Jitter != 0) {
		v.add("initial", "must be set with max, multiplier or jitter: without it restarts are immediate and they would be ignored")
	}
	if b.Max < 0 {
		v.add("max", "%s must be 0 (the default, %s) or more", textfmt.Duration(b.Max), textfmt.Duration(DefaultBackoffMax))
	} else if b.Max > 0 && b.Max < b.Initial {
		v.add("max", "%s is less than backoff.initial (%s): the cap must be at least the first delay",
			textfmt.Duration(b.Max), textfmt.Duration(b.Initial))
	}
	if m := b.Multiplier; m != 0 && (m < 1 || math.IsNaN(m) || math.IsInf(m, 0)) {
		v.add("multiplier", "%v must be 1 or more (0 means the default, %v)", m, DefaultBackoffMultiplier)
	}
	if j := b.Jitter; j < 0 || j > 1 || math.IsNaN(j) {
		v.add("jitter", "%v must be between 0 and 1: the fraction of each delay that is random", j)
	}
	if b.ResetAfter < 0 {
		v.add("resetAfter", "%s must be 0 (the default, %s) or more", textfmt.Duration(b.ResetAfter),
			textfmt.Duration(DefaultBackoffResetAfter))
	}
}

func (v *validator) defaults(d *Defaults) {
	v.restart(d.Restart, "restart")
	v.durations(d.Shutdown, d.StartTimeout)
	v.policies(&d.Backoff, &d.Quarantine, &d.Liveness, d.Rules)
}
