package ipc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-supervisor/supervisor/internal/textfmt"
)

// Default sizes of a Logs.
const (
	DefaultLogs         = 4096    // records of the whole target
	DefaultLogsPerChild = 1000    // records of each child
	maxLogPaths         = 1024    // children whose records are kept apart
	maxLogsPage         = 1 << 20 // bytes of a page of logs, about
)

// Logs keeps a target's recent log records for its clients: the records of
// log/slog that its Handler receives, the program's own and the lines its
// process children print (which the process package logs with the child's
// path, pid and stream). Clients follow them live (subscribe) and page
// back through them (logs), all of them or one child's, whose records are
// also kept apart so that a busy sibling does not push them out. Memory is
// bounded: a ring of the target's last records, and one of each child's.
// The zero Logs is not usable: call NewLogs.
type Logs struct {
	mu      sync.Mutex
	seq     uint64
	all     logRing
	perPath int
	byPath  map[string]*logRing
	changed chan struct{}  // closed and replaced by each record
	pids    map[string]int // a process child's pid, from its records
}

// NewLogs returns a Logs keeping the last size records of the target and
// the last perChild of each child (the defaults if <= 0).
func NewLogs(size, perChild int) *Logs {
	if size <= 0 {
		size = DefaultLogs
	}
	if perChild <= 0 {
		perChild = DefaultLogsPerChild
	}
	return &Logs{all: newLogRing(size), perPath: perChild, byPath: make(map[string]*logRing),
		changed: make(chan struct{}), pids: make(map[string]int)}
}

// Handler returns a slog.Handler that keeps every record in l, then hands
// it to next, if not nil: a program logs through it to serve its logs.
func (l *Logs) Handler(next slog.Handler) slog.Handler {
	return &logHandler{logs: l, next: next}
}

// add keeps r, numbering it; a record below keep's level only tells
// the pid of its child.
func (l *Logs) add(r LogRecord, keep bool) {
	l.mu.Lock()
	if r.PID > 0 && r.Path != "" && (l.pids[r.Path] != 0 || len(l.pids) < maxLogPaths) {
		l.pids[r.Path] = r.PID
	}
	if !keep {
		l.mu.Unlock()
		return
	}
	l.seq++
	r.Seq = l.seq
	l.all.push(r)
	if r.Path != "" {
		l.pathRing(r.Path).push(r)
	}
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// pathRing returns the ring of path's records, making room for it among
// the children's if need be. The lock is held.
func (l *Logs) pathRing(path string) *logRing {
	r, ok := l.byPath[path]
	if ok {
		return r
	}
	if len(l.byPath) >= maxLogPaths { // forget the child whose last record is oldest
		var stalest string
		var oldest uint64
		for p, r := range l.byPath {
			if s := r.newest(); stalest == "" || s < oldest {
				stalest, oldest = p, s
			}
		}
		delete(l.byPath, stalest)
	}
	r = &logRing{size: l.perPath}
	l.byPath[path] = r
	return r
}

// pid returns the pid the newest records of the child at path gave.
func (l *Logs) pid(path string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pids[path]
}

// newestSeq returns the sequence number of the newest record.
func (l *Logs) newestSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// after returns at most max records after seq that f matches, and how many
// after seq the target no longer holds; next is the sequence number to go
// on after. wait is closed when a record is added after these.
func (l *Logs) after(seq uint64, f logFilter, max int) (recs []LogRecord, gone, next uint64, wait <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	oldest := l.seq - uint64(l.all.n) + 1 // the ring holds oldest..l.seq
	if seq+1 < oldest {
		gone, seq = oldest-seq-1, oldest-1
	}
	next = seq
	for i := int(min(seq+1-oldest, uint64(l.all.n))); i < l.all.n && len(recs) < max; i++ {
		r := l.all.at(i)
		next = r.Seq
		if f.match(r) {
			recs = append(recs, *r)
		}
	}
	return recs, gone, next, l.changed
}

// page returns at most limit records that f matches before seq (0: the
// newest), oldest first, and whether older ones are kept; a page holds
// about maxLogsPage bytes at most (a line a process prints may have 64
// KiB), and at least one record.
func (l *Logs) page(f logFilter, before uint64, limit int) (recs []LogRecord, more bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ring := &l.all
	if f.path != "" {
		if ring = l.byPath[f.path]; ring == nil {
			return nil, false
		}
	}
	size := 0
	for i := ring.n - 1; i >= 0; i-- {
		r := ring.at(i)
		if (before != 0 && r.Seq >= before) || !f.match(r) {
			continue
		}
		if size += len(r.Msg) + 256; len(recs) == limit || (len(recs) > 0 && size > maxLogsPage) {
			more = true
			break
		}
		recs = append(recs, *r)
	}
	for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
		recs[i], recs[j] = recs[j], recs[i]
	}
	return recs, more
}

