package ipc

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv("IPC_TEST_HELPER") != "" { // a client process of a test: helper_test.go
		os.Exit(runHelper())
	}
	goleak.VerifyTestMain(m)
}
