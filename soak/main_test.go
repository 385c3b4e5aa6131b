package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// whole-run test included, which starts and shuts down a real tree.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
