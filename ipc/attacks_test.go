package ipc_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/ipc"
	"github.com/go-supervisor/supervisor/supervisortest"
)

// rawConn is a connection that speaks the protocol by hand, as an
// attacker would.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func rawDial(t *testing.T, path string) *rawConn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{Conn: c, r: bufio.NewReaderSize(c, 1<<20)}
}

// roundTrip writes line and returns the response it reads.
func (c *rawConn) roundTrip(t *testing.T, line string) ipc.Response {
	t.Helper()
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	return c.read(t)
}

func (c *rawConn) read(t *testing.T) ipc.Response {
	t.Helper()
	b, err := c.r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var r ipc.Response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return r
}

func wantCode(t *testing.T, r ipc.Response, id, code string) {
	t.Helper()
	if r.OK || r.Error == nil || r.Error.Code != code || r.ID != id {
		t.Fatalf("response %+v (error %+v), want %s for id %q", r, r.Error, code, id)
	}
}

// Lines that are not requests get an error that echoes the caller's id
// whenever one can be read, and the connection goes on.
func TestAttackMalformedLines(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	c := rawDial(t, tg.ep.Path())
	wantCode(t, c.roundTrip(t, `{"id":"a1","method":"frobnicate"}`), "a1", "unknown_method")
	wantCode(t, c.roundTrip(t, `{"id":"a2","method":"state",`), "", "invalid_json")
	wantCode(t, c.roundTrip(t, `{"id":"a3","method":7}`), "a3", "invalid_json")
	wantCode(t, c.roundTrip(t, `{"method":"state"}`), "", "invalid_request")
	wantCode(t, c.roundTrip(t, `{"id":"a4","method":"state","params":{"stat":true}}`), "a4", "invalid_params")
	wantCode(t, c.roundTrip(t, `["not", "an", "object"]`), "", "invalid_json")
	if r := c.roundTrip(t, `{"id":"a5","method":"hello"}`); !r.OK {
		t.Fatalf("hello after the junk: %+v", r.Error)
	}
}

// An oversize line is refused without the target buffering it: its
// memory stays flat, and the connection goes on.
func TestAttackOversizeLine(t *testing.T) {
	tg := startTarget(t, ipc.Config{MaxLine: 4 << 10}, ipc.Wiring{})
	c := rawDial(t, tg.ep.Path())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	go func() {
		chunk := strings.Repeat("x", 1<<20)
		c.Write([]byte(`{"id":"big","method":"hello","params":{"client":"`))
		for range 64 { // 64 MiB
			if _, err := c.Write([]byte(chunk)); err != nil {
				return
			}
		}
		c.Write([]byte("\"}}\n"))
	}()
	wantCode(t, c.read(t), "", "line_too_long")
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 16<<20 {
		t.Errorf("the heap grew by %d MiB while a 64 MiB line was refused", grown>>20)
	}
	if r := c.roundTrip(t, `{"id":"next","method":"hello"}`); !r.OK {
		t.Fatalf("the request after the long line: %+v", r.Error)
	}
}

// A connection that floods the target is rate limited; another
// connection is served as usual all along.
func TestAttackFlood(t *testing.T) {
	tg := startTarget(t, ipc.Config{Rate: 50, Burst: 20}, ipc.Wiring{})
	flood := rawDial(t, tg.ep.Path())
	var b strings.Builder
	for i := range 500 {
		b.WriteString(`{"id":"f` + strconv.Itoa(i) + `","method":"hello"}` + "\n")
	}
	go flood.Write([]byte(b.String()))
	limited := 0
	for range 500 {
		if r := flood.read(t); !r.OK && r.Error.Code == "rate_limited" {
			limited++
		}
	}
	if limited < 400 {
		t.Errorf("%d of 500 requests were limited, want most past the burst of 20", limited)
	}
	var s ipc.StateResult
	call(t, tg.client, "state", nil, &s) // the other connection
	if s.Endpoint.Denied < uint64(limited) {
		t.Errorf("denied %d, want at least %d", s.Endpoint.Denied, limited)
	}
}

// A request id used twice on a connection is refused the second time.
func TestAttackReplayedRequest(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	c := rawDial(t, tg.ep.Path())
	if r := c.roundTrip(t, `{"id":"same","method":"hello"}`); !r.OK {
		t.Fatal(r.Error)
	}
	wantCode(t, c.roundTrip(t, `{"id":"same","method":"hello"}`), "same", "replayed_request")
}

