//go:build !linux

package cli

import "os"

// isTerminal reports whether f is a terminal, one that ctl may ask the
// operator on: here, a character device other than /dev/null.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err == nil && !os.SameFile(fi, null)
}
