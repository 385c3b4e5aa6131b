package main

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-supervisor/supervisor/supervisortest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The README's main command: the demo starts the tree of supervisor.yaml,
// reloads supervisor.v2.yaml with the changes it makes, and shuts down
// cleanly.
func TestDemo(t *testing.T) {
	t.Setenv("PAYMENTS_ADDR", "127.0.0.1:0")
	var stdout, stderr supervisortest.Buffer
	if code := demo(&stdout, &stderr, 2*time.Second, 4*time.Second); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"── started", "/workers/poller", "tick 1 path=/ticker",
		"reload", "restart /ticker: revision\nadd /workers/w3\nupdate /workers/poller: backoff\n",
		"── after reload: 8 children",
		"child_exited", `error="poll: upstream timed out" rule=rules[0]`,
		"stopped cause=", "exit_code=0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "(failed:") || strings.Contains(out, "ERROR") || stderr.String() != "" {
		t.Errorf("demo reported failures:\n%s\nstderr:\n%s", out, stderr.String())
	}
}
