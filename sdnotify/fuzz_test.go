package sdnotify_test

import (
	"context"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/sdnotify"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// FuzzEnvironment gives Run any $WATCHDOG_USEC and $WATCHDOG_PID, and a
// $NOTIFY_SOCKET that is either a real (test) socket or text that is not an
// address. Run must never panic or block, must refuse exactly the malformed
// environments, sending nothing, and otherwise announce READY=1 first.
// (The socket itself is not fuzzed: an arbitrary path or abstract name
// could be a real service's socket.)
func FuzzEnvironment(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", ""}, {"30000000", "", ""}, {"0", "", ""}, {"-5", "", ""}, {"1", "1", ""},
		{"18446744073709551615", "", ""}, {"9223372036854775", "", ""}, {"10", "+1", ""}, {" 10", "", ""},
		{"", "", "relative/path"}, {"", "", "x"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	path := filepath.Join(f.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{{Name: "a", Run: supervisortest.Idle}}})
	if err != nil {
		f.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), audit)

	f.Fuzz(func(t *testing.T, usec, pid, notAddr string) {
		addr := path
		if notAddr != "" {
			if notAddr[0] == '/' || notAddr[0] == '@' {
				return // an address: see above
			}
			addr = notAddr
		}
		env := map[string]string{"NOTIFY_SOCKET": addr, "WATCHDOG_USEC": usec, "WATCHDOG_PID": pid}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // Run sends what it sends at once, then returns
		err := sdnotify.Run(ctx, tree, sdnotify.Options{Getenv: func(k string) string { return env[k] }})

		n, perr := strconv.ParseUint(usec, 10, 64)
		usecOK := usec == "" || perr == nil && n > 0 && n <= math.MaxInt64/uint64(time.Microsecond)
		p, perr := strconv.Atoi(pid)
		pidOK := pid == "" || perr == nil && p > 0
		// $WATCHDOG_PID means nothing without $WATCHDOG_USEC.
		wantErr := !usecOK || usec != "" && !pidOK || addr != path
		if (err != nil && err != context.Canceled) != wantErr {
			t.Fatalf("USEC=%q PID=%q SOCKET=%q: Run = %v, want an error: %v", usec, pid, addr, err, wantErr)
		}
		var got []string
		for {
			buf := make([]byte, 4096)
			conn.SetReadDeadline(time.Now().Add(time.Millisecond))
			k, err := conn.Read(buf)
			if err != nil {
				break
			}
			got = append(got, string(buf[:k]))
		}
		if wantErr && len(got) > 0 {
			t.Fatalf("refused environment, but sent %q", got)
		}
		if !wantErr && (len(got) == 0 || !strings.HasPrefix(got[0], "READY=1")) {
			t.Fatalf("USEC=%q PID=%q: sent %q, want READY=1 first", usec, pid, got)
		}
	})
}