// A command repeated with its command id runs once and answers with the
// first result; the same id with other params is a conflict.
func TestAttackRepeatedCommand(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	restart := ipc.CommandParams{CommandID: "once", Path: "/api", Who: "ops", Why: "test"}
	var first, second ipc.CommandResult
	call(t, tg.client, "restart", restart, &first)
	other := dial(t, tg.ep.Path()) // from another connection too
	defer other.Close()
	call(t, other, "restart", restart, &second)
	if first != second {
		t.Fatalf("the repeat answered %+v, the first %+v", second, first)
	}
	if info, _ := tg.tree.Snapshot().Child("/api"); info.Generation != 2 { // its first attempt, then one restart
		t.Fatalf("/api is at generation %d: the command ran %d times", info.Generation, info.Generation-1)
	}
	restart.Path = "/db"
	if code := callErr(t, tg.client, "restart", restart); code != "command_conflict" {
		t.Fatalf("the same id for another child: %s", code)
	}
}

// Commands need who, why and, for a destructive one, confirmation: each
// refusal changes nothing.
func TestAttackCommandsWithoutAudit(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	for _, c := range []struct {
		method string
		params ipc.CommandParams
		code   string
	}{
		{"restart", ipc.CommandParams{CommandID: "1", Path: "/api", Who: "ops"}, "missing_why"},
		{"restart", ipc.CommandParams{CommandID: "2", Path: "/api", Why: "x"}, "missing_who"},
		{"restart", ipc.CommandParams{Path: "/api", Who: "ops", Why: "x"}, "invalid_params"},
		{"remove", ipc.CommandParams{CommandID: "3", Path: "/api", Who: "ops", Why: "x"}, "not_confirmed"},
		{"shutdown", ipc.CommandParams{CommandID: "4", Who: "ops", Why: "x"}, "not_confirmed"},
		{"restart", ipc.CommandParams{CommandID: "5", Path: "/nope", Who: "ops", Why: "x"}, "not_found"},
		{"add", ipc.CommandParams{CommandID: "6", Path: "/", Who: "ops", Why: "x", Child: "{}"}, "unavailable"},
	} {
		if code := callErr(t, tg.client, c.method, c.params); code != c.code {
			t.Errorf("%s %+v: %s, want %s", c.method, c.params, code, c.code)
		}
	}
	if s := tg.tree.Snapshot(); len(s.Children) != 2 || s.Children[1].Generation != 1 {
		t.Fatalf("the tree changed: %+v", s.Children)
	}
}

// A peer that grants allow to read only may not command.
func TestAttackReadOnlyPeer(t *testing.T) {
	me := uint32(os.Geteuid())
	tg := startTarget(t, ipc.Config{Grants: []ipc.Grant{{UIDs: []uint32{me}, Classes: []ipc.Class{ipc.Read}}}}, ipc.Wiring{})
	if code := callErr(t, tg.client, "restart", ipc.CommandParams{CommandID: "1", Path: "/api", Who: "ops", Why: "x"}); code != "forbidden" {
		t.Fatalf("restart by a reader: %s", code)
	}
	var h ipc.HelloResult
	call(t, tg.client, "hello", nil, &h)
	if strings.Join(h.Allowed, ",") != "hello,state,subscribe,unsubscribe,logs,plan" {
		t.Fatalf("allowed %v", h.Allowed)
	}
}

// An audit file that cannot be written refuses commands (fail closed)
// and counts it; reads go on.
func TestAttackAuditUnwritable(t *testing.T) {
	dir := ipc.ShortDir(t)
	audit := filepath.Join(dir, "audit")
	if err := os.Mkdir(audit, 0o700); err != nil { // a directory where the file goes
		t.Fatal(err)
	}
	tg := startTarget(t, ipc.Config{AuditFile: audit}, ipc.Wiring{})
	if code := callErr(t, tg.client, "restart", ipc.CommandParams{CommandID: "1", Path: "/api", Who: "ops", Why: "x"}); code != "audit_unavailable" {
		t.Fatalf("restart without an audit file: %s", code)
	}
	var s ipc.StateResult
	call(t, tg.client, "state", nil, &s)
	if s.Endpoint.AuditFailures == 0 {
		t.Fatal("no audit failure counted")
	}
	if info, _ := s.Snapshot.Child("/api"); info.Generation != 1 {
		t.Fatal("the command ran without its audit record")
	}
}

// The audit file holds a record for each command, allowed, refused and
// done, synced before the command runs.
func TestAuditRecords(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	call(t, tg.client, "restart", ipc.CommandParams{CommandID: "1", Path: "/api", Who: "ops", Why: "stuck"}, nil)
	callErr(t, tg.client, "remove", ipc.CommandParams{CommandID: "2", Path: "/api", Who: "ops", Why: "x"})
	tg.ep.Close() // denials are written behind the commands' records: Close writes them
	b, err := os.ReadFile(tg.ep.Path() + ".audit")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r["method"].(string)+" "+r["decision"].(string)+" "+r["result"].(string)+" "+r["code"].(string))
		if r["uid"].(float64) != float64(os.Geteuid()) {
			t.Errorf("record of uid %v", r["uid"])
		}
	}
	want := []string{"restart allowed  ", "restart allowed ok ", "remove denied  not_confirmed"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit records %q, want %q", got, want)
	}
}

