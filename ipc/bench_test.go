//go:build linux

package ipc

// The endpoint's performance requirements, as benchmarks (docs/performance.md,
// "Dashboard endpoint (ipc)", has the method and the measured table):
//
//   - BenchmarkEventsToClient: how many events a second reach a client
//     subscribed over the socket, from a child that restarts as fast as it
//     can on the same two cores.
//   - BenchmarkRestartSubscriberCost: the tree's restart throughput with and
//     without a subscribed client, in alternating windows of the same run.
//   - BenchmarkRestartVisible: from a child's failure to its client having
//     read the child_exited and child_restarted pushes.
//   - BenchmarkJunkConnections: a well-behaved client's state while 1,000
//     other connections send junk or nothing, and what they cost the target.
//
// Each stops by itself; with -benchtime 1x (CI) each runs in well under a
// second.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/benchkit"
)

var errBenchFail = errors.New("bench: fail")

// benchTarget serves a tree of children on a socket in a short private
// directory; everything is closed when the benchmark ends.
func benchTarget(b *testing.B, cfg Config, children ...supervisor.Child) (*supervisor.Tree, *Endpoint) {
	b.Helper()
	dir, err := os.MkdirTemp("", "ipc")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Name: "shop",
		Intensity: supervisor.Intensity{MaxRestarts: 1 << 40, Period: time.Second},
		Children:  children})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Path = filepath.Join(dir, "t.sock")
	ep, err := Listen(tree, cfg, Wiring{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ep.Close()
		tree.Shutdown(context.Background(), supervisor.Audit{Who: "bench", Why: "done"})
	})
	return tree, ep
}

// benchSubscribe dials the endpoint and subscribes to events from now on.
func benchSubscribe(b *testing.B, path string) *Client {
	b.Helper()
	c, err := Dial(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, "subscribe", SubscribeParams{Stream: "events"}, nil); err != nil {
		c.Close()
		b.Fatal(err)
	}
	return c
}

// benchFlapping is a child that fails at once until stop is closed, counting
// its attempts in n.
func benchFlapping(stop <-chan struct{}, n *atomic.Uint64) supervisor.Child {
	return supervisor.Child{Name: "flap", Run: func(ctx context.Context) error {
		n.Add(1)
		select {
		case <-stop:
			<-ctx.Done()
			return nil
		default:
			return errBenchFail
		}
	}}
}

// benchClose closes c, reading the pushes left so that its reader is not
// held up delivering them.
func benchClose(c *Client) {
	go func() {
		for range c.Pushes() {
		}
	}()
	c.Close()
}

func benchIdle(name string) supervisor.Child {
	return supervisor.Child{Name: name, Run: func(ctx context.Context) error { <-ctx.Done(); return nil }}
}

// BenchmarkEventsToClient measures events reaching a client subscribed
// over the socket: a child restarts as fast as it can (5 events a
// restart, about 5 M/s, far more than a socket carries), so the endpoint
// runs flat out and drops what its subscription queue cannot hold, with
// gap pushes. ns/op is per event the client receives; events/s is the
// rate of events received, missed/op the events the gaps told of, per
// event received.
func BenchmarkEventsToClient(b *testing.B) {
	stop := make(chan struct{})
	var attempts atomic.Uint64
	_, ep := benchTarget(b, Config{}, benchFlapping(stop, &attempts))
	c := benchSubscribe(b, ep.Path())
	defer benchClose(c)
	var got, missed uint64
	t0 := time.Now()
	b.ResetTimer()
	for got < uint64(b.N) {
		p, ok := <-c.Pushes()
		if !ok {
			b.Fatal("the connection ended")
		}
		switch p.Push {
		case "event":
			got++
		case "gap":
			missed += p.Gap.Count
		}
	}
	b.StopTimer()
	elapsed := time.Since(t0)
	close(stop)
	b.ReportMetric(float64(got)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(missed)/float64(got), "missed/op")
}

