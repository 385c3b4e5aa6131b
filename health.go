package supervisor

import (
	"context"
	"fmt"
)

// Check reports whether every control loop of the tree is alive and
// responsive, for a liveness probe: it sends each running supervisor (the
// root and every running nested one) a probe through its inbox, behind
// whatever the loop has to handle first, and waits for the answers. It
// returns nil if all answered; an *OpError with Op "check" naming the
// first supervisor that did not before ctx ended (its Err wraps ctx.Err()); ErrShuttingDown once the tree has ended.
// A nested supervisor that ends while it is probed counts as answered.
func (t *Tree) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return loopError("/", err)
	}
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return ErrShuttingDown
	}
	var nodes []*node
	var walk func(n *node)
	walk = func(n *node) {
		nodes = append(nodes, n)
		for _, c := range n.children {
			if c != nil && c.cur != nil && c.cur.sub != nil {
				walk(c.cur.sub)
			}
		}
	}
	walk(t.root)
	t.mu.Unlock()

	probes := make([]*command, len(nodes))
	for i, n := range nodes { // all probes first: the loops answer in parallel
		probes[i] = &command{reply: make(chan error, 1)}
		select {
		case n.inbox <- msg{kind: msgPing, cmd: probes[i]}:
		case <-n.dead:
			probes[i] = nil
		case <-ctx.Done():
			return loopError(n.path, ctx.Err())
		}
	}
	for i, n := range nodes {
		if probes[i] == nil {
			continue
		}
		select {
		case <-probes[i].reply:
		case <-n.dead:
		case <-ctx.Done():
			return loopError(n.path, ctx.Err())
		}
	}
	select {
	case <-nodes[0].dead: // the root's loop ended: so has the tree
		return ErrShuttingDown
	default:
		return nil
	}
}

// loopError reports a supervisor whose control loop did not answer Check
// before the wait ended with err: it is stuck (a bug), or too busy to
// supervise.
func loopError(path string, err error) error {
	return &OpError{Op: "check", Path: path, Err: fmt.Errorf("its control loop did not answer: %w", err)}
}
