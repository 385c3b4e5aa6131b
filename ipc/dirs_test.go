package ipc

import (
	"os"
	"testing"
)

// shortDir returns a new private directory with a short path: a Unix
// socket's whole path may have 107 bytes at most, and t.TempDir's paths,
// which hold the test's name, can be longer.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ipc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
