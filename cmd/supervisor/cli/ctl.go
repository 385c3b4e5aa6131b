package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
	"github.com/go-supervisor/supervisor/ipc"
)

// Exit codes of ctl (docs/ctl.md), besides ExitOK (0) and ExitUsage (2).
// They share their numbers with run's, whose meanings do not fit.
const (
	// ExitRefused: the target refused the request with an error of the
	// protocol (not_found, forbidden, invalid_child...), or the child
	// asked for is not in the tree.
	ExitRefused = 1
	// ExitUnreachable: ctl cannot connect to the target, or lost it before
	// its answer (the connection ended, --timeout passed).
	ExitUnreachable = 3
	// ExitNotConfirmed: a destructive command (remove, shutdown, apply)
	// was not confirmed: the operator typed something else, or stdin is
	// not a terminal to ask on and --yes was not given.
	ExitNotConfirmed = 4
)

// SocketEnv is the environment variable ctl takes the target's socket
// from when --socket is not given.
const SocketEnv = "SUPERVISOR_SOCKET"

// defaultCtlTimeout bounds connecting and each request, by default.
const defaultCtlTimeout = 30 * time.Second

// ctlGlobals are the flags every ctl command takes, before or after its
// name.
type ctlGlobals struct {
	socket  string
	json    bool
	timeout time.Duration
}

func (g *ctlGlobals) declare(fs *flag.FlagSet) {
	fs.StringVar(&g.socket, "socket", "", "the target's IPC socket `PATH` (default $"+SocketEnv+")")
	fs.BoolVar(&g.json, "json", false, "write JSON to stdout: one object, or one per line for events and logs")
	fs.DurationVar(&g.timeout, "timeout", defaultCtlTimeout,
		"wait at most `D` to connect, and for each answer (0: no limit)")
}

// take sets the flag named name to its value in late, if it is one of
// ctl's.
func (g *ctlGlobals) take(late *ctlGlobals, name string) {
	switch name {
	case "socket":
		g.socket = late.socket
	case "json":
		g.json = late.json
	case "timeout":
		g.timeout = late.timeout
	}
}

func (g *ctlGlobals) check() error {
	if g.timeout < 0 {
		return fmt.Errorf("--timeout %s must not be negative: use 0 for no limit", textfmt.Duration(g.timeout))
	}
	return nil
}

