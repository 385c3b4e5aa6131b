//go:build !linux

package process

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// run fails: starting, stopping and limiting programs is implemented for
// Linux only.
func (c *Command) run(context.Context, []string, *redactor) error {
	return fmt.Errorf("process: running programs is implemented for Linux only, not %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
