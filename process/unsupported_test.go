//go:build !linux

package process_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-supervisor/supervisor/process"
)

func helper(string, []string) int { return 2 }

// Elsewhere than on Linux, Run fails clearly, before starting anything.
func TestRunUnsupported(t *testing.T) {
	err := (&process.Command{Path: "true"}).Run(context.Background())
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Run: %v, want errors.ErrUnsupported", err)
	}
}
