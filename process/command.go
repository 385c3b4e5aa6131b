// Package process runs OS processes as supervised children.
//
// A Command describes one program. Command.Run is a supervisor child's Run
// function: each attempt starts the program in its own process group,
// forwards its output lines to a logger, and returns when the program
// exits, with an *ExitError for a non-zero exit or a signal. When the
// supervisor stops the child, Run sends the StopSignal to the whole group,
// waits for the program within the child's shutdown budget, and only then
// kills the group with SIGKILL: the one brutal kill in go-supervisor,
// always reported.
//
//	db := &process.Command{
//		Path:  "/usr/bin/postgres",
//		Args:  []string{"-D", "/var/lib/postgres"},
//		Env:   []string{"PGPASSWORD=${file:/run/secrets/pg}"},
//		Ready: process.Ready{Addr: ":5432"},
//	}
//	tree, err := supervisor.Start(ctx, supervisor.Spec{
//		Children: []supervisor.Child{db.Child("db"), api.Child("api")},
//	})
//
// # Lifecycle of an attempt
//
// Run validates the command (see Validate), resolves the references in Env
// (see EnvError) and starts the program with its standard input on
// /dev/null, in a new process group whose id is the program's pid. On
// Linux the program also gets SIGKILL as its parent-death signal, so that
// a crash of the supervisor's process leaves no orphan behind (the kernel
// clears it when the program executes a set-user-ID file). Resource
// Limits are applied right after the start (see Limits for the window this
// leaves). The program counts as ready as described at Ready.
//
// Once the program (the group's leader) exits, for any reason, Run kills
// what is left of its process group with SIGKILL, so that no grandchild
// survives it, and reaps the program. A grandchild that left the group
// (setsid, setpgid: a program that daemonizes) escapes this: run such
// programs in the foreground. Grandchildren that were killed are reaped by
// init, or by the nearest subreaper: Run only reaps the process it started.
//
// # Output
//
// Each line the program writes to stdout or stderr becomes one log record
// at level INFO whose message is the line, with the attributes path (the
// child's path, from supervisor.Info), pid and stream ("stdout" or
// "stderr"). Both streams log at INFO: many programs, Go's among them, write
// all of their logs to stderr, so the stream says nothing about severity.
// Empty lines are skipped; a line longer than MaxLineLen is cut there, the
// rest of it dropped, and the record gets the attribute truncated=true. A
// slow logger slows the program down once the pipe's buffer is full, never
// more. Run also logs the start at level DEBUG ("process started", with the
// program's path) and a kill at level WARN.
//
// # Secrets
//
// Values that came from the environment or a file through an Env reference
// are secrets: each one at least MinSecretLen bytes long (and each such line
// of a multi-line value) is replaced by "***" in forwarded lines and in
// ExitError.Stderr, and no error of this package contains a resolved value.
// Shorter values are left alone: masking every "1" or "on" in the output
// would mangle it without protecting anything.
//
// # Platforms
//
// Run is implemented for Linux. Elsewhere the package compiles, and
// Validate, ParseSignal and Child work, but Run fails with an error
// wrapping errors.ErrUnsupported.
package process

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"syscall"

	"github.com/go-supervisor/supervisor"
)

// MaxLineLen bounds a forwarded output line, in bytes. The rest of a longer
// line is dropped, and its record has the attribute truncated=true.
const MaxLineLen = 64 << 10

// Command describes a program run as a supervised child. Only Path is
// required. A Command must not be changed while a Run of it is in
// progress; Command.Child takes a copy.
type Command struct {
	// Path is the program: a file path (relative to Dir if relative), or
	// a name looked up in the supervisor's PATH when it contains no slash.
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Env holds "KEY=VALUE" entries added to the program's environment;
	// a later entry for the same KEY wins.
	//
	// A VALUE may refer to ${NAME} (the supervisor's environment variable
	// NAME, required; set but empty counts as set), ${NAME:-default}
	// (optional: the default when NAME is unset or empty) or
	// ${file:/path} (the contents of a file without its trailing newline,
	// such as a secret mounted by the platform; required; at most 1 MiB).
	// NAME is letters, digits and '_', not starting with a digit; a default
	// is literal text up to the first '}'. $$ stands for a literal $, and
	// any other $ is an error, so that a $NAME meant as ${NAME} does not
	// pass silently.
	//
	// References are resolved at each start; a missing one fails the start
	// with an *EnvError naming it, and resolved values never appear in logs
	// or errors (see the package documentation on secrets).
	Env []string
	// CleanEnv starts the program with Env only. By default it inherits
	// the supervisor's environment, as os/exec does, and Env adds to it.
	CleanEnv bool
	// Dir is the working directory; empty means the supervisor's.
	Dir string
	// StopSignal asks the program to stop; it is sent to the program's
	// whole process group. Zero means SIGTERM.
	StopSignal syscall.Signal
	// Ready says when the program counts as ready; its zero value is
	// ready as soon as it has started. Run reports readiness with
	// supervisor.Ready, which only a child with
	// supervisor.ReadinessExplicit waits for (see Command.Child).
	Ready Ready
	// Limits are resource limits applied to the program.
	Limits Limits
	// Logger receives the program's output, one record per line, with the
	// child's path, the pid and the stream, and the report of a kill.
	// Nil means slog.Default().
	Logger *slog.Logger
	// Lookup resolves ${NAME} references. Nil means os.LookupEnv.
	Lookup func(name string) (string, bool)
}

