package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// reportText summarizes a shutdown's report: a line, then how each child
// stopped.
func reportText(r *supervisor.ShutdownReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "the tree stopped in %s (%s): %s%s; %s left\n", roundDuration(r.Duration), printable(r.Cause),
		plural(len(r.Children), "child"), outcomeCounts(r.Children), plural(r.GoroutinesLeft, "goroutine"))
	if len(r.Children) == 0 {
		return b.String()
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tOUTCOME\tTOOK\tEXIT")
	for _, o := range r.Children {
		exit := o.Exit.String()
		if o.Err != nil {
			first, _, _ := strings.Cut(textfmt.Error(o.Err), "\n")
			exit += ": " + printable(first)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Path, o.Outcome, roundDuration(o.Duration), exit)
	}
	tw.Flush()
	return b.String()
}

// outcomeCounts is ": 2 graceful, 1 abandoned", in the order of the
// outcomes, or "" for no children.
func outcomeCounts(children []supervisor.ChildOutcome) string {
	counts := make(map[supervisor.Outcome]int)
	for _, o := range children {
		counts[o.Outcome]++
	}
	var parts []string
	for _, o := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}
