package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/ipc"
)

func (c *cmd) ctlEventsCommand(g *ctlGlobals) subcommand {
	var follow bool
	var since uint64
	return subcommand{name: "events", summary: "print the tree's events from its journal; --follow for new ones",
		help: `Prints the events the target's journal holds after --since SEQ (all of them by
default), up to the newest at the time of the call, one a line: time, #seq,
kind, path and the event's fields. --follow goes on printing new ones until
interrupted (SIGINT, SIGTERM: exit code 0) or the tree ends. Events that
are not coming are told by a line: "… 12 events missed (journal): #1 to
#12" (the journal no longer holds them) or (slow) (ctl did not read fast
enough). --json prints each event as one JSON object a line (the engine's
Event), and the lines about gaps and the end on stderr.`,
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&follow, "follow", false, "go on printing new events until interrupted or the tree ends")
			fs.Uint64Var(&since, "since", 0, "print the events after this `SEQ` (0: every event the journal holds)")
		},
		run: func([]string) int { return c.events(g, follow, since) }}
}

// events prints the journal's events after since, up to the newest at
// the time of the call, or on and on with follow.
func (c *cmd) events(g *ctlGlobals, follow bool, since uint64) int {
	s, code := c.connect(g, "events")
	if code != ExitOK {
		return code
	}
	defer s.Close()
	until := uint64(math.MaxUint64)
	if !follow {
		var st ipc.StateResult
		if err := s.call("state", nil, &st); err != nil {
			return s.failed(err, "")
		}
		if until = st.Snapshot.Seq; since >= until {
			return ExitOK
		}
	}
	if err := s.call("subscribe", ipc.SubscribeParams{Stream: "events", After: &since}, nil); err != nil {
		return s.failed(err, "")
	}
	return s.stream(follow, func(p ipc.Push) bool {
		switch p.Push {
		case "event":
			s.printEvent(p.Event)
			return p.Event.Seq >= until
		case "gap":
			s.printGap(p.Gap)
			return p.Gap.AfterSeq+p.Gap.Count >= until
		case "end":
			s.notice("── %s: the tree has ended; every event of it was printed", p.Target)
			return true
		}
		return false
	})
}

// logsFlags are the logs command's.
type logsFlags struct {
	stderr, stdout, follow bool
	since                  uint64
	n                      countFlag
}

// countFlag is a number of records, and whether it was given.
type countFlag struct {
	n   int
	set bool
}

func (f *countFlag) String() string { return strconv.Itoa(f.n) }

func (f *countFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return errors.New("want a number of records, 0 or more")
	}
	f.n, f.set = n, true
	return nil
}

func (f *logsFlags) declare(fs *flag.FlagSet) {
	fs.BoolVar(&f.stderr, "stderr", false, "only the lines a process child printed on stderr")
	fs.BoolVar(&f.stdout, "stdout", false, "only the lines a process child printed on stdout")
	fs.BoolVar(&f.follow, "follow", false, "go on printing new records until interrupted")
	fs.Uint64Var(&f.since, "since", 0, "only the records after this `SEQ` (all of them unless -n is given)")
	fs.Var(&f.n, "n", "print the last `N` records, at most")
}

func (f *logsFlags) check() error {
	if f.stderr && f.stdout {
		return errors.New("--stderr and --stdout: give one of them, or neither for both streams")
	}
	return nil
}

// source is the stream asked for: "stdout", "stderr" or "" for both.
func (f *logsFlags) source() string {
	switch {
	case f.stderr:
		return "stderr"
	case f.stdout:
		return "stdout"
	}
	return ""
}

// limit is the most records to print from those the target keeps.
func (f *logsFlags) limit() int {
	if f.since > 0 && !f.n.set {
		return math.MaxInt
	}
	return f.n.n
}

func (c *cmd) ctlLogsCommand(g *ctlGlobals) subcommand {
	f := &logsFlags{n: countFlag{n: 100}}
	return subcommand{name: "logs", args: "[PATH]", nargs: 1,
		summary: "print the target's last log records, or one child's; --follow for new ones",
		help: `Prints the last -n records the target keeps (its program's log and the lines
its process children print), oldest first: time, #seq, level, the child's
path and pid, the stream, the message and its attributes. With PATH, that
child's records only (not those of the children below it); --stderr or
--stdout, one stream of a process child. --since SEQ prints the records
after SEQ instead. --follow goes on printing new ones until interrupted
(SIGINT, SIGTERM: exit code 0). --json prints each record as one JSON
object a line.`,
		flags: f.declare, check: f.check,
		run: func(a []string) int { return c.logs(g, f, strings.TrimSuffix(firstOr(a, ""), "/")) }}
}

// logs prints the last records, then follows new ones if asked to.
func (c *cmd) logs(g *ctlGlobals, f *logsFlags, path string) int {
	s, code := c.connect(g, "logs")
	if code != ExitOK {
		return code
	}
	defer s.Close()
	p := ipc.LogsParams{Path: path, Source: f.source()}
	var newest uint64 // the target's newest record before the last ones are read
	if f.follow {
		var last ipc.LogsResult
		if err := s.call("logs", ipc.LogsParams{Limit: 1}, &last); err != nil {
			return s.failed(err, "")
		}
		newest = lastSeq(last.Records)
	}
	recs, err := s.lastLogs(p, f.since, f.limit())
	if err != nil {
		return s.failed(err, "")
	}
	for i := range recs {
		s.printLog(&recs[i])
	}
	if !f.follow {
		return ExitOK
	}
	after := max(newest, f.since, lastSeq(recs))
	sub := ipc.SubscribeParams{Stream: "logs", After: &after, Path: p.Path, Source: p.Source}
	if err := s.call("subscribe", sub, nil); err != nil {
		return s.failed(err, "")
	}
	return s.stream(true, func(p ipc.Push) bool {
		switch p.Push {
		case "log":
			s.printLog(p.Log)
		case "gap":
			s.printGap(p.Gap)
		}
		return false
	})
}