// logFilter selects records: one child's (path), one stream (source).
type logFilter struct{ path, source string }

func (f logFilter) match(r *LogRecord) bool {
	return (f.path == "" || r.Path == f.path) && (f.source == "" || r.Stream == f.source)
}

// logRing is a ring of the last size records. Its buffer grows as
// records come, so that a Logs nobody logs to costs nothing.
type logRing struct {
	buf  []LogRecord
	size int
	head int
	n    int
}

func newLogRing(size int) logRing { return logRing{size: size} }

func (r *logRing) push(rec LogRecord) {
	switch {
	case len(r.buf) < r.size: // growing: head is 0
		r.buf = append(r.buf, rec)
		r.n++
	default:
		r.buf[r.head] = rec
		r.head = (r.head + 1) % len(r.buf)
	}
}

// at returns the i-th oldest record.
func (r *logRing) at(i int) *LogRecord { return &r.buf[(r.head+i)%len(r.buf)] }

func (r *logRing) newest() uint64 {
	if r.n == 0 {
		return 0
	}
	return r.at(r.n - 1).Seq
}

// logHandler is Logs.Handler's slog.Handler.
type logHandler struct {
	logs   *Logs
	next   slog.Handler
	attrs  []slog.Attr // from WithAttrs, keys prefixed by their groups
	prefix string      // the groups of WithGroup, as "a.b."
}

// Enabled reports true: a process child's debug record of its start gives
// its pid, which Logs keeps even when it keeps no debug records.
func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	pass := h.next != nil && h.next.Enabled(ctx, r.Level)
	keep := pass || r.Level >= slog.LevelInfo
	rec := LogRecord{Time: r.Time, Level: strings.ToLower(r.Level.String()), Msg: r.Message}
	set := func(key string, v slog.Value) {
		if keep || key == "path" || key == "pid" { // a record not kept tells a pid
			rec.set(key, v)
		}
	}
	for _, a := range h.attrs {
		set(a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		set(h.prefix+a.Key, a.Value)
		return true
	})
	h.logs.add(rec, keep)
	if pass {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		c.attrs = append(c.attrs, slog.Attr{Key: h.prefix + a.Key, Value: a.Value})
	}
	if h.next != nil {
		c.next = h.next.WithAttrs(attrs)
	}
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix = h.prefix + name + "."
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}

// set records an attribute: the child's path, pid and stream as fields of
// their own, the rest among Attrs.
func (r *LogRecord) set(key string, v slog.Value) {
	v = v.Resolve()
	switch {
	case key == "path" && v.Kind() == slog.KindString:
		r.Path = v.String()
	case key == "stream" && v.Kind() == slog.KindString:
		r.Stream = v.String()
	case key == "pid" && v.Kind() == slog.KindInt64:
		r.PID = int(v.Int64())
	case key != "":
		if r.Attrs == nil {
			r.Attrs = make(map[string]any)
		}
		r.Attrs[key] = jsonValue(v)
	}
}

// jsonValue returns v as the protocol writes it: durations and errors as
// text, times in RFC 3339, groups as objects.
func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindDuration:
		return textfmt.Duration(v.Duration())
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	case slog.KindGroup:
		m := make(map[string]any)
		for _, a := range v.Group() {
			m[a.Key] = jsonValue(a.Value.Resolve())
		}
		return m
	case slog.KindFloat64:
		if f := v.Float64(); math.IsNaN(f) || math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64) // JSON has no NaN nor Inf
		}
	case slog.KindAny:
		return anyValue(v.Any())
	}
	return v.Any()
}

// anyValue returns a value of any type as JSON can hold it: an error's
// text, a json.Marshaler's JSON if it makes valid JSON, else the value's
// text.
func anyValue(x any) any {
	switch x := x.(type) {
	case error:
		return textfmt.Error(x)
	case json.Marshaler:
		if b, err := safeMarshal(x); err == nil && json.Valid(b) {
			return json.RawMessage(b)
		}
	case fmt.Stringer:
		return safeString(x)
	}
	return fmt.Sprint(x)
}

// safeMarshal calls x's MarshalJSON, turning a panic into an error.
func safeMarshal(x json.Marshaler) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("MarshalJSON panicked: %v", r)
		}
	}()
	return x.MarshalJSON()
}

// safeString calls x's String, turning a panic into a text that says so.
func safeString(x fmt.Stringer) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("(String panicked: %v)", r)
		}
	}()
	return x.String()
}
