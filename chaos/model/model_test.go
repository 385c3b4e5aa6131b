package model_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/supervisortest"
)

var audit = supervisor.Audit{Who: "test", Why: "testing"}

// TestModel is a model-based property test of the control loop. Each rapid
// case starts a tree in its own synctest bubble (rapid.SyncTest): a root
// with the subtest's strategy, up to five workers and perhaps a nested
// supervisor with its own strategy, each with a random restart type,
// readiness and stop behaviour (stops at once, takes a second, or overruns
// its budget and is abandoned), a random intensity (often small enough to
// be exceeded), restart limit and backoff. It drives the tree through a
// random sequence of steps: adding, removing, pausing, resuming,
// restarting, quarantining and resetting children; making running attempts
// fail, panic, return or escalate; overlaps (below); letting time pass;
// shutting the tree down. After every step it compares the tree with a
// small model of it written here:
//
//   - which children exist, in which order, and their states, generations,
//     attempt numbers, restart counts, last exit classes and restart-limit
//     quarantines (Tree.Snapshot), and every supervisor's restarts in its
//     intensity window;
//   - what each call returned (nil or the documented *OpError sentinel) and
//     at what fake time;
//   - what the children's bodies saw: each attempt beginning, returning on
//     its own, being stopped, or returning late after it was abandoned,
//     with its fake time and generation, in the order the model gives;
//   - the generation fence: a body checks as it starts that no other
//     attempt of its child is live unless the supervisor abandoned it
//     (cancelled, past its stop deadline), and once the tree settles each
//     child has exactly as many live attempts (supervisortest.Child.Live)
//     as the model says, at most one;
//   - how the tree ends, by Shutdown or by its root giving up (intensity
//     exceeded, escalation): the result, the shutdown report (outcome,
//     generation and exit class of every child, goroutines left), and that
//     no goroutine of the tree is left once abandoned attempts returned.
//
// The model is exact because every step ends with the tree settled: the
// step's action, then synctest.Wait and modelSettle of fake time, longer
// than any chain of stops, backoffs and late returns a step causes. Stops
// take whole seconds and abandoned attempts return on the half second, so
// that no two things the model cannot order happen at the same instant.
// Time windows (intensity, restart limit, stable run) are all modelPeriod,
// longer than any sequence, and the "age" step sleeps past them: the model
// counts restarts and failures since the last age step.
//
// An overlap step makes a worker of a one_for_all or rest_for_one
// supervisor fail and, once the group restart waits for a slow or stuck
// stop (or for the backoff), makes another worker of that supervisor end
// on its own, or sends a command about one of its children: exits of
// members the group restart has not stopped yet, exits that must wait for
// it, and commands deferred until it is over.
//
// The default run is 100 cases of about 30 steps for each strategy of the
// root (a subtest each), a few seconds. Run more with
//
//	go test -run TestModel -rapid.checks=5000 -rapid.steps=100 .
//
// and replay a failure with the -rapid.seed or -rapid.failfile it prints.
//
// Left out on purpose: overlaps other than those above (two commands at
// once, a command during an unrelated stop, children of two supervisors
// at once); timed events between steps (probations are pushed past any
// sequence, no liveness, explicit children are ready at once, so no start
// timeouts or failed starts); jitter, budgets, throttles, groups, rules,
// roles, sidecars, significant children, Apply, and a shutdown's context
// ending early.
func TestModel(t *testing.T) {
	for _, strategy := range modelStrategies {
		t.Run(strategy.String(), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				rapid.SyncTest(rt, func(rt *rapid.T) { runModel(rt, strategy) })
			})
		})
	}
}

const (
	// modelPeriod is the intensity period, the restart limit's window and
	// the stable-run threshold (Backoff.ResetAfter): longer than any
	// sequence of steps, shorter than an age step.
	modelPeriod = 1000 * time.Hour
	// modelSettle is how long each step lets the tree run after its
	// action: more than the longest chain of stops, backoffs and late
	// returns a step can cause (check makes sure).
	modelSettle = 2 * time.Minute
	// modelProbation puts probation attempts after any sequence.
	modelProbation = 100000 * time.Hour
	modelMaxAgings = 20

	modelSlowStop    = time.Second             // a slow child takes this long to stop
	modelStuckBudget = time.Second             // a stuck child's stop budget...
	modelStuckStop   = 3500 * time.Millisecond // ...which it overruns: abandoned, it returns 2.5 s later

	// modelGrace is how long a shutdown that leaves goroutines waits for
	// them before it reports them (docs/defaults.md).
	modelGrace = 100 * time.Millisecond
)

var (
	errModelFail = errors.New("model: failure")
	errModelStop = fmt.Errorf("%w: model: done", supervisor.ErrStop)
	errModelEsc  = fmt.Errorf("%w: model: cannot go on", supervisor.ErrEscalate)
)

// ---- What the bodies saw ----

type traceKind uint8

const (
	trBegin   traceKind = iota // an attempt began
	trExit                     // it returned on its own
	trStopped                  // it returned after its supervisor cancelled it, within its budget
	trLate                     // it returned after its stop deadline: it had been abandoned
)

var traceNames = [...]string{"begin", "exit", "stopped", "late"}

type traceEntry struct {
	at   time.Duration // fake time since the case began
	kind traceKind
	path string
	gen  uint64
}

func (e traceEntry) String() string {
	return fmt.Sprintf("%v %s %s#%d", e.at, traceNames[e.kind], e.path, e.gen)
}

// tracer records what the bodies of a case saw.
type tracer struct {
	base time.Time

	mu         sync.Mutex
	entries    []traceEntry
	violations []string
}

// body is the Run of one declared child: a supervisortest.Child that the
// test drives, wrapped to trace its attempts and check the fence.
type body struct {
	tr   *tracer
	path string
	c    *supervisortest.Child
	live []context.Context // attempts running now (under tr.mu)
}

func (tr *tracer) newBody(path string, kind childKind, explicit bool) *body {
	c := &supervisortest.Child{ReadyOnStart: explicit}
	switch kind {
	case kindSlow:
		c.StopDelay = modelSlowStop
	case kindStuck:
		c.StopDelay = modelStuckStop
	}
	return &body{tr: tr, path: path, c: c}
}

func (b *body) run(ctx context.Context) error {
	info, _ := supervisor.Info(ctx)
	b.begin(ctx, info)
	defer b.end(ctx, info)
	return b.c.Run(ctx)
}

