package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Duration is a length of time, written as a Go duration string: numbers
// with units, such as 250ms, 5s or 1m30s (units ns, us, ms, s, m, h). It is
// never negative; where 0 would mean "the default", a config file leaves the
// key out instead.
type Duration time.Duration

// durationPattern is the syntax of a Duration, as the JSON Schema gives it.
var durationPattern = regexp.MustCompile(`^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b), false)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String returns the duration as a config file writes it: as
// time.Duration prints it, without trailing zero units ("5m", not "5m0s").
// The library's JSON writes durations the same way.
func (d Duration) String() string { return textfmt.Duration(time.Duration(d)) }

// parseDuration parses a Duration, or the duration of a Timeout, whose
// messages say that it may be infinity too.
func parseDuration(s string, timeout bool) (time.Duration, error) {
	or, orInfinity := "", ""
	if timeout {
		or, orInfinity = ", or infinity", "; write infinity for no limit"
	}
	switch {
	case strings.HasPrefix(s, "-"):
		return 0, fmt.Errorf("%s is negative: a duration here is more than 0", s)
	case isDigits(s):
		return 0, fmt.Errorf("%s has no unit: write %ss or %sms, for instance", s, s, s)
	case !durationPattern.MatchString(s):
		return 0, fmt.Errorf("%q is not a duration: write a number and a unit (ns, us, ms, s, m, h), such as 250ms, 5s or 1m30s%s", s, or)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s is too long: the maximum is %v, about 292 years%s", s, time.Duration(math.MaxInt64), orInfinity)
	}
	return v, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Timeout is a Duration or infinity: no limit at all (supervisor.Infinity).
type Timeout time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Timeout) UnmarshalText(b []byte) error {
	if string(b) == "infinity" {
		*t = Timeout(supervisor.Infinity)
		return nil
	}
	v, err := parseDuration(string(b), true)
	if err != nil {
		return err
	}
	*t = Timeout(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (t Timeout) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// String returns "infinity" for supervisor.Infinity, and the duration as
// time.Duration prints it otherwise.
func (t Timeout) String() string {
	if time.Duration(t) == supervisor.Infinity {
		return "infinity"
	}
	return time.Duration(t).String()
}

// Size is a number of bytes: an integer, or a string of digits and a unit:
// B, KiB, MiB, GiB, TiB (powers of 1024) or kB, KB, MB, GB, TB (powers of
// 1000), such as 512MiB or 1GiB.
type Size uint64

// sizePattern is the syntax of a Size written as a string, as the JSON
// Schema gives it.
var sizePattern = regexp.MustCompile(`^[0-9]+(B|KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB)?$`)

var sizeUnits = map[string]uint64{
	"": 1, "B": 1,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	"kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Size) UnmarshalText(b []byte) error {
	text := string(b)
	if neg, ok := strings.CutPrefix(text, "-"); ok && sizePattern.MatchString(neg) {
		return fmt.Errorf("%s is negative: write a size of 1 byte or more, such as 512MiB", text)
	}
	if !sizePattern.MatchString(text) {
		return fmt.Errorf("%q is not a size: write a number of bytes, or a number and a unit (B, KiB, MiB, GiB, TiB, kB, MB, GB, TB), such as 512MiB", text)
	}
	digits := strings.TrimRightFunc(text, func(r rune) bool { return r < '0' || r > '9' })
	n, err := strconv.ParseUint(digits, 10, 64)
	unit := sizeUnits[text[len(digits):]]
	if err != nil || n > math.MaxUint64/unit {
		return errors.New(text + " is too large: the maximum is 18446744073709551615 bytes, 1 byte under 16EiB")
	}
	*s = Size(n * unit)
	return nil
}

// MarshalText implements encoding.TextMarshaler: the number of bytes.
func (s Size) MarshalText() ([]byte, error) { return strconv.AppendUint(nil, uint64(s), 10), nil }
