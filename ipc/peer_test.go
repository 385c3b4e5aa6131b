//go:build linux

package ipc

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// acceptedConn returns the server side of a connection this process
// makes to a socket of its own; the test's end closes the client side.
func acceptedConn(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(shortDir(t), "t.sock")
	l := mustBind(t, path, 0, CreateNew)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := l.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPeerOfSelf connects to a socket and checks that the server side
// reads the client's credentials: this process's.
func TestPeerOfSelf(t *testing.T) {
	s := acceptedConn(t)
	defer s.Close()
	p, err := peerOf(s)
	if err != nil {
		t.Fatal(err)
	}
	want := peer{UID: uint32(os.Geteuid()), GID: uint32(os.Getegid()), PID: int32(os.Getpid())}
	if p != want {
		t.Errorf("peerOf = %+v, want %+v", p, want)
	}
}

// TestPeerOfClosed checks that a connection whose descriptor is closed
// gives an error, not a zero peer (uid 0 would be root).
func TestPeerOfClosed(t *testing.T) {
	s := acceptedConn(t)
	s.Close()
	var ce *controlError
	if _, err := peerOf(s); !errors.As(err, &ce) || ce.Code != codePeerCredUnavailable {
		t.Errorf("peerOf on a closed connection: %v", err)
	}
}

// TestAdmits checks C2's decisions: the process's uid by default, the
// configured uids, and the gids when configured.
func TestAdmits(t *testing.T) {
	me := uint32(os.Geteuid())
	for _, c := range []struct {
		name string
		cfg  Config
		p    peer
		code string // "" admits
	}{
		{"default, own uid", Config{}, peer{UID: me, GID: 12345}, ""},
		{"default, other uid", Config{}, peer{UID: me + 1000}, codePeerUIDNotAllowed},
		{"listed uid", Config{AllowUIDs: []uint32{1000, 65534}}, peer{UID: 65534}, ""},
		{"listed uids exclude own", Config{AllowUIDs: []uint32{1000}}, peer{UID: me}, codePeerUIDNotAllowed},
		{"gid listed", Config{AllowUIDs: []uint32{1000}, AllowGIDs: []uint32{50}}, peer{UID: 1000, GID: 50}, ""},
		{"gid not listed", Config{AllowUIDs: []uint32{1000}, AllowGIDs: []uint32{50}}, peer{UID: 1000, GID: 51}, codePeerGIDNotAllowed},
		{"gid listed, uid not", Config{AllowUIDs: []uint32{1000}, AllowGIDs: []uint32{50}}, peer{UID: 1001, GID: 50}, codePeerUIDNotAllowed},
	} {
		err := admits(&c.cfg, c.p)
		var ce *controlError
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.code != "" && (!errors.As(err, &ce) || ce.Code != c.code):
			t.Errorf("%s: %v, want code %s", c.name, err, c.code)
		case c.code == codePeerUIDNotAllowed && !strings.Contains(err.Error(), "ipc: allow_uids"),
			c.code == codePeerGIDNotAllowed && !strings.Contains(err.Error(), "ipc: allow_gids"):
			t.Errorf("%s: %q does not name the config key", c.name, err)
		}
	}
}

// TestAllows checks C3's decisions: every class without grants; with
// grants, only the classes of a grant matching the peer's uid or gid.
func TestAllows(t *testing.T) {
	grants := []Grant{
		{UIDs: []uint32{1000}, Classes: []Class{Read}},
		{GIDs: []uint32{50}, Classes: []Class{Read, Write}},
		{UIDs: []uint32{0}, Classes: []Class{Read, Write, Destructive}},
	}
	for _, c := range []struct {
		grants []Grant
		p      peer
		want   []Class // allowed; the others are not
	}{
		{nil, peer{UID: 1234, GID: 1234}, []Class{Read, Write, Destructive}},
		{grants, peer{UID: 1000, GID: 1000}, []Class{Read}},
		{grants, peer{UID: 1000, GID: 50}, []Class{Read, Write}},
		{grants, peer{UID: 2000, GID: 50}, []Class{Read, Write}},
		{grants, peer{UID: 0, GID: 0}, []Class{Read, Write, Destructive}},
		{grants, peer{UID: 2000, GID: 2000}, nil},
	} {
		cfg := Config{Grants: c.grants}
		for _, class := range []Class{Read, Write, Destructive} {
			want := false
			for _, w := range c.want {
				want = want || w == class
			}
			if got := allows(&cfg, c.p, class); got != want {
				t.Errorf("grants %v, peer %+v, class %d: allows = %v, want %v", c.grants, c.p, class, got, want)
			}
		}
	}
}

// serveC2 accepts connections on l until it is closed, as the endpoint
// does: a peer admits refuses gets one line with the code and is closed;
// one it lets in gets "welcome uid=N gid=N" after sending a line.
func serveC2(t *testing.T, l *boundListener, cfg *Config) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			p, err := peerOf(c)
			if err == nil {
				err = admits(cfg, p)
			}
			if err != nil {
				fmt.Fprintf(c, "refused %s\n", err.(*controlError).Code)
			} else if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
				fmt.Fprintf(c, "welcome uid=%d gid=%d\n", p.UID, p.GID)
			}
			c.Close()
		}
	})
	t.Cleanup(func() { l.Close(); wg.Wait() })
}

// TestPeerRefusedOtherUID is an attack: a process of another uid (65534,
// nobody) connects to a socket whose file mode (0666) and directory
// (0711) let it in, so that only C2 stands in its way. The default config
// refuses it with one line; a config listing its uid lets it in, and a
// gid list without its gid refuses it again. A process of the test's own
// uid is let in by default.
func TestPeerRefusedOtherUID(t *testing.T) {
	dir, exe := sharedDir(t)
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	me := fmt.Sprintf("welcome uid=%d gid=%d", os.Geteuid(), os.Getegid())
	for i, c := range []struct {
		name string
		cfg  Config
		cred *syscall.Credential
		want string
	}{
		{"nobody, default config", Config{}, nobody, "refused " + codePeerUIDNotAllowed},
		{"own uid, default config", Config{}, nil, me},
		{"nobody, allowed uid", Config{AllowUIDs: []uint32{65534}}, nobody, "welcome uid=65534 gid=65534"},
		{"nobody, allowed uid, other gid", Config{AllowUIDs: []uint32{65534}, AllowGIDs: []uint32{0}}, nobody, "refused " + codePeerGIDNotAllowed},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("s%d.sock", i))
			l := mustBind(t, path, 0o666, CreateNew)
			serveC2(t, l, &c.cfg)
			out, err := helper(t, exe, path, c.cred, `{"id":"1","method":"hello"}`)
			if out != c.want {
				t.Errorf("the client read %q (exit: %v), want %q", out, err, c.want)
			}
		})
	}
}

// TestPeerFileModeAlone shows what C2 adds: with the default socket mode
// (0600), a process of another uid cannot even connect.
func TestPeerFileModeAlone(t *testing.T) {
	dir, exe := sharedDir(t)
	path := filepath.Join(dir, "t.sock")
	l := mustBind(t, path, 0, CreateNew)
	serveC2(t, l, &Config{AllowUIDs: []uint32{65534}})
	out, err := helper(t, exe, path, &syscall.Credential{Uid: 65534, Gid: 65534}, "x")
	if err == nil || !strings.Contains(out, "permission denied") {
		t.Errorf("nobody connected to a 0600 socket: %q, %v", out, err)
	}
}
