package main

import (
	"testing"

	"github.com/go-supervisor/supervisor"
)

func TestRestartModel(t *testing.T) {
	child := func(path string, sup bool, restarts uint64) supervisor.ChildInfo {
		return supervisor.ChildInfo{Path: path, Supervisor: sup, Restarts: restarts}
	}
	base := supervisor.Snapshot{Children: []supervisor.ChildInfo{
		child("/a", false, 2),
		child("/s", true, 0),
		child("/s/x", false, 5),
		child("/s/y", false, 0),
	}}
	m := newRestartModel(base)
	for _, e := range []supervisor.Event{
		{Kind: supervisor.EventChildRestarting, Path: "/a"},
		{Kind: supervisor.EventChildRestarting, Path: "/s/x"},
		{Kind: supervisor.EventChildRestarting, Path: "/s"},
		{Kind: supervisor.EventChildStarting, Path: "/s"}, // /s starts afresh: /s/x and /s/y from 0
		{Kind: supervisor.EventChildRestarting, Path: "/s/y"},
		{Kind: supervisor.EventChildStarting, Path: "/a"}, // a worker's start resets nothing
		{Kind: supervisor.EventChildRestarting, Path: "/dyn/t1"},
		{Kind: supervisor.EventChildRemoved, Path: "/dyn/t1"},
	} {
		m.observe(e)
	}
	now := supervisor.Snapshot{Children: []supervisor.ChildInfo{
		child("/a", false, 3),
		child("/s", true, 1),
		child("/s/x", false, 0),
		child("/s/y", false, 1),
	}}
	if got, want, differ, diff := m.compare(now); got != 5 || want != 5 || differ != 0 {
		t.Errorf("compare: State %d, events %d, %d differ: %v", got, want, differ, diff)
	}
	now.Children[3].Restarts = 2
	if _, _, differ, diff := m.compare(now); differ != 1 || len(diff) != 1 || diff[0] != "/s/y: State 2, events 1" {
		t.Errorf("compare after a miscount: %d differ: %v", differ, diff)
	}
}
