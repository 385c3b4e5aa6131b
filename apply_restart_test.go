package supervisor_test

import (
	"slices"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// A nested supervisor that restarts while Apply changes it starts again
// from the spec being applied (its parent's update gave it), so the steps
// that could not reach it take effect at its restart: the plan reports them
// carried out, not failed, and the tree then matches the spec.
func TestApplyDuringNestedRestart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		sub := func(names ...string) *supervisor.Spec {
			s := &supervisor.Spec{}
			for _, n := range names {
				s.Children = append(s.Children, supervisor.Child{Name: n, Run: supervisortest.SlowStop(2 * time.Second)})
			}
			return s
		}
		old := supervisor.Spec{Children: []supervisor.Child{{Name: "sub", Tree: sub("x", "w")}}}
		tree, _ := start(t, old)
		next := supervisor.Spec{Children: []supervisor.Child{{Name: "sub", Tree: sub("w", "y")}}}
		go func() {
			time.Sleep(time.Second) // while Apply waits for /sub/x to stop
			tree.RestartChild(bg(), "/sub", audit)
		}()
		plan, err := tree.Apply(bg(), next, audit)
		if err != nil {
			t.Fatalf("Apply = %v; plan:\n%s", err, plan)
		}
		time.Sleep(10 * time.Second)
		settle()
		var paths []string
		for _, c := range tree.Snapshot().Children {
			paths = append(paths, c.Path)
		}
		if want := []string{"/sub", "/sub/w", "/sub/y"}; !slices.Equal(paths, want) {
			t.Errorf("the tree has %v, want %v", paths, want)
		}
	})
}
