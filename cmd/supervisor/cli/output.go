package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/internal/textfmt"
	"github.com/go-supervisor/supervisor/sdnotify"
)

// output is where run writes: events and process output as log records,
// status tables, plans. In JSON mode every line is one JSON object (a
// slog record); in text mode lines are short and aligned for a terminal.
type output struct {
	mu     *sync.Mutex // serialises writes to w
	w      io.Writer
	json   bool
	logger *slog.Logger

	seqMu  sync.Mutex
	seq    uint64        // the last event written
	logged chan struct{} // closed and replaced when an event has been written
}

// statusCatchUp bounds how long a status table waits for the events it
// reflects to be written (see caughtUp).
const statusCatchUp = 100 * time.Millisecond

func newOutput(w io.Writer, jsonOut bool, level slog.Level) *output {
	o := &output{mu: new(sync.Mutex), w: w, json: jsonOut, logged: make(chan struct{})}
	var h slog.Handler = &lineHandler{out: o, level: level}
	if jsonOut {
		h = slog.NewJSONHandler(lockedWriter{o.mu, w}, &slog.HandlerOptions{Level: level, ReplaceAttr: durationText})
	}
	o.logger = slog.New(seqHandler{h, o})
	return o
}

// wrote notes that the event with sequence number seq has been written.
func (o *output) wrote(seq uint64) {
	o.seqMu.Lock()
	defer o.seqMu.Unlock()
	o.seq = max(o.seq, seq)
	close(o.logged)
	o.logged = make(chan struct{})
}

// caughtUp waits until the events up to seq have been written, for
// statusCatchUp at most. The tree logs its events from its own goroutine,
// so that without it a status table could come before the events it
// reflects; an event the log leaves out (below the level, or a repeat of
// a child that keeps failing) makes it wait the whole time.
func (o *output) caughtUp(seq uint64) {
	deadline := time.NewTimer(statusCatchUp)
	defer deadline.Stop()
	for {
		o.seqMu.Lock()
		done, logged := o.seq >= seq, o.logged
		o.seqMu.Unlock()
		if done {
			return
		}
		select {
		case <-logged:
		case <-deadline.C:
			return
		}
	}
}

// seqHandler tells its output the sequence number of each event record
// written through h: the first attribute of an event's record.
type seqHandler struct {
	slog.Handler
	out *output
}

func (h seqHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	var seq uint64
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "seq" && a.Value.Kind() == slog.KindUint64 {
			seq = a.Value.Uint64()
		}
		return false // only the first
	})
	if seq > 0 {
		h.out.wrote(seq)
	}
	return err
}

func (h seqHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return seqHandler{h.Handler.WithAttrs(as), h.out}
}

func (h seqHandler) WithGroup(name string) slog.Handler {
	return seqHandler{h.Handler.WithGroup(name), h.out}
}

// plan prints what a reload of file is about to change: a header and one
// change per line, or in JSON a reload record.
func (o *output) plan(file string, p *supervisor.Plan) {
	if o.json {
		o.logger.Info("reload", "file", file, "plan", p)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(p.Changes) == 0 {
		fmt.Fprintf(o.w, "── reload %s: no changes\n", file)
		return
	}
	fmt.Fprintf(o.w, "── reload %s: %s\n%s", file, plural(len(p.Changes), "change"), p)
}

// lockedWriter writes under the output's lock.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// status prints the tree's state: a table in text mode, a record in JSON.
// It comes after the events written so far: it waits for the log to catch
// up with the tree (see caughtUp), then takes the snapshot.
func (o *output) status(title string, tree *supervisor.Tree) {
	o.caughtUp(tree.Snapshot().Seq)
	s := tree.Snapshot()
	if o.json {
		o.logger.Info("status", "title", title, "snapshot", s)
		return
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tSTATE\tGEN\tRESTARTS\tSINCE\tNOTE")
	for _, c := range s.Children {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", c.Path, c.State, c.Generation, c.Restarts,
			since(s.Time, c.Since), note(s.Time, c))
	}
	tw.Flush()
	var b strings.Builder
	fmt.Fprintf(&b, "── %s: %s\n", title, sdnotify.Summary(s)) // the line systemd shows too
	for line := range strings.Lines(table.String()) {
		b.WriteString(strings.TrimRight(line, " \n")) // an empty NOTE pads the line
		b.WriteByte('\n')
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	io.WriteString(o.w, b.String())
}

// note says what a child waits for, or why it is out of service.
func note(now time.Time, c supervisor.ChildInfo) string {
	var parts []string
	if c.WaitingFor != "" {
		w := "waiting for " + c.WaitingFor
		if !c.NextAttempt.IsZero() {
			w += " until +" + roundDuration(c.NextAttempt.Sub(now))
		}
		parts = append(parts, w)
	} else if !c.NextAttempt.IsZero() {
		parts = append(parts, "next attempt +"+roundDuration(c.NextAttempt.Sub(now)))
	}
	if c.Unhealthy {
		parts = append(parts, "unhealthy")
	}
	if c.Probation {
		parts = append(parts, "on probation")
	}
	if c.Reason != "" {
		parts = append(parts, c.Reason)
	}
	if c.LastExit.Class.Abnormal() && c.LastExit.Err != nil && (c.State == supervisor.StateFailed || c.State == supervisor.StateBackoff) {
		parts = append(parts, "last exit: "+textfmt.Error(c.LastExit.Err))
	}
	return strings.Join(parts, "; ")
}

func since(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return roundDuration(now.Sub(t))
}

// roundDuration writes d to a precision that suits its size, as config
// files write durations: "2m", "1.5s", "250ms".
func roundDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(100 * time.Millisecond)
	default:
		d = d.Round(time.Millisecond)
	}
	return textfmt.Duration(d)
}

