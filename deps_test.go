package supervisor_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The root package imports only the standard library: users pay only for
// the adapters they import.
func TestStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/go-supervisor/supervisor" && !strings.HasPrefix(p, "github.com/go-supervisor/supervisor/internal/") {
			t.Errorf("the root package depends on %s, outside the standard library", p)
		}
	}
}

// workspaceModules lists the directories of the repository's modules, as
// go.work names them.
func workspaceModules(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	dirs := strings.Fields(string(out))
	if len(dirs) < 2 {
		t.Fatalf("go list -m found %d modules: is go.work missing?", len(dirs))
	}
	return dirs
}

// Every package's tests check for leaked goroutines: each package with test
// files, in each of the repository's modules, has a TestMain that runs
// goleak.
func TestEveryPackageChecksLeaks(t *testing.T) {
	for _, mod := range workspaceModules(t) {
		cmd := exec.Command("go", "list", "-f", "{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}\t{{.Dir}}{{end}}", "./...")
		cmd.Dir = mod
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list in %s: %v\n%s", mod, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line == "" {
				continue
			}
			path, dir, _ := strings.Cut(line, "\t")
			files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
			found := false
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b, []byte("func TestMain(")) && bytes.Contains(b, []byte("goleak.")) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no TestMain running goleak", path)
			}
		}
	}
}

// A program that imports only the root package pays for no third-party
// module: a throwaway consumer module, built outside the workspace, lists
// in its module graph only itself, the library and goleak (which the
// library's own tests use; Go's module graph pruning keeps goleak's own
// requirements out, and nothing of it is linked into the program). The
// program's binary has no dependency but the library. docs/modules.md
// gives the count, 3.
func TestConsumerPaysForNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module outside the workspace")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/consumer\n\ngo 1.26.0\n\nrequire github.com/go-supervisor/supervisor v0.1.0\n\n"+
		"replace github.com/go-supervisor/supervisor => "+root+"\n")
	write("main.go", `package main

import (
	"context"

	"github.com/go-supervisor/supervisor"
)

func main() {
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{})
	if err != nil {
		panic(err)
	}
	tree.Shutdown(context.Background(), supervisor.Audit{Who: "consumer", Why: "done"})
}
`)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod -buildvcs=false")
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("go %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return string(out)
	}
	run("mod", "tidy")
	graph := strings.Split(strings.TrimSpace(run("list", "-m", "-f", "{{.Path}}", "all")), "\n")
	want := []string{"example.com/consumer", "github.com/go-supervisor/supervisor", "go.uber.org/goleak"}
	if strings.Join(graph, " ") != strings.Join(want, " ") {
		t.Errorf("the consumer's module graph is\n\t%s\nwant only\n\t%s", strings.Join(graph, "\n\t"), strings.Join(want, "\n\t"))
	}
	run("build", "-o", "consumer", ".")
	info := run("version", "-m", "consumer")
	for _, line := range strings.Split(info, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "dep" && f[1] != "github.com/go-supervisor/supervisor" {
			t.Errorf("the consumer's binary links %s", f[1])
		}
	}
}

// No go.mod in the repository has a replace directive: go install of a
// module with one fails, and a user's go get ignores it. go.work points the
// repository's modules at each other for development instead. Every
// requirement of one repository module by another names the version
// being released, which go.work maps to the working tree (docs/modules.md).
func TestModulesGoGettable(t *testing.T) {
	type modFile struct {
		Module  struct{ Path string }
		Require []struct{ Path, Version string }
		Replace []struct{ Old struct{ Path string } }
	}
	out, err := exec.Command("go", "work", "edit", "-json").Output()
	if err != nil {
		t.Fatalf("go work edit -json: %v", err)
	}
	var work struct {
		Replace []struct {
			Old struct{ Path, Version string }
			New struct{ Path string }
		}
	}
	if err := json.Unmarshal(out, &work); err != nil {
		t.Fatal(err)
	}
	released := map[string]string{} // module path -> the version go.work maps
	for _, r := range work.Replace {
		released[r.Old.Path] = r.Old.Version
	}
	for _, dir := range workspaceModules(t) {
		cmd := exec.Command("go", "mod", "edit", "-json")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go mod edit -json in %s: %v", dir, err)
		}
		var m modFile
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Replace) > 0 {
			t.Errorf("%s: go.mod replaces %s: use go.work", m.Module.Path, m.Replace[0].Old.Path)
		}
		for _, r := range m.Require {
			if !strings.HasPrefix(r.Path, "github.com/go-supervisor/supervisor") {
				continue
			}
			if v, ok := released[r.Path]; !ok || v != r.Version {
				t.Errorf("%s requires %s %s; go.work maps %q", m.Module.Path, r.Path, r.Version, v)
			}
		}
	}
}
