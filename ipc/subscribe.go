package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// subscribe starts a stream's pushes, after its answer.
func (c *conn) subscribe(req *Request) (any, func(), *Error) {
	var p SubscribeParams
	if err := decodeParams(req, &p); err != nil {
		return nil, nil, err
	}
	switch {
	case p.Stream != "events" && p.Stream != "logs":
		return nil, nil, &Error{Code: "invalid_params", Message: "subscribe's stream must be events or logs, not " + quote(p.Stream)}
	case p.Stream == "logs" && c.e.wiring.Logs == nil:
		return nil, nil, unavailable("the logs stream", "the program serves no logs (ipc.Wiring.Logs)")
	case p.Stream == "logs" && c.e.logSubs.Load() >= maxLogSubscriptions:
		return nil, nil, &Error{Code: "busy", Retryable: true, Message: fmt.Sprintf(
			"the target serves %d logs subscriptions at most, and has that many: retry later", maxLogSubscriptions)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.subs[p.Stream]; ok { // before the subscription is made: a refused one holds nothing
		return nil, nil, &Error{Code: "already_subscribed", Message: "this connection is subscribed to " + p.Stream + " already: unsubscribe first"}
	}
	var pump func(ctx context.Context)
	if p.Stream == "events" {
		pump = c.eventPump(p.After)
	} else {
		c.e.logSubs.Add(1)
		logs := c.logPump(p)
		pump = func(ctx context.Context) {
			defer c.e.logSubs.Add(-1)
			logs(ctx)
		}
	}
	ctx, cancel := context.WithCancel(c.ctx)
	done := make(chan struct{})
	c.subs[p.Stream] = pumping{cancel, done}
	start := func() {
		c.pumps.Add(1)
		go func() {
			defer c.pumps.Done()
			defer close(done)
			pump(ctx)
		}()
	}
	return SubscribeResult{Stream: p.Stream, Epoch: c.e.tree.ID()}, start, nil
}

// maxLogSubscriptions is how many logs subscriptions an endpoint serves at
// once: each wakes for the program's records, which every log call takes
// a lock for.
const maxLogSubscriptions = 64

// pumping is a subscription's pump under way.
type pumping struct {
	cancel context.CancelFunc
	done   <-chan struct{} // closed when the pump has returned
}

// unsubscribe ends a subscription, and answers once its pump has
// returned: no push of it follows the answer.
func (c *conn) unsubscribe(req *Request) (any, func(), *Error) {
	var p UnsubscribeParams
	if err := decodeParams(req, &p); err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	sub, ok := c.subs[p.Stream]
	delete(c.subs, p.Stream)
	c.mu.Unlock()
	if !ok {
		return nil, nil, &Error{Code: "not_subscribed", Message: "this connection is not subscribed to " + quote(p.Stream)}
	}
	sub.cancel()
	<-sub.done
	return UnsubscribeParams{Stream: p.Stream}, nil, nil
}

// push queues a push of the connection's target.
func (c *conn) push(ctx context.Context, p Push) bool { return c.sendFor(ctx, c.pushLine(p)) }

// sendFor queues a subscription's line for the writer, waiting while out
// is full, until the subscription or the connection ends.
func (c *conn) sendFor(ctx context.Context, line []byte) bool {
	select {
	case c.out <- line:
		return true
	case <-ctx.Done():
		return false
	}
}

// pushLine returns a push of the connection's target as a line.
func (c *conn) pushLine(p Push) []byte {
	p.Target, p.Epoch = c.e.cfg.TargetID, c.e.tree.ID()
	return encodeLine(p)
}

// An events subscription's pushes go out in batches: its pump takes what
// the tree's subscription holds, up to pushBatch events or about
// pushBatchBytes bytes, and queues it as one write. It sends pushBurst
// batches at once, as the events of a restart come, then one every
// pushInterval while events keep coming: so an event after a quiet spell
// goes out at once, and on a busy tree the pump, the writer and the
// client wake about a thousand times a second rather than for each event,
// and leave the tree its cores. A client gets at most pushBatch events
// each pushInterval (128,000 a second): beyond that the subscription's
// queue fills and drops, which gap pushes tell, as for a client that
// reads slowly.
const (
	pushInterval   = time.Millisecond
	pushBurst      = 4
	pushBatch      = 128
	pushBatchBytes = 64 << 10
)

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
	head := eventPushHead(c.e.cfg.TargetID, c.e.tree.ID())
	return func(ctx context.Context) {
		defer sub.Close()
		var slow slowness
		pace := time.NewTimer(pushInterval)
		pace.Stop()
		size := 0         // the last batch's length, as the next one's capacity
		var due time.Time // see pace below
		events := make([]supervisor.Event, pushBatch)
		for {
			n, err := sub.Read(ctx, events) // what is queued, waiting for one event
			woke := time.Now()
			var batch []byte
			for i := range n {
				e := &events[i]
				if batch == nil {
					batch = c.e.buffers.newBatch(size)
				}
				if e.Kind == supervisor.EventsDropped {
					reason := "slow"
					if replayed {
						reason = "journal"
					}
					if slow.fell(time.Now(), c.e.cfg.SlowLimit) {
						c.abort()
						return
					}
					batch = append(batch, c.pushLine(Push{Push: "gap",
						Gap: &Gap{Stream: "events", AfterSeq: e.Seq - e.Count, Count: e.Count, Reason: reason}})...)
				} else {
					batch = appendEventPush(batch, head, e)
				}
				replayed = false
				if len(batch) >= pushBatchBytes { // a batch of long events: send it now
					if !c.sendFor(ctx, batch) {
						return
					}
					batch = nil
				}
			}
			size = min(len(batch), pushBatchBytes)
			if len(batch) > 0 && !c.sendFor(ctx, batch) {
				return
			}
			switch {
			case errors.Is(err, supervisor.ErrClosed):
				c.push(ctx, Push{Push: "end"})
				return
			case err != nil:
				return // ctx's
			case n < len(events): // nothing more is queued
				slow = slowness{} // caught up
			}
			// pace: a bucket of pushBurst batches that refills one each
			// pushInterval; due is when it would be empty.
			if due.Before(woke) {
				due = woke
			}
			due = due.Add(pushInterval)
			if wait := time.Until(due) - pushBurst*pushInterval; wait > 0 {
				pace.Reset(wait)
				select {
				case <-pace.C:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}

// pushBuffer is the capacity of the buffers of large batches, which the
// writer recycles once it has written them (pushBuffers): a busy
// subscription fills a thousand a second, and allocating them made the
// tree's own garbage collector run a third more often.
const pushBuffer = pushBatchBytes + 16<<10

// pushBuffers holds an endpoint's batch buffers written, each a *[]byte
// of capacity pushBuffer.
type pushBuffers struct{ pool sync.Pool }

// newBatch returns an empty buffer for a batch of about size bytes: a
// recycled one for a large batch.
func (b *pushBuffers) newBatch(size int) []byte {
	if size < pushBatchBytes/8 {
		return make([]byte, 0, max(size, 512))
	}
	if p, ok := b.pool.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, pushBuffer)
}

// recycle keeps buf for newBatch if it is one of its buffers. The caller
// has written buf and holds it no more.
func (b *pushBuffers) recycle(buf []byte) {
	if cap(buf) == pushBuffer {
		buf = buf[:0]
		b.pool.Put(&buf)
	}
}

// eventPushHead returns the start of an event push of target and epoch,
// up to the event's value.
func eventPushHead(target, epoch string) []byte {
	b := []byte(`{"push":"event","target":`)
	b = append(b, encodeLine(target)...)
	b = append(b[:len(b)-1], `,"epoch":`...)
	b = append(b, encodeLine(epoch)...)
	return append(b[:len(b)-1], `,"event":`...)
}

// appendEventPush appends to b the line of an event push, head (from
// eventPushHead) and e: the bytes encodeLine writes for the Push, without
// its reflection over the Push and its second pass over the event's JSON.
func appendEventPush(b, head []byte, e *supervisor.Event) []byte {
	b = append(b, head...)
	b = appendEvent(b, e)
	return append(b, '}', '\n')
}

// appendEvent appends e's JSON: the bytes e.MarshalJSON returns, written
// without its allocations (it builds a second struct, and encoding/json
// reflects over it and checks and copies the time's and the enums' text
// again), which on a busy tree the endpoint's pump made the tree's own
// garbage collector pay for. Which of its kind's fields an event carries
// is the engine's rule (docs/json.md): eventShape asks the engine, once
// for each kind and case. An event with goroutine stacks, or whose time
// RFC 3339 cannot write, is left to MarshalJSON. TestAppendEvent checks
// the two agree for every kind and case.
func appendEvent(b []byte, e *supervisor.Event) []byte {
	shape := eventShape(e)
	if len(e.Goroutines) > 0 || shape == 0 {
		return appendMarshaled(b, e)
	}
	start := len(b)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	b, err := e.Time.AppendText(b)
	if err != nil {
		return appendMarshaled(b[:start], e)
	}
	b = append(b, `","kind":`...)
	b = appendJSONString(b, e.Kind.String())
	b = append(b, `,"path":`...)
	b = appendJSONString(b, e.Path)
	if shape&withAttempt != 0 {
		b = append(b, `,"generation":`...)
		b = strconv.AppendUint(b, e.Generation, 10)
		b = append(b, `,"attempt":`...)
		b = strconv.AppendInt(b, int64(e.Attempt), 10)
		b = append(b, `,"state":`...)
		b = appendJSONString(b, e.State.String())
	}
	if e.Correlation != 0 {
		b = append(b, `,"correlation":`...)
		b = strconv.AppendUint(b, e.Correlation, 10)
	}
	if shape&withExit != 0 {
		b = append(b, `,"exit":`...)
		b = appendJSONString(b, e.Exit.String())
	}
	if text := textfmt.Error(e.Err); text != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, text)
	}
	if shape&withDelay != 0 {
		b = append(b, `,"delay":`...)
		b = appendJSONString(b, textfmt.Duration(e.Delay))
	}
	if shape&withCommand != 0 {
		b = append(b, `,"command":`...)
		b = appendJSONString(b, e.Command)
	}
	if e.Audit != (supervisor.Audit{}) {
		b = append(b, `,"audit":{"who":`...)
		b = appendJSONString(b, e.Audit.Who)
		b = append(b, `,"why":`...)
		b = appendJSONString(b, e.Audit.Why)
		b = append(b, '}')
	}
	if shape&withCount != 0 {
		b = append(b, `,"count":`...)
		b = strconv.AppendUint(b, e.Count, 10)
	}
	if e.Rule != "" {
		b = append(b, `,"rule":`...)
		b = appendJSONString(b, e.Rule)
	}
	if e.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, e.Reason)
	}
	return append(b, '}')
}

