package main

import (
	"testing"

	"github.com/go-supervisor/supervisor"
)

func TestRestartModel(t *testing.T) {
	child := func(path string, kind supervisor.Kind, restarts uint64) supervisor.ChildInfo {
		return supervisor.ChildInfo{Path: path, Kind: kind, Restarts: restarts}
	}
	base := supervisor.Snapshot{Children: []supervisor.ChildInfo{
		child("/a", supervisor.KindWorker, 2),
		child("/s", supervisor.KindSupervisor, 0),
		child("/s/x", supervisor.KindWorker, 5),
		child("/s/y", supervisor.KindWorker, 0),
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
		child("/a", supervisor.KindWorker, 3),
		child("/s", supervisor.KindSupervisor, 1),
		child("/s/x", supervisor.KindWorker, 0),
		child("/s/y", supervisor.KindWorker, 1),
	}}
	if got, want, differ, diff := m.compare(now); got != 5 || want != 5 || differ != 0 {
		t.Errorf("compare: State %d, events %d, %d differ: %v", got, want, differ, diff)
	}
	now.Children[3].Restarts = 2
	if _, _, differ, diff := m.compare(now); differ != 1 || len(diff) != 1 || diff[0] != "/s/y: State 2, events 1" {
		t.Errorf("compare after a miscount: %d differ: %v", differ, diff)
	}
}
