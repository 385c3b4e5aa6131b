//go:build linux

package ipc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runHelper is the test binary run as a client process of a test, in
// TestMain when IPC_TEST_HELPER is set (to "dial"): it connects to the
// socket IPC_TEST_SOCKET names, writes IPC_TEST_LINE and a newline, and
// prints the line it reads back to stdout. It returns the exit code: 2 if
// it could not connect, 3 if it read no line back.
func runHelper() int {
	c, err := net.DialTimeout("unix", os.Getenv("IPC_TEST_SOCKET"), 5*time.Second)
	if err != nil {
		fmt.Println("dial:", err)
		return 2
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// A server that refuses the connection may close it before the write:
	// what it sent is read all the same.
	_, werr := io.WriteString(c, os.Getenv("IPC_TEST_LINE")+"\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	fmt.Print(line)
	if err != nil {
		fmt.Println("read:", err, "after write:", werr)
		return 3
	}
	return 0
}

// sharedDir returns a new directory that every user may traverse (mode
// 0711), with a copy of the test binary in it that every user may run,
// for helper processes of other uids. The directories above it (TMPDIR's)
// must let others through: .ci/run makes its private TMPDIR so.
func sharedDir(t *testing.T) (dir, exe string) {
	t.Helper()
	dir = shortDir(t)
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			t.Fatalf("%s does not let other users through (mode %v): the tests that connect as another uid need TMPDIR's directories to be o+x", d, fi.Mode().Perm())
		}
		if d == "/" {
			break
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe = filepath.Join(dir, "ipc.test")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, exe
}

// helper runs exe as a client process of the socket at path with the
// credentials cred (nil: the test's own), sends line, and returns what
// it printed and its error.
func helper(t *testing.T, exe, path string, cred *syscall.Credential, line string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Dir = "/"
	cmd.Env = []string{"IPC_TEST_HELPER=dial", "IPC_TEST_SOCKET=" + path, "IPC_TEST_LINE=" + line,
		"GORACE=atexit_sleep_ms=0"} // the race detector waits a second at exit by default
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}