// ctl runs "supervisor ctl": its flags, then one of its commands with the
// command's flags and operands.
func (c *cmd) ctl(args []string) int {
	g := &ctlGlobals{}
	fs := flag.NewFlagSet(c.Name+" ctl", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() {}
	g.declare(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.ctlUsage(c.Stdout, fs, g)
			return ExitOK
		}
		c.ctlUsage(c.Stderr, fs, g)
		return ExitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(c.Stderr, "%s ctl: which command? (status, events, logs, restart...)\n\n", c.Name)
		c.ctlUsage(c.Stderr, fs, g)
		return ExitUsage
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	if name == "help" && len(rest) > 0 { // ctl help COMMAND
		name, rest = rest[0], []string{"--help"}
	}
	sub := &cmd{Options: c.Options}
	sub.Name = c.Name + " ctl"
	for _, s := range sub.ctlCommands(g) {
		if s.name == name {
			return sub.ctlDispatch(s, g, rest)
		}
	}
	fmt.Fprintf(c.Stderr, "%s ctl: unknown command %q\n\n", c.Name, name)
	c.ctlUsage(c.Stderr, fs, g)
	return ExitUsage
}

// ctlUsage writes ctl's usage: its synopsis, its commands, its flags.
func (c *cmd) ctlUsage(w io.Writer, fs *flag.FlagSet, g *ctlGlobals) {
	fmt.Fprintf(w, "Usage: %s ctl [flags] COMMAND [flags] [args]\n\n"+
		"Talk to a running tree over its IPC socket (%s): look at it,\n"+
		"follow its events and logs, and command it.\n\nCommands:\n", c.Name, ipc.Protocol)
	sub := &cmd{Options: c.Options}
	for _, s := range sub.ctlCommands(g) {
		fmt.Fprintf(w, "  %-10s %-12s %s\n", s.name, s.args, s.summary)
	}
	fmt.Fprintln(w, "\nFlags (also after the command):")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(c.Stderr)
	fmt.Fprintf(w, "\nRun '%s ctl COMMAND --help' for a command's flags; docs/ctl.md is the manual.\n"+
		"Exit codes: 0 ok, 1 the target refused the request, 2 usage, 3 cannot connect, 4 not confirmed.\n", c.Name)
}

// ctlDispatch runs a ctl command as dispatch runs any: its flags are
// ctl's own too (they may come after the command), taken into g once
// parsed, then checked.
func (c *cmd) ctlDispatch(s subcommand, g *ctlGlobals, args []string) int {
	late := &ctlGlobals{} // ctl's flags given after the command
	var parsed *flag.FlagSet
	flags, check := s.flags, s.check
	s.flags = func(fs *flag.FlagSet) {
		parsed = fs
		late.declare(fs)
		if flags != nil {
			flags(fs)
		}
	}
	s.check = func() error {
		parsed.Visit(func(f *flag.Flag) { g.take(late, f.Name) })
		if err := g.check(); err != nil || check == nil {
			return err
		}
		return check()
	}
	return c.dispatch(s, args)
}

// ctlSession is one ctl command's connection to the target.
type ctlSession struct {
	*cmd   // Name is "supervisor ctl"
	g      *ctlGlobals
	name   string // the command, for messages
	socket string
	client *ipc.Client
	hello  ipc.HelloResult
}

// connect connects to the target and says hello; a code other than
// ExitOK says it could not, as it has reported. Close the session when
// done.
func (c *cmd) connect(g *ctlGlobals, name string) (*ctlSession, int) {
	s := &ctlSession{cmd: c, g: g, name: name, socket: g.socket}
	if s.socket == "" {
		s.socket = os.Getenv(SocketEnv)
	}
	if s.socket == "" {
		s.errorf("which target? pass --socket PATH, or set $%s, to the target's IPC socket (the path of its ipc: section)", SocketEnv)
		return nil, ExitUsage
	}
	ctx, cancel := s.callContext()
	defer cancel()
	client, err := ipc.Dial(ctx, s.socket)
	if err != nil {
		s.errorf("cannot connect to %s: %v\n  %s", s.socket, err, dialHint(err))
		return nil, ExitUnreachable
	}
	s.client = client
	hello := ipc.HelloParams{Protocols: []string{ipc.Protocol}, Client: "supervisor ctl"}
	if err := s.call("hello", hello, &s.hello); err != nil {
		client.Close()
		return nil, s.failed(err, "")
	}
	return s, ExitOK
}

// Close closes the connection.
func (s *ctlSession) Close() { s.client.Close() }

// callContext bounds a request by --timeout.
func (s *ctlSession) callContext() (context.Context, context.CancelFunc) {
	if s.g.timeout == 0 {
		return context.WithCancel(context.Background())
	}
	return context.WithTimeout(context.Background(), s.g.timeout)
}

// call sends a request and waits for its answer, within --timeout.
func (s *ctlSession) call(method string, params, result any) error {
	ctx, cancel := s.callContext()
	defer cancel()
	return s.client.Call(ctx, method, params, result)
}

// errorf writes a message on stderr, after the command's name.
func (s *ctlSession) errorf(format string, args ...any) {
	fmt.Fprintf(s.Stderr, "%s %s: %s\n", s.Name, s.name, fmt.Sprintf(format, args...))
}

// failed reports the error of a request and returns the exit code: the
// target's refusal in plain words (its code, then its message), or the
// connection lost. retry, if not empty, says how to repeat the request
// safely, for the cases where it may succeed.
func (s *ctlSession) failed(err error, retry string) int {
	var perr *ipc.Error
	switch {
	case errors.As(err, &perr):
		msg := strings.ReplaceAll(perr.Code, "_", " ") + ": " + strings.TrimPrefix(perr.Message, "supervisor: ")
		if perr.Retryable {
			msg += "\n  this may succeed later" + hint(retry)
		}
		s.errorf("%s", msg)
		return ExitRefused
	case errors.Is(err, context.DeadlineExceeded):
		s.errorf("no answer from %s within %s (--timeout)%s", s.socket, textfmt.Duration(s.g.timeout), hint(retry))
	default:
		s.errorf("lost the connection to %s: %v%s", s.socket, err, hint(retry))
	}
	return ExitUnreachable
}

// hint returns s on a line of its own, indented, or "" for an empty s.
func hint(s string) string {
	if s == "" {
		return ""
	}
	return "\n  " + s
}

// dialHints say what to check when connecting fails, by the error.
var dialHints = []struct {
	err  error
	hint string
}{
	{syscall.ENOENT, "no socket there: is the target running, with IPC on (an ipc: section in its config file)? is the path right?"},
	{syscall.ECONNREFUSED, "a socket with nothing listening: the target has stopped (or is not serving IPC any more)"},
	{syscall.EACCES, "permission denied: the socket is its owner's only by default (mode 0600): run as the target's user, " +
		"or have the target's ipc: mode and allow_uids admit yours"},
	{syscall.EPERM, "permission denied: run as the target's user, or have the target's ipc: mode and allow_uids admit yours"},
	{syscall.ENOTSOCK, "that file is not a socket: give the path of the target's ipc: section"},
	{context.DeadlineExceeded, "the target did not accept the connection within --timeout: is it overloaded, or stopped?"},
}

// dialHint says what to check when connecting failed with err.
func dialHint(err error) string {
	for _, h := range dialHints {
		if errors.Is(err, h.err) {
			return h.hint
		}
	}
	return "is the target running with IPC on? is the path right? may your user connect (the socket's mode, ipc: allow_uids)?"
}
