package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/seqcheck"
)

// subscriberKind is how a subscriber consumes its events.
type subscriberKind uint8

const (
	// subFast handles each event at once, with a large queue: it should
	// never fall behind, and counts events by kind.
	subFast subscriberKind = iota
	// subSlow spends SlowDelay on each event, with a small queue: it falls
	// behind by design and loses events, each loss announced.
	subSlow
	// subBursty wakes every burstPeriod and drains what is queued.
	subBursty
	// subChurn closes its subscription and subscribes again every
	// churnPeriod, to show that subscriptions come and go without leaking.
	subChurn
)

const (
	burstPeriod = 250 * time.Millisecond
	churnPeriod = 2 * time.Second
)

// subscriber consumes one stream of a tree's events and checks its
// sequence. Its counters are read by the sampler while it runs, hence
// atomic; its trackers are its own until it has stopped.
type subscriber struct {
	name   string
	kind   subscriberKind
	buffer int
	delay  time.Duration
	tree   *supervisor.Tree

	// Published after each event for the sampler.
	events, dropped, gaps, anomalies atomic.Uint64
	last                             atomic.Uint64 // newest Seq handled
	subscriptions                    atomic.Uint64

	// For the fast subscriber: events by kind, child_restarting events
	// above the Seq of the snapshot taken after subscribing (baseSeq), and
	// the restart counters State should show (see restartModel).
	kinds    [256]atomic.Uint64
	restarts atomic.Uint64
	baseSeq  uint64
	model    *restartModel

	// done holds, once the subscriber has stopped, the totals of every
	// subscription it made; libDropped is what the subscriptions
	// themselves counted (Subscription.Dropped).
	done       seqcheck.Tracker
	libDropped uint64
	endErr     error // why it stopped, if not the tree's end
}

// subscribe subscribes s and returns the subscription with a tracker whose
// baseline is a snapshot taken right after, and that snapshot.
func (s *subscriber) subscribe() (*supervisor.Subscription, seqcheck.Tracker, supervisor.Snapshot) {
	sub := s.tree.Subscribe(s.buffer)
	s.subscriptions.Add(1)
	snap := s.tree.Snapshot()
	return sub, seqcheck.New(snap.Seq), snap
}

// run consumes events until the tree ends (or ctx is done, in an
// emergency). For a subscription that lasted until the tree's end it
// checks that the stream reached final, the tree's last Seq, which final
// returns once the tree has ended.
func (s *subscriber) run(ctx context.Context, sub *supervisor.Subscription, tr seqcheck.Tracker, final func() uint64) {
	var total seqcheck.Tracker
	add := func(t seqcheck.Tracker) {
		total.Events += t.Events
		total.Notices += t.Notices
		total.Dropped += t.Dropped
		total.Gaps += t.Gaps
		total.Anomalies += t.Anomalies
	}
	publish := func(t *seqcheck.Tracker) {
		s.events.Store(total.Events + t.Events)
		s.dropped.Store(total.Dropped + t.Dropped)
		s.gaps.Store(total.Gaps + t.Gaps)
		s.anomalies.Store(total.Anomalies + t.Anomalies)
		s.last.Store(t.Last())
	}
	// stop records the totals once the subscriber stops, for err (nil
	// at the tree's end).
	stop := func(err error) {
		s.endErr = err
		s.libDropped += sub.Dropped()
		add(tr)
		fresh := seqcheck.New(tr.Last()) // the totals, with the stream's end
		fresh.Finish(tr.Last())
		publish(&fresh)
		s.done = total
	}
	var (
		nextChurn = time.Now().Add(churnPeriod)
		burst     *time.Ticker
		drain     context.Context // a done context: Next returns what is queued, then ctx.Err()
	)
	if s.kind == subBursty {
		burst = time.NewTicker(burstPeriod)
		defer burst.Stop()
		c, cancel := context.WithCancel(context.Background())
		cancel()
		drain = c
	}
	for {
		next := ctx
		if s.kind == subBursty {
			next = drain
		}
		e, err := sub.Next(next)
		switch {
		case err == nil:
		case errors.Is(err, supervisor.ErrClosed):
			tr.Finish(final())
			stop(nil)
			return
		case s.kind == subBursty && errors.Is(err, context.Canceled) && ctx.Err() == nil:
			// The queue is empty: sleep until the next burst.
			select {
			case <-burst.C:
			case <-ctx.Done():
			}
			continue
		default: // ctx is done: an emergency stop
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			sub.Close()
			stop(err)
			return
		}
		tr.Observe(e)
		if s.kind == subFast {
			s.kinds[e.Kind].Add(1)
			if e.Seq > s.baseSeq {
				if e.Kind == supervisor.EventChildRestarting {
					s.restarts.Add(1)
				}
				s.model.observe(e)
			}
		}
		publish(&tr)
		switch s.kind {
		case subSlow:
			time.Sleep(s.delay)
		case subChurn:
			if time.Now().After(nextChurn) {
				// Close, and account for this subscription up to here:
				// what it would have delivered later is not owed.
				sub.Close()
				s.libDropped += sub.Dropped()
				add(tr)
				sub, tr, _ = s.subscribe()
				nextChurn = time.Now().Add(churnPeriod)
			}
		}
	}
}

