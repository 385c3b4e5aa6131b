package supervisor_test

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"testing"

	"github.com/go-supervisor/supervisor"
)

// FuzzDecodeJSON reads outside input the way a consumer of the tree's JSON
// does (a dashboard, the IPC endpoint's clients): a snapshot, a list of
// events or a shutdown report. Decoding must never panic, and whatever
// decodes must encode to JSON that decodes to the same encoding again. The
// seeds in testdata/fuzz/FuzzDecodeJSON come from a real tree.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"treeId":"t","seq":3,"children":[{"path":"/a","name":"a","kind":"worker","restart":"permanent","state":"running"}],"counts":{"running":1}}`))
	f.Add([]byte(`[{"seq":1,"kind":"child_exited","path":"/a","state":"failed","exit":"panic","delay":5}]`))
	f.Add([]byte(`{"cause":"requested","children":[{"path":"/a","outcome":"abandoned","exit":"abandoned"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []func() any{
			func() any { return new(supervisor.Snapshot) },
			func() any { return new([]supervisor.Event) },
			func() any { return new(supervisor.ShutdownReport) },
		} {
			x := v()
			if json.Unmarshal(data, x) != nil {
				continue
			}
			once, err := json.Marshal(x)
			if err != nil {
				t.Fatalf("%T decoded from %q does not encode: %v", x, data, err)
			}
			y := v()
			if err := json.Unmarshal(once, y); err != nil {
				t.Fatalf("%T: its own encoding %s does not decode: %v", x, once, err)
			}
			twice, _ := json.Marshal(y)
			if !bytes.Equal(once, twice) {
				t.Fatalf("%T: encoding is not stable:\n%s\n%s", x, once, twice)
			}
		}
	})
}

// FuzzEnumText: every enumeration's UnmarshalText accepts exactly the names
// its MarshalText writes, and refuses anything else with a *ParseError
// naming the text.
func FuzzEnumText(f *testing.F) {
	for _, s := range []string{"running", "one_for_all", "permanent", "child_exited", "panic", "abandoned", "", "RUNNING", "running\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []interface {
			encoding.TextMarshaler
			encoding.TextUnmarshaler
		}{
			new(supervisor.State), new(supervisor.Strategy), new(supervisor.RestartType), new(supervisor.EventKind),
			new(supervisor.ExitClass), new(supervisor.Outcome), new(supervisor.Role),
			new(supervisor.Readiness), new(supervisor.RuleAction), new(supervisor.AutoShutdown),
			new(supervisor.StaleAction), new(supervisor.ChangeAction),
		} {
			err := v.UnmarshalText(data)
			if err != nil {
				var pe *supervisor.ParseError
				if !errors.As(err, &pe) || pe.Value != string(data) || len(pe.Valid) == 0 {
					t.Fatalf("%T.UnmarshalText(%q): %v, want a *ParseError naming the text and the valid names", v, data, err)
				}
				continue
			}
			back, err := v.MarshalText()
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("%T.UnmarshalText(%q) accepted it, but MarshalText gives %q (%v)", v, data, back, err)
			}
		}
	})
}
