package main

import (
	"context"
	"errors"
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
	st := &stream{sub: sub, tr: tr, nextChurn: time.Now().Add(churnPeriod)}
	r := s.newReader(ctx)
	defer r.stop()
	for {
		e, err := st.sub.Next(r.next)
		switch s.outcome(ctx, err) {
		case readEvent:
		case readEnd:
			st.tr.Finish(final())
			s.stop(st, nil)
			return
		case readEmpty:
			r.sleep(ctx)
			continue
		case readAbort:
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			st.sub.Close()
			s.stop(st, err)
			return
		}
		st.tr.Observe(e)
		s.count(e)
		s.publish(st, &st.tr)
		s.pace(st)
	}
}

// stream is what a subscriber is reading: its current subscription with
// its tracker, and the totals of the subscriptions it closed before.
type stream struct {
	sub       *supervisor.Subscription
	tr        seqcheck.Tracker
	total     seqcheck.Tracker
	nextChurn time.Time // when a churning subscriber subscribes again
}

// account adds the current subscription's tracker to the totals, and what
// the subscription counted as dropped to the subscriber's.
func (s *subscriber) account(st *stream) {
	s.libDropped += st.sub.Dropped()
	st.total.Events += st.tr.Events
	st.total.Notices += st.tr.Notices
	st.total.Dropped += st.tr.Dropped
	st.total.Gaps += st.tr.Gaps
	st.total.Anomalies += st.tr.Anomalies
}

// publish stores the totals with t, the current subscription's tracker,
// for the sampler.
func (s *subscriber) publish(st *stream, t *seqcheck.Tracker) {
	s.events.Store(st.total.Events + t.Events)
	s.dropped.Store(st.total.Dropped + t.Dropped)
	s.gaps.Store(st.total.Gaps + t.Gaps)
	s.anomalies.Store(st.total.Anomalies + t.Anomalies)
	s.last.Store(t.Last())
}

// stop records the totals once the subscriber stops, for err (nil at the
// tree's end).
func (s *subscriber) stop(st *stream, err error) {
	s.endErr = err
	s.account(st)
	last := st.tr.Last()
	fresh := seqcheck.New(last) // the totals, with the stream's end
	fresh.Finish(last)
	s.publish(st, &fresh)
	s.done = st.total
}

// readOutcome is what a call to Next means for the subscriber.
type readOutcome uint8

const (
	readEvent readOutcome = iota // an event to handle
	readEnd                      // the tree ended and the queue is drained
	readEmpty                    // a bursty subscriber drained its queue
	readAbort                    // ctx is done: an emergency stop
)

// outcome decides what the error of a call to Next means.
func (s *subscriber) outcome(ctx context.Context, err error) readOutcome {
	switch {
	case err == nil:
		return readEvent
	case errors.Is(err, supervisor.ErrClosed):
		return readEnd
	case s.kind == subBursty && errors.Is(err, context.Canceled) && ctx.Err() == nil:
		return readEmpty
	}
	return readAbort
}

// count counts an event by kind for the fast subscriber, with the
// restarts it announces and the restart model.
func (s *subscriber) count(e supervisor.Event) {
	if s.kind != subFast {
		return
	}
	s.kinds[e.Kind].Add(1)
	if e.Seq > s.baseSeq {
		if e.Kind == supervisor.EventChildRestarting {
			s.restarts.Add(1)
		}
		s.model.observe(e)
	}
}

// pace does what the subscriber's kind does after each event: the slow one
// dawdles, the churning one now and then subscribes again.
func (s *subscriber) pace(st *stream) {
	switch s.kind {
	case subSlow:
		time.Sleep(s.delay)
	case subChurn:
		if time.Now().After(st.nextChurn) {
			// Close, and account for this subscription up to here:
			// what it would have delivered later is not owed.
			st.sub.Close()
			s.account(st)
			st.sub, st.tr, _ = s.subscribe()
			st.nextChurn = time.Now().Add(churnPeriod)
		}
	}
}

// reader is how a subscriber waits for events: with ctx, or for a bursty
// subscriber with a done context, so that Next returns what is queued and
// then the context's error, and a ticker to sleep on until the next burst.
type reader struct {
	next  context.Context
	burst *time.Ticker
}

func (s *subscriber) newReader(ctx context.Context) reader {
	if s.kind != subBursty {
		return reader{next: ctx}
	}
	drain, cancel := context.WithCancel(context.Background())
	cancel()
	return reader{next: drain, burst: time.NewTicker(burstPeriod)}
}

// sleep waits for the next burst, or for ctx to end.
func (r reader) sleep(ctx context.Context) {
	select {
	case <-r.burst.C:
	case <-ctx.Done():
	}
}

func (r reader) stop() {
	if r.burst != nil {
		r.burst.Stop()
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
