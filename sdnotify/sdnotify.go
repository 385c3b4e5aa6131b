// Package sdnotify reports a supervision tree's life to systemd through its
// notify protocol (sd_notify(3)), for a service with Type=notify and,
// optionally, WatchdogSec=.
//
// Run sends, on the unix datagram socket named by $NOTIFY_SOCKET (a path,
// or an abstract socket when it starts with '@'):
//
//   - READY=1 with a STATUS= line at once: the tree given is already started;
//   - WATCHDOG=1 every half of $WATCHDOG_USEC, each time Tree.Check
//     succeeds within a quarter of it; a failed check sends nothing (and is
//     logged), so that systemd's watchdog fires if the tree's control loops
//     stay stuck;
//   - STATUS= with a one-line Summary of Tree.Snapshot, refreshed on the tree's
//     events, at most once per Options.StatusInterval;
//   - STOPPING=1 once the tree's shutdown begins, or when the tree or ctx
//     ends.
//
// Without $NOTIFY_SOCKET (the program does not run under systemd, or not
// with Type=notify) Run returns nil at once and sends nothing. A program
// typically starts it beside its tree:
//
//	go sdnotify.Run(ctx, tree, sdnotify.Options{Logger: logger})
//
// The package keeps no global state and does not change the environment;
// processes the program starts inherit $NOTIFY_SOCKET, which systemd ignores
// for them under NotifyAccess=main.
package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor"
)

// DefaultStatusInterval is the least time between two STATUS= updates when
// Options.StatusInterval is zero.
const DefaultStatusInterval = time.Second

// Options configures Run. The zero value is ready to use.
type Options struct {
	// Getenv reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID; nil
	// means os.Getenv. Tests set it to supply their own environment.
	Getenv func(key string) string
	// Logger receives failed health checks (at level Warn) and failed
	// sends; nil discards them.
	Logger *slog.Logger
	// StatusInterval is the least time between two STATUS= updates; zero
	// means DefaultStatusInterval.
	StatusInterval time.Duration
}

// Run speaks systemd's notify protocol for tree, which must already be
// started, until the tree ends (it returns nil) or ctx is done (it returns
// ctx.Err()); it sends STOPPING=1 before returning in either case, unless it
// was sent already. See the package documentation for what it sends.
//
// Run returns nil at once, sending nothing, if $NOTIFY_SOCKET is unset or
// empty. It returns an error at once, sending nothing, if the environment is
// malformed (a bad $WATCHDOG_USEC or $WATCHDOG_PID, a $NOTIFY_SOCKET that is
// neither a path nor an abstract name) or the socket cannot be reached.
// The watchdog is enabled only if $WATCHDOG_USEC is set and $WATCHDOG_PID is
// unset or equals os.Getpid(). Errors while sending are logged, not
// returned: notifications are best effort.
func Run(ctx context.Context, tree *supervisor.Tree, opts Options) error {
	opts = opts.withDefaults()
	addr := opts.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	conn, interval, err := connect(addr, opts.Getenv)
	if err != nil {
		opts.Logger.Error("sdnotify: not notifying", "error", err)
		return err
	}
	defer conn.Close()
	n := &notifier{conn: conn, log: opts.Logger, tree: tree, every: opts.StatusInterval, interval: interval}

	// Subscribe before taking the first snapshot so that no change is
	// missed; events the snapshot already reflects only cause a refresh
	// that finds nothing new.
	w := watch(tree)
	defer w.stop()
	n.ready()
	return n.loop(ctx, w)
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.StatusInterval <= 0 {
		o.StatusInterval = DefaultStatusInterval
	}
	return o
}

// connect checks the environment and connects to the notify socket at
// addr. It returns the watchdog's interval, zero if it is not enabled.
func connect(addr string, getenv func(string) string) (*net.UnixConn, time.Duration, error) {
	interval, err := watchdogInterval(getenv)
	if err != nil {
		return nil, 0, err
	}
	if addr[0] != '/' && addr[0] != '@' {
		return nil, 0, fmt.Errorf("sdnotify: NOTIFY_SOCKET %q is neither a path nor an abstract socket", addr)
	}
	// The net package maps a leading '@' to Linux's abstract namespace.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return nil, 0, fmt.Errorf("sdnotify: %w", err)
	}
	return conn, interval, nil
}

// watchdogInterval returns half of $WATCHDOG_USEC, the interval at which
// WATCHDOG=1 is sent, or zero if the watchdog is not enabled for this
// process.
func watchdogInterval(getenv func(string) string) (time.Duration, error) {
	s := getenv("WATCHDOG_USEC")
	if s == "" {
		return 0, nil
	}
	usec, err := strconv.ParseUint(s, 10, 64)
	if err != nil || usec == 0 || usec > math.MaxInt64/uint64(time.Microsecond) {
		return 0, fmt.Errorf("sdnotify: bad WATCHDOG_USEC %q", s)
	}
	if p := getenv("WATCHDOG_PID"); p != "" {
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 0 {
			return 0, fmt.Errorf("sdnotify: bad WATCHDOG_PID %q", p)
		}
		if pid != os.Getpid() {
			return 0, nil // meant for another process
		}
	}
	return time.Duration(usec) * time.Microsecond / 2, nil
}

// Summary describes a snapshot in one line, as sent in STATUS=: the number
// of children (of every supervisor in the tree, nested supervisors
// included) and how many are in each state, in the order of the State
// constants, such as "12 children: 11 running, 1 backoff".
func Summary(s supervisor.Snapshot) string {
	var b strings.Builder
	n := len(s.Children)
	b.WriteString(strconv.Itoa(n))
	if n == 1 {
		b.WriteString(" child")
	} else {
		b.WriteString(" children")
	}
	sep := ": "
	for _, st := range slices.Sorted(maps.Keys(s.Counts)) {
		if c := s.Counts[st]; c > 0 {
			b.WriteString(sep)
			sep = ", "
			b.WriteString(strconv.Itoa(c))
			b.WriteByte(' ')
			b.WriteString(st.String())
		}
	}
	return b.String()
}
