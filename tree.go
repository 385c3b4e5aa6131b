package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/go-supervisor/supervisor/internal/goroutines"
)

// Tree is a running supervision tree. Start creates one; its methods are
// safe for concurrent use.
//
// Each supervisor in the tree (the root and every nested one) has one
// goroutine, its control loop, which alone changes that supervisor's state;
// children report to it over a channel. The loops publish their state
// changes and events under one tree lock, so that Snapshot, Journal and the
// event sequence always agree. Nothing in a loop waits on a child.
type Tree struct {
	id   string
	name string
	base time.Time // the origin of the tree's monotonic clock
	// hooks of the package's tests: wall-clock jumps, profiles.
	hooks   hooks
	baseCtx context.Context // values for children: Start's ctx without its cancellation
	// labelKey is the key under which runtime/pprof keeps labels in a
	// context (see labelSet); nil if it could not be learnt.
	labelKey any
	// labelBase holds only the pprof labels of Start's ctx, which every
	// child's labels extend: a short chain to look them up in.
	labelBase context.Context
	seed      uint64
	// Fixed at Start (see Apply).
	logger      *slog.Logger
	journalSize int
	compiler    compiler      // used under mu
	applying    chan struct{} // a token held by Apply: one at a time
	root        *node
	started     chan error // the root's start result, sent once
	done        chan struct{}
	logs        sync.WaitGroup

	mu             sync.Mutex // the tree lock
	seq            uint64
	corr           uint64
	count          int // children of running supervisors, for sizing snapshots
	journal        ring
	journalDropped uint64
	summaries      summarizer
	subs           []*Subscription
	ended          bool
	startErr       error
	err            error
	report         *ShutdownReport
}

// Start validates spec, starts its children in declaration order (each
// child with ReadinessExplicit must be ready before the next one starts) and
// returns the running tree. Cancelling ctx shuts the tree down; values in
// ctx are visible to every child's context.
//
// If a child fails to start, the children already started are stopped in
// reverse order and Start returns a *StartError naming the child. An invalid
// spec gives a *ValidationError listing every problem.
//
// The tree compiles spec at Start and does not read it afterwards: the
// caller may change or reuse it.
func Start(ctx context.Context, spec Spec) (*Tree, error) {
	return start(ctx, spec, hooks{})
}

// hooks let the package's own tests watch the engine from inside.
type hooks struct {
	// wall, if set, replaces time.Now for the timestamps the tree shows.
	wall func() time.Time
	// profile, if set, runs as the tree takes a goroutine profile.
	profile func()
}

