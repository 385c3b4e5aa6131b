package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

func TestSmoke(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree, err := supervisor.Start(context.Background(), supervisor.Spec{
			Children: []supervisor.Child{{Name: "a", Run: c.Run}},
		})
		if err != nil {
			t.Fatal(err)
		}
		rec := supervisortest.Record(tree)
		c.Fail(errors.New("boom"))
		if err := c.WaitRuns(t.Context(), 2, true); err != nil {
			t.Fatal(err)
		}
		rep, err := tree.Shutdown(context.Background(), supervisor.Audit{Who: "t", Why: "done"})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("report %+v", rep)
		t.Log("\n" + supervisortest.Format(rec.Events()))
	})
}
