package supervisor

import (
	"context"
	"log/slog"
)

// logEvents writes one log record per event to l until the tree ends. It
// reads from its own subscription, so a slow handler never slows the
// supervisors down; if it falls behind, the gap is logged as a warning.
func (t *Tree) logEvents(l *slog.Logger, s *Subscription) {
	defer t.logs.Done()
	ctx := context.Background()
	for {
		e, err := s.Next(ctx)
		if err != nil {
			return
		}
		level := e.Level()
		if !l.Enabled(ctx, level) {
			continue
		}
		l.LogAttrs(ctx, level, e.Kind.String(), e.Attrs()...)
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
	case EventChildStarting, EventChildRunning, EventChildReady, EventShutdownPhase, EventCommandAccepted:
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// Attrs returns the event's fields as log attributes, leaving out those that
// are unset.
func (e Event) Attrs() []slog.Attr {
	a := make([]slog.Attr, 0, 10)
	a = append(a, slog.Uint64("seq", e.Seq), slog.String("path", e.Path))
	if e.Generation > 0 {
		a = append(a, slog.Uint64("generation", e.Generation), slog.Int("attempt", e.Attempt))
	}
	if e.Correlation != 0 {
		a = append(a, slog.Uint64("correlation", e.Correlation))
	}
	if e.Kind > EventTreeStarted && e.Kind < EventIntensityExceeded { // a child's event
		a = append(a, slog.String("state", e.State.String()))
	}
	if e.Exit != ExitNone {
		a = append(a, slog.String("exit", e.Exit.String()))
	}
	if e.Err != nil {
		a = append(a, slog.String("error", errorText(e.Err)))
	}
	if e.Delay != 0 {
		a = append(a, slog.String("delay", durationString(e.Delay)))
	}
	if e.Phase != PhaseNone {
		a = append(a, slog.String("phase", e.Phase.String()))
	}
	if e.Command != "" {
		a = append(a, slog.String("command", e.Command))
	}
	if e.Audit != (Audit{}) {
		a = append(a, slog.String("who", e.Audit.Who), slog.String("why", e.Audit.Why))
	}
	if e.Count != 0 {
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
