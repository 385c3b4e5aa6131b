package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"

	"github.com/go-supervisor/supervisor/ipc"
)

// ctlCommands lists ctl's commands, in its usage's order.
func (c *cmd) ctlCommands(g *ctlGlobals) []subcommand {
	cmds := []subcommand{c.ctlStatusCommand(g), c.ctlEventsCommand(g), c.ctlLogsCommand(g)}
	f := &commandFlags{}
	for _, a := range actions {
		cmds = append(cmds, subcommand{name: a.name, args: a.args, nargs: a.nargs, summary: a.summary, help: a.help(),
			flags: func(fs *flag.FlagSet) { f.declare(fs, a.destructive) },
			check: f.check,
			run:   func(operands []string) int { return c.act(g, a, f, operands) }})
	}
	return append(cmds, subcommand{name: "plan", summary: "show what applying the tree's config file would change now",
		help: `Asks the target what "apply" would change, and changes nothing: one change per
line (add, remove, restart, update), as "supervisor plan" prints them. The
target must have been started from a config file.`,
		run: func([]string) int { return c.showPlan(g) }})
}

// An action is a command that changes the tree, with an audit record.
type action struct {
	name, args, summary string
	nargs               int
	// destructive actions cannot be undone: they ask for confirmation.
	destructive bool
	// confirm is what the operator types to confirm: "path" or "target".
	confirm string
	// more is the action's own help.
	more string
}

// actions are ctl's commands that change the tree, as the protocol
// names them.
var actions = []action{
	{name: "restart", args: "PATH", nargs: 1, summary: "restart a child now: a new attempt, even if it runs well",
		more: "A nested supervisor restarts with all its children."},
	{name: "pause", args: "PATH", nargs: 1, summary: "stop a child, and do not restart it until resumed"},
	{name: "resume", args: "PATH", nargs: 1, summary: "start a paused or quarantined child again"},
	{name: "quarantine", args: "PATH", nargs: 1, summary: "take a child out of service, as a rule would",
		more: "It stays stopped until resumed."},
	{name: "reset", args: "PATH", nargs: 1, summary: "clear a child's failure counters (backoff, restart limits)"},
	{name: "add", args: "PARENT FILE", nargs: 2, summary: "add the child a file describes (a config file's child entry) to a supervisor",
		more: `FILE (or - for stdin) holds one child entry in YAML, as in a config file's
children list, such as:

    name: w3
    exec: {path: /usr/bin/worker, args: [--id, "3"]}

The target's exec_allow must list the programs it runs.`},
	{name: "remove", args: "PATH", nargs: 1, destructive: true, confirm: "path",
		summary: "stop a child and delete it from the tree (asks to confirm)"},
	{name: "shutdown", destructive: true, confirm: "target",
		summary: "shut the whole tree down: the target's program ends (asks to confirm)",
		more:    "Prints the shutdown report: how each child stopped."},
	{name: "apply", destructive: true, confirm: "target",
		summary: "apply the tree's config file as it is now, as SIGHUP does (asks to confirm)",
		more: `Prints the plan applied; "plan" shows it beforehand. The target must have been
started from a config file.`},
}

// help is an action's help text: its own, and what every action takes.
func (a action) help() string {
	h := "Sends the command with its audit record: --why (required), --who (default\n" +
		"$USER) and a new command id (--command-id ID repeats a command without\n" +
		"running it twice: its first result is returned)."
	if a.destructive {
		h += "\n\nIt cannot be undone: on a terminal ctl asks you to type the " + a.confirmWhat() +
			";\notherwise pass --yes."
	}
	if a.more != "" {
		h = a.more + "\n\n" + h
	}
	return h
}

// confirmWhat names what the operator types to confirm a.
func (a action) confirmWhat() string {
	if a.confirm == "path" {
		return "path"
	}
	return "target's id"
}

// commandFlags are every action's flags.
type commandFlags struct {
	why, who, id string
	yes          bool
}

func (f *commandFlags) declare(fs *flag.FlagSet, destructive bool) {
	fs.StringVar(&f.why, "why", "", "why you do this, in a few words (`TEXT`) for the target's audit log (required)")
	fs.StringVar(&f.who, "who", "", "who asks, by `NAME`, for the audit log (default $USER)")
	fs.StringVar(&f.id, "command-id", "", "the command's `ID`, to repeat a command safely (default: a new one)")
	if destructive {
		fs.BoolVar(&f.yes, "yes", false, "do not ask to confirm (needed when stdin is not a terminal)")
	}
}

