package seqcheck

import (
	"testing"

	"github.com/go-supervisor/supervisor"
)

// ev is an event with sequence number seq; notice(seq, n) a drop notice
// for n events, the newest of them seq.
func ev(seq uint64) supervisor.Event {
	return supervisor.Event{Seq: seq, Kind: supervisor.EventChildRunning}
}

func notice(seq, n uint64) supervisor.Event {
	return supervisor.Event{Seq: seq, Kind: supervisor.EventsDropped, Count: n}
}

func TestSeqTracker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		after  uint64
		events []supervisor.Event
		final  uint64 // 0: no finish
		want   Tracker
	}{
		{name: "contiguous", after: 10, events: []supervisor.Event{ev(11), ev(12), ev(13)}, final: 13,
			want: Tracker{Events: 3}},
		{name: "begins before the snapshot", after: 10, events: []supervisor.Event{ev(9), ev(10), ev(11)},
			want: Tracker{Events: 3}},
		{name: "drop announced", after: 0, events: []supervisor.Event{ev(1), ev(2), notice(7, 5), ev(8)}, final: 8,
			want: Tracker{Events: 3, Notices: 1, Dropped: 5}},
		{name: "two notices", after: 0, events: []supervisor.Event{ev(1), notice(3, 2), ev(4), notice(9, 5), ev(10)},
			want: Tracker{Events: 3, Notices: 2, Dropped: 7}},
		{name: "gap without a notice", after: 0, events: []supervisor.Event{ev(1), ev(2), ev(5), ev(6)},
			want: Tracker{Events: 4, Gaps: 2}},
		{name: "notice short of the gap", after: 0, events: []supervisor.Event{ev(1), notice(6, 3), ev(7)},
			want: Tracker{Events: 2, Notices: 1, Dropped: 3, Gaps: 2}},
		{name: "notice claims too much", after: 0, events: []supervisor.Event{ev(1), ev(2), ev(3), notice(4, 3), ev(5)},
			want: Tracker{Events: 4, Notices: 1, Dropped: 3, Anomalies: 1}},
		{name: "first is a notice", after: 4, events: []supervisor.Event{notice(8, 4), ev(9)},
			want: Tracker{Events: 1, Notices: 1, Dropped: 4}},
		{name: "first is a notice of events before the snapshot", after: 4, events: []supervisor.Event{notice(8, 6), ev(9)},
			want: Tracker{Events: 1, Notices: 1, Dropped: 6}},
		{name: "first is a notice after lost events", after: 4, events: []supervisor.Event{notice(10, 3), ev(11)},
			want: Tracker{Events: 1, Notices: 1, Dropped: 3, Gaps: 3}},
		{name: "first event late", after: 10, events: []supervisor.Event{ev(14), ev(15)},
			want: Tracker{Events: 2, Gaps: 3}},
		{name: "duplicate", after: 0, events: []supervisor.Event{ev(1), ev(2), ev(2), ev(3)},
			want: Tracker{Events: 4, Anomalies: 1}},
		{name: "reordered", after: 0, events: []supervisor.Event{ev(1), ev(3), ev(2), ev(4)},
			want: Tracker{Events: 4, Gaps: 1, Anomalies: 1}},
		{name: "tail lost", after: 0, events: []supervisor.Event{ev(1), ev(2)}, final: 5,
			want: Tracker{Events: 2, Gaps: 3}},
		{name: "nothing received, nothing published", after: 7, final: 7, want: Tracker{}},
		{name: "nothing received, events published", after: 7, final: 9, want: Tracker{Gaps: 2}},
		{name: "stream beyond the end", after: 0, events: []supervisor.Event{ev(1), ev(2), ev(3)}, final: 2,
			want: Tracker{Events: 3, Anomalies: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(tc.after)
			for _, e := range tc.events {
				tr.Observe(e)
			}
			if tc.final > 0 || len(tc.events) == 0 {
				tr.Finish(tc.final)
			}
			got := Tracker{Events: tr.Events, Notices: tr.Notices, Dropped: tr.Dropped, Gaps: tr.Gaps, Anomalies: tr.Anomalies}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