func (b *body) begin(ctx context.Context, info supervisor.RunInfo) {
	now := time.Now()
	b.tr.mu.Lock()
	defer b.tr.mu.Unlock()
	for _, other := range b.live {
		// The fence: another attempt may still run only if it was
		// abandoned, that is cancelled and past its stop deadline.
		dl, ok := supervisor.StopDeadline(other)
		if other.Err() == nil || !ok || now.Before(dl) {
			o, _ := supervisor.Info(other)
			b.tr.violations = append(b.tr.violations, fmt.Sprintf(
				"at %v %s generation %d began while generation %d was live and not abandoned",
				now.Sub(b.tr.base), info.Path, info.Generation, o.Generation))
		}
	}
	b.live = append(b.live, ctx)
	b.tr.entries = append(b.tr.entries, traceEntry{at: now.Sub(b.tr.base), kind: trBegin, path: info.Path, gen: info.Generation})
}

func (b *body) end(ctx context.Context, info supervisor.RunInfo) {
	now := time.Now()
	kind := trExit
	if ctx.Err() != nil { // cancelled before it returned: its supervisor stopped it
		kind = trStopped
		if dl, ok := supervisor.StopDeadline(ctx); ok && now.After(dl) {
			kind = trLate
		}
	}
	b.tr.mu.Lock()
	defer b.tr.mu.Unlock()
	b.live = slices.DeleteFunc(b.live, func(c context.Context) bool { return c == ctx })
	b.tr.entries = append(b.tr.entries, traceEntry{at: now.Sub(b.tr.base), kind: kind, path: info.Path, gen: info.Generation})
}

func (tr *tracer) snapshot() ([]traceEntry, []string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.entries), slices.Clone(tr.violations)
}

// traceDiff compares what the bodies saw with what the model expects, and
// says how they differ ("" if they do not). Returns, stops and late
// returns must happen in the order the model gives: each one is caused by
// the supervisor's loop, which waits for it before going on (or, for a
// late return, at a half second where nothing else happens). A beginning
// may be seen later than the model puts it, never earlier: the loop does
// not wait for a launched attempt's goroutine to run.
func traceDiff(got, want []traceEntry) string {
	want = slices.Clone(want)
	sort.SliceStable(want, func(i, j int) bool { return want[i].at < want[j].at })
	bad := func(why string) string { return fmt.Sprintf("%s\n got  %v\n want %v", why, got, want) }
	// The beginnings, each with how many returns came before it; the
	// same beginning may happen twice (a nested supervisor's child after
	// the supervisor restarted), hence the count n.
	type begin struct {
		e traceEntry
		n int
	}
	ends := func(es []traceEntry) (out []traceEntry, before map[begin]int) {
		before = map[begin]int{}
		for _, e := range es {
			if e.kind == trBegin {
				b := begin{e, 0}
				for _, ok := before[b]; ok; _, ok = before[b] {
					b.n++
				}
				before[b] = len(out)
				continue
			}
			out = append(out, e)
		}
		return out, before
	}
	gotEnds, gotBefore := ends(got)
	wantEnds, wantBefore := ends(want)
	if !slices.Equal(gotEnds, wantEnds) {
		return bad("the attempts did not end as the model says")
	}
	if len(gotBefore) != len(wantBefore) || len(got)-len(gotEnds) != len(gotBefore) || len(want)-len(wantEnds) != len(wantBefore) {
		return bad("the attempts did not begin as the model says")
	}
	for b, n := range wantBefore {
		m, ok := gotBefore[b]
		if !ok {
			return bad("the attempts did not begin as the model says")
		}
		if m < n {
			return bad(fmt.Sprintf("%v began too early", b.e))
		}
	}
	return ""
}

// ---- The model ----

type childKind uint8

const (
	kindQuick  childKind = iota // stops at once
	kindSlow                    // takes modelSlowStop to stop
	kindStuck                   // overruns its budget: abandoned, returns late
	kindNested                  // a nested supervisor
)

var kindNames = [...]string{"quick", "slow", "stuck", "nested"}

// mchild is the model of one child.
type mchild struct {
	name, path string
	kind       childKind
	explicit   bool
	restart    supervisor.RestartType
	body       *body    // a worker's body
	nested     *subSpec // a nested supervisor's spec
	sub        *msup    // a nested supervisor's run, while it runs

	state    supervisor.State
	limitQ   bool // quarantined by its restart limit (not by an operator)
	gen      uint64
	attempt  int // the attempt number of the next (or current) attempt
	shown    int // the attempt number of the live attempt
	restarts uint64
	last     supervisor.ExitClass
	epoch    int // the age epoch the live (or last) attempt started in
	failures int // failures in the restart limit's window
}

func (c *mchild) live() bool { return c.state.Live() }

// msup is the model of one running supervisor.
type msup struct {
	path     string
	strategy supervisor.Strategy
	max      int // intensity: at most max restarts per modelPeriod
	limit    int // restart limit: at most limit failures per modelPeriod (0: none)
	recent   int // restarts in the intensity window
	children []*mchild
	ended    bool // a nested supervisor's run that is over
}