// BenchmarkRestartSubscriberCost measures the tree's restart throughput
// (a child that fails at once, as BenchmarkRestart in package supervisor:
// about 5 M events a second) in windows of 250 ms of four kinds:
//
//   - plain: no subscriber;
//   - bare: a subscription of the engine's (Tree.Subscribe) drained every
//     millisecond, as the endpoint's pump does, and nothing else: the
//     engine's own cost of a subscriber, the floor for the endpoint;
//   - inproc: a client subscribed to events over the socket, in this
//     process, reading every push (its decoding shares this process's
//     heap and collector with the tree);
//   - process: the same client in another process (the test binary run
//     as TestBenchClientProcess), as supervisor ctl or the dashboard's relay.
//
// Each op is one window of each kind, in an order rotated from one op to
// the next, so that drift in the machine's load falls on all alike. It
// reports each kind's restarts a second, the ratios to plain, the events
// a second each client received, and the cores the process used.
func BenchmarkRestartSubscriberCost(b *testing.B) {
	const window = 250 * time.Millisecond
	stop := make(chan struct{})
	var attempts atomic.Uint64
	tree, ep := benchTarget(b, Config{}, benchFlapping(stop, &attempts))
	defer close(stop)
	settle := func() { time.Sleep(20 * time.Millisecond) }
	// measure returns the restarts a second and the cores busy over a
	// window, and the events received a second if count is not nil.
	measure := func(count func() uint64) (restarts, cores, events float64) {
		var e0 uint64
		if count != nil {
			e0 = count()
		}
		n0, t0, c0 := attempts.Load(), time.Now(), benchCPU()
		time.Sleep(window)
		n1, d, c1 := attempts.Load(), time.Since(t0), benchCPU()
		if count != nil {
			events = float64(count()-e0) / d.Seconds()
		}
		return float64(n1-n0) / d.Seconds(), float64(c1-c0) / float64(d), events
	}
	kinds := []struct {
		name string
		run  func() (restarts, cores, events float64)
	}{
		{"plain", func() (float64, float64, float64) { return measure(nil) }},
		{"bare", func() (float64, float64, float64) {
			sub := tree.Subscribe(4096)
			quit, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				polled, cancel := context.WithCancel(context.Background())
				cancel()
				for {
					for range 256 {
						if _, err := sub.Next(polled); err != nil {
							break
						}
					}
					select {
					case <-quit:
						return
					case <-time.After(time.Millisecond):
					}
				}
			}()
			settle()
			r, c, _ := measure(nil)
			close(quit)
			<-done
			sub.Close()
			return r, c, 0
		}},
		{"inproc", func() (float64, float64, float64) {
			c := benchSubscribe(b, ep.Path())
			var received atomic.Uint64
			first, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				for p := range c.Pushes() {
					if p.Push == "event" && received.Add(1) == 1 {
						close(first)
					}
				}
			}()
			<-first // the subscriber is reading
			settle()
			r, cores, ev := measure(received.Load)
			c.Close()
			<-done
			return r, cores, ev
		}},
		{"process", func() (float64, float64, float64) {
			p := benchClientProcess(b, ep.Path())
			settle()
			r, cores, ev := measure(p.count)
			p.stop()
			return r, cores, ev
		}},
	}
	var restarts, cores, events [4]float64
	settle()
	b.ResetTimer()
	for i := range b.N {
		for j := range kinds {
			k := (i + j) % len(kinds)
			r, c, e := kinds[k].run()
			restarts[k] += r
			cores[k] += c
			events[k] += e
			settle()
		}
	}
	b.StopTimer()
	n := float64(b.N)
	for k, kind := range kinds {
		b.ReportMetric(restarts[k]/n, kind.name+"-restarts/s")
		b.ReportMetric(cores[k]/n, kind.name+"-cores")
		if k > 0 {
			b.ReportMetric(restarts[k]/restarts[0], kind.name+"-ratio")
		}
		if k > 1 {
			b.ReportMetric(events[k]/n, kind.name+"-events/s")
		}
	}
}

