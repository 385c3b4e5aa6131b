package supervisor

import (
	"context"
	"iter"
	"strconv"
	"strings"
	"time"
)

// EventKind says what an Event reports. Every change of a child's state is
// one event, as are the decisions taken about it and every control command.
type EventKind uint8

// Event kinds. The fields an event sets besides Seq, Time, Kind, Path and
// Correlation are listed for each.
const (
	_ EventKind = iota
	// EventTreeStarted: the root finished its ordered start.
	EventTreeStarted
	// EventChildAdded: AddChild added the child (Generation 0).
	EventChildAdded
	// EventChildStarting: a new attempt is being started (Generation,
	// Attempt, State starting or running).
	EventChildStarting
	// EventChildRunning: the attempt runs and needs no readiness signal.
	EventChildRunning
	// EventChildReady: the attempt called Ready.
	EventChildReady
	// EventChildStopping: the supervisor cancelled the attempt; Delay is the
	// stop budget (Infinity for none) and Reason why it stops.
	EventChildStopping
	// EventChildExited: the attempt returned (Exit, Err).
	EventChildExited
	// EventChildBackoff: a restart is scheduled after Delay: by the child's
	// backoff (Rule "backoff"), or later for a restart budget token (Rule
	// "budget"; a quarantined child's probation attempt held back by the
	// budget reports this too, in StateQuarantined).
	EventChildBackoff
	// EventChildRestarting: a restart is performed now (Reason names the
	// child whose failure caused it, for group restarts).
	EventChildRestarting
	// EventChildQueued: a restart is due but waits: MaxRestarting restarts
	// are in progress and it is queued (Rule "throttle", Count its place),
	// or it is a sidecar whose primary is not running and it restarts when
	// the primary runs (Rule "sidecar").
	EventChildQueued
	// EventChildRestarted: the restarted attempt is running or ready.
	EventChildRestarted
	// EventChildPaused: the child is stopped and will not restart until resumed.
	EventChildPaused
	// EventChildResumed: a paused or quarantined child is allowed to run
	// again: by an operator, or (Rule "quarantine") because its probation
	// attempt passed.
	EventChildResumed
	// EventChildQuarantined: the child is taken out of service: by
	// QuarantineChild, by an error rule (Rule, Reason) or by its restart
	// limit (Rule "quarantine", Reason with the count and the next
	// probation).
	EventChildQuarantined
	// EventChildRemoved: the child's spec was deleted.
	EventChildRemoved
	// EventChildReset: ResetChild cleared the child's failure counters.
	EventChildReset
	// EventChildUnhealthy: the running child went stale (see Liveness):
	// Rule "liveness", Reason with what it failed to report, Delay how long
	// it has been quiet, Count its Progress counter.
	EventChildUnhealthy
	// EventChildHealthy: a child marked unhealthy reported again (Delay is
	// how long it was unhealthy).
	EventChildHealthy
	// EventChildAbandoned: the attempt overran its stop budget; it is fenced
	// off and its goroutines (Goroutines, with stacks) are left running.
	EventChildAbandoned
	// EventAbandonedExited: an abandoned attempt returned after all (Exit, Err).
	EventAbandonedExited
	// EventHookPanicked: an OnAbort hook of the attempt panicked (Err is the
	// *PanicError).
	EventHookPanicked
	// EventIntensityExceeded: a restart was refused by the supervisor's
	// Intensity (Path is the supervisor, Reason the child, Err the
	// *IntensityError).
	EventIntensityExceeded
	// EventGroupQuarantined: a group exceeded its intensity; its members
	// are stopped and quarantined (Path is the supervisor, Rule
	// "group_intensity", Reason names the group, Err the *IntensityError).
	EventGroupQuarantined
	// EventEscalated: a supervisor gave up and ended with Err, which its
	// parent handles as an abnormal exit of a child.
	EventEscalated
	// EventShutdownRequested: a supervisor began to shut down, and entered
	// the first of the four stages of a shutdown, request stop (Reason,
	// Audit when an operator asked).
	EventShutdownRequested
	// EventShutdownDraining: the shutdown entered its second stage,
	// graceful drain: children are stopped one at a time, last first.
	EventShutdownDraining
	// EventShutdownAborting: the shutdown entered its third stage, abort
	// stragglers: what abandoned children left running is captured.
	EventShutdownAborting
	// EventShutdownReconciling: the shutdown entered its fourth stage,
	// reconcile: the report gets one outcome per child.
	EventShutdownReconciling
	// EventShutdownCompleted: the shutdown ended (Delay is its duration;
	// for the root, Count is the goroutines left).
	EventShutdownCompleted
	// EventCommandAccepted: a control command reached its supervisor
	// (Command, Audit; Correlation is the command's id).
	EventCommandAccepted
	// EventCommandCompleted: a control command finished (Err is nil on
	// success). A command refused before it reached a supervisor (a bad
	// path, an unknown child) gets only this event, with the error.
	EventCommandCompleted
	// EventSpecUpdated: Tree.Apply changed a child's policies in place
	// (Path the child) or a supervisor's settings (Path the supervisor);
	// Reason lists the fields, Audit and Correlation are the update
	// command's.
	EventSpecUpdated
	// EventsDropped is delivered only to a Subscription that fell behind:
	// Count events before this point were dropped from its queue. It is
	// not one of the tree's events: its Seq is that of the newest event
	// dropped, so the next event's Seq follows it.
	EventsDropped
)