// Ready is a readiness check for a Command. With both fields set, both
// checks must pass: the line must have been seen, and then a connection
// must succeed. With neither, the program is ready once started.
//
// The supervisor bounds the wait with the child's StartTimeout.
type Ready struct {
	// Line is a regular expression: the program is ready once a line of
	// its output (stdout or stderr, before secrets are masked, cut at
	// MaxLineLen) matches it.
	Line string
	// Addr is a TCP address ("127.0.0.1:8080", or ":8080" for
	// 127.0.0.1:8080): the program is ready once a connection to it
	// succeeds. Run tries every 50 milliseconds, and closes the
	// connection at once.
	Addr string
}

// Limits are resource limits for a program. Zero leaves a limit as the
// supervisor's own. A limit sets both the soft and the hard value, so
// that the program cannot raise it again (the Go runtime, for one, raises
// its soft RLIMIT_NOFILE to the hard limit at startup).
//
// Linux offers no way to set another process's limits between fork and
// exec from Go, so Run sets them with prlimit(2) on the new pid right
// after the program has started (before it is reported ready). For that
// window, a few microseconds, the program runs with the supervisor's
// limits: what it allocates or opens then is not undone, and a process it
// forks then keeps the old limits. A limit that cannot be applied (raising
// a hard limit above the supervisor's own needs CAP_SYS_RESOURCE) fails the
// start: the program is killed and Run returns the error.
type Limits struct {
	// OpenFiles caps the program's open file descriptors (RLIMIT_NOFILE).
	// It cannot be unlimited: the kernel caps it at fs.nr_open.
	OpenFiles uint64
	// AddressSpace caps the program's virtual memory in bytes (RLIMIT_AS).
	// math.MaxUint64 is unlimited.
	AddressSpace uint64
}

// Run runs the program once, as a supervisor child's Run function: it
// returns when the program has exited, with nil for exit code 0 and an
// *ExitError otherwise. It fails before starting anything, with a
// *supervisor.ValidationError if Validate finds problems and with an
// *EnvError if a reference in Env cannot be resolved (several are joined
// with errors.Join); the supervisor reports these as a failed start.
//
// Readiness: with no Ready check, Run calls supervisor.Ready(ctx) as soon
// as the program has started (it does nothing for a child without
// supervisor.ReadinessExplicit); otherwise once the checks pass.
//
// Stop: when ctx is cancelled, Run sends the StopSignal to the program's
// process group and waits for the program to exit. If ctx is a supervised
// child's and its stop budget is finite, Run kills the group with SIGKILL
// a margin before supervisor.StopDeadline(ctx) (a tenth of the budget, at
// most 250 milliseconds), so that it still returns within the budget and
// the supervisor does not abandon it; it logs the kill at level WARN and
// returns an *ExitError with Killed set. With an infinite budget, or a
// context that is not a child's, it waits for the program without limit.
//
// Run reaps the program and returns only once the goroutines it started
// have ended. It waits at most half a second for the output pipes to close
// after the program's group is gone: a daemon that escaped the group and
// still holds them is then cut off, with a warning.
func (c *Command) Run(ctx context.Context) error {
	if ps := c.Validate(); len(ps) > 0 {
		return &supervisor.ValidationError{Problems: ps}
	}
	env, red, err := c.environ()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // asked to stop before the program started
	}
	return c.run(ctx, env, red)
}

// Child returns a supervisor child named name that runs a copy of c, taken
// now: later changes to c do not affect it. Revision is c.Revision(), so
// that Tree.Apply restarts the child when the command changes. Callers set
// the other fields (Restart, Shutdown, Rules...).
//
// Readiness is always supervisor.ReadinessExplicit: the child counts as
// started once the program runs and has passed its Ready check, if any.
// So the next sibling starts only after that, and a program that cannot
// start (a missing reference, program or directory, a limit that cannot
// be set) fails the child's start: supervisor.Start, AddChild and
// RestartChild return a *supervisor.StartError. The child's StartTimeout
// bounds the wait.
func (c *Command) Child(name string) supervisor.Child {
	cc := c.clone()
	return supervisor.Child{Name: name, Run: cc.Run, Readiness: supervisor.ReadinessExplicit, Revision: cc.Revision()}
}

// Revision returns a stable hash of what the command runs: Path, Args,
// Env (as written: references are resolved at each start, so a changed
// secret does not change it), CleanEnv, Dir, StopSignal (zero and SIGTERM
// are the same), Ready and Limits. Logger and Lookup are left out.
func (c *Command) Revision() string {
	stop := c.StopSignal
	if stop == 0 {
		stop = syscall.SIGTERM
	}
	b, err := json.Marshal(struct {
		V          int
		Path       string
		Args, Env  []string
		CleanEnv   bool
		Dir        string
		StopSignal int
		Ready      Ready
		Limits     Limits
	}{1, c.Path, c.Args, c.Env, c.CleanEnv, c.Dir, int(stop), c.Ready, c.Limits})
	if err != nil {
		panic("process: encoding a command cannot fail: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// clone returns a copy of c that shares no slice with it.
func (c *Command) clone() *Command {
	cc := *c
	cc.Args = slices.Clone(c.Args)
	cc.Env = slices.Clone(c.Env)
	return &cc
}

// stopSignal returns the signal that asks the program to stop.
func (c *Command) stopSignal() syscall.Signal {
	if c.StopSignal == 0 {
		return syscall.SIGTERM
	}
	return c.StopSignal
}
