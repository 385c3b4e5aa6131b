package deadline

import (
	"math/rand/v2"
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type item struct {
	id int
	e  Entry
}

func (i *item) DeadlineEntry() *Entry { return &i.e }

// The queue always pops the earliest deadline, whatever mix of sets, moves
// and removals came before; checked against a sorted model.
func TestQueueAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	items := make([]*item, 50)
	for i := range items {
		items[i] = &item{id: i}
	}
	var q Queue[*item]
	model := map[int]int64{}
	for step := range 20000 {
		it := items[r.IntN(len(items))]
		switch r.IntN(4) {
		case 0, 1:
			at := r.Int64N(1000)
			q.Set(it, at)
			model[it.id] = at
		case 2:
			q.Remove(it)
			delete(model, it.id)
		case 3:
			now := r.Int64N(1000)
			for {
				got, ok := q.PopDue(now)
				if !ok {
					break
				}
				want, in := model[got.id]
				if !in || want > now {
					t.Fatalf("step %d: popped %d at %d, model %v", step, got.id, got.e.At, want)
				}
				for _, at := range model {
					if at < want {
						t.Fatalf("step %d: popped %d before an earlier deadline", step, want)
					}
				}
				delete(model, got.id)
				if got.e.Queued() {
					t.Fatal("a popped entry still counts as queued")
				}
			}
			for id, at := range model {
				if at <= now {
					t.Fatalf("step %d: %d due at %d was not popped at %d", step, id, at, now)
				}
			}
		}
		if q.Len() != len(model) {
			t.Fatalf("step %d: len %d, model %d", step, q.Len(), len(model))
		}
		if _, at, ok := q.Peek(); ok {
			ats := make([]int64, 0, len(model))
			for _, a := range model {
				ats = append(ats, a)
			}
			if at != slices.Min(ats) {
				t.Fatalf("step %d: peek %d, min %d", step, at, slices.Min(ats))
			}
		}
	}
}

func TestQueueZeroAllocs(t *testing.T) {
	var q Queue[*item]
	items := []*item{{id: 0}, {id: 1}, {id: 2}}
	for _, it := range items {
		q.Set(it, 1)
	}
	n := testing.AllocsPerRun(1000, func() {
		q.Set(items[0], 5)
		q.Remove(items[1])
		q.Set(items[1], 2)
		q.PopDue(3)
		q.Set(items[2], 7)
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
