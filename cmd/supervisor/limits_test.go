package main_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// measureEnv holds the command a measuring process runs (JSON).
const measureEnv = "SUPERVISOR_TEST_MEASURE"

// measurement is what a measuring process reports of its command.
type measurement struct {
	Exit int           `json:"exit"`
	Peak int64         `json:"peak"`
	CPU  time.Duration `json:"cpu"`
}

// measured runs argv in a process of its own, started by a fresh copy of
// the test binary, and returns its peak memory, CPU time and exit code.
// A process started by this one would be charged this one's peak memory:
// Linux keeps, as a process's peak, the largest of its address spaces',
// that of the process it was forked from included, which a test process
// full of others' garbage can make larger than the bound.
func measured(t *testing.T, argv ...string) measurement {
	t.Helper()
	b, _ := json.Marshal(argv)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), measureEnv+"="+string(b), "GORACE=atexit_sleep_ms=0")
	out, err := cmd.Output()
	var m measurement
	if err != nil || json.Unmarshal(out, &m) != nil {
		t.Fatalf("measuring %v: %v\n%s", argv, err, out)
	}
	return m
}

// measureChild runs the command argv (JSON) and prints its measurement.
func measureChild(argv string) int {
	var args []string
	if err := json.Unmarshal([]byte(argv), &args); err != nil {
		return 2
	}
	cmd := exec.Command(args[0], args[1:]...)
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return 2
	}
	peak, cpu := usage(cmd.ProcessState)
	json.NewEncoder(os.Stdout).Encode(measurement{Exit: cmd.ProcessState.ExitCode(), Peak: peak, CPU: cpu})
	return 0
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
			m := measured(t, bin, sub, file)
			if m.Exit == 0 {
				t.Fatalf("%s %s: exit code 0, want one for an invalid file", sub, s.Name)
			}
			t.Logf("%s %s: peak memory %.1f MB, CPU %v", sub, s.Name, float64(m.Peak)/(1<<20), m.CPU)
			if m.Peak > fileMemoryBound || m.CPU > fileCPUBound {
				t.Errorf("%s %s: peak memory %d MB, CPU %v: more than %d MB or %v",
					sub, s.Name, m.Peak>>20, m.CPU, fileMemoryBound>>20, fileCPUBound)
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
	cmd, lines := startBinary(t, 2*time.Minute, bin, "run", file)
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
	// The run's own peak, from its address space (its rusage would be
	// charged this test process's peak: see measured).
	peak := vmHWM(t, cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	for lines.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run after SIGTERM: %v", err)
	}
	_, cpu := usage(cmd.ProcessState)
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

// vmHWM returns the peak resident memory of the running process pid.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
