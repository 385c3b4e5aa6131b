package ipc

import (
	"context"
	"errors"
	"time"

	"github.com/go-supervisor/supervisor"
)

// subscribe starts a stream's pushes, after its answer.
func (c *conn) subscribe(req *Request) (any, func(), *Error) {
	var p SubscribeParams
	if err := decodeParams(req, &p); err != nil {
		return nil, nil, err
	}
	var pump func(ctx context.Context)
	switch p.Stream {
	case "events":
		pump = c.eventPump(p.After)
	case "logs":
		if c.e.wiring.Logs == nil {
			return nil, nil, unavailable("the logs stream", "the program serves no logs (ipc.Wiring.Logs)")
		}
		pump = c.logPump(p)
	default:
		return nil, nil, &Error{Code: "invalid_params", Message: "subscribe's stream must be events or logs, not " + quote(p.Stream)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.subs[p.Stream]; ok {
		return nil, nil, &Error{Code: "already_subscribed", Message: "this connection is subscribed to " + p.Stream + " already: unsubscribe first"}
	}
	ctx, cancel := context.WithCancel(c.ctx)
	c.subs[p.Stream] = cancel
	start := func() {
		c.pumps.Add(1)
		go func() {
			defer c.pumps.Done()
			pump(ctx)
		}()
	}
	return SubscribeResult{Stream: p.Stream, Epoch: c.e.tree.ID()}, start, nil
}

func (c *conn) unsubscribe(req *Request) (any, func(), *Error) {
	var p UnsubscribeParams
	if err := decodeParams(req, &p); err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	cancel, ok := c.subs[p.Stream]
	delete(c.subs, p.Stream)
	c.mu.Unlock()
	if !ok {
		return nil, nil, &Error{Code: "not_subscribed", Message: "this connection is not subscribed to " + quote(p.Stream)}
	}
	cancel()
	return UnsubscribeParams{Stream: p.Stream}, nil, nil
}

// push queues a push of the connection's target.
func (c *conn) push(p Push) bool {
	p.Target, p.Epoch = c.e.cfg.TargetID, c.e.tree.ID()
	return c.send(encodeLine(p))
}

// eventPump returns the pump of an events subscription: the journal's
// events after *after first, if after is set, then every new one. The
// tree's subscription queue is what fills when the client is slow: it
// drops the oldest and counts them, which the pump sends as a gap.
func (c *conn) eventPump(after *uint64) func(ctx context.Context) {
	var sub *supervisor.Subscription
	if after != nil {
		sub = c.e.tree.SubscribeFrom(*after, c.e.cfg.QueueSize)
	} else {
		sub = c.e.tree.Subscribe(c.e.cfg.QueueSize)
	}
	replayed := after != nil
	return func(ctx context.Context) {
		defer sub.Close()
		var slow slowness
		for {
			e, err := sub.Next(c.e.polled) // what is queued, without waiting
			if errors.Is(err, context.Canceled) && ctx.Err() == nil {
				slow = slowness{} // caught up
				e, err = sub.Next(ctx)
			}
			if errors.Is(err, supervisor.ErrClosed) {
				c.push(Push{Push: "end"})
				return
			}
			if err != nil {
				return
			}
			p := Push{Push: "event", Event: &e}
			if e.Kind == supervisor.EventsDropped {
				reason := "slow"
				if replayed {
					reason = "journal"
				}
				p = Push{Push: "gap", Gap: &Gap{Stream: "events", AfterSeq: e.Seq - e.Count, Count: e.Count, Reason: reason}}
				if slow.fell(time.Now(), c.e.cfg.SlowLimit) {
					c.abort()
					return
				}
			}
			replayed = false
			if !c.push(p) {
				return
			}
		}
	}
}

// logPump returns the pump of a logs subscription, which reads the
// target's log records after its cursor: a client that falls behind the
// records kept gets a gap.
func (c *conn) logPump(p SubscribeParams) func(ctx context.Context) {
	logs, f := c.e.wiring.Logs, logFilter{path: p.Path, source: p.Source}
	seq := logs.newestSeq()
	if p.After != nil {
		seq = *p.After
	}
	reason := "slow"
	if p.After != nil {
		reason = "journal"
	}
	return func(ctx context.Context) {
		var slow slowness
		for {
			recs, gone, next, wait := logs.after(seq, f, 256)
			if gone > 0 {
				if slow.fell(time.Now(), c.e.cfg.SlowLimit) {
					c.abort()
					return
				}
				if !c.push(Push{Push: "gap", Gap: &Gap{Stream: "logs", AfterSeq: seq, Count: gone, Reason: reason}}) {
					return
				}
			}
			reason = "slow"
			for i := range recs {
				if !c.push(Push{Push: "log", Log: &recs[i]}) {
					return
				}
			}
			if seq = next; len(recs) == 0 && gone == 0 {
				slow = slowness{}
				select {
				case <-wait:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}

// slowness follows a subscriber that keeps missing records: one that has
// missed some all along for the slow limit is disconnected.
type slowness struct{ since time.Time }

// fell records a miss at now and reports whether the subscriber has been
// missing records for longer than limit.
func (s *slowness) fell(now time.Time, limit time.Duration) bool {
	if s.since.IsZero() {
		s.since = now
	}
	return now.Sub(s.since) > limit
}
