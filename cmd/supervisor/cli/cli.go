// Package cli is the supervisor command line: it runs a tree described by a
// config file, checks, compares and documents config files, and talks to a
// running tree over its IPC socket (ctl, docs/ctl.md).
//
// The supervisor binary (cmd/supervisor) is cli.Main with an empty
// registry: it runs trees of OS processes and nested supervisors. To run
// Go functions named in a config file (run: payments.worker), build your
// own binary with your registry:
//
//	func main() {
//		reg := &config.Registry{}
//		reg.Func("payments.worker", worker)
//		os.Exit(cli.Main(os.Args[1:], cli.Options{Registry: reg}))
//	}
//
// Exit codes (ExitOK and the other Exit constants): 0 success; 1 an
// invalid config file (or, for check, any problem); 2 a usage error; 3 the
// tree failed to start; 4 the tree ended in failure (restart intensity
// exceeded, an escalation, a rule that shuts the tree down); 5 the tree
// stopped, but abandoned children that overran their shutdown budget; 6
// (check) a valid file naming a program or working directory that is
// missing or not executable here, so that run would fail to start it. ctl
// has its own (ExitRefused, ExitUnreachable, ExitNotConfirmed).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/go-supervisor/supervisor/config"
)

// Exit codes of Main.
const (
	ExitOK        = 0 // success
	ExitInvalid   = 1 // an invalid config file, or check found problems
	ExitUsage     = 2 // bad arguments
	ExitStart     = 3 // run: the tree failed to start
	ExitFailed    = 4 // run: the tree ended in failure
	ExitAbandoned = 5 // run: the tree stopped, abandoning children
	ExitWarning   = 6 // check: a valid file, but run would fail to start a program it names here
)

// Options configure Main. The zero value runs with no registered
// functions, on the process's standard streams and signals.
type Options struct {
	// Registry holds the Go functions and errors config files may name.
	// Nil means an empty registry.
	Registry *config.Registry
	// Stdout and Stderr default to os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// Signals delivers SIGINT, SIGTERM and SIGHUP to run (SIGINT and
	// SIGTERM end ctl's --follow). Nil means the
	// process's own, through signal.Notify.
	Signals <-chan os.Signal
	// Lookup resolves ${NAME} references of process children. Nil means
	// os.LookupEnv.
	Lookup func(name string) (string, bool)
	// Name is the program's name in messages; "" means "supervisor".
	Name string
}

// Main runs the command line args (without the program name) and returns
// the exit code.
func Main(args []string, opts Options) int {
	c := &cmd{Options: opts}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	if c.Registry == nil {
		c.Registry = &config.Registry{}
	}
	if c.Name == "" {
		c.Name = "supervisor"
	}
	if len(args) == 0 {
		c.usage(c.Stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" { // help COMMAND
			return Main([]string{args[1], "--help"}, c.Options)
		}
		c.usage(c.Stdout)
		return ExitOK
	}
	name := args[0]
	if name == "-version" || name == "--version" {
		name = "version"
	}
	for _, s := range c.commands() {
		if s.name == name {
			return c.dispatch(s, args[1:])
		}
	}
	fmt.Fprintf(c.Stderr, "%s: unknown command %q\n\n", c.Name, args[0])
	c.usage(c.Stderr)
	return ExitUsage
}

// cmd is one invocation of Main.
type cmd struct {
	Options
}

// subcommand is one of the commands Main knows.
type subcommand struct {
	name, args, summary, help string
	nargs                     int
	flags                     func(*flag.FlagSet) // declares the command's flags
	check                     func() error        // checks the flags' values
	run                       func(args []string) int
	// raw, if set, is given the arguments as they are (ctl: its own flags,
	// then a command with its flags), instead of run.
	raw func(args []string) int
}

