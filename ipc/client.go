package ipc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/go-supervisor/supervisor"
)

// ErrClientClosed is returned by calls on a closed Client, or one whose
// connection ended.
var ErrClientClosed = errors.New("ipc: connection closed")

// Client is a connection to an endpoint: supervisor ctl's, the relay's, a
// test's. Calls may be made from many goroutines; the pushes of its
// subscriptions arrive on Pushes in order. A client that does not read
// its pushes holds up the connection's reads, and the target counts what
// it drops for it (gap pushes).
type Client struct {
	nc     net.Conn
	wmu    sync.Mutex // serializes writes
	mu     sync.Mutex
	next   uint64
	calls  map[string]chan Response
	err    error // why the connection ended
	pushes chan Push
	done   chan struct{}

	closeOnce sync.Once
	closing   chan struct{} // closed by Close: stop delivering pushes
}

// Dial connects to the endpoint at path.
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	c := &Client{nc: nc, calls: make(map[string]chan Response), pushes: make(chan Push, 256), done: make(chan struct{}),
		closing: make(chan struct{})}
	go c.read()
	return c, nil
}

// Pushes returns the channel the pushes of the client's subscriptions
// arrive on; it is closed when the connection ends.
func (c *Client) Pushes() <-chan Push { return c.pushes }

// Close closes the connection. The pushes not yet read from Pushes are
// dropped: Close does not wait for them to be read.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { close(c.closing) })
	err := c.nc.Close()
	<-c.done
	return err
}

// Call sends a request and waits for its response, decoding its result
// into result (if not nil). A failed request returns the target's *Error.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	req := Request{Method: method}
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("ipc: %s's params: %w", method, err)
		}
		req.Params = b
	}
	ch := make(chan Response, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.next++
	req.ID = strconv.FormatUint(c.next, 10)
	c.calls[req.ID] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.calls, req.ID)
		c.mu.Unlock()
	}()
	line := encodeLine(req)
	if len(line) > MaxRequestLine {
		return &Error{Code: "line_too_long", Message: fmt.Sprintf("%s's request is %d bytes: a target takes %d at most by default", method, len(line), MaxRequestLine)}
	}
	if err := c.sendCtx(ctx, line); err != nil {
		return err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return c.closedErr()
		}
		return r.decode(result)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send writes one line as it is: for tests and tools that speak the
// protocol themselves. Responses to its requests are not delivered.
func (c *Client) Send(line []byte) error { return c.send(line) }

func (c *Client) send(line []byte) error { return c.sendCtx(context.Background(), line) }

// sendCtx writes line, within ctx's deadline if it has one.
func (c *Client) sendCtx(ctx context.Context, line []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	deadline, _ := ctx.Deadline()
	c.nc.SetWriteDeadline(deadline)
	if _, err := c.nc.Write(line); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %v", ErrClientClosed, err)
	}
	return nil
}

// MaxRequestLine is the longest request line Call sends: a target's
// default max_line. A longer one fails at once, as the target would
// refuse it.
const MaxRequestLine = 64 << 10

