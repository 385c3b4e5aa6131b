package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// ErrStale is the exit error (wrapped, with the details) of a child that a
// Liveness with StaleRestart stopped because it went stale. Error rules can
// match it with Rule.Is.
var ErrStale = errors.New("supervisor: child is stale")

// Liveness makes the supervisor watch that a running child is alive: the
// child reports with Heartbeat (or, with Progress set, with Progress and a
// counter that must advance), and a child that has not done so for
// StaleAfter is stale. The supervisor's own timer detects it, not a query:
// the child is marked unhealthy (EventChildUnhealthy, ChildInfo.Unhealthy)
// and OnStale applies. A report after that clears the mark
// (EventChildHealthy).
//
// Watching starts once the child is running (or ready, with
// ReadinessExplicit: before that, StartTimeout applies) and ends when the
// attempt ends; each attempt starts healthy.
//
// The zero Liveness is unset: the supervisor's Defaults decide (for
// workers), and without them nothing is watched. A Liveness set on the
// child replaces the defaults' whole. Off turns watching off whatever the
// defaults.
type Liveness struct {
	// Interval is how often the child means to report. It turns watching
	// on and is the unit of StaleAfter's default.
	Interval time.Duration
	// StaleAfter is how long the child may go without a report before it
	// is stale. Zero means 3 × Interval; otherwise it must be at least
	// Interval.
	StaleAfter time.Duration
	// Progress makes only an advancing Progress counter count as a report,
	// so that a child that heartbeats but makes no progress is caught;
	// Heartbeat calls are then ignored.
	Progress bool
	// OnStale is what a stale child gets: StaleReport (the default) or
	// StaleRestart.
	OnStale StaleAction
	// Off watches nothing; the other fields must then be zero.
	Off bool
}

// staleAfter returns the effective staleness threshold.
func (l *Liveness) staleAfter() time.Duration { return firstSet(l.StaleAfter, 3*l.Interval) }

// StaleAction is what a supervisor does with a stale child.
type StaleAction uint8

const (
	// StaleReport marks the child unhealthy and lets it run.
	StaleReport StaleAction = iota
	// StaleRestart marks the child unhealthy and stops it; the stop counts
	// as a failure (an abnormal exit with ErrStale) and goes through the
	// decision pipeline: error rules, restart type, restart limit, backoff.
	StaleRestart
)

var staleActionNames = []string{"report", "restart"}

func (s StaleAction) String() string { return enumString(staleActionNames, s) }

// MarshalText implements encoding.TextMarshaler.
func (s StaleAction) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *StaleAction) UnmarshalText(b []byte) error {
	return enumParse(staleActionNames, b, s, "stale action", 0)
}

// Progress reports that the child owning ctx has processed n units of work
// in all (a counter that only grows). A call with a larger n than before is
// a report for Liveness and updates ChildInfo.LastHeartbeat and
// ChildInfo.Progress; a call with the same or a smaller n is not. It costs
// a few atomic operations and never blocks, except that the first report
// after the child was marked unhealthy sends the supervisor a message.
func Progress(ctx context.Context, n uint64) {
	a := attemptFrom(ctx)
	if a == nil {
		return
	}
	for {
		old := a.prog.Load()
		if n <= old {
			return
		}
		if a.prog.CompareAndSwap(old, n) {
			break
		}
	}
	a.reported()
}

// reported records a liveness report of a.
func (a *attempt) reported() {
	a.beat.Store(int64(time.Since(a.c.n.t.base)))
	if a.has(flagStale) && a.flags.And(^flagStale)&flagStale != 0 {
		a.c.n.post(msg{kind: msgHealthy, a: a})
	}
}

