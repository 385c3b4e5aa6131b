package supervisor

import (
	"fmt"
	"math"
	"strings"
	"time"
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
	v.spec(&spec, "", true)
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

type validator struct {
	problems []Problem
}

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

func field(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

func (v *validator) spec(s *Spec, at string, root bool) {
	if s.Strategy > RestForOne {
		v.add(field(at, "strategy"), "%d is not a strategy: use OneForOne, OneForAll or RestForOne", s.Strategy)
	}
	v.intensity(s.Intensity, field(at, "intensity"))
	groups := v.groups(s.Groups, at)
	v.roles(s, at)
	v.budget(s.Budget, field(at, "budget"))
	if s.MaxRestarting < 0 {
		v.add(field(at, "maxRestarting"), "%d must be 0 (no cap) or more", s.MaxRestarting)
	}
	if !root {
		if s.Logger != nil {
			v.add(field(at, "logger"), "only the root spec takes a logger, which logs the whole tree: set it there")
		}
		if s.JournalSize != 0 {
			v.add(field(at, "journalSize"), "only the root spec sets the tree's journal size: set it there")
		}
		if s.Seed != 0 {
			v.add(field(at, "seed"), "only the root spec seeds the tree's random source: set it there")
		}
	}
	v.defaults(&s.Defaults, field(at, "defaults"))
	if s.AutoShutdown > AllSignificant {
		v.add(field(at, "autoShutdown"), "%d is not an auto-shutdown mode: use AutoShutdownNever, AnySignificant or AllSignificant", s.AutoShutdown)
	}
	seen := make(map[string]int, len(s.Children))
	for i := range s.Children {
		c := &s.Children[i]
		cat := fmt.Sprintf("%s[%d]", field(at, "children"), i)
		v.child(c, cat)
		if c.Group != "" && !groups[c.Group] {
			v.add(cat+".group", "%q is not one of the spec's groups: declare it in groups", c.Group)
		}
		if c.Significant {
			if p := significantProblem(firstSet(c.Restart, c.Role.defaults().Restart, s.Defaults.Restart, Permanent), s.AutoShutdown); p != "" {
				v.add(cat+".significant", "%s", p)
			}
		}
		if first, dup := seen[c.Name]; dup && c.Name != "" {
			v.add(cat+".name", "%q is already the name of %s[%d]: names must be unique among siblings",
				c.Name, field(at, "children"), first)
		} else {
			seen[c.Name] = i
		}
	}
}

func (v *validator) intensity(in Intensity, at string) {
	switch {
	case in.MaxRestarts < 0:
		v.add(at+".maxRestarts", "%d must be 0 or more", in.MaxRestarts)
	case in.Period < 0:
		v.add(at+".period", "%v must be more than 0", in.Period)
	case in.Period == 0 && in.MaxRestarts != 0:
		v.add(at+".period", "must be more than 0 when maxRestarts is set, such as 5s")
	}
}

func (v *validator) child(c *Child, at string) {
	if p := nameProblem(c.Name); p != "" {
		v.add(at+".name", "%q %s", c.Name, p)
	}
	switch {
	case c.Run == nil && c.Tree == nil:
		v.add(at, "set run (the child's function) or tree (a nested supervisor's spec)")
	case c.Run != nil && c.Tree != nil:
		v.add(at, "set only one of run and tree")
	}
	v.restart(c.Restart, at+".restart")
	v.durations(c.Shutdown, c.StartTimeout, at)
	if c.StartTimeout > 0 && c.Tree == nil && c.Readiness != ReadinessExplicit {
		v.add(at+".startTimeout", "bounds the wait for Ready, which only a child with ReadinessExplicit makes: set readiness, or remove startTimeout")
	}
	if c.Readiness > ReadinessExplicit {
		v.add(at+".readiness", "%d is not a readiness mode: use ReadinessImmediate or ReadinessExplicit", c.Readiness)
	}
	v.backoff(&c.Backoff, at+".backoff")
	v.quarantine(&c.Quarantine, at+".quarantine")
	v.liveness(&c.Liveness, at+".liveness")
	v.rules(c.Rules, at+".rules")
	if c.Tree != nil {
		if c.Liveness != (Liveness{}) {
			v.add(at+".liveness", "a nested supervisor does not report liveness: leave it unset")
		}
		if c.Readiness != ReadinessImmediate {
			v.add(at+".readiness", "a nested supervisor is ready once its children are: leave readiness unset")
		}
		if c.Tree.Name != "" && c.Tree.Name != c.Name {
			v.add(at+".tree.name", "%q differs from the child's name %q: leave it empty", c.Tree.Name, c.Name)
		}
		v.spec(c.Tree, at+".tree", false)
	}
}

func (v *validator) restart(r RestartType, at string) {
	if r > Temporary {
		v.add(at, "%d is not a restart type: use Permanent, Transient or Temporary", r)
	}
}

func (v *validator) durations(shutdown, start time.Duration, at string) {
	if shutdown < 0 {
		v.add(at+".shutdown", "%v must be more than 0, or 0 for the default (%v), or supervisor.Infinity",
			shutdown, DefaultShutdown)
	}
	if start < 0 {
		v.add(at+".startTimeout", "%v must be more than 0, or 0 for the default (%v), or supervisor.Infinity",
			start, DefaultStartTimeout)
	}
}

func (v *validator) backoff(b *Backoff, at string) {
	if b.Off && (*b != Backoff{Off: true, ResetAfter: b.ResetAfter}) {
		v.add(at, "off restarts at once: leave initial, max, multiplier and jitter unset with it")
	}
	if b.Initial < 0 {
		v.add(at+".initial", "%v must be 0 (unset) or more", b.Initial)
	} else if b.Initial == 0 && !b.Off && (b.Max != 0 || b.Multiplier != 0 || b.Jitter != 0) {
		v.add(at+".initial", "must be set with max, multiplier or jitter: without it restarts are immediate and they would be ignored")
	}
	if b.Max < 0 {
		v.add(at+".max", "%v must be 0 (the default, %v) or more", b.Max, DefaultBackoffMax)
	} else if b.Max > 0 && b.Max < b.Initial {
		v.add(at+".max", "%v is less than backoff.initial (%v): the cap must be at least the first delay",
			b.Max, b.Initial)
	}
	if m := b.Multiplier; m != 0 && (m < 1 || math.IsNaN(m) || math.IsInf(m, 0)) {
		v.add(at+".multiplier", "%v must be 1 or more (0 means the default, %v)", m, DefaultBackoffMultiplier)
	}
	if j := b.Jitter; j < 0 || j > 1 || math.IsNaN(j) {
		v.add(at+".jitter", "%v must be between 0 and 1: the fraction of each delay that is random", j)
	}
	if b.ResetAfter < 0 {
		v.add(at+".resetAfter", "%v must be 0 (the default, %v) or more", b.ResetAfter, DefaultBackoffResetAfter)
	}
}

func (v *validator) defaults(d *Defaults, at string) {
	v.restart(d.Restart, at+".restart")
	v.durations(d.Shutdown, d.StartTimeout, at)
	v.backoff(&d.Backoff, at+".backoff")
	v.quarantine(&d.Quarantine, at+".quarantine")
	v.liveness(&d.Liveness, at+".liveness")
	v.rules(d.Rules, at+".rules")
}
