package ipc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/golden"
	"github.com/go-supervisor/supervisor/ipc"
)

// The golden files of the protocol, one per message, which the relay's and
// the dashboard's tests read too: what a real target sends and is sent,
// with what differs between runs (times, the tree's id, pids, the socket's
// directory) replaced.
const protocolDir = "testdata/protocol"

// What differs between runs, and what it is written as in the golden
// files: times, measured durations, the test's uid and gid.
var scrubs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"`), `"2026-01-02T03:04:05.000000006Z"`},
	{regexp.MustCompile(`"duration":"[^"]*"`), `"duration":"1.5ms"`},
	{regexp.MustCompile(`"uid":\d+,"gid":\d+`), `"uid":1000,"gid":1000`},
}

// session records the lines of a conversation with a real target.
type session struct {
	t       *testing.T
	c       *rawConn
	pushes  [][]byte // read while waiting for a response
	replace map[string]string
	n       int
}

// exchange sends a request and reads its response, recording both.
func (s *session) exchange(name, method string, params any) {
	s.t.Helper()
	s.n++
	req := ipc.Request{ID: strconv.Itoa(s.n), Method: method}
	if params != nil {
		req.Params, _ = json.Marshal(params)
	}
	line, _ := json.Marshal(req)
	s.save(name+".request.json", line)
	if _, err := s.c.Write(append(line, '\n')); err != nil {
		s.t.Fatal(err)
	}
	for {
		b := s.readLine()
		var r ipc.Response
		json.Unmarshal(b, &r)
		switch {
		case bytes.HasPrefix(b, []byte(`{"push"`)):
			s.pushes = append(s.pushes, b)
		case r.ID == req.ID:
			s.save(name+".response.json", b)
			return
		}
	}
}