var eventNames = []string{"invalid", "tree_started", "child_added", "child_starting", "child_running",
	"child_ready", "child_stopping", "child_exited", "child_backoff", "child_restarting", "child_queued", "child_restarted",
	"child_paused", "child_resumed", "child_quarantined", "child_removed", "child_reset", "child_unhealthy", "child_healthy", "child_abandoned",
	"abandoned_exited", "hook_panicked", "intensity_exceeded", "group_quarantined", "escalated", "shutdown_requested", "shutdown_draining",
	"shutdown_aborting", "shutdown_reconciling", "shutdown_completed", "command_accepted", "command_completed", "spec_updated", "events_dropped"}

func (k EventKind) String() string { return enumString(eventNames, k) }

// MarshalText implements encoding.TextMarshaler.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *EventKind) UnmarshalText(b []byte) error {
	return enumParse(eventNames, b, k, "event kind", 1)
}

// Event is one transition or decision in a tree. Events are values: the
// supervisor keeps them in a ring without allocating, which is why one struct
// carries every kind's fields. EventKind's documentation says which each
// kind sets; a field that does not apply to an event's kind is left out of
// its text, its log record and its JSON, rather than shown as a zero.
type Event struct {
	// Seq numbers the tree's events from 1 without gaps.
	Seq uint64
	// Time is when the supervisor made the transition.
	Time time.Time
	Kind EventKind
	// Path is the child (or, for supervisor-level events, the supervisor).
	Path string
	// Generation and Attempt identify the child's attempt (see RunInfo):
	// set for a child's events, and for a nested supervisor's own events.
	Generation uint64
	Attempt    int
	// State is the child's state after the event. An operator's or a
	// rule's decision about a child (child_resumed, child_reset) is
	// published before the transitions it causes, each of which has its own
	// event: child_resumed of a paused child carries StatePaused, and the
	// child_starting that follows carries StateStarting.
	State State
	// Correlation links the events of one incident (a failure, the decision
	// taken and the restart it leads to) or of one command; 0 for none.
	Correlation uint64

	Exit ExitClass
	// Err is the error the event reports, if any. An Event decoded from
	// JSON has an error with the text only.
	Err     error
	Delay   time.Duration
	Command string
	Audit   Audit
	Count   uint64
	// Rule names what decided, for decisions: an error rule ("rules[0]"),
	// or a stage of the pipeline ("restart_type", "quarantine", "budget"...);
	// Reason says why, with the counters at that moment.
	Rule       string
	Reason     string
	Goroutines []GoroutineStack
}

