package ipc

import (
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

// outQueue is how many writes (a response, or a batch of pushes of about
// pushBatchBytes at most) a connection queues for its writer; a reader or
// a pump that finds it full waits.
const outQueue = 16

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
	slots  chan struct{}  // commands in flight
	cmds   sync.WaitGroup // commands running
	pumps  sync.WaitGroup // subscriptions' pumps
	flush  chan struct{}  // closed to make the writer write what is queued and return
	wrote  chan struct{}  // closed when the writer has returned

	mu       sync.Mutex
	subs     map[string]pumping // stream → its pump
	stopping bool               // the endpoint is closing: read no more
	client   string             // the name hello gave the client, quoted
}

func newConn(e *Endpoint, nc *net.UnixConn, p peer) *conn {
	ctx, cancel := context.WithCancel(e.ctx)
	return &conn{e: e, nc: nc, peer: p, ctx: ctx, cancel: cancel,
		out: make(chan []byte, outQueue), bucket: newBucket(e.cfg.Rate, e.cfg.Burst),
		slots: make(chan struct{}, maxInFlight), flush: make(chan struct{}), wrote: make(chan struct{}),
		subs: make(map[string]pumping)}
}

// abort ends the connection at once: the client is gone, does not read,
// or keeps missing what it subscribed to.
func (c *conn) abort() {
	c.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopping = true            // lest the reader set a later deadline
	c.nc.SetDeadline(time.Now()) // wakes a read or a write under way
}

// stop makes the connection read no more requests, for the endpoint's
// Close: it ends as serve ends it, answering what it has begun.
func (c *conn) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopping = true
	c.nc.SetReadDeadline(time.Now())
}

// serve reads requests until the client closes, a read fails or the
// endpoint closes, then ends the connection.
func (c *conn) serve() {
	defer c.e.forget(c)
	go c.write()
	lines := newLineReader(c.nc, c.e.cfg.MaxLine)
	for c.ctx.Err() == nil && c.setReadDeadline() {
		line, err := lines.next()
		switch {
		case errors.Is(err, errLineTooLong):
			c.reply("", nil, &Error{Code: "line_too_long",
				Message: "a request line is longer than the target's limit (hello's limit.max_line): send a smaller request"})
		case err != nil:
			c.end()
			return
		default:
			c.handle(line)
		}
	}
	c.end()
}

// end ends the connection: the commands it began run to their end and
// their answers are written (within the write timeout), then its
// subscriptions end, and the writer writes what is queued.
func (c *conn) end() {
	c.cmds.Wait()
	c.mu.Lock()
	for stream, sub := range c.subs {
		sub.cancel()
		delete(c.subs, stream)
	}
	c.mu.Unlock()
	c.pumps.Wait()
	close(c.flush)
	<-c.wrote
	c.cancel()
	c.nc.Close()
}

// setReadDeadline sets the deadline of the next read, and reports false
// if the connection is to read no more.
func (c *conn) setReadDeadline() bool {
	deadline := c.idleDeadline()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return false
	}
	c.nc.SetReadDeadline(deadline)
	return true
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

// write sends what is queued in out to the client, each write within the
// write timeout; a client that does not read for that long is aborted.
// Once flush is closed, it writes what is queued and returns. What is
// queued when it wakes goes out in one writev, from the lines themselves:
// a connection has no write buffer, so an idle one costs none.
func (c *conn) write() {
	defer close(c.wrote)
	var batch, iovs [][]byte // the lines of one write, and their copy that writev consumes
	for {
		var line []byte
		last := false
		select {
		case line = <-c.out:
		case <-c.flush:
			last = true
		case <-c.ctx.Done():
			return
		}
		batch = batch[:0]
		if !last {
			batch = append(batch, line)
		}
	queued: // batch what is queued into one write
		for len(batch) < cap(c.out) {
			select {
			case line = <-c.out:
				batch = append(batch, line)
			default:
				break queued
			}
		}
		if len(batch) > 0 {
			c.nc.SetWriteDeadline(time.Now().Add(c.e.cfg.WriteTimeout))
			iovs = append(iovs[:0], batch...)
			bufs := net.Buffers(iovs) // WriteTo consumes bufs
			_, err := bufs.WriteTo(c.nc)
			if err == nil {
				for _, line := range batch {
					c.e.buffers.recycle(line)
				}
			}
			clear(batch) // the lines written can be collected
			if err != nil {
				c.abort()
				return
			}
		}
		if last && len(c.out) == 0 {
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
	if err != nil { // the protocol's own types encode, but for a bug
		b, _ = json.Marshal(Response{Error: &Error{Code: "internal",
			Message: "the target could not encode a message (" + err.Error() + "): please report it"}})
	}
	return append(b, '\n')
}