// benchClient is a client subscribed to events in another process: the
// test binary running TestBenchClientProcess.
type benchClient struct {
	b   *testing.B
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// benchClientProcess starts a client of the socket at path in another
// process, and returns once it has received its first event.
func benchClientProcess(b *testing.B, path string) *benchClient {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestBenchClientProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "IPC_BENCH_CLIENT="+path)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &benchClient{b: b, cmd: cmd, in: in, out: bufio.NewScanner(out)}
	p.line("ready")
	return p
}

// line returns the next line the client process prints that starts with
// prefix, without it.
func (p *benchClient) line(prefix string) string {
	for p.out.Scan() {
		if rest, ok := strings.CutPrefix(p.out.Text(), prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	p.b.Fatalf("the client process ended: %v", p.cmd.Wait())
	return ""
}

// count returns the events the client process has received.
func (p *benchClient) count() uint64 {
	if _, err := io.WriteString(p.in, "count\n"); err != nil {
		p.b.Fatal(err)
	}
	n, err := strconv.ParseUint(p.line("count "), 10, 64)
	if err != nil {
		p.b.Fatal(err)
	}
	return n
}

// stop ends the client process.
func (p *benchClient) stop() {
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		p.b.Fatalf("the client process: %v", err)
	}
}

// TestBenchClientProcess is BenchmarkRestartSubscriberCost's client in
// another process, when IPC_BENCH_CLIENT names the socket; otherwise it
// is skipped. It subscribes to events, prints "ready" once it has
// received one, and for each line it reads on its standard input prints
// "count N", the events it has received; it ends when its input does.
func TestBenchClientProcess(t *testing.T) {
	path := os.Getenv("IPC_BENCH_CLIENT")
	if path == "" {
		t.Skip("BenchmarkRestartSubscriberCost's client process")
	}
	c, err := Dial(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, "subscribe", SubscribeParams{Stream: "events"}, nil); err != nil {
		t.Fatal(err)
	}
	var received atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := range c.Pushes() {
			if p.Push == "event" && received.Add(1) == 1 {
				fmt.Println("ready")
			}
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println("count", received.Load())
	}
	c.Close()
	<-done
}

// benchCPU returns the CPU time the process has used, user and system.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRestartSubscribed is BenchmarkRestart (package supervisor) with
// a client subscribed to events over the socket and reading every push:
// its latency percentiles and allocations per restart (process-wide, the
// endpoint's and the client's included) compare with that benchmark's.
func BenchmarkRestartSubscribed(b *testing.B) {
	dir, err := os.MkdirTemp("", "ipc")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var stop []func()
	benchkit.Restart(b, nil, func(tree *supervisor.Tree) {
		ep, err := Listen(tree, Config{Path: filepath.Join(dir, "t.sock")}, Wiring{})
		if err != nil {
			b.Fatal(err)
		}
		c := benchSubscribe(b, ep.Path())
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range c.Pushes() {
			}
		}()
		stop = append(stop, func() { c.Close(); <-done; ep.Close() })
	})
	for _, f := range stop {
		f()
	}
}

// BenchmarkRestartVisible measures how soon a subscribed client sees a
// restart: a child records the time and fails; the client reads pushes
// until the child's child_exited (exited-*) and then its child_restarted
// (restarted-*). Each op is one restart: "spaced" restarts the child 5 ms
// after its client saw the last restart, as a failure after a quiet spell;
// "back-to-back" as soon as it saw it, which keeps the endpoint's pump
// pacing itself (a batch a millisecond once its burst is spent). It
// reports p50, p99 and the maximum, from the failure to the push read
// from the client's Pushes.
func BenchmarkRestartVisible(b *testing.B) {
	for _, c := range []struct {
		name  string
		pause time.Duration
	}{{"spaced", 5 * time.Millisecond}, {"back-to-back", 0}} {
		b.Run(c.name, func(b *testing.B) { benchRestartVisible(b, c.pause) })
	}
}

