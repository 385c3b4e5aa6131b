//go:build linux

package cli_test

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"unsafe"
)

// terminal is a pseudo-terminal: tty is the operator's end, where ctl
// reads; a test types on ptm.
type terminal struct{ ptm, tty *os.File }

// openTerminal opens a pseudo-terminal, closed when the test ends; it
// skips the test if the system has none.
func openTerminal(t *testing.T) *terminal {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	var unlock int32
	var n uint32
	if err := ioctl(ptm, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Skipf("no pseudo-terminal: unlockpt: %v", err)
	}
	if err := ioctl(ptm, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Skipf("no pseudo-terminal: ptsname: %v", err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return &terminal{ptm: ptm, tty: tty}
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// typeLine types a line, which the terminal's reader gets once it reads.
func (tm *terminal) typeLine(t *testing.T, line string) {
	t.Helper()
	if _, err := tm.ptm.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
}
