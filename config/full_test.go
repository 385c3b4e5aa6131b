package config_test

import (
	"io/fs"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/process"
)

// testdata/valid/full.yaml sets every key of the format; each must land in
// the field it names.
func TestEveryKey(t *testing.T) {
	spec, err := config.Load(filepath.Join("testdata", "valid", "full.yaml"), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	pathError := (*fs.PathError)(nil)
	web := &process.Command{
		Path:       "/usr/local/bin/web",
		Args:       []string{"--port", "8080"},
		Env:        []string{"MODE=${MODE:-production}", "PORT=8080", "TOKEN=${file:/run/secrets/token}"},
		CleanEnv:   true,
		Dir:        "/srv/web",
		StopSignal: syscall.SIGINT,
		Ready:      process.Ready{Line: "listening", Addr: ":8080"},
		Limits:     process.Limits{OpenFiles: 4096, AddressSpace: 1 << 30},
	}
	want := supervisor.Spec{
		Name:          "shop",
		Strategy:      supervisor.OneForAll,
		Intensity:     supervisor.Intensity{MaxRestarts: 10, Period: time.Minute},
		Budget:        supervisor.Budget{Burst: 5, Refill: 2 * time.Second},
		MaxRestarting: 4,
		Groups: []supervisor.Group{{Name: "storage", Strategy: supervisor.RestForOne,
			Intensity: supervisor.Intensity{MaxRestarts: 5, Period: 30 * time.Second}, MaxRestarting: 2}},
		AutoShutdown: supervisor.AnySignificant,
		JournalSize:  2048,
		Seed:         42,
		Defaults: supervisor.Defaults{
			Restart:      supervisor.Transient,
			StartTimeout: time.Minute,
			Shutdown:     10 * time.Second,
			Backoff: supervisor.Backoff{Initial: 200 * time.Millisecond, Max: 20 * time.Second,
				Multiplier: 1.5, Jitter: 0.1, ResetAfter: 30 * time.Second},
			Quarantine: supervisor.Quarantine{After: 4, Within: 2 * time.Minute, Probation: 30 * time.Second},
			Liveness: supervisor.Liveness{Interval: 5 * time.Second, StaleAfter: 20 * time.Second,
				Progress: true, OnStale: supervisor.StaleRestart},
			Rules: []supervisor.Rule{{Is: errDrained, Action: supervisor.ActionStop}},
		},
		Children: []supervisor.Child{
			{Name: "db", Restart: supervisor.Permanent, Readiness: supervisor.ReadinessExplicit,
				Role: supervisor.RoleService, Group: "storage", StartTimeout: 45 * time.Second,
				Shutdown: supervisor.Infinity, Backoff: supervisor.Backoff{Off: true, ResetAfter: time.Minute},
				Quarantine: supervisor.Quarantine{Off: true}, Liveness: supervisor.Liveness{Off: true},
				Rules: []supervisor.Rule{{As: pathError, Message: "no such file", ExitCodes: []int{2, 3},
					Action: supervisor.ActionEscalate}}},
			{Name: "backup", Role: supervisor.RoleSidecar, Primary: "db", Group: "storage",
				Liveness: supervisor.Liveness{Interval: time.Second}},
			{Name: "migrate", Role: supervisor.RoleJob, Restart: supervisor.Temporary, Significant: true,
				Rules: []supervisor.Rule{
					{Message: "^fatal", Action: supervisor.ActionShutdownTree},
					{ExitCodes: []int{75}, Action: supervisor.ActionQuarantine},
					{Is: errDrained, Action: supervisor.ActionRestart},
				}},
			{Name: "web", Readiness: supervisor.ReadinessExplicit, Shutdown: 20 * time.Second,
				Liveness: supervisor.Liveness{Off: true}, Revision: web.Revision()},
			{Name: "workers", Tree: &supervisor.Spec{
				Name:          "workers",
				Strategy:      supervisor.RestForOne,
				Intensity:     supervisor.Intensity{MaxRestarts: 20, Period: 10 * time.Second},
				Budget:        supervisor.Budget{Burst: 2, Refill: 500 * time.Millisecond},
				MaxRestarting: 1,
				Groups:        []supervisor.Group{{Name: "pool", Strategy: supervisor.OneForAll}},
				AutoShutdown:  supervisor.AllSignificant,
				Defaults: supervisor.Defaults{Restart: supervisor.Transient,
					Backoff: supervisor.Backoff{Initial: time.Second}},
				Children: []supervisor.Child{
					{Name: "w1", Group: "pool", Significant: true},
					{Name: "w2", Group: "pool"},
				},
			}},
		},
	}
	runs := map[string]string{"/db": "db", "/backup": "worker", "/migrate": "migrate",
		"/workers/w1": "worker", "/workers/w2": "worker"}
	compareSpecs(t, "", spec, want, runs)
}

// compareSpecs compares two specs field by field. Run functions cannot be
// compared: runs gives the registered name each worker must run (exec
// children are checked by their Revision), and each worker's Revision is
// set by the loader.
func compareSpecs(t *testing.T, at string, got, want supervisor.Spec, runs map[string]string) {
	t.Helper()
	if len(got.Children) != len(want.Children) {
		t.Fatalf("%s: %d children, want %d", at, len(got.Children), len(want.Children))
	}
	gotChildren, wantChildren := got.Children, want.Children
	got.Children, want.Children = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: spec\n got %+v\nwant %+v", at, got, want)
	}
	for i := range gotChildren {
		g, w := gotChildren[i], wantChildren[i]
		path := at + "/" + w.Name
		if g.Tree != nil && w.Tree != nil {
			compareSpecs(t, path, *g.Tree, *w.Tree, runs)
		} else if (g.Tree == nil) != (w.Tree == nil) {
			t.Errorf("%s: tree %v, want %v", path, g.Tree, w.Tree)
		}
		if name, ok := runs[path]; ok {
			if got := runName(g.Run); got != name {
				t.Errorf("%s: runs %q, want %q", path, got, name)
			}
			w.Revision = revisionOf(t, "run: "+name)
		} else if g.Tree == nil && g.Run == nil {
			t.Errorf("%s: no Run", path)
		}
		g.Run, g.Tree, w.Run, w.Tree = nil, nil, nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: child\n got %+v\nwant %+v", path, g, w)
		}
	}
}

// revisionOf returns the Revision of the one child of a file whose child
// has the given run or exec keys.
func revisionOf(t *testing.T, keys string) string {
	t.Helper()
	spec, err := config.Parse([]byte("children:\n  - name: x\n    "+keys+"\n"), "revision.yaml", testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return spec.Children[0].Revision
}