// subscribers is the set of event consumers of a run.
type subscribers struct {
	all  []*subscriber
	fast *subscriber
	wg   sync.WaitGroup
}

// startSubscribers subscribes the four consumers and starts them. Each
// goroutine ends when the tree ends and its queue is drained, or when ctx
// is done.
func startSubscribers(ctx context.Context, tree *supervisor.Tree, cfg config) *subscribers {
	ss := &subscribers{all: []*subscriber{
		{name: "fast", kind: subFast, buffer: 8192},
		{name: "slow", kind: subSlow, buffer: 64, delay: cfg.SlowDelay},
		{name: "bursty", kind: subBursty, buffer: 512},
		{name: "churn", kind: subChurn, buffer: 256},
	}}
	ss.fast = ss.all[0]
	final := func() uint64 { return tree.Snapshot().Seq }
	for _, s := range ss.all {
		s.tree = tree
		sub, tr, snap := s.subscribe()
		if s == ss.fast {
			s.baseSeq, s.model = snap.Seq, newRestartModel(snap)
		}
		ss.wg.Go(func() { s.run(ctx, sub, tr, final) })
	}
	return ss
}

// wait waits for every subscriber to stop.
func (ss *subscribers) wait() { ss.wg.Wait() }

// totals sums the live counters of every subscriber.
func (ss *subscribers) totals() (dropped, gaps, anomalies uint64) {
	for _, s := range ss.all {
		dropped += s.dropped.Load()
		gaps += s.gaps.Load()
		anomalies += s.anomalies.Load()
	}
	return dropped, gaps, anomalies
}

// restartModel predicts each child's ChildInfo.Restarts from the events:
// the counter a snapshot showed when the subscription began, plus one per
// child_restarting event since. A nested supervisor that starts again
// (child_starting for its path) starts its children afresh, with their
// counters at zero, so the model forgets the counters below it. It is
// safe for concurrent use: the fast subscriber feeds it while the settler
// compares it with a snapshot.
type restartModel struct {
	mu          sync.Mutex
	want        map[string]uint64 // path → expected Restarts; absent means 0
	supervisors map[string]bool   // paths of the tree's supervisors
}

func newRestartModel(snap supervisor.Snapshot) *restartModel {
	m := &restartModel{want: make(map[string]uint64), supervisors: make(map[string]bool)}
	for _, c := range snap.Children {
		if c.Restarts > 0 {
			m.want[c.Path] = c.Restarts
		}
		if c.Supervisor {
			m.supervisors[c.Path] = true
		}
	}
	return m
}

// observe applies one event received after the snapshot.
func (m *restartModel) observe(e supervisor.Event) {
	switch e.Kind {
	case supervisor.EventChildRestarting:
		m.mu.Lock()
		m.want[e.Path]++
		m.mu.Unlock()
	case supervisor.EventChildStarting:
		if !m.supervisors[e.Path] {
			return
		}
		prefix := e.Path + "/"
		m.mu.Lock()
		for p := range m.want {
			if strings.HasPrefix(p, prefix) {
				delete(m.want, p)
			}
		}
		m.mu.Unlock()
	case supervisor.EventChildRemoved:
		m.mu.Lock()
		delete(m.want, e.Path)
		m.mu.Unlock()
	}
}

// compare returns the restarts snap counts in all, those the model
// predicts, how many children they differ on, and the first few of those.
func (m *restartModel) compare(snap supervisor.Snapshot) (got, want uint64, differ int, diff []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := make(map[string]bool, len(snap.Children))
	for _, c := range snap.Children {
		seen[c.Path] = true
		w := m.want[c.Path]
		got += c.Restarts
		want += w
		if c.Restarts != w {
			differ++
			if len(diff) < 5 {
				diff = append(diff, fmt.Sprintf("%s: State %d, events %d", c.Path, c.Restarts, w))
			}
		}
	}
	for p, w := range m.want {
		if !seen[p] && w > 0 {
			want += w
			differ++
			if len(diff) < 5 {
				diff = append(diff, fmt.Sprintf("%s: not in State, events %d", p, w))
			}
		}
	}
	return got, want, differ, diff
}
