package config_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
)

func shutdown(t *testing.T, tree *supervisor.Tree) {
	t.Helper()
	if _, err := tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "done"}); err != nil {
		t.Fatal(err)
	}
}

// waitFor waits until the child at path satisfies ok.
func waitFor(t *testing.T, tree *supervisor.Tree, path string, ok func(supervisor.ChildInfo) bool) supervisor.ChildInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, found := tree.Snapshot().Child(path)
		if found && ok(info) {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %+v after 10s", path, info)
		}
		time.Sleep(time.Millisecond)
	}
}

// up reports whether a child runs (or is ready).
func up(info supervisor.ChildInfo) bool {
	return info.State == supervisor.StateRunning || info.State == supervisor.StateReady
}

// A loaded spec runs: its registered functions are started in order, with
// the policies the file gives them.
func TestLoadedTreeRuns(t *testing.T) {
	var reg config.Registry
	reg.Func("db", func(ctx context.Context) error {
		supervisor.Ready(ctx)
		<-ctx.Done()
		return nil
	})
	var runs atomic.Int32
	reg.Func("flaky", func(ctx context.Context) error {
		if runs.Add(1) == 1 {
			return errors.New("first run fails")
		}
		<-ctx.Done()
		return nil
	})
	spec, err := config.Parse([]byte(`
name: shop
intensity: {max_restarts: 5, period: 1m}
children:
  - name: db
    run: db
    readiness: explicit
  - name: workers
    supervisor:
      children:
        - name: flaky
          run: flaky
          backoff: {initial: 1ms}
`), "shop.yaml", &reg)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, tree)
	if tree.Name() != "shop" {
		t.Errorf("tree name %q, want shop", tree.Name())
	}
	waitFor(t, tree, "/db", func(i supervisor.ChildInfo) bool { return i.State == supervisor.StateReady })
	info := waitFor(t, tree, "/workers/flaky", func(i supervisor.ChildInfo) bool {
		return up(i) && i.Restarts >= 1 && runs.Load() >= 2
	})
	if info.Restarts != 1 || runs.Load() != 2 {
		t.Errorf("flaky restarted %d times in %d runs, want 1 restart in 2 runs", info.Restarts, runs.Load())
	}
}

// The template loads as it is, and its tree runs.
func TestTemplate(t *testing.T) {
	spec, err := config.Parse(config.Template(), "template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Children) != 1 || spec.Children[0].Name != "app" {
		t.Fatalf("children %+v, want one named app", spec.Children)
	}
	if runtime.GOOS != "linux" {
		t.Skip("exec children run on Linux")
	}
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, tree)
	waitFor(t, tree, "/app", up)
}

// recordHandler sends each record's message to a channel.
type recordHandler struct{ lines chan<- string }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.lines <- r.Message:
	default: // the test has what it needs
	}
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

// A Loader's Lookup resolves the ${NAME} references of exec children, and
// its Logger receives their output.
func TestLoaderLookupAndLogger(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("exec children run on Linux")
	}
	lines := make(chan string, 100)
	l := config.Loader{
		Logger: slog.New(recordHandler{lines}),
		Lookup: func(name string) (string, bool) {
			if name == "GREETING_SOURCE" {
				return "hello", true
			}
			return "", false
		},
	}
	spec, err := l.Parse([]byte(`
children:
  - name: greeter
    restart: temporary
    exec:
      path: sh
      args: [-c, 'test "$GREETING" = hello && echo greeted || echo "not greeted: $GREETING"']
      clean_env: true
      env:
        GREETING: ${GREETING_SOURCE}
`), "greeter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, tree)
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line := <-lines:
			switch {
			case line == "greeted":
				return
			case strings.HasPrefix(line, "not greeted"):
				t.Fatalf("the program printed %q, want greeted", line)
			}
			// The Logger also gets package process's own records.
		case <-timeout:
			t.Fatal("no output from the program after 10s")
		}
	}
}

// Each child's Revision hashes what it runs: its run name or its exec
// block, as the program sees it. It changes when (and only when) that
// changes, so that Tree.Apply restarts exactly the children whose code
// changed.
func TestRevision(t *testing.T) {
	base := `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 1GiB}}`
	same := map[string]string{
		"block style": "exec:\n      path: /bin/app\n      args: [-v]\n      env:\n        B: \"2\"\n        A: \"1\"\n      dir: /srv\n      ready: {line: up}\n      limits: {address_space: 1GiB}",
		"key order":   `exec: {args: [-v], path: /bin/app, limits: {address_space: 1GiB}, ready: {line: up}, dir: /srv, env: {B: "2", A: "1"}}`,
		"bytes":       `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 1073741824}}`,
		"SIGTERM":     `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 1GiB}, stop_signal: SIGTERM}`,
		"policies":    base + "\n    restart: transient\n    backoff: {initial: 1s}\n    shutdown: 1m",
	}
	changed := map[string]string{
		"path":        `exec: {path: /bin/app2, args: [-v], env: {A: "1", B: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 1GiB}}`,
		"args":        `exec: {path: /bin/app, args: [-vv], env: {A: "1", B: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 1GiB}}`,
		"env value":   `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "3"}, dir: /srv, ready: {line: up}, limits: {address_space: 1GiB}}`,
		"env key":     `exec: {path: /bin/app, args: [-v], env: {A: "1", C: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 1GiB}}`,
		"clean_env":   `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 1GiB}, clean_env: true}`,
		"dir":         `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "2"}, dir: /tmp, ready: {line: up}, limits: {address_space: 1GiB}}`,
		"stop_signal": `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 1GiB}, stop_signal: SIGINT}`,
		"ready":       `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "2"}, dir: /srv, ready: {line: down}, limits: {address_space: 1GiB}}`,
		"limits":      `exec: {path: /bin/app, args: [-v], env: {A: "1", B: "2"}, dir: /srv, ready: {line: up}, limits: {address_space: 2GiB}}`,
		"run db":      `run: db`,
		"run api":     `run: api`,
	}
	want := revisionOf(t, base)
	if want == "" {
		t.Fatal("an exec child has no Revision")
	}
	for name, keys := range same {
		if got := revisionOf(t, keys); got != want {
			t.Errorf("%s: Revision %s, want %s as for the same program", name, got, want)
		}
	}
	seen := map[string]string{want: "base"}
	for name, keys := range changed {
		got := revisionOf(t, keys)
		if other, dup := seen[got]; dup {
			t.Errorf("%s: Revision %s, the same as %s", name, got, other)
		}
		seen[got] = name
	}
	if revisionOf(t, "run: db\n    restart: transient") != revisionOf(t, "run: db") {
		t.Error("a run child's Revision changes with its policies")
	}
	for _, c := range []string{"run: db", base} {
		spec, err := config.Parse([]byte("children:\n  - name: x\n    "+c+"\n  - name: y\n    "+c+"\n"), "two.yaml", testRegistry())
		if err != nil {
			t.Fatal(err)
		}
		if a, b := spec.Children[0].Revision, spec.Children[1].Revision; a != b {
			t.Errorf("%s: two children with the same code have Revisions %s and %s", c, a, b)
		}
	}
	spec, err := config.Parse([]byte("children:\n  - name: w\n    supervisor: {children: []}\n"), "sup.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := spec.Children[0].Revision; r != "" {
		t.Errorf("a nested supervisor has Revision %q: its children have their own", r)
	}
	if !strings.HasPrefix(want, "sha256:") || !strings.HasPrefix(revisionOf(t, "run: db"), "sha256:") {
		t.Errorf("revisions %s, %s: want sha256: hashes", want, revisionOf(t, "run: db"))
	}
}
