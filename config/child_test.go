package config_test

import (
	"errors"
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
		child, runs, err := l.DecodeChild([]byte(text))
		if err != nil || child.Name != "w1" || child.Run == nil || len(runs) != 1 || runs[0].Program != "/usr/bin/worker" {
			t.Fatalf("%q: %+v, %v, %v", text, child, runs, err)
		}
	}
	nested := "name: pool\nsupervisor:\n  children:\n    - {name: a, exec: {path: /bin/a, env: {X: '${HOME}'}}}\n    - {name: b, run: worker}\n    - {name: c, exec: {path: /bin/c}}\n"
	_, runs, err := l.DecodeChild([]byte(nested))
	if err != nil || len(runs) != 2 || runs[0].Program != "/bin/a" || runs[0].Env["X"] != "${HOME}" || runs[1].Program != "/bin/c" {
		t.Fatalf("nested: %+v, %v", runs, err)
	}
	_, _, err = l.DecodeChild([]byte("name: w1\nexec: {path: /bin/x}\nrestrat: transient\n"))
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
