package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor"
)

// quietPoint is a measurement taken with the workload calmed and the tree
// back in its declared shape: every static child running, no temporary
// child, nothing paused, quarantined or waiting to restart, and no event
// published while the goroutines were counted. Two quiet points are the
// same tree state, so their goroutine counts must be equal: the honest
// way to compare goroutines across a run whose children come and go.
type quietPoint struct {
	// T is when it was reached, in seconds since the workload started;
	// Took how long settling took.
	T       float64       `json:"t"`
	Took    time.Duration `json:"took_ns"`
	Reached bool          `json:"reached"`
	// Problem says why the shape was not reached, if it was not.
	Problem string `json:"problem,omitempty"`

	Goroutines int `json:"goroutines"`
	// FDs is the number of open file descriptors, -1 where unavailable.
	FDs int `json:"fds"`
	// TreeGoroutines is how many goroutines carry the tree's pprof label.
	TreeGoroutines int    `json:"tree_goroutines"`
	Children       int    `json:"children"`
	Live           int    `json:"live"`
	Seq            uint64 `json:"seq"`

	// Restart accounting at Seq: the restarts State counts (the sum of
	// ChildInfo.Restarts) against those the events predict (see
	// restartModel), child by child; Differ counts the children that
	// differ and Mismatches names the first few. Comparable says whether the events are complete: the fast
	// subscriber lost nothing and stopped exactly at Seq.
	RestartsState  uint64   `json:"restarts_state"`
	RestartsEvents uint64   `json:"restarts_events"`
	Differ         int      `json:"differ"`
	Mismatches     []string `json:"mismatches,omitempty"`
	Comparable     bool     `json:"comparable"`
	NotComparable  string   `json:"not_comparable,omitempty"`
}

// settleTimeout bounds how long settle waits for the tree's shape.
const settleTimeout = 20 * time.Second

// settler brings a running tree back to its declared shape and measures it.
type settler struct {
	cfg   config
	tree  *supervisor.Tree
	w     *workload
	log   *commandLog
	fast  *subscriber
	start time.Time
	// children is how many children the declared tree has.
	children int
}

// settle calms the workload (the caller must have stopped the command
// driver), puts the tree back in shape (resuming what is paused or
// quarantined, removing temporary children) and takes a quiet point. It
// leaves the workload calm.
func (s *settler) settle(ctx context.Context) quietPoint {
	began := time.Now()
	s.w.calm.Store(true)
	deadline := began.Add(settleTimeout)
	var problem string
	for time.Now().Before(deadline) && ctx.Err() == nil {
		snap := s.tree.Snapshot()
		problem = s.shapeProblem(snap)
		if problem == "" {
			if q, ok := s.measure(snap); ok {
				q.T = time.Since(s.start).Seconds()
				q.Took = time.Since(began)
				return q
			}
			continue
		}
		s.repair(snap)
		time.Sleep(20 * time.Millisecond)
	}
	if ctx.Err() != nil {
		problem = "interrupted: " + problem
	}
	return quietPoint{T: time.Since(s.start).Seconds(), Took: time.Since(began), Problem: problem}
}

// shapeProblem says how snap differs from the declared shape, "" if not.
func (s *settler) shapeProblem(snap supervisor.Snapshot) string {
	if len(snap.Children) != s.children {
		return fmt.Sprintf("%d children, %d declared", len(snap.Children), s.children)
	}
	for _, c := range snap.Children {
		if (c.State != supervisor.StateRunning && c.State != supervisor.StateReady) || c.Abandoned > 0 {
			return fmt.Sprintf("%s is %s", c.Path, c.State)
		}
	}
	for _, sv := range snap.Supervisors {
		if sv.Restarting > 0 || sv.Queued > 0 {
			return fmt.Sprintf("%s has restarts in progress", sv.Path)
		}
	}
	return ""
}

// repair issues the commands that bring snap's children back into shape.
func (s *settler) repair(snap supervisor.Snapshot) {
	for _, c := range snap.Children {
		path := c.Path
		switch {
		case strings.HasPrefix(path, dynParent+"/"):
			s.log.do(opSettleRemove, s.cfg.CmdTimeout, func(ctx context.Context) error {
				return s.tree.RemoveChild(ctx, path, audit("settle"))
			})
		case c.State == supervisor.StatePaused, c.State == supervisor.StateQuarantined,
			c.State == supervisor.StateStopped, c.State == supervisor.StateFailed:
			s.log.do(opSettleResume, s.cfg.CmdTimeout, func(ctx context.Context) error {
				return s.tree.ResumeChild(ctx, path, audit("settle"))
			})
		}
	}
}

// measure counts goroutines once they are stable and the tree published
// nothing meanwhile; it reports false if either moved.
func (s *settler) measure(snap supervisor.Snapshot) (quietPoint, bool) {
	g := runtime.NumGoroutine()
	for range 4 {
		time.Sleep(50 * time.Millisecond)
		if n := runtime.NumGoroutine(); n != g {
			return quietPoint{}, false
		}
	}
	q := quietPoint{Reached: true, Goroutines: g, Children: len(snap.Children), Seq: snap.Seq,
		TreeGoroutines: countGroups(s.tree.Goroutines("/")), FDs: -1}
	if n, ok := countFDs(); ok {
		q.FDs = n
	}
	for _, c := range snap.Children {
		if c.State.Live() {
			q.Live++
		}
	}
	if s.tree.Snapshot().Seq != snap.Seq || runtime.NumGoroutine() != g {
		return quietPoint{}, false
	}
	s.accountRestarts(&q, snap)
	return q, true
}

// accountRestarts fills q's restart accounting from snap and the fast
// subscriber's restart model, once the subscriber has caught up with snap.
func (s *settler) accountRestarts(q *quietPoint, snap supervisor.Snapshot) {
	deadline := time.Now().Add(5 * time.Second)
	for s.fast.last.Load() < snap.Seq && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	q.RestartsState, q.RestartsEvents, q.Differ, q.Mismatches = s.fast.model.compare(snap)
	switch last := s.fast.last.Load(); {
	case last < snap.Seq:
		q.NotComparable = fmt.Sprintf("the fast subscriber is at event %d, behind %d", last, snap.Seq)
	case last > snap.Seq:
		q.NotComparable = "the tree published events while the restarts were counted"
	case s.fast.dropped.Load() > 0 || s.fast.gaps.Load() > 0:
		q.NotComparable = "the fast subscriber lost events"
	default:
		q.Comparable = true
	}
}

// countGroups adds up the goroutines of groups.
func countGroups(groups []supervisor.GoroutineStack) int {
	n := 0
	for _, g := range groups {
		n += g.Count
	}
	return n
}
