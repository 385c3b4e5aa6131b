//go:build !linux

package main

import "time"

// readRSS reports the resident set size as unavailable: it is read from
// /proc, which only Linux has here.
func readRSS() (rss, file uint64, ok bool) { return 0, 0, false }

// countFDs reports the number of open file descriptors as unavailable.
func countFDs() (int, bool) { return 0, false }

// cpuTime reports the process's CPU time as unavailable.
func cpuTime() (time.Duration, bool) { return 0, false }
