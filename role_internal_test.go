package supervisor

import (
	"fmt"
	"testing"
)

// Each role's pack is what the docs table says.
func TestRoleDefaults(t *testing.T) {
	for r, want := range map[Role]string{
		RoleService: "permanent 100ms 10s 0.2 0 0s true",
		RoleWorker:  "permanent 1s 1m0s 0.5 5 5m0s false",
		RoleJob:     "transient 1s 30s 0.2 3 10m0s false",
		RoleSidecar: "permanent 100ms 5s 0.2 0 0s true",
	} {
		d := r.defaults()
		got := fmt.Sprintf("%v %v %v %v %d %v %v", d.Restart, d.Backoff.Initial, d.Backoff.Max, d.Backoff.Jitter,
			d.Quarantine.After, d.Quarantine.Within, d.Quarantine.Off)
		if got != want {
			t.Errorf("%v pack %q, want %q", r, got, want)
		}
	}
	if d := RoleNone.defaults(); d.Restart != 0 || d.Backoff != (Backoff{}) {
		t.Errorf("RoleNone sets %+v", d)
	}
}