func (s *msup) find(name string) *mchild {
	for _, c := range s.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (s *msup) index(c *mchild) int { return slices.Index(s.children, c) }

func (s *msup) remove(c *mchild) {
	s.children = slices.DeleteFunc(s.children, func(x *mchild) bool { return x == c })
}

// allow counts a restart toward the intensity, or refuses it.
func (s *msup) allow() bool {
	if s.recent >= s.max {
		return false
	}
	s.recent++
	return true
}

// subSpec is the static spec of the nested supervisor: each of its runs
// starts afresh from it.
type subSpec struct {
	strategy supervisor.Strategy
	max      int
	limit    int
	children []*mchild // templates: name, kind, explicit, restart, body
}

type outcome struct {
	path    string
	outcome supervisor.Outcome
	gen     uint64
	exit    supervisor.ExitClass
}

func (o outcome) String() string {
	return fmt.Sprintf("%s %s #%d %s", o.path, o.outcome, o.gen, o.exit)
}

type straggler struct {
	path string
	late time.Duration // when its abandoned attempt returns
}

// ending is how the model expects the tree to end.
type ending struct {
	err      string // "", "abandoned", "intensity", "escalation"
	child    string // the child the root gave up on
	outcomes []outcome
	left     []straggler // goroutines still running when the report is written
}

type model struct {
	tr      *tracer
	tree    *supervisor.Tree
	root    *msup
	backoff bool
	bodies  []*body

	epoch, agings int
	strags        []straggler   // abandoned attempts of the current step, returning late
	hook          *during       // waits for the first slow stop within a nested supervisor's stop
	now           time.Duration // the model's clock, at the current step's start
	exp           []traceEntry  // what the bodies should see during the current step
	mark          int           // where the current step's entries begin in the trace

	end      *ending // set once the tree ended (or is expected to have)
	verified bool    // its end was checked
}

func (m *model) expect(at time.Duration, kind traceKind, path string, gen uint64) {
	m.exp = append(m.exp, traceEntry{at: at, kind: kind, path: path, gen: gen})
}

// delay is the backoff before the restart that starts attempt.
func (m *model) delay(attempt int) time.Duration {
	if !m.backoff || attempt < 2 {
		return 0
	}
	d := time.Second // Initial, doubling up to Max
	for i := 2; i < attempt && d < 4*time.Second; i++ {
		d *= 2
	}
	return min(d, 4*time.Second)
}

// launch starts c's next attempt at at.
func (m *model) launch(c *mchild, at time.Duration) {
	c.gen++
	c.shown = c.attempt
	c.epoch = m.epoch
	c.state = supervisor.StateRunning
	if c.explicit || c.kind == kindNested {
		c.state = supervisor.StateReady
	}
	if c.kind != kindNested {
		m.expect(at, trBegin, c.path, c.gen)
		return
	}
	spec := c.nested
	c.sub = &msup{path: c.path, strategy: spec.strategy, max: spec.max, limit: spec.limit}
	for _, tpl := range spec.children {
		k := *tpl
		k.attempt = 1
		c.sub.children = append(c.sub.children, &k)
	}
	for _, k := range c.sub.children {
		m.launch(k, at)
	}
}

// stop stops c's live attempt, asked at at. It returns when the stop is
// over, and for a stuck child when its abandoned attempt returns.
func (m *model) stop(c *mchild, at time.Duration) (done, late time.Duration) {
	if d := m.hook; d != nil && (c.kind == kindSlow || c.kind == kindStuck) {
		m.hook = nil
		m.wait(d, c, at, true)
	}
	switch c.kind {
	case kindQuick:
		m.expect(at, trStopped, c.path, c.gen)
	case kindSlow:
		at += modelSlowStop
		m.expect(at, trStopped, c.path, c.gen)
	case kindStuck:
		at += modelStuckBudget
		late = at + modelStuckStop - modelStuckBudget
		m.expect(late, trLate, c.path, c.gen)
		m.strags = append(m.strags, straggler{c.path, late})
		c.last = supervisor.ExitAbandoned
		c.state = supervisor.StateFailed
		return at, late
	case kindNested:
		at, _ = m.drain(c.sub, at)
		c.sub.ended = true
		c.sub = nil
	}
	c.last = supervisor.ExitStopped
	c.state = supervisor.StateStopped
	return at, 0
}

// drain stops s's children in reverse order from at, as a shutdown does,
// and returns when it is over and the outcomes.
func (m *model) drain(s *msup, at time.Duration) (time.Duration, []outcome) {
	var outs []outcome
	type own struct {
		idx  int
		late time.Duration
	}
	var owns []own
	for i := len(s.children) - 1; i >= 0; i-- {
		c := s.children[i]
		if !c.live() {
			outs = append(outs, outcome{c.path, supervisor.OutcomeAlreadyExited, c.gen, c.last})
			continue
		}
		if c.kind == kindNested {
			end, sub := m.drain(c.sub, at)
			outs = append(outs, sub...)
			at = end
			c.sub.ended, c.sub = true, nil
			c.last, c.state = supervisor.ExitStopped, supervisor.StateStopped
			outs = append(outs, outcome{c.path, supervisor.OutcomeGraceful, c.gen, supervisor.ExitStopped})
			continue
		}
		done, late := m.stop(c, at)
		at = done
		if late == 0 {
			outs = append(outs, outcome{c.path, supervisor.OutcomeGraceful, c.gen, supervisor.ExitStopped})
			continue
		}
		owns = append(owns, own{len(outs), late})
		outs = append(outs, outcome{c.path, supervisor.OutcomeAbandoned, c.gen, supervisor.ExitAbandoned})
	}
	// A straggler that returns before the drain is over is late, not
	// abandoned.
	for _, o := range owns {
		if o.late < at {
			outs[o.idx].outcome, outs[o.idx].exit = supervisor.OutcomeLate, supervisor.ExitStopped
		}
	}
	return at, outs
}

// left returns the abandoned attempts still running at end.
func (m *model) left(end time.Duration) []straggler {
	var out []straggler
	for _, st := range m.strags {
		if st.late > end {
			out = append(out, st)
		}
	}
	return out
}

// parentOf returns the supervisor of the nested supervisor s and its child.
func (m *model) parentOf(s *msup) (*msup, *mchild) {
	for _, c := range m.root.children {
		if c.sub == s {
			return m.root, c
		}
	}
	panic("model: no parent for " + s.path)
}

// giveUp ends s at at: its intensity refused a restart of c, or c
// escalated.
func (m *model) giveUp(s *msup, c *mchild, escalation bool, at time.Duration) {
	c.state = supervisor.StateFailed
	s.ended = true
	end, outs := m.drain(s, at)
	if s == m.root {
		e := &ending{err: "intensity", child: c.path, outcomes: outs, left: m.left(end)}
		if escalation {
			e.err = "escalation"
		}
		m.end = e
		return
	}
	parent, sc := m.parentOf(s)
	sc.sub = nil
	m.exited(parent, sc, supervisor.ExitAbnormal, end, nil)
}

// during is what happens once a group restart in s first waits (for a
// slow or stuck stop, or for the backoff), which the overlap step makes
// happen: another worker of s ends on its own, or a command about a child
// of s arrives.
type during struct {
	s      *msup
	fired  bool // the group restart waited
	nested bool // it waited within a nested supervisor's stop

	exit  bool                 // a worker ends (else a command arrives)
	pick  int                  // which of the running workers
	class supervisor.ExitClass // how
	x     *mchild              // the worker picked

	cmd  string // the name of the child a command addresses
	do   func(s *msup, c *mchild, at time.Duration) time.Duration
	err  error         // what the command returns...
	done time.Duration // ...and when
}

// liveWorkers returns s's children that are workers and live, but except.
func (s *msup) liveWorkers(except *mchild) []*mchild {
	var ws []*mchild
	for _, c := range s.children {
		if c != except && c.kind != kindNested && c.live() {
			ws = append(ws, c)
		}
	}
	return ws
}

// wait is the group restart of d.s waiting at at, while it stops the
// child stopping (nil for the backoff). It reports whether d.s gave up.
func (m *model) wait(d *during, stopping *mchild, at time.Duration, nested bool) bool {
	if d == nil || d.fired {
		return false
	}
	d.fired, d.nested = true, nested
	if !d.exit {
		if d.s.find(d.cmd) == nil { // gone already: refused at once
			d.err, d.done, d.do = supervisor.ErrNotFound, at, nil
		}
		return false
	}
	ws := d.s.liveWorkers(stopping)
	if len(ws) == 0 {
		return false
	}
	x := ws[d.pick%len(ws)]
	d.x = x
	if nested && d.class == supervisor.ExitEscalate {
		d.class = supervisor.ExitAbnormal // keep the model simple
	}
	m.expect(at, trExit, x.path, x.gen)
	x.last, x.state = d.class, deadState(d.class)
	if d.class == supervisor.ExitEscalate {
		m.giveUp(d.s, x, true, at)
		return true
	}
	return false
}

// exited handles an exit c made on its own at at with class; dur, if not
// nil, happens during the group restart it causes.
func (m *model) exited(s *msup, c *mchild, class supervisor.ExitClass, at time.Duration, dur *during) {
	c.last = class
	c.state = deadState(class)
	if class == supervisor.ExitEscalate {
		m.giveUp(s, c, true, at)
		return
	}
	m.decide(s, c, at, dur)
}

func deadState(class supervisor.ExitClass) supervisor.State {
	if class.Abnormal() || class == supervisor.ExitAbandoned {
		return supervisor.StateFailed
	}
	return supervisor.StateStopped
}

// decide carries out the restart type, the restart limit, the backoff,
// the strategy and the intensity for c's last exit.
func (m *model) decide(s *msup, c *mchild, at time.Duration, dur *during) {
	class := c.last
	switch {
	case c.restart == supervisor.Temporary:
		s.remove(c)
		return
	case c.restart == supervisor.Transient && !class.Abnormal():
		return
	}
	if s.limit > 0 && class.Abnormal() {
		if c.failures >= s.limit {
			c.state, c.limitQ = supervisor.StateQuarantined, true
			return
		}
		c.failures++
	}
	if m.epoch > c.epoch { // it ran for the stable period: a new streak
		c.attempt = 1
	}
	c.attempt++
	delay := m.delay(c.attempt)
	if s.strategy == supervisor.OneForOne {
		at += delay
		if !s.allow() {
			m.giveUp(s, c, false, at)
			return
		}
		c.restarts++
		m.launch(c, at)
		return
	}
	m.groupRestart(s, c, delay, at, dur)
}

// members returns the children a group restart for trigger concerns.
func members(s *msup, trigger *mchild) []*mchild {
	from := 0
	if s.strategy == supervisor.RestForOne {
		from = s.index(trigger)
	}
	var out []*mchild
	for _, c := range s.children[from:] {
		if c != trigger && (c.state == supervisor.StatePaused || c.state == supervisor.StateQuarantined) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// groupRestart restarts the scope of trigger's failure under one_for_all or
// rest_for_one: its members are stopped one at a time in reverse order,
// then started again in order after trigger's backoff. dur, if not nil,
// happens when it first waits.
func (m *model) groupRestart(s *msup, trigger *mchild, delay, at time.Duration, dur *during) {
	if dur != nil && dur.s != s {
		dur = nil
	}
	ms := members(s, trigger)
	for i := len(ms) - 1; i >= 0; i-- {
		c := ms[i]
		if !c.live() {
			continue
		}
		switch {
		case c.kind == kindSlow || c.kind == kindStuck:
			if m.wait(dur, c, at, false) {
				return
			}
		case c.kind == kindNested && stopTime(c) > 0 && dur != nil && !dur.fired:
			m.hook = dur
		}
		at, _ = m.stop(c, at)
		m.hook = nil
	}
	ms = slices.DeleteFunc(ms, func(c *mchild) bool {
		if c.restart == supervisor.Temporary { // collateral temporaries are removed
			s.remove(c)
			return true
		}
		return false
	})
	if delay > 0 && m.wait(dur, nil, at, false) {
		return
	}
	at += delay
	if !s.allow() {
		if dur != nil && dur.fired && dur.do != nil { // a command waiting for the job is refused
			dur.err, dur.done, dur.do = supervisor.ErrShuttingDown, at, nil
		}
		m.giveUp(s, trigger, false, at)
		return
	}
	for _, c := range ms {
		c.restarts++
		if c != trigger {
			c.attempt = 1
		}
	}
	for _, c := range ms {
		m.launch(c, at)
	}
	if dur == nil || !dur.fired {
		return
	}
	// Once the job is over: the exit that waited for it, then the
	// command. A member that ended meanwhile was brought back with the
	// others.
	if x := dur.x; x != nil && !slices.Contains(ms, x) && !x.live() && s.index(x) >= 0 {
		m.decide(s, x, at, nil)
	}
	if dur.do != nil {
		dur.done = at
		if c := s.find(dur.cmd); c == nil {
			dur.err = supervisor.ErrNotFound
		} else {
			dur.done = dur.do(s, c, at)
		}
	}
}

// stopTime is how long stopping c takes.
func stopTime(c *mchild) time.Duration {
	switch c.kind {
	case kindSlow:
		return modelSlowStop
	case kindStuck:
		return modelStuckBudget
	case kindNested:
		var d time.Duration
		for _, k := range c.sub.children {
			if k.live() {
				d += stopTime(k)
			}
		}
		return d
	}
	return 0
}

// resolve finds the child at path as the tree does, or the error.
func (m *model) resolve(path string) (*msup, *mchild, error) {
	switch {
	case path == "/":
		return nil, nil, supervisor.ErrNotFound // the root is not a child
	case !strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") || strings.Contains(path, "//"):
		return nil, nil, supervisor.ErrInvalidPath
	}
	segs := strings.Split(path[1:], "/")
	s := m.root
	for _, seg := range segs[:len(segs)-1] {
		c := s.find(seg)
		switch {
		case c == nil:
			return nil, nil, supervisor.ErrNotFound
		case c.kind != kindNested:
			return nil, nil, supervisor.ErrNotSupervisor
		case c.sub == nil:
			return nil, nil, supervisor.ErrNotRunning
		}
		s = c.sub
	}
	c := s.find(segs[len(segs)-1])
	if c == nil {
		return s, nil, supervisor.ErrNotFound
	}
	return s, c, nil
}

// all returns every child of every running supervisor, depth first in
// declaration order, as State lists them.
func (m *model) all() []*mchild {
	var out []*mchild
	var walk func(s *msup)
	walk = func(s *msup) {
		for _, c := range s.children {
			out = append(out, c)
			if c.sub != nil {
				walk(c.sub)
			}
		}
	}
	walk(m.root)
	return out
}

func (m *model) supervisors() []*msup {
	out := []*msup{m.root}
	for _, c := range m.root.children {
		if c.sub != nil {
			out = append(out, c.sub)
		}
	}
	return out
}

// ---- Driving a case ----

var modelStrategies = []supervisor.Strategy{supervisor.OneForOne, supervisor.OneForAll, supervisor.RestForOne}

// modelIntensities: the simplest (what rapid shrinks towards) first.
var modelIntensities = []int{1000, 1000, 3, 1, 0, 2, 6}

var modelRestarts = []supervisor.RestartType{supervisor.Permanent, supervisor.Transient, supervisor.Temporary}

var modelKinds = []childKind{kindQuick, kindSlow, kindStuck}

// rootNames and subNames are the names children may have; the paths
// list adds paths that never exist.
var (
	rootNames  = []string{"a", "b", "c", "d", "e"}
	subNames   = []string{"x", "y", "p", "q"}
	modelPaths = []string{"/a", "/b", "/c", "/d", "/e", "/sub", "/sub/x", "/sub/y", "/sub/p", "/sub/q",
		"/zz", "/a/x", "/sub/x/y", "/", "a", "/a/"}
)

// drawWorker draws a worker's model (not yet started).
func (m *model) drawWorker(rt *rapid.T, name, path string) *mchild {
	c := &mchild{
		name:     name,
		path:     path,
		kind:     rapid.SampledFrom(modelKinds).Draw(rt, "kind"),
		explicit: rapid.Bool().Draw(rt, "explicit"),
		restart:  rapid.SampledFrom(modelRestarts).Draw(rt, "restart"),
		attempt:  1,
	}
	c.body = m.tr.newBody(path, c.kind, c.explicit)
	m.bodies = append(m.bodies, c.body)
	return c
}

// workerSpec returns the Child to declare for c.
func workerSpec(c *mchild) supervisor.Child {
	s := supervisor.Child{Name: c.name, Run: c.body.run, Restart: c.restart}
	if c.explicit {
		s.Readiness = supervisor.ReadinessExplicit
	}
	if c.kind == kindStuck {
		s.Shutdown = modelStuckBudget
	}
	return s
}

func (m *model) defaults(limit int) supervisor.Defaults {
	d := supervisor.Defaults{Backoff: supervisor.Backoff{Off: true, ResetAfter: modelPeriod}}
	if m.backoff {
		d.Backoff = supervisor.Backoff{Initial: time.Second, Max: 4 * time.Second, ResetAfter: modelPeriod}
	}
	if limit > 0 {
		d.Quarantine = supervisor.Quarantine{After: limit, Within: modelPeriod, Probation: modelProbation}
	}
	return d
}

func runModel(rt *rapid.T, strategy supervisor.Strategy) {
	m := &model{tr: &tracer{base: time.Now()}}
	m.backoff = rapid.Bool().Draw(rt, "backoff")
	m.root = &msup{
		path:     "/",
		strategy: strategy,
		max:      rapid.SampledFrom(modelIntensities).Draw(rt, "intensity"),
		limit:    rapid.IntRange(0, 3).Draw(rt, "limit"),
	}
	spec := supervisor.Spec{
		Strategy:  m.root.strategy,
		Intensity: supervisor.Intensity{MaxRestarts: m.root.max, Period: modelPeriod},
		Defaults:  m.defaults(m.root.limit),
		Seed:      1,
	}
	n := rapid.IntRange(1, len(rootNames)).Draw(rt, "children")
	for _, name := range rootNames[:n] {
		c := m.drawWorker(rt, name, "/"+name)
		m.root.children = append(m.root.children, c)
		spec.Children = append(spec.Children, workerSpec(c))
	}
	if rapid.Bool().Draw(rt, "nested") {
		ss := &subSpec{
			strategy: rapid.SampledFrom(modelStrategies).Draw(rt, "sub.strategy"),
			max:      rapid.SampledFrom(modelIntensities).Draw(rt, "sub.intensity"),
			limit:    rapid.IntRange(0, 3).Draw(rt, "sub.limit"),
		}
		sub := supervisor.Spec{
			Strategy:  ss.strategy,
			Intensity: supervisor.Intensity{MaxRestarts: ss.max, Period: modelPeriod},
			Defaults:  m.defaults(ss.limit),
		}
		for _, name := range subNames[:rapid.IntRange(1, 2).Draw(rt, "sub.children")] {
			c := m.drawWorker(rt, name, "/sub/"+name)
			ss.children = append(ss.children, c)
			sub.Children = append(sub.Children, workerSpec(c))
		}
		c := &mchild{name: "sub", path: "/sub", kind: kindNested, nested: ss, attempt: 1,
			restart: rapid.SampledFrom(modelRestarts).Draw(rt, "sub.restart")}
		at := rapid.IntRange(0, len(m.root.children)).Draw(rt, "sub.position")
		m.root.children = slices.Insert(m.root.children, at, c)
		spec.Children = slices.Insert(spec.Children, at, supervisor.Child{Name: "sub", Tree: &sub, Restart: c.restart})
	}
	rt.Logf("spec: strategy %s, intensity %d, limit %d, backoff %v, children %s",
		m.root.strategy, m.root.max, m.root.limit, m.backoff, m.describe(m.root))

	tree, err := supervisor.Start(context.Background(), spec)
	if err != nil {
		rt.Fatalf("Start: %v", err)
	}
	m.tree = tree
	rt.Cleanup(m.cleanup)
	for _, c := range m.root.children {
		m.launch(c, 0)
	}
	settleModel()

	rt.Repeat(map[string]func(*rapid.T){
		"":            m.check,
		"add":         m.step(m.add),
		"remove":      m.step(m.command("remove")),
		"pause":       m.step(m.command("pause")),
		"quarantine":  m.step(m.command("quarantine")),
		"resume":      m.step(m.command("resume")),
		"restart":     m.step(m.command("restart")),
		"reset":       m.step(m.command("reset")),
		"reset again": m.step(m.command("reset")),
		"fail":        m.step(m.exit("fail")),
		"fail again":  m.step(m.exit("fail")),
		"panic":       m.step(m.exit("panic")),
		"return":      m.step(m.exit("return")),
		"age":         m.step(m.age),
		"overlap":     m.step(m.overlap),
		// Overlaps are rarely possible: try them more often.
		"overlap again":     m.step(m.overlap),
		"overlap yet again": m.step(m.overlap),
		"shutdown":          m.step(func(rt *rapid.T) { m.shutdown(rt) }),
	})
	if m.end == nil {
		m.beginStep()
		m.shutdown(rt)
		settleModel()
		m.check(rt)
	}
}

// beginStep starts the model's record of a step.
func (m *model) beginStep() {
	m.now = time.Since(m.tr.base)
	m.tr.mu.Lock()
	m.mark = len(m.tr.entries)
	m.tr.mu.Unlock()
	m.exp, m.strags = nil, nil
}

func (m *model) describe(s *msup) string {
	var parts []string
	for _, c := range s.children {
		if c.kind == kindNested {
			ss := c.nested
			var ks []string
			for _, k := range ss.children {
				ks = append(ks, fmt.Sprintf("%s(%s %s explicit=%v)", k.name, kindNames[k.kind], k.restart, k.explicit))
			}
			parts = append(parts, fmt.Sprintf("sub(%s: strategy %s, intensity %d, limit %d: %s)",
				c.restart, ss.strategy, ss.max, ss.limit, strings.Join(ks, " ")))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s(%s %s explicit=%v)", c.name, kindNames[c.kind], c.restart, c.explicit))
	}
	return strings.Join(parts, " ")
}

// settleModel lets the tree finish what the step started.
func settleModel() {
	synctest.Wait()
	time.Sleep(modelSettle)
	synctest.Wait()
}

// step wraps an action: it starts the step's trace and settles the tree
// after it.
func (m *model) step(action func(*rapid.T)) func(*rapid.T) {
	return func(rt *rapid.T) {
		if m.end != nil {
			return // the tree has ended: the remaining steps do nothing
		}
		m.beginStep()
		action(rt)
		settleModel()
	}
}

// cleanup ends whatever a failed case left running, so that its bubble
// can end.
func (m *model) cleanup() {
	select {
	case <-m.tree.Done():
	default:
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		m.tree.Shutdown(ctx, audit)
		cancel()
	}
	for _, b := range m.bodies {
		b.c.Release()
	}
	time.Sleep(modelSettle)
}

// returnedAt checks that a call returned at the time the model says.
func (m *model) returnedAt(rt *rapid.T, what string, want time.Duration) {
	if got := time.Since(m.tr.base); got != want {
		rt.Fatalf("%s returned at %v, want %v", what, got, want)
	}
}

// wantErr checks a control call's error against the model's.
func wantErr(rt *rapid.T, what, op, path string, got, want error) {
	if want == nil {
		if got != nil {
			rt.Fatalf("%s = %v, want nil", what, got)
		}
		return
	}
	var oe *supervisor.OpError
	if !errors.Is(got, want) || !errors.As(got, &oe) || oe.Op != op || oe.Path != path {
		rt.Fatalf("%s = %v, want an *OpError{Op: %q, Path: %q} wrapping %v", what, got, op, path, want)
	}
}

func (m *model) ctx() (context.Context, context.CancelFunc) {
	// Commands answer within seconds; a command that does not is a bug
	// this turns into a failure instead of a deadlocked bubble.
	return context.WithTimeout(context.Background(), time.Hour)
}

// drawPath draws the path a command addresses: mostly an existing child,
// sometimes any path.
func (m *model) drawPath(rt *rapid.T) string {
	cs := m.all()
	if len(cs) == 0 || rapid.IntRange(0, 4).Draw(rt, "any path") == 4 {
		return rapid.SampledFrom(modelPaths).Draw(rt, "path")
	}
	return cs[rapid.IntRange(0, len(cs)-1).Draw(rt, "child")].path
}

func (m *model) add(rt *rapid.T) {
	parent, names := "/", rootNames
	switch rapid.IntRange(0, 5).Draw(rt, "parent") {
	case 3, 4:
		parent, names = "/sub", subNames
	case 5:
		parent = rapid.SampledFrom([]string{"/a", "/zz", "/sub/x"}).Draw(rt, "other parent")
	}
	name := rapid.SampledFrom(names).Draw(rt, "name")
	path := parent + name
	if parent != "/" {
		path = parent + "/" + name
	}
	c := m.drawWorker(rt, name, path)
	rt.Logf("step: add %s (%s %s explicit=%v)", path, kindNames[c.kind], c.restart, c.explicit)
	s, want := m.root, error(nil)
	if parent != "/" {
		var sc *mchild
		_, sc, want = m.resolve(parent)
		switch {
		case want != nil:
		case sc.kind != kindNested:
			want = supervisor.ErrNotSupervisor
		case sc.sub == nil:
			want = supervisor.ErrNotRunning
		default:
			s = sc.sub
		}
	}
	if want == nil && s.find(name) != nil {
		want = supervisor.ErrAlreadyExists
	}
	ctx, cancel := m.ctx()
	defer cancel()
	err := m.tree.AddChild(ctx, parent, workerSpec(c), audit)
	wantErr(rt, "AddChild("+path+")", "add", parent, err, want)
	if want == nil {
		s.children = append(s.children, c)
		m.launch(c, m.now)
	}
	m.returnedAt(rt, "AddChild", m.now)
}

// modelCommand is an operator command on one child: call performs it on
// the tree; do carries it out on the model and returns when the call
// returns.
type modelCommand struct {
	call func(*supervisor.Tree, context.Context, string, supervisor.Audit) error
	do   func(s *msup, c *mchild, at time.Duration) time.Duration
}

// commands are the operator commands the model knows, by name.
func (m *model) commands() map[string]modelCommand {
	return map[string]modelCommand{
		"pause":      {(*supervisor.Tree).PauseChild, m.pauser(supervisor.StatePaused)},
		"quarantine": {(*supervisor.Tree).QuarantineChild, m.pauser(supervisor.StateQuarantined)},
		"resume":     {(*supervisor.Tree).ResumeChild, m.resume},
		"restart":    {(*supervisor.Tree).RestartChild, m.restart},
		"remove":     {(*supervisor.Tree).RemoveChild, m.remove},
		"reset":      {(*supervisor.Tree).ResetChild, m.reset},
	}
}

// command returns the step of the control call name on one child.
func (m *model) command(name string) func(*rapid.T) {
	cmd := m.commands()[name]
	call, do := cmd.call, cmd.do
	return func(rt *rapid.T) {
		path := m.drawPath(rt)
		rt.Logf("step: %s %s", name, path)
		s, c, want := m.resolve(path)
		ctx, cancel := m.ctx()
		defer cancel()
		err := call(m.tree, ctx, path, audit)
		wantErr(rt, name+"("+path+")", name, path, err, want)
		at := m.now
		if want == nil {
			at = do(s, c, m.now)
		}
		m.returnedAt(rt, name, at)
	}
}

func (m *model) remove(s *msup, c *mchild, at time.Duration) time.Duration {
	if c.live() {
		at, _ = m.stop(c, at)
	}
	s.remove(c)
	return at
}

// pauser returns PauseChild's (or QuarantineChild's) model.
func (m *model) pauser(state supervisor.State) func(*msup, *mchild, time.Duration) time.Duration {
	return func(_ *msup, c *mchild, at time.Duration) time.Duration {
		c.limitQ = false
		if c.state == state {
			return at
		}
		if c.live() {
			at, _ = m.stop(c, at)
		}
		c.state = state
		return at
	}
}

func (m *model) resume(_ *msup, c *mchild, at time.Duration) time.Duration {
	if c.live() {
		return at
	}
	c.limitQ = false
	c.attempt = 1
	m.launch(c, at)
	return at
}

func (m *model) restart(_ *msup, c *mchild, at time.Duration) time.Duration {
	if c.live() {
		at, _ = m.stop(c, at)
	}
	c.limitQ = false
	c.attempt = 1
	c.restarts++
	m.launch(c, at)
	return at
}

func (m *model) reset(_ *msup, c *mchild, at time.Duration) time.Duration {
	limited := c.limitQ
	c.failures = 0
	c.attempt = 1
	c.limitQ = false
	if limited {
		m.launch(c, at)
	}
	return at
}

// exit returns the step that makes a running worker's attempt end on its
// own.
func (m *model) exit(how string) func(*rapid.T) {
	return func(rt *rapid.T) {
		var ws []*mchild
		sups := map[*mchild]*msup{}
		for _, s := range m.supervisors() {
			for _, c := range s.children {
				if c.kind != kindNested && c.live() {
					ws = append(ws, c)
					sups[c] = s
				}
			}
		}
		if len(ws) == 0 {
			rt.Skip("no running worker")
		}
		c := ws[rapid.IntRange(0, len(ws)-1).Draw(rt, "worker")]
		class := supervisor.ExitAbnormal
		switch how {
		case "panic":
			class = supervisor.ExitPanic
		case "return":
			class = drawReturn(rt)
		}
		rt.Logf("step: %s %s (%s)", how, c.path, class)
		m.send(rt, c, class)
		m.expect(m.now, trExit, c.path, c.gen)
		m.exited(sups[c], c, class, m.now, nil)
	}
}

// drawReturn draws how an attempt returns: mostly normal exits, now and
// then an escalation.
func drawReturn(rt *rapid.T) supervisor.ExitClass {
	switch r := rapid.IntRange(0, 9).Draw(rt, "return"); {
	case r < 5:
		return supervisor.ExitNormal
	case r < 9:
		return supervisor.ExitShutdown
	}
	return supervisor.ExitEscalate
}

// send makes c's running attempt end with class, now.
func (m *model) send(rt *rapid.T, c *mchild, class supervisor.ExitClass) {
	// An attempt takes the instruction only if it runs and was not asked
	// to stop: fail rather than wait for ever.
	b := c.body
	b.tr.mu.Lock()
	ok := len(b.live) == 1 && b.live[0].Err() == nil
	b.tr.mu.Unlock()
	if n := b.c.Live(); n != 1 || !ok {
		rt.Fatalf("%s should be running, but %d attempts of it are live (stopping: %v)", c.path, n, !ok)
	}
	switch class {
	case supervisor.ExitAbnormal:
		c.body.c.Fail(errModelFail)
	case supervisor.ExitPanic:
		c.body.c.Panic("model: panic")
	case supervisor.ExitNormal:
		c.body.c.Return()
	case supervisor.ExitShutdown:
		c.body.c.Fail(errModelStop)
	case supervisor.ExitEscalate:
		c.body.c.Fail(errModelEsc)
	}
}

// overlap makes a worker of a one_for_all or rest_for_one supervisor s
// fail and, once the group restart it causes waits (for a slow or stuck
// stop, or for the backoff), makes another worker of s end on its own or
// sends a command about a child of s. If the group restart does not wait,
// the worker ends after it; the command is not sent.
func (m *model) overlap(rt *rapid.T) {
	type candidate struct {
		s *msup
		t *mchild
	}
	var cands []candidate
	for _, s := range m.supervisors() {
		if s.strategy == supervisor.OneForOne {
			continue
		}
		for _, t := range s.children {
			if t.kind != kindNested && t.live() {
				cands = append(cands, candidate{s, t})
			}
		}
	}
	if len(cands) == 0 {
		rt.Skip("no worker under one_for_all or rest_for_one")
	}
	cd := cands[rapid.IntRange(0, len(cands)-1).Draw(rt, "trigger")]
	s, t := cd.s, cd.t
	class := rapid.SampledFrom([]supervisor.ExitClass{supervisor.ExitAbnormal, supervisor.ExitPanic}).Draw(rt, "class")
	d := &during{s: s}
	var call func(*supervisor.Tree, context.Context, string, supervisor.Audit) error
	var op, path string
	if d.exit = rapid.Bool().Draw(rt, "exit"); d.exit {
		d.pick = rapid.IntRange(0, 9).Draw(rt, "pick")
		d.class = rapid.SampledFrom([]supervisor.ExitClass{supervisor.ExitAbnormal, supervisor.ExitPanic,
			supervisor.ExitNormal, supervisor.ExitShutdown, supervisor.ExitEscalate}).Draw(rt, "other class")
	} else {
		c := s.children[rapid.IntRange(0, len(s.children)-1).Draw(rt, "addressed")]
		d.cmd, path = c.name, c.path
		op = rapid.SampledFrom([]string{"pause", "quarantine", "resume", "restart", "remove", "reset"}).Draw(rt, "command")
		cmd := m.commands()[op]
		call, d.do = cmd.call, cmd.do
	}
	// The model first: it says which worker ends, if any.
	m.expect(m.now, trExit, t.path, t.gen)
	m.exited(s, t, class, m.now, d)
	if d.exit && !d.fired && !s.ended && m.end == nil {
		if ws := s.liveWorkers(nil); len(ws) > 0 {
			d.x = ws[d.pick%len(ws)]
			m.expect(m.now, trExit, d.x.path, d.x.gen)
			m.exited(s, d.x, d.class, m.now, nil)
		}
	}
	switch {
	case d.x != nil:
		rt.Logf("step: fail %s (%s), then end %s (%s) %s", t.path, class, d.x.path, d.class, d.when())
	case !d.exit && d.fired:
		rt.Logf("step: fail %s (%s), then %s %s %s", t.path, class, op, path, d.when())
	default:
		rt.Logf("step: fail %s (%s), nothing overlaps", t.path, class)
	}

	m.send(rt, t, class)
	synctest.Wait() // the group restart waits, or is over
	if x := d.x; x != nil {
		m.send(rt, x, d.class)
		return
	}
	if !d.exit && d.fired {
		ctx, cancel := m.ctx()
		defer cancel()
		err := call(m.tree, ctx, path, audit)
		wantErr(rt, op+"("+path+")", op, path, err, d.err)
		m.returnedAt(rt, op, d.done)
	}
}

func (d *during) when() string {
	switch {
	case !d.fired:
		return "after the group restart"
	case d.nested:
		return "while the nested supervisor stops"
	}
	return "while the group restart waits"
}

func (m *model) age(rt *rapid.T) {
	if m.agings >= modelMaxAgings {
		rt.Skip("aged enough")
	}
	rt.Logf("step: age")
	m.agings++
	m.epoch++
	for _, s := range m.supervisors() {
		s.recent = 0
	}
	for _, c := range m.all() {
		c.failures = 0
	}
	time.Sleep(modelPeriod)
}

// shutdown shuts the tree down and checks the report.
func (m *model) shutdown(rt *rapid.T) {
	rt.Logf("step: shutdown")
	end, outs := m.drain(m.root, m.now)
	e := &ending{outcomes: outs, left: m.left(end)}
	if len(e.left) > 0 {
		e.err = "abandoned"
		end += modelGrace
	}
	m.end = e
	ctx, cancel := m.ctx()
	defer cancel()
	_, err := m.tree.Shutdown(ctx, audit)
	m.returnedAt(rt, "Shutdown", end)
	m.checkResult(rt, "Shutdown", err)
	err = m.tree.RestartChild(ctx, "/a", audit)
	wantErr(rt, "RestartChild after shutdown", "restart", "/a", err, supervisor.ErrShuttingDown)
}

// checkResult checks the tree's result (from Wait or Shutdown) and report.
func (m *model) checkResult(rt *rapid.T, what string, err error) {
	e := m.end
	switch e.err {
	case "":
		if err != nil {
			rt.Fatalf("%s = %v, want nil", what, err)
		}
	case "abandoned":
		var ae *supervisor.AbandonedError
		var want []string
		for _, st := range e.left {
			want = append(want, st.path)
		}
		if !errors.As(err, &ae) || !errors.As(err, new(*supervisor.AbandonedError)) {
			rt.Fatalf("%s = %v, want an *AbandonedError", what, err)
		}
		got := slices.Clone(ae.Paths)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || ae.Goroutines != len(e.left) {
			rt.Fatalf("%s = %v (paths %q, %d goroutines), want paths %q, %d goroutines",
				what, err, got, ae.Goroutines, want, len(e.left))
		}
	case "intensity":
		var ie *supervisor.IntensityError
		if !errors.As(err, &ie) || ie.Path != "/" || ie.Child != e.child {
			rt.Fatalf("%s = %v, want an *IntensityError of / refusing %s", what, err, e.child)
		}
	case "escalation":
		var ee *supervisor.EscalationError
		if !errors.As(err, &ee) || !errors.Is(err, supervisor.ErrEscalate) || ee.Path != "/" || ee.Child != e.child {
			rt.Fatalf("%s = %v, want an *EscalationError of / from %s", what, err, e.child)
		}
	}
	r := m.tree.Report()
	if r == nil {
		rt.Fatalf("no shutdown report")
	}
	var got []outcome
	for _, o := range r.Children {
		got = append(got, outcome{o.Path, o.Outcome, o.Generation, o.Exit})
	}
	if !slices.Equal(got, e.outcomes) || r.GoroutinesLeft != len(e.left) {
		rt.Fatalf("shutdown report:\n got %v, %d goroutines left\nwant %v, %d goroutines left",
			got, r.GoroutinesLeft, e.outcomes, len(e.left))
	}
}

// check compares the tree with the model after a step.
func (m *model) check(rt *rapid.T) {
	if m.verified {
		return
	}
	for _, e := range m.exp {
		if e.at >= m.now+modelSettle {
			rt.Fatalf("the model's step lasts beyond modelSettle: %v", e)
		}
	}
	entries, violations := m.tr.snapshot()
	if len(violations) > 0 {
		rt.Fatalf("generation fence broken:\n%s", strings.Join(violations, "\n"))
	}
	if d := traceDiff(entries[m.mark:], m.exp); d != "" {
		rt.Fatalf("trace: %s", d)
	}
	if m.end != nil {
		m.checkEnded(rt)
		return
	}
	live := map[*body]int{}
	for _, c := range m.all() {
		if c.body != nil && c.live() {
			live[c.body]++
		}
	}
	for _, b := range m.bodies {
		if n := b.c.Live(); n != live[b] {
			rt.Fatalf("%s has %d live attempts, want %d", b.path, n, live[b])
		}
	}
	s := m.tree.Snapshot()
	cs := m.all()
	var gotPaths, wantPaths []string
	for _, info := range s.Children {
		gotPaths = append(gotPaths, info.Path)
	}
	for _, c := range cs {
		wantPaths = append(wantPaths, c.path)
	}
	if !slices.Equal(gotPaths, wantPaths) {
		rt.Fatalf("children %q, want %q", gotPaths, wantPaths)
	}
	for i, info := range s.Children {
		c := cs[i]
		attempt := c.attempt
		if c.live() {
			attempt = c.shown
		}
		nested := c.kind == kindNested
		if info.State != c.state || info.Generation != c.gen || info.Attempt != attempt ||
			info.Restarts != c.restarts || info.LastExit.Class != c.last || info.Restart != c.restart ||
			info.Supervisor != nested || info.Abandoned != 0 || info.Ready != (c.state == supervisor.StateRunning || c.state == supervisor.StateReady) ||
			(info.Reason != "") != c.limitQ || info.NextAttempt.IsZero() == c.limitQ {
			rt.Fatalf("%s: state %s, generation %d, attempt %d, restarts %d, last exit %s, %s, supervisor %v, abandoned %d, reason %q, next attempt %v\n"+
				"want: state %s, generation %d, attempt %d, restarts %d, last exit %s, %s, supervisor %v, quarantined by its limit: %v",
				c.path, info.State, info.Generation, info.Attempt, info.Restarts, info.LastExit.Class, info.Restart, info.Supervisor,
				info.Abandoned, info.Reason, info.NextAttempt,
				c.state, c.gen, attempt, c.restarts, c.last, c.restart, nested, c.limitQ)
		}
	}
	counts := map[supervisor.State]int{}
	for _, c := range cs {
		counts[c.state]++
	}
	if !maps.Equal(s.Counts, counts) {
		rt.Fatalf("counts %v, want %v", s.Counts, counts)
	}
	sups := m.supervisors()
	if len(s.Supervisors) != len(sups) {
		rt.Fatalf("%d supervisors, want %d", len(s.Supervisors), len(sups))
	}
	for i, si := range s.Supervisors {
		ms := sups[i]
		if si.Path != ms.path || si.Strategy != ms.strategy || si.RecentRestarts != ms.recent {
			rt.Fatalf("supervisor %s (%s): %d recent restarts, want %s (%s): %d",
				si.Path, si.Strategy, si.RecentRestarts, ms.path, ms.strategy, ms.recent)
		}
	}
}

// checkEnded checks a tree that ended: its result and report, and that
// nothing of it is left running.
func (m *model) checkEnded(rt *rapid.T) {
	select {
	case <-m.tree.Done():
	default:
		rt.Fatalf("the tree should have ended (%s of %s); state %+v", m.end.err, m.end.child, m.tree.Snapshot().Children)
	}
	m.checkResult(rt, "Wait", m.tree.Wait())
	if left := m.tree.Goroutines("/"); len(left) > 0 {
		rt.Fatalf("goroutines left running: %+v", left)
	}
	for _, b := range m.bodies {
		if n := b.c.Live(); n != 0 {
			rt.Fatalf("%s has %d live attempts after the tree ended", b.path, n)
		}
	}
	m.verified = true
}
