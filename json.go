package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
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

// durationString writes d as a config file would: Go's duration text
// without trailing zero units ("5m", not "5m0s"), or "infinity".
func durationString(d time.Duration) string {
	if d == Infinity {
		return "infinity"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parseDuration reads what durationString writes.
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
	return []byte(durationString(time.Duration(d))), nil
}

func (d *jsonDuration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	*d = jsonDuration(v)
	return err
}

// errorText calls err.Error, turning a panic in a user's Error method into
// text instead of a crash of its caller. It returns "" for nil.
func errorText(err error) (s string) {
	if err == nil {
		return ""
	}
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("(Error method panicked: %v)", r)
		}
	}()
	return err.Error()
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
		Error: errorText(e.Err), Rule: e.Rule, Reason: e.Reason, Goroutines: e.Goroutines}
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

// UnmarshalJSON implements json.Unmarshaler.
func (e *Event) UnmarshalJSON(b []byte) error {
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

// MarshalJSON implements json.Marshaler: the error as its text.
func (x Exit) MarshalJSON() ([]byte, error) {
	type plain Exit
	return json.Marshal(struct {
		plain
		Error string `json:"error,omitempty"`
	}{plain(x), errorText(x.Err)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (x *Exit) UnmarshalJSON(b []byte) error {
	type plain Exit
	v := struct {
		*plain
		Error string `json:"error"`
	}{plain: (*plain)(x)}
	err := json.Unmarshal(b, &v)
	x.Err = textError(v.Error)
	return err
}

// MarshalJSON implements json.Marshaler: Period as text.
func (i Intensity) MarshalJSON() ([]byte, error) {
	type plain Intensity
	return json.Marshal(struct {
		plain
		Period jsonDuration `json:"period"`
	}{plain(i), jsonDuration(i.Period)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (i *Intensity) UnmarshalJSON(b []byte) error {
	type plain Intensity
	v := struct {
		*plain
		Period jsonDuration `json:"period"`
	}{plain: (*plain)(i)}
	err := json.Unmarshal(b, &v)
	i.Period = time.Duration(v.Period)
	return err
}

// MarshalJSON implements json.Marshaler: Refill as text.
func (b Budget) MarshalJSON() ([]byte, error) {
	type plain Budget
	return json.Marshal(struct {
		plain
		Refill jsonDuration `json:"refill"`
	}{plain(b), jsonDuration(b.Refill)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Budget) UnmarshalJSON(data []byte) error {
	type plain Budget
	v := struct {
		*plain
		Refill jsonDuration `json:"refill"`
	}{plain: (*plain)(b)}
	err := json.Unmarshal(data, &v)
	b.Refill = time.Duration(v.Refill)
	return err
}

// MarshalJSON implements json.Marshaler: Duration as text, the error as
// its text.
func (o ChildOutcome) MarshalJSON() ([]byte, error) {
	type plain ChildOutcome
	return json.Marshal(struct {
		plain
		Error    string       `json:"error,omitempty"`
		Duration jsonDuration `json:"duration"`
	}{plain(o), errorText(o.Err), jsonDuration(o.Duration)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *ChildOutcome) UnmarshalJSON(b []byte) error {
	type plain ChildOutcome
	v := struct {
		*plain
		Error    string       `json:"error"`
		Duration jsonDuration `json:"duration"`
	}{plain: (*plain)(o)}
	err := json.Unmarshal(b, &v)
	o.Err, o.Duration = textError(v.Error), time.Duration(v.Duration)
	return err
}

// MarshalJSON implements json.Marshaler: Duration as text.
func (r ShutdownReport) MarshalJSON() ([]byte, error) {
	type plain ShutdownReport
	return json.Marshal(struct {
		plain
		Duration jsonDuration `json:"duration"`
	}{plain(r), jsonDuration(r.Duration)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *ShutdownReport) UnmarshalJSON(b []byte) error {
	type plain ShutdownReport
	v := struct {
		*plain
		Duration jsonDuration `json:"duration"`
	}{plain: (*plain)(r)}
	err := json.Unmarshal(b, &v)
	r.Duration = time.Duration(v.Duration)
	return err
}

// MarshalJSON implements json.Marshaler: the error as its text.
func (s RunSummary) MarshalJSON() ([]byte, error) {
	type plain RunSummary
	return json.Marshal(struct {
		plain
		Error string `json:"error,omitempty"`
	}{plain(s), errorText(s.Err)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *RunSummary) UnmarshalJSON(b []byte) error {
	type plain RunSummary
	v := struct {
		*plain
		Error string `json:"error"`
	}{plain: (*plain)(s)}
	err := json.Unmarshal(b, &v)
	s.Err = textError(v.Error)
	return err
}

// MarshalJSON implements json.Marshaler: the error as its text.
func (c Change) MarshalJSON() ([]byte, error) {
	type plain Change
	return json.Marshal(struct {
		plain
		Error string `json:"error,omitempty"`
	}{plain(c), errorText(c.Err)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Change) UnmarshalJSON(b []byte) error {
	type plain Change
	v := struct {
		*plain
		Error string `json:"error"`
	}{plain: (*plain)(c)}
	err := json.Unmarshal(b, &v)
	c.Err = textError(v.Error)
	return err
}
