package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/go-supervisor/supervisor/ipc"
)

// prompts say what a destructive action does, before the operator types
// what confirms it: the path for remove, the target's id otherwise.
var prompts = map[string]string{
	"remove": "remove %[1]s from %[2]s (pid %[3]d): it stops, and its spec is deleted; this cannot be undone.\n" +
		"Type its path, %[1]s, to confirm: ",
	"shutdown": "shut down %[2]s (pid %[3]d): every child stops, and the target's program ends.\n" +
		"Type the target's id, %[2]s, to confirm: ",
	"apply": "apply the config file to %[2]s (pid %[3]d): the changes above are carried out.\n" +
		"Type the target's id, %[2]s, to confirm: ",
}

// confirm asks the operator, on the terminal, to type what confirms a; a
// code other than ExitOK says it was not confirmed (or, for apply, that
// its plan could not be shown), as it has reported.
func (s *ctlSession) confirm(a action, path string) int {
	want := s.hello.Target
	if a.confirm == "path" {
		want = path
	}
	if a.name == "apply" {
		var r ipc.CommandResult
		if err := s.call("plan", nil, &r); err != nil {
			return s.failed(err, "")
		}
		fmt.Fprintf(s.Stderr, "The plan:\n%s", r.Plan)
	}
	fmt.Fprintf(s.Stderr, prompts[a.name], path, s.hello.Target, s.hello.PID)
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	if typed := strings.TrimSpace(line); typed != want {
		s.errorf("not confirmed: you typed %q, not %q; nothing was sent", typed, want)
		return ExitNotConfirmed
	}
	return ExitOK
}
