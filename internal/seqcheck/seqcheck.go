// Package seqcheck checks the sequence of events one subscription
// delivers: every event of the tree received, or announced as dropped, and
// nothing else. The soak and the chaos scenarios use it.
package seqcheck

import "github.com/go-supervisor/supervisor"

// Tracker checks one subscription's event sequence. A tree numbers its
// events from 1 without gaps; a subscription that falls behind loses its
// oldest queued events and is told so by an EventsDropped notice, whose Seq
// is the newest event it lost and whose Count is how many it lost since the
// previous notice. So between two consecutive events a subscriber receives,
// Seq must advance by exactly 1, and before a notice by exactly its Count.
// Anything else is a gap (events missing and not accounted for) or an
// anomaly (an event seen twice or out of order, or a notice claiming more
// losses than the sequence shows).
//
// It is not safe for concurrent use: each subscriber owns its own.
type Tracker struct {
	// after is the Seq of a snapshot taken just after subscribing: every
	// event above it must be received or accounted for.
	after   uint64
	started bool
	last    uint64 // newest Seq received or accounted for

	Events    uint64 // events received, notices excluded
	Notices   uint64 // EventsDropped notices received
	Dropped   uint64 // events accounted for by notices
	Gaps      uint64 // events missing without a notice
	Anomalies uint64 // duplicates, reordering, over-counted notices
}

// New returns a tracker for a subscription made just before a snapshot
// with Seq after was taken.
func New(after uint64) Tracker { return Tracker{after: after} }

// Observe accounts for one event received from the subscription.
func (t *Tracker) Observe(e supervisor.Event) {
	notice := e.Kind == supervisor.EventsDropped
	if !t.started {
		// The subscription began at some Seq not above after: events up
		// to after may or may not come, those above it must.
		first := e.Seq
		if notice {
			first = e.Seq - min(e.Count, e.Seq) + 1
		}
		t.last = min(t.after, first-1)
		t.started = true
	}
	if notice {
		t.Notices++
		t.Dropped += e.Count
		switch {
		case e.Seq < t.last+e.Count:
			// The notice claims events that were received, or the range
			// it claims starts before the last event received.
			t.Anomalies++
		case e.Seq > t.last+e.Count:
			t.Gaps += e.Seq - t.last - e.Count
		}
		t.last = max(t.last, e.Seq)
		return
	}
	t.Events++
	switch {
	case e.Seq <= t.last:
		t.Anomalies++
		return
	case e.Seq > t.last+1:
		t.Gaps += e.Seq - t.last - 1
	}
	t.last = e.Seq
}

// Finish accounts for the end of the stream: once a tree has ended, a
// subscription delivers every event up to the tree's last, final.
func (t *Tracker) Finish(final uint64) {
	if !t.started {
		t.last = t.after
		t.started = true
	}
	switch {
	case final > t.last:
		t.Gaps += final - t.last
	case final < t.last:
		t.Anomalies++
	}
	t.last = final
}

// Last returns the newest Seq received or accounted for.
func (t *Tracker) Last() uint64 { return t.last }
