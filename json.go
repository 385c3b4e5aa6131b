package supervisor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// The JSON the library writes has one vocabulary, the config file's:
// snake_case keys, enumerations by their text (MarshalText), durations as
// the text a config file accepts ("1.5s", "5m", "infinity"), timestamps in
// RFC 3339 with nanoseconds, and errors as their text under "error". A
// field that does not apply is absent, never a misleading zero.
// docs/json.md lists every document with its fields; testdata/json has a
// golden file of each.
//
// The types whose fields encoding/json cannot write that way (a
// time.Duration, an error) implement json.Marshaler and json.Unmarshaler
// below; the others only carry tags. Decoding reads back what encoding
// wrote, except that an error comes back as an error with the text only.

// parseDuration reads what textfmt.Duration writes.
func parseDuration(s string) (time.Duration, error) {
	if s == "infinity" {
		return Infinity, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("supervisor: %q is not a duration: write a number and a unit (ns, us, ms, s, m, h), such as 1.5s, or infinity", s)
	}
	return d, nil
}

// jsonDuration is a time.Duration in JSON.
type jsonDuration time.Duration

func (d jsonDuration) MarshalText() ([]byte, error) {
	return []byte(textfmt.Duration(time.Duration(d))), nil
}

func (d *jsonDuration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	*d = jsonDuration(v)
	return err
}

// textError is the error an error's text decodes to.
func textError(s string) error {
	if s == "" {
		return nil
	}
	return errors.New(s)
}

// eventJSON is an Event in JSON: a pointer field is present only when the
// event's kind uses it (see Event.fields).
type eventJSON struct {
	Seq         uint64           `json:"seq"`
	Time        time.Time        `json:"time"`
	Kind        EventKind        `json:"kind"`
	Path        string           `json:"path"`
	Generation  *uint64          `json:"generation,omitempty"`
	Attempt     *int             `json:"attempt,omitempty"`
	State       *State           `json:"state,omitempty"`
	Correlation uint64           `json:"correlation,omitempty"`
	Exit        *ExitClass       `json:"exit,omitempty"`
	Error       string           `json:"error,omitempty"`
	Delay       *jsonDuration    `json:"delay,omitempty"`
	Command     *string          `json:"command,omitempty"`
	Audit       *Audit           `json:"audit,omitempty"`
	Count       *uint64          `json:"count,omitempty"`
	Rule        string           `json:"rule,omitempty"`
	Reason      string           `json:"reason,omitempty"`
	Goroutines  []GoroutineStack `json:"goroutines,omitempty"`
}

// MarshalJSON implements json.Marshaler: the fields the event's kind uses,
// and the others when they are set.
func (e Event) MarshalJSON() ([]byte, error) {
	f := e.fields()
	j := eventJSON{Seq: e.Seq, Time: e.Time, Kind: e.Kind, Path: e.Path, Correlation: e.Correlation,
		Error: textfmt.Error(e.Err), Rule: e.Rule, Reason: e.Reason, Goroutines: e.Goroutines}
	if f&withAttempt != 0 {
		j.Generation, j.Attempt, j.State = &e.Generation, &e.Attempt, &e.State
	}
	if f&withExit != 0 {
		j.Exit = &e.Exit
	}
	if f&withDelay != 0 {
		d := jsonDuration(e.Delay)
		j.Delay = &d
	}
	if f&withCommand != 0 {
		j.Command = &e.Command
	}
	if f&withCount != 0 {
		j.Count = &e.Count
	}
	if e.Audit != (Audit{}) {
		j.Audit = &e.Audit
	}
	return json.Marshal(j)
}

// isNull reports whether b is the JSON null.
func isNull(b []byte) bool { return string(bytes.TrimSpace(b)) == "null" }

// UnmarshalJSON implements json.Unmarshaler. A JSON null changes nothing.
func (e *Event) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var j eventJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Event{Seq: j.Seq, Time: j.Time, Kind: j.Kind, Path: j.Path, Correlation: j.Correlation,
		Err: textError(j.Error), Rule: j.Rule, Reason: j.Reason, Goroutines: j.Goroutines}
	set(&e.Generation, j.Generation)
	set(&e.Attempt, j.Attempt)
	set(&e.State, j.State)
	set(&e.Exit, j.Exit)
	set(&e.Command, j.Command)
	set(&e.Audit, j.Audit)
	set(&e.Count, j.Count)
	if j.Delay != nil {
		e.Delay = time.Duration(*j.Delay)
	}
	return nil
}

// set copies *p to *dst if p is not nil.
func set[T any](dst *T, p *T) {
	if p != nil {
		*dst = *p
	}
}

// jsonExtra is a field a type writes beside those encoding/json writes for
// it: a time.Duration as text, an error as its text (absent when nil or
// empty), or a number present only where it applies. The struct field
// itself is tagged `json:"-"`. Exactly one of dur, err and num is set.
type jsonExtra struct {
	key  string
	dur  *time.Duration
	err  *error
	num  *int
	omit bool // the field does not apply: leave it out
}

// marshalExtra encodes plain, a value of a type with no methods, and adds
// the extra fields at the end of its object.
func marshalExtra(plain any, extras ...jsonExtra) ([]byte, error) {
	b, err := json.Marshal(plain)
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-1] // the closing brace
	for _, x := range extras {
		var v any
		switch {
		case x.omit:
			continue
		case x.dur != nil:
			v = jsonDuration(*x.dur)
		case x.num != nil:
			v = *x.num
		default:
			text := textfmt.Error(*x.err)
			if text == "" {
				continue
			}
			v = text
		}
		vb, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(strconv.AppendQuote(b, x.key), ':')
		b = append(b, vb...)
	}
	return append(b, '}'), nil
}

