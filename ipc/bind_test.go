//go:build unix

package ipc

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// deadSocket leaves a socket nobody listens on at path, as a crashed
// process does.
func deadSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
}

// liveSocket listens at path until the test ends.
func liveSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
}

// inode returns the inode of what is at path, not following a symlink.
func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// noLeftovers fails the test if bind left a temporary directory in dir.
func noLeftovers(t *testing.T, dir string) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, ".ipc-*"))
	if err != nil || len(names) > 0 {
		t.Errorf("temporary directories left in %s: %v %v", dir, names, err)
	}
}

// mustBind binds path and closes the listener when the test ends.
func mustBind(t *testing.T, path string, mode os.FileMode, bm BindMode) *boundListener {
	t.Helper()
	l, err := bind(path, mode, bm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// checkServes fails the test unless a client can connect to path and
// l accepts it.
func checkServes(t *testing.T, l *boundListener, path string) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestBindRows binds over every kind of thing that can be at the path, in
// both modes, and checks that only an absent path (both modes) and a dead
// socket of this user (ReplaceStale) are bound, that a refusal leaves
// what was there untouched, and that no temporary directory is left.
func TestBindRows(t *testing.T) {
	rows := []struct {
		name    string
		make    func(t *testing.T, path string)
		create  string // CreateNew's code; "" binds
		replace string // ReplaceStale's code; "" binds
	}{
		{"absent", func(*testing.T, string) {}, "", ""},
		{"regular file", func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte("precious"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, codeSocketExists, codeSocketNotASocket},
		{"directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}, codeSocketExists, codeSocketNotASocket},
		{"symlink to a dead socket of ours", func(t *testing.T, p string) {
			target := p + ".target"
			deadSocket(t, target)
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		}, codeSocketExists, codeSocketSymlink},
		{"dangling symlink", func(t *testing.T, p string) {
			if err := os.Symlink("/nonexistent/victim", p); err != nil {
				t.Fatal(err)
			}
		}, codeSocketExists, codeSocketSymlink},
		{"live socket", liveSocket, codeSocketExists, codeSocketLive},
		{"dead socket of ours", deadSocket, codeSocketExists, ""},
		{"dead socket of another uid", func(t *testing.T, p string) {
			deadSocket(t, p)
			if err := os.Lchown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, codeSocketExists, codeSocketForeign},
	}
	for _, row := range rows {
		for _, m := range []struct {
			bm   BindMode
			code string
		}{{CreateNew, row.create}, {ReplaceStale, row.replace}} {
			t.Run(row.name+"/"+map[BindMode]string{CreateNew: "create_new", ReplaceStale: "replace_stale"}[m.bm], func(t *testing.T) {
				dir := shortDir(t)
				path := filepath.Join(dir, "t.sock")
				row.make(t, path)
				var before uint64
				if m.code != "" {
					before = inode(t, path)
				}
				l, err := bind(path, 0, m.bm)
				defer noLeftovers(t, dir)
				if m.code == "" {
					if err != nil {
						t.Fatalf("bind: %v", err)
					}
					defer l.Close()
					checkServes(t, l, path)
					return
				}
				if err == nil {
					l.Close()
					t.Fatalf("bind succeeded; want %s", m.code)
				}
				var be *BindError
				if !errors.As(err, &be) || be.Code != m.code || be.Path != path {
					t.Fatalf("bind: %v (%#v); want code %s", err, err, m.code)
				}
				if after := inode(t, path); after != before {
					t.Errorf("what was at the path changed: inode %d, then %d", before, after)
				}
			})
		}
	}
}

// TestBindMode checks the socket file's mode: 0600 by default, the mode
// asked otherwise, in both bind modes.
func TestBindMode(t *testing.T) {
	for _, c := range []struct {
		mode, want os.FileMode
		bm         BindMode
		stale      bool
	}{
		{0, 0o600, CreateNew, false},
		{0o660, 0o660, CreateNew, false},
		{0o666, 0o666, CreateNew, false},
		{0, 0o600, ReplaceStale, true},
		{0o660, 0o660, ReplaceStale, true},
	} {
		dir := shortDir(t)
		path := filepath.Join(dir, "t.sock")
		if c.stale {
			deadSocket(t, path)
			os.Chmod(path, 0o777)
		}
		mustBind(t, path, c.mode, c.bm)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != c.want {
			t.Errorf("mode %v, bind mode %d: the socket's mode is %v, want %v", c.mode, c.bm, fi.Mode(), os.ModeSocket|c.want)
		}
		noLeftovers(t, dir)
	}
}

// TestBindDirUnsafe refuses a directory that is missing, not a directory
// or writable by others without the sticky bit, and accepts a sticky one.
func TestBindDirUnsafe(t *testing.T) {
	dir := shortDir(t)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	sticky := filepath.Join(dir, "sticky")
	os.Mkdir(sticky, 0o700)
	os.Chmod(sticky, 0o777|os.ModeSticky)
	for _, c := range []struct {
		dir, says string
	}{
		{filepath.Join(dir, "missing"), "does not exist"},
		{file, "is not a directory"},
		{open, "is writable by others and not sticky"},
	} {
		path := filepath.Join(c.dir, "t.sock")
		l, err := bind(path, 0, CreateNew)
		if err == nil {
			l.Close()
			t.Errorf("%s: bind succeeded", c.dir)
			continue
		}
		var be *BindError
		if !errors.As(err, &be) || be.Code != codeSocketDirUnsafe || !strings.Contains(be.Reason, c.says) {
			t.Errorf("%s: %v; want %s saying %q", c.dir, err, codeSocketDirUnsafe, c.says)
		}
		if _, err := os.Lstat(path); err == nil {
			t.Errorf("%s: something was created at the path", c.dir)
		}
	}
	mustBind(t, filepath.Join(sticky, "t.sock"), 0, CreateNew)
	noLeftovers(t, sticky)
}

// TestBindPathChecks refuses a relative path and a directory too long for
// the temporary name, and says how to fix each.
func TestBindPathChecks(t *testing.T) {
	_, err := bind("run/t.sock", 0, CreateNew)
	var be *BindError
	if !errors.As(err, &be) || be.Code != codeSocketPathRelative || !strings.Contains(err.Error(), "absolute path") {
		t.Errorf("relative path: %v", err)
	}
	long := t.TempDir()
	for len(long) < maxSocketPath-10 {
		long = filepath.Join(long, "dddddddddd")
	}
	if err := os.MkdirAll(long, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = bind(filepath.Join(long, "s"), 0, CreateNew)
	if !errors.As(err, &be) || be.Code != codeBindFailed || !strings.Contains(err.Error(), "choose a directory") {
		t.Errorf("long directory: %v", err)
	}
}

// TestBindCloseKeepsReplacement replaces the endpoint's socket with
// another process's (by the same path) and checks that closing the first
// listener leaves the second one's socket in place.
func TestBindCloseKeepsReplacement(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "t.sock")
	first, err := bind(path, 0, CreateNew)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	second := mustBind(t, path, 0, CreateNew)
	ino := inode(t, path)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if got := inode(t, path); got != ino {
		t.Fatalf("closing the first listener changed the path: inode %d, want %d", got, ino)
	}
	checkServes(t, second, path)
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("closing the listener left its socket: %v", err)
	}
}

// TestBindCloseKeepsFile checks that Close does not remove a regular file
// put at the path after the socket was removed.
func TestBindCloseKeepsFile(t *testing.T) {
	path := filepath.Join(shortDir(t), "t.sock")
	l, err := bind(path, 0, CreateNew)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	os.WriteFile(path, []byte("precious"), 0o600)
	l.Close()
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Errorf("the file at the path: %q, %v", b, err)
	}
}

// TestBindAddr checks that the listener reports the configured path, not
// the temporary one it was bound at.
func TestBindAddr(t *testing.T) {
	path := filepath.Join(shortDir(t), "t.sock")
	l := mustBind(t, path, 0, CreateNew)
	if got := l.Addr().String(); got != path {
		t.Errorf("Addr = %s, want %s", got, path)
	}
}

// TestBindErrorMessage checks that the message names the path and says
// how to fix it.
func TestBindErrorMessage(t *testing.T) {
	path := filepath.Join(shortDir(t), "t.sock")
	liveSocket(t, path)
	_, err := bind(path, 0, CreateNew)
	if err == nil {
		t.Fatal("bind succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"ipc: cannot bind socket " + path, "a socket is already there", "bind_mode: replace_stale"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