func lastSeq(recs []ipc.LogRecord) uint64 {
	if len(recs) == 0 {
		return 0
	}
	return recs[len(recs)-1].Seq
}

// maxLogsPage is the most records a logs request returns.
const maxLogsPage = 1000

// lastLogs returns the last n records p selects after since, oldest
// first, paging back through those the target keeps.
func (s *ctlSession) lastLogs(p ipc.LogsParams, since uint64, n int) ([]ipc.LogRecord, error) {
	var recs []ipc.LogRecord
	for len(recs) < n {
		p.Limit = min(n-len(recs), maxLogsPage)
		var page ipc.LogsResult
		if err := s.call("logs", p, &page); err != nil {
			return nil, err
		}
		old := 0 // the page's records at or before since
		for old < len(page.Records) && page.Records[old].Seq <= since {
			old++
		}
		recs = append(page.Records[old:], recs...)
		if !page.More || old > 0 || len(page.Records) == 0 {
			break
		}
		p.Before = page.Records[0].Seq
	}
	return recs, nil
}

// stream hands the subscription's pushes to each until it says it is
// done, or the connection ends; with follow, a SIGINT or SIGTERM ends it
// too, cleanly, and without, --timeout bounds it.
func (s *ctlSession) stream(follow bool, each func(ipc.Push) (done bool)) int {
	var sigs <-chan os.Signal
	var timeout <-chan time.Time
	if follow {
		ch, stop := s.interrupts()
		defer stop()
		sigs = ch
	} else if s.g.timeout > 0 {
		t := time.NewTimer(s.g.timeout)
		defer t.Stop()
		timeout = t.C
	}
	for {
		select {
		case p, ok := <-s.client.Pushes():
			if !ok {
				s.errorf("the connection to %s ended: the target stopped, or closed it", s.socket)
				return ExitUnreachable
			}
			if each(p) {
				return ExitOK
			}
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				return ExitOK
			}
		case <-timeout:
			s.errorf("the target did not send everything asked for within %s (--timeout)", s.g.timeout)
			return ExitUnreachable
		}
	}
}

// interrupts returns the signals that end --follow: Options.Signals, or
// the process's SIGINT and SIGTERM until stop is called.
func (c *cmd) interrupts() (sigs <-chan os.Signal, stop func()) {
	if c.Signals != nil {
		return c.Signals, func() {}
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}

// notice writes a line about the stream: on stdout, or on stderr with
// --json, whose stdout has records only.
func (s *ctlSession) notice(format string, args ...any) {
	w := s.Stdout
	if s.g.json {
		w = s.Stderr
	}
	fmt.Fprintf(w, format+"\n", args...)
}

// gapNouns name what a stream's records are.
var gapNouns = map[string]string{"events": "events", "logs": "log records"}

// printGap tells the records of a subscription that are not coming.
func (s *ctlSession) printGap(g *ipc.Gap) {
	s.notice("… %d %s missed (%s): #%d to #%d", g.Count, gapNouns[g.Stream], g.Reason, g.AfterSeq+1, g.AfterSeq+g.Count)
}

// printEvent prints an event: its time and its line, or its JSON.
func (s *ctlSession) printEvent(e *supervisor.Event) {
	if s.g.json {
		s.json(e)
		return
	}
	fmt.Fprintf(s.Stdout, "%s %s\n", timeText(e.Time), printable(e.String()))
}

// printLog prints a log record on a line, or its JSON.
func (s *ctlSession) printLog(r *ipc.LogRecord) {
	if s.g.json {
		s.json(r)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s #%d %-5s", timeText(r.Time), r.Seq, strings.ToUpper(r.Level))
	if r.Path != "" {
		b.WriteString(" " + r.Path)
		if r.PID > 0 {
			b.WriteString("[" + strconv.Itoa(r.PID) + "]")
		}
	}
	if r.Stream != "" {
		b.WriteString(" " + r.Stream + ":")
	}
	b.WriteString(" " + printable(r.Msg))
	for _, k := range slices.Sorted(maps.Keys(r.Attrs)) {
		b.WriteString(" " + printable(k) + "=" + attrText(r.Attrs[k]))
	}
	fmt.Fprintln(s.Stdout, b.String())
}

// attrText writes an attribute's value: text as it is, quoted if it
// would not read as one value, others as JSON.
func attrText(v any) string {
	str, ok := v.(string)
	if !ok {
		b, _ := json.Marshal(v)
		return printable(string(b))
	}
	if str == "" || strings.ContainsAny(str, " \t\n\"=") || printable(str) != str {
		return strconv.Quote(str)
	}
	return str
}

// timeText writes a time as journalctl does, to the millisecond.
func timeText(t time.Time) string { return t.Local().Format("Jan 02 15:04:05.000") }