// eventFields is a set of the fields whose zero value means something, so
// that an event carries them only when its kind uses them. The fields whose
// zero value means "none" (Correlation, Err, Audit, Rule, Reason,
// Goroutines) are carried whenever they are set.
type eventFields uint8

const (
	withAttempt eventFields = 1 << iota // Generation, Attempt and State
	withExit                            // Exit
	withDelay                           // Delay
	withCount                           // Count
	withCommand                         // Command
)

// kindFields are the fields each kind uses.
var kindFields = [...]eventFields{
	EventChildAdded:        withAttempt,
	EventChildStarting:     withAttempt,
	EventChildRunning:      withAttempt,
	EventChildReady:        withAttempt,
	EventChildStopping:     withAttempt | withDelay,
	EventChildExited:       withAttempt | withExit,
	EventChildBackoff:      withAttempt | withDelay,
	EventChildRestarting:   withAttempt,
	EventChildQueued:       withAttempt | withCount,
	EventChildRestarted:    withAttempt,
	EventChildPaused:       withAttempt,
	EventChildResumed:      withAttempt,
	EventChildQuarantined:  withAttempt,
	EventChildRemoved:      withAttempt,
	EventChildReset:        withAttempt,
	EventChildUnhealthy:    withAttempt | withDelay,
	EventChildHealthy:      withAttempt | withDelay,
	EventChildAbandoned:    withAttempt | withExit | withCount,
	EventAbandonedExited:   withAttempt | withExit,
	EventHookPanicked:      withAttempt,
	EventShutdownCompleted: withDelay | withCount,
	EventCommandAccepted:   withCommand,
	EventCommandCompleted:  withCommand,
	EventsDropped:          withCount,
}

// fields returns the fields e carries besides Seq, Time, Kind and Path and
// those carried whenever set.
func (e *Event) fields() eventFields {
	var f eventFields
	if int(e.Kind) < len(kindFields) {
		f = kindFields[e.Kind]
	}
	if e.Generation > 0 {
		f |= withAttempt // a nested supervisor's own event, or spec_updated of a child
	}
	switch {
	case e.Kind == EventShutdownCompleted && e.Path != "/":
		f &^= withCount // only the root counts the goroutines left
	case e.Kind == EventChildQueued && e.Rule == "sidecar":
		f &^= withCount // no queue: it waits for its primary
	case e.Kind == EventChildUnhealthy && e.Count > 0:
		f |= withCount // a Progress counter, for a child that reports progress
	}
	return f
}

// String formats the event on one line, with the fields it carries.
func (e Event) String() string {
	var b strings.Builder
	b.WriteString("#")
	b.WriteString(strconv.FormatUint(e.Seq, 10))
	b.WriteByte(' ')
	b.WriteString(e.Kind.String())
	b.WriteByte(' ')
	b.WriteString(e.Path)
	for _, a := range e.attrs() {
		switch a.Key {
		case "seq", "path":
			continue
		case "error", "reason":
			b.WriteString(" " + a.Key + "=" + strconv.Quote(a.Value.String()))
		case "audit":
			b.WriteString(" who=" + strconv.Quote(e.Audit.Who) + " why=" + strconv.Quote(e.Audit.Why))
		case "goroutines":
			b.WriteString(" goroutines=" + strconv.Itoa(stackCount(e.Goroutines)))
		default:
			b.WriteString(" " + a.Key + "=" + a.Value.String())
		}
	}
	return b.String()
}

// ring is a fixed-size queue of events that overwrites its oldest entry.
type ring struct {
	buf  []Event
	head int // index of the oldest event
	n    int
	max  int // if more than len(buf), what buf may grow to
}

// push appends e, dropping the oldest event if the ring is full. It reports
// whether an event was dropped.
func (r *ring) push(e *Event) (dropped bool) {
	if r.n == len(r.buf) && len(r.buf) < r.max {
		r.grow()
	}
	if len(r.buf) == 0 {
		return true
	}
	if r.n == len(r.buf) {
		r.buf[r.head] = *e
		r.head = (r.head + 1) % len(r.buf)
		return true
	}
	i := r.head + r.n
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	r.buf[i] = *e
	r.n++
	return false
}

