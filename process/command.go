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
package process

import (
	"log/slog"
	"syscall"
)

// Command describes a program run as a supervised child. Only Path is
// required.
type Command struct {
	// Path is the program: a file path, or a name looked up in PATH when it
	// contains no slash.
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Env holds "KEY=VALUE" entries added to the program's environment.
	// A VALUE may refer to ${NAME} (the supervisor's environment variable
	// NAME, required), ${NAME:-default} (optional, with a default) or
	// ${file:/path} (the contents of a file without a trailing newline,
	// such as a secret mounted by the platform; required). References are
	// resolved at each start; a missing one fails the start with an error
	// naming it, and resolved values never appear in logs or events.
	Env []string
	// CleanEnv starts the program with Env only. By default it inherits
	// the supervisor's environment, as os/exec does, and Env adds to it.
	CleanEnv bool
	// Dir is the working directory; empty means the supervisor's.
	Dir string
	// StopSignal asks the program to stop. Zero means SIGTERM.
	StopSignal syscall.Signal
	// Ready says when the program counts as ready; its zero value is
	// ready as soon as it has started. A child whose Command has a Ready
	// check must have supervisor.ReadinessExplicit (see Command.Child).
	Ready Ready
	// Limits are resource limits applied to the program before it runs.
	Limits Limits
	// Logger receives the program's output, one record per line, with the
	// child's path and the stream. Nil means slog.Default().
	Logger *slog.Logger
	// Lookup resolves ${NAME} references. Nil means os.LookupEnv.
	Lookup func(name string) (string, bool)
}

// Ready is a readiness check for a Command.
type Ready struct {
	// Line is a regular expression: the program is ready once a line of
	// its output (stdout or stderr) matches it.
	Line string
	// Addr is a TCP address ("127.0.0.1:8080", or ":8080" for localhost):
	// the program is ready once a connection to it succeeds.
	Addr string
}

// Limits are resource limits for a program. Zero leaves a limit as the
// supervisor's own.
type Limits struct {
	// OpenFiles caps the program's open file descriptors (RLIMIT_NOFILE).
	OpenFiles uint64
	// AddressSpace caps the program's virtual memory in bytes (RLIMIT_AS).
	AddressSpace uint64
}
