package supervisor

import (
	"context"
	"log/slog"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Logging a child that keeps failing: its logLoudAfter-th consecutive
// failure is logged as an error, then its restart events (exited, backoff,
// restarting, starting, running, restarted) are logged at most once per
// logRepeatEvery, each record saying how many were suppressed since the
// last one. Its streak ends when it exits normally or is stopped, paused,
// quarantined or removed, or when it fails again after logCalmAfter
// without a failure.
const (
	logLoudAfter   = 3
	logRepeatEvery = 10 * time.Second
	logCalmAfter   = time.Minute
)

// streak is a child that keeps failing, as the logger sees it.
type streak struct {
	failures   int
	lastFail   time.Time
	lastLogged time.Time
	suppressed int
	held       *Event // its last exit, if that was suppressed (see logLimiter.release)
}

// logLimiter decides which events the logger logs: it keeps a streak for
// each child failing now (bounded by the children), and indexes by
// correlation id the streaks whose last exit it suppressed.
type logLimiter struct {
	streaks map[string]*streak
	held    map[uint64]*streak
}

func newLogLimiter() *logLimiter {
	return &logLimiter{streaks: make(map[string]*streak), held: make(map[uint64]*streak)}
}

// logEvents writes one log record per event to l until the tree ends,
// except for the repeats of a child that keeps failing (see logLoudAfter).
// It reads from its own subscription, so a slow handler never slows the
// supervisors down; if it falls behind, the gap is logged as a warning.
func (t *Tree) logEvents(l *slog.Logger, s *Subscription) {
	defer t.logs.Done()
	ctx := context.Background()
	z := newLogLimiter()
	for {
		e, err := s.Next(ctx)
		if err != nil {
			return
		}
		if h, attrs, ok := z.release(&e); ok && l.Enabled(ctx, h.Level()) {
			l.LogAttrs(ctx, h.Level(), h.Kind.String(), append(h.attrs(), attrs...)...)
		}
		level, attrs, ok := z.admit(&e)
		if !ok || !l.Enabled(ctx, level) {
			continue
		}
		l.LogAttrs(ctx, level, e.Kind.String(), append(e.attrs(), attrs...)...)
		if s, ok := t.summaryAt(e.Seq); ok {
			l.LogAttrs(ctx, level, "run_summary", s.attrs()...)
		}
	}
}

// restartStep reports whether events of kind are the routine steps of a
// restart, which a child that keeps failing has logged at most once per
// logRepeatEvery.
func restartStep(kind EventKind) bool {
	switch kind {
	case EventChildExited, EventChildBackoff, EventChildRestarting, EventChildStarting, EventChildRunning,
		EventChildReady, EventChildRestarted:
		return true
	}
	return false
}

// release returns the exit suppressed earlier in e's incident, with its
// attributes, to be logged just before e, if e takes the incident anywhere
// but a routine restart step: an intensity exceeded, an escalation, a
// quarantine, a shutdown. The event that ends an incident, or the tree, is
// never logged without the exit that led to it.
func (z *logLimiter) release(e *Event) (*Event, []slog.Attr, bool) {
	st := z.held[e.Correlation]
	if st == nil || e.Correlation == 0 || restartStep(e.Kind) {
		return nil, nil, false
	}
	h := st.held
	z.unhold(st)
	st.suppressed-- // it is logged after all
	st.lastLogged = h.Time
	return h, st.repeatAttrs(), true
}

// admit decides how e is logged given the children's failure streaks: its
// level, attributes to add, and whether to log it at all.
func (z *logLimiter) admit(e *Event) (slog.Level, []slog.Attr, bool) {
	level := e.Level()
	st := z.streaks[e.Path]
	switch {
	case e.Kind == EventChildExited && e.Exit.Abnormal():
		if st == nil || e.Time.Sub(st.lastFail) > logCalmAfter {
			z.forget(e.Path)
			st = &streak{}
			z.streaks[e.Path] = st
		}
		st.failures++
		st.lastFail = e.Time
		if st.failures == logLoudAfter {
			st.lastLogged = e.Time
			return slog.LevelError, []slog.Attr{slog.Int("consecutive_failures", st.failures),
				slog.String("note", "keeps failing: its restarts are logged once per "+textfmt.Duration(logRepeatEvery)+" from now on")}, true
		}
	case e.Kind == EventChildExited, e.Kind == EventChildPaused, e.Kind == EventChildQuarantined,
		e.Kind == EventChildRemoved:
		z.forget(e.Path) // the streak is over; this record is logged
		return level, nil, true
	case e.Kind == EventsDropped:
		// The events that ended some streaks may be among those dropped
		// (a removed temporary child's, say): forget the streaks that are
		// over anyway, so that the map stays bounded by the children
		// failing now.
		for path, st := range z.streaks {
			if e.Time.Sub(st.lastFail) > logCalmAfter {
				z.forget(path)
			}
		}
		return level, nil, true
	}
	if st == nil || st.failures <= logLoudAfter || !restartStep(e.Kind) {
		return level, nil, true
	}
	attrs, ok := z.repeat(st, e)
	return level, attrs, ok
}

// repeat decides whether e, a restart step of a child that keeps failing,
// is logged: once per logRepeatEvery, with the count of what was
// suppressed since. A suppressed exit is held, in case its incident goes
// on (see release).
func (z *logLimiter) repeat(st *streak, e *Event) ([]slog.Attr, bool) {
	if e.Time.Sub(st.lastLogged) < logRepeatEvery {
		st.suppressed++
		if e.Kind == EventChildExited {
			z.hold(st, e)
		}
		return nil, false
	}
	st.lastLogged = e.Time
	return st.repeatAttrs(), true
}

// repeatAttrs are the attributes of a repeat that is logged: the failures
// so far, and what was suppressed since the last one, which it resets.
func (st *streak) repeatAttrs() []slog.Attr {
	attrs := []slog.Attr{slog.Int("consecutive_failures", st.failures)}
	if st.suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", st.suppressed))
		st.suppressed = 0
	}
	return attrs
}

