//go:build !linux

package ipc

// runHelper has no client process to be off Linux, where the tests that
// start one do not run.
func runHelper() int { return 2 }
