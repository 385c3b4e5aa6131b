package ipc

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// requestWindow is how many of a connection's latest request ids
// requestIDs remembers (control C4).
const requestWindow = 1024

// requestIDs remembers the ids of a connection's latest requestWindow
// requests, to refuse a request that repeats one (control C4). It keeps
// each id's SHA-256, not the id, so that its memory is bounded whatever
// the ids' length. The zero value is ready to use; a requestIDs is used by
// one goroutine, its connection's reader: it has no lock.
type requestIDs struct {
	seen map[[32]byte]struct{}
	ring [][32]byte // the window, oldest at next once full
	next int
}

// add records id and reports whether it is new: not among the latest
// requestWindow ids recorded. A repeat is not recorded again. The empty id
// is always new and never recorded: the caller refuses requests without
// an id if the protocol requires one.
func (r *requestIDs) add(id string) bool {
	if id == "" {
		return true
	}
	h := sha256.Sum256([]byte(id))
	if _, ok := r.seen[h]; ok {
		return false
	}
	if r.seen == nil { // both grow with the ids, up to the window
		r.seen = make(map[[32]byte]struct{})
	}
	if len(r.ring) < requestWindow {
		r.ring = append(r.ring, h)
	} else {
		delete(r.seen, r.ring[r.next])
		r.ring[r.next] = h
		r.next = (r.next + 1) % requestWindow
	}
	r.seen[h] = struct{}{}
	return true
}

// The command cache's defaults and bound (control C8).
const (
	defaultCommandTTL = 10 * time.Minute
	maxCommands       = 4096
)

// cachedResult is a completed command's response, for its repeats; the
// caller sets each repeat's request id in a copy.
type cachedResult struct {
	response Response
}

// command is a command id's entry in the command cache: running until
// done is closed, then holding its result until it expires.
type command struct {
	key         [32]byte // the SHA-256 of the command id
	fingerprint [32]byte
	done        chan struct{} // closed by finish or abandon
	result      *cachedResult // set by finish, before done is closed
	expires     time.Time     // set by finish
	elem        *list.Element // in commandCache.completed once finished
	owner       uint32        // the uid of the peer that began it
}

// commandCache makes commands idempotent (control C8): the first request
// with a command id runs the command; a repeat with the same fingerprint
// gets the first's response, once it has one, without running it again;
// the same id with another fingerprint is a conflict. A response is kept
// for ttl after the command completes. Command ids are kept as their
// SHA-256, so that memory is bounded whatever their length.
//
// The cache keeps at most max completed commands: when a new command
// would exceed that, the one completed longest ago is evicted, expired or
// not. A running command is never evicted nor expires, since a repeat
// would then run it a second time: the cache grows past max by the
// commands running at once, which the endpoint bounds (MaxConns
// connections, a few commands in flight each).
//
// Every command begun must be ended by its first caller with finish or
// abandon. A commandCache is safe for concurrent use by every connection
// of an endpoint.
type commandCache struct {
	ttl   time.Duration
	max   int
	share int              // the most commands one peer's uid may have kept at once
	now   func() time.Time // time.Now; finish's clock

	mu        sync.Mutex
	entries   map[[32]byte]*command
	owned     map[uint32]int // commands kept, by the uid that began them
	completed list.List      // of *command, in the order they completed
}

// newCommandCache returns an empty cache that keeps responses for ttl
// (defaultCommandTTL if ttl <= 0) and at most maxCommands of them.
func newCommandCache(ttl time.Duration) *commandCache {
	if ttl <= 0 {
		ttl = defaultCommandTTL
	}
	return &commandCache{ttl: ttl, max: maxCommands, share: maxCommands / 4, now: time.Now,
		entries: make(map[[32]byte]*command), owned: make(map[uint32]int)}
}

// begin looks up command id, whose request has the fingerprint fp, at
// time now, and says what the caller does:
//
//   - conflict: id was given to a command with another fingerprint, within
//     ttl: refuse the request.
//   - prior != nil: the command completed: answer with its response.
//   - wait != nil: the command is running: wait until wait is closed (or
//     the connection ends), then call begin again. The command may have
//     been abandoned: begin then makes the caller the first.
//   - full: the cache holds max results, none expired, or owner's uid
//     has its share of them (a quarter): refuse the request, which may
//     be retried later. A peer that floods the cache fills its share, not
//     everyone's. Evicting a result before its
//     time would let a flood of cheap commands make a retried one run
//     twice.
//   - all zero: the caller is the first: it runs the command and then
//     calls finish, or abandon if the command did not run.
func (c *commandCache) begin(id string, owner uint32, fp [32]byte, now time.Time) (prior *cachedResult, conflict bool, wait <-chan struct{}, full bool) {
	key := sha256.Sum256([]byte(id))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if cmd := c.entries[key]; cmd != nil {
		switch {
		case cmd.elem != nil && !now.Before(cmd.expires):
			c.remove(cmd) // expired, behind one that completed later
		case cmd.fingerprint != fp:
			return nil, true, nil, false
		case cmd.result != nil:
			return cmd.result, false, nil, false
		default:
			return nil, false, cmd.done, false
		}
	}
	if c.completed.Len() >= c.max || c.owned[owner] >= c.share { // none has expired (expire removed those)
		return nil, false, nil, true
	}
	c.entries[key] = &command{key: key, fingerprint: fp, done: make(chan struct{}), owner: owner}
	c.owned[owner]++
	return nil, false, nil, false
}

// finish records r as the response of command id, which the caller began
// as the first, and wakes the requests waiting for it.
func (c *commandCache) finish(id string, r Response) {
	key := sha256.Sum256([]byte(id))
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd := c.entries[key]
	if cmd == nil || cmd.result != nil {
		return // not begun: a caller's mistake, with nothing to wake
	}
	cmd.result = &cachedResult{response: r}
	cmd.expires = c.now().Add(c.ttl)
	cmd.elem = c.completed.PushBack(cmd)
	close(cmd.done)
}

// abandon drops command id, which the caller began as the first and did
// not run (its audit record could not be written, say), so that a repeat
// runs it rather than getting a refusal; the requests waiting for it
// wake and begin again.
func (c *commandCache) abandon(id string) {
	key := sha256.Sum256([]byte(id))
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd := c.entries[key]
	if cmd == nil || cmd.result != nil {
		return
	}
	delete(c.entries, key)
	c.disown(cmd)
	close(cmd.done)
}

// disown counts cmd out of its owner's share.
func (c *commandCache) disown(cmd *command) {
	if c.owned[cmd.owner]--; c.owned[cmd.owner] <= 0 {
		delete(c.owned, cmd.owner)
	}
}

// expire removes the completed commands that expired by now, oldest
// first.
func (c *commandCache) expire(now time.Time) {
	for e := c.completed.Front(); e != nil; e = c.completed.Front() {
		cmd := e.Value.(*command)
		if now.Before(cmd.expires) {
			return
		}
		c.remove(cmd)
	}
}

// remove removes a completed command.
func (c *commandCache) remove(cmd *command) {
	c.completed.Remove(cmd.elem)
	if c.entries[cmd.key] == cmd {
		delete(c.entries, cmd.key)
	}
	c.disown(cmd)
}
