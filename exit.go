package supervisor

import "errors"

// ExitClass classifies how an attempt of a child ended. It decides, with the
// child's RestartType, whether the child is restarted.
type ExitClass uint8

// Exit classes.
const (
	// ExitNone: the child has not exited (yet).
	ExitNone ExitClass = iota
	// ExitNormal: Run returned nil.
	ExitNormal
	// ExitShutdown: Run returned an error wrapping ErrStop, a normal exit
	// with a reason (OTP's {shutdown, Reason}).
	ExitShutdown
	// ExitStopped: the supervisor had cancelled the attempt (a clean stop),
	// whatever Run returned.
	ExitStopped
	// ExitAbnormal: Run returned any other error, called runtime.Goexit,
	// or (for a nested supervisor) the supervisor ended with an error.
	ExitAbnormal
	// ExitPanic: Run panicked; the error is a *PanicError with the stack.
	ExitPanic
	// ExitEscalate: Run returned an error wrapping ErrEscalate.
	ExitEscalate
	// ExitAbandoned: the child overran its Shutdown budget and was
	// abandoned; its goroutine may still be running.
	ExitAbandoned
)

var exitNames = []string{"none", "normal", "shutdown", "stopped", "abnormal", "panic", "escalate", "abandoned"}

func (c ExitClass) String() string { return enumString(exitNames, c) }

// MarshalText implements encoding.TextMarshaler.
func (c ExitClass) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *ExitClass) UnmarshalText(b []byte) error { return enumParse(exitNames, b, c, "exit class", 0) }

// Abnormal reports whether the class is a failure: abnormal, panic or
// escalate.
func (c ExitClass) Abnormal() bool {
	return c == ExitAbnormal || c == ExitPanic || c == ExitEscalate
}

// classify reads the result err of attempt a. It runs on the control loop
// after the exit report has been received.
func classify(a *attempt, err error) ExitClass {
	switch {
	case a.panicked:
		return ExitPanic
	case a.cancelled:
		return ExitStopped
	case a.goexit:
		return ExitAbnormal
	case err == nil:
		return ExitNormal
	case a.c.cp.pol.tree != nil:
		// A nested supervisor's error is always a failure of the child,
		// whatever it wraps: its own children's ErrStop or ErrEscalate
		// were handled by it.
		return ExitAbnormal
	case errors.Is(err, ErrEscalate):
		return ExitEscalate
	case errors.Is(err, ErrStop):
		return ExitShutdown
	default:
		return ExitAbnormal
	}
}
