//go:build unix

package process

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// signalByName returns the signal with the given upper-case name.
func signalByName(name string) (syscall.Signal, bool) {
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, true
	}
	return realtimeByName(name)
}

// signalName returns the name of sig.
func signalName(sig syscall.Signal) (string, bool) {
	if name := unix.SignalName(sig); name != "" {
		return name, true
	}
	return realtimeName(sig)
}

// sigStop freezes a process: never a stop signal.
const sigStop = syscall.SIGSTOP