// unmarshalExtra decodes b into plain, and the extra fields into theirs.
// A JSON null changes nothing, as for encoding/json.
func unmarshalExtra(b []byte, plain any, extras ...jsonExtra) error {
	if isNull(b) {
		return nil
	}
	if err := json.Unmarshal(b, plain); err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	for _, x := range extras {
		raw, ok := fields[x.key]
		switch {
		case x.dur != nil:
			var d jsonDuration
			if ok {
				if err := json.Unmarshal(raw, &d); err != nil {
					return fmt.Errorf("%s: %w", x.key, err)
				}
			}
			*x.dur = time.Duration(d)
		case x.num != nil:
			*x.num = 0
			if ok {
				if err := json.Unmarshal(raw, x.num); err != nil {
					return fmt.Errorf("%s: %w", x.key, err)
				}
			}
		default:
			var text string
			if ok {
				if err := json.Unmarshal(raw, &text); err != nil {
					return fmt.Errorf("%s: %w", x.key, err)
				}
			}
			*x.err = textError(text)
		}
	}
	return nil
}

// MarshalJSON implements json.Marshaler: the error as its text.
func (x Exit) MarshalJSON() ([]byte, error) {
	type plain Exit
	return marshalExtra(plain(x), jsonExtra{key: "error", err: &x.Err})
}

// UnmarshalJSON implements json.Unmarshaler.
func (x *Exit) UnmarshalJSON(b []byte) error {
	type plain Exit
	return unmarshalExtra(b, (*plain)(x), jsonExtra{key: "error", err: &x.Err})
}

// MarshalJSON implements json.Marshaler: Period as text.
func (i Intensity) MarshalJSON() ([]byte, error) {
	type plain Intensity
	return marshalExtra(plain(i), jsonExtra{key: "period", dur: &i.Period})
}

// UnmarshalJSON implements json.Unmarshaler.
func (i *Intensity) UnmarshalJSON(b []byte) error {
	type plain Intensity
	return unmarshalExtra(b, (*plain)(i), jsonExtra{key: "period", dur: &i.Period})
}

// MarshalJSON implements json.Marshaler: Refill as text.
func (b Budget) MarshalJSON() ([]byte, error) {
	type plain Budget
	return marshalExtra(plain(b), jsonExtra{key: "refill", dur: &b.Refill})
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Budget) UnmarshalJSON(data []byte) error {
	type plain Budget
	return unmarshalExtra(data, (*plain)(b), jsonExtra{key: "refill", dur: &b.Refill})
}

// MarshalJSON implements json.Marshaler: Duration as text (absent for a
// child that had already exited: nothing was stopped), the error as its
// text.
func (o ChildOutcome) MarshalJSON() ([]byte, error) {
	type plain ChildOutcome
	return marshalExtra(plain(o), jsonExtra{key: "error", err: &o.Err},
		jsonExtra{key: "duration", dur: &o.Duration, omit: o.Outcome == OutcomeAlreadyExited})
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *ChildOutcome) UnmarshalJSON(b []byte) error {
	type plain ChildOutcome
	return unmarshalExtra(b, (*plain)(o), jsonExtra{key: "error", err: &o.Err}, jsonExtra{key: "duration", dur: &o.Duration})
}

// MarshalJSON implements json.Marshaler: Duration as text.
func (r ShutdownReport) MarshalJSON() ([]byte, error) {
	type plain ShutdownReport
	return marshalExtra(plain(r), jsonExtra{key: "duration", dur: &r.Duration})
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *ShutdownReport) UnmarshalJSON(b []byte) error {
	type plain ShutdownReport
	return unmarshalExtra(b, (*plain)(r), jsonExtra{key: "duration", dur: &r.Duration})
}

// MarshalJSON implements json.Marshaler: the error as its text.
func (s RunSummary) MarshalJSON() ([]byte, error) {
	type plain RunSummary
	return marshalExtra(plain(s), jsonExtra{key: "error", err: &s.Err})
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *RunSummary) UnmarshalJSON(b []byte) error {
	type plain RunSummary
	return unmarshalExtra(b, (*plain)(s), jsonExtra{key: "error", err: &s.Err})
}

// MarshalJSON implements json.Marshaler: the error as its text.
func (c Change) MarshalJSON() ([]byte, error) {
	type plain Change
	return marshalExtra(plain(c), jsonExtra{key: "error", err: &c.Err})
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Change) UnmarshalJSON(b []byte) error {
	type plain Change
	return unmarshalExtra(b, (*plain)(c), jsonExtra{key: "error", err: &c.Err})
}

// MarshalJSON implements json.Marshaler: Tokens only with a Budget, even 0.
func (s SupervisorInfo) MarshalJSON() ([]byte, error) {
	type plain SupervisorInfo
	return marshalExtra(plain(s), jsonExtra{key: "tokens", num: &s.Tokens, omit: s.Budget == Budget{}})
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *SupervisorInfo) UnmarshalJSON(b []byte) error {
	type plain SupervisorInfo
	return unmarshalExtra(b, (*plain)(s), jsonExtra{key: "tokens", num: &s.Tokens})
}