func benchRestartVisible(b *testing.B, pause time.Duration) {
	fail := make(chan struct{})
	var failedAt atomic.Int64
	base := time.Now()
	api := supervisor.Child{Name: "api", Run: func(ctx context.Context) error {
		select {
		case <-fail:
			failedAt.Store(int64(time.Since(base)))
			return errBenchFail
		case <-ctx.Done():
			return nil
		}
	}}
	_, ep := benchTarget(b, Config{}, benchIdle("db"), api)
	c := benchSubscribe(b, ep.Path())
	defer benchClose(c)
	exited := make([]int64, 0, b.N)
	restarted := make([]int64, 0, b.N)
	b.ResetTimer()
	for range b.N {
		if pause > 0 {
			time.Sleep(pause)
		}
		fail <- struct{}{}
		for {
			p, ok := <-c.Pushes()
			if !ok {
				b.Fatal("the connection ended")
			}
			if p.Push != "event" || p.Event.Path != "/api" {
				continue
			}
			at := int64(time.Since(base)) - failedAt.Load()
			if p.Event.Kind == supervisor.EventChildExited {
				exited = append(exited, at)
			}
			if p.Event.Kind == supervisor.EventChildRestarted {
				restarted = append(restarted, at)
				break
			}
		}
	}
	b.StopTimer()
	benchLatency(b, exited, "exited")
	benchLatency(b, restarted, "restarted")
}

// benchLatency reports the p50, p99 and maximum of lat, in microseconds.
func benchLatency(b *testing.B, lat []int64, name string) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e3 }
	b.ReportMetric(at(0.50), name+"-p50-µs")
	b.ReportMetric(at(0.99), name+"-p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1])/1e3, name+"-max-µs")
}

// BenchmarkJunkConnections opens 1,000 connections to the target, as raw
// sockets that cost the benchmark's process no Go memory of their own,
// and with them open a well-behaved client calls state b.N times, one
// after the other (its rate limit raised for the purpose). What the 1,000
// send:
//
//   - junk: a quarter nothing, a quarter one line that is not JSON, a
//     quarter a burst of 50 such lines, a quarter the start of a line (200
//     bytes, no newline) and nothing more;
//   - hello: one valid request each (hello), then nothing;
//   - partial-line: each the start of a line one byte short of the limit
//     (64 KiB), the most a connection makes the target hold.
//
// It reports state's p50 and p99, and the memory the 1,000 connections
// cost the target: the Go heap and stacks in use after a GC, and the
// process's resident set, per connection.
func BenchmarkJunkConnections(b *testing.B) {
	junk := []byte("this is not JSON\n")
	burst := []byte(strings.Repeat("\x00{junk\xff\n", 50))
	partial := []byte(`{"id":"1","method":"state","params":{"stats":` + strings.Repeat(" ", 150))
	hello := []byte(`{"id":"1","method":"hello"}` + "\n")
	long := []byte(`{"id":"1","method":"state","params":{"stats":` + strings.Repeat(" ", defaultMaxLine-60))
	for _, c := range []struct {
		name string
		send func(i int) []byte
	}{
		{"junk", func(i int) []byte { return [][]byte{nil, junk, burst, partial}[i%4] }},
		{"hello", func(int) []byte { return hello }},
		{"partial-line", func(int) []byte { return long }},
	} {
		b.Run(c.name, func(b *testing.B) { benchJunkConnections(b, 1000, c.send) })
	}
}

