package supervisorhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisorhttp"
	"github.com/go-supervisor/supervisor/supervisortest"
)

var audit = supervisor.Audit{Who: "test", Why: "testing"}

// get serves a request to h directly (no sockets, so it works in a bubble).
func get(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

// ready asks h's /readyz and decodes the report, checking the status
// agrees with it.
func ready(t *testing.T, h http.Handler) supervisorhttp.ReadinessReport {
	t.Helper()
	w := get(h, http.MethodGet, "/readyz")
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("readyz Content-Type = %q", ct)
	}
	var rep supervisorhttp.ReadinessReport
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("readyz body %q: %v", w.Body, err)
	}
	if want := map[bool]int{true: 200, false: 503}[rep.Ready]; w.Code != want {
		t.Fatalf("readyz = %d with ready=%v, want %d", w.Code, rep.Ready, want)
	}
	return rep
}

func notReady(t *testing.T, rep supervisorhttp.ReadinessReport, path string, state supervisor.State) supervisorhttp.NotReadyChild {
	t.Helper()
	if rep.Ready || len(rep.NotReady) != 1 || rep.NotReady[0].Path != path || rep.NotReady[0].State != state {
		t.Fatalf("readiness = %+v, want %s not ready in state %s", rep, path, state)
	}
	return rep.NotReady[0]
}

// Readiness follows a ReadinessExplicit child through its start, its
// Ready call, a failure into backoff and its restart.
func TestReadinessExplicit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
		}})
		h := supervisorhttp.Handler(tree)
		if rep := ready(t, h); !rep.Ready {
			t.Fatalf("readiness = %+v", rep)
		}

		c := &supervisortest.Child{}
		added := make(chan error, 1)
		go func() {
			added <- tree.AddChild(context.Background(), "/", supervisor.Child{Name: "b", Run: c.Run,
				Readiness: supervisor.ReadinessExplicit, Backoff: supervisor.Backoff{Initial: time.Second}}, audit)
		}()
		synctest.Wait()
		notReady(t, ready(t, h), "/b", supervisor.StateStarting)

		c.SignalReady()
		if err := <-added; err != nil {
			t.Fatalf("AddChild: %v", err)
		}
		if rep := ready(t, h); !rep.Ready || rep.Seq == 0 {
			t.Fatalf("readiness after Ready = %+v", rep)
		}

		c.Fail(errors.New("boom"))
		synctest.Wait()
		nr := notReady(t, ready(t, h), "/b", supervisor.StateBackoff)
		if nr.WaitingFor != "backoff" || nr.Error != "boom" || nr.NextAttempt.IsZero() {
			t.Fatalf("child in backoff = %+v", nr)
		}

		time.Sleep(time.Second)
		synctest.Wait()
		notReady(t, ready(t, h), "/b", supervisor.StateStarting)
		c.SignalReady()
		synctest.Wait()
		if rep := ready(t, h); !rep.Ready {
			t.Fatalf("readiness after restart = %+v", rep)
		}
	})
}

// Paused and quarantined children hold readiness back unless ignored; a
// child that finished normally does not.
func TestReadinessOperatorStates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "job", Run: supervisortest.Exit(nil), Restart: supervisor.Transient},
			{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{
				{Name: "b", Run: supervisortest.Idle},
			}}},
		}})
		synctest.Wait()
		strict := supervisorhttp.Readiness(tree)
		lenient := supervisorhttp.Readiness(tree, supervisorhttp.IgnoreStates(supervisor.StatePaused),
			supervisorhttp.IgnoreStates(supervisor.StateQuarantined))
		if rep := ready(t, strict); !rep.Ready {
			t.Fatalf("readiness with a finished transient child = %+v", rep)
		}

		ctx := context.Background()
		if err := tree.PauseChild(ctx, "/sub/b", audit); err != nil {
			t.Fatal(err)
		}
		notReady(t, ready(t, strict), "/sub/b", supervisor.StatePaused)
		if rep := ready(t, lenient); !rep.Ready {
			t.Fatalf("lenient readiness with a paused child = %+v", rep)
		}
		if err := tree.ResumeChild(ctx, "/sub/b", audit); err != nil {
			t.Fatal(err)
		}
		if err := tree.QuarantineChild(ctx, "/a", audit); err != nil {
			t.Fatal(err)
		}
		notReady(t, ready(t, strict), "/a", supervisor.StateQuarantined)
		if rep := ready(t, lenient); !rep.Ready {
			t.Fatalf("lenient readiness with a quarantined child = %+v", rep)
		}
	})
}