// Something at the socket path is refused as the bind mode says, and a
// stale socket is replaced in replace_stale.
func TestAttackSocketPath(t *testing.T) {
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{}})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "end"})
	dir := ipc.ShortDir(t)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(file, link)
	live := filepath.Join(dir, "live.sock")
	l, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stale := filepath.Join(dir, "stale.sock")
	sl, _ := net.Listen("unix", stale)
	sl.(*net.UnixListener).SetUnlinkOnClose(false)
	sl.Close()
	for _, c := range []struct {
		path string
		mode ipc.BindMode
		code string
	}{
		{file, ipc.ReplaceStale, "socket_not_a_socket"},
		{link, ipc.ReplaceStale, "socket_symlink"},
		{live, ipc.ReplaceStale, "socket_live"},
		{stale, ipc.CreateNew, "socket_exists"},
		{stale, ipc.ReplaceStale, ""},
	} {
		ep, err := ipc.Listen(tree, ipc.Config{Path: c.path, BindMode: c.mode}, ipc.Wiring{})
		if c.code == "" {
			if err != nil {
				t.Fatalf("%s %v: %v", c.path, c.mode, err)
			}
			ep.Close()
			continue
		}
		var be *ipc.BindError
		if !errors.As(err, &be) || be.Code != c.code {
			t.Errorf("%s %v: %v, want %s", c.path, c.mode, err, c.code)
		}
	}
}

// A client that reads nothing while its subscription's events pile up
// gets gaps, not an ever larger queue, and the tree does not wait for it.
func TestAttackSlowSubscriber(t *testing.T) {
	tg := startTarget(t, ipc.Config{QueueSize: 16}, ipc.Wiring{})
	c := rawDial(t, tg.ep.Path())
	if r := c.roundTrip(t, `{"id":"s","method":"subscribe","params":{"stream":"events"}}`); !r.OK {
		t.Fatal(r.Error)
	}
	var wg sync.WaitGroup
	for i := range 200 { // the client reads nothing meanwhile
		wg.Add(1)
		go func() {
			defer wg.Done()
			tg.tree.RestartChild(context.Background(), "/db", supervisor.Audit{Who: "t", Why: strconv.Itoa(i)})
		}()
	}
	wg.Wait()
	newest := tg.tree.Snapshot().Seq
	var gaps, events uint64
	for seen := uint64(0); seen < newest; {
		b, err := c.r.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		var p ipc.Push
		json.Unmarshal(b, &p)
		switch p.Push {
		case "gap":
			gaps += p.Gap.Count
			seen = p.Gap.AfterSeq + p.Gap.Count
		case "event":
			events++
			seen = p.Event.Seq
		}
	}
	if gaps == 0 {
		t.Fatalf("%d events and no gap for a client that read nothing", events)
	}
}

// A command runs to its end when its client goes away: a shutdown is not
// cut short, which would abandon the children still stopping.
func TestCommandOutlivesItsClient(t *testing.T) {
	tree, ep := serve(t, supervisor.Spec{Children: []supervisor.Child{ // a child that takes its time to stop
		{Name: "slow", Run: supervisortest.SlowStop(200 * time.Millisecond), Shutdown: 5 * time.Second}}}, ipc.Config{}, ipc.Wiring{})
	c := rawDial(t, ep.Path())
	c.Write([]byte(`{"id":"1","method":"shutdown","params":{"command_id":"x","who":"ops","why":"bye","confirmed":true}}` + "\n"))
	time.Sleep(50 * time.Millisecond) // the shutdown is under way
	c.Close()
	<-tree.Done()
	r := tree.Report()
	if r == nil || len(r.Children) != 1 || r.Children[0].Outcome == supervisor.OutcomeAbandoned {
		t.Fatalf("the shutdown abandoned children when its client left: %+v", r)
	}
}