// appendMarshaled appends e.MarshalJSON's bytes.
func appendMarshaled(b []byte, e *supervisor.Event) []byte {
	j, err := e.MarshalJSON()
	if err != nil { // as encodeLine: the engine's events always encode
		panic("ipc: " + err.Error())
	}
	return append(b, j...)
}

// appendJSONString appends s as a JSON string, as encoding/json writes
// it: as it is if it is printable ASCII that needs no escape (HTML's
// characters included, as encoding/json escapes them), else by
// encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s) // a string always encodes
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// The fields of an event that its kind decides, as bits of an event's
// shape; shapeKnown marks a shape the engine was asked for.
const (
	withAttempt = 1 << iota // generation, attempt and state
	withExit
	withDelay
	withCount
	withCommand
	shapeKnown
)

// shapes caches eventShape's answers: for each kind, and each of the
// cases in which the engine's rule looks past the kind.
var shapes [256 * 16]atomic.Uint32

// eventShape returns the fields the engine writes for e beside those it
// writes whenever they are set, with shapeKnown; 0 if it cannot tell. The
// engine decides by the event's kind, and in a few cases by whether it has
// a generation, a count, the root's path or the sidecar rule (docs/json.md
// has each kind's fields): the first event of each kind and case is
// written by MarshalJSON, and which of those fields it has is kept.
func eventShape(e *supervisor.Event) uint32 {
	if int(e.Kind) >= 256 { // EventKind is a byte: never
		return 0
	}
	var cs int
	probe := supervisor.Event{Kind: e.Kind, Path: "/a"}
	if e.Generation > 0 {
		cs, probe.Generation = cs|1, 1
	}
	if e.Count > 0 {
		cs, probe.Count = cs|2, 1
	}
	if e.Path == "/" {
		cs, probe.Path = cs|4, "/"
	}
	if e.Rule == "sidecar" {
		cs, probe.Rule = cs|8, "sidecar"
	}
	slot := &shapes[int(e.Kind)*16+cs]
	if shape := slot.Load(); shape != 0 {
		return shape
	}
	j, err := probe.MarshalJSON()
	var fields map[string]json.RawMessage
	if err != nil || json.Unmarshal(j, &fields) != nil {
		return 0
	}
	shape := uint32(shapeKnown)
	for key, bit := range map[string]uint32{"generation": withAttempt, "exit": withExit, "delay": withDelay,
		"count": withCount, "command": withCommand} {
		if _, ok := fields[key]; ok {
			shape |= bit
		}
	}
	slot.Store(shape)
	return shape
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
				if !c.push(ctx, Push{Push: "gap", Gap: &Gap{Stream: "logs", AfterSeq: seq, Count: gone, Reason: reason}}) {
					return
				}
			}
			reason = "slow"
			for i := range recs {
				if !c.push(ctx, Push{Push: "log", Log: &recs[i]}) {
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
				// Records that keep coming are taken a millisecond's worth
				// at a time: a subscriber wakes at most a thousand times a
				// second, however fast the program logs.
				pace := time.NewTimer(pushInterval)
				select {
				case <-pace.C:
				case <-ctx.Done():
					pace.Stop()
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
