package process

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// maxStderrLen bounds the stderr line an ExitError keeps.
const maxStderrLen = 512

// ExitError reports a program that exited with a non-zero code, was
// terminated by a signal, or was killed by Run after its stop budget.
//
// Its ExitCode method lets a supervisor.Rule match it with ExitCodes: the
// exit code, or 128 plus the signal's number for a program terminated by a
// signal, as shells report it (143 for SIGTERM, 137 for SIGKILL).
type ExitError struct {
	// Path is the program that ran, as found in PATH.
	Path string
	// Pid was its process id.
	Pid int
	// Code is the exit code, or -1 if a signal terminated the program.
	Code int
	// Signal is the signal that terminated the program, or 0.
	Signal syscall.Signal
	// CoreDumped is true if the program dumped core.
	CoreDumped bool
	// Killed is true if Run killed the program's group with SIGKILL because
	// it had not exited within its stop budget after the StopSignal. Code
	// and Signal still say how it ended (normally SIGKILL; a program that
	// exited at the same moment keeps its own status).
	Killed bool
	// Stderr is the last non-empty line the program wrote to stderr, with
	// secrets masked and cut to 512 bytes; "" if none.
	Stderr string

	stopSignal syscall.Signal // what Run sent first, when Killed
	waited     time.Duration  // how long it waited before the kill
}

// ExitCode returns the exit code, or 128 plus the number of the signal
// that terminated the program.
func (e *ExitError) ExitCode() int {
	if e.Signal != 0 {
		return 128 + int(e.Signal)
	}
	return e.Code
}

func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "process %s (pid %d) ", e.Path, e.Pid)
	switch {
	case e.Killed:
		fmt.Fprintf(&b, "ignored %s for %s: killed its process group with SIGKILL", SignalName(e.stopSignal),
			textfmt.Duration(e.waited.Round(time.Millisecond)))
		if e.Signal != syscall.SIGKILL {
			b.WriteString(" (it had exited on its own: " + e.status() + ")")
		}
	default:
		b.WriteString(e.status())
	}
	if e.Stderr != "" {
		b.WriteString("; last stderr line: " + strconv.Quote(e.Stderr))
	}
	return b.String()
}

// status says how the program ended.
func (e *ExitError) status() string {
	if e.Signal == 0 {
		return "exited with code " + strconv.Itoa(e.Code)
	}
	s := "was terminated by " + SignalName(e.Signal)
	if e.CoreDumped {
		s += " (core dumped)"
	}
	return s
}

// lastLine cuts a masked stderr line for an ExitError.
func lastLine(s string) string {
	if len(s) <= maxStderrLen {
		return s
	}
	return strings.ToValidUTF8(s[:maxStderrLen], "") + "..."
}