// Liveness is 200 while the loops answer, 503 when they do not in time and
// once the tree has ended, when readiness is 503 too.
func TestLiveness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree, err := supervisor.Start(context.Background(), supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{{Name: "b", Run: supervisortest.Idle}}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		h := supervisorhttp.Handler(tree, supervisorhttp.Timeout(50*time.Millisecond))
		w := get(h, http.MethodGet, "/livez")
		if w.Code != 200 || w.Body.String() != "ok\n" || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("livez = %d %q %v", w.Code, w.Body, w.Header())
		}

		// A request whose context has ended: Check cannot succeed.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, http.MethodGet, "/livez", nil))
		if w.Code != 503 || !strings.Contains(w.Body.String(), "did not answer") {
			t.Fatalf("livez with a done request = %d %q", w.Code, w.Body)
		}

		if _, err := tree.Shutdown(context.Background(), audit); err != nil {
			t.Fatal(err)
		}
		w = get(h, http.MethodGet, "/livez")
		if w.Code != 503 || strings.TrimSpace(w.Body.String()) != supervisor.ErrShuttingDown.Error() {
			t.Fatalf("livez after shutdown = %d %q", w.Code, w.Body)
		}
		// The report says which event the answer reflects: the last one.
		if rep := ready(t, h); rep.Ready || rep.Reason != "tree ended" || rep.Seq == 0 || rep.Seq != tree.Snapshot().Seq {
			t.Fatalf("readiness after shutdown = %+v, want tree ended at seq %d", rep, tree.Snapshot().Seq)
		}
	})
}

// The state handler serves Tree.Snapshot's JSON.
func TestState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
			{Name: "sub", Tree: &supervisor.Spec{Children: []supervisor.Child{{Name: "b", Run: supervisortest.Idle}}}},
		}})
		w := get(supervisorhttp.State(tree), http.MethodGet, "/state")
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("state = %d %v", w.Code, w.Header())
		}
		var s supervisor.Snapshot
		if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
			t.Fatalf("decoding state: %v", err)
		}
		if c, _ := s.Child("/sub"); !c.Supervisor {
			t.Fatalf("/sub is not shown as a supervisor: %+v", c)
		}
		want := tree.Snapshot()
		if s.TreeID != tree.ID() || s.Seq != want.Seq || len(s.Children) != 3 || len(s.Supervisors) != 2 ||
			!reflect.DeepEqual(s.Counts, want.Counts) {
			t.Fatalf("state = %+v", s)
		}
		if b, ok := s.Child("/sub/b"); !ok || b.State != supervisor.StateRunning || !b.Ready || b.Generation != 1 {
			t.Fatalf("state of /sub/b = %+v", b)
		}
	})
}

type event struct {
	Seq   uint64 `json:"seq"`
	Kind  string `json:"kind"`
	Path  string `json:"path"`
	Error string `json:"error"`
}

type journal struct {
	Events  []event `json:"events"`
	Dropped uint64  `json:"dropped"`
}

func getJournal(t *testing.T, h http.Handler, target string) journal {
	t.Helper()
	w := get(h, http.MethodGet, target)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%s = %d %q", target, w.Code, w.Body)
	}
	var j journal
	if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return j
}

