//go:build unix

package ipc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// maxSocketPath is the longest path a Unix socket address holds on Linux:
// sun_path is 108 bytes, one of them the terminating NUL.
const maxSocketPath = 107

// probeTimeout bounds the connect that tells a live socket from a dead one.
const probeTimeout = 500 * time.Millisecond

// boundListener is a Unix listener made by bind. It is a
// *net.UnixListener whose Close removes the socket path only if the path
// is still the socket bind created (same device and inode), so that
// closing never deletes a socket or a file someone else put there since.
// Addr reports the configured path, not the temporary one the socket was
// bound at.
type boundListener struct {
	*net.UnixListener
	path     string
	dev, ino uint64
}

// Addr returns the socket's path.
func (l *boundListener) Addr() net.Addr {
	return &net.UnixAddr{Name: l.path, Net: "unix"}
}

// Close removes the socket path if it is still the socket bind created,
// then closes the listener. The path is removed first so that no client
// ever finds it dead; a stale socket left by a crash is what ReplaceStale
// is for.
func (l *boundListener) Close() error {
	if fi, err := os.Lstat(l.path); err == nil && sameFile(fi, l.dev, l.ino) {
		os.Remove(l.path)
	}
	return l.UnixListener.Close()
}

// bind creates a Unix socket listener at path with the file mode mode
// (0600 if zero; only the permission bits are used) under the rules of
// control C1 and the bind mode bm. The mode is applied before the path is
// visible: the socket is bound in a fresh directory of mode 0700 made next
// to path, chmod-ed there, then linked (CreateNew, or ReplaceStale when
// nothing is at path) or renamed (ReplaceStale over a dead socket of the
// process's user) into place. Every failure is a *BindError.
func bind(path string, mode os.FileMode, bm BindMode) (*boundListener, error) {
	if mode == 0 {
		mode = 0o600
	}
	mode = mode.Perm()
	if !filepath.IsAbs(path) {
		return nil, &BindError{Path: path, Code: codeSocketPathRelative,
			Reason: "the path is relative; set path to an absolute path, such as /run/NAME/NAME.sock"}
	}
	path = filepath.Clean(path)
	if err := checkSocketDir(path); err != nil {
		return nil, err
	}
	tmpDir, err := makePrivateDir(path)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "s")
	ul, dev, ino, err := listenPrivate(path, tmp, mode)
	if err != nil {
		return nil, err
	}
	if err := place(path, tmp, bm); err != nil {
		ul.Close()
		return nil, err
	}
	return &boundListener{UnixListener: ul, path: path, dev: dev, ino: ino}, nil
}

// checkSocketDir checks that the directory of path exists, is a directory
// and is not writable by others unless it has the sticky bit.
func checkSocketDir(path string) error {
	dir := filepath.Dir(path)
	unsafe := func(what string) error {
		return &BindError{Path: path, Code: codeSocketDirUnsafe, Reason: fmt.Sprintf(
			"its directory %s %s; the directory must exist and be writable only by its owner and group, or be sticky like /tmp (mkdir -m 0755 %s, or choose another path)",
			dir, what, dir)}
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return unsafe("does not exist")
	case err != nil:
		return unsafe(fmt.Sprintf("cannot be read (%v)", unwrapPath(err)))
	case !fi.IsDir():
		return unsafe("is not a directory")
	case fi.Mode()&0o002 != 0 && fi.Mode()&fs.ModeSticky == 0:
		return unsafe(fmt.Sprintf("is writable by others and not sticky (mode %04o)", fi.Mode().Perm()))
	}
	return nil
}

// makePrivateDir creates a directory of mode 0700 next to path, on the
// same file system, with a name short enough that a socket in it fits in
// a socket address whenever path does.
func makePrivateDir(path string) (string, error) {
	dir := filepath.Dir(path)
	// ".ipc-" + 8 hex digits + "/s" is 16 bytes after dir's separator.
	if n := len(dir) + 1 + 16; n > maxSocketPath {
		return "", &BindError{Path: path, Code: codeBindFailed, Reason: fmt.Sprintf(
			"its directory's path is %d bytes long and a Unix socket's whole path may have at most %d, of which bind needs %d bytes for a temporary name in that directory; choose a directory with a path of at most %d bytes",
			len(dir), maxSocketPath, 16+1, maxSocketPath-17)}
	}
	for range 100 {
		var b [4]byte
		rand.Read(b[:])
		tmp := filepath.Join(dir, ".ipc-"+hex.EncodeToString(b[:]))
		err := os.Mkdir(tmp, 0o700)
		if err == nil {
			return tmp, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", &BindError{Path: path, Code: codeBindFailed, Reason: fmt.Sprintf(
				"cannot create a temporary directory in %s (%v); the process must be able to write the socket's directory",
				dir, unwrapPath(err))}
		}
	}
	return "", &BindError{Path: path, Code: codeBindFailed, Reason: fmt.Sprintf(
		"cannot create a temporary directory in %s: every name tried exists; remove the .ipc-* directories there", dir)}
}

