// Package verdict is the form of the verdicts go-supervisor's proofs reach:
// the chaos scenarios and the soak. A verdict is a list of checks, each a
// measurement held against its limit with its result, and it passes when
// checks were made and none failed. Both write it as JSON with the same
// snake_case keys (docs/reliability.md describes them):
//
//	{"pass": false, "failed": ["goroutines_left"], "checks": [
//	  {"name": "goroutines_left", "limit": "== 0", "measured": "2", "status": "fail",
//	   "compare": {"value": 2, "op": "==", "bound": 0}}]}
//
// A check is either numeric (Compare: one measured number against a bound,
// as the chaos scenarios make them) or described in words (a Check literal
// with a Status, as the soak makes them, whose checks combine several
// measurements or may not be measurable at all).
package verdict

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Status is the result of one check.
type Status string

const (
	// Pass: the measurement is within its limit.
	Pass Status = "pass"
	// Fail: it is not; the verdict fails.
	Fail Status = "fail"
	// Info: measured and shown, not enforced (such as the RSS slope of a
	// soak too short for a slope per hour to mean anything).
	Info Status = "info"
	// NA: could not be measured (RSS off Linux, a run interrupted before
	// its warm-up ended); it neither passes nor fails.
	NA Status = "n/a"
)

// PassIf returns Pass if ok holds, Fail otherwise.
func PassIf(ok bool) Status {
	if ok {
		return Pass
	}
	return Fail
}

// Op is how a numeric check compares its measured value with its bound.
type Op string

const (
	// AtMost requires value <= bound.
	AtMost Op = "<="
	// AtLeast requires value >= bound.
	AtLeast Op = ">="
	// Equal requires value == bound.
	Equal Op = "=="
)

// Holds reports whether value op bound. A NaN value never holds, nor does
// an Op other than the three above.
func (op Op) Holds(value, bound float64) bool {
	if math.IsNaN(value) {
		return false
	}
	switch op {
	case AtMost:
		return value <= bound
	case AtLeast:
		return value >= bound
	case Equal:
		return value == bound
	}
	return false
}

// Comparison is the numbers of a numeric check: Value Op Bound, both in
// Unit ("" for a count or a flag).
type Comparison struct {
	Value float64 `json:"value"`
	Op    Op      `json:"op"`
	Bound float64 `json:"bound"`
	Unit  string  `json:"unit,omitempty"`
}

// Check is one line of a verdict.
type Check struct {
	Name string `json:"name"`
	// Limit says what must hold and Measured what was measured, for
	// people: "< 1 MB/h, enforced over ...", "<= 100 ms".
	Limit    string `json:"limit"`
	Measured string `json:"measured"`
	Status   Status `json:"status"`
	// Note explains the status where Measured does not: why a check was
	// not enforced or could not be measured, what a failure involved.
	Note string `json:"note,omitempty"`
	// Compare holds the numbers of a check made by Compare; it is zero,
	// and absent from the JSON, for a check described in words.
	Compare Comparison `json:"compare,omitzero"`
}

// Compare returns the numeric check that value op bound, in unit: it
// passes if that holds (Op.Holds). Its Limit and Measured give the numbers
// as text, such as "<= 100 ms" and "12.5 ms".
func Compare(name string, value float64, op Op, bound float64, unit string) Check {
	return Check{
		Name:     name,
		Limit:    string(op) + " " + number(bound, unit),
		Measured: number(value, unit),
		Status:   PassIf(op.Holds(value, bound)),
		Compare:  Comparison{Value: value, Op: op, Bound: bound, Unit: unit},
	}
}

// number formats v with up to ten significant digits, and its unit.
func number(v float64, unit string) string {
	s := fmt.Sprintf("%.10g", v)
	if unit != "" {
		s += " " + unit
	}
	return s
}

// Verdict is the outcome of a run's checks, in the order they were made.
type Verdict struct {
	// Pass is true when at least one check was made and none failed:
	// checks of status Info or NA neither pass nor fail a verdict.
	Pass bool `json:"pass"`
	// Failed names the failed checks, in order.
	Failed []string `json:"failed,omitempty"`
	Checks []Check  `json:"checks"`
}

// Judge returns the verdict of checks.
func Judge(checks []Check) Verdict {
	v := Verdict{Pass: len(checks) > 0, Checks: checks}
	for _, c := range checks {
		if c.Status == Fail {
			v.Pass = false
			v.Failed = append(v.Failed, c.Name)
		}
	}
	return v
}

// Marshal encodes a verdict, or a record that holds one, as indented JSON
// ending with a newline. It leaves <, > and & as they are, so that limits
// such as "<= 100 ms" read as written.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