func (f *commandFlags) check() error {
	if f.why == "" {
		return errors.New(`--why is required: say why, for the target's audit log (--why "stuck since the deploy")`)
	}
	return nil
}

// act runs an action: it asks to confirm a destructive one, sends it,
// and prints its result.
func (c *cmd) act(g *ctlGlobals, a action, f *commandFlags, operands []string) int {
	p := ipc.CommandParams{CommandID: f.id, Who: f.who, Why: f.why, Confirmed: a.destructive}
	if p.Who == "" {
		p.Who = currentUser()
	}
	if p.CommandID == "" {
		p.CommandID = newCommandID()
	}
	if a.nargs > 0 {
		p.Path = operands[0]
	}
	if a.name == "add" {
		child, err := readChild(operands[1])
		if err != nil {
			fmt.Fprintf(c.Stderr, "%s add: %v\n", c.Name, err)
			return ExitUsage
		}
		p.Child = child
	}
	ask := a.destructive && !f.yes
	if ask && !isTerminal(os.Stdin) {
		fmt.Fprintf(c.Stderr, "%s %s: not confirmed: %s cannot be undone, and stdin is not a terminal to ask on: "+
			"pass --yes to confirm\n", c.Name, a.name, a.name)
		return ExitNotConfirmed
	}
	s, code := c.connect(g, a.name)
	if code != ExitOK {
		return code
	}
	defer s.Close()
	if ask {
		if code := s.confirm(a, p.Path); code != ExitOK {
			return code
		}
	}
	var r ipc.CommandResult
	if err := s.call(a.name, p, &r); err != nil {
		return s.failed(err, "to retry it safely: "+s.retryCommand(a, operands, p))
	}
	s.printResult(r)
	return ExitOK
}

// retryCommand is the command line that repeats a command: it runs once,
// and a repeat gets its result.
func (s *ctlSession) retryCommand(a action, operands []string, p ipc.CommandParams) string {
	line := s.Name + " --socket " + s.socket + " " + a.name
	for _, o := range operands {
		line += " " + o
	}
	line += " --why " + strconv.Quote(p.Why) + " --who " + strconv.Quote(p.Who) + " --command-id " + p.CommandID
	if a.destructive {
		line += " --yes"
	}
	return line
}

// printResult prints what a command did: a line, and its plan or the
// shutdown's report.
func (s *ctlSession) printResult(r ipc.CommandResult) {
	if s.g.json {
		s.json(r)
		return
	}
	what := r.Command
	if r.Path != "" {
		what += " " + r.Path
	}
	fmt.Fprintf(s.Stdout, "%s: ok (command %s, events up to #%d)\n", what, r.CommandID, r.Seq)
	switch {
	case r.Report != nil:
		io.WriteString(s.Stdout, reportText(r.Report))
	case r.Plan != nil:
		io.WriteString(s.Stdout, r.Plan.String())
	}
}

// showPlan prints what applying the tree's config file would change.
func (c *cmd) showPlan(g *ctlGlobals) int {
	s, code := c.connect(g, "plan")
	if code != ExitOK {
		return code
	}
	defer s.Close()
	var r ipc.CommandResult
	if err := s.call("plan", nil, &r); err != nil {
		return s.failed(err, "")
	}
	if g.json {
		s.json(r)
		return ExitOK
	}
	io.WriteString(s.Stdout, r.Plan.String())
	return ExitOK
}

// currentUser names the operator: $USER, or the name of the process's
// user.
func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(os.Getuid())
}

// newCommandID returns a new command id: 16 random hex digits.
func newCommandID() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// maxChildText bounds the child entry add reads.
const maxChildText = 1 << 20

// readChild reads add's child entry from the file at path, or from stdin
// for "-".
func readChild(path string) (string, error) {
	r := io.Reader(os.Stdin)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxChildText+1))
	switch {
	case err != nil:
		return "", err
	case len(b) > maxChildText:
		return "", fmt.Errorf("%s is longer than 1 MiB: a child entry is a few lines", path)
	case len(bytes.TrimSpace(b)) == 0:
		return "", fmt.Errorf("%s is empty: write a child entry, such as: {name: w3, exec: {path: /usr/bin/worker}}", path)
	}
	return string(b), nil
}
