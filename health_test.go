package supervisor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// Check answers once every loop, nested ones included, has answered; a
// context that ends first gives an *OpError "check" naming the loop; once the tree has ended,
// ErrShuttingDown. (A loop never blocks by design, so a stuck one cannot be
// made through the public API.)
func TestCheck(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, _ := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "sub", Tree: &supervisor.Spec{Children: names("b")}},
		}})
		if err := tree.Check(bg()); err != nil {
			t.Fatalf("Check = %v", err)
		}
		ctx, cancel := context.WithCancel(bg())
		cancel()
		var oe *supervisor.OpError
		if err := tree.Check(ctx); !errors.As(err, &oe) || oe.Op != "check" || oe.Path != "/" || !errors.Is(err, context.Canceled) {
			t.Fatalf("Check with a done context = %v, want an *OpError check / wrapping context.Canceled", err)
		}
		tree.Shutdown(bg(), audit)
		if err := tree.Check(bg()); !errors.Is(err, supervisor.ErrShuttingDown) {
			t.Fatalf("Check after shutdown = %v", err)
		}
	})
}
