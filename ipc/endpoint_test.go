package ipc_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/ipc"
)

// target starts a tree of two children, "db" and "api" (which fails when
// told to), and serves it; it returns the tree, the endpoint and a
// connected client.
type target struct {
	tree   *supervisor.Tree
	ep     *ipc.Endpoint
	client *ipc.Client
	fail   chan error
	dir    string
}

func startTarget(t *testing.T, cfg ipc.Config, w ipc.Wiring) *target {
	t.Helper()
	tg := &target{fail: make(chan error)}
	failing := func(ctx context.Context) error {
		select {
		case err := <-tg.fail:
			return err
		case <-ctx.Done():
			return nil
		}
	}
	tg.tree, tg.ep = serve(t, supervisor.Spec{Name: "shop",
		Intensity: supervisor.Intensity{MaxRestarts: 100, Period: time.Minute},
		Children:  []supervisor.Child{{Name: "db", Run: idle}, {Name: "api", Run: failing}}}, cfg, w)
	tg.dir = filepath.Dir(tg.ep.Path())
	tg.client = dial(t, tg.ep.Path())
	t.Cleanup(func() { tg.client.Close() })
	return tg
}

// serve starts spec's tree and serves it with cfg (on a socket of its own
// if cfg has no path) and w, until the test ends.
func serve(t *testing.T, spec supervisor.Spec, cfg ipc.Config, w ipc.Wiring) (*supervisor.Tree, *ipc.Endpoint) {
	t.Helper()
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path == "" {
		cfg.Path = filepath.Join(ipc.ShortDir(t), "t.sock")
	}
	ep, err := ipc.Listen(tree, cfg, w)
	if err != nil {
		tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "the test ended"})
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ep.Close()
		tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "the test ended"})
	})
	return tree, ep
}

func idle(ctx context.Context) error { <-ctx.Done(); return nil }

func dial(t *testing.T, path string) *ipc.Client {
	t.Helper()
	c, err := ipc.Dial(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func call(t *testing.T, c *ipc.Client, method string, params, result any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, method, params, result); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

// callErr calls method and returns the target's error code.
func callErr(t *testing.T, c *ipc.Client, method string, params any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Call(ctx, method, params, nil)
	var perr *ipc.Error
	if !errors.As(err, &perr) {
		t.Fatalf("%s: %v, want an error of the protocol", method, err)
	}
	return perr.Code
}

// nextPush returns the next push, failing after 10s.
func nextPush(t *testing.T, c *ipc.Client) ipc.Push {
	t.Helper()
	select {
	case p, ok := <-c.Pushes():
		if !ok {
			t.Fatal("the connection ended")
		}
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no push within 10s")
	}
	panic("unreachable")
}

func TestHelloAndState(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	var h ipc.HelloResult
	call(t, tg.client, "hello", ipc.HelloParams{Protocols: []string{ipc.Protocol}}, &h)
	if h.Protocol != ipc.Protocol || h.Target != "shop" || h.Epoch != tg.tree.ID() || h.PID != os.Getpid() ||
		h.Peer.UID != uint32(os.Getuid()) || len(h.Allowed) != len(h.Methods) {
		t.Fatalf("hello: %+v", h)
	}
	var s ipc.StateResult
	call(t, tg.client, "state", nil, &s)
	if len(s.Snapshot.Children) != 2 || s.Snapshot.TreeID != tg.tree.ID() || s.Endpoint.Connections != 1 {
		t.Fatalf("state: %+v", s)
	}
	if code := callErr(t, tg.client, "hello", ipc.HelloParams{Protocols: []string{"other/9"}}); code != "unsupported_protocol" {
		t.Fatalf("hello with another protocol: %s", code)
	}
}

// Every event the tree publishes reaches a subscriber from the first, in
// order, without a gap, and a command's events come with it.
func TestEventsInOrderAndRestart(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	zero := uint64(0)
	call(t, tg.client, "subscribe", ipc.SubscribeParams{Stream: "events", After: &zero}, nil)
	var r ipc.CommandResult
	call(t, tg.client, "restart", ipc.CommandParams{CommandID: "c1", Path: "/api", Who: "ops", Why: "test"}, &r)
	if r.Command != "restart" || r.Path != "/api" || r.Seq == 0 {
		t.Fatalf("restart: %+v", r)
	}
	tg.fail <- errors.New("boom")
	var seq uint64
	restarted := 0
	for restarted < 2 {
		p := nextPush(t, tg.client)
		if p.Push != "event" || p.Event.Seq != seq+1 || p.Epoch != tg.tree.ID() || p.Target != "shop" {
			t.Fatalf("push %+v after seq %d", p, seq)
		}
		seq = p.Event.Seq
		if p.Event.Kind == supervisor.EventChildRestarted && p.Event.Path == "/api" {
			restarted++
		}
	}
}

// Under a panic storm, every event the tree publishes reaches a
// subscriber, in order: each sequence number from the first to the tree's
// last is an event or within a gap push, and the end push comes last.
func TestEventsUnderAPanicStorm(t *testing.T) {
	var panics atomic.Int64
	storm := func(ctx context.Context) error {
		if panics.Add(1) > 500 {
			<-ctx.Done()
			return nil
		}
		panic("storm")
	}
	tree, ep := serve(t, supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: 100000, Period: time.Second},
		Children:  []supervisor.Child{{Name: "storm", Run: storm}}}, ipc.Config{}, ipc.Wiring{})
	c := dial(t, ep.Path())
	defer c.Close()
	zero := uint64(0)
	call(t, c, "subscribe", ipc.SubscribeParams{Stream: "events", After: &zero}, nil)
	for panics.Load() <= 500 {
		time.Sleep(time.Millisecond)
	}
	tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "end"})
	var seq uint64
	for p := nextPush(t, c); p.Push != "end"; p = nextPush(t, c) {
		switch p.Push {
		case "event":
			if p.Event.Seq != seq+1 {
				t.Fatalf("event %d after %d, with no gap told", p.Event.Seq, seq)
			}
			seq = p.Event.Seq
		case "gap":
			if p.Gap.AfterSeq != seq {
				t.Fatalf("a gap after %d, at %d", p.Gap.AfterSeq, seq)
			}
			seq += p.Gap.Count
		}
	}
	if last := tree.Snapshot().Seq; seq != last || seq < 2000 {
		t.Fatalf("accounted up to %d, the tree's last event is %d", seq, last)
	}
}