// grow doubles the ring's buffer, up to max: a subscription's queue
// grows as its events wait, so that an idle subscriber costs little.
func (r *ring) grow() {
	nb := make([]Event, min(max(2*len(r.buf), 16), r.max))
	for i := range r.n {
		nb[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	r.buf, r.head = nb, 0
}

// pop removes and returns the oldest event.
func (r *ring) pop() Event {
	e := r.buf[r.head]
	r.buf[r.head] = Event{}
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return e
}

// all yields the events in place, oldest first.
func (r *ring) all() iter.Seq[*Event] {
	return func(yield func(*Event) bool) {
		for i := range r.n {
			if !yield(&r.buf[(r.head+i)%len(r.buf)]) {
				return
			}
		}
	}
}

// slice copies the events, oldest first.
func (r *ring) slice() []Event {
	out := make([]Event, r.n)
	for i := range r.n {
		out[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	return out
}

// Journal is a copy of a tree's recent events.
type Journal struct {
	// Events are the most recent events, oldest first, in Seq order.
	Events []Event `json:"events"`
	// Dropped counts the older events that no longer fit in the journal.
	Dropped uint64 `json:"dropped"`
}

// Subscription delivers a tree's events to one consumer through a bounded
// queue. The supervisor never waits for a subscriber: when the queue is full
// the oldest queued event is dropped, and the consumer is told how many it
// missed by an EventsDropped event in their place.
//
// To follow a tree from a consistent starting point, Subscribe first, then
// take a Snapshot, and skip events whose Seq is not above the snapshot's Seq.
type Subscription struct {
	t        *Tree
	q        ring
	missed   uint64 // dropped since the last EventsDropped was delivered
	lastMiss uint64 // Seq of the newest dropped event
	total    uint64
	// held is the event that follows an EventsDropped just returned: it is
	// taken out of the queue with the notice, so that a consumer slower
	// than the tree still gets an event after each notice, not notices
	// only.
	held    Event
	hasHeld bool
	notify  chan struct{}
	closed  bool
}

// Subscribe returns a subscription to the tree's events from now on, with a
// queue of size events (256 if size <= 0). Close it when
// done.
func (t *Tree) Subscribe(size int) *Subscription {
	return t.subscribe(size, nil)
}

// SubscribeFrom returns a subscription to the tree's events after the one
// numbered seq: first those the journal still holds, then new ones, as
// Subscribe's. SubscribeFrom(0, size) follows the tree from its start, so
// that the events of its first start are not missed; a client that
// reconnects passes the last Seq it saw. Events after seq that the journal
// no longer holds, or that do not fit in the queue, are counted by an
// EventsDropped event in their place. A subscription to a tree that has
// ended returns the events replayed, then ErrClosed.
func (t *Tree) SubscribeFrom(seq uint64, size int) *Subscription {
	return t.subscribe(size, &seq)
}

// subscribe returns a subscription; if after is not nil, its queue starts
// with the journal's events after *after.
func (t *Tree) subscribe(size int, after *uint64) *Subscription {
	if size <= 0 {
		size = defaultSubscriberBuffer
	}
	s := &Subscription{t: t, q: ring{max: size}, notify: make(chan struct{}, 1)}
	t.mu.Lock()
	if after != nil {
		s.replay(&t.journal, *after, t.seq)
	}
	if t.ended {
		s.closed = true
	} else {
		t.subs = append(t.subs, s)
	}
	t.mu.Unlock()
	return s
}

// replay queues the events of journal j after the one numbered after;
// newest is the tree's newest event. Those the journal no longer holds are
// counted as missed, before any the queue drops. The tree lock is held.
func (s *Subscription) replay(j *ring, after, newest uint64) {
	oldest := newest + 1 // the journal's oldest event, if it holds any
	if j.n > 0 {
		oldest = j.buf[j.head].Seq
	}
	if after+1 < oldest && after < newest {
		gone := min(oldest, newest+1) - after - 1
		s.missed, s.total, s.lastMiss = gone, gone, after+gone
	}
	for i := range j.n {
		if e := &j.buf[(j.head+i)%len(j.buf)]; e.Seq > after {
			s.consume(e)
		}
	}
}

// Next returns the next event, waiting for one until ctx is done. It returns
// ErrClosed after Close, and once the tree has ended and every event queued
// before the end has been returned.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	var e [1]Event
	_, err := s.Read(ctx, e[:])
	return e[0], err
}

// Read fills events with the next events, waiting for at least one until
// ctx is done, and returns how many it filled: what is queued, up to
// len(events), taken at once, which costs the tree one hold of its lock
// rather than one for each event. It returns ErrClosed as Next does.
func (s *Subscription) Read(ctx context.Context, events []Event) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	for {
		s.t.mu.Lock()
		n := 0
		for n < len(events) && s.takeLocked(&events[n]) {
			n++
		}
		closed := s.closed
		s.t.mu.Unlock()
		switch {
		case n > 0:
			return n, nil
		case closed:
			return 0, ErrClosed
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// takeLocked sets *e to the next event, if one is queued: the event held
// behind a drop notice, a notice of the events dropped, or the oldest
// queued. The tree lock is held.
func (s *Subscription) takeLocked(e *Event) bool {
	switch {
	case s.hasHeld:
		*e = s.held
		s.held, s.hasHeld = Event{}, false
	case s.missed > 0:
		*e = Event{Seq: s.lastMiss, Time: s.t.now(), Kind: EventsDropped, Path: "/", Count: s.missed}
		s.missed = 0
		if s.q.n > 0 {
			s.held, s.hasHeld = s.q.pop(), true
		}
	case s.q.n > 0:
		*e = s.q.pop()
	default:
		return false
	}
	return true
}

// Dropped returns how many events this subscription has dropped in all.
func (s *Subscription) Dropped() uint64 {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	return s.total
}

// Close ends the subscription; a pending Next returns ErrClosed.
func (s *Subscription) Close() {
	s.t.mu.Lock()
	s.closeLocked()
	s.t.mu.Unlock()
}

func (s *Subscription) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	subs := s.t.subs
	for i, x := range subs {
		if x == s {
			subs[i] = subs[len(subs)-1]
			subs[len(subs)-1] = nil
			s.t.subs = subs[:len(subs)-1]
			break
		}
	}
	s.wake()
}

func (s *Subscription) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// consume queues e; the tree lock is held.
func (s *Subscription) consume(e *Event) {
	empty := s.q.n == 0 && s.missed == 0 && !s.hasHeld
	if s.q.push(e) {
		s.missed++
		s.total++
		// The dropped event was the oldest queued one. A subscription
		// receives every event, so the queue holds consecutive sequence
		// numbers and the dropped one precedes the new oldest.
		s.lastMiss = s.q.buf[s.q.head].Seq - 1
	}
	// A reader waits only after finding nothing to take: the event that
	// ends that is the one to wake it for; the next ones would only cost
	// a channel operation each.
	if empty {
		s.wake()
	}
}

// end closes the subscription at the tree's end: Next returns what is
// queued, then ErrClosed.
func (s *Subscription) end() {
	s.closed = true
	s.wake()
}

// publish stamps e with the next sequence number, keeps it in the journal
// and hands it to the consumers of the event stream: the summarizer, which
// keeps an incident's RunSummary, then the subscriptions, which queue it
// for their readers. A consumer runs under the tree lock, in the loop that
// published the event, so it is quick and never waits; what takes time (a
// log handler, a metrics exporter) reads from a Subscription. The
// consumers are called by their concrete types: behind an interface, e
// would escape to the heap, one allocation per event.
func (t *Tree) publish(e *Event) {
	t.seq++
	e.Seq = t.seq
	if t.journal.push(e) {
		t.journalDropped++
	}
	t.summaries.consume(e)
	for _, s := range t.subs {
		s.consume(e)
	}
}

// Journal returns a copy of the tree's recent events.
func (t *Tree) Journal() Journal {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Journal{Events: t.journal.slice(), Dropped: t.journalDropped}
}
