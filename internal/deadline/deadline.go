// Package deadline is a min-heap of deadlines kept in entries that their
// owners embed, so that arming, moving and cancelling a deadline never
// allocates. A supervisor keeps one queue and one timer for all of its
// children instead of one timer per child.
package deadline

// Entry is one deadline, embedded in its owner. The zero Entry is not queued.
type Entry struct {
	// At is the deadline, in whatever monotonic unit the queue's user picks.
	At int64
	// index is the position in the heap plus one; zero means not queued.
	index int32
}

// Queued reports whether e is in a queue.
func (e *Entry) Queued() bool { return e.index != 0 }

// Owner is what a queue holds: a pointer to a value embedding an Entry.
type Owner interface {
	comparable
	// DeadlineEntry returns the owner's entry.
	DeadlineEntry() *Entry
}

// Queue is a min-heap of owners ordered by their entries' At. The zero Queue
// is empty and ready to use. A Queue is not safe for concurrent use.
type Queue[T Owner] struct {
	h []T
}

// Len returns the number of queued owners.
func (q *Queue[T]) Len() int { return len(q.h) }

// Set queues o with deadline at, or moves it there if it is already queued.
func (q *Queue[T]) Set(o T, at int64) {
	e := o.DeadlineEntry()
	if e.index == 0 {
		e.At = at
		q.h = append(q.h, o)
		e.index = int32(len(q.h))
		q.up(len(q.h) - 1)
		return
	}
	old := e.At
	e.At = at
	if at < old {
		q.up(int(e.index) - 1)
	} else {
		q.down(int(e.index) - 1)
	}
}

// Remove takes o out of the queue. It does nothing if o is not queued.
func (q *Queue[T]) Remove(o T) {
	e := o.DeadlineEntry()
	if e.index == 0 {
		return
	}
	i := int(e.index) - 1
	last := len(q.h) - 1
	if i != last {
		q.swap(i, last)
	}
	var zero T
	q.h[last] = zero
	q.h = q.h[:last]
	e.index = 0
	if i != last {
		q.down(i)
		q.up(i)
	}
}

// Peek returns the owner with the earliest deadline; ok is false if the
// queue is empty.
func (q *Queue[T]) Peek() (o T, at int64, ok bool) {
	if len(q.h) == 0 {
		return o, 0, false
	}
	return q.h[0], q.h[0].DeadlineEntry().At, true
}

// PopDue removes and returns the earliest owner if its deadline is at or
// before now; ok is false otherwise.
func (q *Queue[T]) PopDue(now int64) (o T, ok bool) {
	if len(q.h) == 0 || q.h[0].DeadlineEntry().At > now {
		return o, false
	}
	o = q.h[0]
	q.Remove(o)
	return o, true
}

func (q *Queue[T]) at(i int) int64 { return q.h[i].DeadlineEntry().At }

func (q *Queue[T]) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	q.h[i].DeadlineEntry().index = int32(i + 1)
	q.h[j].DeadlineEntry().index = int32(j + 1)
}

func (q *Queue[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if q.at(p) <= q.at(i) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *Queue[T]) down(i int) {
	n := len(q.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && q.at(r) < q.at(l) {
			m = r
		}
		if q.at(i) <= q.at(m) {
			return
		}
		q.swap(i, m)
		i = m
	}
}