// lineHandler is a slog.Handler writing one short line per record:
// "15:04:05.000 WARN  child_exited path=/api exit=abnormal error=boom".
type lineHandler struct {
	out    *output
	level  slog.Level
	attrs  []slog.Attr
	prefix string // group prefix for keys
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Time.Format("15:04:05.000"))
	b.WriteByte(' ')
	lvl := r.Level.String()
	b.WriteString(lvl)
	b.WriteString(strings.Repeat(" ", max(1, 6-len(lvl))))
	b.WriteString(printable(r.Message))
	var blocks []string
	for _, a := range h.attrs {
		writeAttr(&b, "", a, &blocks)
	}
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.prefix, a, &blocks)
		return true
	})
	b.WriteByte('\n')
	for _, blk := range blocks { // multi-line values, such as stacks, indented below
		for line := range strings.Lines(blk) {
			b.WriteString("    ")
			b.WriteString(printable(strings.TrimRight(line, "\n")))
			b.WriteByte('\n')
		}
	}
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	_, err := io.WriteString(h.out.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range as {
		a.Key = h.prefix + a.Key
		h2.attrs = append(h2.attrs, a)
	}
	return &h2
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// durationText writes a duration attribute as config files do ("1.5s"),
// not as a number of nanoseconds: the one vocabulary (docs/json.md).
func durationText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(textfmt.Duration(a.Value.Duration()))
	}
	return a
}

// writeAttr writes " key=value"; a value of several lines goes to blocks,
// printed below the record's line, and the key says so.
func writeAttr(b *strings.Builder, prefix string, a slog.Attr, blocks *[]string) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			writeAttr(b, prefix+a.Key+".", g, blocks)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	a = durationText(nil, a)
	s := a.Value.String()
	if gs, ok := a.Value.Any().([]supervisor.GoroutineStack); ok && a.Value.Kind() == slog.KindAny {
		s = stacksText(gs)
	}
	if strings.Contains(strings.TrimRight(s, "\n"), "\n") {
		*blocks = append(*blocks, prefix+a.Key+":\n"+s)
		s = "(below)"
	} else if s == "" || strings.ContainsAny(s, " \t\n\"=") || printable(s) != s {
		s = strconv.Quote(s)
	}
	b.WriteString(s)
}

// stacksText lists goroutines for a terminal: each group's path and count
// on a line, its stack indented below.
func stacksText(gs []supervisor.GoroutineStack) string {
	var b strings.Builder
	for _, g := range gs {
		fmt.Fprintf(&b, "%s: %s\n", g.Path, plural(g.Count, "goroutine"))
		for line := range strings.Lines(g.Stack) {
			b.WriteString("    ")
			b.WriteString(line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// printable escapes control characters, so that a child's output cannot
// move the cursor or clear the terminal.
func printable(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r != '\t' && unicode.IsControl(r) }
