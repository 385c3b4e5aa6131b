package chaos

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/seqcheck"
)

var audit = supervisor.Audit{Who: "chaos", Why: "scenario"}

// runFor is how long each timed scenario runs: CHAOS_DURATION, or 2 s.
func runFor(t *testing.T) time.Duration {
	t.Helper()
	s := os.Getenv("CHAOS_DURATION")
	if s == "" {
		return 2 * time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("CHAOS_DURATION=%q: want a positive Go duration such as 60s", s)
	}
	return d
}

// scale is how many times longer than the short form the run is (at least
// 1): count-based scenarios multiply their counts by it.
func scale(t *testing.T) int { return max(1, int(runFor(t)/(2*time.Second))) }

// startTree starts spec and makes sure it is shut down when the test ends.
func startTree(t *testing.T, spec supervisor.Spec) *supervisor.Tree {
	t.Helper()
	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		tree.Shutdown(ctx, audit)
	})
	return tree
}

// shutdown shuts tree down and returns its report.
func shutdown(t *testing.T, tree *supervisor.Tree) *supervisor.ShutdownReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := tree.Shutdown(ctx, audit)
	if r == nil {
		t.Fatalf("shutdown: %v", err)
	}
	return r
}

// eventually polls cond every millisecond until it holds, failing the test
// after limit. The chaos suite runs on the real clock, where the tree's
// State is the thing to watch.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still not %s", limit, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// latencies collects durations from several goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// quantile returns the q-quantile (0 ≤ q ≤ 1) of the durations, or 0.
func (l *latencies) quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

// follow consumes tree's events on its own goroutine, calling f for each,
// until the tree has ended and every event was delivered. wait returns once
// it has, with the subscription's drop count.
func follow(tree *supervisor.Tree, size int, f func(supervisor.Event)) (wait func() uint64) {
	w := followSeq(tree, size, f)
	return func() uint64 {
		_, dropped := w()
		return dropped
	}
}

// followSeq is follow that also checks the sequence numbers the
// subscription delivers, up to the tree's last event.
func followSeq(tree *supervisor.Tree, size int, f func(supervisor.Event)) (wait func() (seqCheck, uint64)) {
	sub := tree.Subscribe(size)
	c := seqCheck{Tracker: seqcheck.New(tree.Snapshot().Seq)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			e, err := sub.Next(context.Background())
			if err != nil {
				c.Finish(tree.Snapshot().Seq)
				return
			}
			c.see(e)
			f(e)
		}
	}()
	return func() (seqCheck, uint64) {
		<-done
		return c, sub.Dropped()
	}
}

// seqCheck is a seqcheck.Tracker that also remembers the first sequence
// number the subscription accounted for.
type seqCheck struct {
	seqcheck.Tracker
	first uint64
}

func (c *seqCheck) see(e supervisor.Event) {
	if c.first == 0 {
		c.first = e.Seq
		if e.Kind == supervisor.EventsDropped {
			c.first = e.Seq - e.Count + 1
		}
	}
	c.Observe(e)
}

// accounted reports whether every sequence number from the first to the
// last was delivered or announced as dropped, each once.
func (c *seqCheck) accounted() (delivered, span uint64) {
	return c.Events + c.Dropped, c.Last() - c.first + 1
}

// typed reports whether err is nil or a control error the API documents:
// an *OpError wrapping one of the package's sentinels.
func typed(err error) bool {
	if err == nil {
		return true
	}
	var op *supervisor.OpError
	if !errors.As(err, &op) {
		return false
	}
	for _, s := range []error{supervisor.ErrNotFound, supervisor.ErrNotRunning, supervisor.ErrShuttingDown,
		supervisor.ErrAlreadyExists, supervisor.ErrNotSupervisor} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
