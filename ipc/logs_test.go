package ipc_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor/ipc"
)

// A child's records are kept apart from a busy sibling's, and paged back
// through; a subscriber that falls behind what is kept is told the gap.
func TestLogsScrollback(t *testing.T) {
	logs := ipc.NewLogs(100, 10)
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{Logs: logs})
	log := slog.New(logs.Handler(nil))
	for i := range 25 {
		log.Info(fmt.Sprintf("quiet %d", i), "path", "/db", "stream", "stderr", "pid", 7)
	}
	for i := range 500 { // a busy sibling
		log.Info(fmt.Sprintf("busy %d", i), "path", "/api", "stream", "stdout")
	}
	var page ipc.LogsResult
	call(t, tg.client, "logs", ipc.LogsParams{Path: "/db", Limit: 4}, &page)
	if len(page.Records) != 4 || page.Records[3].Msg != "quiet 24" || page.Records[0].Msg != "quiet 21" || !page.More {
		t.Fatalf("the newest page of /db: %+v", page)
	}
	call(t, tg.client, "logs", ipc.LogsParams{Path: "/db", Before: page.Records[0].Seq, Limit: 100}, &page)
	if len(page.Records) != 6 || page.Records[0].Msg != "quiet 15" || page.More {
		t.Fatalf("the older page of /db (10 kept per child): %+v", page)
	}
	call(t, tg.client, "logs", ipc.LogsParams{Source: "stderr", Limit: 100}, &page)
	if len(page.Records) != 0 {
		t.Fatalf("the target's last 100 records hold no stderr: %+v", page.Records)
	}
	zero := uint64(0)
	call(t, tg.client, "subscribe", ipc.SubscribeParams{Stream: "logs", After: &zero}, nil)
	p := nextPush(t, tg.client)
	if p.Push != "gap" || p.Gap.Count != 425 || p.Gap.Reason != "journal" {
		t.Fatalf("first push %+v %+v, want a gap of the 425 records no longer kept", p, p.Gap)
	}
	if p = nextPush(t, tg.client); p.Push != "log" || p.Log.Seq != 426 {
		t.Fatalf("then %+v, want record 426", p)
	}
}

// The handler keeps records at info and above whatever the next handler
// does with them, passes them on, and keeps the group and attributes of
// With.
func TestLogsHandler(t *testing.T) {
	logs := ipc.NewLogs(0, 0)
	next := &countHandler{level: slog.LevelWarn}
	log := slog.New(logs.Handler(next)).With("path", "/w").WithGroup("req")
	log.Debug("not kept")
	log.Info("kept", "id", 7)
	log.Warn("passed")
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{Logs: logs})
	var page ipc.LogsResult
	call(t, tg.client, "logs", ipc.LogsParams{Path: "/w"}, &page)
	if len(page.Records) != 2 || page.Records[0].Attrs["req.id"] != float64(7) || next.n != 1 {
		t.Fatalf("records %+v, passed on %d", page.Records, next.n)
	}
}

type countHandler struct {
	level slog.Level
	n     int
}

func (h *countHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h *countHandler) Handle(context.Context, slog.Record) error    { h.n++; return nil }
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *countHandler) WithGroup(string) slog.Handler                { return h }

// Values JSON cannot hold (NaN, infinities, a MarshalJSON that fails or
// panics) are written as text: a record never breaks the logs stream.
func TestLogsValuesJSONCannotHold(t *testing.T) {
	logs := ipc.NewLogs(0, 0)
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{Logs: logs})
	zero := uint64(0)
	call(t, tg.client, "subscribe", ipc.SubscribeParams{Stream: "logs", After: &zero}, nil)
	slog.New(logs.Handler(nil)).Info("odd", "inf", math.Inf(1), "nan", math.NaN(), "bad", badJSON{}, "panics", panicJSON{})
	p := nextPush(t, tg.client)
	if p.Push != "log" || p.Log.Attrs["inf"] != "+Inf" || p.Log.Attrs["nan"] != "NaN" || p.Log.Attrs["bad"] != "bad" {
		t.Fatalf("push %+v", p.Log)
	}
	var page ipc.LogsResult
	call(t, tg.client, "logs", nil, &page)
	if len(page.Records) != 1 {
		t.Fatalf("page %+v", page)
	}
}

type badJSON struct{}

func (badJSON) MarshalJSON() ([]byte, error) { return nil, errors.New("no") }
func (badJSON) String() string               { return "bad" }

type panicJSON struct{}

func (panicJSON) MarshalJSON() ([]byte, error) { panic("boom") }

// A page of logs holds about a MiB at most, however long the lines.
func TestLogsPageBytes(t *testing.T) {
	logs := ipc.NewLogs(0, 0)
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{Logs: logs})
	long := strings.Repeat("x", 60<<10)
	for range 100 {
		slog.New(logs.Handler(nil)).Info(long, "path", "/api")
	}
	var page ipc.LogsResult
	call(t, tg.client, "logs", ipc.LogsParams{Path: "/api", Limit: 1000}, &page)
	if n := len(page.Records); n == 0 || n > 20 || !page.More {
		t.Fatalf("a page of %d records of 60 KiB (more: %v)", n, page.More)
	}
}

// An endpoint serves 64 logs subscriptions at most: each wakes for the
// program's records.
func TestLogsSubscriptionsCapped(t *testing.T) {
	logs := ipc.NewLogs(0, 0)
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{Logs: logs})
	for range 64 {
		c := dial(t, tg.ep.Path())
		defer c.Close()
		call(t, c, "subscribe", ipc.SubscribeParams{Stream: "logs"}, nil)
	}
	if code := callErr(t, tg.client, "subscribe", ipc.SubscribeParams{Stream: "logs"}); code != "busy" {
		t.Fatalf("the 65th logs subscription: %s", code)
	}
}
