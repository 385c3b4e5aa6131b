//go:build linux

package process

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// setLimits applies l to the process pid with prlimit(2), soft and hard
// values alike. See Limits for why this happens after the start.
func setLimits(pid int, l Limits) error {
	for _, lim := range []struct {
		field string
		name  string
		res   int
		v     uint64
	}{
		{"limits.openFiles", "RLIMIT_NOFILE", unix.RLIMIT_NOFILE, l.OpenFiles},
		{"limits.addressSpace", "RLIMIT_AS", unix.RLIMIT_AS, l.AddressSpace},
	} {
		if lim.v == 0 {
			continue
		}
		rl := unix.Rlimit{Cur: lim.v, Max: lim.v}
		err := unix.Prlimit(pid, lim.res, &rl, nil)
		switch {
		case err == nil:
		case errors.Is(err, unix.ESRCH):
			return nil // the program has already exited: nothing to limit
		case errors.Is(err, unix.EPERM):
			return fmt.Errorf("process: %s: set %s of pid %d to %d: %w (raising a hard limit above the supervisor's own needs CAP_SYS_RESOURCE, and RLIMIT_NOFILE cannot exceed fs.nr_open)",
				lim.field, lim.name, pid, lim.v, err)
		default:
			return fmt.Errorf("process: %s: set %s of pid %d to %d: %w", lim.field, lim.name, pid, lim.v, err)
		}
	}
	return nil
}
