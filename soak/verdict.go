package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-supervisor/supervisor/internal/verdict"
)

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

// judge computes the verdict of a finished run from its report: one check
// per function below, each deciding its status from the report alone.
func judge(r *report) verdict.Verdict {
	return verdict.Judge([]verdict.Check{
		rssCheck(r),
		heapCheck(r),
		driftCheck(r),
		fdCheck(r),
		baselineCheck(r),
		shutdownCheck(r),
		eventCheck(r),
		commandCheck(r),
		accountingCheck(r),
		treeUpCheck(r),
		workloadCheck(r),
	})
}

// rssCheck holds the RSS slope after warm-up to its limit, over a window
// long enough for a slope per hour to mean anything.
func rssCheck(r *report) verdict.Check {
	cfg, a := r.cfg, r.Analysis
	c := verdict.Check{Name: "RSS growth after warm-up",
		Limit: fmt.Sprintf("< %g MB/h, enforced over a measured window of %v or more", cfg.MaxRSSSlopeMBh, cfg.RSSMinWindow)}
	if !a.RSSOK {
		c.Status, c.Measured = verdict.NA, "unavailable"
		c.Note = "RSS is read from /proc/self/statm, which " + r.Meta.GOOS + " does not have"
		if r.Meta.GOOS == "linux" {
			c.Note = "too few RSS samples in the measured window"
		}
		return c
	}
	c.Measured = fmt.Sprintf("%+.2f MB/h (naive SE ±%.2f) over %v, %d samples; anonymous %+.2f, file-backed %+.2f; "+
		"Go runtime's unreleased memory %+.2f MB/h, %.2f MB above anonymous RSS at the end",
		a.RSSSlopeMBh, a.RSSSlopeSEMBh, a.Window.Round(time.Second), a.WindowSamples,
		a.AnonSlopeMBh, a.FileSlopeMBh, a.GoMappedSlopeMBh, a.AnonHeadroomMB)
	switch {
	case a.Window < cfg.RSSMinWindow:
		c.Status = verdict.Info
		c.Note = fmt.Sprintf("not enforced: a %v window is too short for a per-hour RSS slope to mean anything; "+
			"the live-heap bound is enforced instead", a.Window.Round(time.Second))
	default:
		c.Status = verdict.PassIf(a.RSSSlopeMBh < cfg.MaxRSSSlopeMBh)
	}
	return c
}

// heapCheck holds the live heap's growth over the measured window to its
// bound, whatever the run's length.
func heapCheck(r *report) verdict.Check {
	cfg, a := r.cfg, r.Analysis
	c := verdict.Check{Name: "Live-heap growth after warm-up",
		Limit: fmt.Sprintf("< %g MB over the measured window (least-squares fit)", cfg.MaxHeapGrowthMB)}
	if !a.HeapLiveOK {
		c.Status, c.Measured = verdict.NA, "too few samples"
		if r.Meta.Interrupted {
			c.Note = "the run was interrupted"
		}
		return c
	}
	c.Measured = fmt.Sprintf("%+.3f MB over %v (%+.3f MB/h)", a.HeapGrowthMB, a.Window.Round(time.Second),
		a.HeapLive.Slope*3600/mb)
	c.Status = verdict.PassIf(a.HeapGrowthMB < cfg.MaxHeapGrowthMB)
	if a.RestartsInWindow > 0 {
		c.Note = fmt.Sprintf("the limit is a leak of %.3g bytes per restart over the window's %d restarts",
			cfg.MaxHeapGrowthMB*mb/float64(a.RestartsInWindow), a.RestartsInWindow)
	}
	return c
}

// driftCheck compares the goroutines at the two quiet points, where the
// tree is in the same state.
func driftCheck(r *report) verdict.Check {
	g := r.Goroutines
	c := verdict.Check{Name: "Goroutine drift (same tree state)",
		Limit: "0: equal counts at the quiet points after warm-up and at the end"}
	switch {
	case g.Warm == nil || g.End == nil:
		c.Status, c.Measured = verdict.NA, "not measured"
		c.Note = "the run was interrupted before warm-up ended"
	case !g.Warm.Reached || !g.End.Reached:
		c.Status, c.Measured = verdict.Fail, "the tree did not return to its declared shape"
		c.Note = g.Warm.Problem + " " + g.End.Problem
	default:
		d := g.End.Goroutines - g.Warm.Goroutines
		c.Measured = fmt.Sprintf("%+d (%d after warm-up, %d at the end; %d children running at both)",
			d, g.Warm.Goroutines, g.End.Goroutines, g.End.Live)
		c.Status = verdict.PassIf(d == 0)
	}
	return c
}

// fdCheck compares the open file descriptors at the two quiet points.
func fdCheck(r *report) verdict.Check {
	g := r.Goroutines
	c := verdict.Check{Name: "Open FDs (same tree state)", Limit: "equal at the quiet points after warm-up and at the end"}
	switch {
	case g.Warm == nil || g.End == nil || !g.Warm.Reached || !g.End.Reached:
		c.Status, c.Measured = verdict.NA, "not measured"
	case g.Warm.FDs < 0 || g.End.FDs < 0:
		c.Status, c.Measured = verdict.NA, "unavailable"
		c.Note = "read from /proc/self/fd, which " + r.Meta.GOOS + " does not have"
	default:
		c.Measured = fmt.Sprintf("%d after warm-up, %d at the end", g.Warm.FDs, g.End.FDs)
		c.Status = verdict.PassIf(g.Warm.FDs == g.End.FDs)
	}
	return c
}

