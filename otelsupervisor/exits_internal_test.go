package otelsupervisor

import (
	"testing"

	"github.com/go-supervisor/supervisor"
)

// Removing a nested supervisor forgets the last exits of its children,
// which get no removal event of their own, and nothing else.
func TestForgetExitsOfRemovedSupervisor(t *testing.T) {
	o := &Observer{lastExit: map[string]supervisor.ExitClass{}}
	for _, p := range []string{"/a", "/n", "/n/x", "/n/y", "/n/m", "/n/m/z", "/nn/w"} {
		o.setExit(p, supervisor.ExitAbnormal)
	}
	o.forgetExits("/a")
	o.forgetExits("/n")
	if len(o.lastExit) != 1 || o.lastExit["/nn/w"] == supervisor.ExitNone {
		t.Fatalf("left %v, want only /nn/w", o.lastExit)
	}
	var indexed []string
	o.exitPaths.Each(func(p string) { indexed = append(indexed, p) })
	if len(indexed) != 1 || indexed[0] != "/nn/w" {
		t.Fatalf("index %v, want only /nn/w", indexed)
	}
}
