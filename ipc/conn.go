package ipc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"time"
)

// maxInFlight is how many commands a connection may have running at once;
// a request beyond them waits for one to end.
const maxInFlight = 16

// conn is one client's connection. Its reader goroutine (serve) reads and
// answers requests in order, but for commands, which run in goroutines of
// their own so that a long one does not hold up the others; its writer
// goroutine is the only one that writes to the socket. Responses and
// pushes reach the writer through out, which a slow client fills: then
// its subscriptions' own queues fill, and drop with a count (gap pushes),
// so that nothing the tree does waits for a client.
type conn struct {
	e      *Endpoint
	nc     *net.UnixConn
	peer   peer
	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc
	out    chan []byte
	ids    requestIDs
	bucket bucket
	slots  chan struct{} // commands in flight
	wg     sync.WaitGroup

	mu   sync.Mutex
	subs map[string]context.CancelFunc // stream → its pump's cancel
}

func newConn(e *Endpoint, nc *net.UnixConn, p peer) *conn {
	ctx, cancel := context.WithCancel(e.ctx)
	return &conn{e: e, nc: nc, peer: p, ctx: ctx, cancel: cancel,
		out: make(chan []byte, 64), bucket: newBucket(e.cfg.Rate, e.cfg.Burst),
		slots: make(chan struct{}, maxInFlight), subs: make(map[string]context.CancelFunc)}
}

// close ends the connection: its goroutines return.
func (c *conn) close() {
	c.cancel()
	c.nc.SetDeadline(time.Now()) // wakes a read or a write under way
}

// serve reads requests until the client closes, a read fails or the
// endpoint closes; then it waits for the connection's goroutines.
func (c *conn) serve() {
	defer c.e.forget(c)
	c.wg.Add(1)
	go c.write()
	lines := newLineReader(c.nc, c.e.cfg.MaxLine)
	for c.ctx.Err() == nil {
		c.nc.SetReadDeadline(c.idleDeadline())
		line, err := lines.next()
		switch {
		case errors.Is(err, errLineTooLong):
			c.reply("", nil, &Error{Code: "line_too_long",
				Message: "a request line is longer than the target's limit (hello's limit.max_line): send a smaller request"})
			continue
		case err != nil:
			c.close()
		default:
			c.handle(line)
		}
	}
	c.close()
	c.wg.Wait()
	c.nc.Close()
}

// idleDeadline is when a connection that sends nothing is closed: never
// while it has subscriptions, whose pushes it is waiting for.
func (c *conn) idleDeadline() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.subs) > 0 {
		return time.Time{}
	}
	return time.Now().Add(c.e.cfg.IdleTimeout)
}

// write sends what is queued in out to the client, each line within the
// write timeout; a client that does not read for that long is closed.
func (c *conn) write() {
	defer c.wg.Done()
	w := bufio.NewWriterSize(c.nc, 64<<10)
	for {
		var line []byte
		select {
		case line = <-c.out:
		case <-c.ctx.Done():
			return
		}
		c.nc.SetWriteDeadline(time.Now().Add(c.e.cfg.WriteTimeout))
		w.Write(line)
		for more := true; more; { // batch what is queued into one write
			select {
			case line = <-c.out:
				w.Write(line)
			default:
				more = false
			}
		}
		if err := w.Flush(); err != nil {
			c.close()
			return
		}
	}
}

// send queues a line for the writer, waiting while out is full; it
// reports false once the connection has ended.
func (c *conn) send(line []byte) bool {
	select {
	case c.out <- line:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// reply sends the response to request id: result, or err.
func (c *conn) reply(id string, result any, err *Error) {
	r := Response{ID: id, OK: err == nil, Error: err}
	if err == nil {
		b, merr := json.Marshal(result)
		if merr != nil {
			r = Response{ID: id, Error: &Error{Code: "internal", Message: "the result could not be encoded: " + merr.Error()}}
		} else {
			r.Result = b
		}
	}
	c.send(encodeLine(r))
}

// encodeLine returns v as one JSON line.
func encodeLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // the protocol's own types always encode
		panic("ipc: " + err.Error())
	}
	return append(b, '\n')
}
