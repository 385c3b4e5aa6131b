//go:build linux

package process_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"syscall"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/process"
)

func TestValidate(t *testing.T) {
	ok := process.Command{Path: "/bin/true"}
	for _, tc := range []struct {
		name string
		edit func(c *process.Command)
		want []string // "field: message substring", in order
	}{
		{"valid", func(c *process.Command) {
			c.Args = []string{"-x"}
			c.Env = []string{"A=${B}", "C=${D:-}", "E=${file:/run/secret}", "F=$$ and ${G:-x y}", "H=", "I=${file:-x}"}
			c.StopSignal = syscall.SIGINT
			c.Ready = process.Ready{Line: "^up", Addr: "localhost:80"}
			c.Limits = process.Limits{OpenFiles: 1024, AddressSpace: math.MaxUint64}
		}, nil},
		{"empty path", func(c *process.Command) { c.Path = "" },
			[]string{"path: must not be empty: set the program to run"}},
		{"NUL bytes", func(c *process.Command) {
			c.Path, c.Args, c.Dir = "a\x00b", []string{"ok", "x\x00"}, "/tmp\x00"
		}, []string{"path: has a NUL byte", "args[1]: has a NUL byte", "dir: has a NUL byte"}},
		{"env entries", func(c *process.Command) {
			c.Env = []string{
				"NOEQUALS",
				"=value",
				"LONE=cost $5",
				"OPEN=${NAME",
				"EMPTY=${}",
				"DIGIT=${1X}",
				"OP=${NAME:=x}",
				"FILE=${file:}",
				"GOOD=fine",
				"NUL=a\x00b",
			}
		}, []string{
			`env[0]: the entry has no "=": write KEY=VALUE`,
			`env[1]: the entry has an empty KEY`,
			`env[2]: LONE has a lone "$" at byte 5 of its value: write ${NAME} for a reference, or $$ for a literal $`,
			`env[3]: OPEN has a reference at byte 0 of its value with no closing "}"`,
			`env[4]: EMPTY has a reference at byte 0 of its value that is empty`,
			`env[5]: DIGIT has a reference at byte 0 of its value that does not start with a variable name`,
			`env[6]: OP has a reference at byte 0 of its value that has something other than "}" or ":-" after its name: write ${NAME} or ${NAME:-default}`,
			`env[7]: FILE has a reference at byte 0 of its value that names no file`,
			`env[9]: NUL has a NUL byte in its value`,
		}},
		{"signals", func(c *process.Command) { c.StopSignal = -3 },
			[]string{"stopSignal: -3 is not a signal: use one such as SIGTERM"}},
		{"unknown signal", func(c *process.Command) { c.StopSignal = 200 },
			[]string{"stopSignal: 200 is not a signal"}},
		{"SIGSTOP", func(c *process.Command) { c.StopSignal = syscall.SIGSTOP },
			[]string{"stopSignal: SIGSTOP freezes the program"}},
		{"ready", func(c *process.Command) { c.Ready = process.Ready{Line: "(", Addr: "8080"} },
			[]string{`ready.line: "(" is not a regular expression`, `ready.addr: "8080" is not host:port: write 127.0.0.1:8080, or :8080`}},
		{"ready port", func(c *process.Command) { c.Ready.Addr = ":http" },
			[]string{`ready.addr: ":http" has port "http": use a number from 1 to 65535`}},
		{"ready port range", func(c *process.Command) { c.Ready.Addr = "127.0.0.1:70000" },
			[]string{`ready.addr: "127.0.0.1:70000" has port "70000"`}},
		{"limits", func(c *process.Command) { c.Limits.OpenFiles = math.MaxUint64 },
			[]string{"limits.openFiles: cannot be unlimited"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			got := c.Validate()
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), problems(got))
			}
			for i, p := range got {
				field, msg, _ := strings.Cut(tc.want[i], ": ")
				if p.Field != field || !strings.Contains(p.Message, msg) {
					t.Errorf("problem %d: %q, want %q", i, p, tc.want[i])
				}
			}
		})
	}
}

func problems(ps []supervisor.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// Problems never quote an Env value, which may be a secret written in
// clear.
func TestValidateDoesNotQuoteValues(t *testing.T) {
	c := process.Command{Path: "x", Env: []string{"PASSWORD=hunter2$x", "TOKEN=hunter3${hunter4!}", "K=hunter5\x00"}}
	for _, p := range c.Validate() {
		if strings.Contains(p.Message, "hunter") {
			t.Errorf("problem %q quotes the value", p)
		}
	}
}

// Run validates first and reports every problem as a
// *supervisor.ValidationError, before anything starts.
func TestRunValidates(t *testing.T) {
	c := process.Command{Env: []string{"X"}}
	err := c.Run(context.Background())
	var ve *supervisor.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Fatalf("Run: %v, want a *ValidationError with 2 problems", err)
	}
}
