package cli

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
	"github.com/go-supervisor/supervisor/ipc"
	"github.com/go-supervisor/supervisor/sdnotify"
)

func (c *cmd) ctlStatusCommand(g *ctlGlobals) subcommand {
	return subcommand{name: "status", args: "[PATH]", nargs: 1,
		summary: "show the tree: each child's state, uptime, restarts, resources and last exit",
		help: `Prints a header line (the target's id, its epoch, pid and uptime, and how
many children are in each state), then one line per child, indented by
depth: its state (with what it waits for), uptime (since it became ready,
or since its attempt started), restarts, resources (a process child's pid,
resident memory and CPU time; a Go child's goroutines) and last exit (its
class, when, and its error). With PATH, that child and those below it.
--json prints the state as the target sends it (StateResult).`,
		run: func(a []string) int { return c.status(g, firstOr(a, "/")) }}
}

// firstOr returns the first operand, or def if there is none.
func firstOr(operands []string, def string) string {
	if len(operands) == 0 {
		return def
	}
	return operands[0]
}

// status prints the state of the children at path and below.
func (c *cmd) status(g *ctlGlobals, path string) int {
	s, code := c.connect(g, "status")
	if code != ExitOK {
		return code
	}
	defer s.Close()
	var st ipc.StateResult
	if err := s.call("state", ipc.StateParams{Stats: true}, &st); err != nil {
		return s.failed(err, "")
	}
	if !below(st.Snapshot.Children, path) {
		s.errorf("not found: no child at %s", path)
		return ExitRefused
	}
	st = subtree(st, path)
	if g.json {
		s.json(st)
		return ExitOK
	}
	s.Stdout.Write([]byte(statusText(s.hello, st, path)))
	return ExitOK
}

// below reports whether a child of children is at path, or path is "/".
func below(children []supervisor.ChildInfo, path string) bool {
	for _, ch := range children {
		if within(ch.Path, path) {
			return true
		}
	}
	return path == "/"
}

// within reports whether the child at p is the one at path or below it.
func within(p, path string) bool {
	return path == "/" || p == path || strings.HasPrefix(p, path+"/")
}

// subtree keeps the children and stats of st at path and below.
func subtree(st ipc.StateResult, path string) ipc.StateResult {
	children, stats := st.Snapshot.Children[:0:0], st.Stats[:0:0]
	for _, ch := range st.Snapshot.Children {
		if within(ch.Path, path) {
			children = append(children, ch)
		}
	}
	for _, cs := range st.Stats {
		if within(cs.Path, path) {
			stats = append(stats, cs)
		}
	}
	st.Snapshot.Children, st.Stats = children, stats
	return st
}

// statusText is status's text: the header, then the table of children.
func statusText(h ipc.HelloResult, st ipc.StateResult, path string) string {
	snap := st.Snapshot
	var b strings.Builder
	fmt.Fprintf(&b, "● %s: epoch %s, pid %d, up %s, event #%d: %s\n", h.Target, snap.TreeID, h.PID,
		roundDuration(snap.Time.Sub(h.Started)), snap.Seq, sdnotify.Summary(snap))
	stats := make(map[string]ipc.ChildStats, len(st.Stats))
	for _, cs := range st.Stats {
		stats[cs.Path] = cs
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tSTATE\tUPTIME\tRESTARTS\tRESOURCES\tLAST EXIT")
	base := depth(path)
	for _, ch := range snap.Children {
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%d\t%s\t%s\n", strings.Repeat("  ", depth(ch.Path)-base), ch.Path,
			stateText(snap.Time, ch), uptime(snap.Time, ch), ch.Restarts, resources(stats[ch.Path]), lastExit(snap.Time, ch))
	}
	tw.Flush()
	for line := range strings.Lines(table.String()) {
		b.WriteString(strings.TrimRight(line, " \n"))
		b.WriteByte('\n')
	}
	return b.String()
}

// depth is a path's depth below the root: 0 for "/" and "/db", 1 for
// "/workers/w1".
func depth(path string) int { return max(strings.Count(path, "/")-1, 0) }

// stateText is a child's state, with what it waits for and its health in
// parentheses: "backoff (+1.5s)", "pending (throttle)", "running
// (unhealthy)".
func stateText(now time.Time, ch supervisor.ChildInfo) string {
	var notes []string
	if ch.WaitingFor != "" && ch.WaitingFor != ch.State.String() {
		notes = append(notes, ch.WaitingFor)
	}
	if !ch.NextAttempt.IsZero() {
		notes = append(notes, "+"+roundDuration(ch.NextAttempt.Sub(now)))
	}
	for _, f := range []struct {
		on   bool
		note string
	}{{ch.Unhealthy, "unhealthy"}, {ch.Probation, "probation"}} {
		if f.on {
			notes = append(notes, f.note)
		}
	}
	if len(notes) == 0 {
		return ch.State.String()
	}
	return ch.State.String() + " (" + strings.Join(notes, ", ") + ")"
}

// uptime is how long a running child's attempt has been ready, or since
// it started if it is not ready yet; "-" for a child with no attempt.
func uptime(now time.Time, ch supervisor.ChildInfo) string {
	switch {
	case !ch.ReadyAt.IsZero() && ch.State.Live():
		return roundDuration(now.Sub(ch.ReadyAt))
	case ch.State == supervisor.StateStarting || ch.State == supervisor.StateRunning:
		return roundDuration(now.Sub(ch.Since))
	}
	return "-"
}

// resources is a child's resource use: a process's pid, resident memory
// and CPU time, or the goroutines of a Go child.
func resources(cs ipc.ChildStats) string {
	switch {
	case cs.PID > 0:
		return fmt.Sprintf("pid %d, %s, cpu %s", cs.PID, bytesText(cs.RSS), roundDuration(time.Duration(cs.CPU)))
	case cs.Goroutines > 0:
		return plural(cs.Goroutines, "goroutine")
	}
	return "-"
}

// lastExit is how a child's last attempt ended, and why it is out of
// service if it is: "abnormal 5s ago: dial tcp: connection refused".
func lastExit(now time.Time, ch supervisor.ChildInfo) string {
	var parts []string
	if x := ch.LastExit; x.Class != supervisor.ExitNone {
		s := x.Class.String()
		if !x.Time.IsZero() {
			s += " " + roundDuration(now.Sub(x.Time)) + " ago"
		}
		if x.Err != nil {
			first, _, _ := strings.Cut(textfmt.Error(x.Err), "\n")
			s += ": " + printable(first)
		}
		parts = append(parts, s)
	}
	if ch.Reason != "" {
		parts = append(parts, "reason: "+printable(ch.Reason))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// byteUnits are the units of bytesText.
var byteUnits = []string{"B", "KiB", "MiB", "GiB", "TiB"}

// bytesText writes a size in human units: "512 B", "12.3 MiB".
func bytesText(n uint64) string {
	v, i := float64(n), 0
	for v >= 1024 && i < len(byteUnits)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatUint(n, 10) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + byteUnits[i]
}
