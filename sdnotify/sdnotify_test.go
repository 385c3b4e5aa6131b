package sdnotify_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/sdnotify"
	"github.com/go-supervisor/supervisor/supervisortest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var audit = supervisor.Audit{Who: "test", Why: "sdnotify"}

// listen opens a fake systemd notify socket at a temporary path.
func listen(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	return listenAt(t, path), path
}

func listenAt(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

type msg struct {
	text string
	at   time.Time
}

// recv returns the next datagram, or fails the test if none arrives within d.
func recv(t *testing.T, conn *net.UnixConn, d time.Duration) msg {
	t.Helper()
	m, err := tryRecv(conn, d)
	if err != nil {
		t.Fatalf("no notification within %v: %v", d, err)
	}
	return m
}

func tryRecv(conn *net.UnixConn, d time.Duration) (msg, error) {
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(d))
	n, err := conn.Read(buf)
	if err != nil {
		return msg{}, err
	}
	return msg{text: string(buf[:n]), at: time.Now()}, nil
}

// recvUntil reads notifications until one satisfies match, returning those
// read (the matching one last); it fails the test after d in all.
func recvUntil(t *testing.T, conn *net.UnixConn, d time.Duration, match func(string) bool) []msg {
	t.Helper()
	deadline := time.Now().Add(d)
	var got []msg
	for {
		m, err := tryRecv(conn, time.Until(deadline))
		if err != nil {
			t.Fatalf("no matching notification within %v (%v); got %q", d, err, texts(got))
		}
		got = append(got, m)
		if match(m.text) {
			return got
		}
	}
}

func texts(ms []msg) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.text)
	}
	return out
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func idleTree(t *testing.T, names ...string) *supervisor.Tree {
	t.Helper()
	var children []supervisor.Child
	for _, n := range names {
		children = append(children, supervisor.Child{Name: n, Run: supervisortest.Idle})
	}
	return supervisortest.Start(t, supervisor.Spec{Children: children})
}

// start runs sdnotify.Run in a goroutine; the returned channel yields its
// result.
func start(ctx context.Context, tree *supervisor.Tree, opts sdnotify.Options) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- sdnotify.Run(ctx, tree, opts) }()
	return errc
}

