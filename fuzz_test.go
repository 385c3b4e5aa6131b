package supervisor_test

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-supervisor/supervisor"
)

// FuzzDecodeJSON reads outside input the way a consumer of the tree's JSON
// does (a dashboard, the IPC endpoint's clients): a snapshot, a journal or
// a list of events, a shutdown report, run summaries, a plan. Decoding must
// never panic, and whatever decodes must encode to JSON that decodes to
// the same encoding again. The seeds are the golden documents of a real
// tree (testdata/json), so they follow the format as it is.
func FuzzDecodeJSON(f *testing.F) {
	files, err := filepath.Glob("testdata/json/*")
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden documents to seed from: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"seq":1,"kind":"child_exited","path":"/a","state":"failed","exit":"panic","delay":"infinity"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []func() any{
			func() any { return new(supervisor.Snapshot) },
			func() any { return new(supervisor.Journal) },
			func() any { return new([]supervisor.Event) },
			func() any { return new(supervisor.ShutdownReport) },
			func() any { return new([]supervisor.RunSummary) },
			func() any { return new(supervisor.Plan) },
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
