package supervisor

import (
	"testing"
	"time"
)

func TestRestartWindowExact(t *testing.T) {
	w := newRestartWindow(Intensity{MaxRestarts: 3, Period: 10})
	for i, tc := range []struct {
		at   int64
		want bool
	}{
		{1, true}, {2, true}, {3, true}, // 3 within (−9, 3]
		{4, false}, // would be the 4th within 10
		{11, true}, // 1 has left the window (11−10 = 1 is not > 1)
		{12, true}, {12, false}, {13, true}, {22, true}, {22, true}, {22, false},
	} {
		if got := w.allow(tc.at); got != tc.want {
			t.Fatalf("step %d: allow(%d) = %v, want %v", i, tc.at, got, tc.want)
		}
	}
}

func TestRestartWindowBucketed(t *testing.T) {
	period := time.Second
	w := newRestartWindow(Intensity{MaxRestarts: 2000, Period: period})
	if w.width == 0 {
		t.Fatal("large MaxRestarts must use buckets")
	}
	if len(w.ring) != 0 {
		t.Fatal("bucket mode must not allocate a timestamp per restart")
	}
	// 2000 restarts within a second fit, the next does not.
	at := int64(0)
	for i := range 2000 {
		at = int64(i) * int64(period) / 4000 // spread over half a second
		if !w.allow(at) {
			t.Fatalf("restart %d refused", i)
		}
	}
	if w.allow(at) {
		t.Fatal("restart 2001 within the period must be refused")
	}
	// A full period later the window is empty again.
	if !w.allow(at + int64(period) + int64(period)/windowBuckets) {
		t.Fatal("the window did not slide")
	}
	// Never early by more than one bucket: restarts spaced just over
	// Period/MaxRestarts apart always fit.
	w = newRestartWindow(Intensity{MaxRestarts: 2000, Period: period})
	step := int64(period)/2000 + int64(period)/windowBuckets/2000 + 1
	for i := range 100000 {
		if !w.allow(int64(i) * step) {
			t.Fatalf("restart %d at a sustainable rate refused", i)
		}
	}
}

func BenchmarkRestartWindow(b *testing.B) {
	for _, max := range []int{5, 100000} {
		b.Run(time.Duration(max).String(), func(b *testing.B) {
			w := newRestartWindow(Intensity{MaxRestarts: max, Period: time.Nanosecond})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				w.allow(int64(i))
			}
		})
	}
}
