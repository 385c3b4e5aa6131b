package supervisor

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// A Rule maps the error a child exited with to an action, overriding what
// its restart type would do. A child's rules are tried in order, then its
// supervisor's Defaults.Rules; the first rule whose matchers all match
// decides. Rules see only exits a child makes on its own: an attempt that
// returns after its supervisor cancelled it is a clean stop, whatever its
// error, and no rule applies.
type Rule struct {
	// Is matches errors for which errors.Is(err, Is) is true.
	Is error
	// As matches errors for which errors.As finds an error of As's type:
	// As: (*fs.PathError)(nil) matches any error wrapping a *fs.PathError.
	As error
	// Message matches errors whose text matches this regular expression.
	Message string
	// ExitCodes matches errors carrying one of these exit codes: an error
	// in the chain with an ExitCode() int method, such as *exec.ExitError
	// or the error of a process child.
	ExitCodes []int
	// Action is what to do when the rule matches.
	Action RuleAction
}

// RuleAction is what a Rule does with a matching exit.
type RuleAction uint8

// Actions.
const (
	_ RuleAction = iota
	// ActionRestart restarts the child, whatever its restart type.
	ActionRestart
	// ActionStop leaves the child down (a Temporary child is removed as
	// usual).
	ActionStop
	// ActionQuarantine quarantines the child, as QuarantineChild does.
	ActionQuarantine
	// ActionEscalate makes the supervisor give up at once, as ErrEscalate.
	ActionEscalate
	// ActionShutdownTree shuts the whole tree down; Tree.Wait returns a
	// *RuleError.
	ActionShutdownTree
)

var actionNames = []string{"", "restart", "stop", "quarantine", "escalate", "shutdown_tree"}

func (a RuleAction) String() string { return enumString(actionNames, a) }

// MarshalText implements encoding.TextMarshaler.
func (a RuleAction) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *RuleAction) UnmarshalText(b []byte) error {
	return enumParse(actionNames, b, a, "action", 1)
}

// RuleError ends a tree that a rule with ActionShutdownTree shut down.
type RuleError struct {
	// Path is the child whose exit matched.
	Path string
	// Rule names the rule, such as "rules[1]" or "defaults.rules[0]".
	Rule string
	// Err is the child's exit error.
	Err error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("supervisor: child %s exited (%v) and %s shuts the tree down", e.Path, e.Err, e.Rule)
}

// Unwrap returns the child's error.
func (e *RuleError) Unwrap() error { return e.Err }

// compiledRule is a Rule ready to match.
type compiledRule struct {
	name    string // "rules[1]", "defaults.rules[0]"
	is      error
	as      reflect.Type
	message *regexp.Regexp
	codes   []int
	action  RuleAction
	reason  string // what it matched and did, for events
}

// ruleSet is the rules a child's exits go through, its own then its
// supervisor's. Children without rules of their own share their
// supervisor's set.
type ruleSet struct {
	rules []compiledRule
}

// compileRules compiles valid rules, naming them at+"[i]".
func compileRules(rules []Rule, at string) []compiledRule {
	out := make([]compiledRule, len(rules))
	for i, r := range rules {
		c := compiledRule{name: fmt.Sprintf("%s[%d]", at, i), is: r.Is, action: r.Action}
		var what []string
		if r.Is != nil {
			what = append(what, fmt.Sprintf("is %q", r.Is))
		}
		if r.As != nil {
			c.as = reflect.TypeOf(r.As)
			what = append(what, "as "+c.as.String())
		}
		if r.Message != "" {
			c.message = regexp.MustCompile(r.Message) // validated
			what = append(what, fmt.Sprintf("message ~ %q", r.Message))
		}
		if len(r.ExitCodes) > 0 {
			c.codes = slices.Clone(r.ExitCodes)
			what = append(what, fmt.Sprintf("exit code in %v", r.ExitCodes))
		}
		c.reason = "error " + strings.Join(what, ", ") + ": " + r.Action.String()
		out[i] = c
	}
	return out
}

// equal reports whether s and o hold the same rules, for Apply.
func (s *ruleSet) equal(o *ruleSet) bool {
	if s == nil || o == nil {
		return s == o
	}
	return slices.EqualFunc(s.rules, o.rules, func(a, b compiledRule) bool {
		return a.name == b.name && a.reason == b.reason && a.action == b.action && a.as == b.as &&
			sameError(a.is, b.is) && slices.Equal(a.codes, b.codes)
	})
}

// sameError reports whether a and b are the same sentinel, without
// panicking on errors of a type that == cannot compare.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	if reflect.ValueOf(a).Comparable() && reflect.ValueOf(b).Comparable() {
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

// match returns the first rule matching err, or nil.
func (s *ruleSet) match(err error) *compiledRule {
	if s == nil || err == nil {
		return nil
	}
	for i := range s.rules {
		if r := &s.rules[i]; r.matches(err) {
			return r
		}
	}
	return nil
}

func (r *compiledRule) matches(err error) bool {
	if r.is != nil && !errors.Is(err, r.is) {
		return false
	}
	if r.as != nil && !errors.As(err, reflect.New(r.as).Interface()) {
		return false
	}
	if r.message != nil && !r.message.MatchString(textfmt.Error(err)) {
		return false
	}
	if r.codes != nil {
		var ec exitCoder
		if !errors.As(err, &ec) || !slices.Contains(r.codes, ec.ExitCode()) {
			return false
		}
	}
	return true
}

// exitCoder is an error that carries a process's exit code.
type exitCoder interface {
	error
	ExitCode() int
}

func (v *validator) rules(rules []Rule) {
	for i, r := range rules {
		v.enter("rules", i)
		if r.Is == nil && r.As == nil && r.Message == "" && len(r.ExitCodes) == 0 {
			v.add("", "set at least one of is, as, message and exitCodes: a rule without a matcher would match every error")
		}
		if r.Message != "" {
			if _, err := regexp.Compile(r.Message); err != nil {
				v.add("message", "%q is not a regular expression: %v", r.Message, err)
			}
		}
		for j, code := range r.ExitCodes {
			if code < 1 || code > 255 {
				v.enter("exitCodes", j)
				v.add("", "%d can never match: exit codes of failures are 1 to 255 (0 is a normal exit, which no rule sees)", code)
				v.leave()
			}
		}
		if r.Action == 0 || r.Action > ActionShutdownTree {
			v.add("action", "%d is not an action: use ActionRestart, ActionStop, ActionQuarantine, ActionEscalate or ActionShutdownTree", r.Action)
		}
		v.leave()
	}
}
