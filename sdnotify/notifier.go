package sdnotify

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/go-supervisor/supervisor"
)

// writeTimeout bounds one send: a datagram socket whose reader stalls must
// not block Run for ever.
const writeTimeout = time.Second

// notifier speaks the protocol for one tree over a connected socket: what
// it last sent as STATUS=, when, and whether it has sent STOPPING=1.
type notifier struct {
	conn     *net.UnixConn
	log      *slog.Logger
	tree     *supervisor.Tree
	every    time.Duration // the least time between two STATUS= updates
	interval time.Duration // the watchdog's, zero if it is off

	status     string
	lastStatus time.Time
	stopping   bool
	pending    *time.Timer // a refresh held back by the rate limit
	pendingC   <-chan time.Time
}

// send sends msg, logging a failure: notifications are best effort.
func (n *notifier) send(msg string) {
	n.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := n.conn.Write([]byte(msg)); err != nil {
		n.log.Warn("sdnotify: send failed", "message", msg, "error", err)
	}
}

// ready sends READY=1 with the tree's status.
func (n *notifier) ready() {
	n.status = Summary(n.tree.Snapshot())
	n.send("READY=1\nSTATUS=" + n.status)
	n.lastStatus = time.Now()
}

// loop sends what the tree's life calls for until the tree ends (it
// returns nil) or ctx is done (it returns ctx.Err()), then STOPPING=1.
func (n *notifier) loop(ctx context.Context, w *watcher) error {
	var tick <-chan time.Time
	if n.interval > 0 {
		t := time.NewTicker(n.interval)
		defer t.Stop()
		tick = t.C
	}
	defer func() {
		if n.pending != nil {
			n.pending.Stop()
		}
	}()
	shutdown := w.shutdown
	for {
		select {
		case <-ctx.Done():
			n.stop()
			return ctx.Err()
		case <-n.tree.Done():
			n.stop()
			return nil
		case <-shutdown:
			shutdown = nil
			n.stop()
		case <-w.changed:
			n.changed()
		case <-n.pendingC:
			n.pending, n.pendingC = nil, nil
			n.refresh()
		case <-tick:
			n.watchdog(ctx)
		}
	}
}

// changed refreshes the status after the tree changed, or once the rate
// limit allows if it does not yet.
func (n *notifier) changed() {
	if n.pendingC != nil {
		return
	}
	if wait := n.every - time.Since(n.lastStatus); wait > 0 {
		n.pending = time.NewTimer(wait)
		n.pendingC = n.pending.C
		return
	}
	n.refresh()
}

// refresh sends STATUS= if the tree's summary changed.
func (n *notifier) refresh() {
	s := Summary(n.tree.Snapshot())
	n.lastStatus = time.Now()
	if s != n.status {
		n.status = s
		n.send("STATUS=" + s)
	}
}

// watchdog sends WATCHDOG=1 if the tree's control loops answer a check
// within half the interval.
func (n *notifier) watchdog(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, n.interval/2)
	err := n.tree.Check(cctx)
	cancel()
	switch {
	case err == nil:
		n.send("WATCHDOG=1")
	case ctx.Err() != nil || errors.Is(err, supervisor.ErrShuttingDown):
		// Run is about to return.
	default:
		n.log.Warn("sdnotify: health check failed, watchdog not kept alive", "error", err)
	}
}

// stop sends STOPPING=1, once.
func (n *notifier) stop() {
	if !n.stopping {
		n.stopping = true
		n.send("STOPPING=1")
	}
}

// watcher follows the tree's events for the notifier.
type watcher struct {
	sub      *supervisor.Subscription
	changed  chan struct{} // coalesces bursts of events
	shutdown chan struct{} // closed on the root's shutdown_requested
	cancel   context.CancelFunc
	done     chan struct{}
}

// watch subscribes to tree's events and follows them until stop.
func watch(tree *supervisor.Tree) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{sub: tree.Subscribe(0), changed: make(chan struct{}, 1), shutdown: make(chan struct{}),
		cancel: cancel, done: make(chan struct{})}
	go w.run(ctx)
	return w
}

func (w *watcher) run(ctx context.Context) {
	defer close(w.done)
	requested := false
	for {
		e, err := w.sub.Next(ctx)
		if err != nil {
			return
		}
		if e.Kind == supervisor.EventShutdownRequested && e.Path == "/" && !requested {
			requested = true
			close(w.shutdown)
		}
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
}

// stop stops following the events and waits for the goroutine to end.
func (w *watcher) stop() {
	w.cancel()
	w.sub.Close()
	<-w.done
}
