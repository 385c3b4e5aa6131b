package config_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/ipc"
)

// A child entry decodes as a file's child does, in YAML or JSON, with the
// programs it runs; its problems are placed in the entry.
func TestDecodeChild(t *testing.T) {
	l := &config.Loader{Registry: testRegistry()}
	for _, text := range []string{
		"name: w1\nexec: {path: /usr/bin/worker, args: [-v]}\n",
		`{"name": "w1", "exec": {"path": "/usr/bin/worker", "args": ["-v"]}}`,
	} {
		child, progs, err := l.DecodeChild([]byte(text))
		if err != nil || child.Name != "w1" || child.Run == nil || !slices.Equal(progs, []string{"/usr/bin/worker"}) {
			t.Fatalf("%q: %+v, %v, %v", text, child, progs, err)
		}
	}
	nested := "name: pool\nsupervisor:\n  children:\n    - {name: a, exec: {path: /bin/a}}\n    - {name: b, run: worker}\n    - {name: c, exec: {path: /bin/c}}\n"
	if _, progs, err := l.DecodeChild([]byte(nested)); err != nil || !slices.Equal(progs, []string{"/bin/a", "/bin/c"}) {
		t.Fatalf("nested: %v, %v", progs, err)
	}
	_, _, err := l.DecodeChild([]byte("name: w1\nexec: {path: /bin/x}\nrestrat: transient\n"))
	var cerr *config.Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != 1 {
		t.Fatalf("a misspelt key: %v", err)
	}
	if p := cerr.Problems[0]; p.Line != 3 || p.Column != 1 || p.Path != "restrat" || p.Source != "restrat: transient" {
		t.Fatalf("problem %+v, want restrat at 3:1", p)
	}
}

// A Loader decodes children for the ipc package's add command.
var _ ipc.ChildDecoder = (*config.Loader)(nil)
