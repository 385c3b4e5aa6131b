// Package deadline is a min-heap of deadlines keyed by entries that their
// owners embed, so that arming, moving and cancelling a deadline never
// allocates. A supervisor keeps one queue and one timer for all of its
// children instead of one timer per child.
package deadline

// Entry is one deadline. Its owner embeds it and sets Value to itself, so
// that a popped Entry leads back to the owner. The zero Entry is not queued.
type Entry struct {
	// At is the deadline, in whatever monotonic unit the queue's user picks.
	At int64
	// Value is the owner of the entry.
	Value any
	// index is the position in the heap plus one; zero means not queued.
	index int
}

// Queued reports whether e is in a queue.
func (e *Entry) Queued() bool { return e.index != 0 }

// Queue is a min-heap of entries ordered by At. The zero Queue is empty and
// ready to use. A Queue is not safe for concurrent use.
type Queue struct {
	h []*Entry
}

// Len returns the number of queued entries.
func (q *Queue) Len() int { return len(q.h) }

// Set queues e with deadline at, or moves it there if it is already queued.
func (q *Queue) Set(e *Entry, at int64) {
	if e.index == 0 {
		e.At = at
		q.h = append(q.h, e)
		e.index = len(q.h)
		q.up(len(q.h) - 1)
		return
	}
	old := e.At
	e.At = at
	if at < old {
		q.up(e.index - 1)
	} else {
		q.down(e.index - 1)
	}
}

// Remove takes e out of the queue. It does nothing if e is not queued.
func (q *Queue) Remove(e *Entry) {
	if e.index == 0 {
		return
	}
	i := e.index - 1
	last := len(q.h) - 1
	if i != last {
		q.swap(i, last)
	}
	q.h[last] = nil
	q.h = q.h[:last]
	e.index = 0
	if i != last {
		q.down(i)
		q.up(i)
	}
}

// Peek returns the entry with the earliest deadline, or nil.
func (q *Queue) Peek() *Entry {
	if len(q.h) == 0 {
		return nil
	}
	return q.h[0]
}

// PopDue removes and returns the earliest entry if its deadline is at or
// before now; otherwise it returns nil.
func (q *Queue) PopDue(now int64) *Entry {
	if len(q.h) == 0 || q.h[0].At > now {
		return nil
	}
	e := q.h[0]
	q.Remove(e)
	return e
}

func (q *Queue) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	q.h[i].index = i + 1
	q.h[j].index = j + 1
}

func (q *Queue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if q.h[p].At <= q.h[i].At {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *Queue) down(i int) {
	n := len(q.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && q.h[r].At < q.h[l].At {
			m = r
		}
		if q.h[i].At <= q.h[m].At {
			return
		}
		q.swap(i, m)
		i = m
	}
}
