//go:build linux

package process

import (
	"context"
	"net"
	"regexp"
	"sync/atomic"
	"time"
)

// dialInterval is how often a Ready.Addr check tries to connect.
const dialInterval = 50 * time.Millisecond

// readiness runs a command's Ready checks for one attempt.
type readiness struct {
	re   *regexp.Regexp
	addr string
	seen atomic.Bool   // a line matched re
	line chan struct{} // closed once a line matched re
}

// newReadiness returns the checks of r, or nil if it has none.
func newReadiness(r Ready) *readiness {
	if r == (Ready{}) {
		return nil
	}
	rd := &readiness{line: make(chan struct{})}
	if r.Line != "" {
		rd.re = regexp.MustCompile(r.Line) // validated
	}
	if r.Addr != "" {
		rd.addr = dialAddr(r.Addr)
	}
	return rd
}

// dialAddr returns addr with an empty host replaced by 127.0.0.1.
func dialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// match checks an output line against the Line check.
func (rd *readiness) match(line string) {
	if rd == nil || rd.re == nil || rd.seen.Load() {
		return
	}
	if rd.re.MatchString(line) && rd.seen.CompareAndSwap(false, true) {
		close(rd.line)
	}
}

// wait returns true once every check has passed: the line first, then the
// address. It returns false if ctx is done first.
func (rd *readiness) wait(ctx context.Context) bool {
	if rd.re != nil {
		select {
		case <-rd.line:
		case <-ctx.Done():
			return false
		}
	}
	if rd.addr == "" {
		return true
	}
	var d net.Dialer
	tick := time.NewTicker(dialInterval)
	defer tick.Stop()
	for {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := d.DialContext(dctx, "tcp", rd.addr)
		cancel()
		if err == nil {
			conn.Close()
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
