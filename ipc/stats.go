package ipc

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/go-supervisor/supervisor"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc's CPU times: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// statsMaxAge is how long a sample of the children's resource use answers
// state's stats: a sample takes a goroutine profile, which stops the
// world, and reads /proc three times per process child, so that clients
// asking often share one.
const statsMaxAge = time.Second

// sampled is the last sample of the children's resource use.
type sampled struct {
	mu    sync.Mutex // held while sampling: one sample at a time
	at    time.Time
	stats []ChildStats
}

// childStats returns a sample of every child's resource use, at most
// statsMaxAge old.
func (e *Endpoint) childStats(s supervisor.Snapshot) []ChildStats {
	e.sampled.mu.Lock()
	defer e.sampled.mu.Unlock()
	if time.Since(e.sampled.at) > statsMaxAge {
		e.sampled.stats, e.sampled.at = e.sample(s), time.Now()
	}
	return e.sampled.stats
}

// sample samples every child's resource use: the goroutines carrying its
// label (one goroutine profile for all), and a process child's process,
// found by the pid its log records give (Logs).
func (e *Endpoint) sample(s supervisor.Snapshot) []ChildStats {
	counts := make(map[string]int)
	for _, g := range e.tree.Goroutines("/") {
		counts[g.Path] += g.Count
	}
	out := make([]ChildStats, 0, len(s.Children))
	for _, ch := range s.Children {
		st := ChildStats{Path: ch.Path, Goroutines: counts[ch.Path]}
		if e.wiring.Logs != nil && alive(ch.State) {
			if pid := e.wiring.Logs.pid(ch.Path); pid > 0 && readProc(pid, &st) {
				st.PID = pid
			}
		}
		out = append(out, st)
	}
	return out
}

// alive reports whether a child in state s has a running attempt.
func alive(s supervisor.State) bool {
	return s == supervisor.StateStarting || s == supervisor.StateRunning || s == supervisor.StateReady ||
		s == supervisor.StateStopping
}

// readProc reads the process pid's resident memory, CPU time and open
// files from /proc into st. It reports false if pid is not the leader of
// its own process group, as a process child is: it has ended, and the
// pid may be another process's now.
func readProc(pid int, st *ChildStats) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3, the state
	if len(f) < 22 {
		return false
	}
	num := func(field int) uint64 { n, _ := strconv.ParseUint(string(f[field-3]), 10, 64); return n }
	if int(num(5)) != pid { // pgrp
		return false
	}
	st.CPU = Duration(time.Duration(num(14)+num(15)) * time.Second / clockTicks)
	st.RSS = num(24) * uint64(os.Getpagesize())
	if fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd"); err == nil {
		st.OpenFiles = len(fds)
	}
	return true
}
