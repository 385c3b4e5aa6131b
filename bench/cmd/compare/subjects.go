package main

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/thejerf/suture/v4"
)

// A subject is one way of supervising goroutines, driven the same way by
// every scenario.
type subject struct {
	name string
	// restarting supervises one child that runs body again each time it
	// returns, until stop is called; stop returns once everything ended.
	restarting func(body func(context.Context) error) (stop func(), err error)
	// idle declares n children that each run body, in the subject's own
	// terms (go-supervisor's Spec, suture's services), and returns start,
	// which supervises them; stop returns once all of them have ended. The
	// declarations are made before the start is measured, as a program
	// makes them before it starts anything: the figures are what each
	// library costs to start what it was given.
	idle func(n int, body func(context.Context) error) (start func() (stop func(), err error))
}

var subjects = map[string]subject{
	"go-supervisor": {name: "go-supervisor", restarting: gosupRestarting, idle: gosupIdle},
	"protected":     {name: "protected", restarting: protectedRestarting},
	"suture":        {name: "suture", restarting: sutureRestarting, idle: sutureIdle},
	"floor":         {name: "floor", restarting: floorRestarting, idle: floorIdle},
}

// subjectOrder is the column order of the report.
var subjectOrder = []string{"go-supervisor", "protected", "suture", "floor"}

var errFail = errors.New("compare: child failed")

var stopAudit = supervisor.Audit{Who: "compare", Why: "measurement done"}

// go-supervisor, configured so that nothing but the engine is measured:
// restarts are immediate (no backoff, as in the peers) and the intensity
// never trips.
func gosupRestarting(body func(context.Context) error) (func(), error) {
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{
		Intensity: supervisor.Intensity{MaxRestarts: math.MaxInt32, Period: time.Second},
		Children:  []supervisor.Child{{Name: "c", Run: body}},
	})
	if err != nil {
		return nil, err
	}
	return func() { tree.Shutdown(context.Background(), stopAudit) }, nil
}

// protected is go-supervisor with every restart protection of the decision
// pipeline switched on, none of them tripping, so that each does its
// bookkeeping on every restart: an error rule that does not match (in the
// child's rules and the supervisor's), a restart limit (its window in
// bucket mode), liveness watching, a group with its own intensity and
// throttle, a restart budget and a supervisor throttle. Backoff is off, as
// in the plain configuration, since a delay is not an engine cost.
func protectedRestarting(body func(context.Context) error) (func(), error) {
	never := supervisor.Rule{Is: errNever, Action: supervisor.ActionStop}
	forever := supervisor.Intensity{MaxRestarts: math.MaxInt32, Period: time.Second}
	tree, err := supervisor.Start(context.Background(), supervisor.Spec{
		Intensity:     forever,
		Budget:        supervisor.Budget{Burst: math.MaxInt32, Refill: time.Nanosecond},
		MaxRestarting: 1,
		Groups:        []supervisor.Group{{Name: "g", Intensity: forever, MaxRestarting: 1}},
		Defaults:      supervisor.Defaults{Rules: []supervisor.Rule{never}},
		Children: []supervisor.Child{{Name: "c", Run: body, Group: "g",
			Rules:      []supervisor.Rule{never},
			Quarantine: supervisor.Quarantine{After: math.MaxInt32, Within: time.Second},
			Liveness:   supervisor.Liveness{Interval: time.Hour},
			Backoff:    supervisor.Backoff{Off: true}}},
	})
	if err != nil {
		return nil, err
	}
	return func() { tree.Shutdown(context.Background(), stopAudit) }, nil
}

var errNever = errors.New("compare: never returned")

func gosupIdle(n int, body func(context.Context) error) func() (func(), error) {
	cs := make([]supervisor.Child, n)
	for i := range cs {
		cs[i] = supervisor.Child{Name: "c" + strconv.Itoa(i), Run: body}
	}
	spec := supervisor.Spec{Children: cs}
	return func() (func(), error) {
		tree, err := supervisor.Start(context.Background(), spec)
		if err != nil {
			return nil, err
		}
		return func() { tree.Shutdown(context.Background(), stopAudit) }, nil
	}
}

// suture v4.0.6 with a no-op event hook (its default logs every event) and a
// failure threshold it never reaches (its default pauses the whole
// supervisor for 15 s after 5 quick failures).
func sutureSpec() suture.Spec {
	return suture.Spec{
		EventHook:        func(suture.Event) {},
		FailureThreshold: math.MaxFloat64,
		FailureDecay:     1,
	}
}

type sutureService func(context.Context) error

func (f sutureService) Serve(ctx context.Context) error { return f(ctx) }

func sutureRestarting(body func(context.Context) error) (func(), error) {
	sup := suture.New("compare", sutureSpec())
	sup.Add(sutureService(body))
	ctx, cancel := context.WithCancel(context.Background())
	errc := sup.ServeBackground(ctx)
	return func() { cancel(); <-errc }, nil
}

func sutureIdle(n int, body func(context.Context) error) func() (func(), error) {
	services := make([]suture.Service, n)
	for i := range services {
		services[i] = sutureService(body)
	}
	return func() (func(), error) {
		sup := suture.New("compare", sutureSpec())
		for _, s := range services {
			sup.Add(s)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := sup.ServeBackground(ctx)
		return func() { cancel(); <-errc }, nil
	}
}

// The floor: one supervising goroutine, a fresh context.WithCancel per run,
// one exit channel, no bookkeeping. Nothing supervises with less.
func floorRestarting(body func(context.Context) error) (func(), error) {
	root, cancelRoot := context.WithCancel(context.Background())
	exits := make(chan error)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			ctx, cancel := context.WithCancel(root)
			go func() { exits <- body(ctx) }()
			<-exits
			cancel()
			if root.Err() != nil {
				return
			}
		}
	}()
	return func() { cancelRoot(); <-done }, nil
}

func floorIdle(n int, body func(context.Context) error) func() (func(), error) {
	return func() (func(), error) { return floorStart(n, body) }
}

func floorStart(n int, body func(context.Context) error) (func(), error) {
	root, cancelRoot := context.WithCancel(context.Background())
	exits := make(chan error)
	var started sync.WaitGroup
	started.Add(1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			ctx, cancel := context.WithCancel(root)
			_ = cancel // cancelled through root
			go func() { exits <- body(ctx) }()
		}
		started.Done()
		for range n {
			<-exits
		}
	}()
	started.Wait()
	return func() { cancelRoot(); <-done }, nil
}