func benchJunkConnections(b *testing.B, conns int, send func(i int) []byte) {
	_, ep := benchTarget(b, Config{Rate: 1e6, Burst: 1 << 20}, benchIdle("db"), benchIdle("api"))
	c, err := Dial(context.Background(), ep.Path())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	state := func() StateResult {
		var s StateResult
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Call(ctx, "state", nil, &s); err != nil {
			b.Fatal(err)
		}
		return s
	}
	state()
	heap0, rss0 := benchMemory()

	fds := make([]int, 0, conns)
	defer func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	for i := range conns {
		fd, err := benchRawDial(ep.Path())
		if err != nil {
			b.Fatalf("connection %d: %v", i, err)
		}
		fds = append(fds, fd)
		if line := send(i); len(line) > 0 {
			syscall.Write(fd, line)
		}
	}
	// Wait until the target serves them all, and let it read what they sent.
	for deadline := time.Now().Add(10 * time.Second); state().Endpoint.Connections < conns+1; {
		if time.Now().After(deadline) {
			b.Fatalf("the target serves %d connections, want %d", state().Endpoint.Connections, conns+1)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	heap1, rss1 := benchMemory()

	lat := make([]int64, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		state()
		lat = append(lat, int64(time.Since(t0)))
	}
	b.StopTimer()
	slices.Sort(lat)
	at := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e3 }
	b.ReportMetric(at(0.50), "state-p50-µs")
	b.ReportMetric(at(0.99), "state-p99-µs")
	b.ReportMetric(float64(heap1-heap0)/float64(conns)/1024, "heap-KiB/conn")
	b.ReportMetric(float64(rss1-rss0)/float64(conns)/1024, "rss-KiB/conn")
	b.ReportMetric(float64(rss1)/(1<<20), "rss-MiB")
}

// benchMemory returns the Go heap and stacks in use after a GC, and the
// process's resident set once the memory freed is given back to the
// system, in bytes.
func benchMemory() (heap, rss int64) {
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b, err := os.ReadFile("/proc/self/statm")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			rss = pages * int64(os.Getpagesize())
		}
	}
	return int64(m.HeapInuse + m.StackInuse), rss
}

// benchRawDial connects a Unix stream socket to path without the Go runtime's
// network poller: a file descriptor and nothing else in this process.
func benchRawDial(path string) (int, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("connect: %w", err)
	}
	return fd, nil
}

