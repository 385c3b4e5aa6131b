package otelsupervisor

import (
	"testing"

	"github.com/go-supervisor/supervisor"
)

// Removing a nested supervisor forgets the last exits of its children,
// which get no removal event of their own; removing a worker scans nothing
// else.
func TestForgetExitsOfRemovedSupervisor(t *testing.T) {
	o := &Observer{lastExit: map[string]supervisor.ExitClass{}, exitsUnder: map[string]int{}}
	for _, p := range []string{"/a", "/n", "/n/x", "/n/y", "/n/m", "/n/m/z", "/nn/w"} {
		o.setExit(p, supervisor.ExitAbnormal)
	}
	o.forgetExits("/a")
	o.forgetExits("/n")
	if len(o.lastExit) != 1 || o.lastExit["/nn/w"] == supervisor.ExitNone {
		t.Fatalf("left %v, want only /nn/w", o.lastExit)
	}
	if len(o.exitsUnder) != 1 || o.exitsUnder["/nn"] != 1 {
		t.Fatalf("counts %v, want /nn: 1", o.exitsUnder)
	}
}
