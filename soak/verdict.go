package main

import (
	"fmt"
	"strings"
	"time"
)

// status is a check's result.
type status string

const (
	statusPass status = "pass"
	statusFail status = "fail"
	// statusInfo: measured and shown, not enforced (a short run's RSS
	// slope).
	statusInfo status = "info"
	// statusNA: could not be measured (RSS off Linux, a run interrupted
	// before warm-up ended); neither passes nor fails.
	statusNA status = "n/a"
)

// check is one line of the verdict.
type check struct {
	Name     string `json:"name"`
	Limit    string `json:"limit"`
	Measured string `json:"measured"`
	Status   status `json:"status"`
	Note     string `json:"note,omitempty"`
}

// verdict is the run's result: it passes when no check failed.
type verdict struct {
	Pass   bool     `json:"pass"`
	Failed []string `json:"failed,omitempty"`
	Checks []check  `json:"checks"`
}

// How short runs are judged. RSS moves in steps of whole spans as the heap
// grows and shrinks around each GC and as the scavenger returns pages, and
// it keeps settling for minutes after start-up as the runtime first
// touches memory it has already mapped. Over a minute those steps, not
// leaks, decide the fitted slope, and a slope per hour extrapolated from
// them is noise: 50 s runs of the same build gave anything from +12 to
// +200 MB/h. The RSS limit is therefore enforced only over a measured
// window of at least RSSMinWindow (30 min by default, so a 1 h run with
// its 6 min warm-up qualifies), and shown for information below that.
// What every run enforces instead is the growth of the live heap (what the
// last GC marked reachable, free of RSS's allocator and scavenger noise),
// fitted over the window, against an absolute bound of MaxHeapGrowthMB:
// over an hour that is as strict as the RSS limit, and over a minute it
// still catches any leak that grows the heap by that much, which the
// report converts into bytes per restart.

