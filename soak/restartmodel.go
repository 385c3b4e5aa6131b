package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/go-supervisor/supervisor"
)

// restartModel predicts each child's ChildInfo.Restarts from the events:
// the counter a snapshot showed when the subscription began, plus one per
// child_restarting event since. A nested supervisor that starts again
// (child_starting for its path) starts its children afresh, with their
// counters at zero, so the model forgets the counters below it. It is
// safe for concurrent use: the fast subscriber feeds it while the settler
// compares it with a snapshot.
type restartModel struct {
	mu          sync.Mutex
	want        map[string]uint64 // path → expected Restarts; absent means 0
	supervisors map[string]bool   // paths of the tree's supervisors
}

func newRestartModel(snap supervisor.Snapshot) *restartModel {
	m := &restartModel{want: make(map[string]uint64), supervisors: make(map[string]bool)}
	for _, c := range snap.Children {
		if c.Restarts > 0 {
			m.want[c.Path] = c.Restarts
		}
		if c.Supervisor {
			m.supervisors[c.Path] = true
		}
	}
	return m
}

// observe applies one event received after the snapshot.
func (m *restartModel) observe(e supervisor.Event) {
	switch e.Kind {
	case supervisor.EventChildRestarting:
		m.mu.Lock()
		m.want[e.Path]++
		m.mu.Unlock()
	case supervisor.EventChildStarting:
		if !m.supervisors[e.Path] {
			return
		}
		prefix := e.Path + "/"
		m.mu.Lock()
		for p := range m.want {
			if strings.HasPrefix(p, prefix) {
				delete(m.want, p)
			}
		}
		m.mu.Unlock()
	case supervisor.EventChildRemoved:
		m.mu.Lock()
		delete(m.want, e.Path)
		m.mu.Unlock()
	}
}

// compare returns the restarts snap counts in all, those the model
// predicts, how many children they differ on, and the first few of those.
func (m *restartModel) compare(snap supervisor.Snapshot) (got, want uint64, differ int, diff []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := make(map[string]bool, len(snap.Children))
	for _, c := range snap.Children {
		seen[c.Path] = true
		w := m.want[c.Path]
		got += c.Restarts
		want += w
		if c.Restarts != w {
			differ++
			if len(diff) < 5 {
				diff = append(diff, fmt.Sprintf("%s: State %d, events %d", c.Path, c.Restarts, w))
			}
		}
	}
	for p, w := range m.want {
		if !seen[p] && w > 0 {
			want += w
			differ++
			if len(diff) < 5 {
				diff = append(diff, fmt.Sprintf("%s: not in State, events %d", p, w))
			}
		}
	}
	return got, want, differ, diff
}
