package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// A figure is one row of the report.
type figure struct {
	key   string
	label string
	unit  string  // how to print it
	scale float64 // value / scale is printed
	// higherBetter is true for rates.
	higherBetter bool
	// headline figures decide whether go-supervisor is at or ahead of suture.
	headline bool
}

func figures(res *Results) []figure {
	fs := []figure{
		{key: "restart_p50_ns", label: "restart latency p50", unit: "µs", scale: 1e3, headline: true},
		{key: "restart_p90_ns", label: "restart latency p90", unit: "µs", scale: 1e3},
		{key: "restart_p99_ns", label: "restart latency p99", unit: "µs", scale: 1e3},
		{key: "restarts_per_sec", label: "restart throughput", unit: "M/s", scale: 1e6, higherBetter: true, headline: true},
		{key: "bytes_per_restart", label: "bytes per restart", unit: "B", scale: 1},
		{key: "allocs_per_restart", label: "allocations per restart", unit: "", scale: 1, headline: true},
	}
	for _, size := range sizesIn(res) {
		fs = append(fs,
			figure{key: "start_" + size + "_ms", label: "start " + size + " idle children", unit: "ms", scale: 1},
			figure{key: "stop_" + size + "_ms", label: "stop " + size + " idle children", unit: "ms", scale: 1, headline: true},
			figure{key: "start_alloc_" + size + "_B_child", label: "bytes allocated per child, start " + size, unit: "B", scale: 1},
			figure{key: "mem_" + size + "_B_child", label: "heap+stack per idle child, " + size, unit: "B", scale: 1, headline: true},
		)
	}
	return append(fs,
		figure{key: "one_for_all_100_us", label: "one_for_all restart of 100 children", unit: "µs", scale: 1},
		figure{key: "state_10k_ms", label: "Snapshot() of 10k children", unit: "ms", scale: 1},
		figure{key: "state_1k_ms", label: "Snapshot() of 1k children", unit: "ms", scale: 1},
		figure{key: "events_per_sec", label: "events delivered to one subscriber", unit: "M/s", scale: 1e6, higherBetter: true},
		figure{key: "events_dropped_share", label: "share of events the subscriber missed", unit: "%", scale: 0.01},
		figure{key: "add_10k_us_per_op", label: "AddChild, 10k dynamic children", unit: "µs/op", scale: 1},
		figure{key: "remove_10k_us_per_op", label: "RemoveChild, 10k dynamic children", unit: "µs/op", scale: 1},
		figure{key: "add_1k_us_per_op", label: "AddChild, 1k dynamic children", unit: "µs/op", scale: 1},
		figure{key: "remove_1k_us_per_op", label: "RemoveChild, 1k dynamic children", unit: "µs/op", scale: 1},
	)
}

// sizesIn lists the idle-children sizes measured, smallest first.
func sizesIn(res *Results) []string {
	var out []string
	for _, size := range []string{"1k", "10k", "100k"} {
		for _, m := range res.Medians {
			if _, ok := m["mem_"+size+"_B_child"]; ok {
				out = append(out, size)
				break
			}
		}
	}
	return out
}

func format(v float64, f figure) string {
	x := v / f.scale
	switch {
	case math.IsNaN(x):
		return "-"
	case x >= 100:
		return fmt.Sprintf("%.0f %s", x, f.unit)
	case x >= 10:
		return fmt.Sprintf("%.1f %s", x, f.unit)
	default:
		return fmt.Sprintf("%.2f %s", x, f.unit)
	}
}

// ratio compares go-supervisor with a peer: the value ratio and whether it
// is ahead (or level).
func ratio(gs, peer float64, f figure) (string, bool) {
	if peer == 0 || gs == 0 {
		if gs == peer {
			return "=", true
		}
		return "-", !f.higherBetter && gs < peer || f.higherBetter && gs > peer
	}
	r := gs / peer
	ahead := r <= 1
	if f.higherBetter {
		ahead = r >= 1
	}
	word := "behind"
	if ahead {
		word = "ahead"
	}
	return fmt.Sprintf("%.2f× %s", r, word), ahead
}

func printTable(w io.Writer, res *Results) {
	m := res.Machine
	fmt.Fprintf(w, "%s, %d CPUs (GOMAXPROCS %d), %s, %s; median of %d fresh processes per figure; took %s\n\n",
		m.CPU, m.CPUs, m.GOMAXPROCS, m.Go, m.OS, res.Runs, res.Duration)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tgo-supervisor\tprotected\tsuture v4.0.6\tfloor\tvs suture\tvs floor\tprotected vs suture\t")
	fmt.Fprintln(tw, "\t\t\t\t\t\t")
	gs := res.Medians["go-supervisor"]
	for _, f := range figures(res) {
		v, ok := gs[f.key]
		if !ok {
			continue
		}
		cells := []string{f.label, format(v, f)}
		for _, peer := range []string{"protected", "suture", "floor"} {
			if pv, ok := res.Medians[peer][f.key]; ok {
				cells = append(cells, format(pv, f))
			} else {
				cells = append(cells, "")
			}
		}
		for _, peer := range []string{"suture", "floor"} {
			if pv, ok := res.Medians[peer][f.key]; ok {
				r, _ := ratio(v, pv, f)
				cells = append(cells, r)
			} else {
				cells = append(cells, "")
			}
		}
		pv, ok1 := res.Medians["protected"][f.key]
		sv, ok2 := res.Medians["suture"][f.key]
		if r, _ := ratio(pv, sv, f); ok1 && ok2 {
			cells = append(cells, r)
		} else {
			cells = append(cells, "")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRatios are go-supervisor's value over the peer's: below 1 is ahead for times, sizes and counts,")
	fmt.Fprintln(w, "above 1 for rates. go-supervisor stops children in reverse order, one at a time (OTP order);")
	fmt.Fprintln(w, "suture and the floor cancel them all at once. \"protected\" is go-supervisor with every restart")
	fmt.Fprintln(w, "protection on (error rules, restart limit, liveness, group, budget, throttle), none of them tripping.")
}

// behind lists the headline figures on which go-supervisor trails suture.
func (res *Results) behind() []string {
	var out []string
	gs, su := res.Medians["go-supervisor"], res.Medians["suture"]
	for _, f := range figures(res) {
		v, ok1 := gs[f.key]
		pv, ok2 := su[f.key]
		if !f.headline || !ok1 || !ok2 {
			continue
		}
		if _, ahead := ratio(v, pv, f); !ahead {
			out = append(out, f.label)
		}
	}
	return out
}
