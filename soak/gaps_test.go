package main

import (
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/seqcheck"
)

// TestSeqTrackerRealSubscription checks the tracker against the library's
// own drop notices: a subscription with a tiny queue, read only after
// many events, must show drops and no gaps.
func TestSeqTrackerRealSubscription(t *testing.T) {
	tree, err := supervisor.Start(t.Context(), supervisor.Spec{Children: []supervisor.Child{
		{Name: "a", Run: idle{}.run},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sub := tree.Subscribe(4)
	tr := seqcheck.New(tree.Snapshot().Seq)
	for range 20 {
		if err := tree.RestartChild(t.Context(), "/a", audit("test")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tree.Shutdown(t.Context(), audit("test")); err != nil {
		t.Fatal(err)
	}
	for {
		e, err := sub.Next(t.Context())
		if err != nil {
			break
		}
		tr.Observe(e)
	}
	tr.Finish(tree.Snapshot().Seq)
	if tr.Gaps != 0 || tr.Anomalies != 0 || tr.Dropped == 0 || tr.Dropped != sub.Dropped() {
		t.Errorf("tracker %+v, subscription dropped %d: want drops, all announced, no gaps", tr, sub.Dropped())
	}
}