// judge computes the verdict of a finished run from its report.
func judge(r *report) verdict {
	cfg, a := r.cfg, r.Analysis
	var cs []check
	add := func(c check) { cs = append(cs, c) }

	// 1. RSS slope.
	rss := check{Name: "RSS growth after warm-up",
		Limit: fmt.Sprintf("< %g MB/h, enforced over a measured window of %v or more", cfg.MaxRSSSlopeMBh, cfg.RSSMinWindow)}
	switch {
	case !a.RSSOK:
		rss.Status, rss.Measured = statusNA, "unavailable"
		rss.Note = "RSS is read from /proc/self/statm, which " + r.Meta.GOOS + " does not have"
		if r.Meta.GOOS == "linux" {
			rss.Note = "too few RSS samples in the measured window"
		}
	default:
		rss.Measured = fmt.Sprintf("%+.2f MB/h (naive SE ±%.2f) over %v, %d samples; anonymous %+.2f, file-backed %+.2f; "+
			"Go runtime's unreleased memory %+.2f MB/h, %.2f MB above anonymous RSS at the end",
			a.RSSSlopeMBh, a.RSSSlopeSEMBh, a.Window.Round(time.Second), a.WindowSamples,
			a.AnonSlopeMBh, a.FileSlopeMBh, a.GoMappedSlopeMBh, a.AnonHeadroomMB)
		switch {
		case a.Window < cfg.RSSMinWindow:
			rss.Status = statusInfo
			rss.Note = fmt.Sprintf("not enforced: a %v window is too short for a per-hour RSS slope to mean anything; "+
				"the live-heap bound is enforced instead", a.Window.Round(time.Second))
		case a.RSSSlopeMBh < cfg.MaxRSSSlopeMBh:
			rss.Status = statusPass
		default:
			rss.Status = statusFail
		}
	}
	add(rss)

	// 2. Live heap.
	heap := check{Name: "Live-heap growth after warm-up",
		Limit: fmt.Sprintf("< %g MB over the measured window (least-squares fit)", cfg.MaxHeapGrowthMB)}
	switch {
	case !a.HeapLiveOK:
		heap.Status, heap.Measured = statusNA, "too few samples"
		if r.Meta.Interrupted {
			heap.Note = "the run was interrupted"
		}
	default:
		heap.Measured = fmt.Sprintf("%+.3f MB over %v (%+.3f MB/h)", a.HeapGrowthMB, a.Window.Round(time.Second),
			a.HeapLive.Slope*3600/mb)
		heap.Status = passIf(a.HeapGrowthMB < cfg.MaxHeapGrowthMB)
		if a.RestartsInWindow > 0 {
			heap.Note = fmt.Sprintf("the limit is a leak of %.3g bytes per restart over the window's %d restarts",
				cfg.MaxHeapGrowthMB*mb/float64(a.RestartsInWindow), a.RestartsInWindow)
		}
	}
	add(heap)

	// 3. Goroutines at the same tree state.
	g := r.Goroutines
	drift := check{Name: "Goroutine drift (same tree state)",
		Limit: "0: equal counts at the quiet points after warm-up and at the end"}
	switch {
	case g.Warm == nil || g.End == nil:
		drift.Status, drift.Measured = statusNA, "not measured"
		drift.Note = "the run was interrupted before warm-up ended"
	case !g.Warm.Reached || !g.End.Reached:
		drift.Status, drift.Measured = statusFail, "the tree did not return to its declared shape"
		drift.Note = g.Warm.Problem + " " + g.End.Problem
	default:
		d := g.End.Goroutines - g.Warm.Goroutines
		drift.Measured = fmt.Sprintf("%+d (%d after warm-up, %d at the end; %d children running at both)",
			d, g.Warm.Goroutines, g.End.Goroutines, g.End.Live)
		drift.Status = passIf(d == 0)
	}
	add(drift)

	// 3b. File descriptors at the same tree state.
	fds := check{Name: "Open FDs (same tree state)", Limit: "equal at the quiet points after warm-up and at the end"}
	switch {
	case g.Warm == nil || g.End == nil || !g.Warm.Reached || !g.End.Reached:
		fds.Status, fds.Measured = statusNA, "not measured"
	case g.Warm.FDs < 0 || g.End.FDs < 0:
		fds.Status, fds.Measured = statusNA, "unavailable"
		fds.Note = "read from /proc/self/fd, which " + r.Meta.GOOS + " does not have"
	default:
		fds.Measured = fmt.Sprintf("%d after warm-up, %d at the end", g.Warm.FDs, g.End.FDs)
		fds.Status = passIf(g.Warm.FDs == g.End.FDs)
	}
	add(fds)

	// 4. Goroutines after shutdown.
	base := check{Name: "Goroutines after shutdown",
		Limit: "back to the pre-start baseline; none left with the run's label"}
	base.Measured = fmt.Sprintf("%d (baseline %d), %d labelled left", g.AfterShutdown, g.Baseline, g.Leftover)
	base.Status = passIf(g.AfterShutdown == g.Baseline && g.Leftover == 0)
	add(base)

	// 5. Shutdown report.
	sd := r.Shutdown
	shut := check{Name: "Shutdown report", Limit: "no goroutines left, no child abandoned, Wait returns nil"}
	shut.Measured = fmt.Sprintf("%d goroutines left, %d abandoned, %d late, Wait: %s",
		sd.GoroutinesLeft, sd.Outcomes["abandoned"], sd.Outcomes["late"], orNil(sd.WaitErr))
	shut.Status = passIf(sd.Reported && sd.GoroutinesLeft == 0 && sd.Outcomes["abandoned"] == 0 &&
		sd.Outcomes["late"] == 0 && sd.WaitErr == "")
	if !sd.Reported {
		shut.Note = "no shutdown report: " + sd.Err
	}
	add(shut)

	// 6. Event sequence.
	var gaps, anomalies, dropped, mismatch uint64
	for _, s := range r.Subscribers {
		gaps += s.Gaps
		anomalies += s.Anomalies
		dropped += s.Dropped
		if s.ToEnd && s.Dropped != s.LibDropped {
			mismatch++
		}
	}
	ev := check{Name: "Event gaps", Limit: "0 missing events not announced by a drop notice; 0 duplicates or reorderings"}
	ev.Measured = fmt.Sprintf("%d gaps, %d anomalies; %d dropped and announced, across %d subscribers",
		gaps, anomalies, dropped, len(r.Subscribers))
	ev.Status = passIf(gaps == 0 && anomalies == 0 && mismatch == 0)
	if mismatch > 0 {
		ev.Note = fmt.Sprintf("%d subscribers' notices disagree with Subscription.Dropped", mismatch)
	}
	add(ev)

	// 7. Commands.
	var issued, ok, typed, timeout, untyped uint64
	for _, c := range r.Commands {
		issued += c.Issued
		ok += c.OK
		typed += c.Typed
		timeout += c.Unanswered
		untyped += c.Untyped
	}
	cmd := check{Name: "Commands answered",
		Limit: fmt.Sprintf("every command answered within %v, with nil or a documented typed error", cfg.CmdTimeout)}
	cmd.Measured = fmt.Sprintf("%d issued: %d ok, %d typed errors, %d unanswered, %d untyped", issued, ok, typed, timeout, untyped)
	cmd.Status = passIf(timeout == 0 && untyped == 0 && issued == ok+typed)
	add(cmd)

	// 8. Restart accounting.
	acc := check{Name: "Restart accounting", Limit: "each child's ChildInfo.Restarts = its child_restarting events"}
	switch {
	case g.End == nil || !g.End.Reached:
		acc.Status, acc.Measured = statusNA, "no final quiet point"
	case !g.End.Comparable:
		acc.Status, acc.Measured = statusNA, "not comparable"
		acc.Note = g.End.NotComparable
	default:
		acc.Measured = fmt.Sprintf("%d from Snapshot, %d from events, %d children differ",
			g.End.RestartsState, g.End.RestartsEvents, g.End.Differ)
		acc.Status = passIf(g.End.Differ == 0 && g.End.RestartsState == g.End.RestartsEvents)
		if len(g.End.Mismatches) > 0 {
			acc.Note = strings.Join(g.End.Mismatches, "; ")
		}
	}
	add(acc)

	// 9. The tree stayed up.
	w := r.Workload
	up := check{Name: "Tree stayed up", Limit: "no supervisor exceeded its intensity or escalated; the tree ran until shut down"}
	up.Measured = fmt.Sprintf("%d intensity exceeded, %d escalations, ended early: %v", w.IntensityExceeded, w.Escalations, w.EndedEarly)
	up.Status = passIf(w.IntensityExceeded == 0 && w.Escalations == 0 && !w.EndedEarly)
	add(up)

	// 10. The workload was delivered.
	load := check{Name: "Workload delivered",
		Limit: fmt.Sprintf("≥ %g × %g exits/s while armed", cfg.MinWorkload, cfg.FailRate)}
	load.Measured = fmt.Sprintf("%.1f exits/s, %.1f restarts/s over %v armed", w.ExitsPerSec, w.RestartsPerSec,
		w.Armed.Round(time.Second))
	load.Status = passIf(w.ExitsPerSec >= cfg.MinWorkload*cfg.FailRate)
	if w.Armed == 0 {
		load.Status, load.Note = statusNA, "the workload never ran"
	}
	add(load)

	v := verdict{Pass: true, Checks: cs}
	for _, c := range cs {
		if c.Status == statusFail {
			v.Pass = false
			v.Failed = append(v.Failed, c.Name)
		}
	}
	return v
}

func passIf(ok bool) status {
	if ok {
		return statusPass
	}
	return statusFail
}

func orNil(s string) string {
	if s == "" {
		return "nil"
	}
	return s
}