// start is Start with test hooks.
func start(ctx context.Context, spec Spec, h hooks) (*Tree, error) {
	root := &spec
	var v validator
	v.spec(root, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	t := &Tree{
		id:   fmt.Sprintf("%08x", rand.Uint32()),
		name: root.Name,
		// One nanosecond before now, so that every time taken on the tree's
		// clock is positive and zero can mean "never".
		base:     time.Now().Add(-time.Nanosecond),
		baseCtx:  context.WithoutCancel(ctx),
		hooks:    h,
		seed:     root.Seed,
		started:  make(chan error, 1),
		applying: make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if t.seed == 0 {
		t.seed = rand.Uint64()
	}
	t.setLabelKey(pprofLabelKey())
	size := root.JournalSize
	if size == 0 {
		size = DefaultJournalSize
	}
	if size > 0 {
		t.journal.buf = make([]Event, size)
	}
	t.logger, t.journalSize = root.Logger, size
	t.summaries.journal = &t.journal
	t.root = newNode(t, "/", t.compiler.spec(root), nil)
	t.root.stopC = ctx.Done()
	t.count = len(t.root.children)
	if root.Logger != nil {
		sub := t.Subscribe(4 * defaultSubscriberBuffer)
		t.logs.Add(1)
		go t.logEvents(root.Logger, sub)
	}
	go t.runRoot()
	if err := <-t.started; err != nil {
		<-t.done
		return nil, err
	}
	return t, nil
}

func (t *Tree) runRoot() {
	t.root.run()
	t.logs.Wait()
	close(t.done)
}

// ID returns the tree's identifier: 8 hex digits, random per Start. It
// prefixes the pprof label of every goroutine in the tree.
func (t *Tree) ID() string { return t.id }

// Name returns the root spec's Name.
func (t *Tree) Name() string { return t.name }

// Done returns a channel closed when the tree has ended.
func (t *Tree) Done() <-chan struct{} { return t.done }

// Wait waits for the tree to end and returns why it ended: nil after a
// requested shutdown (by Shutdown or by cancelling Start's context) that
// left no goroutine behind; an *AbandonedError if goroutines were left
// running; an *IntensityError or *EscalationError if the root supervisor
// gave up.
func (t *Tree) Wait() error {
	<-t.done
	return t.err
}

// Report returns the shutdown report once the tree has ended, nil before.
// It is the same report Shutdown returns, and the only way to read it when
// the tree ended without a Shutdown call: by the cancellation of Start's
// context, or because the root supervisor gave up (see Wait).
func (t *Tree) Report() *ShutdownReport {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.report
}

// nextCorr returns a new correlation id; the tree lock is held.
func (t *Tree) nextCorr() uint64 {
	t.corr++
	return t.corr
}

// clock reads the time: the wall clock, for the timestamps the tree shows,
// and the monotonic clock, as nanoseconds since base, for every decision.
func (t *Tree) clock() (wall time.Time, mono int64) {
	wall = time.Now()
	mono = int64(wall.Sub(t.base))
	if t.hooks.wall != nil {
		wall = t.hooks.wall()
	}
	return wall, mono
}

// now reads the wall clock, for a timestamp.
func (t *Tree) now() time.Time {
	w, _ := t.clock()
	return w
}

// finish records the tree's end; the tree lock is held.
func (t *Tree) finish(r *ShutdownReport, err error) {
	t.report = r
	t.err = err
	t.ended = true
	for _, s := range t.subs {
		s.end()
	}
	t.subs = nil
}

// keyProbe records the key it is asked for.
type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// pprofLabelKey learns the key under which runtime/pprof stores labels in a
// context. The package does not export it, but pprof.WithLabels reads the
// labels already in the parent context, under that key, before adding its
// own.
func pprofLabelKey() any {
	p := &keyProbe{Context: context.Background()}
	pprof.WithLabels(p, pprof.LabelSet{})
	return p.key
}

// setLabelKey records the key under which runtime/pprof keeps labels (nil
// if it could not be learnt), and the labels of Start's ctx under it.
func (t *Tree) setLabelKey(key any) {
	t.labelKey, t.labelBase = key, t.baseCtx
	if key != nil {
		t.labelBase = context.Background()
		if set := t.baseCtx.Value(key); set != nil {
			t.labelBase = context.WithValue(context.Background(), key, set)
		}
	}
}

// labelSet returns the pprof label set {"supervisor": value}, merged with
// the labels of the context given to Start.
//
// Each child keeps its set to label its goroutines. runtime/pprof only hands
// a set out inside a context; the tree keeps the set itself and answers for
// it in attempt.Value, which saves a 48-byte context per child. If the key
// could not be learnt, the child keeps the context instead.
func (t *Tree) labelSet(value string) any {
	ctx := pprof.WithLabels(t.labelBase, pprof.Labels(labelKey, value))
	if t.labelKey != nil {
		if set := ctx.Value(t.labelKey); set != nil {
			return set
		}
	}
	return ctx
}

// GoroutineStack is a group of goroutines with the same stack, left running
// by a child.
type GoroutineStack struct {
	// Path is the child whose label the goroutines carry: the child itself
	// or a goroutine it started.
	Path  string `json:"path"`
	Count int    `json:"count"`
	// Stack has one "function file:line" frame per line, innermost first.
	Stack string `json:"stack"`
}

// Goroutines lists the goroutines now carrying the labels of the child at
// path or of its descendants ("/" for the whole tree), from a goroutine
// profile. Unlike the shutdown report, which lists what an ended tree left,
// it looks at a running tree: what a live child runs (to debug a stuck
// one), or what a removed child left. supervisortest's leak check uses it.
// A profile stops the world briefly; do not call it on a hot path.
func (t *Tree) Goroutines(path string) []GoroutineStack {
	return t.goroutinesUnder(path)
}

func (t *Tree) goroutinesUnder(path string) []GoroutineStack {
	if t.hooks.profile != nil {
		t.hooks.profile()
	}
	prefix := t.id + ":"
	want := prefix + path
	groups := goroutines.Capture(labelKey, func(v string) bool {
		if path == "/" {
			return strings.HasPrefix(v, prefix)
		}
		return v == want || strings.HasPrefix(v, want+"/")
	})
	out := make([]GoroutineStack, len(groups))
	for i, g := range groups {
		out[i] = GoroutineStack{Path: g.Label[len(prefix):], Count: g.Count, Stack: g.Stack}
	}
	return out
}

// filterStacks keeps the groups of the child at path and its descendants.
func filterStacks(all []GoroutineStack, path string) []GoroutineStack {
	var out []GoroutineStack
	for _, g := range all {
		if g.Path == path || strings.HasPrefix(g.Path, path+"/") {
			out = append(out, g)
		}
	}
	return out
}

func stackCount(gs []GoroutineStack) int {
	n := 0
	for _, g := range gs {
		n += g.Count
	}
	return n
}