func (v *validator) liveness(l *Liveness) {
	switch {
	case l.Off && (*l != Liveness{Off: true}):
		v.add("", "off watches nothing: leave interval, staleAfter, progress and onStale unset with it")
	case l.Interval < 0:
		v.add("interval", "%s must be more than 0, such as 10s", textfmt.Duration(l.Interval))
	case l.Interval == 0 && !l.Off && (*l != Liveness{}):
		v.add("interval", "must be set (more than 0, such as 10s) for liveness to be watched")
	case l.StaleAfter < 0 || (l.StaleAfter > 0 && l.StaleAfter < l.Interval):
		v.add("staleAfter", "%s must be at least interval (%s), or 0 for 3 × interval", textfmt.Duration(l.StaleAfter),
			textfmt.Duration(l.Interval))
	}
	if l.OnStale > StaleRestart {
		v.add("onStale", "%d is not a stale action: use StaleReport or StaleRestart", l.OnStale)
	}
}

// watch arms c's timer while it runs, for whichever comes first: the end
// of its probation or the moment it would go stale.
func (n *node) watch(c *child) {
	var at int64
	x := c.ext
	if x != nil && x.probation {
		at = x.probationEnd
	}
	if l := &c.cp.pol.liveness; l.Interval > 0 && (x == nil || !x.unhealthy) {
		if stale := max(c.cur.beat.Load(), c.since) + int64(l.staleAfter()); at == 0 || stale < at {
			at = stale
		}
	}
	if at != 0 {
		n.setDeadline(c, max(at, n.now))
	} else {
		n.clearDeadline(c)
	}
}

// watchFired runs when the timer of a running child fires.
func (n *node) watchFired(c *child) {
	if x := c.ext; x != nil && x.probation && n.now >= x.probationEnd {
		x.probation = false
		n.passProbation(c, "the probation attempt ran for "+textfmt.Duration(c.cp.pol.backoff.resetAfter()))
	}
	if n.stale(c) {
		return
	}
	n.watch(c)
}

// stale marks c unhealthy if it has gone without a report for its
// StaleAfter, and applies its OnStale. It reports whether c is stopping.
func (n *node) stale(c *child) bool {
	l := &c.cp.pol.liveness
	if l.Interval == 0 || (c.ext != nil && c.ext.unhealthy) {
		return false
	}
	a := c.cur
	last := max(a.beat.Load(), c.since)
	quiet := time.Duration(n.now - last)
	if quiet < l.staleAfter() {
		return false
	}
	x := c.extension()
	x.unhealthy, x.unhealthySince = true, n.now
	// Staleness starts an incident: the unhealthy event, the stop, the
	// failure and its restart (or the recovery) share its correlation id.
	c.corr = n.t.nextCorr()
	what := "heartbeat"
	if l.Progress {
		what = fmt.Sprintf("progress (counter at %d)", a.prog.Load())
	}
	x.staleWhy = fmt.Sprintf("no %s for %s, more than the %s allowed", what, textfmt.Duration(quiet),
		textfmt.Duration(l.staleAfter()))
	e := n.event(EventChildUnhealthy, c)
	e.Rule, e.Reason, e.Delay, e.Count = "liveness", x.staleWhy, quiet, a.prog.Load()
	n.t.publish(&e)
	if l.OnStale == StaleRestart {
		n.stop(c, stopStale)
		return true
	}
	a.flags.Or(flagStale)
	return false
}

// onHealthy handles the first report of an attempt marked unhealthy.
func (n *node) onHealthy(a *attempt) {
	c := a.c
	x := c.ext
	if c.cur != a || x == nil || !x.unhealthy || (c.state != StateRunning && c.state != StateReady) {
		return
	}
	x.unhealthy = false
	e := n.event(EventChildHealthy, c)
	e.Rule, e.Delay = "liveness", time.Duration(n.now-x.unhealthySince)
	e.Reason = "reporting again after " + textfmt.Duration(e.Delay) + " unhealthy"
	n.t.publish(&e)
	n.watch(c)
}

// staleExited carries on once a child stopped for being stale has
// stopped: its stop is a failure, decided by the pipeline like an exit.
func (n *node) staleExited(c *child, a *attempt, abandoned bool) {
	err := fmt.Errorf("%w: %s", ErrStale, c.ext.staleWhy)
	n.setExit(c, ExitAbnormal, err)
	d := n.assess(c, ExitAbnormal, err)
	n.stopped(c, a, abandoned, d)
	n.exited(c, err, d)
}