// The journal handler serves Tree.Journal, after a given Seq if asked.
func TestJournal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &supervisortest.Child{}
		tree := supervisortest.Start(t, supervisor.Spec{JournalSize: 8, Children: []supervisor.Child{
			{Name: "a", Run: c.Run, Backoff: supervisor.Backoff{Initial: time.Hour}},
		}})
		h := supervisorhttp.Journal(tree)
		all := getJournal(t, h, "/journal")
		want := tree.Journal()
		if len(all.Events) != len(want.Events) || all.Dropped != 0 || all.Events[0].Seq != 1 ||
			all.Events[len(all.Events)-1].Kind != "tree_started" {
			t.Fatalf("journal = %+v, want %v", all, want.Events)
		}
		last := all.Events[len(all.Events)-1].Seq
		if j := getJournal(t, h, "/journal?after=18446744073709551615"); len(j.Events) != 0 || j.Events == nil {
			t.Fatalf("journal after the end = %+v, want an empty list", j)
		}

		c.Fail(errors.New("boom"))
		synctest.Wait()
		j := getJournal(t, h, "/journal?after="+jsonNum(last))
		if len(j.Events) == 0 || j.Events[0].Seq != last+1 {
			t.Fatalf("journal after %d = %+v", last, j)
		}
		var exited bool
		for _, e := range j.Events {
			exited = exited || e.Kind == "child_exited" && e.Path == "/a" && e.Error == "boom"
		}
		if !exited {
			t.Fatalf("journal after %d has no child_exited with the error: %+v", last, j)
		}

		// Overflow the 8-event journal: Dropped counts what fell out.
		if err := tree.RestartChild(context.Background(), "/a", audit); err != nil {
			t.Fatal(err)
		}
		if j := getJournal(t, h, "/journal"); j.Dropped == 0 || len(j.Events) != 8 {
			t.Fatalf("overflowed journal = %+v", j)
		}

		for _, q := range []string{"after=x", "after=-1", "after=1&after=2", "after="} {
			w := get(h, http.MethodGet, "/journal?"+q)
			if w.Code != 400 || !strings.Contains(w.Body.String(), "after") {
				t.Errorf("journal?%s = %d %q, want 400 naming after", q, w.Code, w.Body)
			}
		}
	})
}

func jsonNum(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Every handler answers GET and HEAD only; Handler and Mount route the
// four paths.
func TestRouting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
		}})
		mux := http.NewServeMux()
		supervisorhttp.Mount(mux, "/debug/supervisor/", tree)
		for _, h := range []struct {
			h      http.Handler
			prefix string
		}{{supervisorhttp.Handler(tree), ""}, {mux, "/debug/supervisor"}} {
			for _, p := range []string{"/livez", "/readyz", "/state", "/journal"} {
				target := h.prefix + p
				if w := get(h.h, http.MethodGet, target); w.Code != 200 || w.Body.Len() == 0 {
					t.Errorf("GET %s = %d %q", target, w.Code, w.Body)
				}
				if w := get(h.h, http.MethodHead, target); w.Code != 200 || w.Body.Len() != 0 {
					t.Errorf("HEAD %s = %d %q, want 200 without a body", target, w.Code, w.Body)
				}
				for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
					w := get(h.h, m, target)
					if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
						t.Errorf("%s %s = %d, Allow %q", m, target, w.Code, w.Header().Get("Allow"))
					}
				}
			}
			if w := get(h.h, http.MethodGet, h.prefix+"/other"); w.Code != 404 {
				t.Errorf("GET %s/other = %d", h.prefix, w.Code)
			}
		}
	})
}

// A prefix that is not a path would register host patterns: Mount refuses
// it, saying what to write instead.
func TestMountPrefixMustBeAPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tree := supervisortest.Start(t, supervisor.Spec{Children: []supervisor.Child{
			{Name: "a", Run: supervisortest.Idle},
		}})
		defer func() {
			r := recover()
			if msg, _ := r.(string); !strings.Contains(msg, `"debug"`) || !strings.Contains(msg, `"/debug"`) {
				t.Fatalf("Mount(mux, \"debug\", ...) panicked with %v, want a message naming the prefix and the fix", r)
			}
		}()
		supervisorhttp.Mount(http.NewServeMux(), "debug", tree)
	})
}