func (c *cmd) commands() []subcommand {
	var r runFlags
	var jsonOut bool
	jsonFlag := func(what string) func(*flag.FlagSet) {
		return func(fs *flag.FlagSet) { fs.BoolVar(&jsonOut, "json", false, "write "+what+" to stdout") }
	}
	return []subcommand{
		{name: "run", args: "FILE", nargs: 1, summary: "run the tree a config file describes",
			help: `Starts the tree, prints its status and every event as it happens, and
shuts it down cleanly on SIGINT or SIGTERM (a second signal abandons what
is still running). SIGHUP reloads FILE and applies the changes to the
running tree; a file with problems changes nothing. Output of process
children is printed with their path.`,
			flags: func(fs *flag.FlagSet) { jsonFlag("one JSON object per line")(fs); r.declare(fs) },
			check: r.check,
			run:   func(a []string) int { return c.run(a[0], jsonOut, r) }},
		{name: "check", args: "FILE", nargs: 1, summary: "validate a config file and print every problem",
			help: `Exits 0 if FILE describes a valid tree, 1 otherwise, with every problem on
stderr (on stdout with --json). It also looks up the program of every exec
child as run would start it (from the current directory and PATH): a valid
file naming a program or a working directory that is missing or not
executable here gets a warning, and exit code 6.`,
			flags: jsonFlag("the result as one JSON object"),
			run:   func(a []string) int { return c.check(a[0], jsonOut) }},
		{name: "plan", args: "OLD NEW", nargs: 2, summary: "show what applying NEW to a tree started from OLD would change",
			help: `Prints the changes, one per line: add, remove, restart (new code, or a
replacement) and update (policies changed in place), as run applies them
on SIGHUP.`,
			flags: jsonFlag("the plan as one JSON object"),
			run:   func(a []string) int { return c.plan(a[0], a[1], jsonOut) }},
		{name: "schema", summary: "print the JSON Schema of config files",
			run: func([]string) int { return c.write(config.Schema()) }},
		{name: "template", summary: "print a commented config file with every key and its default",
			run: func([]string) int { return c.write(config.Template()) }},
		{name: "ctl", args: "COMMAND", summary: "talk to a running tree over its IPC socket (status, events, logs, restart...)",
			raw: c.ctl},
		{name: "version", summary: "print the version, the VCS revision and the Go version of this binary",
			run: func([]string) int { return c.write([]byte(versionText(c.Name))) }},
	}
}

func (c *cmd) dispatch(s subcommand, args []string) int {
	if s.raw != nil {
		return s.raw(args)
	}
	fs := flag.NewFlagSet(c.Name+" "+s.name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	if s.flags != nil {
		s.flags(fs)
	}
	fs.Usage = func() {} // printed below, once, where it belongs
	usage := func(w io.Writer) { c.commandUsage(w, s, fs) }
	// Flags may come before or after the arguments.
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage(c.Stdout)
				return ExitOK
			}
			usage(c.Stderr) // after flag's own message naming the bad flag
			return ExitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if s.check != nil {
		if err := s.check(); err != nil {
			fmt.Fprintf(c.Stderr, "%s %s: %v\n", c.Name, s.name, err)
			return ExitUsage
		}
	}
	if msg := argumentsProblem(s, operands); msg != "" {
		fmt.Fprintf(c.Stderr, "%s %s: %s\n\n", c.Name, s.name, msg)
		usage(c.Stderr)
		return ExitUsage
	}
	return s.run(operands)
}

// commandUsage writes s's usage: its synopsis, what it does, its flags.
func (c *cmd) commandUsage(w io.Writer, s subcommand, fs *flag.FlagSet) {
	fs.SetOutput(w)
	defer fs.SetOutput(c.Stderr)
	synopsis := []string{c.Name, s.name}
	if hasFlags(fs) {
		synopsis = append(synopsis, "[flags]")
	}
	if s.args != "" {
		synopsis = append(synopsis, s.args)
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n", strings.Join(synopsis, " "), upperFirst(s.summary))
	if s.help != "" {
		fmt.Fprintf(w, "\n%s\n", s.help)
	}
	if hasFlags(fs) {
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
}

// argumentsProblem says what is wrong with the operands given to s, or ""
// if they are what it takes.
func argumentsProblem(s subcommand, operands []string) string {
	switch {
	case len(operands) == s.nargs:
		return ""
	case strings.HasPrefix(s.args, "[") && len(operands) < s.nargs: // optional: "[PATH]"
		return ""
	case s.nargs == 0:
		quoted := make([]string, len(operands))
		for i, o := range operands {
			quoted[i] = strconv.Quote(o)
		}
		return fmt.Sprintf("takes no arguments, got %d: %s", len(operands), strings.Join(quoted, " "))
	}
	return fmt.Sprintf("want %s (%s), got %d", plural(s.nargs, "argument"), s.args, len(operands))
}

func (c *cmd) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s COMMAND [flags] [args]\n\nSupervision trees from config files.\n\nCommands:\n", c.Name)
	for _, s := range c.commands() {
		fmt.Fprintf(w, "  %-9s %-8s %s\n", s.name, s.args, s.summary)
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags, '%s --version' for its version.\n", c.Name, c.Name)
	fmt.Fprintf(w, "Exit codes: 0 ok, 1 invalid config, 2 usage, 3 start failed, 4 tree failed, 5 children abandoned,\n"+
		"6 check: a program missing here; ctl's: '%s ctl --help'.\n", c.Name)
}

func (c *cmd) write(b []byte) int {
	if _, err := c.Stdout.Write(b); err != nil {
		fmt.Fprintf(c.Stderr, "%s: %v\n", c.Name, err)
		return ExitFailed
	}
	return ExitOK
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