// listenPrivate binds a listener at tmp, inside a private directory, sets
// the socket file's mode, and returns the listener with the file's device
// and inode.
func listenPrivate(path, tmp string, mode os.FileMode) (*net.UnixListener, uint64, uint64, error) {
	failed := func(what string, err error) error {
		return &BindError{Path: path, Code: codeBindFailed, Reason: fmt.Sprintf(
			"%s: %v", what, unwrapPath(err))}
	}
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, 0, 0, failed("cannot create the socket", err)
	}
	ul.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, mode); err != nil {
		ul.Close()
		return nil, 0, 0, failed("cannot set the socket's mode", err)
	}
	fi, err := os.Lstat(tmp)
	if err != nil {
		ul.Close()
		return nil, 0, 0, failed("cannot read the socket's metadata", err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return ul, uint64(st.Dev), uint64(st.Ino), nil
}

// place moves the socket at tmp to path under bind mode bm.
func place(path, tmp string, bm BindMode) error {
	if bm != ReplaceStale {
		if err := os.Link(tmp, path); err != nil {
			return linkError(path, err)
		}
		return nil
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Link(tmp, path); err != nil {
			return linkError(path, err)
		}
		return nil
	}
	if err != nil {
		return &BindError{Path: path, Code: codeBindFailed, Reason: fmt.Sprintf(
			"cannot read what is at the path: %v", unwrapPath(err))}
	}
	if err := checkStale(path, fi); err != nil {
		return err
	}
	// Between the check and the rename (a few system calls), only a process
	// that may write the directory can change what is at path:
	// checkSocketDir made sure that is the directory's owner and group, or,
	// in a sticky directory, the dead socket's owner (this user) or root.
	if err := os.Rename(tmp, path); err != nil {
		return &BindError{Path: path, Code: codeBindFailed, Reason: fmt.Sprintf(
			"cannot replace the stale socket: %v", unwrapPath(err))}
	}
	return nil
}

// linkError is the BindError of a failed link of the socket to path.
func linkError(path string, err error) error {
	if !errors.Is(err, fs.ErrExist) {
		return &BindError{Path: path, Code: codeBindFailed, Reason: fmt.Sprintf(
			"cannot create the path: %v", unwrapPath(err))}
	}
	what := "something"
	if fi, err := os.Lstat(path); err == nil {
		what = describe(fi)
	}
	return &BindError{Path: path, Code: codeSocketExists, Reason: fmt.Sprintf(
		"%s is already there and bind_mode is create_new, which never replaces anything; remove it, choose another path, or set bind_mode: replace_stale to replace a dead socket of this user",
		what)}
}

// checkStale refuses to replace what fi describes at path unless it is a
// dead socket owned by the process's effective user.
func checkStale(path string, fi fs.FileInfo) error {
	refuse := func(code, reason string) error {
		return &BindError{Path: path, Code: code, Reason: reason}
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return refuse(codeSocketSymlink, fmt.Sprintf(
			"a symlink (to %q) is there, and a symlink is never followed nor replaced; remove it or choose another path", target))
	case fi.Mode()&fs.ModeSocket == 0:
		return refuse(codeSocketNotASocket, fmt.Sprintf(
			"%s is there, and only a dead socket is ever replaced; move it away or choose another path", describe(fi)))
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Geteuid() {
		return refuse(codeSocketForeign, fmt.Sprintf(
			"a socket of uid %d is there, and only a socket of this process's uid %d is ever replaced; remove it as its owner or choose another path",
			uid, os.Geteuid()))
	}
	c, err := net.DialTimeout("unix", path, probeTimeout)
	if err == nil {
		c.Close()
		return refuse(codeSocketLive, "a process is serving the socket there; stop it, or choose another path for this one")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return refuse(codeSocketLive, fmt.Sprintf(
			"the socket there may be live: connecting to it failed with %v rather than being refused; stop the process serving it, or remove it if it is dead",
			unwrapPath(err)))
	}
	return nil
}

// describe names the kind of file fi describes, with an article.
func describe(fi fs.FileInfo) string {
	switch m := fi.Mode(); {
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	default:
		return "a special file"
	}
}

// sameFile reports whether fi is the file with device dev and inode ino.
func sameFile(fi fs.FileInfo, dev, ino uint64) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Dev) == dev && uint64(st.Ino) == ino
}

// unwrapPath returns the error inside a *fs.PathError, *os.LinkError,
// *os.SyscallError or *net.OpError, so that a message does not repeat the
// temporary path.
func unwrapPath(err error) error {
	for {
		var next error
		switch e := err.(type) {
		case *fs.PathError:
			next = e.Err
		case *os.LinkError:
			next = e.Err
		case *os.SyscallError:
			next = e.Err
		case *net.OpError:
			next = e.Err
		default:
			return err
		}
		err = next
	}
}
