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
}

// logEvents writes one log record per event to l until the tree ends,
// except for the repeats of a child that keeps failing (see logLoudAfter).
// It reads from its own subscription, so a slow handler never slows the
// supervisors down; if it falls behind, the gap is logged as a warning.
func (t *Tree) logEvents(l *slog.Logger, s *Subscription) {
	defer t.logs.Done()
	ctx := context.Background()
	streaks := make(map[string]*streak) // one per child failing now: bounded by the children
	for {
		e, err := s.Next(ctx)
		if err != nil {
			return
		}
		level, attrs, ok := logStreak(streaks, &e)
		if !ok || !l.Enabled(ctx, level) {
			continue
		}
		l.LogAttrs(ctx, level, e.Kind.String(), append(e.attrs(), attrs...)...)
		if s, ok := t.summaryAt(e.Seq); ok {
			l.LogAttrs(ctx, level, "run_summary", s.attrs()...)
		}
	}
}

// logStreak decides how e is logged given the children's failure streaks:
// its level, attributes to add, and whether to log it at all.
func logStreak(streaks map[string]*streak, e *Event) (slog.Level, []slog.Attr, bool) {
	level := e.Level()
	st := streaks[e.Path]
	switch {
	case e.Kind == EventChildExited && e.Exit.Abnormal():
		if st == nil || e.Time.Sub(st.lastFail) > logCalmAfter {
			st = &streak{}
			streaks[e.Path] = st
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
		delete(streaks, e.Path) // the streak is over; this record is logged
		return level, nil, true
	case e.Kind == EventsDropped:
		// The events that ended some streaks may be among those dropped
		// (a removed temporary child's, say): forget the streaks that are
		// over anyway, so that the map stays bounded by the children
		// failing now.
		for path, st := range streaks {
			if e.Time.Sub(st.lastFail) > logCalmAfter {
				delete(streaks, path)
			}
		}
		return level, nil, true
	}
	if st == nil || st.failures <= logLoudAfter {
		return level, nil, true
	}
	switch e.Kind {
	case EventChildExited, EventChildBackoff, EventChildRestarting, EventChildStarting, EventChildRunning,
		EventChildRestarted:
	default:
		return level, nil, true
	}
	if e.Time.Sub(st.lastLogged) < logRepeatEvery {
		st.suppressed++
		return level, nil, false
	}
	st.lastLogged = e.Time
	attrs := []slog.Attr{slog.Int("consecutive_failures", st.failures)}
	if st.suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", st.suppressed))
		st.suppressed = 0
	}
	return level, attrs, true
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
