package supervisor

import (
	"context"
	"runtime/pprof"
	"testing"
)

// An attempt answers for its child's pprof labels, whether the tree learnt
// runtime/pprof's context key or had to keep a context per child.
func TestAttemptLabels(t *testing.T) {
	type key struct{}
	base := context.WithValue(context.Background(), key{}, "v")
	for _, learnt := range []bool{true, false} {
		tr := &Tree{baseCtx: base}
		tr.setLabelKey(nil)
		if learnt {
			tr.setLabelKey(pprofLabelKey())
			if tr.labelKey == nil {
				t.Fatal("could not learn runtime/pprof's label key")
			}
		}
		c := &child{n: &node{t: tr}}
		c.labels = tr.labelSet("id:/c")
		if _, isCtx := c.labels.(context.Context); isCtx == learnt {
			t.Fatalf("learnt=%v: labels kept as %T", learnt, c.labels)
		}
		a := &attempt{c: c}
		if v, ok := pprof.Label(a, labelKey); !ok || v != "id:/c" {
			t.Fatalf("learnt=%v: label %q %v", learnt, v, ok)
		}
		if a.Value(key{}) != "v" || a.Value(attemptKey{}) != a {
			t.Fatalf("learnt=%v: values lost", learnt)
		}
	}
}
