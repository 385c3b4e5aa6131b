// Package chaos is go-supervisor's chaos suite: scenarios that start real
// supervision trees, make their children misbehave (panic storms, goroutines
// that ignore cancellation, ten thousand failures, slow subscribers, command
// floods, stop races, CPU starvation, wall-clock steps) and check the tree's
// events, State and goroutines against stated limits.
//
// The package has no API: the scenarios are its tests.
//
//	go test ./chaos/                          # the short form, as CI runs it
//	CHAOS_DURATION=60s go test -timeout 1h ./chaos/  # the long form
//	CHAOS_VERDICTS=out go test ./chaos/       # also write JSON verdicts to out/
//	CHAOS_CLOCK_STEP=1 go test -run Clock ./chaos/   # steps the machine's wall clock: see below
//
// The clock-step scenario changes the clock of the whole machine by an hour
// each way (it needs CAP_SYS_TIME and puts the clock back). It runs only when
// asked for, never from .ci/run: run it alone, on a machine you may disturb.
// TestWallClockJumps in the root package checks the same immunity without
// touching the machine, by injecting jumps into the clock the engine reads.
//
// Each scenario ends with a verdict (internal/verdict's, the soak's form):
// every measured value with its limit and whether it held. A verdict is
// logged as a table (go test -v shows it), and written as JSON to
// $CHAOS_VERDICTS/<scenario>.json when that is set, with a summary.json of
// all of them. docs/reliability.md describes every scenario, the verdicts'
// JSON, and records a long run.
package chaos
