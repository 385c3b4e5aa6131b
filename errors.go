package supervisor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Sentinel errors. Test for them with errors.Is. The typed errors below
// carry details instead: test for them with errors.As or errors.AsType.
var (
	// ErrStop, returned (or wrapped) by a child, is a normal exit with a
	// reason, OTP's {shutdown, Reason}: Transient children are not restarted.
	// Wrap it to give the reason: fmt.Errorf("%w: drained", supervisor.ErrStop).
	ErrStop = errors.New("supervisor: child stopped")
	// ErrEscalate, returned (or wrapped) by a child, makes its supervisor
	// give up at once: it stops its other children and ends with an
	// *EscalationError, which its parent handles as an abnormal exit.
	ErrEscalate = errors.New("supervisor: child escalated")

	// ErrStartTimeout is the exit error of a child that did not call Ready
	// within its StartTimeout.
	ErrStartTimeout = errors.New("supervisor: child did not become ready in time")
	// ErrGoexit is the exit error of a child whose goroutine called
	// runtime.Goexit (for example t.FailNow) instead of returning.
	ErrGoexit = errors.New("supervisor: child called runtime.Goexit")

	// ErrNotFound: no child has the given path.
	ErrNotFound = errors.New("supervisor: child not found")
	// ErrAlreadyExists: a sibling already has the child's name.
	ErrAlreadyExists = errors.New("supervisor: child already exists")
	// ErrNotSupervisor: the path names a worker where a supervisor is needed.
	ErrNotSupervisor = errors.New("supervisor: not a supervisor")
	// ErrNotRunning: the path goes through a nested supervisor that is not
	// running (stopped, paused, restarting), so its children do not exist.
	ErrNotRunning = errors.New("supervisor: supervisor not running")
	// ErrInvalidPath: the path does not follow the path grammar.
	ErrInvalidPath = errors.New("supervisor: invalid path")
	// ErrShuttingDown: the tree (or the supervisor addressed) is stopping or
	// has stopped.
	ErrShuttingDown = errors.New("supervisor: shutting down")
	// ErrInvalidAudit: a control call's Audit lacks Who or Why. The
	// error wrapping it says which.
	ErrInvalidAudit = errors.New("supervisor: invalid audit record")
	// ErrClosed is returned by Subscription.Next once the subscription is
	// closed, or once the tree has ended and every event was delivered.
	ErrClosed = errors.New("supervisor: subscription closed")
)

// PanicError is the exit error of a child that panicked.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the panicking goroutine's stack, from runtime/debug.Stack.
	Stack []byte
	msg   string
}

func newPanicError(v any, stack []byte) *PanicError {
	return &PanicError{Value: v, Stack: stack, msg: fmt.Sprintf("supervisor: child panicked: %v", v)}
}

func (e *PanicError) Error() string { return e.msg }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// IntensityError ends a supervisor whose children needed more restarts than
// its Intensity allows.
type IntensityError struct {
	// Path is the supervisor's path.
	Path string
	// Group is the group whose intensity was exceeded, or "" for the
	// supervisor's own.
	Group string
	// Child is the path of the child whose restart was refused.
	Child string
	// Intensity is the limit that was exceeded.
	Intensity Intensity
}

func (e *IntensityError) Error() string {
	what := "supervisor " + e.Path
	if e.Group != "" {
		what += " group " + e.Group
	}
	restarts := "restarts"
	if e.Intensity.MaxRestarts == 1 {
		restarts = "restart"
	}
	return fmt.Sprintf("%s: restart intensity exceeded (%d %s in %s) restarting %s",
		what, e.Intensity.MaxRestarts, restarts, textfmt.Duration(e.Intensity.Period), e.Child)
}

// EscalationError ends a supervisor whose child returned ErrEscalate.
type EscalationError struct {
	// Path is the supervisor's path.
	Path string
	// Child is the path of the child that escalated.
	Child string
	// Err is the child's exit error.
	Err error
}

func (e *EscalationError) Error() string {
	return fmt.Sprintf("supervisor %s: child %s escalated: %v", e.Path, e.Child, e.Err)
}

// Unwrap returns the child's error.
func (e *EscalationError) Unwrap() error { return e.Err }

// StartError reports a child that failed to start: it exited before calling
// Ready, or did not call it within its StartTimeout. Start returns one when a
// child of the initial tree fails, and AddChild, RestartChild and ResumeChild
// when the child they start fails.
type StartError struct {
	// Path is the child's path.
	Path string
	// Err is why it failed: its exit error, or ErrStartTimeout. For a nested
	// supervisor whose own child failed to start, it is that child's
	// *StartError.
	Err error
}

func (e *StartError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("supervisor: child %s exited before it was ready", e.Path)
	}
	return fmt.Sprintf("supervisor: child %s failed to start: %v", e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *StartError) Unwrap() error { return e.Err }

// AbandonedError is the result of a tree whose shutdown left goroutines
// running: children that overran their budget and goroutines they started.
type AbandonedError struct {
	// Paths are the children whose goroutines are still running.
	Paths []string
	// Goroutines is how many goroutines carrying the tree's labels were
	// still running when the shutdown report was written.
	Goroutines int
}

func (e *AbandonedError) Error() string {
	return fmt.Sprintf("supervisor: %d goroutine(s) left running after shutdown (children %s)",
		e.Goroutines, strings.Join(e.Paths, ", "))
}

// existsError is ErrAlreadyExists for the child at path, which it names.
type existsError struct{ path string }

func (e *existsError) Error() string { return "supervisor: child " + e.path + " already exists" }

// Is reports whether target is ErrAlreadyExists.
func (e *existsError) Is(target error) bool { return target == ErrAlreadyExists }

// OpError reports a failed control call, like os.PathError.
type OpError struct {
	// Op is the call: "add", "remove", "restart", "pause", "resume",
	// "quarantine", "reset", "shutdown", "update" (a step of Apply), or
	// "check" (Tree.Check: Path is then the supervisor whose control loop
	// did not answer, and Err why the wait ended, such as
	// context.DeadlineExceeded).
	Op string
	// Path is the child (or, for add, the parent) it addressed.
	Path string
	// Err is the cause, often a sentinel such as ErrNotFound.
	Err error
}

func (e *OpError) Error() string {
	return "supervisor: " + e.Op + " " + e.Path + ": " + strings.TrimPrefix(e.Err.Error(), "supervisor: ")
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// ParseError reports text that names no value of an enumeration.
type ParseError struct {
	What  string
	Value string
	Valid []string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("supervisor: unknown %s %q: use one of %s", e.What, e.Value, strings.Join(e.Valid, ", "))
}