// hold keeps e, a suppressed exit, as st's last.
func (z *logLimiter) hold(st *streak, e *Event) {
	z.unhold(st)
	h := *e
	st.held = &h
	if h.Correlation != 0 {
		z.held[h.Correlation] = st
	}
}

// unhold drops st's suppressed exit, if it holds one.
func (z *logLimiter) unhold(st *streak) {
	if st.held != nil {
		delete(z.held, st.held.Correlation)
		st.held = nil
	}
}

// forget ends the streak of the child at path, if it has one.
func (z *logLimiter) forget(path string) {
	if st := z.streaks[path]; st != nil {
		z.unhold(st)
		delete(z.streaks, path)
	}
}

// Level returns the log level an event deserves: Error for a supervisor
// giving up or a child abandoned, Warn for failures, a child or group
// taken out of service by a rule or a limit, an unhealthy child and
// dropped events, Info for other changes (an operator's quarantine
// included) and Debug for routine start steps.
func (e Event) Level() slog.Level {
	switch e.Kind {
	case EventIntensityExceeded, EventEscalated, EventChildAbandoned, EventHookPanicked:
		return slog.LevelError
	case EventsDropped, EventGroupQuarantined, EventChildUnhealthy:
		return slog.LevelWarn
	case EventChildQuarantined:
		if e.Rule != "" { // not an operator's command
			return slog.LevelWarn
		}
		return slog.LevelInfo
	case EventChildExited, EventAbandonedExited:
		if e.Exit.Abnormal() {
			return slog.LevelWarn
		}
		return slog.LevelInfo
	case EventChildStarting, EventChildRunning, EventChildReady, EventShutdownDraining, EventShutdownAborting,
		EventShutdownReconciling, EventCommandAccepted:
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// attrs returns the event's fields as log attributes, in the order and
// with the keys of its JSON: the fields its kind uses, and the others when
// they are set. The kind is the record's message, the time its time.
func (e Event) attrs() []slog.Attr {
	f := e.fields()
	a := make([]slog.Attr, 0, 10)
	a = append(a, slog.Uint64("seq", e.Seq), slog.String("path", e.Path))
	if f&withAttempt != 0 {
		a = append(a, slog.Uint64("generation", e.Generation), slog.Int("attempt", e.Attempt),
			slog.String("state", e.State.String()))
	}
	if e.Correlation != 0 {
		a = append(a, slog.Uint64("correlation", e.Correlation))
	}
	if f&withExit != 0 {
		a = append(a, slog.String("exit", e.Exit.String()))
	}
	if e.Err != nil {
		a = append(a, slog.String("error", textfmt.Error(e.Err)))
	}
	if f&withDelay != 0 {
		a = append(a, slog.String("delay", textfmt.Duration(e.Delay)))
	}
	if f&withCommand != 0 {
		a = append(a, slog.String("command", e.Command))
	}
	if e.Audit != (Audit{}) {
		a = append(a, slog.Group("audit", slog.String("who", e.Audit.Who), slog.String("why", e.Audit.Why)))
	}
	if f&withCount != 0 {
		a = append(a, slog.Uint64("count", e.Count))
	}
	if e.Rule != "" {
		a = append(a, slog.String("rule", e.Rule))
	}
	if e.Reason != "" {
		a = append(a, slog.String("reason", e.Reason))
	}
	if len(e.Goroutines) > 0 {
		a = append(a, slog.Any("goroutines", e.Goroutines))
	}
	return a
}
