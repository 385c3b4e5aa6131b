// Package textfmt writes the values that the library's JSON, logs and
// messages share as text: durations as config files write them, and the
// text of an error whose Error method may panic.
package textfmt

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Duration writes d as a config file would: Go's duration text without
// trailing zero units ("5m", not "5m0s"; "1h30m", not "1h30m0s"), or
// "infinity" for the largest duration (supervisor.Infinity).
func Duration(d time.Duration) string {
	if d == math.MaxInt64 {
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

// Error returns err's text, "" for nil. A panic in a user's Error method
// becomes text instead of a crash of the caller.
func Error(err error) (s string) {
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