// benchEvents returns events of every kind, in each case the engine's
// rule for which fields an event carries looks at (a generation, a count,
// the root's path, the sidecar rule), n of each, with fields drawn from
// values that need escapes, times RFC 3339 cannot write, errors that
// panic, and now and then goroutine stacks.
func benchEvents(n int) []supervisor.Event {
	texts := []string{"", "plain", "/a<b>&c", "a<b", "x>y", `quote" back\slash`, "ctl\n\t\x01\x7f", "uni é \u2028 \u2029", "bad\xff utf-8", "sidecar"}
	times := []time.Time{time.Now(), {}, time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", 5*3600+1800)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600+60))}
	errs := []error{nil, errors.New("boom"), errors.New(`exit "status" <1> & é`), benchPanicky{}, errors.New("")}
	delays := []time.Duration{0, 1500 * time.Millisecond, supervisor.Infinity, -5 * time.Second, 90 * time.Minute}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	num := func() uint64 { return []uint64{0, 1, 42, math.MaxUint64}[rng.IntN(4)] }
	var events []supervisor.Event
	for kind := range 256 {
		for cs := range 16 {
			for range n {
				e := supervisor.Event{Seq: num(), Time: times[rng.IntN(len(times))], Kind: supervisor.EventKind(kind),
					Path: pick(texts), Attempt: rng.IntN(5) - 1, State: supervisor.State(rng.IntN(12)), Correlation: num(),
					Exit: supervisor.ExitClass(rng.IntN(10)), Err: errs[rng.IntN(len(errs))], Delay: delays[rng.IntN(len(delays))],
					Command: pick(texts), Rule: pick(texts), Reason: pick(texts)}
				if cs&1 != 0 {
					e.Generation = max(num(), 1)
				}
				if cs&2 != 0 {
					e.Count = max(num(), 1)
				}
				if cs&4 != 0 {
					e.Path = "/"
				}
				if cs&8 != 0 {
					e.Rule = "sidecar"
				}
				if rng.IntN(4) == 0 {
					e.Audit = supervisor.Audit{Who: pick(texts), Why: pick(texts)}
				}
				if rng.IntN(20) == 0 {
					e.Goroutines = []supervisor.GoroutineStack{{Path: pick(texts), Count: 2, Stack: "main.f\n\tf.go:1"}}
				}
				events = append(events, e)
			}
		}
	}
	return events
}

// TestAppendEvent checks the endpoint's encoder of events (appendEvent)
// against the engine's (Event.MarshalJSON), on benchEvents, and the whole
// push line against encodeLine's; it fails if the engine's Event gains a
// field the encoder does not know.
func TestAppendEvent(t *testing.T) {
	known := "Seq Time Kind Path Generation Attempt State Correlation Exit Err Delay Command Audit Count Rule Reason Goroutines"
	var fields []string
	for f := range reflect.TypeFor[supervisor.Event]().Fields() {
		fields = append(fields, f.Name)
	}
	if got := strings.Join(fields, " "); got != known {
		t.Fatalf("supervisor.Event's fields are %q, appendEvent writes %q: teach it the new ones", got, known)
	}
	head := eventPushHead("shop<&>", "3fa85f64")
	for _, e := range benchEvents(40) {
		want, err := e.MarshalJSON()
		if err != nil {
			continue // an event the engine cannot write: encodeLine panics, as before
		}
		if got := appendEvent([]byte("x"), &e); string(got[1:]) != string(want) {
			t.Fatalf("kind %d: appendEvent wrote\n%s\nMarshalJSON\n%s", e.Kind, got[1:], want)
		}
		p := Push{Push: "event", Target: "shop<&>", Epoch: "3fa85f64", Event: &e}
		if got, want := appendEventPush(nil, head, &e), encodeLine(p); string(got) != string(want) {
			t.Fatalf("kind %d: the push line\n%s\nencodeLine's\n%s", e.Kind, got, want)
		}
	}
}

// TestDecodeEventPush checks the client's decoder of event pushes
// (decodeEventPush) against json.Unmarshal's decoding of the line, on
// the lines of benchEvents and on lines changed as another writer of JSON
// might (spaces, keys in capitals or twice, unknown keys, numbers and
// strings written otherwise, other fields in the push): whatever it
// decodes, json.Unmarshal decodes alike.
func TestDecodeEventPush(t *testing.T) {
	generic := func(line []byte) (Push, error) {
		var in incoming
		err := json.Unmarshal(line, &in)
		return in.Push, err
	}
	var seen texts
	check := func(line []byte) bool {
		t.Helper()
		got, ok := decodeEventPush(line, &seen)
		if !ok {
			return false
		}
		want, err := generic(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\ndecodeEventPush: %+v\njson.Unmarshal: %+v, %v", line, got.Event, want.Event, err)
		}
		return true
	}
	changes := []func(string) string{
		func(s string) string { return strings.Replace(s, `":`, `": `, 1) },
		func(s string) string { return strings.Replace(s, `"seq"`, `"Seq"`, 1) },
		func(s string) string { return strings.Replace(s, `{"seq":`, `{"seq":7,"seq":`, 1) },
		func(s string) string { return strings.Replace(s, `{"seq":`, `{"other":[1,{"a":null}],"seq":`, 1) },
		func(s string) string { return strings.Replace(s, `"path":"`, `"path":"\u0061`, 1) },
		func(s string) string { return strings.Replace(s, `"correlation":`, `"correlation":-`, 1) },
		func(s string) string { return strings.Replace(s, `"seq":`, `"seq":0`, 1) },
		func(s string) string { return strings.Replace(s, `,"path":`, `,"path":null,"path":`, 1) },
		func(s string) string { return strings.Replace(s, `"generation":`, `"generation":1e3,"x":`, 1) },
		func(s string) string { return strings.TrimSuffix(s, "}") + `,"log":null}` },
		func(s string) string { return strings.TrimSuffix(s, "}") + `,"gap":{"stream":"events"}}` },
		func(s string) string { return strings.Replace(s, `"kind":"`, `"kind":"x`, 1) },
		func(s string) string { return strings.Replace(s, `"delay":"`, `"delay":"1`, 1) },
		func(s string) string { return strings.Replace(s, `"audit":{"who":`, `"audit":{"why":"w","who":`, 1) },
		func(s string) string { return strings.Replace(s, `"time":"`, `"time":"x`, 1) },
		func(s string) string { return strings.Replace(s, `}}`, `} }`, 1) },
	}
	head := eventPushHead("shop", "3fa85f64")
	fast := 0
	for i, e := range benchEvents(10) {
		if _, err := e.MarshalJSON(); err != nil {
			continue
		}
		line := appendEventPush(nil, head, &e)
		line = line[:len(line)-1]
		if check(line) {
			fast++
		}
		change := changes[i%len(changes)]
		check([]byte(change(string(line))))
	}
	if fast == 0 {
		t.Fatal("decodeEventPush decoded none of the lines")
	}
}

// benchPanicky is an error whose Error method panics.
type benchPanicky struct{}

func (benchPanicky) Error() string { panic("boom") }

// TestEventPushesContiguous checks the pump's batches over a real socket:
// a subscriber from the first event, of a tree whose child restarts as
// fast as it can, gets every sequence number in order, each as an event
// or within a gap push, through many full batches (the journal's 1,024
// events replayed, then the live ones).
func TestEventPushesContiguous(t *testing.T) {
	stop := make(chan struct{})
	var attempts atomic.Uint64
	dir, err := os.MkdirTemp("", "ipc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{Name: "shop",
		Intensity: supervisor.Intensity{MaxRestarts: 1 << 40, Period: time.Second},
		Children:  []supervisor.Child{benchFlapping(stop, &attempts)}})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Shutdown(context.Background(), supervisor.Audit{Who: "test", Why: "end"})
	ep, err := Listen(tree, Config{Path: filepath.Join(dir, "t.sock")}, Wiring{})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for attempts.Load() < 1000 { // more events than the journal keeps
		time.Sleep(time.Millisecond)
	}
	c, err := Dial(context.Background(), ep.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer benchClose(c)
	zero := uint64(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, "subscribe", SubscribeParams{Stream: "events", After: &zero}, nil); err != nil {
		t.Fatal(err)
	}
	var seq, events uint64
	for events < 20*pushBatch {
		var p Push
		select {
		case p = <-c.Pushes():
		case <-ctx.Done():
			t.Fatalf("after %d events: %v", events, ctx.Err())
		}
		switch p.Push {
		case "event":
			if p.Event.Seq != seq+1 {
				t.Fatalf("event %d after %d", p.Event.Seq, seq)
			}
			seq++
			events++
		case "gap":
			if p.Gap.AfterSeq != seq {
				t.Fatalf("a gap after %d, following %d", p.Gap.AfterSeq, seq)
			}
			seq += p.Gap.Count
		default:
			t.Fatalf("push %q", p.Push)
		}
	}
	close(stop)
}

// BenchmarkPushLine measures one event push, a child_exited of a restart,
// each way: "encode" is the pump's (appendEventPush into a reused buffer),
// "encode-json" what it replaced (encodeLine of the Push: json.Marshal and
// Event.MarshalJSON); "decode" is the client's (decodeEventPush),
// "decode-json" what it replaced (json.Unmarshal of the line).
func BenchmarkPushLine(b *testing.B) {
	e := supervisor.Event{Seq: 123456, Time: time.Now(), Kind: supervisor.EventChildExited, Path: "/workers/w1",
		Generation: 41, Attempt: 3, State: supervisor.StateStopped, Correlation: 99,
		Exit: supervisor.ExitAbnormal, Err: errors.New("dial tcp 10.0.0.7:5432: connection refused")}
	head := eventPushHead("shop", "3fa85f64")
	line := appendEventPush(nil, head, &e)
	line = line[:len(line)-1]
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = appendEventPush(buf[:0], head, &e)
		}
	})
	b.Run("encode-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeLine(Push{Push: "event", Target: "shop", Epoch: "3fa85f64", Event: &e})
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		var seen texts
		for b.Loop() {
			if _, ok := decodeEventPush(line, &seen); !ok {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("decode-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in incoming
			if err := json.Unmarshal(line, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
