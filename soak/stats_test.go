package main

import (
	"math"
	"testing"
	"time"
)

func TestFitLineExact(t *testing.T) {
	xs := []float64{0, 1, 2, 3, 4}
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = 7 - 2.5*x
	}
	f, ok := fitLine(xs, ys)
	if !ok {
		t.Fatal("fitLine reported no fit")
	}
	if math.Abs(f.Slope+2.5) > 1e-12 || math.Abs(f.Intercept-7) > 1e-12 {
		t.Errorf("fit = %+v, want slope -2.5, intercept 7", f)
	}
	if f.SlopeSE > 1e-12 || f.N != 5 || f.Span != 4 {
		t.Errorf("fit = %+v, want SE 0, N 5, span 4", f)
	}
}

func TestFitLineKnownRegression(t *testing.T) {
	// Worked by hand: x̄ = 2, ȳ = 2.6, Sxx = 10, Sxy = 8, so the slope
	// is 0.8 and the intercept 1; the residuals are 0.0, 0.2, -0.6, 0.6,
	// -0.2, so SSE = 0.8 and SE = sqrt(0.8/3/10).
	xs := []float64{0, 1, 2, 3, 4}
	ys := []float64{1, 2, 2, 4, 4}
	f, ok := fitLine(xs, ys)
	if !ok {
		t.Fatal("fitLine reported no fit")
	}
	if math.Abs(f.Slope-0.8) > 1e-12 || math.Abs(f.Intercept-1) > 1e-12 {
		t.Errorf("slope %v intercept %v, want 0.8 and 1", f.Slope, f.Intercept)
	}
	if want := math.Sqrt(0.8 / 3 / 10); math.Abs(f.SlopeSE-want) > 1e-12 {
		t.Errorf("SE = %v, want %v", f.SlopeSE, want)
	}
}

func TestFitLineFlatNoise(t *testing.T) {
	// A sawtooth with no trend fits a slope near zero.
	var xs, ys []float64
	for i := range 600 {
		xs = append(xs, float64(i))
		ys = append(ys, float64(i%10))
	}
	f, _ := fitLine(xs, ys)
	if math.Abs(f.Slope) > 0.01 {
		t.Errorf("slope %v, want about 0", f.Slope)
	}
}

func TestFitLineDegenerate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		xs, ys []float64
	}{
		{"empty", nil, nil},
		{"two points", []float64{0, 1}, []float64{0, 1}},
		{"same x", []float64{2, 2, 2}, []float64{1, 2, 3}},
		{"lengths differ", []float64{0, 1, 2}, []float64{0, 1}},
	} {
		if f, ok := fitLine(tc.xs, tc.ys); ok {
			t.Errorf("%s: fit %+v, want none", tc.name, f)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := summarize([]float64{3, 1, 4, 1, 5})
	if s.Min != 1 || s.Max != 5 || s.Avg != 2.8 || s.Last != 5 || s.N != 5 {
		t.Errorf("summarize = %+v", s)
	}
	if s := summarize(nil); s != (summary{}) {
		t.Errorf("summarize(nil) = %+v, want zero", s)
	}
}

func TestLatencyHistQuantiles(t *testing.T) {
	var h latencyHist
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	// A quantile is an upper bound within one bucket: at most 12% high.
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, time.Millisecond}} {
		got := h.quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.13 {
			t.Errorf("quantile(%v) = %v, want within [%v, +12%%]", tc.q, got, tc.want)
		}
	}
	if h.max != time.Millisecond || h.quantile(1) != time.Millisecond {
		t.Errorf("max %v, quantile(1) %v: want exactly 1ms", h.max, h.quantile(1))
	}
	if m := h.mean(); m != 500500*time.Nanosecond {
		t.Errorf("mean %v, want 500.5µs", m)
	}
	var empty latencyHist
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("an empty histogram has quantiles")
	}
}

func TestLatencyHistBuckets(t *testing.T) {
	for _, d := range []time.Duration{1, histMin, histMin + 1, time.Microsecond, 3 * time.Millisecond, time.Hour, 1000 * time.Hour} {
		i := bucketOf(d)
		if d > histMin && d <= bucketUpper(histBuckets-1) && (d > bucketUpper(i) || (i > 0 && d <= bucketUpper(i-1))) {
			t.Errorf("%v in bucket %d (%v, %v]", d, i, bucketUpper(i-1), bucketUpper(i))
		}
	}
	var a, b latencyHist
	a.record(time.Millisecond)
	b.record(time.Second)
	a.merge(&b)
	if a.n != 2 || a.max != time.Second || a.quantile(1) != time.Second {
		t.Errorf("merged: n %d max %v", a.n, a.max)
	}
}
