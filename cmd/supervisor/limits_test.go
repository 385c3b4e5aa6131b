package main_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor/config"
	"github.com/go-supervisor/supervisor/internal/yamlshapes"
)

// The bound docs/config.md states for deciding any file, in a process of
// the command: its peak resident memory and its CPU time per file.
const (
	fileMemoryBound = 100 << 20
	fileCPUBound    = time.Second
)

// shapes are the files costliest to decide within the config package's
// limits, and hostile ones beyond them.
func shapes() []yamlshapes.Shape {
	l := yamlshapes.Limits{
		Size: config.MaxFileSize, Line: config.MaxLineLength,
		Nesting: config.MaxNesting, Keys: config.MaxMappingKeys,
	}
	return append(yamlshapes.Within(l), yamlshapes.Beyond(l)...)
}

// usage returns the peak resident memory and CPU time of an ended process.
func usage(ps *os.ProcessState) (peak int64, cpu time.Duration) {
	ru := ps.SysUsage().(*syscall.Rusage)
	return ru.Maxrss << 10, ps.UserTime() + ps.SystemTime()
}

// TestFileBoundsCheckAndRun checks that check and run decide every shape of
// file within the bound.
func TestFileBoundsCheckAndRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, dir := build(t), t.TempDir()
	for _, s := range shapes() {
		file := filepath.Join(dir, "shape.yaml")
		if err := os.WriteFile(file, []byte(s.Data), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{"check", "run"} {
			cmd := exec.Command(bin, sub, file)
			out, err := cmd.CombinedOutput()
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("%s %s: %v, want an exit code for an invalid file\n%.500s", sub, s.Name, err, out)
			}
			peak, cpu := usage(cmd.ProcessState)
			t.Logf("%s %s: peak memory %.1f MB, CPU %v", sub, s.Name, float64(peak)/(1<<20), cpu)
			if peak > fileMemoryBound || cpu > fileCPUBound {
				t.Errorf("%s %s: peak memory %d MB, CPU %v: more than %d MB or %v",
					sub, s.Name, peak>>20, cpu, fileMemoryBound>>20, fileCPUBound)
			}
		}
	}
}

// TestFileBoundsReload checks that a running tree reloading every shape of
// file keeps within the bound, and runs on.
func TestFileBoundsReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, dir := build(t), t.TempDir()
	file := filepath.Join(dir, "app.yaml")
	good := "children:\n  - name: sleeper\n    exec:\n      path: /bin/sh\n" +
		"      args: [\"-c\", \"echo up; exec sleep 1000\"]\n      ready: {line: \"^up$\"}\n"
	if err := os.WriteFile(file, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", file)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<20)
	waitFor(t, lines, "── started")
	reloads := 0
	for _, s := range shapes() {
		if err := os.WriteFile(file, []byte(s.Data), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd.Process.Signal(syscall.SIGHUP)
		waitFor(t, lines, "reload: the file has problems, nothing changed")
		reloads++
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for lines.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run after SIGTERM: %v", err)
	}
	peak, cpu := usage(cmd.ProcessState)
	t.Logf("%d reloads: peak memory %.1f MB, CPU %v", reloads, float64(peak)/(1<<20), cpu)
	if bound := time.Duration(reloads+1) * fileCPUBound; peak > fileMemoryBound || cpu > bound {
		t.Errorf("after %d reloads: peak memory %d MB, CPU %v: more than %d MB or %v",
			reloads, peak>>20, cpu, fileMemoryBound>>20, bound)
	}
}

// waitFor reads lines until one contains text.
func waitFor(t *testing.T, lines *bufio.Scanner, text string) {
	t.Helper()
	for lines.Scan() {
		if strings.Contains(lines.Text(), text) {
			return
		}
	}
	t.Fatalf("the output ended before %q: %v", text, lines.Err())
}
