package main

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The demo shows restarts, a group restart, operator commands and a clean
// shutdown, and leaves nothing running.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 4.5 seconds of real time")
	}
	var out strings.Builder
	if err := run(&out, 4500*time.Millisecond, true, false); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"child_ready          /db",
		"exit=panic",
		"because /workers/w2 failed",
		"child_backoff        /api",
		`pause by "demo-operator"`,
		`restart by "demo-operator"`,
		"PATH", // the state table
		"shutdown report: requested by demo: demo finished",
		"0 goroutines left",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