func result(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestLifecycle(t *testing.T) {
	conn, path := listen(t)
	tree := idleTree(t, "a", "b")
	errc := start(context.Background(), tree, sdnotify.Options{
		Getenv: env(map[string]string{
			"NOTIFY_SOCKET": path,
			"WATCHDOG_USEC": "100000",
			"WATCHDOG_PID":  strconv.Itoa(os.Getpid()),
		}),
		StatusInterval: 50 * time.Millisecond,
	})

	if m := recv(t, conn, 2*time.Second); m.text != "READY=1\nSTATUS=2 children: 2 running" {
		t.Fatalf("first notification = %q, want READY=1 with the status", m.text)
	}

	// WATCHDOG=1 every 50ms, half of WATCHDOG_USEC.
	var pings []time.Time
	for len(pings) < 4 {
		m := recv(t, conn, time.Second)
		if m.text != "WATCHDOG=1" {
			t.Fatalf("unexpected notification %q while idle", m.text)
		}
		pings = append(pings, m.at)
	}
	// Paced by the interval, not sent in a burst: a ticker delivers at most
	// one late tick at once, so four pings span at least one interval
	// whatever the load. (Only this lower bound holds on a busy machine;
	// each ping arriving within a second bounds it from above.)
	if span := pings[3].Sub(pings[0]); span < 45*time.Millisecond {
		t.Errorf("four watchdog pings within %v: want them paced at 50ms", span)
	}

	// A change of state is reported in STATUS=.
	if err := tree.PauseChild(context.Background(), "/b", audit); err != nil {
		t.Fatal(err)
	}
	recvUntil(t, conn, 2*time.Second, func(s string) bool { return s == "STATUS=2 children: 1 running, 1 paused" })

	// Shutdown: STOPPING=1, then Run returns nil once the tree has ended.
	if _, err := tree.Shutdown(context.Background(), audit); err != nil {
		t.Fatal(err)
	}
	recvUntil(t, conn, 2*time.Second, func(s string) bool { return s == "STOPPING=1" })
	if err := result(t, errc); err != nil {
		t.Fatalf("Run = %v, want nil after the tree ended", err)
	}
	// STOPPING=1 is sent once.
	for {
		m, err := tryRecv(conn, 20*time.Millisecond)
		if err != nil {
			break
		}
		if m.text == "STOPPING=1" {
			t.Fatal("STOPPING=1 sent twice")
		}
	}
}

func TestStatusRateLimited(t *testing.T) {
	conn, path := listen(t)
	tree := idleTree(t, "a", "b", "c")
	const every = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := start(ctx, tree, sdnotify.Options{
		Getenv:         env(map[string]string{"NOTIFY_SOCKET": path}),
		StatusInterval: every,
	})
	ready := recv(t, conn, 2*time.Second)
	if !strings.HasPrefix(ready.text, "READY=1\n") {
		t.Fatalf("first notification = %q", ready.text)
	}
	for _, p := range []string{"/a", "/b", "/c"} {
		if err := tree.PauseChild(ctx, p, audit); err != nil {
			t.Fatal(err)
		}
	}
	got := recvUntil(t, conn, 3*time.Second, func(s string) bool { return s == "STATUS=3 children: 3 paused" })
	last := ready.at
	for _, m := range got {
		if !strings.HasPrefix(m.text, "STATUS=") {
			t.Fatalf("unexpected notification %q", m.text)
		}
		if gap := m.at.Sub(last); gap < every*3/4 {
			t.Errorf("STATUS sent %v after the previous one, want at least %v: %q", gap, every, texts(got))
		}
		last = m.at
	}
	cancel()
	if m := recv(t, conn, 2*time.Second); m.text != "STOPPING=1" {
		t.Fatalf("got %q after cancel, want STOPPING=1", m.text)
	}
	if err := result(t, errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestNoSocket(t *testing.T) {
	conn, _ := listen(t)
	tree := idleTree(t, "a")
	errc := start(context.Background(), tree, sdnotify.Options{Getenv: env(nil)})
	if err := result(t, errc); err != nil {
		t.Fatalf("Run = %v, want nil without NOTIFY_SOCKET", err)
	}
	if m, err := tryRecv(conn, 50*time.Millisecond); err == nil {
		t.Fatalf("sent %q without NOTIFY_SOCKET", m.text)
	}
}

func TestWatchdogPIDMismatch(t *testing.T) {
	conn, path := listen(t)
	tree := idleTree(t, "a")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := start(ctx, tree, sdnotify.Options{Getenv: env(map[string]string{
		"NOTIFY_SOCKET": path,
		"WATCHDOG_USEC": "20000", // 10ms: many pings would be due below
		"WATCHDOG_PID":  strconv.Itoa(os.Getpid() + 1),
	})})
	if m := recv(t, conn, 2*time.Second); !strings.HasPrefix(m.text, "READY=1\n") {
		t.Fatalf("first notification = %q", m.text)
	}
	if m, err := tryRecv(conn, 200*time.Millisecond); err == nil {
		t.Fatalf("sent %q with WATCHDOG_PID of another process", m.text)
	}
	cancel()
	if m := recv(t, conn, 2*time.Second); m.text != "STOPPING=1" {
		t.Fatalf("got %q after cancel, want STOPPING=1", m.text)
	}
	if err := result(t, errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@go-supervisor-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	conn := listenAt(t, name)
	tree := idleTree(t, "a")
	ctx, cancel := context.WithCancel(context.Background())
	errc := start(ctx, tree, sdnotify.Options{Getenv: env(map[string]string{"NOTIFY_SOCKET": name})})
	if m := recv(t, conn, 2*time.Second); m.text != "READY=1\nSTATUS=1 child: 1 running" {
		t.Fatalf("first notification = %q", m.text)
	}
	cancel()
	if m := recv(t, conn, 2*time.Second); m.text != "STOPPING=1" {
		t.Fatalf("got %q after cancel, want STOPPING=1", m.text)
	}
	result(t, errc)
}

func TestBadEnvironment(t *testing.T) {
	_, path := listen(t)
	tree := idleTree(t, "a")
	for _, vars := range []map[string]string{
		{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "soon"},
		{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "0"},
		{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "100000", "WATCHDOG_PID": "me"},
		{"NOTIFY_SOCKET": "relative/path"},
		{"NOTIFY_SOCKET": filepath.Join(t.TempDir(), "missing")},
	} {
		if err := sdnotify.Run(context.Background(), tree, sdnotify.Options{Getenv: env(vars)}); err == nil {
			t.Errorf("Run with %v = nil, want an error", vars)
		}
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		s    supervisor.Snapshot
		want string
	}{
		{supervisor.Snapshot{}, "0 children"},
		{supervisor.Snapshot{Children: make([]supervisor.ChildInfo, 1),
			Counts: map[supervisor.State]int{supervisor.StateReady: 1}}, "1 child: 1 ready"},
		{supervisor.Snapshot{Children: make([]supervisor.ChildInfo, 12),
			Counts: map[supervisor.State]int{supervisor.StateBackoff: 1, supervisor.StateRunning: 11}},
			"12 children: 11 running, 1 backoff"},
	} {
		if got := sdnotify.Summary(tc.s); got != tc.want {
			t.Errorf("Summary = %q, want %q", got, tc.want)
		}
	}
}