// readLine reads the next line.
func (s *session) readLine() []byte {
	s.t.Helper()
	b, err := s.c.r.ReadBytes('\n')
	if err != nil {
		s.t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

// nextPush reads lines up to the next push of kind, and records it.
func (s *session) nextPush(kind string) {
	s.t.Helper()
	for {
		var b []byte
		if len(s.pushes) > 0 {
			b, s.pushes = s.pushes[0], s.pushes[1:]
		} else {
			b = s.readLine()
		}
		var p ipc.Push
		json.Unmarshal(b, &p)
		if p.Push == kind {
			s.save(kind+".push.json", b)
			return
		}
	}
}

func (s *session) save(name string, doc []byte) {
	s.t.Helper()
	for _, s := range scrubs {
		doc = s.re.ReplaceAll(doc, []byte(s.with))
	}
	golden.Compare(s.t, filepath.Join(protocolDir, name), doc, s.replace)
}

// TestProtocolGolden records a conversation with a real target: a request,
// response or push of each kind, and a refusal of each malformed request.
func TestProtocolGolden(t *testing.T) {
	logs := ipc.NewLogs(0, 0)
	tg := startTarget(t, ipc.Config{TargetID: "shop"}, ipc.Wiring{Logs: logs, File: diffFile{}})
	s := &session{t: t, c: rawDial(t, tg.ep.Path()), replace: map[string]string{
		tg.tree.ID(): "00c0ffee", strconv.Itoa(os.Getpid()): "4242", tg.dir: "/run/shop"}}
	s.exchange("hello", "hello", ipc.HelloParams{Protocols: []string{ipc.Protocol}, Client: "golden"})
	s.exchange("state", "state", nil)
	s.exchange("subscribe", "subscribe", ipc.SubscribeParams{Stream: "events"})
	s.exchange("subscribe-logs", "subscribe", ipc.SubscribeParams{Stream: "logs", Path: "/api", Source: "stderr"})
	slog.New(logs.Handler(nil)).Warn("disk almost full", "path", "/api", "pid", 77, "stream", "stderr", "free", "2%")
	s.nextPush("log")
	s.exchange("logs", "logs", ipc.LogsParams{Path: "/api", Limit: 10})
	s.exchange("restart", "restart", ipc.CommandParams{CommandID: "c1", Path: "/api", Who: "ops", Why: "stuck queue"})
	s.nextPush("event")
	s.exchange("unsubscribe", "unsubscribe", ipc.UnsubscribeParams{Stream: "events"})
	s.exchange("plan", "plan", nil)
	s.exchange("error", "restart", ipc.CommandParams{CommandID: "c2", Path: "/nope", Who: "ops", Why: "typo"})
	s.exchange("add", "add", ipc.CommandParams{CommandID: "c3", Path: "/", Who: "ops", Why: "more workers",
		Child: "name: w9\nexec: {path: /usr/bin/worker}\n"})
	s.c.Write([]byte(`{"id":"again","method":"subscribe","params":{"stream":"events"}}` + "\n"))
	s.exchange("shutdown", "shutdown", ipc.CommandParams{CommandID: "c4", Who: "ops", Why: "maintenance", Confirmed: true})
	s.nextPush("end")
	gapAndInvalid(t)
}

// gapAndInvalid records a gap push, and the refusal of each malformed
// request in testdata/protocol/invalid, whose name is the code it gets.
func gapAndInvalid(t *testing.T) {
	tree, ep := serve(t, supervisor.Spec{JournalSize: 4, Children: []supervisor.Child{{Name: "db", Run: idle}}},
		ipc.Config{TargetID: "shop"}, ipc.Wiring{})
	for range 3 {
		tree.RestartChild(context.Background(), "/db", supervisor.Audit{Who: "t", Why: "fill the journal"})
	}
	s := &session{t: t, c: rawDial(t, ep.Path()), replace: map[string]string{tree.ID(): "00c0ffee"}}
	s.c.Write([]byte(`{"id":"1","method":"subscribe","params":{"stream":"events","after":0}}` + "\n"))
	s.nextPush("gap")
	files, _ := filepath.Glob(filepath.Join(protocolDir, "invalid", "*.ndjson"))
	if len(files) == 0 {
		t.Fatal("no invalid requests in testdata/protocol/invalid")
	}
	for _, f := range files {
		line, _ := os.ReadFile(f)
		code, _, _ := strings.Cut(filepath.Base(f), ".") // code.ndjson, or code.case.ndjson
		r := rawDial(t, ep.Path()).roundTrip(t, strings.TrimSpace(string(line)))
		if r.OK || r.Error == nil || r.Error.Code != code {
			t.Errorf("%s: %+v, want %s", f, r.Error, code)
		}
	}
}

// diffFile is a config file as the target's tree came from it, for plan
// and apply: its next version adds a child.
type diffFile struct{}

func (diffFile) spec() (old, new supervisor.Spec) {
	old = supervisor.Spec{Name: "shop", Children: []supervisor.Child{{Name: "db", Run: idle}, {Name: "api", Run: idle}}}
	new = old
	new.Children = append(append([]supervisor.Child(nil), old.Children...), supervisor.Child{Name: "cache", Run: idle})
	return old, new
}

func (f diffFile) Plan(context.Context) (*supervisor.Plan, error) {
	old, new := f.spec()
	return supervisor.Diff(old, new)
}

func (diffFile) Reload(context.Context, supervisor.Audit) (*supervisor.Plan, error) {
	return nil, errors.New("not in this test")
}

// TestProtocolGoldenDecode reads every golden message back into its Go
// type strictly (an unknown field is an error) and writes it again: the
// types and the files say the same.
func TestProtocolGoldenDecode(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(protocolDir, "*.json"))
	if len(files) < 20 {
		t.Fatalf("%d golden messages, want one of each kind", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		golden.CheckVocabulary(t, b)
		var v any
		switch {
		case strings.HasSuffix(name, ".request.json"):
			v = new(ipc.Request)
		case strings.HasSuffix(name, ".push.json"):
			v = new(ipc.Push)
		default:
			v = new(ipc.Response)
		}
		roundTrip(t, name, b, v)
		if r, ok := v.(*ipc.Response); ok && r.OK {
			roundTrip(t, name+" result", r.Result, resultType(name))
		}
	}
}

// resultType returns a new value of the result type of the response
// golden file name.
func resultType(name string) any {
	switch strings.SplitN(name, ".", 2)[0] {
	case "hello":
		return new(ipc.HelloResult)
	case "state":
		return new(ipc.StateResult)
	case "subscribe", "subscribe-logs":
		return new(ipc.SubscribeResult)
	case "unsubscribe":
		return new(ipc.UnsubscribeParams)
	case "logs":
		return new(ipc.LogsResult)
	case "plan":
		return new(ipc.PlanResult)
	}
	return new(ipc.CommandResult)
}

// roundTrip decodes doc into v strictly and checks that v encodes to the
// same JSON.
func roundTrip(t *testing.T, name string, doc []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(doc))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	again, _ := json.Marshal(v)
	var a, b any
	json.Unmarshal(doc, &a)
	json.Unmarshal(again, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s does not survive its type:\n%s\n%s", name, doc, again)
	}
}
