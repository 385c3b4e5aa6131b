//go:build linux

package process_test

import (
	"strings"
	"syscall"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/process"
)

func TestChild(t *testing.T) {
	plain := &process.Command{Path: "/bin/true"}
	c := plain.Child("plain")
	if c.Name != "plain" || c.Run == nil || c.Revision != plain.Revision() {
		t.Errorf("child %+v", c)
	}
	for _, r := range []process.Ready{{}, {Line: "up"}, {Addr: ":80"}} {
		cmd := &process.Command{Path: "/bin/true", Ready: r}
		if c := cmd.Child("x"); c.Readiness != supervisor.ReadinessExplicit {
			t.Errorf("Ready %+v: readiness %v, want explicit", r, c.Readiness)
		}
	}
	if err := supervisor.Validate(supervisor.Spec{Children: []supervisor.Child{c}}); err != nil {
		t.Errorf("the child does not validate: %v", err)
	}
}

func TestRevision(t *testing.T) {
	base := func() *process.Command {
		return &process.Command{Path: "/bin/sh", Args: []string{"-c", "x"}, Env: []string{"A=${B}"}}
	}
	rev := base().Revision()
	if !strings.HasPrefix(rev, "sha256:") || len(rev) != len("sha256:")+32 {
		t.Errorf("revision %q", rev)
	}
	same := base()
	same.StopSignal = syscall.SIGTERM // the default, spelt out
	same.Logger = nil
	same.Lookup = func(string) (string, bool) { return "", false }
	if same.Revision() != rev {
		t.Errorf("an equivalent command has another revision")
	}
	for name, edit := range map[string]func(c *process.Command){
		"path":     func(c *process.Command) { c.Path = "/bin/bash" },
		"args":     func(c *process.Command) { c.Args = []string{"-c", "y"} },
		"args2":    func(c *process.Command) { c.Args = []string{"-c", "x", ""} },
		"env":      func(c *process.Command) { c.Env = []string{"A=${C}"} },
		"cleanEnv": func(c *process.Command) { c.CleanEnv = true },
		"dir":      func(c *process.Command) { c.Dir = "/tmp" },
		"signal":   func(c *process.Command) { c.StopSignal = syscall.SIGINT },
		"ready":    func(c *process.Command) { c.Ready.Line = "up" },
		"limits":   func(c *process.Command) { c.Limits.OpenFiles = 10 },
	} {
		c := base()
		edit(c)
		if c.Revision() == rev {
			t.Errorf("changing %s keeps the revision", name)
		}
	}
}

// Child runs a copy: changing the command afterwards changes neither what
// the child runs nor its revision.
func TestChildCopiesCommand(t *testing.T) {
	log, buf := newLogger()
	cmd := sh(`echo "$V"`)
	cmd.Env = []string{"V=before"}
	cmd.Logger = log
	child := cmd.Child("copy")
	rev := child.Revision
	cmd.Env[0] = "V=after"
	cmd.Args[1] = "echo changed"
	if cmd.Revision() == rev {
		t.Fatal("the revision did not change with the command")
	}
	if err := child.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := buf.find(t, func(msg string) bool { return msg == "before" }); !ok {
		t.Errorf("the child did not run the command as it was:\n%s", buf)
	}
}
