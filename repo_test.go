package supervisor_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoFiles lists the files git tracks with their modes, or skips the test
// outside a git checkout (a module downloaded by a user has none).
func repoFiles(t *testing.T) (top string, files map[string]string) {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	top = strings.TrimSpace(string(out))
	cmd := exec.Command("git", "ls-files", "-s", "-z")
	cmd.Dir = top
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files = map[string]string{}
	for _, rec := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		// "<mode> <object> <stage>\t<path>"
		meta, path, ok := strings.Cut(rec, "\t")
		if !ok {
			continue
		}
		files[path] = strings.Fields(meta)[0]
	}
	return top, files
}

// No build output is committed: a tracked file that is an executable
// binary (ELF, Mach-O, PE), or has the executable bit without being a
// script, fails the test. bench/compare, a 5 MB executable, was once
// committed by mistake.
func TestNoTrackedBinaries(t *testing.T) {
	top, files := repoFiles(t)
	magics := [][]byte{
		[]byte("\x7fELF"),
		{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, // Mach-O
		{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
		{0xca, 0xfe, 0xba, 0xbe}, // Mach-O universal
		[]byte("MZ"),             // PE
	}
	for path, mode := range files {
		f, err := os.Open(filepath.Join(top, path))
		if err != nil {
			continue // deleted in the work tree
		}
		head := make([]byte, 4)
		n, _ := f.Read(head)
		f.Close()
		head = head[:n]
		for _, m := range magics {
			if bytes.HasPrefix(head, m) {
				t.Errorf("%s is an executable binary: build outputs do not belong in the repository (git rm --cached it and list it in .gitignore)", path)
			}
		}
		if mode == "100755" && !bytes.HasPrefix(head, []byte("#!")) {
			t.Errorf("%s is executable but not a script: build outputs do not belong in the repository", path)
		}
	}
}
