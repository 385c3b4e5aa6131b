package supervisor

import (
	"fmt"
	"time"
)

// Role names what a child is for, and gives it a pack of defaults that suit
// it. A role's defaults come between the child's own fields and its
// supervisor's Defaults:
//
//	the field set on the child > the role's default > Spec.Defaults > the built-in default
//
// The packs (docs/defaults.md):
//
//	role     restart    backoff (initial, max, jitter)  restart limit (after, within, probation)
//	service  permanent  100ms, 10s, 0.2                 off: an essential service escalates
//	worker   permanent  1s, 1m, 0.5                     5 failures in 5m, probation every 1m
//	job      transient  1s, 30s, 0.2                    3 failures in 10m, probation every 5m
//	sidecar  permanent  100ms, 5s, 0.2                  off: it follows its primary
//
// "Off" is Quarantine{Off: true}: it overrides a restart limit in
// Spec.Defaults, so that a service is never quarantined unless the child
// itself sets a limit. A worker's limit, by contrast, only acts if the
// worker fails After times before its supervisor's Intensity is exceeded:
// with the default Intensity (3 in 5s) a fast crash loop escalates first.
// Give a supervisor of workers an Intensity above the workers' After, or
// put them in a Group with its own Intensity.
//
// A job runs to completion: Permanent contradicts it and is a validation
// error. A sidecar serves its Primary, an earlier sibling: it stops when the
// primary's attempt ends, and starts again once the primary runs again.
type Role uint8

// Roles. The zero Role is none: the child takes its supervisor's Defaults.
const (
	RoleNone Role = iota
	// RoleService: a long-running, essential child; restarted quickly, and
	// left to the supervisor's intensity if it keeps failing.
	RoleService
	// RoleWorker: background work that can pause; a crash-looping worker is
	// quarantined rather than allowed to fail its supervisor.
	RoleWorker
	// RoleJob: runs to completion; restarted only after a failure.
	RoleJob
	// RoleSidecar: a helper of its Child.Primary, which it follows.
	RoleSidecar
)

var roleNames = []string{"none", "service", "worker", "job", "sidecar"}

func (r Role) String() string { return enumString(roleNames, r) }

// MarshalText implements encoding.TextMarshaler.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Role) UnmarshalText(b []byte) error { return enumParse(roleNames, b, r, "role", 0) }

// defaults returns the role's pack of defaults (docs/defaults.md): the
// fields it sets for a child that leaves them unset. RoleNone sets nothing.
func (r Role) defaults() Defaults {
	switch r {
	case RoleService:
		return Defaults{Restart: Permanent,
			Backoff:    Backoff{Initial: 100 * time.Millisecond, Max: 10 * time.Second, Jitter: 0.2},
			Quarantine: Quarantine{Off: true}}
	case RoleWorker:
		return Defaults{Restart: Permanent,
			Backoff:    Backoff{Initial: time.Second, Max: time.Minute, Jitter: 0.5},
			Quarantine: Quarantine{After: 5, Within: 5 * time.Minute, Probation: time.Minute}}
	case RoleJob:
		return Defaults{Restart: Transient,
			Backoff:    Backoff{Initial: time.Second, Max: 30 * time.Second, Jitter: 0.2},
			Quarantine: Quarantine{After: 3, Within: 10 * time.Minute, Probation: 5 * time.Minute}}
	case RoleSidecar:
		return Defaults{Restart: Permanent,
			Backoff:    Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second, Jitter: 0.2},
			Quarantine: Quarantine{Off: true}}
	}
	return Defaults{}
}

// roleProblems checks the children's roles and primaries against each
// other: a job is not permanent, a sidecar names an earlier sibling that
// is no sidecar, in the same group.
func (v *validator) roles(s *Spec) {
	var index map[string]int // the earlier siblings by name, made for the first sidecar
	for i := range s.Children {
		c := &s.Children[i]
		if c.Role == RoleSidecar && index == nil {
			index = make(map[string]int, i)
			for j := range s.Children[:i] {
				index[s.Children[j].Name] = j
			}
		}
		if p := roleProblem(c, func(name string) (*Child, bool) {
			j, ok := index[name]
			if !ok {
				return nil, false
			}
			return &s.Children[j], true
		}); p.Message != "" {
			v.enter("children", i)
			v.add(p.Field, "%s", p.Message)
			v.leave()
		}
		if index != nil {
			index[c.Name] = i
		}
	}
}

// roleProblem says what is wrong with c's role and primary, given a lookup
// of its earlier siblings. Field is relative to the child.
func roleProblem(c *Child, earlier func(string) (*Child, bool)) Problem {
	switch {
	case c.Role > RoleSidecar:
		return Problem{"role", fmt.Sprintf("%d is not a role: use RoleService, RoleWorker, RoleJob or RoleSidecar", c.Role)}
	case c.Role == RoleJob && c.Restart == Permanent:
		return Problem{"restart", "a job runs to completion and cannot be permanent: use Transient (the job role's default) or Temporary, or the worker role"}
	case c.Role == RoleSidecar && c.Primary == "":
		return Problem{"primary", "a sidecar follows a primary: name an earlier sibling"}
	case c.Role != RoleSidecar && c.Primary != "":
		return Problem{"primary", fmt.Sprintf("only a sidecar has a primary: set role to RoleSidecar, or remove primary %q", c.Primary)}
	case c.Role == RoleSidecar:
		p, ok := earlier(c.Primary)
		switch {
		case !ok:
			return Problem{"primary", fmt.Sprintf("%q is not an earlier sibling: a sidecar is declared after its primary", c.Primary)}
		case p.Role == RoleSidecar:
			return Problem{"primary", fmt.Sprintf("%q is itself a sidecar: name the child it follows instead", c.Primary)}
		case p.Group != c.Group:
			return Problem{"group", fmt.Sprintf("%q differs from the group of its primary %q (%q): a sidecar shares its primary's group", c.Group, c.Primary, p.Group)}
		}
	}
	return Problem{}
}
