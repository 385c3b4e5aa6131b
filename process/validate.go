package process

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-supervisor/supervisor"
)

// Validate checks the command without running anything, and returns every
// problem found, or nil. Fields are relative to the command, such as
// "path", "env[2]" or "ready.addr"; each message says what is wrong and how
// to fix it, and never quotes an Env value, which may hold a secret.
// Validate does not look at the file system: a missing program, directory
// or ${file:...} is found when the program starts.
func (c *Command) Validate() []supervisor.Problem {
	var v problems
	switch {
	case c.Path == "":
		v.add("path", "must not be empty: set the program to run, a file path or a name looked up in PATH")
	case hasNUL(c.Path):
		v.add("path", "has a NUL byte, which no file name can hold: remove it")
	}
	for i, a := range c.Args {
		if hasNUL(a) {
			v.add(fmt.Sprintf("args[%d]", i), "has a NUL byte, which no argument can hold: remove it")
		}
	}
	for i, entry := range c.Env {
		if _, p := parseEnv(entry); p != nil {
			who := "the entry"
			if p.key != "" {
				who = p.key
			}
			v.add(fmt.Sprintf("env[%d]", i), "%s %s", who, p.msg)
		}
	}
	if hasNUL(c.Dir) {
		v.add("dir", "has a NUL byte, which no directory name can hold: remove it")
	}
	v.stopSignal(c.StopSignal)
	if c.Ready.Line != "" {
		if _, err := regexp.Compile(c.Ready.Line); err != nil {
			v.add("ready.line", "%q is not a regular expression: %v", c.Ready.Line, err)
		}
	}
	if c.Ready.Addr != "" {
		if msg := addrProblem(c.Ready.Addr); msg != "" {
			v.add("ready.addr", "%q %s", c.Ready.Addr, msg)
		}
	}
	if c.Limits.OpenFiles == math.MaxUint64 {
		v.add("limits.openFiles", "cannot be unlimited: the kernel caps open files at fs.nr_open; set a number such as 65536, or 0 to keep the supervisor's limit")
	}
	return v.list
}

type problems struct {
	list []supervisor.Problem
}

func (v *problems) add(field, format string, args ...any) {
	v.list = append(v.list, supervisor.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *problems) stopSignal(sig syscall.Signal) {
	switch {
	case sig == 0:
	case sig < 0 || !validSignal(sig):
		v.add("stopSignal", "%d is not a signal: use one such as SIGTERM (the default), SIGINT or SIGQUIT", int(sig))
	case sig == sigStop:
		v.add("stopSignal", "SIGSTOP freezes the program instead of asking it to stop: use SIGTERM (the default), SIGINT or SIGQUIT")
	}
}

// addrProblem says what is wrong with a readiness address, or returns "".
func addrProblem(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "is not host:port: write 127.0.0.1:8080, or :8080 for a port on 127.0.0.1"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "has port " + strconv.Quote(port) + ": use a number from 1 to 65535"
	}
	return ""
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }
