package process_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// helperEnv makes the test binary act as a helper program (see helper)
// instead of running the tests.
const helperEnv = "PROCESS_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}
