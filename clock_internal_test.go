package supervisor

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every window (intensity, restart limit, budget, backoff, probation,
// liveness, stop budgets) is kept in int64 nanoseconds on the tree's clock:
// time elapsed since Tree.base, read with time.Since or Time.Sub, which use
// the monotonic clock. A step of the wall clock therefore changes nothing.
// This test checks both halves: the base carries a monotonic reading, and
// no code of the package reads or builds wall-clock instants (Unix times)
// or strips the monotonic reading (Round(0), Truncate).
func TestMonotonicClock(t *testing.T) {
	tree, err := Start(context.Background(), Spec{Children: []Child{{Name: "a", Run: func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), Audit{Who: "test", Why: "done"})
	if !strings.Contains(tree.base.String(), " m=") {
		t.Fatalf("the tree's base %v has no monotonic reading", tree.base)
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	wall := map[string]bool{"Unix": true, "UnixNano": true, "UnixMilli": true, "UnixMicro": true,
		"Round": true, "Truncate": true}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			if sel, ok := node.(*ast.SelectorExpr); ok && wall[sel.Sel.Name] {
				t.Errorf("%s: %s uses the wall clock or strips the monotonic reading", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}
