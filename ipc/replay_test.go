package ipc

import (
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRequestIDs replays request ids on one connection: a repeat within
// the window is refused, an id older than the window is forgotten, and a
// huge id costs only its hash.
func TestRequestIDs(t *testing.T) {
	var ids requestIDs
	if !ids.add("a") || ids.add("a") || !ids.add("b") || ids.add("a") {
		t.Fatal("a repeat was not refused, or a new id was")
	}
	for i := range requestWindow - 2 {
		if !ids.add(fmt.Sprint("n", i)) {
			t.Fatalf("new id n%d refused", i)
		}
	}
	if ids.add("a") {
		t.Error("a, the oldest of the window, was forgotten early")
	}
	ids.add("one more") // pushes a out of the window
	if !ids.add("a") {
		t.Error("a, older than the window, is still refused")
	}
	if ids.add("n0") {
		t.Error("n0, still in the window, was allowed again")
	}
	for range 2 {
		if !ids.add("") {
			t.Error("the empty id is not always new")
		}
	}
	huge := strings.Repeat("x", 1<<20)
	if !ids.add(huge) || ids.add(huge) {
		t.Error("a huge id was not remembered")
	}
	if len(ids.seen) != requestWindow || len(ids.ring) != requestWindow {
		t.Errorf("the window holds %d ids (%d in the ring), want %d", len(ids.seen), len(ids.ring), requestWindow)
	}
}

// fp returns a fingerprint for tests.
func fp(s string) [32]byte {
	var f [32]byte
	copy(f[:], s)
	return f
}

// response returns a response for tests.
func response(s string) Response {
	return Response{ID: "first", OK: true, Result: []byte(`"` + s + `"`)}
}

// runCommand runs a command as the endpoint must: begin, wait and begin
// again while it runs elsewhere, or run it and finish. It returns the
// response and whether this call ran the command.
func runCommand(c *commandCache, id string, f [32]byte, run func() Response) (Response, bool, bool) {
	for {
		prior, conflict, wait, _ := c.begin(id, 0, f, time.Now())
		switch {
		case conflict:
			return Response{}, false, true
		case prior != nil:
			return prior.response, false, false
		case wait != nil:
			<-wait
			continue
		}
		r := run()
		c.finish(id, r)
		return r, true, false
	}
}

// TestCommandCacheRunsOnce sends the same command id from 60 goroutines
// at once, 50 with one command's params and 10 with another's: whichever
// comes first runs, once; every request with its params gets its
// response, and every request with the other params is a conflict.
func TestCommandCacheRunsOnce(t *testing.T) {
	c := newCommandCache(0)
	var runs atomic.Int32
	var mu sync.Mutex
	got := map[string]int{} // response or "conflict" → count
	var wg sync.WaitGroup
	for i := range 60 {
		name := "restart"
		if i >= 50 {
			name = "remove"
		}
		wg.Go(func() {
			r, _, conflict := runCommand(c, "cmd-1", fp(name), func() Response {
				runs.Add(1)
				time.Sleep(20 * time.Millisecond)
				return response(name)
			})
			mu.Lock()
			defer mu.Unlock()
			if conflict {
				got["conflict"]++
			} else {
				got[string(r.Result)]++
			}
		})
	}
	wg.Wait()
	if runs.Load() != 1 {
		t.Errorf("the command ran %d times", runs.Load())
	}
	want1 := map[string]int{`"restart"`: 50, "conflict": 10}
	want2 := map[string]int{`"remove"`: 10, "conflict": 50}
	if !maps.Equal(got, want1) && !maps.Equal(got, want2) {
		t.Errorf("responses %v, want %v or %v", got, want1, want2)
	}
}

// TestCommandCacheWaits checks that a repeat of a running command waits
// until it finishes, then gets its response.
func TestCommandCacheWaits(t *testing.T) {
	c := newCommandCache(time.Minute)
	now := time.Now()
	if prior, conflict, wait, _ := c.begin("x", 0, fp("a"), now); prior != nil || conflict || wait != nil {
		t.Fatal("the first begin is not the first")
	}
	prior, conflict, wait, _ := c.begin("x", 0, fp("a"), now)
	if prior != nil || conflict || wait == nil {
		t.Fatal("a repeat of a running command is not told to wait")
	}
	select {
	case <-wait:
		t.Fatal("wait closed before the command finished")
	default:
	}
	c.finish("x", response("r"))
	<-wait
	if prior, _, _, _ := c.begin("x", 0, fp("a"), now); prior == nil || string(prior.response.Result) != `"r"` {
		t.Errorf("after it finished, a repeat gets %v", prior)
	}
}

// TestCommandCacheAbandon checks that a command abandoned (it did not
// run) wakes its waiters and that the next begin runs it.
func TestCommandCacheAbandon(t *testing.T) {
	c := newCommandCache(time.Minute)
	now := time.Now()
	c.begin("x", 0, fp("a"), now)
	_, _, wait, _ := c.begin("x", 0, fp("a"), now)
	c.abandon("x")
	<-wait
	if prior, conflict, wait, _ := c.begin("x", 0, fp("a"), now); prior != nil || conflict || wait != nil {
		t.Fatal("after abandon, the next begin is not the first")
	}
	c.finish("x", response("r"))
	c.abandon("x") // too late: finished
	if prior, _, _, _ := c.begin("x", 0, fp("a"), now); prior == nil {
		t.Error("abandon dropped a finished command")
	}
}

// TestCommandCacheExpiry checks, with explicit times, that a response is
// kept for the TTL after the command finished and not after; then the id
// is free, for any params.
func TestCommandCacheExpiry(t *testing.T) {
	c := newCommandCache(10 * time.Minute)
	done := t0
	c.now = func() time.Time { return done }
	c.begin("x", 0, fp("a"), t0.Add(-time.Hour)) // running for an hour: never expires
	if _, _, wait, _ := c.begin("x", 0, fp("a"), t0); wait == nil {
		t.Fatal("a running command expired")
	}
	c.finish("x", response("r"))
	if prior, _, _, _ := c.begin("x", 0, fp("a"), t0.Add(10*time.Minute-1)); prior == nil {
		t.Error("expired before its TTL")
	}
	if _, conflict, _, _ := c.begin("x", 0, fp("b"), t0.Add(10*time.Minute-1)); !conflict {
		t.Error("other params within the TTL are not a conflict")
	}
	if prior, conflict, wait, _ := c.begin("x", 0, fp("b"), t0.Add(10*time.Minute)); prior != nil || conflict || wait != nil {
		t.Error("the id is not free at its TTL")
	}
}

// TestCommandCacheBound fills a small cache: the command completed
// longest ago is evicted first, running ones never, and a cache full of
// running commands grows past its bound rather than evicting one.
func TestCommandCacheBound(t *testing.T) {
	c := newCommandCache(time.Hour)
	c.max = 3
	now := t0
	c.now = func() time.Time { return now }
	for _, id := range []string{"a", "b", "c"} {
		c.begin(id, 0, fp(id), now)
	}
	c.finish("b", response("b")) // completed first
	c.finish("a", response("a"))
	c.begin("d", 0, fp("d"), now) // 3 running or done + 1; 2 completed: fits
	c.finish("c", response("c"))
	if _, _, _, full := c.begin("e", 0, fp("e"), now); !full { // 3 completed, none expired
		t.Error("a new command evicted a result before its time")
	}
	for _, id := range []string{"a", "b", "c"} {
		if prior, _, _, _ := c.begin(id, 0, fp(id), now); prior == nil {
			t.Errorf("%s was evicted", id)
		}
	}
	if _, _, _, full := c.begin("e", 0, fp("e"), now.Add(2*time.Hour)); full { // all expired
		t.Error("expired results were kept")
	}
	c2 := newCommandCache(time.Hour)
	c2.max = 2
	for i := range 5 {
		c2.begin(fmt.Sprint(i), 0, fp("x"), now)
	}
	for i := range 5 {
		if _, _, wait, _ := c2.begin(fmt.Sprint(i), 0, fp("x"), now); wait == nil {
			t.Errorf("running command %d was evicted", i)
		}
	}
	if len(c2.entries) != 5 {
		t.Errorf("%d entries, want the 5 running", len(c2.entries))
	}
}

// TestCommandCacheHugeID checks that a command id is kept as its hash.
func TestCommandCacheHugeID(t *testing.T) {
	c := newCommandCache(time.Minute)
	id := strings.Repeat("i", 1<<20)
	c.begin(id, 0, fp("a"), time.Now())
	c.finish(id, response("r"))
	if prior, _, _, _ := c.begin(id, 0, fp("a"), time.Now()); prior == nil {
		t.Error("a huge id was not found")
	}
	if prior, _, _, _ := c.begin(id[1:], 0, fp("a"), time.Now()); prior != nil {
		t.Error("another id found the huge one's result")
	}
}

// TestCommandCacheShare checks that a peer flooding the cache fills its
// own share of it, not everyone's: another uid's commands still begin.
func TestCommandCacheShare(t *testing.T) {
	c := newCommandCache(time.Hour)
	c.max, c.share = 8, 2
	now := t0
	c.now = func() time.Time { return now }
	for i := range 2 {
		id := fmt.Sprint("flood", i)
		c.begin(id, 1000, fp(id), now)
		c.finish(id, response("r"))
	}
	if _, _, _, full := c.begin("flood2", 1000, fp("x"), now); !full {
		t.Error("a uid past its share began one more")
	}
	if prior, conflict, wait, full := c.begin("other", 0, fp("x"), now); prior != nil || conflict || wait != nil || full {
		t.Error("another uid could not begin a command")
	}
	c.abandon("other")
	if _, _, _, full := c.begin("flood2", 1000, fp("x"), now.Add(2*time.Hour)); full {
		t.Error("the share was not given back as its results expired")
	}
}