// baselineCheck compares the goroutines after shutdown with those before
// the start, and looks for any left with the run's label.
func baselineCheck(r *report) verdict.Check {
	g := r.Goroutines
	return verdict.Check{Name: "Goroutines after shutdown",
		Limit:    "back to the pre-start baseline; none left with the run's label",
		Measured: fmt.Sprintf("%d (baseline %d), %d labelled left", g.AfterShutdown, g.Baseline, g.Leftover),
		Status:   verdict.PassIf(g.AfterShutdown == g.Baseline && g.Leftover == 0),
	}
}

// shutdownCheck reads the tree's shutdown report and Wait's result.
func shutdownCheck(r *report) verdict.Check {
	sd := r.Shutdown
	c := verdict.Check{Name: "Shutdown report", Limit: "no goroutines left, no child abandoned, Wait returns nil"}
	c.Measured = fmt.Sprintf("%d goroutines left, %d abandoned, %d late, Wait: %s",
		sd.GoroutinesLeft, sd.Outcomes["abandoned"], sd.Outcomes["late"], orNil(sd.WaitErr))
	c.Status = verdict.PassIf(sd.Reported && sd.GoroutinesLeft == 0 && sd.Outcomes["abandoned"] == 0 &&
		sd.Outcomes["late"] == 0 && sd.WaitErr == "")
	if !sd.Reported {
		c.Note = "no shutdown report: " + sd.Err
	}
	return c
}

// eventCheck sums the subscribers' sequence checks: every event received
// or announced as dropped, and the announcements equal to what the
// subscriptions counted.
func eventCheck(r *report) verdict.Check {
	var gaps, anomalies, dropped, mismatch uint64
	for _, s := range r.Subscribers {
		gaps += s.Gaps
		anomalies += s.Anomalies
		dropped += s.Dropped
		if s.ToEnd && s.Dropped != s.LibDropped {
			mismatch++
		}
	}
	c := verdict.Check{Name: "Event gaps", Limit: "0 missing events not announced by a drop notice; 0 duplicates or reorderings"}
	c.Measured = fmt.Sprintf("%d gaps, %d anomalies; %d dropped and announced, across %d subscribers",
		gaps, anomalies, dropped, len(r.Subscribers))
	c.Status = verdict.PassIf(gaps == 0 && anomalies == 0 && mismatch == 0)
	if mismatch > 0 {
		c.Note = fmt.Sprintf("%d subscribers' notices disagree with Subscription.Dropped", mismatch)
	}
	return c
}

// commandCheck sums the commands' answers: each answered in time, with nil
// or a documented typed error.
func commandCheck(r *report) verdict.Check {
	var issued, ok, typed, timeout, untyped uint64
	for _, c := range r.Commands {
		issued += c.Issued
		ok += c.OK
		typed += c.Typed
		timeout += c.Unanswered
		untyped += c.Untyped
	}
	return verdict.Check{Name: "Commands answered",
		Limit:    fmt.Sprintf("every command answered within %v, with nil or a documented typed error", r.cfg.CmdTimeout),
		Measured: fmt.Sprintf("%d issued: %d ok, %d typed errors, %d unanswered, %d untyped", issued, ok, typed, timeout, untyped),
		Status:   verdict.PassIf(timeout == 0 && untyped == 0 && issued == ok+typed),
	}
}

// accountingCheck compares each child's restart counter at the final quiet
// point with the restarts its events announced.
func accountingCheck(r *report) verdict.Check {
	end := r.Goroutines.End
	c := verdict.Check{Name: "Restart accounting", Limit: "each child's ChildInfo.Restarts = its child_restarting events"}
	switch {
	case end == nil || !end.Reached:
		c.Status, c.Measured = verdict.NA, "no final quiet point"
	case !end.Comparable:
		c.Status, c.Measured = verdict.NA, "not comparable"
		c.Note = end.NotComparable
	default:
		c.Measured = fmt.Sprintf("%d from Snapshot, %d from events, %d children differ",
			end.RestartsState, end.RestartsEvents, end.Differ)
		c.Status = verdict.PassIf(end.Differ == 0 && end.RestartsState == end.RestartsEvents)
		if len(end.Mismatches) > 0 {
			c.Note = strings.Join(end.Mismatches, "; ")
		}
	}
	return c
}

// treeUpCheck requires that no supervisor gave up: the tree ran until the
// soak shut it down.
func treeUpCheck(r *report) verdict.Check {
	w := r.Workload
	return verdict.Check{Name: "Tree stayed up",
		Limit:    "no supervisor exceeded its intensity or escalated; the tree ran until shut down",
		Measured: fmt.Sprintf("%d intensity exceeded, %d escalations, ended early: %v", w.IntensityExceeded, w.Escalations, w.EndedEarly),
		Status:   verdict.PassIf(w.IntensityExceeded == 0 && w.Escalations == 0 && !w.EndedEarly),
	}
}

// workloadCheck requires that the run delivered its failures: a soak that
// did not soak proves nothing.
func workloadCheck(r *report) verdict.Check {
	cfg, w := r.cfg, r.Workload
	c := verdict.Check{Name: "Workload delivered",
		Limit: fmt.Sprintf("≥ %g × %g exits/s while armed", cfg.MinWorkload, cfg.FailRate)}
	c.Measured = fmt.Sprintf("%.1f exits/s, %.1f restarts/s over %v armed", w.ExitsPerSec, w.RestartsPerSec,
		w.Armed.Round(time.Second))
	c.Status = verdict.PassIf(w.ExitsPerSec >= cfg.MinWorkload*cfg.FailRate)
	if w.Armed == 0 {
		c.Status, c.Note = verdict.NA, "the workload never ran"
	}
	return c
}

func orNil(s string) string {
	if s == "" {
		return "nil"
	}
	return s
}