// Closing the endpoint answers the commands under way first: a shutdown
// over IPC, whose tree's end closes the endpoint (as supervisor run
// does), gets its answer.
func TestCloseAnswersCommandsUnderWay(t *testing.T) {
	tree, ep := serve(t, supervisor.Spec{Children: []supervisor.Child{
		{Name: "slow", Run: supervisortest.SlowStop(100 * time.Millisecond)}}}, ipc.Config{}, ipc.Wiring{})
	closed := make(chan error)
	go func() {
		<-tree.Done()
		closed <- ep.Close()
	}()
	c := dial(t, ep.Path())
	defer c.Close()
	var r ipc.CommandResult
	call(t, c, "shutdown", ipc.CommandParams{CommandID: "x", Who: "ops", Why: "bye", Confirmed: true}, &r)
	if r.Report == nil || len(r.Report.Children) != 1 {
		t.Fatalf("shutdown's answer: %+v", r)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// A repeat of a command still running waits for it beside the
// connection's reads: a state sent after it is answered at once.
func TestRepeatDoesNotHoldUpReads(t *testing.T) {
	_, ep := serve(t, supervisor.Spec{Children: []supervisor.Child{
		{Name: "slow", Run: supervisortest.SlowStop(time.Second), Shutdown: 10 * time.Second}}}, ipc.Config{}, ipc.Wiring{})
	a, b := dial(t, ep.Path()), dial(t, ep.Path())
	defer a.Close()
	defer b.Close()
	restart := ipc.CommandParams{CommandID: "r", Path: "/slow", Who: "ops", Why: "test"}
	first, repeat := make(chan error, 1), make(chan error, 1)
	go func() { first <- a.Call(context.Background(), "restart", restart, nil) }()
	time.Sleep(100 * time.Millisecond) // the first is under way
	go func() { repeat <- b.Call(context.Background(), "restart", restart, nil) }()
	time.Sleep(100 * time.Millisecond) // the repeat waits for it
	call(t, b, "state", nil, nil)
	select {
	case err := <-first:
		t.Fatalf("the restart ended (%v) before the state was answered: the repeat held up the reads", err)
	default:
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-repeat; err != nil {
		t.Fatal(err)
	}
}

// Keys are matched exactly and given once: a second "who" spelt in
// another case cannot override the one a relay wrote.
func TestAttackForgedKeys(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	c := rawDial(t, tg.ep.Path())
	for _, line := range []string{
		`{"id":"1","method":"restart","params":{"command_id":"x","path":"/api","who":"relay","WHO":"forged","why":"y"}}`,
		`{"id":"2","method":"restart","params":{"command_id":"x","path":"/api","who":"relay","who":"forged","why":"y"}}`,
		`{"id":"3","method":"restart","params":{"Command_ID":"x","path":"/api","who":"relay","why":"y"}}`,
	} {
		r := c.roundTrip(t, line)
		if r.OK || r.Error.Code != "invalid_params" {
			t.Errorf("%s: %+v", line, r.Error)
		}
	}
	wantCode(t, c.roundTrip(t, `{"id":"4","method":"hello","method":"shutdown"}`), "4", "invalid_request")
	if info, _ := tg.tree.Snapshot().Child("/api"); info.Generation != 1 {
		t.Fatal("a forged request ran")
	}
}

// A Call too long for the target fails at once, and the connection goes
// on; unsubscribe answers once its pushes have ended.
func TestClientLongCallAndUnsubscribe(t *testing.T) {
	tg := startTarget(t, ipc.Config{}, ipc.Wiring{})
	err := tg.client.Call(context.Background(), "hello", ipc.HelloParams{Client: strings.Repeat("x", 70<<10)}, nil)
	var perr *ipc.Error
	if !errors.As(err, &perr) || perr.Code != "line_too_long" {
		t.Fatalf("a 70 KiB call: %v", err)
	}
	for range 3 { // refused subscriptions hold nothing; unsubscribe waits for the pump
		call(t, tg.client, "subscribe", ipc.SubscribeParams{Stream: "events"}, nil)
		if code := callErr(t, tg.client, "subscribe", ipc.SubscribeParams{Stream: "events"}); code != "already_subscribed" {
			t.Fatalf("a second subscription: %s", code)
		}
		call(t, tg.client, "unsubscribe", ipc.UnsubscribeParams{Stream: "events"}, nil)
	}
	call(t, tg.client, "hello", nil, nil)
}

// A subscriber that does not read is disconnected once a write to it has
// waited for the write timeout: it holds nothing of the target's after
// that, and the tree never waited for it.
func TestAttackSlowSubscriberDisconnected(t *testing.T) {
	tg := startTarget(t, ipc.Config{QueueSize: 8, WriteTimeout: 200 * time.Millisecond}, ipc.Wiring{})
	c := rawDial(t, tg.ep.Path())
	if r := c.roundTrip(t, `{"id":"s","method":"subscribe","params":{"stream":"events"}}`); !r.OK {
		t.Fatal(r.Error)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // events the client does not read, and more than its queue holds
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				tg.tree.RestartChild(context.Background(), "/db", supervisor.Audit{Who: "t", Why: strconv.Itoa(i)})
			}
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var s ipc.StateResult
		call(t, tg.client, "state", nil, &s)
		if s.Endpoint.Connections == 1 { // the test's client alone
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow subscriber is still connected after 20s: %+v", s.Endpoint)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
