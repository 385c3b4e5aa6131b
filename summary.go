package supervisor

import (
	"errors"
	"iter"
	"log/slog"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// maxSummaries is how many RunSummaries a tree keeps, the most recent.
const maxSummaries = 16

// RunSummary is a post-mortem of an incident that made a supervisor give
// up or left goroutines behind: built when a supervisor exceeds its
// intensity (EventIntensityExceeded), escalates (EventEscalated), or
// abandons a child (EventChildAbandoned). It gathers the incident's events
// from the journal, by correlation id, so that an operator can read what
// led to it after the fact (Tree.Summaries), and the tree's Logger logs it.
// The incident of an exceeded intensity includes the failures that
// exceeded it: those of the supervisor's children within its intensity
// period, each with its correlation id, and what followed them (their
// restarts).
type RunSummary struct {
	Time time.Time `json:"time"`
	// Trigger is the event that made the summary; Path its supervisor
	// (or, for an abandonment, the child).
	Trigger EventKind `json:"trigger"`
	Path    string    `json:"path"`
	Seq     uint64    `json:"seq"`
	// Correlation is the incident's id (the trigger's); Events are its
	// events still in the journal, in order, the trigger included (none if
	// the journal is off: Spec.JournalSize -1).
	Correlation uint64  `json:"correlation,omitempty"`
	Events      []Event `json:"events"`
	// The decision and the rule that fired, and the error it ended with.
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	Err    error  `json:"-"` // in JSON, its text under "error"
	// Counters over the incident's events.
	Failures int `json:"failures"` // abnormal exits
	Restarts int `json:"restarts"` // restarts performed
	Stopped  int `json:"stopped"`  // children stopped
	// Abandoned lists what an abandoned child left running.
	Abandoned []GoroutineStack `json:"abandoned,omitempty"`
}

// summarizer is the consumer of the event stream that makes RunSummaries:
// it keeps the most recent, at most maxSummaries, and reads the journal
// for an incident's events (none without one).
type summarizer struct {
	journal *ring
	list    []RunSummary
}

// consume records a RunSummary for e if it is a trigger.
func (z *summarizer) consume(e *Event) {
	switch e.Kind {
	case EventIntensityExceeded, EventEscalated, EventChildAbandoned:
	default:
		return
	}
	s := RunSummary{Time: e.Time, Trigger: e.Kind, Path: e.Path, Seq: e.Seq, Correlation: e.Correlation,
		Rule: e.Rule, Reason: e.Reason, Err: e.Err, Abandoned: e.Goroutines}
	if n := len(z.list); n > 0 && s.Correlation != 0 && z.list[n-1].Correlation == s.Correlation {
		// One incident, one summary: a supervisor escalating after its
		// intensity was exceeded, its stragglers abandoned. The summary
		// keeps the first decision and gains the later events.
		first := &z.list[n-1]
		first.Abandoned = append(first.Abandoned, s.Abandoned...)
		if first.Err == nil {
			first.Err = s.Err
		}
		first.gather(z.journal)
		return
	}
	s.gather(z.journal)
	if len(z.list) == maxSummaries {
		copy(z.list, z.list[1:])
		z.list = z.list[:maxSummaries-1]
	}
	z.list = append(z.list, s)
}

// gather collects the events of s's incidents from journal (see
// incidents), and counts them. Only those are copied: an incident that
// abandons many children makes a summary for each.
func (s *RunSummary) gather(journal *ring) {
	if s.Correlation == 0 || journal == nil {
		return
	}
	ids := s.incidents(journal.all())
	s.Events, s.Failures, s.Restarts, s.Stopped = nil, 0, 0, 0
	for ev := range journal.all() {
		if !ids[ev.Correlation] {
			continue
		}
		s.Events = append(s.Events, *ev)
		switch {
		case ev.Kind == EventChildExited && ev.Exit.Abnormal():
			s.Failures++
		case ev.Kind == EventChildRestarting:
			s.Restarts++
		case ev.Kind == EventChildStopping:
			s.Stopped++
		}
	}
}

// incidents returns the correlation ids whose events s summarises: its
// own; and for an intensity_exceeded, those of the failures of the
// supervisor's children within its intensity period before it, each an
// incident of its own: the failures, and the restarts, that exceeded it.
func (s *RunSummary) incidents(journal iter.Seq[*Event]) map[uint64]bool {
	ids := map[uint64]bool{s.Correlation: true}
	var ie *IntensityError
	if s.Trigger != EventIntensityExceeded || !errors.As(s.Err, &ie) {
		return ids
	}
	var from time.Time // an infinite period: every failure in the journal
	if p := ie.Intensity.Period; p < Infinity {
		from = s.Time.Add(-p)
	}
	for ev := range journal {
		if ev.Seq < s.Seq && ev.Kind == EventChildExited && ev.Exit.Abnormal() && ev.Correlation != 0 &&
			ev.Time.After(from) && parentPath(ev.Path) == s.Path {
			ids[ev.Correlation] = true
		}
	}
	return ids
}

// parentPath is the path of the supervisor of the child at path: "/" for
// "/api", "/workers" for "/workers/w1".
func parentPath(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// Summaries returns the tree's most recent RunSummaries, oldest first.
func (t *Tree) Summaries() []RunSummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]RunSummary(nil), t.summaries.list...)
}

// summaryAt returns the summary made by the event with sequence number seq.
func (t *Tree) summaryAt(seq uint64) (RunSummary, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.summaries.list) - 1; i >= 0; i-- {
		if t.summaries.list[i].Seq == seq {
			return t.summaries.list[i], true
		}
	}
	return RunSummary{}, false
}

// attrs are a summary's log attributes: the events themselves are in the
// log already, so it names them.
func (s *RunSummary) attrs() []slog.Attr {
	kinds := make([]string, len(s.Events))
	for i, e := range s.Events {
		kinds[i] = e.Kind.String() + " " + e.Path
	}
	a := []slog.Attr{slog.String("trigger", s.Trigger.String()), slog.String("path", s.Path),
		slog.Uint64("correlation", s.Correlation), slog.Int("failures", s.Failures),
		slog.Int("restarts", s.Restarts), slog.Int("stopped", s.Stopped), slog.Any("events", kinds)}
	if s.Rule != "" {
		a = append(a, slog.String("rule", s.Rule))
	}
	if s.Err != nil {
		a = append(a, slog.String("error", textfmt.Error(s.Err)))
	}
	if len(s.Abandoned) > 0 {
		a = append(a, slog.Int("abandoned_goroutines", stackCount(s.Abandoned)))
	}
	return a
}
