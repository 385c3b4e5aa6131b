package main

import (
	"math"
	"time"
)

// lineFit is a least-squares line y = Intercept + Slope·x.
type lineFit struct {
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	// SlopeSE is the slope's standard error under independent residuals.
	// Memory samples are autocorrelated (a GC cycle spans several), so it
	// understates the real uncertainty: it is shown, not judged.
	SlopeSE float64 `json:"slope_se"`
	N       int     `json:"n"`
	// Span is the extent of x: max − min.
	Span float64 `json:"span"`
}

// fitLine fits a line to the points (xs[i], ys[i]) by ordinary least
// squares. It reports false with fewer than 3 points or when all xs are
// equal.
func fitLine(xs, ys []float64) (lineFit, bool) {
	n := len(xs)
	if n != len(ys) || n < 3 {
		return lineFit{}, false
	}
	var mx, my float64
	for i := range n {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxx, sxy float64
	lo, hi := xs[0], xs[0]
	for i := range n {
		dx := xs[i] - mx
		sxx += dx * dx
		sxy += dx * (ys[i] - my)
		lo, hi = min(lo, xs[i]), max(hi, xs[i])
	}
	if sxx == 0 {
		return lineFit{}, false
	}
	f := lineFit{Slope: sxy / sxx, N: n, Span: hi - lo}
	f.Intercept = my - f.Slope*mx
	var sse float64
	for i := range n {
		r := ys[i] - (f.Intercept + f.Slope*xs[i])
		sse += r * r
	}
	f.SlopeSE = math.Sqrt(sse / float64(n-2) / sxx)
	return f, true
}

// summary is the minimum, mean, maximum and last of a series.
type summary struct {
	Min  float64 `json:"min"`
	Avg  float64 `json:"avg"`
	Max  float64 `json:"max"`
	Last float64 `json:"last"`
	N    int     `json:"n"`
}

// summarize summarizes ys; the zero summary for none.
func summarize(ys []float64) summary {
	if len(ys) == 0 {
		return summary{}
	}
	s := summary{Min: ys[0], Max: ys[0], Last: ys[len(ys)-1], N: len(ys)}
	var sum float64
	for _, y := range ys {
		s.Min, s.Max = min(s.Min, y), max(s.Max, y)
		sum += y
	}
	s.Avg = sum / float64(len(ys))
	return s
}

// Latency histogram: histPerDecade log-spaced buckets per decade from
// histMin, so a quantile is known within a factor of 10^(1/20), about 12%.
// Its size is fixed: recording allocates nothing and the soak's own memory
// does not grow with the number of commands.
const (
	histMin       = 100 * time.Nanosecond
	histPerDecade = 20
	histDecades   = 11 // 100 ns to 10,000 s
	histBuckets   = histPerDecade * histDecades
)

// latencyHist is a fixed-size histogram of durations.
type latencyHist struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

// bucketOf returns the bucket of d: bucket i holds durations up to
// bucketUpper(i).
func bucketOf(d time.Duration) int {
	if d <= histMin {
		return 0
	}
	i := int(math.Ceil(math.Log10(float64(d)/float64(histMin))*histPerDecade)) - 1
	return min(max(i, 0), histBuckets-1)
}

// bucketUpper returns the largest duration bucket i holds.
func bucketUpper(i int) time.Duration {
	return time.Duration(float64(histMin) * math.Pow(10, float64(i+1)/histPerDecade))
}

// record adds one duration.
func (h *latencyHist) record(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// quantile returns an upper bound of the q-quantile (0 < q ≤ 1): the
// upper edge of its bucket, or the maximum if that is smaller. Zero with
// no data.
func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(bucketUpper(i), h.max)
		}
	}
	return h.max
}

// mean returns the mean duration, zero with no data.
func (h *latencyHist) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// merge adds o's durations to h.
func (h *latencyHist) merge(o *latencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}
