//go:build unix && !linux

package process

import "syscall"

// realtimeByName: only Linux's real-time signals are named.
func realtimeByName(string) (syscall.Signal, bool) { return 0, false }

// realtimeName: only Linux's real-time signals are named.
func realtimeName(syscall.Signal) (string, bool) { return "", false }