// decode returns r's error, or decodes its result into v.
func (r Response) decode(v any) error {
	if !r.OK {
		if r.Error == nil {
			return &Error{Code: "internal", Message: "a failed response without an error"}
		}
		return r.Error
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(r.Result, v)
}

// incoming is a line from the target: a push (Push.Push is set) or a
// response; their keys differ, so that one decoding reads either.
type incoming struct {
	Push
	Response
}

// maxIncoming is the longest line a Client reads from the target.
const maxIncoming = 256 << 20

// read delivers what the target sends until the connection ends. The
// pushes of the lines that have arrived are delivered together once they
// are decoded (and before a response), so that a consumer of Pushes is
// woken once for them rather than for each.
func (c *Client) read() {
	defer close(c.done)
	defer close(c.pushes)
	r := bufio.NewReaderSize(c.nc, 64<<10)
	var pending []Push
	var seen texts
	for {
		line, err := readIncoming(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			c.deliver(pending)
			c.end(err)
			return
		}
		if p, ok := decodeEventPush(line, &seen); ok {
			pending = append(pending, p)
			if !lineBuffered(r) || len(pending) == cap(c.pushes) {
				pending = c.deliver(pending)
			}
			continue
		}
		var in incoming
		if err := json.Unmarshal(line, &in); err != nil {
			c.deliver(pending)
			c.end(fmt.Errorf("ipc: the target sent a line that is not JSON: %w", err))
			return
		}
		if in.Push.Push != "" {
			pending = append(pending, in.Push)
			if !lineBuffered(r) || len(pending) == cap(c.pushes) {
				pending = c.deliver(pending)
			}
			continue
		}
		pending = c.deliver(pending)
		c.mu.Lock()
		ch := c.calls[in.ID]
		c.mu.Unlock()
		if ch != nil {
			ch <- in.Response
		} else if in.ID == "" && in.Error != nil && (in.Error.Code == "peer_refused" || in.Error.Code == "too_many_connections") {
			c.end(in.Error) // the target refused the connection
			return
		}
	}
}

// deliver sends ps on Pushes, in order, and returns ps emptied; after
// Close, it drops them.
func (c *Client) deliver(ps []Push) []Push {
	for i, p := range ps {
		select {
		case c.pushes <- p:
		case <-c.closing:
		}
		ps[i] = Push{}
	}
	return ps[:0]
}

// lineBuffered reports whether r holds a whole line, to be read without
// waiting.
func lineBuffered(r *bufio.Reader) bool {
	b, _ := r.Peek(r.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// readIncoming returns the next line from r without its newline (or a
// carriage return before it), valid until the next read; a last line
// without a newline is returned too. A line longer than maxIncoming is
// bufio.ErrTooLong.
func readIncoming(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) { // a long line: gather it
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.ReadSlice('\n')
			if len(long)+len(line) > maxIncoming {
				return nil, bufio.ErrTooLong
			}
			long = append(long, line...)
		}
		line = long
	}
	switch {
	case err == nil:
		line = line[:len(line)-1]
	case errors.Is(err, io.EOF) && len(line) > 0:
	default:
		return nil, err
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// eventPushStart and the other parts are the fixed text of an event push
// as the target writes it (appendEventPush).
var (
	eventPushStart = []byte(`{"push":"event","target":"`)
	eventPushEpoch = []byte(`,"epoch":"`)
	eventPushEvent = []byte(`,"event":{`)
)

// texts holds the last text of each field of an event push that most
// pushes repeat, so that decoding one makes a string only for a new text.
type texts struct{ target, epoch, path, err string }

// reuse returns b as a string: last, if it is the same text, else a new
// one that it keeps in last.
func reuse(last *string, b []byte) string {
	if string(b) != *last {
		*last = string(b)
	}
	return *last
}

// decodeEventPush decodes an event push as the target writes it
// (appendEventPush), reading the line once where json.Unmarshal of
// incoming reads it three times (it checks the whole line, skips over the
// event, then Event.UnmarshalJSON checks and decodes it again), and
// without its reflection. It reads the event's fields as the target
// writes them: strings of printable ASCII without escapes, numbers of
// digits, each key of the engine's once. For an event it does not read
// (goroutine stacks, an escaped string), it calls Event.UnmarshalJSON; for
// a line of another shape it reports false, and json.Unmarshal reads it.
// What it returns is what json.Unmarshal would: TestDecodeEventPush
// checks the two agree. seen keeps the texts that repeat.
func decodeEventPush(line []byte, seen *texts) (Push, bool) {
	rest, ok := bytes.CutPrefix(line, eventPushStart)
	if !ok {
		return Push{}, false
	}
	target, rest, ok := cutPlainString(rest)
	if !ok {
		return Push{}, false
	}
	if rest, ok = bytes.CutPrefix(rest, eventPushEpoch); !ok {
		return Push{}, false
	}
	epoch, rest, ok := cutPlainString(rest)
	if !ok || !bytes.HasPrefix(rest, eventPushEvent) {
		return Push{}, false
	}
	rest = rest[len(eventPushEvent)-1:]
	e := new(supervisor.Event)
	if after, ok := decodeEvent(rest, e, seen); !ok || string(after) != "}" {
		// The rest is the event's object and the push's closing brace; if
		// the push has anything after the event, what is left is not one
		// JSON value and UnmarshalJSON fails.
		raw, ok := bytes.CutSuffix(rest, []byte("}"))
		*e = supervisor.Event{}
		if !ok || e.UnmarshalJSON(raw) != nil {
			return Push{}, false
		}
	}
	return Push{Push: "event", Target: reuse(&seen.target, target), Epoch: reuse(&seen.epoch, epoch), Event: e}, true
}

// decodeEvent decodes into e an event's object at the start of b, as
// Event.UnmarshalJSON would, and returns what follows it; it reports
// false for an object it does not read (see decodeEventPush), having
// written some of e.
func decodeEvent(b []byte, e *supervisor.Event, seen *texts) (rest []byte, ok bool) {
	if b, ok = bytes.CutPrefix(b, []byte("{")); !ok {
		return nil, false
	}
	if b, ok = bytes.CutPrefix(b, []byte("}")); ok {
		return b, true
	}
	var keys uint32 // the keys read, as bits
	for {
		var key, text []byte
		if len(b) == 0 || b[0] != '"' {
			return nil, false
		}
		if key, b, ok = cutPlainString(b[1:]); !ok || len(b) == 0 || b[0] != ':' {
			return nil, false
		}
		b = b[1:]
		var bit uint32
		var err error
		switch string(key) {
		case "seq":
			bit = 1 << 0
			e.Seq, b, ok = cutUint(b)
		case "time":
			bit = 1 << 1
			if _, after, plain := cutString(b); plain {
				ok, err = true, e.Time.UnmarshalJSON(b[:len(b)-len(after)])
				b = after
			} else {
				ok = false
			}
		case "kind":
			bit = 1 << 2
			if text, b, ok = cutString(b); ok {
				err = e.Kind.UnmarshalText(text)
			}
		case "path":
			bit = 1 << 3
			if text, b, ok = cutString(b); ok {
				e.Path = reuse(&seen.path, text)
			}
		case "generation":
			bit = 1 << 4
			e.Generation, b, ok = cutUint(b)
		case "attempt":
			bit = 1 << 5
			var n uint64
			n, b, ok = cutUint(b)
			ok = ok && n <= math.MaxInt32
			e.Attempt = int(n)
		case "state":
			bit = 1 << 6
			if text, b, ok = cutString(b); ok {
				err = e.State.UnmarshalText(text)
			}
		case "correlation":
			bit = 1 << 7
			e.Correlation, b, ok = cutUint(b)
		case "exit":
			bit = 1 << 8
			if text, b, ok = cutString(b); ok {
				err = e.Exit.UnmarshalText(text)
			}
		case "error":
			bit = 1 << 9
			if text, b, ok = cutString(b); ok && len(text) > 0 {
				e.Err = errors.New(reuse(&seen.err, text))
			}
		case "delay":
			bit = 1 << 10
			if text, b, ok = cutString(b); ok {
				e.Delay, ok = parseDelay(text)
			}
		case "command":
			bit = 1 << 11
			e.Command, b, ok = cutText(b)
		case "audit":
			bit = 1 << 12
			if b, ok = bytes.CutPrefix(b, []byte(`{"who":`)); ok {
				if e.Audit.Who, b, ok = cutText(b); ok {
					if b, ok = bytes.CutPrefix(b, []byte(`,"why":`)); ok {
						if e.Audit.Why, b, ok = cutText(b); ok {
							b, ok = bytes.CutPrefix(b, []byte("}"))
						}
					}
				}
			}
		case "count":
			bit = 1 << 13
			e.Count, b, ok = cutUint(b)
		case "rule":
			bit = 1 << 14
			e.Rule, b, ok = cutText(b)
		case "reason":
			bit = 1 << 15
			e.Reason, b, ok = cutText(b)
		}
		if bit == 0 || !ok || err != nil || keys&bit != 0 || len(b) == 0 {
			return nil, false
		}
		keys |= bit
		switch b[0] {
		case '}':
			return b[1:], true
		case ',':
			b = b[1:]
		default:
			return nil, false
		}
	}
}

// cutPlainString returns the text of a JSON string whose opening quote
// has been read, and what follows its closing quote, if the string is
// printable ASCII without escapes: its text is then its bytes.
func cutPlainString(b []byte) (text, rest []byte, ok bool) {
	for i, ch := range b {
		switch {
		case ch == '"':
			return b[:i], b[i+1:], true
		case ch < 0x20 || ch > 0x7e || ch == '\\':
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// cutString returns the text of the plain JSON string (see
// cutPlainString) at the start of b, and what follows it.
func cutString(b []byte) (text, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, nil, false
	}
	return cutPlainString(b[1:])
}

// cutText is cutString, its text as a string.
func cutText(b []byte) (text string, rest []byte, ok bool) {
	t, rest, ok := cutString(b)
	return string(t), rest, ok
}

// cutUint returns the JSON number of digits at the start of b, if it is
// written as encoding/json writes a uint64, and what follows it.
func cutUint(b []byte) (n uint64, rest []byte, ok bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || (b[0] == '0' && i > 1) || (i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
		return 0, nil, false
	}
	n, err := strconv.ParseUint(string(b[:i]), 10, 64)
	return n, b[i:], err == nil
}

// parseDelay reads an event's delay as the engine writes it: a duration's
// text, or "infinity".
func parseDelay(text []byte) (time.Duration, bool) {
	if string(text) == "infinity" {
		return supervisor.Infinity, true
	}
	d, err := time.ParseDuration(string(text))
	return d, err == nil
}

// end records why the connection ended and fails the calls waiting.
func (c *Client) end(err error) {
	c.nc.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		err = ErrClientClosed
	} else if _, ok := err.(*Error); !ok {
		err = fmt.Errorf("%w: %v", ErrClientClosed, err)
	}
	if c.err == nil {
		c.err = err
	}
	for id, ch := range c.calls {
		close(ch)
		delete(c.calls, id)
	}
}

func (c *Client) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
