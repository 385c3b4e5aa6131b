package ipc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

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
}

// Dial connects to the endpoint at path.
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	c := &Client{nc: nc, calls: make(map[string]chan Response), pushes: make(chan Push, 256), done: make(chan struct{})}
	go c.read()
	return c, nil
}

// Pushes returns the channel the pushes of the client's subscriptions
// arrive on; it is closed when the connection ends.
func (c *Client) Pushes() <-chan Push { return c.pushes }

// Close closes the connection.
func (c *Client) Close() error {
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
	if err := c.send(encodeLine(req)); err != nil {
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

func (c *Client) send(line []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.nc.Write(line); err != nil {
		return fmt.Errorf("%w: %v", ErrClientClosed, err)
	}
	return nil
}

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

// incoming is a line from the target: a push or a response.
type incoming struct {
	Push   string            `json:"push"`
	Target string            `json:"target"`
	Epoch  string            `json:"epoch"`
	Event  *supervisor.Event `json:"event"`
	Log    *LogRecord        `json:"log"`
	Gap    *Gap              `json:"gap"`

	ID     string          `json:"id"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// read delivers what the target sends until the connection ends.
func (c *Client) read() {
	defer close(c.done)
	defer close(c.pushes)
	s := bufio.NewScanner(c.nc)
	s.Buffer(make([]byte, 64<<10), 256<<20)
	for s.Scan() {
		var in incoming
		if err := json.Unmarshal(s.Bytes(), &in); err != nil {
			c.end(fmt.Errorf("ipc: the target sent a line that is not JSON: %w", err))
			return
		}
		if in.Push != "" {
			c.pushes <- Push{Push: in.Push, Target: in.Target, Epoch: in.Epoch, Event: in.Event, Log: in.Log, Gap: in.Gap}
			continue
		}
		c.mu.Lock()
		ch := c.calls[in.ID]
		c.mu.Unlock()
		if ch != nil {
			ch <- Response{ID: in.ID, OK: in.OK, Result: in.Result, Error: in.Error}
		} else if in.ID == "" && in.Error != nil { // the target refused the connection
			c.end(in.Error)
			return
		}
	}
	c.end(s.Err())
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
