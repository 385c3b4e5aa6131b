package supervisor_test

import (
	"encoding/json"
	"testing"

	"github.com/go-supervisor/supervisor"
)

// A snapshot, an event and a shutdown report read back from their JSON:
// every enum the tree writes as text parses again.
func TestEnumsRoundTrip(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tree, rec := start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: failEvery(0), Restart: supervisor.Temporary},
			{Name: "sub", Tree: &supervisor.Spec{Children: names("b")}},
		}})
		settle()
		for _, v := range []any{tree.Snapshot(), rec.Events()} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var back any
			switch v.(type) {
			case supervisor.Snapshot:
				back = new(supervisor.Snapshot)
			default:
				back = new([]supervisor.Event)
			}
			if err := json.Unmarshal(b, back); err != nil {
				t.Fatalf("%T does not read back: %v", v, err)
			}
		}
		s := tree.Snapshot()
		if c, _ := s.Child("/sub"); !c.Supervisor {
			t.Fatal("kind")
		}
		r, _ := tree.Shutdown(bg(), audit)
		b, _ := json.Marshal(r)
		var back supervisor.ShutdownReport
		if err := json.Unmarshal(b, &back); err != nil || back.Children[0].Outcome != r.Children[0].Outcome {
			t.Fatalf("report does not read back: %v", err)
		}
	})
}
