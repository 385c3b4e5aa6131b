package supervisor

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// No control loop holds the tree lock while it takes a goroutine profile:
// a profile takes time in proportion to every goroutine of the process, and
// under the lock it froze the whole tree (Snapshot, Journal, every loop and
// command) for as long. The tree is driven through every path that
// profiles: a child abandoned by RestartChild, a nested supervisor's child
// abandoned in its supervisor's restart, a shutdown with a straggler, and
// the reconcile stage; each profile checks that the lock is free.
func TestNoProfileUnderLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		stuck := func(ctx context.Context) error { <-release; return nil }
		var tree *Tree
		profiles, held := 0, 0
		h := hooks{profile: func() {
			profiles++
			if !tree.mu.TryLock() {
				held++
				return
			}
			tree.mu.Unlock()
		}}
		audit := Audit{Who: "test", Why: "lock discipline"}
		var err error
		tree, err = start(context.Background(), Spec{Children: []Child{
			{Name: "stuck", Run: stuck, Shutdown: 10 * time.Millisecond},
			{Name: "sub", Tree: &Spec{Children: []Child{{Name: "deep", Run: stuck, Shutdown: 10 * time.Millisecond}}}},
			{Name: "last", Run: stuck, Shutdown: 10 * time.Millisecond},
		}}, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.RestartChild(context.Background(), "/stuck", audit); err != nil {
			t.Fatal(err)
		}
		if err := tree.RestartChild(context.Background(), "/sub", audit); err != nil {
			t.Fatal(err)
		}
		tree.Shutdown(context.Background(), audit)
		close(release)
		synctest.Wait()
		if profiles < 4 {
			t.Fatalf("%d profiles taken: the scenario missed a path", profiles)
		}
		if held > 0 {
			t.Errorf("%d of %d goroutine profiles were taken with the tree lock held", held, profiles)
		}
	})
}
